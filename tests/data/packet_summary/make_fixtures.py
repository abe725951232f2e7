#!/usr/bin/python3
"""Writes the packet_summary fixtures and records what tcpdump prints for them.

Usage: /usr/bin/python3 make_fixtures.py [--check]   (needs tcpdump 4.99.x)

Every packet is built here byte by byte with struct (no scapy), one pcap per
link type, then read back with `TZ=GMT0 tcpdump -n -r FILE`.  For each FILE.pcap:

  FILE.golden    tcpdump's line for each packet, timestamp column stripped,
                 hex-dump continuation lines (tab-indented, printed for
                 payloads tcpdump does not decode) dropped, surrounding
                 blanks trimmed.  summarizePacket must print exactly this.
  FILE.expected  only where summarizePacket deliberately differs from
                 tcpdump; derived from tcpdump's output as stated per file
                 below (the unit test prefers .expected over .golden).
  FILE.cases     what each packet shows, one line per packet (for test
                 failure messages).
  seeds/         one fuzzer input per packet (but not per cut in prefixes),
                 in tests/fuzz/fuzz_packet_summary.cpp's format.

prefixes.pcap holds every cut (caplen 1 .. len-1) of a few packets whose
headers chain several checks, so each truncation point is compared too.

--check regenerates into a temporary directory and fails unless every file
there is byte-identical to the committed one.

Ports stay clear of those tcpdump decodes application protocols on (53,
80, 123, 8080, ...): the summary stops at the transport layer.  Every TCP
segment with ACK set is the first of its connection in its file, where
`tcpdump -n` prints absolute sequence numbers as `-S` does; the generator
checks that `-n` and `-n -S` print the same for FILE.golden.
"""
import filecmp
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- builders


def ip4(text):
    return bytes(int(x) for x in text.split('.'))


def ip6(text):
    head, _, tail = text.partition('::')
    words_head = [int(w, 16) for w in head.split(':') if w]
    words_tail = [int(w, 16) for w in tail.split(':') if w]
    fill = 8 - len(words_head) - len(words_tail)
    words = words_head + [0] * fill + words_tail if '::' in text else words_head
    assert len(words) == 8, text
    return struct.pack('!8H', *words)


def mac(text):
    return bytes(int(x, 16) for x in text.split(':'))


HOST_A = mac('02:00:00:00:00:01')
HOST_B = mac('02:00:00:00:00:02')
BROADCAST = mac('ff:ff:ff:ff:ff:ff')


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ether(payload, ethertype=0x0800, dst=HOST_B, src=HOST_A, pad=True):
    frame = dst + src + struct.pack('!H', ethertype) + payload
    if pad and len(frame) < 60:
        frame += b'\0' * (60 - len(frame))  # Ethernet minimum frame, FCS excluded
    return frame


def vlan(tci, ethertype):
    return struct.pack('!HH', tci, ethertype)


def ipv4(payload, proto, src='10.0.0.1', dst='10.0.0.2', ttl=64, ident=1, flags=0,
         frag_offset=0, options=b'', total_len=None, ihl=None, version=4):
    ihl = (20 + len(options)) // 4 if ihl is None else ihl
    total = 20 + len(options) + len(payload) if total_len is None else total_len
    head = struct.pack('!BBHHHBBH4s4s', (version << 4) | ihl, 0, total, ident,
                       (flags << 13) | frag_offset, ttl, proto, 0, ip4(src), ip4(dst)) + options
    head = head[:10] + struct.pack('!H', checksum(head)) + head[12:]
    return head + payload


def ipv6(payload, nh, src='2001:db8::1', dst='2001:db8::2', hlim=64, plen=None, version=6):
    plen = len(payload) if plen is None else plen
    return struct.pack('!IHBB16s16s', version << 28, plen, nh, hlim, ip6(src), ip6(dst)) + payload


def ext6(nh, body):
    """A hop-by-hop/destination options or routing header: body padded to 8n-2 bytes."""
    assert (len(body) + 2) % 8 == 0, len(body)
    return struct.pack('!BB', nh, (len(body) + 2) // 8 - 1) + body


def frag6(nh, offset, more, ident=0x1234):
    return struct.pack('!BBHI', nh, 0, (offset << 3) | more, ident)


FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128


def tcp(sport, dport, flags, seq=1000, ack=0, win=512, options=b'', payload=b'', urg=0,
        doff=None):
    doff = (20 + len(options)) // 4 if doff is None else doff
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, doff << 4, flags, win, 0,
                       urg) + options + payload


def udp(sport, dport, payload=b'', ulen=None):
    ulen = 8 + len(payload) if ulen is None else ulen
    return struct.pack('!HHHH', sport, dport, ulen, 0) + payload


def icmp(icmp_type, code, rest=b'\0\0\0\0', payload=b''):
    body = struct.pack('!BBH', icmp_type, code, 0) + rest + payload
    return body[:2] + struct.pack('!H', checksum(body)) + body[4:]


def icmp6(icmp_type, code, rest=b'\0\0\0\0', payload=b''):
    return struct.pack('!BBH', icmp_type, code, 0) + rest + payload


def echo(ident, seq):
    return struct.pack('!HH', ident, seq)


def arp(op, sha, spa, tha, tpa, hrd=1, pro=0x0800, hln=None, pln=None):
    hln = len(sha) if hln is None else hln
    pln = len(spa) if pln is None else pln
    return struct.pack('!HHBBH', hrd, pro, hln, pln, op) + sha + spa + tha + tpa


def opt_mss(v):
    return struct.pack('!BBH', 2, 4, v)


def opt_ws(v):
    return struct.pack('!BBB', 3, 3, v)


def opt_ts(val, ecr):
    return struct.pack('!BBII', 8, 10, val, ecr)


NOP, EOL, SACK_OK = b'\x01', b'\x00', b'\x04\x02'
LINUX_SYN_OPTIONS = opt_mss(1460) + SACK_OK + opt_ts(100, 0) + NOP + opt_ws(7)
PAYLOAD_56 = bytes(range(56))

# ---------------------------------------------------------------- packets
# Each entry: (what it shows, frame bytes, caplen or None for the whole frame[,
# len]).  len is the whole frame unless given: a caplen below it is a snapshot cut.


def ip_cases(wrap):
    """IPv4 and IPv6 packets wrapped by `wrap(payload, ethertype)`; shared by link types."""
    link = len(wrap(b'', 0x0800))
    return [
        ('TCP SYN with the Linux option set',
         wrap(ipv4(tcp(41000, 443, SYN, seq=1000, win=64240, options=LINUX_SYN_OPTIONS), 6),
              0x0800), None),
        ('UDP with 32 payload bytes',
         wrap(ipv4(udp(40000, 50000, bytes(32)), 17), 0x0800), None),
        ('ICMP echo request', wrap(ipv4(icmp(8, 0, echo(7, 1), PAYLOAD_56), 1), 0x0800), None),
        ('ICMPv6 echo reply',
         wrap(ipv6(icmp6(129, 0, echo(7, 1), PAYLOAD_56), 58), 0x86dd), None),
        ('IPv6 TCP SYN-ACK',
         wrap(ipv6(tcp(443, 41001, SYN | ACK, seq=5000, ack=1001, win=65535,
                       options=opt_mss(1440)), 6), 0x86dd), None),
        ('IPv4 cut inside the TCP header',
         wrap(ipv4(tcp(41002, 443, ACK, seq=1, ack=1), 6), 0x0800), link + 30),
    ]


def ethernet_packets():
    e = lambda payload, ethertype=0x0800: ether(payload, ethertype)
    unreach_inner = ipv4(udp(40000, 33434, bytes(12)), 17, src='10.0.0.2', dst='10.0.0.9')
    tcp_inner = ipv4(tcp(41000, 5000, SYN), 6, src='10.0.0.2', dst='10.0.0.9')
    mld2 = icmp6(143, 0, struct.pack('!HH', 0, 1),
                 struct.pack('!BBH16s', 4, 0, 0, ip6('ff02::fb')))
    rtalert_pad = struct.pack('!BBH', 5, 2, 0) + struct.pack('!BB', 1, 0)
    inner6_udp = ipv6(udp(40000, 33434, bytes(8)), 17, src='2001:db8::2', dst='2001:db8::9')
    p = [
        # -- TCP: flags, sequence numbers, options, bad header lengths
        ('TCP SYN, Linux options', e(ipv4(tcp(41000, 443, SYN, seq=1000, win=64240,
                                               options=LINUX_SYN_OPTIONS), 6)), None),
        ('TCP SYN-ACK', e(ipv4(tcp(443, 41000, SYN | ACK, seq=5000, ack=1001, win=65160,
                                   options=LINUX_SYN_OPTIONS), 6, src='10.0.0.2', dst='10.0.0.1')),
         None),
        ('TCP PSH-ACK with 100 bytes (first of its flow)',
         e(ipv4(tcp(41003, 443, PSH | ACK, seq=7000, ack=9000, win=502,
                    options=NOP + NOP + opt_ts(200, 300), payload=bytes(100)), 6)), None),
        ('TCP FIN-ACK', e(ipv4(tcp(41004, 443, FIN | ACK, seq=10, ack=20), 6)), None),
        ('TCP RST without ACK', e(ipv4(tcp(41005, 443, RST, seq=77, win=0), 6)), None),
        ('TCP RST-ACK', e(ipv4(tcp(41006, 443, RST | ACK, seq=0, ack=78, win=0), 6)), None),
        ('TCP URG-PSH-ACK with urgent pointer',
         e(ipv4(tcp(41007, 443, URG | PSH | ACK, seq=5, ack=6, urg=3, payload=b'abcd'), 6)), None),
        ('TCP SYN with ECE and CWR', e(ipv4(tcp(41008, 443, SYN | ECE | CWR, seq=1), 6)), None),
        ('TCP without flags', e(ipv4(tcp(41009, 443, 0, seq=1), 6)), None),
        ('TCP keepalive probe: one byte', e(ipv4(tcp(41023, 443, ACK, seq=999, ack=5, payload=b'\0'),
                                                6)), None),
        ('IPv4 total length ends inside the TCP header (the rest is padding)',
         e(ipv4(tcp(41024, 443, SYN, seq=1)[:10], 6)), None),
        ('IPv6 payload length ends inside the TCP header (the rest is padding)',
         e(ipv6(tcp(41025, 443, SYN, seq=1), 6, plen=10), 0x86dd) + bytes(10), None),
        ('TCP options: unknown kind, UTO, TFO cookie, experimental TFO, EOL',
         e(ipv4(tcp(41010, 443, SYN, seq=1,
                    options=bytes([99, 4, 0xde, 0xad]) + bytes([28, 4, 0x01, 0x2d]) +
                    bytes([34, 10]) + bytes(range(1, 9)) + bytes([254, 4, 0xf9, 0x89]) +
                    bytes([254, 4, 0x12, 0x34]) + EOL + bytes(5)), 6)), None),
        ('TCP option with a length past the header: [bad opt]',
         e(ipv4(tcp(41011, 443, SYN, seq=1, options=opt_mss(1460) + bytes([3, 9, 7, 0])), 6)),
         None),
        ('TCP MSS option of length 3', e(ipv4(tcp(41012, 443, SYN, seq=1,
                                                  options=bytes([2, 3, 5]) + EOL), 6)), None),
        ('TCP md5 signature option', e(ipv4(tcp(41013, 443, SYN, seq=1,
                                                 options=bytes([19, 18]) + bytes(range(16)) +
                                                 NOP + NOP), 6)), None),
        ('TCP data offset 4 (< 20 bytes)', e(ipv4(tcp(41014, 443, ACK, ack=1, doff=4), 6)),
         None),
        ('TCP data offset 15 in a 24-byte segment',
         e(ipv4(tcp(41015, 443, SYN, doff=15, options=opt_mss(1460)), 6)), None),
        # -- UDP
        ('UDP with 32 payload bytes', e(ipv4(udp(40000, 50000, bytes(32)), 17)), None),
        ('UDP length field beyond the IP payload',
         e(ipv4(udp(40000, 50000, bytes(8), ulen=100), 17)), None),
        ('UDP length field below 8', e(ipv4(udp(40000, 50000, bytes(8), ulen=4), 17)), None),
        ('UDP in an IPv4 datagram too short for its header',
         e(ipv4(udp(40000, 50000)[:6], 17)), None),
        # -- ICMP
        ('ICMP echo request', e(ipv4(icmp(8, 0, echo(1, 1), PAYLOAD_56), 1)), None),
        ('ICMP echo reply', e(ipv4(icmp(0, 0, echo(1, 1), PAYLOAD_56), 1, src='10.0.0.2',
                                   dst='10.0.0.1')), None),
        ('ICMP UDP port unreachable', e(ipv4(icmp(3, 3, b'\0' * 4, unreach_inner), 1)), None),
        ('ICMP TCP port unreachable', e(ipv4(icmp(3, 3, b'\0' * 4, tcp_inner[:28]), 1)), None),
        ('ICMP host unreachable', e(ipv4(icmp(3, 1, b'\0' * 4, unreach_inner), 1)), None),
        ('ICMP need to frag, mtu 1400',
         e(ipv4(icmp(3, 4, struct.pack('!HH', 0, 1400), unreach_inner), 1)), None),
        ('ICMP unreachable with code 15', e(ipv4(icmp(3, 15, b'\0' * 4, unreach_inner), 1)),
         None),
        ('ICMP unreachable with unknown code 99',
         e(ipv4(icmp(3, 99, b'\0' * 4, unreach_inner), 1)), None),
        ('ICMP time exceeded in transit', e(ipv4(icmp(11, 0, b'\0' * 4, unreach_inner), 1)),
         None),
        ('ICMP reassembly time exceeded', e(ipv4(icmp(11, 1, b'\0' * 4, unreach_inner), 1)),
         None),
        ('ICMP redirect for host', e(ipv4(icmp(5, 1, ip4('10.0.0.254'), unreach_inner), 1)),
         None),
        ('ICMP parameter problem at octet 20',
         e(ipv4(icmp(12, 0, b'\x14\0\0\0', unreach_inner), 1)), None),
        ('ICMP timestamp request', e(ipv4(icmp(13, 0, echo(3, 4), bytes(12)), 1)), None),
        ('ICMP timestamp reply',
         e(ipv4(icmp(14, 0, echo(3, 4), struct.pack('!III', 1000, 3723004, 86399999)), 1)),
         None),
        ('ICMP address mask reply', e(ipv4(icmp(18, 0, echo(1, 1), ip4('255.255.255.0')), 1)),
         None),
        ('ICMP source quench (a named type)', e(ipv4(icmp(4, 0, b'\0' * 4, unreach_inner), 1)),
         None),
        ('ICMP router advertisement',
         e(ipv4(icmp(9, 0, struct.pack('!BBH', 1, 2, 1800),
                     ip4('10.0.0.254') + struct.pack('!I', 0)), 1)), None),
        ('ICMP unknown type 42', e(ipv4(icmp(42, 0), 1)), None),
        # -- IPv4 headers: fragments, options, tunnels, bad fields
        ('IPv4 first fragment of a UDP datagram',
         e(ipv4(udp(40000, 50000, bytes(40), ulen=1480), 17, flags=1, ident=77)), None),
        ('IPv4 later fragment', e(ipv4(bytes(40), 17, frag_offset=185, ident=77)), None),
        ('IPv4 later fragment, last, of TCP', e(ipv4(bytes(20), 6, frag_offset=10)), None),
        ('IPv4 with options (IHL 6)', e(ipv4(tcp(41016, 443, SYN, seq=1), 6,
                                             options=b'\x01\x01\x01\x00')), None),
        ('IPv4 protocol 253', e(ipv4(bytes(20), 253)), None),
        ('IPv4 no next header (59)', e(ipv4(b'', 59)), None),
        ('IPv4 ICMPv6 inside IPv4', e(ipv4(icmp6(128, 0, echo(1, 1)), 58)), None),
        ('IP-in-IP', e(ipv4(ipv4(icmp(8, 0, echo(2, 2)), 1, src='192.168.1.1',
                                 dst='192.168.1.2'), 4)), None),
        ('IPv6 in IPv4', e(ipv4(ipv6(udp(40000, 50000, bytes(4)), 17), 41)), None),
        ('IPv4 header length 16', e(ipv4(bytes(20), 6, ihl=4)), None),
        ('IPv4 total length 10', e(ipv4(bytes(20), 6, total_len=10)), None),
        ('IPv4 total length beyond the frame',
         e(ipv4(udp(40000, 50000, bytes(8)), 17, total_len=100), 0x0800), None),
        ('IPv6 header behind ethertype IPv4', e(ipv6(udp(40000, 50000), 17)), None),
        ('IPv4 version 5', e(ipv4(bytes(8), 17, version=5)), None),
        # -- IPv6
        ('IPv6 UDP', e(ipv6(udp(40000, 50000, bytes(16)), 17), 0x86dd), None),
        ('IPv6 TCP SYN', e(ipv6(tcp(41017, 443, SYN, seq=9, win=64800,
                                    options=LINUX_SYN_OPTIONS), 6), 0x86dd), None),
        ('ICMPv6 echo request', e(ipv6(icmp6(128, 0, echo(1, 1), PAYLOAD_56), 58), 0x86dd),
         None),
        ('ICMPv6 echo reply', e(ipv6(icmp6(129, 0, echo(1, 1), PAYLOAD_56), 58), 0x86dd), None),
        ('ICMPv6 neighbor solicitation',
         e(ipv6(icmp6(135, 0, b'\0' * 4, ip6('2001:db8::2') + bytes([1, 1]) + HOST_A), 58,
                dst='ff02::1:ff00:2', hlim=255), 0x86dd), None),
        ('ICMPv6 neighbor advertisement',
         e(ipv6(icmp6(136, 0, b'\x60\0\0\0', ip6('2001:db8::2')), 58, src='2001:db8::2',
                dst='2001:db8::1', hlim=255), 0x86dd), None),
        ('ICMPv6 router solicitation',
         e(ipv6(icmp6(133, 0), 58, src='fe80::1', dst='ff02::2', hlim=255), 0x86dd), None),
        ('ICMPv6 router advertisement',
         e(ipv6(icmp6(134, 0, struct.pack('!BBH', 64, 0, 1800), bytes(8)), 58, src='fe80::2',
                dst='ff02::1', hlim=255), 0x86dd), None),
        ('ICMPv6 packet too big', e(ipv6(icmp6(2, 0, struct.pack('!I', 1280), inner6_udp), 58),
                                    0x86dd), None),
        ('ICMPv6 port unreachable', e(ipv6(icmp6(1, 4, b'\0' * 4, inner6_udp), 58), 0x86dd),
         None),
        ('ICMPv6 no route', e(ipv6(icmp6(1, 0, b'\0' * 4, inner6_udp), 58), 0x86dd), None),
        ('ICMPv6 beyond scope', e(ipv6(icmp6(1, 2, b'\0' * 4, inner6_udp), 58), 0x86dd), None),
        ('ICMPv6 time exceeded in transit',
         e(ipv6(icmp6(3, 0, b'\0' * 4, inner6_udp), 58), 0x86dd), None),
        ('ICMPv6 parameter problem, next header',
         e(ipv6(icmp6(4, 1, struct.pack('!I', 40), inner6_udp), 58), 0x86dd), None),
        ('ICMPv6 MLDv1 report', e(ipv6(icmp6(131, 0, b'\0' * 4, ip6('ff02::fb')), 58,
                                       src='fe80::1', dst='ff02::fb', hlim=1), 0x86dd), None),
        ('ICMPv6 unknown type 200', e(ipv6(icmp6(200, 0, b'\0' * 4), 58), 0x86dd), None),
        ('IPv6 hop-by-hop (router alert) + MLDv2 report',
         e(ipv6(ext6(58, rtalert_pad) + mld2, 0, src='fe80::1', dst='ff02::16', hlim=1),
           0x86dd), None),
        ('IPv6 destination options + UDP',
         e(ipv6(ext6(17, bytes([1, 4, 0, 0, 0, 0])) + udp(40000, 50000, bytes(8)), 60),
           0x86dd), None),
        ('IPv6 routing header type 0 + TCP',
         e(ipv6(ext6(6, struct.pack('!BBI', 0, 1, 0) + ip6('2001:db8::77')) +
                tcp(41018, 443, SYN, seq=3), 43), 0x86dd), None),
        ('IPv6 segment routing header + UDP',
         e(ipv6(ext6(17, struct.pack('!BBBBH', 4, 0, 0, 0, 0) + ip6('2001:db8::78')) +
                udp(40000, 50000), 43), 0x86dd), None),
        ('IPv6 first fragment of UDP',
         e(ipv6(frag6(17, 0, 1) + udp(40000, 50000, bytes(24), ulen=1200), 44), 0x86dd), None),
        ('IPv6 later fragment', e(ipv6(frag6(17, 181, 0) + bytes(24), 44), 0x86dd), None),
        ('IPv6 all four extension headers',
         e(ipv6(ext6(60, bytes(6)) + ext6(43, struct.pack('!BBI', 0, 0, 0)) +
                ext6(44, struct.pack('!BBI', 4, 0, 0) + ip6('2001:db8::79')) +
                frag6(58, 0, 0) + icmp6(128, 0, echo(5, 6)), 0), 0x86dd), None),
        ('IPv6 hop-by-hop after destination options',
         e(ipv6(ext6(0, bytes(6)) + ext6(17, bytes(6)) + udp(1, 2), 60), 0x86dd), None),
        ('IPv6 hop-by-hop with a bad router-alert length',
         e(ipv6(ext6(17, struct.pack('!BBBBBB', 5, 3, 0, 0, 0, 0)) + udp(1, 2), 0), 0x86dd),
         None),
        ('IPv6 no next header', e(ipv6(b'', 59), 0x86dd), None),
        ('IPv6 next header 253', e(ipv6(bytes(12), 253), 0x86dd), None),
        ('IPv6 ICMP (IPv4 only)', e(ipv6(icmp(8, 0, echo(1, 1)), 1), 0x86dd), None),
        ('IPv6 in IPv6', e(ipv6(ipv6(icmp6(128, 0, echo(3, 3)), 58, src='2001:db8::a',
                                    dst='2001:db8::b'), 41), 0x86dd), None),
        ('IPv6 payload length beyond the frame',
         e(ipv6(udp(40000, 50000, bytes(8)), 17, plen=40), 0x86dd), None),
        ('IPv6 payload length 0 without a jumbo option',
         e(ipv6(udp(40000, 50000), 17, plen=0), 0x86dd), None),
        ('IPv6 version 4 behind ethertype IPv6', e(ipv6(b'', 59, version=4), 0x86dd), None),
        ('IPv6 addresses: :: and ::1',
         e(ipv6(udp(1, 2), 17, src='::', dst='::1'), 0x86dd), None),
        ('IPv6 addresses: v4-mapped to v4-compatible',
         e(ipv6(udp(1, 2), 17, src='::ffff:a00:1', dst='::a00:2'), 0x86dd), None),
        ('IPv6 addresses: longest zero run wins, single zero kept',
         e(ipv6(udp(1, 2), 17, src='2001:0:0:1:0:0:0:1', dst='2001:db8:0:1:1:1:1:1'), 0x86dd),
         None),
        # -- ARP
        ('ARP request', e(arp(1, HOST_A, ip4('10.0.0.1'), bytes(6), ip4('10.0.0.2')), 0x0806),
         None),
        ('ARP reply', e(arp(2, HOST_B, ip4('10.0.0.2'), HOST_A, ip4('10.0.0.1')), 0x0806), None),
        ('ARP request with a target MAC',
         e(arp(1, HOST_A, ip4('10.0.0.1'), HOST_B, ip4('10.0.0.2')), 0x0806), None),
        ('RARP request', e(arp(3, HOST_A, bytes(4), HOST_A, bytes(4)), 0x8035), None),
        ('RARP reply', e(arp(4, HOST_B, ip4('10.0.0.2'), HOST_A, ip4('10.0.0.1')), 0x8035),
         None),
        ('ARP for IPv6 addresses',
         e(arp(1, HOST_A, ip6('2001:db8::1'), bytes(6), ip6('2001:db8::2'), pro=0x86dd),
           0x0806), None),
        ('ARP with hardware type 6 and a 4-byte hardware address',
         e(arp(2, b'\1\2\3\4', ip4('10.0.0.2'), b'\5\6\7\x08', ip4('10.0.0.1'), hrd=6), 0x0806),
         None),
        ('ARP inverse request', e(arp(8, HOST_A, ip4('10.0.0.1'), HOST_B, bytes(4)), 0x0806),
         None),
        # -- VLAN tags: decoded through, as tcpdump does without -e
        ('802.1Q VLAN 100, UDP', e(vlan(100, 0x0800) + ipv4(udp(40000, 50000, bytes(4)), 17),
                                   0x8100), None),
        ('802.1ad + 802.1Q, ICMP', e(vlan(200, 0x8100) + vlan(0x2064, 0x0800) +
                                     ipv4(icmp(8, 0, echo(9, 9)), 1), 0x88a8), None),
        ('802.1Q, ARP', e(vlan(5, 0x0806) + arp(1, HOST_A, ip4('10.0.0.1'), bytes(6),
                                                ip4('10.0.0.2')), 0x8100), None),
        ('802.1Q, IPv6', e(vlan(5, 0x86dd) + ipv6(udp(40000, 50000), 17), 0x8100), None),
        # -- other ethertypes and 802.3 frames: tcpdump prints addresses and type
        ('ethertype 0x88b5 (local experimental)', e(bytes(range(20)), 0x88b5), None),
        ('ethertype LAT (named, not decoded)', e(bytes(3), 0x6004), None),
        ('802.1Q, ethertype 0x88b5', e(vlan(7, 0x88b5) + bytes(4), 0x8100), None),
        # -- truncated
        ('Ethernet cut at 10 bytes', e(ipv4(udp(40000, 50000), 17)), 10),
        ('Ethernet cut after the type', e(ipv4(udp(40000, 50000), 17)), 14),
        ('IPv4 cut at 8 bytes', e(ipv4(udp(40000, 50000), 17)), 22),
        ('IPv4 options cut', e(ipv4(tcp(41016, 443, SYN), 6, options=b'\x01' * 8)), 36),
        ('TCP cut at 2 bytes', e(ipv4(tcp(41019, 443, SYN), 6)), 36),
        ('TCP cut at 10 bytes', e(ipv4(tcp(41020, 443, SYN), 6)), 44),
        ('TCP options cut', e(ipv4(tcp(41021, 443, SYN, options=LINUX_SYN_OPTIONS), 6)), 60),
        ('TCP options cut in an option value',
         e(ipv4(tcp(41022, 443, SYN, options=LINUX_SYN_OPTIONS), 6)), 57),
        ('UDP cut at 6 bytes', e(ipv4(udp(40000, 50000, bytes(8)), 17)), 40),
        ('UDP cut at 2 bytes', e(ipv4(udp(40000, 50000, bytes(8)), 17)), 36),
        ('ICMP cut at 1 byte', e(ipv4(icmp(8, 0, echo(1, 1)), 1)), 35),
        ('ICMP echo cut in the sequence number', e(ipv4(icmp(8, 0, echo(1, 1)), 1)), 41),
        ('ICMP port unreachable cut in the quoted header',
         e(ipv4(icmp(3, 3, b'\0' * 4, unreach_inner), 1)), 60),
        ('IPv6 cut at 30 bytes', e(ipv6(udp(40000, 50000), 17), 0x86dd), 44),
        ('IPv6 hop-by-hop cut', e(ipv6(ext6(58, rtalert_pad) + mld2, 0), 0x86dd), 58),
        ('IPv6 routing header cut in its address',
         e(ipv6(ext6(6, struct.pack('!BBI', 0, 1, 0) + ip6('2001:db8::77')) + tcp(1, 2, SYN),
                43), 0x86dd), 70),
        ('IPv6 fragment header cut', e(ipv6(frag6(17, 0, 1) + udp(1, 2), 44), 0x86dd), 57),
        ('ICMPv6 neighbor solicitation cut in the target',
         e(ipv6(icmp6(135, 0, b'\0' * 4, ip6('2001:db8::2')), 58), 0x86dd), 70),
        ('ICMPv6 echo cut', e(ipv6(icmp6(128, 0, echo(1, 1)), 58), 0x86dd), 58),
        ('ARP cut', e(arp(1, HOST_A, ip4('10.0.0.1'), bytes(6), ip4('10.0.0.2')), 0x0806), 30),
        ('802.1Q tag cut', e(vlan(100, 0x0800) + ipv4(b'', 59), 0x8100), 16),
        ('802.1Q, IPv4 cut at 4 bytes', e(vlan(100, 0x0800) + ipv4(b'', 59), 0x8100), 22),
        # -- record headers tcpdump refuses to dissect
        ('record with caplen 0', e(ipv4(b'', 59)), 0),
        ('record with caplen 0 and len 0', b'', None),
        ('record with len above 262144', e(ipv4(b'', 59)), None, 300000),
    ]
    return p


def absolute_packets():
    """One connection: tcpdump -n numbers its later segments relative to the first."""
    e = lambda payload, src='10.0.0.1', dst='10.0.0.2': ether(ipv4(payload, 6, src=src, dst=dst))
    back = dict(src='10.0.0.2', dst='10.0.0.1')
    sack = NOP + NOP + struct.pack('!BBII', 5, 10, 1011, 1021)
    return [
        ('SYN', e(tcp(41100, 443, SYN, seq=1000)), None),
        ('SYN-ACK', e(tcp(443, 41100, SYN | ACK, seq=5000, ack=1001), **back), None),
        ('ACK', e(tcp(41100, 443, ACK, seq=1001, ack=5001)), None),
        ('10 bytes', e(tcp(41100, 443, PSH | ACK, seq=1001, ack=5001, payload=bytes(10))), None),
        ('ACK with a SACK block', e(tcp(443, 41100, ACK, seq=5001, ack=1001, options=sack),
                                    **back), None),
    ]


def prefix_packets():
    """Every cut (caplen 1 .. len-1) of packets whose headers chain several checks."""
    e = ether
    unreach_inner = ipv4(udp(40000, 33434, bytes(12)), 17, src='10.0.0.2', dst='10.0.0.9')
    inner6_udp = ipv6(ext6(17, bytes(6)) + udp(40000, 33434, bytes(8)), 60, src='2001:db8::2',
                      dst='2001:db8::9')
    whole = [
        ('TCP SYN with options', e(ipv4(tcp(41000, 443, SYN, seq=1000, win=64240,
                                            options=LINUX_SYN_OPTIONS), 6), pad=False)),
        ('ICMP port unreachable', e(ipv4(icmp(3, 3, b'\0' * 4, unreach_inner), 1), pad=False)),
        ('ICMP router advertisement',
         e(ipv4(icmp(9, 0, struct.pack('!BBH', 2, 2, 30), ip4('10.0.0.254') + bytes(4) +
                     ip4('10.0.0.253') + bytes(4)), 1), pad=False)),
        ('ICMPv6 port unreachable behind destination options',
         e(ipv6(icmp6(1, 4, b'\0' * 4, inner6_udp), 58), 0x86dd, pad=False)),
        ('IPv6 hop-by-hop, routing, fragment, TCP',
         e(ipv6(ext6(43, struct.pack('!BBBBBB', 5, 2, 0, 0, 1, 0)) +
                ext6(44, struct.pack('!BBI', 0, 1, 0) + ip6('2001:db8::77')) +
                frag6(6, 0, 1) + tcp(41001, 443, SYN | ACK, seq=1, ack=2,
                                     options=opt_mss(1400) + SACK_OK + NOP + NOP), 0),
           0x86dd, pad=False)),
        ('802.1ad + 802.1Q ARP request',
         e(vlan(1, 0x8100) + vlan(2, 0x0806) + arp(1, HOST_A, ip4('10.0.0.1'), HOST_B,
                                                  ip4('10.0.0.2')), 0x88a8, pad=False)),
        ('MLDv2 query behind hop-by-hop',
         e(ipv6(ext6(58, struct.pack('!BBH', 5, 2, 0) + struct.pack('!BB', 1, 0)) +
                icmp6(130, 0, struct.pack('!HH', 1000, 0), ip6('ff02::1') +
                      struct.pack('!BBH', 2, 125, 1) + ip6('2001:db8::5')), 0, dst='ff02::1'),
           0x86dd, pad=False)),
    ]
    return [('%s, caplen %d' % (what, cut), frame, cut)
            for what, frame in whole for cut in range(1, len(frame))]


def raw_packets():
    raw = lambda payload, ethertype: payload
    return ip_cases(raw) + [
        ('raw: IP version 5', ipv4(bytes(8), 17, version=5), None),
        ('raw: IPv4 total length beyond the packet',
         ipv4(icmp(8, 0, echo(1, 1)), 1, total_len=48), None),
        ('raw: 1 byte', ipv4(b'', 59), 1),
    ]


def null_packets(byteorder):
    fmt = '<I' if byteorder == 'little' else '>I'
    af = lambda family: struct.pack(fmt, family)

    def wrap(payload, ethertype):
        return af(2 if ethertype == 0x0800 else 30) + payload

    return ip_cases(wrap) + [
        ('null: AF 24 (IPv6 on NetBSD/OpenBSD)', af(24) + ipv6(udp(1, 2), 17), None),
        ('null: AF 28 (IPv6 on FreeBSD)', af(28) + ipv6(udp(1, 2), 17), None),
        ('null: family in the other byte order', struct.pack('<I' if fmt == '>I' else '>I', 2) +
         ipv4(udp(1, 2), 17), None),
        ('null: unknown family 99', af(99) + bytes(8), None),
        ('null: cut at 2 bytes', af(2) + ipv4(udp(1, 2), 17), 2),
    ]


def sll_header(protocol, pkttype=0, hatype=1, addr=HOST_A):
    return struct.pack('!HHH8sH', pkttype, hatype, len(addr), addr, protocol)


def sll2_header(protocol, pkttype=0, hatype=1, addr=HOST_A, ifindex=1):
    return struct.pack('!HHIHBB8s', protocol, 0, ifindex, hatype, pkttype, len(addr), addr)


def cooked_packets(header):
    def wrap(payload, ethertype):
        return header(ethertype) + payload

    return ip_cases(wrap) + [
        ('cooked: outgoing ARP request',
         header(0x0806, pkttype=4) + arp(1, HOST_A, ip4('10.0.0.1'), bytes(6),
                                         ip4('10.0.0.2')), None),
        ('cooked: broadcast UDP', header(0x0800, pkttype=1) +
         ipv4(udp(40000, 50000), 17, dst='10.0.0.255'), None),
        ('cooked: 802.1Q tag left in (tcpdump names the inner type)',
         header(0x8100) + vlan(100, 0x0800) + ipv4(udp(40000, 50000), 17), None),
        ('cooked: ethertype 0x88b5, outgoing', header(0x88b5, pkttype=4) + bytes(8), None),
        ('cooked: ethertype 0x88b5, no link address',
         header(0x88b5, pkttype=3, hatype=772, addr=b'') + bytes(8), None),
        ('cooked: loopback IPv6 UDP', header(0x86dd, hatype=772, addr=bytes(6)) +
         ipv6(udp(40000, 50000, bytes(3)), 17, src='::1', dst='::1'), None),
        ('cooked: cut inside the header', header(0x0800) + ipv4(b'', 59), 12),
    ]


# ---------------------------------------------------------------- files

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW_12, LINKTYPE_RAW_14 = 0, 1, 12, 14
LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_SLL, LINKTYPE_SLL2 = 101, 108, 113, 276
TS = 1700000000


def pcap_bytes(linktype, packets):
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype)
    for i, (_, frame, caplen, *wirelen) in enumerate(packets):
        caplen = len(frame) if caplen is None else caplen
        assert caplen <= len(frame)
        wirelen = wirelen[0] if wirelen else len(frame)
        out += struct.pack('<IIII', TS + i, i, caplen, wirelen) + frame[:caplen]
    return out


def tcpdump_lines(path, *flags):
    result = subprocess.run(['tcpdump', '-n', *flags, '-r', path], capture_output=True,
                            text=True, env=dict(os.environ, TZ='GMT0'), check=False)
    lines = []
    for line in result.stdout.split('\n'):
        if line.startswith('\t') or line == '':
            continue  # a hex dump of an undecoded payload, not the summary
        # No timestamp before "[Invalid header: ...]": tcpdump checks the
        # record header first.
        stamp = re.match(r'^\d\d:\d\d:\d\d\.\d{6} ', line)
        lines.append(line[stamp.end() if stamp else 0:].strip())
    return result, lines


def sll2_columns_dropped(line):
    # tcpdump prints the interface name (if_indextoname on the READING host,
    # "?" when unknown) and the direction before SLL2 packets; neither is a
    # property of the packet bytes it would be fair to promise, so the summary
    # of an SLL2 packet is that of the same packet in SLL.
    return re.sub(r'^\S+ +(In|Out|B|M|P|\?) +', '', line)


FILES = [
    # name, link type, packets, how summarizePacket's expectation differs from
    # tcpdump's output (None: it does not; FILE.golden is the expectation)
    ('ethernet', LINKTYPE_ETHERNET, ethernet_packets(), None),
    ('raw', LINKTYPE_RAW, raw_packets(), None),
    ('raw12', LINKTYPE_RAW_12, raw_packets(), None),
    ('null', LINKTYPE_NULL, null_packets('little'), None),
    ('loop', LINKTYPE_LOOP, null_packets('big'), None),
    ('sll', LINKTYPE_SLL, cooked_packets(sll_header), None),
    ('sll2', LINKTYPE_SLL2, cooked_packets(sll2_header), 'sll2'),
    ('raw14', LINKTYPE_RAW_14, raw_packets(), 'raw14'),
    ('absolute', LINKTYPE_ETHERNET, absolute_packets(), 'absolute'),
    ('prefixes', LINKTYPE_ETHERNET, prefix_packets(), None),
]


def write_all(out_dir):
    for name, linktype, packets, special in FILES:
        path = os.path.join(out_dir, name + '.pcap')
        with open(path, 'wb') as f:
            f.write(pcap_bytes(linktype, packets))
        with open(os.path.join(out_dir, name + '.cases'), 'w') as f:
            f.writelines(entry[0] + '\n' for entry in packets)
        golden = os.path.join(out_dir, name + '.golden')
        expected = os.path.join(out_dir, name + '.expected')
        if special == 'raw14':
            # tcpdump on Linux does not know link type 14 (OpenBSD's DLT_RAW)
            # and refuses the file; the summary reads it as raw IP, so its
            # expectation is what tcpdump prints for the same packets as 12.
            _, lines = tcpdump_lines(os.path.join(out_dir, 'raw12.pcap'))
            write_lines(expected, lines)
            continue
        result, lines = tcpdump_lines(path)
        assert result.returncode == 0, (name, result.stderr)
        assert len(lines) == len(packets), (name, len(lines), len(packets))
        _, absolute = tcpdump_lines(path, '-S')
        if special == 'absolute':
            # A summary has no memory of earlier packets, so it prints the
            # sequence numbers (and SACK blocks) in the packet, as -S does.
            write_lines(golden, lines)
            write_lines(expected, absolute)
            continue
        assert absolute == lines, name + ': a TCP segment is not the first of its flow'
        if special == 'sll2':
            # No .golden: its first column depends on the reading host.
            write_lines(expected, [sll2_columns_dropped(line) for line in lines])
        else:
            write_lines(golden, lines)
    write_fuzz_seeds(out_dir)


# tests/fuzz/fuzz_packet_summary.cpp reads a non-pcap input as
# [index into its link-type list][(len - caplen) / 16][packet bytes].
FUZZ_LINKTYPES = [1, 113, 276, 101, 12, 14, 0, 108, 147]


def write_fuzz_seeds(out_dir):
    """One small seed per packet (but not per cut of `prefixes`): faster to mutate than a pcap."""
    seeds = os.path.join(out_dir, 'seeds')
    os.makedirs(seeds, exist_ok=True)
    for name, linktype, packets, _ in FILES:
        if name == 'prefixes':
            continue
        for i, (_, frame, caplen, *wirelen) in enumerate(packets):
            caplen = len(frame) if caplen is None else caplen
            wirelen = wirelen[0] if wirelen else len(frame)
            slack = min(254, (wirelen - caplen + 15) // 16)
            with open(os.path.join(seeds, '%s-%03d' % (name, i)), 'wb') as f:
                f.write(bytes([FUZZ_LINKTYPES.index(linktype), slack]) + frame[:caplen])


def write_lines(path, lines):
    with open(path, 'w') as f:
        f.writelines(line + '\n' for line in lines)


def main():
    version = subprocess.run(['tcpdump', '--version'], capture_output=True, text=True).stdout
    assert 'tcpdump version 4.99.' in version, version
    if '--check' in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            write_all(tmp)
            names = sorted(os.listdir(tmp)) + ['seeds/' + n for n in os.listdir(tmp + '/seeds')]
            names.remove('seeds')
            _, mismatch, errors = filecmp.cmpfiles(tmp, HERE, names, shallow=False)
            if mismatch or errors:
                sys.exit('differs from the committed fixtures: %s' % (mismatch + errors))
        print('fixtures up to date')
        return
    write_all(HERE)


if __name__ == '__main__':
    main()
