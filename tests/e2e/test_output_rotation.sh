#!/usr/bin/env bash
# Rotation as tcpdump: -C SIZE names FILE, FILE1, FILE2... each a complete
# capture that passed SIZE before the next began (all but the last) and had
# not before its last record, as many files as that rule makes, together
# holding every packet in merged order (pcap and pcapng, every file read
# alone by capinfos and tshark; pcapng files each with their own section and
# interfaces); -C with -W N keeps a ring FILE0..FILE(N-1); -G SEC with -W N
# stops after N strftime-named files, SEC apart, each after the first a whole
# SEC long (pcap and pcapng); -z CMD runs on each closed file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd mergecap editcap capinfos tcpdump tshark
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

make_pcap a.pcap 3000 1 40
make_pcap b.pcap 2000 2 60
mergecap -F pcap -w expected.pcap a.pcap b.pcap
cat >zrec.sh <<'SH'
#!/bin/sh
# -z hook: record the closed file's name and packet count.
echo "$1 $(capinfos -c -M "$1" | awk '/Number of packets/ {print $NF}')" >>"$(dirname "$1")/zlog"
SH
chmod +x zrec.sh

# rot_check.py chain LIMIT FILE...: the files of one -C LIMIT run, in order,
#   checked against the rule (each pcap or pcapng, pcapng with its own section
#   header first and the interfaces its packets use); prints their packet
#   counts. The statistics blocks a pcapng file gets at its close do not count.
# rot_check.py plan LIMIT PCAP: the packet counts the rule makes of PCAP's
#   records written as pcap files.
# rot_check.py valid FILE...: each file complete on its own, as above.
cat >rot_check.py <<'PY'
import struct, sys

def records(path):
    """(size, offsets): the file's size without closing statistics, and where
    each packet's bytes begin (in pcapng with the interfaces written for it)."""
    data = open(path, "rb").read()
    offsets, size = [], len(data)
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        off, interfaces, first = 0, 0, None
        while off < len(data):
            if off + 12 > len(data):
                sys.exit("%s: a block cut short at byte %d" % (path, off))
            btype, blen = struct.unpack_from("<II", data, off)
            if blen < 12 or blen % 4 or off + blen > len(data):
                sys.exit("%s: bad block length %d at byte %d" % (path, blen, off))
            if (off == 0) != (btype == 0x0A0D0D0A):
                sys.exit("%s: its section header is not its first and only one (byte %d)" % (path, off))
            if btype == 1:
                interfaces += 1
                first = off if first is None else first
            elif btype == 6:
                (iface,) = struct.unpack_from("<I", data, off + 8)
                if iface >= interfaces:
                    sys.exit("%s: the packet at byte %d is on interface %d of %d described in this file"
                             % (path, off, iface, interfaces))
                offsets.append(off if first is None else first)
                first = None
            elif btype == 5:
                size = min(size, off)
            off += blen
    elif data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        off = 24
        while off + 16 <= len(data):
            offsets.append(off)
            off += 16 + struct.unpack_from("<I", data, off + 8)[0]
        if off != len(data):
            sys.exit("%s: its last record is cut short" % path)
    else:
        sys.exit("%s: neither pcap nor pcapng" % path)
    return size, offsets

mode, args = sys.argv[1], sys.argv[2:]
if mode == "valid":
    for f in args:
        records(f)
elif mode == "plan":
    limit, (size, offsets) = int(args[0]), records(args[1])
    counts, cur, ends = [0], 24, offsets[1:] + [size]
    for start, end in zip(offsets, ends):
        if cur > limit:
            counts.append(0)
            cur = 24
        counts[-1] += 1
        cur += end - start
    print(" ".join(map(str, counts)))
elif mode == "chain":
    # A new file starts before a record once the current one has passed
    # LIMIT bytes: every file but the last did, none did before its last record.
    limit, files, counts = int(args[0]), args[1:], []
    for i, f in enumerate(files):
        size, offsets = records(f)
        if not offsets:
            sys.exit("%s: no packet" % f)
        if offsets[-1] > limit:
            sys.exit("%s: %d bytes before its last packet, past -C %d: no rotation there"
                     % (f, offsets[-1], limit))
        if i + 1 < len(files) and size <= limit:
            sys.exit("%s: the next file began at %d bytes, not past -C %d" % (f, size, limit))
        counts.append(len(offsets))
    print(" ".join(map(str, counts)))
PY
# rotated FILE: FILE FILE1 FILE2 ... as written (tcpdump's -C naming)
rotated() { ls "$1"* | sort -V; }

# -C 50k: 51,200-byte files, as many as the rule makes of the merge.
mkdir c && "$DDUMP" -q -C 50k -z "$PWD/zrec.sh" -w c/out.pcap a.pcap b.pcap || fail "-C exit $?"
mapfile -t chain < <(rotated c/out.pcap)
nfiles=${#chain[@]}
assert_eq "c/out.pcap $(seq -f 'c/out.pcap%g' 1 $((nfiles - 1)) | tr '\n' ' ')" "${chain[*]} " "tcpdump's -C naming"
planned=$("$E2E_PYTHON" rot_check.py plan 51200 expected.pcap) || fail "plan: $planned"
out=$("$E2E_PYTHON" rot_check.py chain 51200 "${chain[@]}" 2>&1) || fail "-C 50k: $out"
assert_eq "$planned" "$out" "packets per file with -C 50k (each file just past 51,200 bytes but the last)"
assert_ge "$nfiles" 4 "files written with -C 50k"
for f in "${chain[@]}"; do strict_order "$f"; done
# Concatenated, the records are the merge, byte for byte.
for f in "${chain[@]}"; do records_of "$f"; done >all.records
cmp -s all.records <(records_of expected.pcap) || fail "rotated records differ from mergecap's merge"
assert_eq "$nfiles" "$(wc -l <c/zlog)" "-z ran once per closed file"
assert_contains "$(cat c/zlog)" "c/out.pcap$((nfiles - 1)) " "-z ran on the last file too"
pass "-C: $nfiles files of $out packets; -z on each; records = the merge"

# -C with -W 3: a ring of 3 files, zero-padded from 0.
mkdir w && "$DDUMP" -q -C 50k -W 3 -w w/ring.pcap a.pcap b.pcap || fail "-C -W exit $?"
assert_eq "ring.pcap0 ring.pcap1 ring.pcap2 " "$(cd w && ls | tr '\n' ' ')" "ring names"
for f in w/ring.pcap{0..2}; do
    capinfos "$f" >/dev/null || fail "capinfos $f"
    valid_pcap "$f" >/dev/null
done
# The same nfiles files were written round the ring: the last one went to
# slot (nfiles-1) % 3 and ends with the merge's last record.
last=$(( (nfiles - 1) % 3 ))
cmp -s <(tail -c 200 "w/ring.pcap$last") <(tail -c 200 expected.pcap) || fail "slot $last does not end the merge"
pass "-C -W 3: ring.pcap0..2, each valid"

# tshark_alone FILE: tshark reads FILE by itself without a word on stderr,
# and in a pcapng file names the interface of every packet; sets PACKETS.
PACKETS=0
tshark_alone() {
    local names
    names=$(tshark -r "$1" -T fields -e frame.number -e frame.interface_name 2>tshark.err) ||
        fail "tshark -r $1: $(cat tshark.err)"
    assert_eq "" "$(grep -v 'Running as user "root"' tshark.err || true)" "tshark -r $1 stderr"
    PACKETS=$(grep -c '^[0-9]' <<<"$names" || true)
    if [[ "$1" == *.pcapng* ]]; then
        assert_eq 0 "$(grep -c $'^[0-9]*\t*$' <<<"$names" || true)" "packets of $1 without an interface name"
    fi
}

# pcapng -C 100k: the same rule over pcapng blocks; every file its own section
# and interfaces, so each is read alone.
mkdir n && "$DDUMP" -q -F pcapng -C 100k -w n/x.pcapng a.pcap b.pcap || fail "pcapng -C exit $?"
mapfile -t chain < <(rotated n/x.pcapng)
nfiles=${#chain[@]}
assert_eq "n/x.pcapng $(seq -f 'n/x.pcapng%g' 1 $((nfiles - 1)) | tr '\n' ' ')" "${chain[*]} " "-C naming with pcapng"
out=$("$E2E_PYTHON" rot_check.py chain 102400 "${chain[@]}" 2>&1) || fail "pcapng -C 100k: $out"
assert_ge "$nfiles" 4 "pcapng files written with -C 100k (~440 kB of blocks)"
total=0
for f in "${chain[@]}"; do
    assert_contains "$(capinfos "$f")" "Strict time order:   True" "order in $f"
    tshark_alone "$f"
    total=$((total + PACKETS))
    editcap -F pcap "$f" "$f.pcap" || fail "editcap $f"
done
assert_eq 5000 "$total" "pcapng rotated files hold every packet"
for f in "${chain[@]}"; do records_of "$f.pcap"; done >ng.records
cmp -s ng.records <(records_of expected.pcap) || fail "pcapng rotated packets differ from mergecap's merge"
pass "pcapng -C: $nfiles files of $out packets, each its own section, together the merge"

# -G 1 -W 2, pcap and pcapng at once: strftime names, a new file at each
# second, a stop after two. The first file began mid-second; the second is a
# whole second of packets (100 a second, stamped as sent).
fake_start fw
stamped=(-G 1 -W 2 -z "$PWD/zrec.sh")
mkdir g gn
start=$(date +%s%N)
spawn gpcap "$DDUMP" -q "${stamped[@]}" -w 'g/t-%Y%m%d-%H%M%S.pcap' \
    "http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=100"
spawn gpcapng "$DDUMP" -q -F pcapng "${stamped[@]}" -w 'gn/t-%Y%m%d-%H%M%S.pcapng' \
    "http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=100"
wait_exit gpcap 20 0 || fail "-G 1 -W 2 did not stop by itself"
wait_exit gpcapng 20 0 || fail "-F pcapng -G 1 -W 2 did not stop by itself"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_ge "$elapsed" 1000 "-G 1 -W 2 ran into its second period (ms)"
assert_le "$elapsed" 5000 "-G 1 -W 2 stopped by itself (ms)"
# named FILE: the time in FILE's name (t-%Y%m%d-%H%M%S...), in epoch seconds
named() { date -d "$(sed -E 's/^t-(....)(..)(..)-(..)(..)(..)\..*/\1-\2-\3 \4:\5:\6/' <<<"$1")" +%s; }
for dir in g gn; do
    ext=pcap
    [[ $dir == gn ]] && ext=pcapng
    files=()
    for f in "$dir"/t-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]."$ext"; do
        [[ -e "$f" ]] && files+=("${f##*/}")
    done
    assert_eq 2 "${#files[@]}" "two strftime-named files in $dir: $(ls "$dir" | tr '\n' ' ')"
    out=$("$E2E_PYTHON" rot_check.py valid "$dir/${files[0]}" "$dir/${files[1]}" 2>&1) || fail "-G $ext: $out"
    for f in "${files[@]}"; do
        tshark_alone "$dir/$f"
        assert_ge "$PACKETS" 1 "packets in $dir/$f"
    done
    apart=$(( $(named "${files[1]}") - $(named "${files[0]}") ))
    assert_ge "$apart" 1 "seconds between the $ext files' names"
    assert_le "$apart" 2 "seconds between the $ext files' names"
    # The period is wall-clock time at the write (as tcpdump's), and a packet
    # is stamped before it is written: the first file holds only packets
    # stamped before the second file's second began, the second file only
    # packets stamped within its second. (Bounds on the first packet would
    # depend on how promptly a loaded machine schedules the fake worker.)
    second=$(named "${files[1]}")
    read -r _ last1 < <(capinfos -T -r -a -e -S "$dir/${files[0]}" | cut -f2,3)
    read -r first2 last2 < <(capinfos -T -r -a -e -S "$dir/${files[1]}" | cut -f2,3)
    in_order() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
    before() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
    before "$last1" "$second" || fail "-G $ext: first file's last packet $last1 is not before $second"
    in_order "$last1" "$first2" || fail "-G $ext: files out of order ($last1 then $first2)"
    before "$last2" "$((second + 1))" || fail "-G $ext: second file's last packet $last2 is past its second $second"
    assert_eq 2 "$(wc -l <"$dir/zlog")" "-z on both -G $ext files"
done
pass "-G 1 -W 2: two strftime-named files 1 s apart, each holding its own second, then a clean stop (pcap, pcapng)"

# A long -C run must not pile up -z zombies: finished commands are reaped as
# new ones start (tcpdump reaps them from SIGCHLD). 40 B records at 2000 pps
# and -C 4k close a file about every 60 ms.
mkdir z
spawn zrun "$DDUMP" -q -C 4k -z /bin/true -w z/out.pcap "http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=2000"
zpid=$SPAWN_PID
wait_for 20 bash -c "(( \$(ls z | wc -l) >= 30 ))" || fail "-C 4k made $(ls z | wc -l) files"
zombies=$(ps --ppid "$zpid" -o stat= | grep -c '^Z' || true)
assert_le "$zombies" 2 "-z zombies waiting to be reaped after $(ls z | wc -l) files"
stop zrun INT
pass "-C with -z: finished commands are reaped while it runs ($zombies zombies after 30+ files)"
