#!/usr/bin/python3
"""Writes the pcapng fixtures for common/pcapng_reader, byte by byte (stdlib only).

Usage: /usr/bin/python3 make_pcapng.py [--check]

Layouts follow draft-ietf-opsawg-pcapng (section numbers of the current draft:
3.1 block, 3.5 options, 4.1 SHB, 4.2 IDB, 4.3 EPB, 4.4 SPB, 4.5 NRB, 4.6 ISB,
4.7 DSB, 4.8 custom block, Appendix A the obsolete Packet Block).  Packets
are synthetic Ethernet/IPv4/UDP frames 10.213.0.1:40000 -> 10.213.0.2:9999
whose payload names the packet ("ddump-ng-<i>"), padded to the wanted size.

  epb_le.pcapng, epb_be.pcapng   the same section in both byte orders:
      SHB with opt_comment, shb_hardware, shb_os, shb_userappl, length -1;
      IDB 0 "eth0"   no if_tsresol (10^-6 by default), opt_comment
      IDB 1 "ns0"    if_tsresol 9, if_fcslen 4, if_filter (ignored)
      IDB 2 "bin20"  if_tsresol 0x94 (2^-20 s)
      IDB 3 "offset" if_tsresol 6, if_tsoffset 1700000000 s
      7 EPBs: one per interface, the 2^-20 one twice (a fraction of 1 unit
      and of 2^20 - 1 units, neither a whole number of ns), one with two
      opt_comments, epb_flags 0x5 and epb_dropcount 7, truncated (caplen 40,
      len 1514), one with epb_flags 0x2 only.
  blocks_le.pcapng, blocks_be.pcapng   every other block type:
      SHB version 1.2 with a Section Length that is the section's;
      NRB, DSB (TLS key log), IDB 0 "snap64" (snaplen 64), custom blocks
      0x00000BAD and 0x40000BAD, an unknown standard type 0x00000099 and a
      local one 0x80000001, 2 SPBs (len 100 -> caplen 64; len 30), 2 PBs
      (drops 3 with pack_flags and a comment; drops 0xFFFF: unknown), an
      ISB with all seven statistics and a comment, one EPB.
  two_sections.pcapng   section A little-endian (Section Length given):
      IDB 0 "a0" (10^-6), IDB 1 "a1" (10^-9), an EPB on each, an ISB;
      section B big-endian (-1): IDB 0 "b0" LINKTYPE_RAW 2^-20, IDB 1 "b1"
      10^-3; an EPB on each.  B's interface 1 must use B's resolution.
  en10mb_le_usec.pcapng, sll2_le_nsec.pcapng   not written here: made by
      editcap -F pcapng ../en10mb_le_usec.pcap en10mb_le_usec.pcapng
      editcap -F pcapng ../sll2_le_nsec.pcap sll2_le_nsec.pcapng
      (Editcap 4.0.17; this script runs those when --editcap is given).

--check regenerates the synthetic files into a temporary directory and
fails unless each is byte-identical to the committed one.
"""
import filecmp
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
SHB, IDB, PB, SPB, NRB, ISB, EPB, DSB = (0x0A0D0D0A, 1, 2, 3, 4, 5, 6, 0x0A)
CB_COPY, CB_NO_COPY = 0x00000BAD, 0x40000BAD
PEN = 32473  # the example Private Enterprise Number of RFC 5612


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i, size):
    """An Ethernet/IPv4/UDP frame of exactly `size` bytes (size >= 42 + 12)."""
    payload = ("ddump-ng-%d" % i).encode().ljust(size - 42, b".")
    udp = struct.pack("!HHHH", 40000, 9999, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0x4000, 64, 17, 0,
                     bytes([10, 213, 0, 1]), bytes([10, 213, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001" "0800")
    out = eth + ip + udp
    assert len(out) == size
    return out


class Writer:
    """Blocks in one byte order ('<' or '>')."""

    def __init__(self, order):
        self.o = order

    def u16(self, v):
        return struct.pack(self.o + "H", v)

    def u32(self, v):
        return struct.pack(self.o + "I", v)

    def u64(self, v):
        return struct.pack(self.o + "Q", v)

    def i64(self, v):
        return struct.pack(self.o + "q", v)

    def ts(self, units):
        """A 64-bit timestamp as two 32-bit words, high first (4.3)."""
        return self.u32(units >> 32) + self.u32(units & 0xFFFFFFFF)

    @staticmethod
    def pad(b):
        return b + b"\0" * (-len(b) % 4)

    def opt(self, code, value):
        if isinstance(value, str):
            value = value.encode()
        return self.u16(code) + self.u16(len(value)) + self.pad(value)

    def opts(self, *pairs):
        if not pairs:
            return b""
        return b"".join(self.opt(c, v) for c, v in pairs) + self.u16(0) + self.u16(0)

    def block(self, btype, body):
        body = self.pad(body)
        total = 12 + len(body)
        return self.u32(btype) + self.u32(total) + body + self.u32(total)

    def shb(self, options, minor=0, section_length=-1):
        body = self.u32(0x1A2B3C4D) + self.u16(1) + self.u16(minor) + self.i64(section_length)
        return self.block(SHB, body + options)

    def idb(self, linktype, snaplen, options):
        return self.block(IDB, self.u16(linktype) + self.u16(0) + self.u32(snaplen) + options)

    def epb(self, iface, units, data, length=None, options=b""):
        length = len(data) if length is None else length
        body = self.u32(iface) + self.ts(units) + self.u32(len(data)) + self.u32(length)
        return self.block(EPB, body + self.pad(data) + options)

    def spb(self, length, data):
        return self.block(SPB, self.u32(length) + self.pad(data))

    def pb(self, iface, drops, units, data, options=b""):
        body = (self.u16(iface) + self.u16(drops) + self.ts(units) + self.u32(len(data)) +
                self.u32(len(data)))
        return self.block(PB, body + self.pad(data) + options)

    def isb(self, iface, units, options):
        return self.block(ISB, self.u32(iface) + self.ts(units) + options)


US, NS = 10**6, 10**9


def epb_file(order):
    w = Writer(order)
    out = w.shb(w.opts((1, "ddump pcapng reader fixture"), (2, "x86_64"), (3, "Linux 6.1"),
                       (4, "make_pcapng.py")))
    out += w.idb(LINKTYPE_ETHERNET, 262144,
                 w.opts((2, "eth0"), (3, "first ethernet"), (1, "default resolution")))
    out += w.idb(LINKTYPE_ETHERNET, 65535,
                 w.opts((2, "ns0"), (9, b"\x09"), (13, b"\x04"), (11, b"\x00udp port 9999")))
    out += w.idb(LINKTYPE_ETHERNET, 0, w.opts((2, "bin20"), (9, b"\x94")))
    out += w.idb(LINKTYPE_ETHERNET, 262144,
                 w.opts((2, "offset"), (9, b"\x06"), (14, w.i64(1700000000))))
    out += w.epb(0, 1700000000 * US + 1, frame(1, 60))
    out += w.epb(1, 1700000001 * NS + 123456789, frame(2, 61))
    out += w.epb(2, (1700000002 << 20) + 1, frame(3, 62))
    out += w.epb(2, (1700000002 << 20) + (1 << 20) - 1, frame(4, 63))
    out += w.epb(3, 123456, frame(5, 64))
    out += w.epb(0, 1700000003 * US + 500000, frame(6, 1514)[:40], length=1514,
                 options=w.opts((1, "first comment"), (1, "second\r\nline"), (2, w.u32(0x5)),
                                (4, w.u64(7))))
    out += w.epb(1, 1700000004 * NS + 999999999, frame(7, 70), options=w.opts((2, w.u32(0x2))))
    return out


def blocks_file(order):
    w = Writer(order)
    nrb_records = (w.u16(1) + w.u16(4 + 10) + w.pad(bytes([10, 213, 0, 2]) + b"peer.test\0") +
                   w.u16(0) + w.u16(0))
    keylog = b"CLIENT_RANDOM " + b"00" * 32 + b" " + b"11" * 48 + b"\n"
    dsb_body = w.u32(0x544C534B) + w.u32(len(keylog)) + w.pad(keylog)
    rest = w.block(NRB, nrb_records)
    rest += w.block(DSB, dsb_body)
    rest += w.idb(LINKTYPE_ETHERNET, 64, w.opts((2, "snap64")))
    rest += w.block(CB_COPY, w.u32(PEN) + b"copy me")
    rest += w.spb(100, frame(10, 100)[:64])
    rest += w.spb(30, frame(11, 54)[:30])
    rest += w.block(CB_NO_COPY, w.u32(PEN) + b"do not copy")
    rest += w.block(0x00000099, b"unknown standard type")
    rest += w.block(0x80000001, b"local type")
    rest += w.pb(0, 3, 1700000010 * US + 10, frame(12, 60),
                 options=w.opts((2, w.u32(0x1)), (1, "obsolete packet block")))
    rest += w.pb(0, 0xFFFF, 1700000011 * US + 11, frame(13, 58))
    rest += w.isb(0, 1700000020 * US, w.opts(
        (2, w.ts(1700000000 * US)), (3, w.ts(1700000020 * US)), (4, w.u64(100)), (5, w.u64(1)),
        (6, w.u64(90)), (7, w.u64(2)), (8, w.u64(88)), (1, "final counters")))
    rest += w.epb(0, 1700000021 * US + 21, frame(14, 60))
    shb = w.shb(w.opts((4, "make_pcapng.py")), minor=2, section_length=len(rest))
    return shb + rest


def two_sections_file():
    a = Writer("<")
    body_a = a.idb(LINKTYPE_ETHERNET, 262144, a.opts((2, "a0")))
    body_a += a.idb(LINKTYPE_ETHERNET, 262144, a.opts((2, "a1"), (9, b"\x09")))
    body_a += a.epb(0, 1700000100 * US + 1, frame(20, 60))
    body_a += a.epb(1, 1700000101 * NS + 2, frame(21, 60))
    body_a += a.isb(0, 1700000102 * US, a.opts((4, a.u64(2)), (5, a.u64(0))))
    out = a.shb(a.opts((1, "section A")), section_length=len(body_a)) + body_a
    b = Writer(">")
    out += b.shb(b.opts((1, "section B")))
    out += b.idb(LINKTYPE_RAW, 262144, b.opts((2, "b0"), (9, b"\x94")))
    out += b.idb(LINKTYPE_ETHERNET, 262144, b.opts((2, "b1"), (9, b"\x03")))
    out += b.epb(0, (1700000200 << 20) + (1 << 19), frame(22, 60)[14:])
    out += b.epb(1, 1700000201 * 1000 + 7, frame(23, 60))
    return out


def files():
    return {
        "epb_le.pcapng": epb_file("<"),
        "epb_be.pcapng": epb_file(">"),
        "blocks_le.pcapng": blocks_file("<"),
        "blocks_be.pcapng": blocks_file(">"),
        "two_sections.pcapng": two_sections_file(),
    }


def write(outdir):
    for name, data in sorted(files().items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        print("%-22s %5d bytes" % (name, len(data)))


def editcap():
    for name in ("en10mb_le_usec", "sll2_le_nsec"):
        subprocess.run(["editcap", "-F", "pcapng", os.path.join(HERE, "..", name + ".pcap"),
                        os.path.join(HERE, name + ".pcapng")], check=True)


def main():
    if "--check" in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            write(tmp)
            bad = [n for n in files() if not filecmp.cmp(os.path.join(tmp, n),
                                                         os.path.join(HERE, n), shallow=False)]
        if bad:
            sys.exit("differs from the committed file: " + " ".join(bad))
        print("all synthetic fixtures are up to date")
        return
    write(HERE)
    if "--editcap" in sys.argv[1:]:
        editcap()


if __name__ == "__main__":
    main()
