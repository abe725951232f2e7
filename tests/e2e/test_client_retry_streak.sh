#!/usr/bin/env bash
# --retry N counts failures in a row: a worker whose stream breaks after
# delivering packets (a restart, a proxy reload) is reconnected however often
# that happens, while one that keeps failing without delivering anything is
# given up after N tries. A fake worker on loopback streams 5 records per
# connection and resets the first three; the fourth ends cleanly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd capinfos
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

cat >server.py <<'PY'
import socket, struct, sys, time
# argv: PORT_FILE RESETS: the first RESETS connections stream 5 records and
# are reset; later ones stream 5 and end the chunked body; with RESETS < 0
# every connection is reset before any record.
port_file, resets = sys.argv[1], int(sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
open(port_file, "w").write("%d\n" % srv.getsockname()[1])
def chunk(b):
    return b"%x\r\n" % len(b) + b + b"\r\n"
n = 0
t = 1_700_000_000
while True:
    c, _ = srv.accept()
    c.recv(4096)
    if resets < 0:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        continue
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" +
              chunk(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)))
    for i in range(5):
        t += 1
        body = bytes(12) + b"\x88\xb5" + struct.pack(">II", n, i)
        c.sendall(chunk(struct.pack("<IIII", t, 0, len(body), len(body)) + body))
    if n < resets:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        c.sendall(b"0\r\n\r\n")
    c.close()
    n += 1
PY

serve() {  # NAME RESETS
    spawn "$1" "$E2E_PYTHON" -u server.py "$E2E_TMP/$1.port" "$2"
    wait_for 10 test -s "$E2E_TMP/$1.port" || fail "$1 did not start"
    cat "$E2E_TMP/$1.port"
}

port=$(serve flaky 3)
status=0
timeout 60 "$DDUMP" --retry 1 -w out.pcap "http://127.0.0.1:$port/capture" 2>ddump.err || status=$?
assert_eq 0 "$status" "exit status: $(cat ddump.err)"
assert_eq 20 "$(pcap_count out.pcap)" "every record of the four connections"
assert_eq 3 "$(grep -c 'retrying in 500 ms' ddump.err)" "three reconnects, each after the first backoff"
assert_not_contains "$(cat ddump.err)" "(failed)" "the target did not fail"

port=$(serve dead -1)
status=0
timeout 60 "$DDUMP" --retry 2 -w dead.pcap "http://127.0.0.1:$port/capture" 2>dead.err || status=$?
assert_eq 1 "$status" "a target that never delivers fails"
assert_eq 2 "$(grep -c 'retrying in' dead.err)" "after --retry 2 reconnects"
assert_contains "$(cat dead.err)" "(failed)" "its summary says so"

pass "--retry counts failures in a row: 3 resets after packets survived with --retry 1; a dead worker given up after 2"
