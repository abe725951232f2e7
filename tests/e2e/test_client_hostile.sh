#!/usr/bin/env bash
# Hostile or broken streams from a fake worker: each ends its target with one
# clear stderr line (target named, password masked), exit 1, never a crash,
# and stdout stays a valid pcap holding only whole records. A 4xx on every
# target (bad filter) exits 2 with the worker's JSON error text. Broken HTTP
# framing and silent or endless heads (a raw python server) end cleanly too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"
export DDUMP_PASSWORD=s3cret
fake_start evil --user alice:s3cret
# Plain http on loopback: basic auth needs --allow-insecure-auth there.
base="http://alice@127.0.0.1:$FAKE_PORT"
shown="http://alice:***@127.0.0.1:$FAKE_PORT"  # the password (from DDUMP_PASSWORD) masked

# path | packets expected on stdout | error text expected
cases=(
    "bad-magic|0|not a pcap stream: bad magic 0x3c68746d"
    "giant-caplen|2|caplen 2147483647 exceeds limit 262144 in record 3"
    "truncated|2|truncated record 3: stream ended after 41 of 48 bytes"
    "wrong-type|0|unexpected Content-Type 'text/plain'"
    "html|0|HTTP 502 with an HTML page (a proxy or web server, not a ddump worker)"
    "html200|0|unexpected Content-Type 'text/html'"
    "die-after?n=4|4|connection lost mid-stream"
)
# rejected_each BASE SHOWN CASE...: each "path|packets|text" case ends its
# target with exactly one stderr line "ddump: SHOWN/path: text" (-q), exit 1,
# no password, and stdout a valid pcap of `packets` whole records.
rejected_each() {
    local base=$1 shown=$2 c path packets text st
    shift 2
    for c in "$@"; do
        IFS='|' read -r path packets text <<<"$c"
        st=0
        timeout 20 "$DDUMP" -q --allow-insecure-auth "$base/$path" >out.pcap 2>err.txt || st=$?
        assert_eq 1 "$st" "$path: exit status"
        assert_eq 1 "$(wc -l <err.txt)" "$path: exactly one stderr line with -q: $(cat err.txt)"
        assert_contains "$(cat err.txt)" "ddump: $shown/$path: $text" "$path: error line"
        assert_not_contains "$(cat err.txt)" "s3cret" "$path: password masked"
        assert_eq "$packets" "$(valid_pcap out.pcap)" "$path: whole records on stdout"
    done
}
rejected_each "$base" "$shown" "${cases[@]}"
pass "7 hostile streams each rejected cleanly"

# A hostile target among good ones: the others go on, exit 1.
st=0
timeout 20 "$DDUMP" --allow-insecure-auth "$base/capture?live=1&pps=2000&count=300" "$base/giant-caplen" "$base/bad-magic" >mix.pcap 2>err.txt || st=$?
assert_eq 1 "$st" "mixed exit status"
assert_eq 302 "$(valid_pcap mix.pcap)" "good stream + 2 valid records of the hostile one"
assert_contains "$(cat err.txt)" "count=300: 300 packets" "good target summary"
pass "one hostile target does not stop the others"

# Wrong password: a 401 on every target is a configuration error (exit 2).
st=0
DDUMP_PASSWORD=wrong timeout 20 "$DDUMP" -q --allow-insecure-auth "$base/capture" >out.pcap 2>err.txt || st=$?
assert_eq 2 "$st" "401 exit status"
assert_contains "$(cat err.txt)" "HTTP 401: authentication required" "401 message"

# Bad filter on every target: exit 2 with the worker's JSON error text.
fake_start plain
st=0
timeout 20 "$DDUMP" "127.0.0.1:$FAKE_PORT" "http://127.0.0.1:$FAKE_PORT/capture" \
    tcp and badfilter >out.pcap 2>err.txt || st=$?
assert_eq 2 "$st" "bad filter exit status"
# The fake worker quotes the filter it decoded: the expression arrived intact.
assert_eq 2 "$(grep -c "HTTP 400: bad filter 'tcp and badfilter': can't parse filter expression: syntax error" err.txt)" \
    "the worker's error, once per target"
assert_eq 0 "$(valid_pcap out.pcap)" "still a valid (empty) pcap"
pass "401 and 400 on every target exit 2 with the worker's error text"

# Nothing listening: a connect error, exit 1.
st=0
timeout 20 "$DDUMP" -q --connect-timeout 2 "127.0.0.1:1" >out.pcap 2>err.txt || st=$?
assert_eq 1 "$st" "refused connection exit status"
assert_contains "$(cat err.txt)" "http://127.0.0.1:1/capture: cannot connect to 127.0.0.1:1: connection failed" "connect error"
pass "connection refused reported"

# Broken HTTP framing, which no real server library would send: a raw server
# answers each path with the bytes below. The client's own chunked and head
# parsers must end that target cleanly, keeping the whole records before.
cat >raw_server.py <<'PY'
import socket, struct, sys, threading, time
hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
rec = lambda i: struct.pack("<IIII", 1700000000, i, 8, 8) + bytes(8)
pcap = hdr + rec(1) + rec(2)                      # 24 + 2 x 24 bytes
ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
chunk = lambda b: b"%x\r\n" % len(b) + b + b"\r\n"
answers = {
    "/bad-chunk-size": ok + b"Transfer-Encoding: chunked\r\n\r\n" + chunk(pcap) + b"zz\r\n",
    "/chunk-overrun": ok + b"Transfer-Encoding: chunked\r\n\r\n" + chunk(pcap) + b"4\r\nabcdefgh\r\n",
    "/short-length": ok + b"Content-Length: 200\r\n\r\n" + pcap,
    "/bad-header": b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
    "/not-http": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "/gzip": ok + b"Transfer-Encoding: gzip\r\n\r\n" + pcap,
}
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(16)
print(srv.getsockname()[1], flush=True)
def serve(conn):
    request = b""
    while b"\r\n\r\n" not in request:
        data = conn.recv(4096)
        if not data: break
        request += data
    path = (request.split(b" ")[1].decode() if b" " in request else "/").split("?")[0]
    if path == "/silent":      # accepts, never answers
        time.sleep(60)
    elif path == "/trickle":   # a head that never ends, one byte at a time
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(600):
            conn.sendall(b"X"); time.sleep(0.1)
    conn.sendall(answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
    conn.close()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
spawn raw /usr/bin/python3 raw_server.py
wait_for_file_lines "$(log_out raw)" 1 10 || fail "raw server did not start: $(cat "$(log_err raw)")"
raw="http://127.0.0.1:$(head -1 "$(log_out raw)")"
cases=(
    "bad-chunk-size|2|bad chunked encoding: chunk size is not a hex number at byte 78 of the body"
    "chunk-overrun|2|bad chunked encoding: chunk data not followed by CRLF (chunk size wrong?) at byte 85 of the body"
    "short-length|2|connection lost mid-stream: connection closed after 72 of 200 body bytes"
    "bad-header|0|bad HTTP response: malformed header line 'No colon here'"
    "not-http|0|bad HTTP response: status line 'SSH-2.0-OpenSSH_9.2' is not HTTP/1.x"
    "gzip|0|bad HTTP response: unsupported Transfer-Encoding 'gzip'"
)
rejected_each "$raw" "$raw" "${cases[@]}"
pass "broken HTTP framing (chunk size, overrun, short body, bad head, other coding) ends the target cleanly"

# The header deadline (twice --connect-timeout) ends a server that accepts and
# says nothing, and one that trickles a head forever, with one line, exit 1.
for path in silent trickle; do
    st=0
    start=$(date +%s%N)
    timeout 20 "$DDUMP" -q --connect-timeout 1 "$raw/$path" >out.pcap 2>err.txt || st=$?
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    assert_eq 1 "$st" "$path: exit status"
    assert_eq "ddump: $raw/$path: no response headers within 2 s" "$(cat err.txt)" "$path: error line"
    assert_ge "$elapsed" 1900 "$path: ms before giving up"
    assert_le "$elapsed" 6000 "$path: ms before giving up"
    assert_eq 0 "$(valid_pcap out.pcap)" "$path: a valid empty pcap"
done
pass "a silent server and a never-ending head hit the header deadline"

# Connect timeout: an address nobody answers for (ARP goes unanswered on a
# veth whose far end has no address) fails after --connect-timeout, not after
# the kernel's own give-up, with one line naming it.
ns_create cli
ns_create void
ns_link cli void 10.213.77.1/24 -
st=0
start=$(date +%s%N)
ns_exec cli timeout 20 "$DDUMP" -q --connect-timeout 1 "10.213.77.2" >out.pcap 2>err.txt || st=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 1 "$st" "black hole: exit status"
assert_eq "ddump: http://10.213.77.2:8475/capture: cannot connect to 10.213.77.2:8475: connect timed out" \
    "$(cat err.txt)" "black hole: error line"
assert_ge "$elapsed" 900 "black hole: ms before giving up"
assert_le "$elapsed" 2500 "black hole: ms before giving up (the kernel's ARP give-up is ~3 s)"
pass "an unanswered address fails after --connect-timeout (${elapsed} ms)"
