#!/usr/bin/env bash
# --listen unix:/path: mode 0660 by default (--socket-mode changes it), a stale
# socket file is replaced, a live one or a regular file is never touched, and
# captures stream over it like over TCP.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
sock=$E2E_TMP/worker.sock

# A stale socket (bound, never listened on, its owner gone) is replaced.
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
[[ -S "$sock" ]] || fail "could not make a stale socket"
start_worker a worker --listen "unix:$sock"
assert_eq 660 "$(stat -c %a "$sock")" "default socket mode"
assert_eq ok "$(ns_exec a curl -s --unix-socket "$sock" http://worker/healthz)" "healthz over the socket"

# Capture over the socket, with loopback traffic inside the namespace.
ns_spawn a cap curl -sN --fail --unix-socket "$sock" -o "$E2E_TMP/u.pcap" "http://worker/capture?filter=udp+port+17300&count=4"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
has_header() { (( $(size "$E2E_TMP/u.pcap") >= 24 )); }
wait_for 3 has_header || fail "no pcap header over the unix socket"
udp_send a 127.0.0.1 17300 4
wait_exit cap 5 || fail "unix capture did not end after count"
assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status"
assert_eq 4 "$(pcap_count "$E2E_TMP/u.pcap" udp port 17300)" "packets over the unix socket"

# A second worker must not steal a live socket.
rc=0
err=$(ns_exec a timeout 5 "$(e2e_bin ddump-worker)" --listen "unix:$sock" 2>&1) || rc=$?
assert_eq 1 "$rc" "second worker on a live socket exits 1"
assert_contains "$err" "another process is listening on $sock" "live socket error"
assert_eq ok "$(ns_exec a curl -s --unix-socket "$sock" http://worker/healthz)" "first worker unaffected"

# A regular file in the way is never deleted.
touch "$E2E_TMP/file"
rc=0
err=$(ns_exec a timeout 5 "$(e2e_bin ddump-worker)" --listen "unix:$E2E_TMP/file" 2>&1) || rc=$?
assert_eq 1 "$rc" "regular file in the way"
assert_contains "$err" "$E2E_TMP/file exists and is not a socket" "regular file error"
assert_file_exists "$E2E_TMP/file" "regular file kept"

# --socket-mode
stop worker TERM
start_worker a worker2 --listen "unix:$E2E_TMP/w2.sock" --socket-mode 0600
assert_eq 600 "$(stat -c %a "$E2E_TMP/w2.sock")" "--socket-mode 0600"

pass "unix socket listener: mode, stale replacement, streaming"
