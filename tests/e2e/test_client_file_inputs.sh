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
#   3. gzip and zstd files, told by their first bytes (not their names), as
#      files (pulled, and read on a thread beside a URL), concatenated
#      members, on stdin, ddump's own `-z gzip` rotation read back: records
#      byte-identical to mergecap's of the plain files. Truncated and corrupt
#      ones: one line naming the file and the damage, exit 1, a valid pcap of
#      every record before the damage.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd mergecap capinfos gzip zstd
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

# --- 3. compressed files ------------------------------------------------------
make_pcap a.pcap 3000 1 40
make_pcap b.pcap 2000 2 60
make_pcap c.pcap 2500 3 50
gzip -n -k a.pcap
zstd -q b.pcap -o b.pcap.zst
mergecap -F pcap -w abc_m.pcap a.pcap b.pcap c.pcap
"$DDUMP" -q a.pcap.gz b.pcap.zst c.pcap >abc.pcap 2>abc.err || fail "gzip+zstd+plain exit $?: $(cat abc.err)"
same_records abc.pcap abc_m.pcap "a.pcap.gz b.pcap.zst c.pcap"
assert_eq 7500 "$(pcap_count abc.pcap)" "records from the compressed files"
# By their bytes, not their names.
cp a.pcap.gz a_really_gzip.pcap
cp b.pcap.zst b_really_zstd.pcap
cp c.pcap c_plain.pcap.gz
"$DDUMP" -q a_really_gzip.pcap b_really_zstd.pcap c_plain.pcap.gz >names.pcap || fail "misnamed files exit $?"
same_records names.pcap abc_m.pcap "files named otherwise"
pass "a.pcap.gz b.pcap.zst c.pcap: byte-identical to mergecap of the plain files, whatever the names"

# Many 192 KiB chunks decompressed, small and large records.
make_pcap big1.pcap 60000 5 40 0 60
make_pcap big2.pcap 6000 6 40 0 1500
gzip -n -1 -k big1.pcap
zstd -q -1 big2.pcap -o big2.pcap.zst
mergecap -F pcap -w big_m.pcap big1.pcap big2.pcap
"$DDUMP" -q big1.pcap.gz big2.pcap.zst >big.pcap || fail "big compressed files exit $?"
same_records big.pcap big_m.pcap "multi-chunk compressed files"
pass "multi-chunk gzip and zstd files byte-identical to mergecap"

# Concatenated members and frames (split inside a record), as gzip -d and
# zstd -d read them.
{ head -c 100001 big1.pcap | gzip -n; tail -c +100002 big1.pcap | gzip -n; } >members.pcap.gz
{ head -c 70001 b.pcap | zstd -q; tail -c +70002 b.pcap | zstd -q; } >frames.pcap.zst
mergecap -F pcap -w mf_m.pcap big1.pcap b.pcap
"$DDUMP" -q members.pcap.gz frames.pcap.zst >mf.pcap || fail "members/frames exit $?"
same_records mf.pcap mf_m.pcap "concatenated gzip members and zstd frames"
pass "cat a.gz b.gz and cat a.zst b.zst read as one file each"

# stdin (a pipe: decompressed bytes go out without waiting for more), and a
# compressed file read on its own thread beside a URL target.
gzip -n -c a.pcap | "$DDUMP" -q - b.pcap.zst c.pcap >stdin.pcap || fail "gzip on stdin exit $?"
same_records stdin.pcap abc_m.pcap "gzip on stdin"
zstd -q -c b.pcap | "$DDUMP" -q a.pcap.gz - c.pcap >stdin2.pcap || fail "zstd on stdin exit $?"
same_records stdin2.pcap abc_m.pcap "zstd on stdin"
fake_start webc --file c.pcap --chunk 1000
"$DDUMP" -q a.pcap.gz b.pcap.zst "127.0.0.1:$FAKE_PORT" >url.pcap || fail "files beside a URL exit $?"
same_records url.pcap abc_m.pcap "compressed files beside a URL"
pass "gzip and zstd on stdin, and beside a URL target"

# ddump's own -z gzip rotation, read back.
"$DDUMP" -q -C 200k -z gzip -w part.pcap big1.pcap || fail "rotation exit $?"
parts=(part.pcap*.gz)
(( ${#parts[@]} >= 5 )) || fail "expected 5+ rotated files, got ${#parts[@]}"
"$DDUMP" -q "${parts[@]}" >rejoined.pcap || fail "reading the rotated files exit $?"
same_records rejoined.pcap big1.pcap "-z gzip files read back"
pass "${#parts[@]} files of ddump -C 200k -z gzip read back: the original records"

# whole_records IN OUT: OUT is IN's global header and every whole record of it.
whole_records() {
    "$E2E_PYTHON" - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
at = 24
while at + 16 <= len(data):
    caplen = struct.unpack_from("<I", data, at + 8)[0]
    if at + 16 + caplen > len(data):
        break
    at += 16 + caplen
open(sys.argv[2], "wb").write(data[:at])
PY
}

# Truncated: half the gzip file. What zlib decodes of it (python's zlib) is
# what must come out, as whole records.
size=$(stat -c %s big1.pcap.gz)
head -c $((size / 2)) big1.pcap.gz >half.pcap.gz
"$E2E_PYTHON" -c 'import sys, zlib; sys.stdout.buffer.write(zlib.decompressobj(31).decompress(open("half.pcap.gz", "rb").read()))' >half.raw
whole_records half.raw half_expected.pcap
st=0
"$DDUMP" half.pcap.gz >half.pcap 2>half.err || st=$?
assert_eq 1 "$st" "exit status, truncated gzip"
assert_eq "ddump: half.pcap.gz: truncated gzip data: it ends inside member 1, after $((size / 2)) compressed bytes" \
    "$(grep -F 'half.pcap.gz: truncated' half.err)" "error line, truncated gzip"
same_records half.pcap half_expected.pcap "records before the truncation"
n=$(valid_pcap half.pcap)
(( n > 20000 )) || fail "only $n records before the truncation"
pass "truncated gzip: one line, exit 1, a valid pcap of its $n whole records"

# zstd truncated: whole blocks only; zstd -d writes the same ones.
size=$(stat -c %s big2.pcap.zst)
head -c $((size / 2)) big2.pcap.zst >half.pcap.zst
zstd -q -d -c half.pcap.zst >halfz.raw 2>/dev/null || true
whole_records halfz.raw halfz_expected.pcap
st=0
"$DDUMP" half.pcap.zst >halfz.pcap 2>halfz.err || st=$?
assert_eq 1 "$st" "exit status, truncated zstd"
assert_eq "ddump: half.pcap.zst: truncated zstd data: it ends inside frame 1, after $((size / 2)) compressed bytes" \
    "$(grep -F 'half.pcap.zst: truncated' halfz.err)" "error line, truncated zstd"
same_records halfz.pcap halfz_expected.pcap "zstd records before the truncation"
n=$(valid_pcap halfz.pcap)
(( n > 1000 )) || fail "only $n records before the zstd truncation"
pass "truncated zstd: one line, exit 1, a valid pcap of its $n whole records"

# Corrupt: the member's CRC-32 (RFC 1952 2.3.1, the trailer's first 4 bytes)
# inverted. Everything decodes, then zlib's check fails: every record goes
# out, then the line. (Damage inside the deflate data may decode to garbage
# the pcap decoder refuses first; tests/unit/test_compressed_input.cpp.)
size=$(stat -c %s big1.pcap.gz)
"$E2E_PYTHON" -c '
d = bytearray(open("big1.pcap.gz", "rb").read())
for i in range(len(d) - 8, len(d) - 4): d[i] ^= 0xff
open("bad.pcap.gz", "wb").write(d)'
st=0
"$DDUMP" bad.pcap.gz c.pcap >bad.pcap 2>bad.err || st=$?
assert_eq 1 "$st" "exit status, corrupt gzip"
assert_eq "ddump: bad.pcap.gz: corrupt gzip data in member 1, found at compressed byte $((size - 4)) (zlib: incorrect data check)" \
    "$(grep -F 'bad.pcap.gz: corrupt' bad.err)" "error line, corrupt gzip"
mergecap -F pcap -w bad_m.pcap big1.pcap c.pcap
same_records bad.pcap bad_m.pcap "every record before the check failed"
assert_eq 62500 "$(valid_pcap bad.pcap)" "records merged"
pass "corrupt gzip: one line, exit 1, a valid pcap with the records before the damage"
