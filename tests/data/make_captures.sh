#!/usr/bin/env bash
# Regenerates the captured fixtures in tests/data with REAL tcpdump, inside
# private network namespaces (nothing is captured or sent on the host), then
# derives the big-endian copies and the golden files.  Run as root:
#
#     bash tests/data/make_captures.sh [OUT_DIR]      # default: tests/data
#
# Five tcpdumps capture the SAME traffic at the same time (so the four
# "-i any" files contain the same packets with the same timestamps):
#   sll_le_usec.pcap    tcpdump -i any -y LINUX_SLL                           --immediate-mode -U -w F
#   sll2_le_usec.pcap   tcpdump -i any -y LINUX_SLL2                          --immediate-mode -U -w F
#   sll_le_nsec.pcap    tcpdump -i any -y LINUX_SLL  --time-stamp-precision=nano --immediate-mode -U -w F
#   sll2_le_nsec.pcap   tcpdump -i any -y LINUX_SLL2 --time-stamp-precision=nano --immediate-mode -U -w F
#   en10mb_le_usec.pcap tcpdump -i vp -s 100                                  --immediate-mode -U -w F
# Traffic, from netns h (10.213.9.1, veth "vp") to netns p (10.213.9.2, veth
# "vh", UDP sink on 4000 and 4999): 2 pings to p (plus the ARP exchange),
# 3 small UDP datagrams, 1 UDP datagram of 592 payload bytes (so caplen < len
# in the -s 100 file), 1 ping to 127.0.0.1, 1 ping to ::1, 1 final UDP marker
# datagram to port 4999 (the captures are stopped once every file holds it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-$HERE}" && pwd)
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
source "$HERE/../e2e/lib.sh"
e2e_init
export TZ=GMT0

ns_create h
ns_create p
ns_link h p 10.213.9.1/24 10.213.9.2/24

ns_spawn p sink "$E2E_PYTHON" -c '
import select, socket
ss = []
for port in (4000, 4999):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.213.9.2", port)); ss.append(s)
while True:
    for s in select.select(ss, [], [])[0]:
        s.recv(2000)
'
wait_for_udp_port p 4999 10

declare -A CAPS=(
    [sll_le_usec]="-i any -y LINUX_SLL"
    [sll2_le_usec]="-i any -y LINUX_SLL2"
    [sll_le_nsec]="-i any -y LINUX_SLL --time-stamp-precision=nano"
    [sll2_le_nsec]="-i any -y LINUX_SLL2 --time-stamp-precision=nano"
    [en10mb_le_usec]="-i $(ns_ifname h p) -s 100"
)
for name in "${!CAPS[@]}"; do
    # shellcheck disable=SC2086  # word splitting of the option string is intended
    ns_spawn h "$name" tcpdump ${CAPS[$name]} --immediate-mode -U -w "$E2E_TMP/$name.pcap"
done
for name in "${!CAPS[@]}"; do
    wait_for_log "$name" 'listening on' 10
done

ns_ping h 10.213.9.2 2
udp_send h 10.213.9.2 4000 3 small
udp_send h 10.213.9.2 4000 1 "$(printf 'L%.0s' {1..590})"
ns_ping h 127.0.0.1 1
ns_exec h timeout 10 ping -6 -n -q -c 1 ::1 >/dev/null
udp_send h 10.213.9.2 4999 1 marker

_has_marker() { [[ "$(pcap_count "$E2E_TMP/$1.pcap" 'udp dst port 4999' 2>/dev/null)" == 1 ]]; }
for name in "${!CAPS[@]}"; do
    wait_for 10 _has_marker "$name"
done
for name in "${!CAPS[@]}"; do
    stop "$name" INT 5
    assert_eq 0 "$E2E_EXIT_STATUS" "tcpdump $name exit status"
    cp "$E2E_TMP/$name.pcap" "$OUT/$name.pcap"
done

# Big-endian copies (byte-swapped headers, identical packet bytes).
"$E2E_PYTHON" "$HERE/make_bigendian.py" "$OUT/sll_le_usec.pcap" "$OUT/sll_be_usec.pcap"
"$E2E_PYTHON" "$HERE/make_bigendian.py" "$OUT/sll2_le_nsec.pcap" "$OUT/sll2_be_nsec.pcap"

bash "$HERE/make_goldens.sh" "$OUT"
pass "fixtures written to $OUT"
