#!/usr/bin/env bash
# -F pcapng: two real ddump-workers in two namespaces on one LAN, UDP
# from h1 to h2, ddump in a third namespace writing -F pcapng -w FILE. Read
# back with real tools:
#   * tshark: one interface per (host, interface) named HOST:IFNAME (from the
#     worker's /interfaces and the SLL2 interface index), 30 packets each,
#     if_description the URL without credentials, direction flags (h1 sent
#     them: outbound; h2 received them: inbound), the SHB's application and
#     comment; an Interface Statistics Block per interface;
#   * capinfos: strict time order, 60 packets, 2 interfaces;
#   * tcpdump -r reads the same file (one link type for every IDB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd tshark capinfos tcpdump
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

ns_create h1
ns_create h2
ns_create cl
ns_lan lan h1=10.213.7.1/24 h2=10.213.7.2/24 cl=10.213.7.9/24
start_worker h1 w1
P1=$WORKER_PORT
start_worker h2 w2
P2=$WORKER_PORT
[[ -n "$P1" && -n "$P2" ]] || fail "workers printed no port"
U1="http://10.213.7.1:$P1/capture"
U2="http://alice:secret@10.213.7.2:$P2/capture"   # the worker ignores auth; the file must not show it

ns_spawn cl main timeout 30 "$DDUMP" --allow-insecure-auth -F pcapng -w out.pcapng -c 60 -f "udp port 17001" "$U1" "$U2"
wait_for 10 bash -c "[[ \$(grep -c ': streaming' '$(log_err main)') -ge 2 ]]" ||
    fail "streams did not start: $(cat "$(log_err main)")"
udp_send h1 10.213.7.2 17001 30 pcapng
wait_exit main 20 || fail "ddump did not stop after -c 60"
assert_eq 0 "$E2E_EXIT_STATUS" "exit status"

names=$(tshark -r out.pcapng -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')
assert_eq "10.213.7.1:vlan=30 10.213.7.2:vlan=30 " "$names" "packets per HOST:IFNAME"
dirs=$(tshark -r out.pcapng -T fields -e frame.interface_name -e frame.packet_flags_direction 2>/dev/null | sort -u | tr '\t\n' ' ;')
assert_eq "10.213.7.1:vlan 0x00000002;10.213.7.2:vlan 0x00000001;" "$dirs" "direction: h1 outbound, h2 inbound"

info=$(capinfos out.pcapng)
assert_contains "$info" "File type:           Wireshark/... - pcapng" "pcapng"
assert_contains "$info" "Number of packets:   60" "60 packets"
assert_contains "$info" "Strict time order:   True" "strict time order"
assert_contains "$info" "Number of interfaces in file: 2" "two interfaces"
assert_contains "$info" "Capture application: ddump 0.1.0" "shb_userappl"
assert_contains "$info" "Description = http://10.213.7.2:$P2/capture?filter=udp%20port%2017001&linktype=sll2" "if_description"
assert_not_contains "$info" "secret" "no password in the file"
assert_not_contains "$info" "alice" "no user in the file"
assert_contains "$info" "Time precision = microseconds (6)" "if_tsresol of a µs stream"
assert_eq 2 "$(grep -c 'Number of stat entries = 1' <<<"$info")" "an ISB per interface"
assert_contains "$(tshark -r out.pcapng -T fields -e frame.comment -e pcapng.shb.comment -c 1 2>/dev/null; capinfos -k out.pcapng)" \
    "ddump capture of 2 targets" "SHB comment lists the targets"

out=$(tcpdump -nr out.pcapng 2>&1) || fail "tcpdump -r failed: $out"
assert_eq 60 "$(grep -c 'UDP, length' <<<"$out")" "tcpdump -r reads every packet"
assert_eq 30 "$(grep -c 'Out IP 10.213.7.1.* > 10.213.7.2.17001' <<<"$out")" "tcpdump sees h1's outbound packets"
pass "pcapng: HOST:IFNAME interfaces, directions, descriptions, statistics; tshark, capinfos and tcpdump read it"
