#!/usr/bin/env bash
# Two concurrent unfiltered captures never see the worker's own streaming
# traffic: they contain the pings and zero packets of the worker's port, and
# their byte rates stay flat (no amplification).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
ns_create b
ns_link a b 10.213.2.1/24 10.213.2.2/24
start_worker a worker
url="http://10.213.2.1:$WORKER_PORT/capture"

# Steady traffic: 20 pings a second from b to a for the whole window.
ns_spawn b pinger ping -n -i 0.05 -w 30 10.213.2.1
ns_spawn b c1 curl -sN -o "$E2E_TMP/c1.pcap" "$url"
ns_spawn b c2 curl -sN -o "$E2E_TMP/c2.pcap" "$url"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
started() { (( $(size "$E2E_TMP/c1.pcap") > 24 && $(size "$E2E_TMP/c2.pcap") > 24 )); }
wait_for 5 started || fail "captures did not start streaming"

# Sample both streams' sizes over 4 s: with amplification each capture would
# carry the other's stream and grow ever faster.
s0_1=$(size "$E2E_TMP/c1.pcap"); s0_2=$(size "$E2E_TMP/c2.pcap")
t_end=$(( $(date +%s%N) + 2000000000 ))
reached() { (( $(date +%s%N) >= $1 )); }
wait_for 5 reached "$t_end"
s1_1=$(size "$E2E_TMP/c1.pcap"); s1_2=$(size "$E2E_TMP/c2.pcap")
t_end=$(( $(date +%s%N) + 2000000000 ))
wait_for 5 reached "$t_end"
s2_1=$(size "$E2E_TMP/c1.pcap"); s2_2=$(size "$E2E_TMP/c2.pcap")
stop c1 TERM
stop c2 TERM
stop pinger INT

for i in 1 2; do
    f=$E2E_TMP/c$i.pcap
    first_half=$(( $(eval echo "\$s1_$i") - $(eval echo "\$s0_$i") ))
    second_half=$(( $(eval echo "\$s2_$i") - $(eval echo "\$s1_$i") ))
    note "capture $i: ${first_half} B then ${second_half} B per 2 s"
    assert_ge "$first_half" 2000 "capture $i carries the pings"
    # Flat rate: the second 2 s within 1.5x of the first (amplification grows it without bound).
    assert_le "$(( second_half * 10 ))" "$(( first_half * 15 ))" "capture $i byte rate stays flat"
    assert_ge "$(pcap_count "$f" icmp)" 40 "capture $i has the pings"
    assert_eq 0 "$(pcap_count "$f" tcp port "$WORKER_PORT")" "capture $i has none of the worker's own traffic"
done

# A filter that selects only the worker's own port is refused, not silently empty.
body=$(http_body b "$url?filter=tcp+port+$WORKER_PORT")
assert_contains "$body" "filter matches only traffic the worker excludes from every capture: (tcp port $WORKER_PORT)" \
    "explicit filter on the worker's port"

pass "self-exclusion: pings captured, own traffic never, flat byte rate"
