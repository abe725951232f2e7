#!/usr/bin/python3
"""Convert a little-endian classic pcap file to big-endian.

Usage: /usr/bin/python3 make_bigendian.py IN_LE.pcap OUT_BE.pcap

Byte-swaps the 24-byte global header (magic, version, thiszone, sigfigs,
snaplen, linktype) and every 16-byte record header (ts_sec, ts_frac, caplen,
len).  Packet bytes are copied unchanged.  Works for both the microsecond
(0xa1b2c3d4) and nanosecond (0xa1b23c4d) magics; the magic keeps its value
and is simply written in big-endian byte order (a1 b2 c3 d4 / a1 b2 3c 4d).

No common tool writes big-endian pcap on x86 (libpcap always writes host
byte order), hence this script.  Stdlib only; deterministic.
"""
import struct
import sys

MAGICS = (0xA1B2C3D4, 0xA1B23C4D)


def convert(data: bytes) -> "tuple[bytes, int]":
    if len(data) < 24:
        raise SystemExit("input shorter than a pcap global header")
    (magic,) = struct.unpack_from("<I", data, 0)
    if magic not in MAGICS:
        raise SystemExit("input is not a little-endian pcap file (magic %#010x)" % magic)
    ghdr = struct.unpack_from("<IHHiIII", data, 0)
    out = bytearray(struct.pack(">IHHiIII", *ghdr))
    off = 24
    n = 0
    while off < len(data):
        if off + 16 > len(data):
            raise SystemExit("truncated record header at offset %d" % off)
        ts_sec, ts_frac, caplen, length = struct.unpack_from("<IIII", data, off)
        off += 16
        if off + caplen > len(data):
            raise SystemExit("truncated record body at offset %d" % off)
        out += struct.pack(">IIII", ts_sec, ts_frac, caplen, length)
        out += data[off:off + caplen]
        off += caplen
        n += 1
    return bytes(out), n


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    out, n = convert(data)
    assert len(out) == len(data)
    with open(sys.argv[2], "wb") as f:
        f.write(out)
    print("%s -> %s: %d records byte-swapped" % (sys.argv[1], sys.argv[2], n))


if __name__ == "__main__":
    main()
