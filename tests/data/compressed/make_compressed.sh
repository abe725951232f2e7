#!/usr/bin/env bash
# Writes the compressed fixtures, from ../sll_le_usec.pcap (1 pcap, 15
# records, 2033 bytes), with the real tools: gzip 1.12 and zstd 1.5.4
# (Debian bookworm). gzip -n leaves out name and time, so the bytes depend on
# the tool's version alone; the exact error texts the unit tests expect
# (tests/unit/test_compressed_input.cpp) come from these bytes.
#
#   sll_le_usec.pcap.gz      gzip -n -9
#   sll_le_usec.pcap.zst     zstd -19 (with its content checksum)
#   members.pcap.gz          two gzip members, split at byte 1000 (inside
#                            record 9): `cat a.gz b.gz`, as gzip -d reads it
#   empty_member.pcap.gz     an empty member, then the whole file's
#   frames.pcap.zst          two zstd frames, split at byte 1000
#   truncated.pcap.gz        the first 300 of the 506 bytes of sll_le_usec.pcap.gz
#   truncated.pcap.zst       the first 300 of the 475 bytes of sll_le_usec.pcap.zst
#   corrupt.pcap.gz          sll_le_usec.pcap.gz with byte 200 inverted
#   corrupt.pcap.zst         sll_le_usec.pcap.zst with byte 200 inverted
#   trailing.pcap.gz         sll_le_usec.pcap.gz followed by "not gzip\n"
set -euo pipefail
cd "$(dirname "$0")"
src=../sll_le_usec.pcap
gzip -n -9 -c "$src" >sll_le_usec.pcap.gz
zstd -q -19 -c "$src" >sll_le_usec.pcap.zst
{ head -c 1000 "$src" | gzip -n -9 -c; tail -c +1001 "$src" | gzip -n -9 -c; } >members.pcap.gz
{ gzip -n -9 -c </dev/null; cat sll_le_usec.pcap.gz; } >empty_member.pcap.gz
{ head -c 1000 "$src" | zstd -q -19 -c; tail -c +1001 "$src" | zstd -q -19 -c; } >frames.pcap.zst
head -c 300 sll_le_usec.pcap.gz >truncated.pcap.gz
head -c 300 sll_le_usec.pcap.zst >truncated.pcap.zst
invert() {  # IN OUT OFFSET
    /usr/bin/python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[int(sys.argv[3])] ^= 0xff; open(sys.argv[2], "wb").write(d)' "$@"
}
invert sll_le_usec.pcap.gz corrupt.pcap.gz 200
invert sll_le_usec.pcap.zst corrupt.pcap.zst 200
{ cat sll_le_usec.pcap.gz; printf 'not gzip\n'; } >trailing.pcap.gz
ls -l ./*.gz ./*.zst
