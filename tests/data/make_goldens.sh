#!/usr/bin/env bash
# Writes and verifies the golden files for the captured fixtures in DIR
# (default: tests/data).  Uses only tshark/tcpdump/capinfos, never ddump code.
#
#   NAME.records        one line per record: "ts_sec ts_frac caplen len"
#                       (decimal integers; ts_frac = the record's raw fraction
#                       field: microseconds for *_usec files, nanoseconds for
#                       *_nsec files), from
#                       tshark -r NAME.pcap -T fields -e frame.time_epoch -e frame.cap_len -e frame.len
#                       (time_epoch "S.FFFFFFFFF" split at the dot; for usec
#                       files the last 3 digits must be 000 and are dropped).
#   NAME.tcpdump.out    stdout of: TZ=GMT0 unshare -n tcpdump -tt -nr NAME.pcap
#                       (unshare -n: an empty netns with only lo (ifindex 1),
#                       so for SLL2 tcpdump prints "lo" / "ifindex N" instead
#                       of whatever the reading host calls that ifindex).
#   NAME.tcpdump-nano.out   (*_nsec files only) same with
#                       --time-stamp-precision=nano (9-digit timestamps).
#
# Verification (fails loudly): capinfos and tcpdump read every file without
# error; tshark and tcpdump agree on every timestamp; each big-endian file
# gives byte-identical tcpdump output and records to its little-endian source.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(cd "${1:-$HERE}" && pwd)
export TZ=GMT0
cd "$DIR"

GOOD=(sll_le_usec sll2_le_usec sll_le_nsec sll2_le_nsec en10mb_le_usec sll_be_usec sll2_be_nsec)
die() { echo "make_goldens: $*" >&2; exit 1; }

for n in "${GOOD[@]}"; do
    f=$n.pcap
    [[ -f $f ]] || die "missing $f"
    case $n in
        *_nsec) digits=9 ;;
        *) digits=6 ;;
    esac
    capinfos "$f" >/dev/null || die "capinfos failed on $f"
    tshark -r "$f" -T fields -e frame.time_epoch -e frame.cap_len -e frame.len 2>/dev/null |
        awk -v d="$digits" -v f="$f" '
            {
                split($1, t, ".")
                if (length(t[2]) != 9) { print f ": unexpected time_epoch " $1 > "/dev/stderr"; exit 1 }
                frac = substr(t[2], 1, d); rest = substr(t[2], d + 1)
                if (rest !~ /^0*$/) { print f ": sub-unit digits in " $1 > "/dev/stderr"; exit 1 }
                printf "%d %d %d %d\n", t[1], frac, $2, $3
            }' >"$n.records"
    unshare -n tcpdump -tt -nr "$f" >"$n.tcpdump.out" 2>"$n.stderr.tmp" ||
        die "tcpdump -r $f failed: $(cat "$n.stderr.tmp")"
    grep -q -i -E 'error|truncat|cut short' "$n.stderr.tmp" && die "tcpdump complained about $f: $(cat "$n.stderr.tmp")"
    rm -f "$n.stderr.tmp"
    if [[ $digits == 9 ]]; then
        unshare -n tcpdump -tt -nr "$f" --time-stamp-precision=nano >"$n.tcpdump-nano.out" 2>/dev/null
        ts_tcpdump=$(awk '{print $1}' "$n.tcpdump-nano.out")
    else
        ts_tcpdump=$(awk '{print $1}' "$n.tcpdump.out")
    fi
    ts_tshark=$(awk -v d="$digits" '{printf "%d.%0" d "d\n", $1, $2}' "$n.records")
    [[ "$ts_tcpdump" == "$ts_tshark" ]] || die "$f: tcpdump and tshark timestamps differ"
    nrec=$(wc -l <"$n.records")
    nout=$(wc -l <"$n.tcpdump.out")
    [[ $nrec == "$nout" && $nrec -gt 0 ]] || die "$f: $nrec records but $nout tcpdump lines"
    echo "$f: $nrec records, $(stat -c %s "$f") bytes"
done

# Big-endian copies must read exactly like their sources.
for pair in sll_be_usec:sll_le_usec sll2_be_nsec:sll2_le_nsec; do
    be=${pair%%:*} le=${pair#*:}
    cmp -s "$be.tcpdump.out" "$le.tcpdump.out" || die "$be vs $le: tcpdump output differs"
    cmp -s "$be.records" "$le.records" || die "$be vs $le: records differ"
    if [[ -f $le.tcpdump-nano.out ]]; then
        cmp -s "$be.tcpdump-nano.out" "$le.tcpdump-nano.out" || die "$be vs $le: nano output differs"
    fi
    od -A n -t x1 -N 4 "$be.pcap" | grep -q -E '^ a1 b2 (c3 d4|3c 4d)$' || die "$be.pcap: not a big-endian magic"
    echo "$be.pcap reads identically to $le.pcap"
done

# The four "-i any" captures were taken simultaneously (make_captures.sh), so
# converting each SLL2 file's headers to SLL must give the SLL file byte for
# byte: sll_le_usec.pcap / sll_le_nsec.pcap are exact SLL2->SLL conversion
# goldens for sll2_le_usec.pcap / sll2_le_nsec.pcap.  (Independent check
# script, not ddump code.)
/usr/bin/python3 - <<'PY'
import struct, sys
def recs(fn):
    d = open(fn, "rb").read()
    off, out = 24, []
    while off < len(d):
        s, f, c, l = struct.unpack_from("<IIII", d, off)
        off += 16
        out.append((s, f, c, l, d[off:off + c]))
        off += c
    return d[:24], out
for sll2, sll in (("sll2_le_usec.pcap", "sll_le_usec.pcap"),
                  ("sll2_le_nsec.pcap", "sll_le_nsec.pcap")):
    g, rs = recs(sll2)
    conv = bytearray(g[:20] + struct.pack("<I", 113))
    for s, f, c, l, p in rs:
        proto, _res, _ifindex, hatype, pkttype, halen = struct.unpack_from(">HHIHBB", p, 0)
        hdr = struct.pack(">HHH", pkttype, hatype, halen) + p[12:20] + struct.pack(">H", proto)
        conv += struct.pack("<IIII", s, f, c - 4, l - 4) + hdr + p[20:]
    if bytes(conv) != open(sll, "rb").read():
        sys.exit("make_goldens: %s converted to SLL differs from %s" % (sll2, sll))
    print("%s == SLL2->SLL conversion of %s (byte-exact)" % (sll, sll2))
PY
