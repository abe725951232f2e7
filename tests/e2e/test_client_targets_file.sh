#!/usr/bin/env bash
# ddump --targets FILE: one target per line, '#' comments (whole-line and
# after a target), blank lines and whitespace (spaces, tabs, CRLF) ignored.
# Three real workers; the file names h1 and h3, with h2 only in a comment:
# exactly h1's and h3's pings stream (10 packets each), none of h2's (pinged
# first), and h2's worker was never asked (ddump_captures_total 0). A missing
# file, or one that holds only comments: exit 2 and one line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

ns_create h1
ns_create h2
ns_create h3
ns_create cl
ns_lan lan h1=10.213.51.1/24 h2=10.213.51.2/24 h3=10.213.51.3/24 cl=10.213.51.9/24
declare -A PORT=()
for i in 1 2 3; do
    start_worker "h$i" "w$i"
    PORT[$i]=$WORKER_PORT
done
captures_started() { (( $(grep -c ' capture_start ' "$(log_err "$1")" || true) >= 1 )); }
metric() { http_body cl "http://10.213.51.$1:${PORT[$1]}/metrics" | awk -v m="$2" '$1==m{print $2}'; }

printf '%s\r\n' "# capture targets" "" "  10.213.51.1:${PORT[1]}  " \
    "# 10.213.51.2:${PORT[2]}   (off for now)" "   # indented comment" >targets.txt
printf '\t%s\t# the third host\n\n   \n' "http://10.213.51.3:${PORT[3]}/capture" >>targets.txt

ns_spawn cl main "$DDUMP" --targets targets.txt -c 20 -w main.pcap icmp
# both captures run (a ddump that exited fails at once, with its stderr)
both_started() {
    pid_alive "$(pid_of main)" || fail "ddump --targets exited: $(cat "$(log_err main)")"
    captures_started w1 && captures_started w3
}
wait_for 10 both_started || fail "the captures of h1 and h3 did not start"
# h2 first: were it streamed, its 10 packets would be among the first 20.
ns_ping cl 10.213.51.2 5
ns_ping cl 10.213.51.1 5
ns_ping cl 10.213.51.3 5
wait_exit main 10 0 || fail "ddump --targets -c 20 did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "ddump --targets exit status"
out=$(tcpdump -nr main.pcap 2>/dev/null)
for i in 1 3; do
    assert_eq 10 "$(grep -c -E "10.213.51.(9 > 10.213.51.$i|$i > 10.213.51.9): ICMP echo" <<<"$out")" \
        "pings of h$i (5 requests + 5 replies)"
done
assert_eq 0 "$(grep -c '10.213.51.2' <<<"$out" || true)" "packets of h2 (commented out)"
assert_eq 20 "$(wc -l <<<"$out")" "packets in all"
assert_eq 0 "$(metric 2 ddump_captures_total)" "captures ever asked of h2's worker"
assert_eq 1 "$(metric 1 ddump_captures_total)" "captures asked of h1's worker"
assert_eq 1 "$(metric 3 ddump_captures_total)" "captures asked of h3's worker"
err=$(cat "$(log_err main)")
assert_eq 2 "$(grep -c ': streaming$' <<<"$err")" "targets that streamed"
assert_contains "$err" "ddump: 10.213.51.1:${PORT[1]}: streaming" "h1 streamed"
assert_contains "$err" "ddump: 10.213.51.3:${PORT[3]}: streaming" "h3 streamed"
assert_contains "$err" "ddump: 20 packets written from 2 targets (0 failed, 0 reordered)" "summary"
pass "--targets: h1 and h3 streamed 10 packets each, commented-out h2 never asked"

# --- a missing file and a file of comments only ----------------------------
rc=0
ns_exec cl "$DDUMP" --targets missing.txt icmp >miss.out 2>miss.err || rc=$?
assert_eq 2 "$rc" "exit status with a missing --targets file"
assert_eq "ddump: --targets: cannot read missing.txt" "$(cat miss.err)" "the one error line"
assert_eq 0 "$(stat -c %s miss.out)" "nothing on stdout"
printf '# nothing here\n\n  # nor here\n' >empty.txt
rc=0
ns_exec cl "$DDUMP" --targets empty.txt icmp >empty.out 2>empty.err || rc=$?
assert_eq 2 "$rc" "exit status with a --targets file of comments only"
assert_eq "ddump: no targets (see ddump --help)" "$(cat empty.err)" "the one error line"
pass "--targets: a missing file and an empty one exit 2 with one line"

for i in 1 2 3; do
    stop "w$i" TERM 5 0 || fail "worker w$i did not stop"
    assert_eq 0 "$E2E_EXIT_STATUS" "worker w$i exit status"
done
