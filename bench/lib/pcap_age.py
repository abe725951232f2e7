#!/usr/bin/python3
"""Reads a pcap stream on stdin as it arrives and measures each packet's age.

Age = wall-clock time when the bytes of the record were read here minus the
record's (kernel) timestamp. Prints one line at EOF:
    packets=N p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. mean_ms=..
Both microsecond and nanosecond pcap magics, either byte order. Stdlib only.
"""
import os
import struct
import sys
import time


def main() -> int:
    fd = sys.stdin.fileno()
    buf = bytearray()
    ages = []
    endian = None
    scale = 1e-6
    while True:
        chunk = os.read(fd, 1 << 20)
        now = time.time()
        if not chunk:
            break
        buf += chunk
        at = 0
        if endian is None:
            if len(buf) < 24:
                continue
            magic = buf[:4]
            if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
                endian = "<"
            elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
                endian = ">"
            else:
                print("pcap_age: not a pcap stream", file=sys.stderr)
                return 1
            scale = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
            at = 24
        fmt = endian + "IIII"
        while len(buf) - at >= 16:
            sec, frac, caplen, _ = struct.unpack_from(fmt, buf, at)
            if len(buf) - at - 16 < caplen:
                break
            ages.append(now - (sec + frac * scale))
            at += 16 + caplen
        del buf[:at]
    if not ages:
        print("packets=0 p50_ms=- p90_ms=- p99_ms=- max_ms=- mean_ms=-")
        return 0
    ages.sort()
    n = len(ages)

    def pct(p: float) -> str:
        return "%.2f" % (ages[min(n - 1, int(p * n))] * 1e3)

    print("packets=%d p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%.2f mean_ms=%.2f"
          % (n, pct(0.50), pct(0.90), pct(0.99), ages[-1] * 1e3, sum(ages) / n * 1e3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
