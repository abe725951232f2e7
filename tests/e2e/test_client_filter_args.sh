#!/usr/bin/env bash
# The filter expression on the command line, through two real workers: quoted
# whole, split, mixed, after "--" (with options after the targets), with an
# index (icmp[icmptype]) and a leading '('. Each run has two targets (a URL and
# a bare HOST:PORT) before the expression; known traffic (pings, UDP to an
# included and to an excluded port) must come back exactly as the filter says,
# -v must show the joined filter the workers applied, exit 0. A word that is
# neither target nor filter, and -f with an expression, are exit 2 with one
# line naming them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd ping
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

# cl sends the traffic and runs ddump; w runs both workers (so each sees every
# packet once, on "any") and a UDP sink on both ports: without it the kernel
# would answer with ICMP port unreachables, which 'icmp' would count.
ns_create cl
ns_create w
ns_link cl w 10.213.41.1/24 10.213.41.2/24
WIP=10.213.41.2
IN_PORT=17001   # included by every filter below
OUT_PORT=17002  # excluded by every filter below
ns_spawn w sink "$E2E_PYTHON" -c '
import select, socket, sys
socks = []
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        s.recv(65536)
' "$IN_PORT" "$OUT_PORT"
wait_for_udp_port w "$IN_PORT" 10 || fail "UDP sink did not bind $IN_PORT"
wait_for_udp_port w "$OUT_PORT" 10 || fail "UDP sink did not bind $OUT_PORT"
start_worker w w1
[[ -n "$WORKER_PORT" ]] || fail "worker w1 printed no port"
T1="http://$WIP:$WORKER_PORT/capture"
start_worker w w2
[[ -n "$WORKER_PORT" ]] || fail "worker w2 printed no port"
T2="$WIP:$WORKER_PORT"

PINGS=3  # echo requests; each also brings a reply
UDP_IN=4
UDP_OUT=5

# connected NAME N: ddump -v has announced N streams (each worker sends its
# response head only once its capture is open with the filter installed).
connected() { (( $(grep -c ': connected to ' "$(log_err "$1")" || true) >= $2 )); }

# run_form NAME ICMP_PER_WORKER EXPECTED_FILTER ARGS...: ddump -v -c (2 x
# (ICMP + UDP_IN)) with ARGS in cl; the traffic starts once both streams are
# up, the excluded datagrams first, so a filter letting them through would
# fill -c with them. Then exact counts, exit 0, and the filter in -v.
run_form() {
    local name=$1 icmp=$2 want_filter=$3
    shift 3
    local total=$((2 * (icmp + UDP_IN)))
    ns_spawn cl "$name" "$DDUMP" -v -c "$total" "$@"
    wait_for 20 connected "$name" 2 || fail "$name: ddump did not connect to both workers"
    udp_send cl "$WIP" "$OUT_PORT" "$UDP_OUT" excluded
    ns_ping cl "$WIP" "$PINGS" || fail "$name: no ping reply"
    udp_send cl "$WIP" "$IN_PORT" "$UDP_IN" included
    wait_exit "$name" 30 || fail "$name: ddump did not stop after -c $total"
    assert_eq 0 "$E2E_EXIT_STATUS" "$name: exit status"
    local out err lines
    out=$(log_out "$name")
    err=$(cat "$(log_err "$name")")
    lines=$(timeout 30 tcpdump -nr "$out" 2>/dev/null | wc -l)
    assert_eq "$total" "$lines" "$name: packets tcpdump -nr reads"
    assert_eq "$((2 * icmp))" "$(pcap_count "$out" icmp)" "$name: ICMP packets"
    assert_eq "$((2 * UDP_IN))" "$(pcap_count "$out" udp dst port "$IN_PORT")" "$name: UDP to $IN_PORT"
    assert_eq 0 "$(pcap_count "$out" udp port "$OUT_PORT")" "$name: UDP to $OUT_PORT"
    # The worker echoes what it applied: its own listeners excluded, then the user's filter.
    assert_eq 2 "$(grep -c -F ") and ($want_filter)'" <<<"$err" || true)" \
        "$name: -v shows the joined filter of both streams"
    pass "$name: $total packets as the filter says, exit 0"
}

F="icmp or udp port $IN_PORT"
run_form quoted "$((2 * PINGS))" "$F" "$T1" "$T2" "icmp or udp port $IN_PORT"
run_form split "$((2 * PINGS))" "$F" "$T1" "$T2" icmp or udp port "$IN_PORT"
run_form mixed "$((2 * PINGS))" "$F" "$T1" "$T2" 'icmp or' udp "port $IN_PORT"
# "--" after an option that follows the targets (getopt permutes them); the
# expression starts with a number, which would not start one on its own.
run_form dashdash "$((2 * PINGS))" "0 < len and (icmp or udp port $IN_PORT)" \
    "$T1" "$T2" --max-delay 300 -- 0 '<' len and "(icmp or udp port $IN_PORT)"
# An index and a leading '(': echo requests only (no replies).
run_form index "$PINGS" "icmp[icmptype] == icmp-echo or udp port $IN_PORT" \
    "$T1" "$T2" "icmp[icmptype] == icmp-echo" or "udp port $IN_PORT"
run_form paren "$((2 * PINGS))" "(icmp) or (udp port $IN_PORT)" \
    "$T1" "$T2" "(icmp)" or "(udp port $IN_PORT)"

# Neither a target nor a filter: exit 2, one line naming the word.
st=0
ip netns exec "$(ns_name cl)" timeout 10 "$DDUMP" "$T1" 'foo bar' >neither.out 2>neither.err || st=$?
assert_eq 2 "$st" "exit status for 'foo bar'"
assert_eq 1 "$(wc -l <neither.err)" "lines on stderr for 'foo bar'"
assert_contains "$(cat neither.err)" "ddump: 'foo bar' is neither a target (no such file) nor a filter expression" \
    "error for 'foo bar'"
assert_eq 0 "$(stat -c %s neither.out)" "nothing on stdout for 'foo bar'"
# -f and an expression: exit 2, both named.
st=0
ip netns exec "$(ns_name cl)" timeout 10 "$DDUMP" -f icmp "$T1" udp port 53 >both.out 2>both.err || st=$?
assert_eq 2 "$st" "exit status for -f with an expression"
assert_eq "ddump: give the filter either with -f or as an expression, not both (-f 'icmp', expression 'udp port 53')" \
    "$(cat both.err)" "error for -f with an expression"
pass "a word that is neither target nor filter, and -f with an expression: exit 2, one line"
