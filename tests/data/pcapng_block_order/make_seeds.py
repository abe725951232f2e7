#!/usr/bin/python3
"""Writes the seeds of tests/fuzz/fuzz_pcapng_block_order.cpp (stdlib only).

Usage: /usr/bin/python3 make_seeds.py

Each seed is one control byte and then bytes (see the fuzz target): bit 0
DSB (else NRB), bit 1 input big-endian, bit 2 output big-endian, bit 3 the
rest is a whole block (else a body the target frames itself). Layouts follow
draft-ietf-opsawg-pcapng: 4.5 NRB, 4.7 DSB, 3.5 options, 3.5.1 custom
options (value starts with a Private Enterprise Number).

  nrb_be_body.bin        NRB body, big-endian to little: an IPv4 and an IPv6
                         record, nrb_record_end, opt_comment, ns_dnsname, a
                         custom string option 2988, opt_endofopt.
  nrb_unterminated.bin   NRB body, little to big: records filling the block
                         without nrb_record_end (an EUI-48 one among them).
  dsb_le_body.bin        DSB body, little to big: a TLS key log line, a
                         custom binary option 2989, opt_comment, opt_endofopt.
  nrb_be_block.bin       a whole big-endian NRB, big to little.
  dsb_be_block.bin       a whole big-endian DSB, big to big.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NRB, DSB = 4, 0x0A
PEN = 32473  # the example Private Enterprise Number of RFC 5612


def pad(b):
    return b + b"\0" * (-len(b) % 4)


class W:
    def __init__(self, order):
        self.o = order

    def u16(self, v):
        return struct.pack(self.o + "H", v)

    def u32(self, v):
        return struct.pack(self.o + "I", v)

    def tlv(self, code, value):
        return self.u16(code) + self.u16(len(value)) + pad(value)

    def end(self):
        return self.u16(0) + self.u16(0)

    def block(self, btype, body):
        body = pad(body)
        return self.u32(btype) + self.u32(12 + len(body)) + body + self.u32(12 + len(body))


def nrb_body(w):
    return (w.tlv(1, bytes([10, 213, 0, 2]) + b"peer.test\0") +
            w.tlv(2, bytes.fromhex("20010db8000000000000000000000001") + b"v6.test\0") +
            w.end() + w.tlv(1, b"resolved") + w.tlv(2, b"ns1.test") +
            w.tlv(2988, w.u32(PEN) + b"note") + w.end())


def dsb_body(w):
    keylog = b"CLIENT_RANDOM " + b"00" * 32 + b" " + b"11" * 48 + b"\n"
    return (w.u32(0x544C534B) + w.u32(len(keylog)) + pad(keylog) +
            w.tlv(2989, w.u32(PEN) + b"\x01\x02\x03") + w.tlv(1, b"keys") + w.end())


def seeds():
    be, le = W(">"), W("<")
    return {
        "nrb_be_body.bin": bytes([0b0010]) + nrb_body(be),
        "nrb_unterminated.bin": bytes([0b0100]) + le.tlv(1, bytes([10, 0, 0, 1]) + b"a\0") +
        le.tlv(3, bytes.fromhex("020000000001") + b"mac.test\0"),
        "dsb_le_body.bin": bytes([0b0101]) + dsb_body(le),
        "nrb_be_block.bin": bytes([0b1010]) + be.block(NRB, nrb_body(be)),
        "dsb_be_block.bin": bytes([0b1111]) + be.block(DSB, dsb_body(be)),
    }


def main():
    for name, data in seeds().items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
