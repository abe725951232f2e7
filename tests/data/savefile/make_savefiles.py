#!/usr/bin/python3
"""Generate the savefile-tolerance fixtures, byte-exact and deterministic.

Usage: /usr/bin/python3 make_savefiles.py [OUT_DIR]     (default: this directory)

Files that libpcap 1.10 (sf-pcap.c) and Wireshark 4.0 (wiretap/libpcap.c)
both read, though their headers say something the records do not keep to,
and two that both refuse. Little-endian, microsecond magic, thiszone and
sigfigs 0, LINKTYPE_ETHERNET (1); frames are synthetic Ethernet/IPv4/UDP
(10.213.0.1:40000 -> 10.213.0.2:9999, payload "ddump-savefile-<k>-<i>"
padded with dots). Record i of file k is stamped 1700000000 + 100 k + i s,
i * 1000 us, so that all the accepted files merge in one known order.
"caplen/len" below are the record's real values; "written" is the order of
the two fields in the file when it differs.

Accepted by both:
  snaplen_understated.pcap   snaplen 13; 3 records 38/38, 60/60, 42/42 (every
                             record longer than the snaplen)
  snaplen_exceeded_late.pcap snaplen 96; 60/60, 96/200, 150/150, 80/80 (only
                             record 3 is longer than the snaplen)
  caplen_gt_len.pcap         snaplen 65535; 57/57, 34/32 (caplen > len), 57/57
  snaplen_huge.pcap          snaplen 18546945; 57/57, 50/50
  snaplen_over_int_max.pcap  snaplen 0x81040000; 57/57, 50/50
  snaplen_zero.pcap          snaplen 0; 57/57, 50/50
  version_2_2.pcap           version 2.2, snaplen 65535: every record written
                             len first (the order before 2.3); 60/100, 57/57
  version_2_3.pcap           version 2.3, snaplen 65535: 57/57 and 40/57 in
                             today's order, then 40/57 written len first
                             (57, 40: the readers swap because caplen > len)
  version_543_0.pcap         version 543.0 (DG/UX), snaplen 65535: written len
                             first; 60/100, 57/57

Refused by both:
  caplen_over_bound.pcap     snaplen 65535; 57/57, 50/50, 45/45, then a record
                             header with caplen = len = 262145 and 64 bytes
                             (three good records first: wiretap guesses the
                             pcap variant from the first three, and would
                             otherwise take the file for another one)
  version_1_0.pcap           version 1.0 + 1 valid record
"""
import os
import struct
import sys

MAGIC_US = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1


def ghdr(snaplen, major=2, minor=4):
    return struct.pack("<IHHiIII", MAGIC_US, major, minor, 0, 0, snaplen, LINKTYPE_ETHERNET)


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(k: int, i: int, size: int) -> bytes:
    """An Ethernet/IPv4/UDP frame of exactly `size` bytes (>= 42)."""
    payload = ("ddump-savefile-%d-%d" % (k, i)).encode().ljust(size - 42, b".")[: size - 42]
    udp_len = 8 + len(payload)
    udp = struct.pack("!HHHH", 40000, 9999, udp_len, 0) + payload  # UDP csum 0 = none
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, i, 0x4000, 64, 17, 0,
                     bytes([10, 213, 0, 1]), bytes([10, 213, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001" "0800")
    out = eth + ip + udp
    assert len(out) == size
    return out


def rec(k, i, caplen, length, len_first=False, body=None):
    """Record i of file k: `caplen` bytes of a `length`-byte frame."""
    data = frame(k, i, max(length, caplen, 42))[:caplen] if body is None else body
    a, b = (length, caplen) if len_first else (caplen, length)
    return struct.pack("<IIII", 1700000000 + 100 * k + i, i * 1000, a, b) + data


def files():
    out = {}
    out["snaplen_understated.pcap"] = ghdr(13) + rec(1, 0, 38, 38) + rec(1, 1, 60, 60) + rec(1, 2, 42, 42)
    out["snaplen_exceeded_late.pcap"] = (ghdr(96) + rec(2, 0, 60, 60) + rec(2, 1, 96, 200) +
                                         rec(2, 2, 150, 150) + rec(2, 3, 80, 80))
    out["caplen_gt_len.pcap"] = (ghdr(65535) + rec(3, 0, 57, 57) +
                                 rec(3, 1, 34, 32, body=frame(3, 1, 42)[:34]) + rec(3, 2, 57, 57))
    for k, (name, snaplen) in enumerate([("snaplen_huge.pcap", 18546945),
                                         ("snaplen_over_int_max.pcap", 0x81040000),
                                         ("snaplen_zero.pcap", 0)], start=4):
        out[name] = ghdr(snaplen) + rec(k, 0, 57, 57) + rec(k, 1, 50, 50)
    out["version_2_2.pcap"] = (ghdr(65535, 2, 2) + rec(7, 0, 60, 100, len_first=True) +
                               rec(7, 1, 57, 57, len_first=True))
    out["version_2_3.pcap"] = (ghdr(65535, 2, 3) + rec(8, 0, 57, 57) + rec(8, 1, 40, 57) +
                               rec(8, 2, 40, 57, len_first=True))
    out["version_543_0.pcap"] = (ghdr(65535, 543, 0) + rec(9, 0, 60, 100, len_first=True) +
                                 rec(9, 1, 57, 57, len_first=True))
    giant = struct.pack("<IIII", 1700001003, 3000, 262145, 262145) + bytes(64)
    out["caplen_over_bound.pcap"] = (ghdr(65535) + rec(10, 0, 57, 57) + rec(10, 1, 50, 50) +
                                     rec(10, 2, 45, 45) + giant)
    out["version_1_0.pcap"] = ghdr(65535, 1, 0) + rec(11, 0, 57, 57)
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, data in sorted(files().items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        print("%-28s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
