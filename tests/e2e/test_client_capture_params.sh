#!/usr/bin/env bash
# ddump's capture flags reach a real worker and take effect there:
#   1. -i vb: only that interface (EN10MB, its own link type): 6 of 6 veth
#      datagrams, none of the 5 sent before them on lo; the worker logged
#      interface="vb"; without -s nothing is truncated;
#   2. -s 60 --linktype sll2 --nano: caplen 60 of len 250, LINUX_SLL2, a
#      nanosecond pcap whose timestamps have nanosecond digits (a microsecond
#      stream widened by the client would end in 000), worker logged
#      linktype="LINUX_SLL2"; a second target to the same worker with
#      ?snaplen=100 in its URL keeps its own value (caplen 100).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd tshark
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

ns_create a
ns_create b
ns_link a b 10.213.50.1/24 10.213.50.2/24
start_worker a w
url="http://10.213.50.1:$WORKER_PORT/capture"
# captures_started N DDUMP: the worker logged N capture_start lines (a ddump
# that exited meanwhile fails at once, with its stderr)
captures_started() {
    pid_alive "$(pid_of "$2")" || fail "ddump $2 exited: $(cat "$(log_err "$2")")"
    (( $(grep -c ' capture_start ' "$(log_err w)" || true) >= $1 ))
}

# --- 1. -i vb --------------------------------------------------------------
ns_spawn b iface "$DDUMP" -q -i vb -c 6 -w iface.pcap "$url" udp port 17300
wait_for 10 captures_started 1 iface || fail "capture did not start"
udp_send a 127.0.0.1 17300 5 loopback   # lo, first: with "any" these would come first
udp_send b 10.213.50.1 17300 6 veth
wait_exit iface 10 0 || fail "ddump -i vb -c 6 did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "ddump -i vb exit status"
out=$(tcpdump -enr iface.pcap 2>&1)
assert_contains "$out" "link-type EN10MB" "the interface's own link type"
assert_eq 6 "$(grep -c '10.213.50.2.[0-9]* > 10.213.50.1.17300: UDP' <<<"$out")" "veth datagrams"
assert_not_contains "$out" "127.0.0.1" "lo traffic"
lens=$(tshark -r iface.pcap -T fields -e frame.cap_len -e frame.len 2>/dev/null | sort | uniq -c | awk '{print $1, $2, $3}')
assert_contains "$(grep ' capture_start ' "$(log_err w)")" 'interface="vb" linktype="EN10MB"' \
    "the worker's capture_start line"
assert_eq "6 48 48" "$lens" "count caplen len without -s (Ethernet 14 + 20 + 8 + \"veth-N\" 6)"
pass "-i vb: 6 veth datagrams, no lo traffic, EN10MB"

# --- 2. -s 60 --linktype sll2 --nano, and a URL's own snaplen --------------
payload=$(printf 'x%.0s' {1..200})   # datagram i carries "x...x-i": 202 bytes
ns_spawn b params "$DDUMP" -q -s 60 --linktype sll2 --nano -c 8 -w params.pcap "$url" "$url?snaplen=100" udp port 17301
wait_for 10 captures_started 3 params || fail "captures did not start"
udp_send b 10.213.50.1 17301 4 "$payload"
wait_exit params 10 0 || fail "ddump -c 8 did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "ddump -s 60 --linktype sll2 --nano exit status"
assert_eq "4d3cb2a1" "$(od -An -tx1 -N4 params.pcap | tr -d ' ')" "nanosecond pcap magic"
info=$(capinfos -t -E params.pcap)
assert_contains "$info" "nanosecond pcap" "capinfos file type"
assert_contains "$info" "Linux cooked-mode capture v2" "capinfos encapsulation"
assert_eq 2 "$(grep ' capture_start ' "$(log_err w)" | grep -c 'interface="any" linktype="LINUX_SLL2"')" \
    "the worker's capture_start lines for the two sll2 targets"
lens=$(tshark -r params.pcap -T fields -e frame.cap_len -e frame.len 2>/dev/null | sort | uniq -c | awk '{print $1, $2, $3}')
# SLL2 20 + IPv4 20 + UDP 8 + 202 = 250 bytes on the wire
assert_eq $'4 100 250\n4 60 250' "$lens" "count caplen len: -s 60, and snaplen=100 from the URL"
ns_digits=$("$E2E_PYTHON" - params.pcap <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
at, n = 24, 0
while at + 16 <= len(d):
    _, frac, caplen, _ = struct.unpack_from("<IIII", d, at)
    n += frac % 1000 != 0
    at += 16 + caplen
print(n)
PY
)
assert_ge "$ns_digits" 4 "records (of 8) whose timestamp has non-zero nanosecond digits"
pass "-s 60 --linktype sll2 --nano: caplen 60/len 250 (URL snaplen=100 kept), LINUX_SLL2, nanosecond stamps"

stop w TERM 5 0 || fail "worker did not stop"
assert_eq 0 "$E2E_EXIT_STATUS" "worker exit status"
