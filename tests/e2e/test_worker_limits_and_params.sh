#!/usr/bin/env bash
# The worker's stream limits and capture parameters, with real traffic:
#   1. --max-duration 2: a /capture without duration and one asking 30 s both
#      end after 2 s, one asking 1 s after 1 s (the worker's capture_end
#      duration_s within [2.0, 2.6) and [1.0, 1.6) s, reason "duration
#      reached"; curl at least as long), each with its terminating chunk (curl
#      exit 0) and a valid pcap of the 4 datagrams sent meanwhile;
#   2. snaplen (worker -s 100): snaplen=60 gives caplen 60, none the worker's
#      100, snaplen=1000 is capped to 100; len stays 346 on every record;
#   3. direction: 5 pings into the worker's host: direction=in holds the 5
#      echo requests only, out the 5 replies only, inout all 10.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd curl tshark
cd "$E2E_TMP"

ns_create a
ns_create b
ns_link a b 10.213.53.1/24 10.213.53.2/24
start_worker a wmax --max-duration 2
max="http://10.213.53.1:$WORKER_PORT/capture?filter=udp+port+17500"   # + a filter naming the stream
start_worker a wsnap -s 100
snap="http://10.213.53.1:$WORKER_PORT/capture"
started() { (( $(grep -c ' capture_start ' "$(log_err "$1")" || true) >= $2 )); }
lens() { tshark -r "$1" -T fields -e frame.cap_len -e frame.len 2>/dev/null | sort | uniq -c | awk '{print $1, $2, $3}'; }

# timed NAME URL: curl URL from b as spawned NAME; NAME.res gets "RC MS".
timed() {
    # shellcheck disable=SC2016
    ns_spawn b "$1" bash -c 's=${EPOCHREALTIME/./}; rc=0; curl -sSN -o "$1.pcap" "$2" || rc=$?
        echo "$rc $(( (${EPOCHREALTIME/./} - s) / 1000 ))" >"$1.res"' _ "$1" "$2"
}

# --- 1. --max-duration --------------------------------------------------------
timed nodur "$max+or+udp+port+1"
timed long "$max+or+udp+port+2&duration=30"
timed short "$max+or+udp+port+3&duration=1"
wait_for 10 started wmax 3 || fail "captures did not start"
udp_send b 10.213.53.1 17500 4 during

# --- 2. snaplen (while those run) ---------------------------------------------
payload=$(printf 'y%.0s' {1..300})   # "y...y-i": 302 bytes; SLL 16 + 20 + 8 + 302 = 346
for s in 60 none 1000; do
    q="filter=udp+port+17501&count=3"
    [[ $s != none ]] && q="$q&snaplen=$s"
    ns_spawn b "snap$s" curl -sSN --fail -o "snap$s.pcap" "$snap?$q"
done
wait_for 10 started wsnap 3 || fail "snaplen captures did not start"
udp_send b 10.213.53.1 17501 3 "$payload"
for s in 60 none 1000; do
    wait_exit "snap$s" 10 || fail "snaplen=$s capture did not end"
    assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status, snaplen=$s"
done
assert_eq "3 60 346" "$(lens snap60.pcap)" "count caplen len with snaplen=60"
assert_eq "3 100 346" "$(lens snapnone.pcap)" "count caplen len without snaplen (worker -s 100)"
assert_eq "3 100 346" "$(lens snap1000.pcap)" "count caplen len with snaplen=1000 (capped by -s 100)"
pass "snaplen: 60 -> caplen 60, default and 1000 -> the worker's 100, len 346 kept"

# --- 3. direction -------------------------------------------------------------
for d in in out inout; do
    n=5
    [[ $d == inout ]] && n=10
    ns_spawn b "dir$d" curl -sSN --fail -o "dir$d.pcap" "$snap?filter=icmp&direction=$d&count=$n"
done
wait_for 10 started wsnap 6 || fail "direction captures did not start"
ns_ping b 10.213.53.1 5 || fail "ping"
for d in in out inout; do
    wait_exit "dir$d" 10 || fail "direction=$d capture did not end"
    assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status, direction=$d"
done
req() { tcpdump -nr "$1" 2>/dev/null | grep -c '10.213.53.2 > 10.213.53.1: ICMP echo request' || true; }
rep() { tcpdump -nr "$1" 2>/dev/null | grep -c '10.213.53.1 > 10.213.53.2: ICMP echo reply' || true; }
assert_eq "5 0 5" "$(req dirin.pcap) $(rep dirin.pcap) $(pcap_count dirin.pcap)" "direction=in: requests replies packets"
assert_eq "0 5 5" "$(req dirout.pcap) $(rep dirout.pcap) $(pcap_count dirout.pcap)" "direction=out: requests replies packets"
assert_eq "5 5 10" "$(req dirinout.pcap) $(rep dirinout.pcap) $(pcap_count dirinout.pcap)" "direction=inout: requests replies packets"
pass "direction: in = 5 requests, out = 5 replies, inout = 10"

# --- 1. (end) -----------------------------------------------------------------
# worker_ms PORT: the capture's duration_s (ms) from its capture_end line
worker_ms() {
    grep ' capture_end ' "$(log_err wmax)" | grep -F "filter=\"udp port 17500 or udp port $1\" reason=\"duration reached\"" |
        grep -oE 'duration_s=[0-9.]+' | awk -F= '{printf "%d", $2 * 1000}'
}
port=0 summary=""
for c in nodur long short; do
    port=$((port + 1))
    wait_exit "$c" 6 || fail "capture $c did not end within 6 s (--max-duration 2)"
    read -r rc ms <"$c.res"
    assert_eq 0 "$rc" "curl exit status of $c (terminating chunk)"
    wms=$(worker_ms "$port")
    lo=2000
    [[ $c == short ]] && lo=1000
    assert_ge "$wms" "$lo" "$c: the worker's stream lasted (ms)"
    assert_le "$wms" $((lo + 599)) "$c: the worker's stream lasted (ms)"
    assert_ge "$ms" "$wms" "$c: curl's request lasted (ms)"
    assert_eq 4 "$(valid_pcap "$c.pcap")" "packets in the $c stream"
    summary="$summary $c ${wms}/${ms} ms"
done
pass "--max-duration 2 (worker/curl):$summary; clean ends"

for w in wmax wsnap; do
    stop "$w" TERM 5 0 || fail "worker $w did not stop"
    assert_eq 0 "$E2E_EXIT_STATUS" "worker $w exit status"
done
