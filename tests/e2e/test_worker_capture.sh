#!/usr/bin/env bash
# ddump-worker streams real traffic between two namespaces: filter, count,
# duration, interface selection, link types, precision and response headers,
# read back by real tcpdump, capinfos and tshark.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
ns_create b
ns_link a b 10.213.1.1/24 10.213.1.2/24
start_worker a worker
base="http://10.213.1.1:$WORKER_PORT"

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
has_bytes() { (( $(file_size "$1") >= $2 )); }

# --- headers and the global header at once, before any packet ------------
ns_spawn b idle curl -sN -D "$E2E_TMP/idle.h" -o "$E2E_TMP/idle.pcap" "$base/capture?filter=udp+port+1"
wait_for 2 has_bytes "$E2E_TMP/idle.pcap" 24 || fail "no pcap global header within 2 s"
assert_eq 24 "$(file_size "$E2E_TMP/idle.pcap")" "only the global header before any packet"
headers=$(tr -d '\r' <"$E2E_TMP/idle.h")
assert_contains "$headers" "HTTP/1.1 200" "status"
assert_contains "$headers" "Content-Type: application/vnd.tcpdump.pcap" "content type"
assert_contains "$headers" "Transfer-Encoding: chunked" "chunked"
assert_contains "$headers" "X-Accel-Buffering: no" "nginx buffering off"
assert_contains "$headers" "X-Ddump-Linktype: LINUX_SLL" "link type header"
assert_contains "$headers" "X-Ddump-Filter: not ((tcp port $WORKER_PORT)) and (udp port 1)" "effective filter"
assert_contains "$headers" "X-Ddump-Host: " "host header"
worker_ns=$(grep -o 'X-Ddump-Time: [0-9]*' <<<"$headers" | cut -d' ' -f2)
now_ns=$(date +%s%N)
skew=$(( (now_ns - worker_ns) / 1000000 ))
assert_le "${skew#-}" 5000 "X-Ddump-Time within 5 s of the local clock (ms)"
stop idle TERM

# --- filter and count: exactly the matching datagrams, then a clean end ----
ns_spawn b counted curl -sSN --fail -o "$E2E_TMP/count.pcap" "$base/capture?filter=udp+port+17000&count=25"
wait_for 2 has_bytes "$E2E_TMP/count.pcap" 24 || fail "capture did not start"
udp_send b 10.213.1.1 17001 10 decoy
udp_send b 10.213.1.1 17000 40
wait_exit counted 10 || fail "stream did not end after count=25"
assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status (clean chunked end)"
assert_eq 25 "$(pcap_count "$E2E_TMP/count.pcap")" "packets with count=25"
assert_eq 25 "$(pcap_count "$E2E_TMP/count.pcap" udp dst port 17000)" "all match the filter"
capinfos "$E2E_TMP/count.pcap" >/dev/null || fail "capinfos rejects the stream"
tshark_err=$(tshark -r "$E2E_TMP/count.pcap" 2>&1 >/dev/null | grep -v 'Running as user "root"' || true)
assert_eq "" "$tshark_err" "tshark -r reports no error"
first=$(tcpdump -nr "$E2E_TMP/count.pcap" -c 1 2>/dev/null)
assert_contains "$first" "10.213.1.2." "sender address"
assert_contains "$first" "> 10.213.1.1.17000: UDP, length 11" "first datagram"

# --- duration ends the stream cleanly -------------------------------------
start=$(date +%s%N)
ns_exec b curl -sSN --fail --max-time 10 -o "$E2E_TMP/dur.pcap" "$base/capture?filter=icmp&duration=1"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_ge "$elapsed" 900 "duration=1 lasted at least ~1 s (ms)"
assert_le "$elapsed" 3000 "duration=1 ended within 3 s (ms)"
capinfos "$E2E_TMP/dur.pcap" >/dev/null || fail "duration stream is not a valid pcap"

# --- interface selection: the veth only, in its own link type --------------
ns_spawn b iface curl -sSN --fail -D "$E2E_TMP/iface.h" -o "$E2E_TMP/iface.pcap" \
    "$base/capture?interface=vb&filter=udp+port+17100&count=5"
wait_for 2 has_bytes "$E2E_TMP/iface.pcap" 24 || fail "interface capture did not start"
udp_send a 127.0.0.1 17100 5 loopback   # on lo, not on vb: must not appear
udp_send b 10.213.1.1 17100 5 veth
wait_exit iface 10 || fail "interface capture did not end"
assert_contains "$(tr -d '\r' <"$E2E_TMP/iface.h")" "X-Ddump-Linktype: EN10MB" "named interface keeps Ethernet"
out=$(tcpdump -enr "$E2E_TMP/iface.pcap" 2>&1)
assert_contains "$out" "link-type EN10MB" "tcpdump sees Ethernet"
assert_eq 5 "$(grep -c '10.213.1.1.17100' <<<"$out")" "only the veth datagrams"
assert_not_contains "$out" "127.0.0.1" "loopback traffic excluded by interface choice"

# --- SLL2 and nanosecond precision -------------------------------------------
# Nanoseconds for real: the nanosecond magic, every stamp between the clock
# read before and after the datagrams were sent, and across 20 packets at
# least one stamp with a digit below the microsecond (microseconds times
# 1000 under a nanosecond header have none; microseconds left unscaled fall
# outside the send window).
ns_spawn b nano curl -sSN --fail -o "$E2E_TMP/nano.pcap" "$base/capture?linktype=sll2&precision=nano&filter=udp+port+17200&count=20"
wait_for 2 has_bytes "$E2E_TMP/nano.pcap" 24 || fail "sll2 capture did not start"
sent_from=$(date +%s%N)
udp_send b 10.213.1.1 17200 20
sent_to=$(date +%s%N)
wait_exit nano 10 || fail "sll2 capture did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status (nano capture)"
magic=$(od -An -tx1 -N4 "$E2E_TMP/nano.pcap" | tr -d ' ')
assert_eq "4d3cb2a1" "$magic" "nanosecond magic (little-endian)"
out=$(tcpdump -nr "$E2E_TMP/nano.pcap" 2>&1)
assert_contains "$out" "link-type LINUX_SLL2" "SLL2 link type"
assert_eq 20 "$(grep -c 'In  IP 10.213.1.2' <<<"$out")" "SLL2 records carry the interface and direction"
assert_eq 20 "$(pcap_count "$E2E_TMP/nano.pcap")" "sll2 packets"
stamps=$("$E2E_PYTHON" - "$E2E_TMP/nano.pcap" "$sent_from" "$sent_to" <<'PY'
import struct, sys
data, lo, hi = open(sys.argv[1], "rb").read(), int(sys.argv[2]), int(sys.argv[3])
off, n, sub_us, outside = 24, 0, 0, []
while off + 16 <= len(data):
    sec, frac, caplen, _ = struct.unpack_from("<IIII", data, off)
    ns = sec * 10**9 + frac
    n += 1
    sub_us += frac % 1000 != 0
    if frac >= 10**9 or not lo - 50 * 10**6 <= ns <= hi + 50 * 10**6:
        outside.append("%d.%09d" % (sec, frac))
    off += 16 + caplen
print(n, sub_us, " ".join(outside[:3]) or "-")
PY
) || fail "reading nano.pcap: $stamps"
read -r n sub_us outside <<<"$stamps"
assert_eq 20 "$n" "records in nano.pcap"
assert_eq "-" "$outside" "nanosecond stamps outside the send window ($sent_from..$sent_to ns, +-50 ms)"
assert_ge "$sub_us" 1 "stamps of 20 with a digit below the microsecond"

pass "worker capture: headers, filter, count, duration, interface, sll2, nano"
