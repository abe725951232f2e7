#!/usr/bin/env python3
"""A fleet of fake ddump workers for tests/e2e/test_client_hostile_fleet.sh.

  hostile_fleet.py serve MANIFEST CERTDIR   one asyncio process serving every
      target on its own loopback port (bound to port 0); writes MANIFEST (via
      a rename, so it appears whole) with one line per target, in the order
      to pass them to ddump: "URL ROLE ID PACKETS" (ROLE honest or hostile;
      the URL's path names its behaviour; ID is in each of its payloads;
      PACKETS: the whole records it sends, before its fault if hostile).
      CERTDIR holds server, wrongname and selfsigned .crt/.key.
  hostile_fleet.py count FILE               reads a pcap, checks its framing
      and prints "ID COUNT" per target id found in the payloads, then
      "total N", "unmarked N" (records without a mark) and "duplicates N".

Honest targets send HONEST_PACKETS records of LINUX_SLL (what a worker sends
by default), each UDP payload "hf-ID-SEQ.", then end the stream cleanly, in
every framing a worker or a proxy may legitimately use. Hostile ones break
one rule each (a pcap field, HTTP/1.1 framing, timing, a reset, TLS).
"""
import asyncio
import fcntl
import os
import random
import re
import socket
import ssl
import struct
import sys
import termios
import time

HONEST_PACKETS = 20
SLL = 113
EN10MB = 1

# ---------------------------------------------------------------------------
# pcap and pcapng bytes
# ---------------------------------------------------------------------------


def global_header(link=SLL, snaplen=262144, endian="<", nano=False, version=(2, 4)):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    return struct.pack(endian + "IHHiIII", magic, version[0], version[1], 0, 0, snaplen, link)


def packet(target_id, seq):
    """An SLL frame holding IPv4/UDP with the payload that names it."""
    payload = b"hf-%d-%d." % (target_id, seq)
    udp = struct.pack(">HHHH", 40000 + target_id % 1000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq, 0, 64, 17, 0,
                     bytes([10, 0, target_id >> 8 & 255, target_id & 255]), bytes([10, 0, 0, 1]))
    sll = struct.pack(">HHH8sH", 0, 1, 6, bytes(8), 0x0800)
    return sll + ip + udp


def record(ts_ns, data, endian="<", nano=False, caplen=None, length=None):
    sec, frac = divmod(ts_ns, 1_000_000_000)
    frac = frac if nano else frac // 1000
    caplen = len(data) if caplen is None else caplen
    length = len(data) if length is None else length
    return struct.pack(endian + "IIII", sec, frac, caplen, length) + data


def records(target_id, count, endian="<", nano=False, start=None):
    now = time.time_ns() if start is None else start
    return [record(now + i * 1000, packet(target_id, i), endian, nano) for i in range(count)]


def pcapng_block(kind, body):
    body += bytes(-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def pcapng_stream(target_id, count, link=SLL):
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = pcapng_block(1, struct.pack("<HHI", link, 0, 262144))
    epbs = []
    now = time.time_ns() // 1000  # if_tsresol 6 (the default): microseconds
    for i in range(count):
        data = packet(target_id, i)
        ts = now + i
        epbs.append(pcapng_block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data))
    return shb + idb + b"".join(epbs)


# ---------------------------------------------------------------------------
# HTTP bytes
# ---------------------------------------------------------------------------

PCAP_TYPE = b"application/vnd.tcpdump.pcap"


def head(fields=b"", status=b"200 OK", version=b"HTTP/1.1", ctype=PCAP_TYPE):
    out = version + b" " + status + b"\r\n"
    if ctype:
        out += b"Content-Type: " + ctype + b"\r\n"
    out += b"X-Ddump-Host: fleet\r\nX-Accel-Buffering: no\r\n" + fields + b"\r\n"
    return out


CHUNKED = b"Transfer-Encoding: chunked\r\n"


def chunk(data, size_text=None, ext=b""):
    size = b"%x" % len(data) if size_text is None else size_text
    return size + ext + b"\r\n" + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"

# ---------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------


async def read_request(reader):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        got = await reader.read(4096)
        if not got:
            break
        data += got
    return data


async def sent_and_acked(writer, timeout=10.0):
    """Until the peer has acknowledged every byte written (TIOCOUTQ = 0), so
    that a reset that follows cannot overtake them."""
    await writer.drain()
    sock = writer.get_extra_info("socket")
    deadline = time.monotonic() + timeout
    buf = bytearray(4)
    while time.monotonic() < deadline:
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)
        if struct.unpack("i", buf)[0] == 0:
            return
        await asyncio.sleep(0.005)


def reset(writer):
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def until_peer_leaves(reader):
    while await reader.read(65536):
        pass


async def trickle(writer, data, chunked=False):
    for byte in data:
        one = bytes([byte])
        writer.write(chunk(one) if chunked else one)
        await writer.drain()
        await asyncio.sleep(1.0)


# ---------------------------------------------------------------------------
# Honest targets: every packet arrives, the stream ends cleanly
# ---------------------------------------------------------------------------


async def honest(kind, tid, reader, writer):
    await read_request(reader)
    recs = records(tid, HONEST_PACKETS, endian=">" if kind == "big-endian" else "<",
                   nano=kind == "nanosecond")
    hdr = global_header(endian=">" if kind == "big-endian" else "<", nano=kind == "nanosecond")
    if kind in ("chunk-per-packet", "https", "big-endian", "nanosecond", "quiet-then-packets", "slow"):
        writer.write(head(CHUNKED) + chunk(hdr))
        if kind == "quiet-then-packets":  # an idle worker: its header, then a pause
            await writer.drain()
            await asyncio.sleep(QUIET_SECONDS)
        for r in recs:
            writer.write(chunk(r))
            if kind == "slow":
                await writer.drain()
                await asyncio.sleep(0.05)
        writer.write(LAST_CHUNK)
    elif kind == "one-chunk":
        writer.write(head(CHUNKED) + chunk(hdr + b"".join(recs)) + LAST_CHUNK)
    elif kind == "one-byte-chunks":
        writer.write(head(CHUNKED) + b"".join(chunk(bytes([b])) for b in hdr + b"".join(recs)) + LAST_CHUNK)
    elif kind == "chunk-extensions":
        # RFC 9112 §7.1: leading zeros, extensions, a trailer section.
        body = hdr + b"".join(recs)
        writer.write(head(CHUNKED) + chunk(body[:100], b"000%x" % 100, b' ;name="v;x" ; flag')
                     + chunk(body[100:], ext=b";last") + b"0;end\r\nX-Trailer: done\r\n\r\n")
    elif kind == "content-length":
        body = hdr + b"".join(recs)
        writer.write(head(b"Content-Length: %d\r\n" % len(body)) + body)
    elif kind == "http10-close":
        writer.write(head(version=b"HTTP/1.0") + hdr + b"".join(recs))
    elif kind == "continue-first":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + head(CHUNKED) + chunk(hdr + b"".join(recs)) + LAST_CHUNK)
    elif kind == "pcapng":
        body = pcapng_stream(tid, HONEST_PACKETS)
        writer.write(head(CHUNKED, ctype=b"application/x-pcapng") + chunk(body) + LAST_CHUNK)
    if kind != "http10-close":
        # The body's framing ends it: the client closes once it has read it
        # all, and so has judged this stream's header.
        await writer.drain()
        await until_peer_leaves(reader)
        HONEST_READ.set()
    writer.close()  # after what is buffered has gone out (TLS: with its close_notify)
    await writer.wait_closed()


HONEST_KINDS = ["chunk-per-packet", "one-chunk", "one-byte-chunks", "chunk-extensions",
                "content-length", "http10-close", "big-endian", "nanosecond", "pcapng",
                "continue-first", "slow", "quiet-then-packets", "https"]
QUIET_SECONDS = 8.0  # longer than the client's header deadline in the test
HONEST_READ = None  # asyncio.Event: the client has read an honest stream whole

# ---------------------------------------------------------------------------
# Hostile targets: name -> (records sent whole before the fault, handler)
# ---------------------------------------------------------------------------

HOSTILE = {}


def hostile(name, whole=0, scheme="http"):
    def register(fn):
        HOSTILE[name] = (whole, scheme, fn)
        return fn
    return register


async def stream_then(writer, tid, n, tail, end=True, link=SLL, snaplen=262144):
    """A chunked pcap of n good records followed by `tail` bytes."""
    body = global_header(link, snaplen) + b"".join(records(tid, n)) + tail
    writer.write(head(CHUNKED) + chunk(body) + (LAST_CHUNK if end else b""))
    await sent_and_acked(writer)


# -- hostile pcap (draft-ietf-opsawg-pcap: CapLen <= SnapLen and <= Original
# Length; ddump refuses records over 262144 bytes, libpcap's MAXIMUM_SNAPLEN)

@hostile("huge-caplen", 3)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 3, record(time.time_ns(), b"x" * 8, caplen=0x7FFFFFFF, length=0x7FFFFFFF))


@hostile("caplen-over-snaplen", 2)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 2, record(time.time_ns(), b"y" * 200), snaplen=96)


@hostile("caplen-over-len", 2)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 2, record(time.time_ns(), b"z" * 60, length=40))


@hostile("truncated-record", 2)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 2, record(time.time_ns(), b"w" * 60)[:16 + 30])


@hostile("truncated-record-cut", 2)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 2, record(time.time_ns(), b"w" * 60)[:16 + 30], end=False)
    writer.close()


@hostile("truncated-record-header", 2)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 2, record(time.time_ns(), b"v" * 60)[:10])


@hostile("other-link-type")
async def _(tid, reader, writer):
    # After an honest stream was read whole: the first header to reach the
    # merge sets the output's link type, so this one must come later to be
    # the one refused (with it first, the honest ones would be).
    await asyncio.wait_for(HONEST_READ.wait(), 30)
    await stream_then(writer, tid, 3, b"", link=EN10MB)


@hostile("garbage-after-header")
async def _(tid, reader, writer):
    await stream_then(writer, tid, 0, random.Random(tid).randbytes(64))


@hostile("bad-magic")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + chunk(b"<html><body>not a capture</body></html>") + LAST_CHUNK)


@hostile("bad-version")
async def _(tid, reader, writer):
    body = global_header(version=(3, 0)) + b"".join(records(tid, 2))
    writer.write(head(CHUNKED) + chunk(body) + LAST_CHUNK)


@hostile("short-global-header")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + chunk(global_header()[:10]) + LAST_CHUNK)


@hostile("empty-body")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + LAST_CHUNK)


@hostile("pcapng-bad-block")
async def _(tid, reader, writer):
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    bad = struct.pack("<II", 1, 7) + bytes(8)  # a block length no block can have
    writer.write(head(CHUNKED, ctype=b"application/x-pcapng") + chunk(shb + bad) + LAST_CHUNK)


# -- broken HTTP/1.1 framing: RFC 9112 §7.1 (chunked), §6.3 (the body's
# length: Content-Length, or until close for HTTP/1.0), §4 (status line)

def good_body(tid, n):
    return global_header() + b"".join(records(tid, n))


@hostile("chunk-size-not-hex", 2)
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + chunk(good_body(tid, 2)) + b"zz\r\n")
    await sent_and_acked(writer)


@hostile("chunk-size-line-too-long", 2)
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + chunk(good_body(tid, 2)) + b"0" * 5000 + b"18\r\n")
    await sent_and_acked(writer)


@hostile("chunk-extension-too-long", 2)
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + chunk(good_body(tid, 2)) + b"18;" + b"e" * 10000 + b"\r\n")
    await sent_and_acked(writer)


@hostile("chunk-data-without-crlf", 2)
async def _(tid, reader, writer):
    more = records(tid, 3)[2]
    writer.write(head(CHUNKED) + chunk(good_body(tid, 2)) + b"%x\r\n" % (len(more) - 4) + more + b"\r\n")
    await sent_and_acked(writer)


@hostile("chunk-size-bare-lf", 2)
async def _(tid, reader, writer):
    more = records(tid, 3)[2]
    writer.write(head(CHUNKED) + chunk(good_body(tid, 2)) + b"%x\n" % len(more) + more + b"\r\n")
    await sent_and_acked(writer)


@hostile("length-shorter-than-body", 2)
async def _(tid, reader, writer):
    body = good_body(tid, 4)
    cut = len(good_body(tid, 2)) + 20  # inside record 3
    writer.write(head(b"Content-Length: %d\r\n" % cut) + body)
    await sent_and_acked(writer)


@hostile("length-longer-than-body", 3)
async def _(tid, reader, writer):
    body = good_body(tid, 3)
    writer.write(head(b"Content-Length: %d\r\n" % (len(body) + 1000)) + body)
    await sent_and_acked(writer)
    writer.close()


@hostile("http10-then-reset", 4)
async def _(tid, reader, writer):
    writer.write(head(version=b"HTTP/1.0") + good_body(tid, 4))
    await sent_and_acked(writer)
    reset(writer)


@hostile("http10-cut-mid-record", 2)
async def _(tid, reader, writer):
    writer.write(head(version=b"HTTP/1.0") + good_body(tid, 3)[:-10])
    await sent_and_acked(writer)
    writer.close()


@hostile("bad-content-length")
async def _(tid, reader, writer):
    writer.write(head(b"Content-Length: 12x\r\n") + good_body(tid, 2))


@hostile("head-too-large")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 100) for i in range(700))))


@hostile("not-http")
async def _(tid, reader, writer):
    writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")


@hostile("bad-status-code")
async def _(tid, reader, writer):
    writer.write(b"HTTP/1.1 2x0 OK\r\n\r\n")


@hostile("gzip-coding")
async def _(tid, reader, writer):
    writer.write(head(b"Transfer-Encoding: gzip\r\n") + good_body(tid, 2))


@hostile("text-content-type")
async def _(tid, reader, writer):
    body = b"hello"
    writer.write(head(b"Content-Length: 5\r\n", ctype=b"text/plain") + body)


@hostile("http-500")
async def _(tid, reader, writer):
    body = b'{"error": "cannot capture: no space left on device"}'
    writer.write(head(b"Content-Length: %d\r\n" % len(body), b"500 Internal Server Error",
                      ctype=b"application/json") + body)


@hostile("http-404")
async def _(tid, reader, writer):
    body = b'{"error": "not found"}'
    writer.write(head(b"Content-Length: %d\r\n" % len(body), b"404 Not Found",
                      ctype=b"application/json") + body)


@hostile("switching-protocols")
async def _(tid, reader, writer):
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")


# -- stalls: a worker answers at once, with the pcap header in its first chunk

@hostile("silent-after-accept")
async def _(tid, reader, writer):
    await until_peer_leaves(reader)


@hostile("headers-then-nothing")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED))
    await until_peer_leaves(reader)


@hostile("half-head-then-nothing")
async def _(tid, reader, writer):
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
    await until_peer_leaves(reader)


@hostile("half-pcap-header-then-nothing")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED) + chunk(global_header()[:10]))
    await until_peer_leaves(reader)


@hostile("close-without-answer")
async def _(tid, reader, writer):
    writer.close()


# -- resets (RST: SO_LINGER 0, socket(7)); the bytes before it are acked first

@hostile("reset-after-request")
async def _(tid, reader, writer):
    reset(writer)


@hostile("reset-mid-head")
async def _(tid, reader, writer):
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Enc")
    await sent_and_acked(writer)
    reset(writer)


@hostile("reset-mid-stream", 5)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 5, b"", end=False)
    reset(writer)


@hostile("reset-mid-record", 5)
async def _(tid, reader, writer):
    await stream_then(writer, tid, 5, records(tid, 6)[5][:30], end=False)
    reset(writer)


# -- slow trickle: one byte a second (in one-byte chunks once in the body)

@hostile("trickled-head")
async def _(tid, reader, writer):
    await trickle(writer, head(CHUNKED))


@hostile("trickled-pcap-header")
async def _(tid, reader, writer):
    writer.write(head(CHUNKED))
    await trickle(writer, global_header(), chunked=True)


@hostile("trickled-bad-record", 2)
async def _(tid, reader, writer):
    bad = record(time.time_ns(), b"", caplen=0x10000000, length=0x10000000)
    writer.write(head(CHUNKED) + chunk(good_body(tid, 2) + bad[:8]))
    await trickle(writer, bad[8:], chunked=True)


# -- TLS: on https:// targets. A plain server's bytes are no TLS record
# (RFC 8446 §5.1); a certificate must chain to --ca and name the host (RFC 9525)

@hostile("tls-random-answer", scheme="https")
async def _(tid, reader, writer):
    await reader.read(4096)  # the ClientHello
    writer.write(random.Random(tid).randbytes(512))
    await until_peer_leaves(reader)


@hostile("tls-plain-http-answer", scheme="https")
async def _(tid, reader, writer):
    await reader.read(4096)
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    await until_peer_leaves(reader)


@hostile("tls-silent", scheme="https")
async def _(tid, reader, writer):
    await until_peer_leaves(reader)


@hostile("tls-close-after-hello", scheme="https")
async def _(tid, reader, writer):
    await reader.read(4096)
    writer.close()


@hostile("tls-untrusted-cert", scheme="https-untrusted")
async def _(tid, reader, writer):
    await until_peer_leaves(reader)


@hostile("tls-wrong-name", scheme="https-wrongname")
async def _(tid, reader, writer):
    await until_peer_leaves(reader)


@hostile("tls-then-not-http", scheme="https")
async def _(tid, reader, writer):
    writer.write(b"SSH-2.0-OpenSSH_9.2p1\r\n")


# TLS is spoken (with the server's own certificate) on these; the other tls-
# targets are plain servers on https:// URLs and read the ClientHello themselves.
TLS_SPOKEN = {"tls-untrusted-cert", "tls-wrong-name", "tls-then-not-http"}


def make_handler(kind, tid, honest_target):
    async def handle(reader, writer):
        try:
            if honest_target:
                await honest(kind, tid, reader, writer)
                return
            if not kind.startswith("tls-") or kind in TLS_SPOKEN:
                await read_request(reader)
            await HOSTILE[kind][2](tid, reader, writer)
            if not writer.transport.is_closing():  # else it closed or reset on purpose
                await writer.drain()
                await until_peer_leaves(reader)
        except (ConnectionError, ssl.SSLError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if not honest_target:
                writer.transport.abort()
    return handle


def tls_context(certdir, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, name + ".crt"), os.path.join(certdir, name + ".key"))
    return ctx


async def serve(manifest, certdir):
    global HONEST_READ
    HONEST_READ = asyncio.Event()
    rnd = random.Random(20240611)
    contexts = {"https": tls_context(certdir, "server"),
                "https-untrusted": tls_context(certdir, "selfsigned"),
                "https-wrongname": tls_context(certdir, "wrongname")}
    plan = []  # (kind, id, honest, whole records, scheme)
    for i in range(150):
        kind = HONEST_KINDS[i % len(HONEST_KINDS)]
        plan.append((kind, i, True, HONEST_PACKETS, "https" if kind == "https" else "http"))
    for j, (kind, (whole, scheme, _fn)) in enumerate(sorted(HOSTILE.items())):
        plan.append((kind, 1000 + j, False, whole, scheme))
    rnd.shuffle(plan)
    lines = []
    servers = []
    for kind, tid, honest_target, whole, scheme in plan:
        ctx = None
        if honest_target and scheme == "https":
            ctx = contexts["https"]
        elif not honest_target and kind in TLS_SPOKEN:
            ctx = contexts[scheme]
        server = await asyncio.start_server(make_handler(kind, tid, honest_target), "127.0.0.1", 0,
                                            ssl=ctx, backlog=64)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        url_scheme = "https" if scheme.startswith("https") else "http"
        path = ("honest-" + kind) if honest_target else kind
        lines.append("%s://127.0.0.1:%d/%s %s %d %d\n" % (url_scheme, port, path, "honest" if honest_target else "hostile", tid, whole))
    with open(manifest + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(manifest + ".tmp", manifest)
    print("serving %d targets" % len(lines), flush=True)
    await asyncio.Event().wait()


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------

MARK = re.compile(rb"hf-(\d+)-(\d+)\.")


def count(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        sys.exit("count: %s: shorter than a pcap header" % path)
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    pos, counts, seen, total, unmarked, duplicates = 24, {}, set(), 0, 0, 0
    while pos < len(data):
        if pos + 16 > len(data):
            sys.exit("count: %s: a partial record header at byte %d" % (path, pos))
        caplen = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        body = data[pos + 16:pos + 16 + caplen]
        if len(body) != caplen:
            sys.exit("count: %s: a partial record at byte %d" % (path, pos))
        pos += 16 + caplen
        total += 1
        m = MARK.search(body)
        if not m:
            unmarked += 1
            continue
        key = (int(m.group(1)), int(m.group(2)))
        if key in seen:
            duplicates += 1
        seen.add(key)
        counts[key[0]] = counts.get(key[0], 0) + 1
    for tid in sorted(counts):
        print(tid, counts[tid])
    print("total", total)
    print("unmarked", unmarked)
    print("duplicates", duplicates)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "count":
        count(sys.argv[2])
    else:
        sys.exit(__doc__)
