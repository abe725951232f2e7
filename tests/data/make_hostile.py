#!/usr/bin/python3
"""Generate the hostile / malformed pcap fixtures, byte-exact and deterministic.

Usage: /usr/bin/python3 make_hostile.py [OUT_DIR]     (default: this directory)

All files are little-endian, microsecond magic (0xa1b2c3d4 -> d4 c3 b2 a1),
version 2.4, thiszone 0, sigfigs 0, snaplen 262144, LINKTYPE_ETHERNET (1)
unless stated otherwise.  Packets are synthetic Ethernet/IPv4/UDP frames
(10.213.0.1:40000 -> 10.213.0.2:9999, payload "ddump-hostile-<i>") with
record i having ts = 1700000000+i s, i*1000 us.

  bad_magic.pcap           24 bytes: global header with magic 0xdeadbeef
                           (bytes ef be ad de), otherwise valid; no records
  bad_version.pcap         version 3.0 (otherwise valid) + 1 valid record
  huge_snaplen.pcap        snaplen 0x10000000 + 2 valid records
  truncated_header.pcap    1 valid record, then only 8 of the 16 bytes of the
                           2nd record header
  truncated_record.pcap    1 valid record, then a full 2nd record header and
                           only the first half of its body
  giant_caplen.pcap        1 valid record, then a record header with
                           caplen = len = 0x7fffffff followed by 64 bytes
  caplen_gt_len.pcap       1 valid record, then a record with caplen = 57
                           (the full frame, body present) but len = 47
  caplen_gt_snaplen.pcap   snaplen 64; 1 valid record truncated to 64 bytes
                           (caplen 64, len 100), then a record with
                           caplen = len = 100 (body present)
  header_only.pcap         valid global header, no records (a VALID empty file)
  short_global_header.pcap only the first 10 bytes of a valid global header
  empty_file.pcap          0 bytes
"""
import os
import struct
import sys

MAGIC_US = 0xA1B2C3D4
SNAPLEN = 262144
LINKTYPE_ETHERNET = 1


def ghdr(magic=MAGIC_US, major=2, minor=4, snaplen=SNAPLEN, linktype=LINKTYPE_ETHERNET):
    return struct.pack("<IHHiIII", magic, major, minor, 0, 0, snaplen, linktype)


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i: int, payload_len: int = 0) -> bytes:
    payload = ("ddump-hostile-%d" % i).encode()
    if payload_len:
        payload = payload.ljust(payload_len, b".")
    udp_len = 8 + len(payload)
    udp = struct.pack("!HHHH", 40000, 9999, udp_len, 0) + payload  # UDP csum 0 = none
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, i, 0x4000, 64, 17, 0,
                     bytes([10, 213, 0, 1]), bytes([10, 213, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("02000000000202000000000108 00".replace(" ", ""))
    return eth + ip + udp


def rec(i: int, data: bytes, caplen=None, length=None) -> bytes:
    caplen = len(data) if caplen is None else caplen
    length = len(data) if length is None else length
    return struct.pack("<IIII", 1700000000 + i, i * 1000, caplen, length) + data


def files():
    f0, f1 = frame(0), frame(1)
    assert len(f1) == 57
    out = {}
    out["bad_magic.pcap"] = ghdr(magic=0xDEADBEEF)
    out["bad_version.pcap"] = ghdr(major=3, minor=0) + rec(0, f0)
    out["huge_snaplen.pcap"] = ghdr(snaplen=0x10000000) + rec(0, f0) + rec(1, f1)
    out["truncated_header.pcap"] = ghdr() + rec(0, f0) + rec(1, f1)[:8]
    r1 = rec(1, f1)
    out["truncated_record.pcap"] = ghdr() + rec(0, f0) + r1[:16 + len(f1) // 2]
    out["giant_caplen.pcap"] = (ghdr() + rec(0, f0) +
                                rec(1, frame(1, 64 - 42)[:64], caplen=0x7FFFFFFF,
                                    length=0x7FFFFFFF))
    out["caplen_gt_len.pcap"] = ghdr() + rec(0, f0) + rec(1, f1, length=len(f1) - 10)
    big0, big1 = frame(0, 100 - 42), frame(1, 100 - 42)
    assert len(big0) == len(big1) == 100
    out["caplen_gt_snaplen.pcap"] = (ghdr(snaplen=64) + rec(0, big0[:64], length=100) +
                                     rec(1, big1))
    out["header_only.pcap"] = ghdr()
    out["short_global_header.pcap"] = ghdr()[:10]
    out["empty_file.pcap"] = b""
    return out


def main() -> None:
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, data in sorted(files().items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        print("%-26s %5d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
