#!/usr/bin/env bash
# Rotation as tcpdump: -C SIZE names FILE, FILE1, FILE2... each a
# complete capture no bigger than SIZE plus one record, together holding every
# packet in merged order (pcap and pcapng, checked with capinfos on every
# file); -C with -W N keeps a ring FILE0..FILE(N-1); -G SEC with -W N stops
# after N strftime-named files; -z CMD runs on each closed file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd mergecap capinfos tcpdump tshark
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

# -C 50k: 51,200-byte files.
mkdir c && "$DDUMP" -q -C 50k -z "$PWD/zrec.sh" -w c/out.pcap a.pcap b.pcap || fail "-C exit $?"
nfiles=$(ls c/out.pcap* | wc -l)
assert_ge "$nfiles" 4 "files written with -C 50k"
files=$(cd c && ls out.pcap* | sort -V | tr '\n' ' ')
assert_eq "out.pcap $(seq -f 'out.pcap%g' 1 $((nfiles - 1)) | tr '\n' ' ')" "$files" "tcpdump's -C naming"
chain=(c/out.pcap $(seq -f 'c/out.pcap%g' 1 $((nfiles - 1))))
total=0
for f in "${chain[@]}"; do
    n=$(capinfos -c -M "$f" | awk '/Number of packets/ {print $NF}') || fail "capinfos $f"
    strict_order "$f"
    assert_le "$(stat -c %s "$f")" $((51200 + 16 + 100)) "size of $f"
    total=$((total + n))
done
assert_eq 5000 "$total" "every packet in exactly one file"
# Concatenated, the records are the merge, byte for byte.
for f in "${chain[@]}"; do records_of "$f"; done >all.records
cmp -s all.records <(records_of expected.pcap) || fail "rotated records differ from mergecap's merge"
assert_eq "$nfiles" "$(wc -l <c/zlog)" "-z ran once per closed file"
assert_contains "$(cat c/zlog)" "c/out.pcap$((nfiles - 1)) " "-z ran on the last file too"
pass "-C: $files; -z on each; records = the merge"

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

# pcapng rotation: every file has its own section and interfaces.
mkdir n && "$DDUMP" -q -F pcapng -C 100k -w n/x.pcapng a.pcap b.pcap || fail "pcapng -C exit $?"
total=0
for f in n/*; do
    info=$(capinfos "$f") || fail "capinfos $f"
    assert_contains "$info" "Strict time order:   True" "order in $f"
    total=$((total + $(tshark -r "$f" 2>/dev/null | wc -l)))
done
assert_eq 5000 "$total" "pcapng rotated files hold every packet"
pass "pcapng rotation: $(ls n | wc -l) valid files"

# -G 1 -W 2: strftime names, a new file each second, stop after two.
fake_start fw
mkdir g
start=$(date +%s)
timeout 20 "$DDUMP" -q -G 1 -W 2 -z "$PWD/zrec.sh" -w 'g/t-%Y%m%d-%H%M%S.pcap' \
    "http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=100" || fail "-G -W exit $?"
elapsed=$(( $(date +%s) - start ))
assert_le "$elapsed" 5 "-G 1 -W 2 stopped by itself (s)"
files=$(ls g | grep -c '^t-[0-9]\{8\}-[0-9]\{6\}\.pcap$' || true)
assert_eq 2 "$files" "two strftime-named files"
for f in g/t-*.pcap; do assert_ge "$(valid_pcap "$f")" 1 "packets in $f"; done
assert_eq 2 "$(wc -l <g/zlog)" "-z on both -G files"
pass "-G 1 -W 2: two strftime-named files, then a clean stop"

# A long -C run must not pile up -z zombies: finished commands are reaped as
# new ones start (tcpdump reaps them from SIGCHLD). 40 B records at 2000 pps
# and -C 4k close a file about every 60 ms.
mkdir z
spawn zrun "$DDUMP" -q -C 4k -z /bin/true -w z/out.pcap "http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=2000"
zpid=$SPAWN_PID
wait_for 20 bash -c "(( \$(ls z | wc -l) >= 30 ))" || fail "-C 4k made $(ls z | wc -l) files"
zombies=$(ps --ppid "$zpid" -o stat= | grep -c '^Z' || true)
assert_le "$zombies" 2 "-z zombies waiting to be reaped after $(ls z | wc -l) files"
stop zrun
pass "-C with -z: finished commands are reaped while it runs ($zombies zombies after 30+ files)"
