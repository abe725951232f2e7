#!/usr/bin/env bash
# File targets read as tcpdump (libpcap) and mergecap (wiretap) read them.
#   1. Savefiles whose headers the records do not keep to (a snaplen below
#      the records', a huge or zero snaplen, caplen > len, versions 2.2, 2.3
#      and 543.0 with swapped length fields): read, records byte-identical to
#      `mergecap -F pcap`'s, each alone and all merged; the output header's
#      snaplen covers every record, so libpcap reads them back whole (it cuts
#      the originals). The same bytes over HTTP are still refused.
#   2. What both refuse (a record over 262144 bytes, version 1.0): one line,
#      exit 1, the records before it merged.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd mergecap capinfos
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"
cp "$DDUMP_SRC_DIR"/tests/data/savefile/*.pcap .

# snaplen FILE     the snaplen in a little-endian pcap's global header
snaplen() { "$E2E_PYTHON" -c 'import struct,sys; print(struct.unpack_from("<I", open(sys.argv[1], "rb").read(), 16)[0])' "$1"; }

# --- 1. accepted: each alone, byte-identical to mergecap ---------------------
# FILE RECORDS OUTPUT-SNAPLEN
accepted=(
    "snaplen_understated.pcap 3 262144"
    "snaplen_exceeded_late.pcap 4 262144"
    "caplen_gt_len.pcap 3 65535"
    "snaplen_huge.pcap 2 262144"
    "snaplen_over_int_max.pcap 2 262144"
    "snaplen_zero.pcap 2 262144"
    "version_2_2.pcap 2 65535"
    "version_2_3.pcap 3 65535"
    "version_543_0.pcap 2 65535"
)
all=()
for row in "${accepted[@]}"; do
    read -r f n snap <<<"$row"
    all+=("$f")
    st=0
    "$DDUMP" "$f" >"d_$f" 2>"d_$f.err" || st=$?
    assert_eq 0 "$st" "$f: exit status ($(cat "d_$f.err"))"
    assert_contains "$(cat "d_$f.err")" "ddump: $f: $n packets," "$f: summary line"
    assert_not_contains "$(cat "d_$f.err")" "exceeds" "$f: no complaint"
    mergecap -F pcap -w "m_$f" "$f" || fail "mergecap refused $f"
    same_records "d_$f" "m_$f" "$f"
    assert_eq "$n" "$(pcap_count "d_$f")" "$f: records"
    assert_eq "$snap" "$(snaplen "d_$f")" "$f: output snaplen"
    # libpcap cuts a record longer than its file's snaplen: ddump's header
    # covers every record, so tcpdump reads ddump's output back whole.
    tcpdump -r "d_$f" -w "re_$f" 2>/dev/null || fail "tcpdump -r of ddump's $f output"
    same_records "re_$f" "d_$f" "$f: libpcap re-reads the output whole"
done
pass "9 savefiles tcpdump and mergecap read: records byte-identical to mergecap, header snaplen covers them"

# The point of raising the snaplen: libpcap cuts the original's records to 13.
tcpdump -r snaplen_understated.pcap -w cut.pcap 2>/dev/null
assert_eq "13 13 13" "$(tshark -r cut.pcap -T fields -e frame.cap_len 2>/dev/null | xargs)" \
    "libpcap cuts the original's records to its header's snaplen"
assert_eq "38 60 42" "$(tshark -r d_snaplen_understated.pcap -T fields -e frame.cap_len 2>/dev/null | xargs)" \
    "ddump's output keeps them whole"

"$DDUMP" -q "${all[@]}" >all.pcap 2>all.err || fail "merging all accepted files: exit $? $(cat all.err)"
mergecap -F pcap -w all_m.pcap "${all[@]}"
same_records all.pcap all_m.pcap "all accepted files merged"
assert_eq 23 "$(pcap_count all.pcap)" "records merged from 9 files"
assert_eq 262144 "$(snaplen all.pcap)" "merged snaplen"
strict_order all.pcap
pass "all 9 merged together: byte-identical to mergecap"

# stdin and a pipe are savefiles too.
"$DDUMP" -q - <snaplen_understated.pcap >stdin.pcap || fail "stdin exit $?"
same_records stdin.pcap m_snaplen_understated.pcap "stdin"
assert_eq 262144 "$(snaplen stdin.pcap)" "stdin output snaplen"
cat version_2_2.pcap | "$DDUMP" -q - >pipe.pcap || fail "pipe exit $?"
same_records pipe.pcap m_version_2_2.pcap "a pipe"
pass "stdin and a pipe read the same way"

# A worker's stream is still checked strictly: the same bytes over HTTP fail.
fake_start web --file snaplen_understated.pcap --chunk 1000
st=0
"$DDUMP" -q "127.0.0.1:$FAKE_PORT" >http.pcap 2>http.err || st=$?
assert_eq 1 "$st" "exit status over HTTP"
assert_contains "$(cat http.err)" "caplen 38 exceeds snaplen 13 in record 1 at stream offset 24" "HTTP refusal"
assert_eq 0 "$(valid_pcap http.pcap)" "nothing merged from the refused stream"
pass "over HTTP the same bytes are refused"

# --- 2. refused by both: one line, exit 1, what came before is merged --------
st=0
"$DDUMP" caplen_over_bound.pcap >bound.pcap 2>bound.err || st=$?
assert_eq 1 "$st" "exit status, record over the bound"
assert_eq "ddump: caplen_over_bound.pcap: caplen 262145 exceeds limit 262144 in record 4 at stream offset 224" \
    "$(grep -F 'caplen_over_bound.pcap: caplen' bound.err)" "error line, record over the bound"
st=0
mergecap -F pcap -w bound_m.pcap caplen_over_bound.pcap 2>/dev/null || st=$?
assert_eq 2 "$st" "mergecap refuses it too"
same_records bound.pcap bound_m.pcap "the 3 records before the bad one"
assert_eq 3 "$(valid_pcap bound.pcap)" "records before the bad one"

st=0
"$DDUMP" version_1_0.pcap snaplen_zero.pcap >v1.pcap 2>v1.err || st=$?
assert_eq 1 "$st" "exit status, version 1.0"
assert_eq "ddump: version_1_0.pcap: unsupported pcap version 1.0" "$(grep -F 'version_1_0.pcap: unsupported' v1.err)" \
    "error line, version 1.0"
same_records v1.pcap m_snaplen_zero.pcap "the other file still merged"
pass "a record over 262144 bytes and version 1.0: one line each, exit 1, earlier records kept"
