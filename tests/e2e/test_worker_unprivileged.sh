#!/usr/bin/env bash
# The worker needs only CAP_NET_RAW: as user nobody holding just that
# capability it captures real traffic; without it, start-up and the first
# capture name the fix (setcap cap_net_raw=eip PATH).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
command -v setpriv >/dev/null || fail "setpriv (util-linux) is required"

ns_create a
ns_create b
ns_link a b 10.213.4.1/24 10.213.4.2/24

# nobody must be able to reach the binary: copy it to a world-readable dir.
chmod 755 "$E2E_TMP"
cp "$(e2e_bin ddump-worker)" "$E2E_TMP/ddump-worker"
chmod 755 "$E2E_TMP/ddump-worker"
with_net_raw=(setpriv --reuid=nobody --regid=nogroup --clear-groups
    --inh-caps=-all,+net_raw --ambient-caps=+net_raw --bounding-set=-all,+net_raw)
without=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)

# --- with CAP_NET_RAW only ----------------------------------------------------
ns_spawn a capable "${with_net_raw[@]}" "$E2E_TMP/ddump-worker" --listen :0
wait_for_log capable 'info listening address=' 10 || fail "unprivileged worker did not start: $(cat "$(log_err capable)")"
port=$(grep -oE 'address=":[0-9]+"' "$(log_err capable)" | grep -oE '[0-9]+')
assert_eq "$(id -u nobody)" "$(awk '/^Uid:/{print $2}' "/proc/$(pid_of capable)/status")" "worker runs as nobody"
caps=$(awk '/^CapEff:/{print $2}' "/proc/$(pid_of capable)/status")
assert_eq 0000000000002000 "$caps" "effective capabilities: CAP_NET_RAW only"
assert_not_contains "$(cat "$(log_err capable)")" "running_as_root" "no root warning"
assert_not_contains "$(cat "$(log_err capable)")" "cannot_capture" "no capability warning"

ns_spawn b cap curl -sN --fail -o "$E2E_TMP/c.pcap" "http://10.213.4.1:$port/capture?filter=icmp&count=6"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
started() { (( $(size "$E2E_TMP/c.pcap") >= 24 )); }
wait_for 3 started || fail "unprivileged capture did not start"
ns_ping b 10.213.4.1 3 || fail "ping"
wait_exit cap 5 || fail "unprivileged capture did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "curl exit"
assert_eq 6 "$(pcap_count "$E2E_TMP/c.pcap" icmp)" "pings captured without root"
stop capable TERM

# --- without it ----------------------------------------------------------------
ns_spawn a bare "${without[@]}" "$E2E_TMP/ddump-worker" --listen :0
wait_for_log bare 'info listening address=' 10 || fail "worker without capability did not start"
port=$(grep -oE 'address=":[0-9]+"' "$(log_err bare)" | grep -oE '[0-9]+')
assert_contains "$(cat "$(log_err bare)")" "cannot_capture" "start-up check warns"
assert_contains "$(cat "$(log_err bare)")" "setcap cap_net_raw=eip $E2E_TMP/ddump-worker" "start-up names the fix"
out=$(ns_exec b curl -s -w '\n%{http_code}' "http://10.213.4.1:$port/capture?filter=icmp")
assert_eq 500 "$(tail -1 <<<"$out")" "capture without the capability"
assert_contains "$(head -1 <<<"$out")" "setcap cap_net_raw=eip $E2E_TMP/ddump-worker" "JSON error names the fix"
assert_contains "$(head -1 <<<"$out")" '{"error":"permission denied capturing on any' "JSON error"

pass "unprivileged: CAP_NET_RAW alone captures; without it the setcap fix is named"
