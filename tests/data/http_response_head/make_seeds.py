#!/usr/bin/python3
"""Seeds for the client's HTTP fuzz targets (tests/fuzz/fuzz_http_response_head,
fuzz_http_body, fuzz_chunked_decoder): writes tests/data/http_response_head/,
tests/data/http_body/ and tests/data/chunked_decoder/. Run from anywhere:
/usr/bin/python3 tests/data/http_response_head/make_seeds.py

The WORKER_* answers were recorded byte for byte from a ddump-worker on
127.0.0.1 (GET /capture?filter=icmp&count=3 while pinging 127.0.0.1, /stats
during that capture, /capture?snaplen=x, /nope), read with a raw socket so
the chunked framing is kept. The proxy answers are written in the form
nginx 1.22 and envoy send. Every seed ends with one extra byte: the fuzz
targets take the last byte as the piece size of their split feeding (0: one
piece), so the recorded bytes stay whole.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

WORKER_CAPTURE_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Cache-Control: no-store\r\n"
    b"Connection: close\r\n"
    b"Content-Type: application/vnd.tcpdump.pcap\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"X-Accel-Buffering: no\r\n"
    b"X-Ddump-Capture-Id: 2\r\n"
    b"X-Ddump-Filter: not ((host 127.0.0.1 and tcp port 40893)) and (icmp)\r\n"
    b"X-Ddump-Host: vm\r\n"
    b"X-Ddump-Interface: any\r\n"
    b"X-Ddump-Linktype: LINUX_SLL\r\n"
    b"X-Ddump-Time: 1796157099727492555\r\n"
    b"\r\n")
# Its chunked body: the pcap global header, three ICMP echo records, the
# last chunk.
WORKER_CAPTURE_BODY = bytes.fromhex(
    "31380d0ad4c3b2a102000400000000000000000000000400710000000d0a65380d0aac2e0f6b"
    "3e5b080064000000640000000000030400060000000000000000080045000054f17240004001"
    "4b347f0000017f00000108003c7011c70001ac2e0f6b00000000275b08000000000010111213"
    "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637ac2e"
    "0f6b455b080064000000640000000000030400060000000000000000080045000054f1730000"
    "40018b337f0000017f0000010000447011c70001ac2e0f6b00000000275b0800000000001011"
    "12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
    "0d0a37340d0aac2e0f6b7f970e00640000006400000000000304000600000000000000000800"
    "45000054f194400040014b127f0000017f0000010800ebdc121e0001ac2e0f6b000000007197"
    "0e0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
    "30313233343536370d0a300d0a0d0a"
)
WORKER_STATS = (
    b'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 431\r\n'
    b'Content-Type: application/json\r\n\r\n{\n  "captures": [\n    {\n'
    b'      "bytes": 256,\n      "filter": "icmp",\n      "id": 2,\n'
    b'      "interface": "any",\n      "kernel_drops": 0,\n'
    b'      "linktype": "LINUX_SLL",\n      "packets": 2,\n'
    b'      "peer": "127.0.0.1:48808",\n      "start_time_ns": 1796157099711514053\n'
    b'    }\n  ],\n  "captures_active": 1,\n  "captures_finished": 1,\n'
    b'  "captures_of_others": 0,\n  "captures_rejected": 0,\n  "max_captures": 16,\n'
    b'  "uptime_seconds": 9.231182125\n}\n')
WORKER_400 = (
    b'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 62\r\n'
    b'Content-Type: application/json\r\n\r\n'
    b'{"error":"snaplen must be a non-negative integer, got \\"x\\""}\n')
WORKER_404 = (
    b'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 32\r\n'
    b'Content-Type: application/json\r\n\r\n{"error":"no such path: /nope"}\n')

NGINX_CAPTURE_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Server: nginx/1.22.1\r\n"
    b"Date: Tue, 01 Dec 2026 20:31:39 GMT\r\n"
    b"Content-Type: application/vnd.tcpdump.pcap\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"Connection: keep-alive\r\n"
    b"Cache-Control: no-store\r\n"
    b"X-Ddump-Capture-Id: 7\r\n"
    b"X-Ddump-Host: web1\r\n"
    b"X-Ddump-Time: 1796157099727492555\r\n"
    b"\r\n")
NGINX_401 = (
    b"HTTP/1.1 401 Unauthorized\r\n"
    b"Server: nginx/1.22.1\r\n"
    b"Date: Tue, 01 Dec 2026 20:31:39 GMT\r\n"
    b"Content-Type: text/html\r\n"
    b"Content-Length: 179\r\n"
    b"Connection: keep-alive\r\n"
    b'WWW-Authenticate: Basic realm="ddump"\r\n'
    b"\r\n"
    b"<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    b"<center><h1>401 Authorization Required</h1></center>\r\n"
    b"<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n")
ENVOY_503 = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-length: 19\r\n"
    b"content-type: text/plain\r\n"
    b"date: Tue, 01 Dec 2026 20:31:39 GMT\r\n"
    b"server: envoy\r\n"
    b"\r\n"
    b"no healthy upstream")


def write(directory, name, data, split):
    path = os.path.join(DATA, directory)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(data + bytes([split]))


# The response head parser: whole answers, interim 1xx, obs-fold, not HTTP.
HEADS = {
    "worker_capture": (WORKER_CAPTURE_HEAD + WORKER_CAPTURE_BODY[:64], 7),
    "worker_400": (WORKER_400, 0),
    "worker_404": (WORKER_404, 3),
    "nginx_capture": (NGINX_CAPTURE_HEAD + b"18\r\n", 13),
    "nginx_401": (NGINX_401, 2),
    "envoy_503": (ENVOY_503, 5),
    "interim_1xx": (b"HTTP/1.1 100 Continue\r\n\r\n"
                    b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                    + WORKER_404, 1),
    "obs_fold": (b"HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\n\tthird\r\n"
                 b"Content-Length: 0\r\n\r\n", 4),
    "not_http": (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 0),
}
# Body framing (RFC 9112 6.3) and the body decoder: whole responses.
BODIES = {
    "worker_capture": (WORKER_CAPTURE_HEAD + WORKER_CAPTURE_BODY, 9),
    "worker_stats": (WORKER_STATS, 17),
    "until_close": (b"HTTP/1.0 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n\r\n"
                    + WORKER_CAPTURE_BODY[4:28], 3),
    "no_content": (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nHTTP/", 0),
    "cl_list": (b"HTTP/1.1 200 OK\r\nContent-Length: 24, 24\r\nContent-Length: 24\r\n\r\n"
                + WORKER_CAPTURE_BODY[4:28], 5),
    "cl_conflict": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 0),
    "te_gzip": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 1),
    "te_and_cl": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n", 2),
    "cl_short": (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + WORKER_CAPTURE_BODY[:40], 8),
}
# Chunked bodies alone.
CHUNKED = {
    "worker_capture": (WORKER_CAPTURE_BODY, 5),
    "extensions_trailers": (b'5;name=value;q="a b"\r\nhello\r\n0;last\r\n'
                            b"X-Checksum: abc\r\nX-Other: 1\r\n\r\n", 1),
    "leading_zeros": (b"0000A\r\n0123456789\r\n00000\r\n\r\n", 2),
    "nginx_rechunked": (b"18\r\n" + WORKER_CAPTURE_BODY[4:28] + b"\r\n1\r\n\xac\r\n"
                        b"e7\r\n" + bytes(range(231)) + b"\r\n0\r\n\r\n", 11),
    "bytes_after": (b"3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", 0),
    "truncated": (b"100\r\n" + bytes(50), 7),
    "size_too_large": (b"10000000000000000\r\n", 0),
    "data_overrun": (b"3\r\nabcd\r\n0\r\n\r\n", 0),
    "bws_extension": (b"4 ; ext\r\nwiki\r\n0\r\n\r\n", 3),
}

for name, (data, split) in HEADS.items():
    write("http_response_head", name, data, split)
for name, (data, split) in BODIES.items():
    write("http_body", name, data, split)
for name, (data, split) in CHUNKED.items():
    write("chunked_decoder", name, data, split)
