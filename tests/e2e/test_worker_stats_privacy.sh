#!/usr/bin/env bash
# Who captured what: /stats shows a caller its own captures in full and only a
# count of the others' (--stats-all shows all); behind the proxy (the unix
# socket) the caller is the user and certificate the proxy names, logged with
# every capture_start; on TCP those header fields are ignored, since any
# client could write them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create w
ns_create a
ns_create b
ns_lan lan w=10.213.77.1/24 a=10.213.77.2/24 b=10.213.77.3/24
sock=$E2E_TMP/worker.sock
chmod 755 "$E2E_TMP"
start_worker w worker --listen :0 --listen "unix:$sock" --log-format json
base="http://10.213.77.1:$WORKER_PORT"
log=$(log_err worker)

# stats NS URL [CURL_ARGS...]: "own-filters | others | active" of /stats.
stats() {
    http_body "$@" | "$E2E_PYTHON" -c 'import json, sys
s = json.load(sys.stdin)
print(",".join(sorted(c["filter"] + "/" + c.get("user", "") for c in s["captures"])), s["captures_of_others"], s["captures_active"])'
}
active() { [[ "$(http_body w "http://127.0.0.1:$WORKER_PORT/metrics" | awk '$1 == "ddump_captures_active" { print $2 }')" == "$1" ]]; }
# A capture is counted when admitted and described once libpcap has it.
started() { [[ "$(grep -c '"capture_start"' "$(log_err "$1")")" == "$2" ]]; }

# --- TCP: a caller is its address; proxy fields it sends are ignored ------------
ns_spawn a cap_a curl -sN -o /dev/null -H 'X-Ddump-User: alice' "$base/capture?filter=udp+port+9"
wait_for 5 started worker 1 || fail "a's capture did not start"
assert_eq "udp port 9/ 0 1" "$(stats a "$base/stats")" "a sees its own capture, in full, without the user it claimed"
assert_eq " 1 1" "$(stats b "$base/stats")" "b sees only a count of a's capture"
assert_eq " 1 1" "$(stats b "$base/stats" -H 'X-Ddump-User: alice')" "b claiming a's user over TCP sees no more"
assert_contains "$(grep '"capture_start"' "$log")" '"user":""' "a user claimed over TCP is not logged as the caller"

# --- unix socket: the proxy's user and certificate name the caller --------------
proxy=(--unix-socket "$sock" -H 'X-Ddump-User: alice' -H 'X-Ddump-Client-Cert: CN=alice,O=ops'
       -H 'X-Forwarded-For: 198.51.100.7')
ns_spawn a cap_alice curl -sN -o /dev/null "${proxy[@]}" "http://w/capture?filter=udp+port+10"
wait_for 5 started worker 2 || fail "alice's capture did not start"
start_line=$(grep '"capture_start"' "$log" | grep 'udp port 10')
assert_contains "$start_line" '"user":"alice"' "capture_start names the proxy's user"
assert_contains "$start_line" '"client_cert":"CN=alice,O=ops"' "capture_start names the certificate"
assert_contains "$start_line" '"forwarded_for":"198.51.100.7"' "capture_start names the client's address"
assert_eq "udp port 10/alice 1 2" "$(stats a "http://w/stats" "${proxy[@]}")" "alice sees her capture with her name"
full=$(http_body a "http://w/stats" "${proxy[@]}")
assert_contains "$full" '"client_cert": "CN=alice,O=ops"' "/stats shows alice's certificate"
assert_contains "$full" '"forwarded_for": "198.51.100.7"' "/stats shows alice's address"
assert_eq " 2 2" "$(stats b "http://w/stats" --unix-socket "$sock" -H 'X-Ddump-User: bob')" "bob behind the proxy sees counts only"
assert_eq " 2 2" "$(stats b "http://w/stats" --unix-socket "$sock" -H 'X-Ddump-User: alice' \
    -H 'X-Ddump-Client-Cert: CN=mallory')" "the same user with another certificate is someone else"

stop cap_alice TERM 5 any
stop cap_a TERM 5 any
wait_for 5 active 0 || fail "captures did not end"
stop worker TERM

# --- --stats-all: everyone sees everything ---------------------------------------
start_worker w all --listen :0 --stats-all --log-format json
base="http://10.213.77.1:$WORKER_PORT"
ns_spawn a cap_all curl -sN -o /dev/null "$base/capture?filter=udp+port+11"
wait_for 5 started all 1 || fail "the capture did not start under --stats-all"
assert_eq "udp port 11/ 0 1" "$(stats b "$base/stats")" "with --stats-all b sees a's capture in full"
stop cap_all TERM 5 any
stop all TERM

pass "stats privacy: own captures in full, others counted; proxy identity on the socket only; --stats-all"
