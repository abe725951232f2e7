#!/usr/bin/env bash
# -F pcapng keeps every interface of a pcapng input as an interface of its
# own, as mergecap does:
#   * two real dumpcap captures (two interfaces each, if_name from the
#     kernel, one packet comment added by editcap): `ddump -F pcapng` shows
#     the same packets, interface names, times and comments in tshark as
#     `mergecap -F pcapng` of the same files;
#   * a live merge of two workers written per target (-F pcapng -w DIR/)
#     merges back into the same packets on the same HOST:IFNAME interfaces,
#     with their directions and statistics;
#   * the fixtures: both byte orders, two sections, an NRB (tshark resolves
#     its name), a DSB, interfaces of two link types in one pcapng file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd dumpcap editcap mergecap tshark capinfos
DDUMP=$(e2e_bin ddump)
DATA="$DDUMP_SRC_DIR/tests/data/pcapng"
cd "$E2E_TMP"

# interface name, time, comment, direction, length of every packet
fields() {
    tshark -r "$1" -T fields -e frame.interface_name -e frame.time_epoch -e frame.comment \
        -e frame.packet_flags_direction -e frame.len 2>/dev/null
}

ns_create h1
ns_create h2
ns_create cl
ns_lan lan h1=10.213.9.1/24 h2=10.213.9.2/24 cl=10.213.9.9/24

# --- real dumpcap captures against mergecap ------------------------------------
# dumpcap on two interfaces of one host: the LAN and loopback, UDP to both
# (a capture filter applies to the -i before it).
capture() {  # NS NAME PORT
    local ns=$1 name=$2 port=$3
    ns_spawn "$ns" "dumpcap-$name" dumpcap -q -i vlan -f "udp port $port" -i lo -f "udp port $port" -c 16 -w "$E2E_TMP/$name.raw.pcapng"
    wait_for_log "dumpcap-$name" "Capturing on 'vlan' and 'lo'|File: " 10 ||
        fail "dumpcap did not start: $(cat "$(log_err "dumpcap-$name")")"
}
capture h1 a 17011
capture h2 b 17012
udp_send h1 10.213.9.2 17011 8 via-lan
udp_send h1 127.0.0.1 17011 8 via-lo
udp_send h2 10.213.9.1 17012 8 via-lan
udp_send h2 127.0.0.1 17012 8 via-lo
wait_exit dumpcap-a 15 || fail "dumpcap a did not stop after 16 packets"
wait_exit dumpcap-b 15 || fail "dumpcap b did not stop after 16 packets"
editcap -a "3:checked by hand" a.raw.pcapng a.pcapng
editcap -a "5:second file, fifth packet" b.raw.pcapng b.pcapng
assert_contains "$(capinfos a.pcapng)" "Number of interfaces in file: 2" "dumpcap wrote two interfaces"

"$DDUMP" -q -F pcapng a.pcapng b.pcapng >merged.pcapng || fail "ddump -F pcapng: exit $?"
mergecap -F pcapng -w mergecap.pcapng a.pcapng b.pcapng
fields mergecap.pcapng >expected.txt
fields merged.pcapng >got.txt
assert_eq 32 "$(wc -l <expected.txt)" "mergecap's packets"
diff expected.txt got.txt >fields.diff || fail "tshark differs from mergecap's output: $(head -5 fields.diff)"
names=$(cut -f1 got.txt | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')
assert_eq "lo=16 vlan=16 " "$names" "dumpcap's if_name on every packet"
assert_eq 2 "$(cut -f3 got.txt | grep -c .)" "both comments"
assert_contains "$(cut -f3 got.txt)" "checked by hand" "editcap's comment"
assert_contains "$(capinfos merged.pcapng)" "Number of interfaces in file: 4" "an IDB per input interface"
assert_contains "$(capinfos merged.pcapng)" "Strict time order:   True" "merged by time"

# The same through pcap output: one link type, the same records as mergecap
# (dumpcap stamps in nanoseconds, which ddump keeps and mergecap -F pcap cuts).
"$DDUMP" -q a.pcapng b.pcapng >merged.pcap
mergecap -F nsecpcap -w mergecap.pcap a.pcapng b.pcapng
same_records merged.pcap mergecap.pcap "pcap output of the same inputs"

# --- a live merge, per target, and back ----------------------------------------
start_worker h1 w1
P1=$WORKER_PORT
start_worker h2 w2
P2=$WORKER_PORT
U1="http://10.213.9.1:$P1/capture"
U2="http://10.213.9.2:$P2/capture"
ns_spawn cl live timeout 30 "$DDUMP" -F pcapng -w "$E2E_TMP/per-host/" -c 40 -f "udp port 17013" "$U1" "$U2"
wait_for 10 bash -c "[[ \$(grep -c ': streaming' '$(log_err live)') -ge 2 ]]" ||
    fail "streams did not start: $(cat "$(log_err live)")"
udp_send h1 10.213.9.2 17013 20 live
wait_exit live 20 || fail "ddump did not stop after -c 40"
assert_eq 0 "$E2E_EXIT_STATUS" "live exit status"
mapfile -t hostfiles < <(ls per-host/*.pcapng)
assert_eq 2 "${#hostfiles[@]}" "one file per host"

"$DDUMP" -q -F pcapng "${hostfiles[@]}" >back.pcapng || fail "merging the per-host files: exit $?"
mergecap -F pcapng -w back-mergecap.pcapng "${hostfiles[@]}"
fields back.pcapng >back.txt
fields back-mergecap.pcapng >back-expected.txt
diff back-expected.txt back.txt >back.diff || fail "per-host files merged back differ: $(head -5 back.diff)"
names=$(cut -f1,4 back.txt | sort | uniq -c | awk '{print $2"/"$3"="$1}' | tr '\n' ' ')
assert_eq "10.213.9.1:vlan/0x00000002=20 10.213.9.2:vlan/0x00000001=20 " "$names" \
    "the live merge's HOST:IFNAME interfaces and directions"
info=$(capinfos back.pcapng)
assert_contains "$info" "Number of interfaces in file: 2" "one interface per host"
assert_eq 2 "$(grep -c 'Number of stat entries = 1' <<<"$info")" "each host's statistics block kept"
assert_contains "$info" "Description = $U1" "the workers' URLs kept as descriptions"

# --- fixtures: byte orders, sections, NRB, DSB, two link types ------------------
"$DDUMP" -q -F pcapng "$DATA/epb_be.pcapng" "$DATA/two_sections.pcapng" "$DATA/blocks_be.pcapng" \
    >fixtures.pcapng || fail "ddump -F pcapng of the fixtures: exit $?"
names=$(fields fixtures.pcapng | cut -f1 | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')
assert_eq "a0=1 a1=1 b0=1 b1=1 bin20=2 eth0=2 ns0=2 offset=1 snap64=5 " "$names" "every interface, every section"
assert_contains "$(capinfos fixtures.pcapng)" "Encapsulation = Raw IP" "section B's RAW interface kept"
assert_contains "$(fields fixtures.pcapng | cut -f3)" "obsolete packet block" "a PB's comment"
assert_contains "$(tshark -r fixtures.pcapng -q -z hosts 2>/dev/null)" "peer.test" \
    "the big-endian NRB, rewritten, still names 10.213.0.2"
# pcap output cannot hold the RAW interface next to Ethernet ones.
status=0
"$DDUMP" -q "$DATA/two_sections.pcapng" >two.pcap 2>two.err || status=$?
assert_eq 1 "$status" "pcap output of two link types"
assert_contains "$(cat two.err)" "cannot be merged" "says why"

# --- an input with more interfaces than a target may have -----------------------
"$E2E_PYTHON" - many.pcapng <<'PY'
import struct, sys
def block(t, body):
    body += bytes(-len(body) % 4)
    return struct.pack("<II", t, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
def opt(code, value):
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)
out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
for i in range(1100):
    out += block(1, struct.pack("<HHI", 1, 0, 0) + opt(2, b"if%d" % i) + opt(0, b""))
for i in range(1100):
    frame = bytes(12) + b"\x88\xb5" + struct.pack(">I", i)
    out += block(6, struct.pack("<IIIII", i, 0, 1_000_000 + i, len(frame), len(frame)) + frame)
open(sys.argv[1], "wb").write(out)
PY
"$DDUMP" -F pcapng many.pcapng >many-out.pcapng 2>many.err || fail "1100 interfaces: exit $?"
assert_eq 1100 "$(fields many-out.pcapng | wc -l)" "every packet kept"
assert_eq 1025 "$(fields many-out.pcapng | cut -f1 | sort -u | wc -l)" "1024 interfaces and one other"
assert_eq 76 "$(fields many-out.pcapng | cut -f1 | grep -c '^many:other$')" "the rest on FILE:other"
assert_contains "$(cat many.err)" "more than 1024 interfaces in the input: 76 packets of the further ones went to interface many:other" \
    "the summary says so"

pass "pcapng output: input interfaces, names, comments, NRBs and statistics kept; as mergecap; live per-host round trip"
