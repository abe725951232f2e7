#!/usr/bin/env bash
# Worker shutdown with real streams:
#   1. SIGINT: two live streams (icmp, unfiltered) both end with their
#      terminating chunk (curl exit 0), each a valid pcap holding the 10 ping
#      packets; the worker logs signal "Interrupt" and exits 0 within 3 s;
#   2. SIGTERM while a stream cannot finish (its reader stopped reading with a
#      full window; the worker waits for it up to its 1.5 s grace): a new
#      /capture gets 503 {"error":"worker is shutting down"}; once the reader
#      drains, that stream ends with its terminating chunk, holding exactly the
#      packets the worker logged, and the worker exits 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd curl
cd "$E2E_TMP"

ns_create a
ns_create b
ns_link a b 10.213.54.1/24 10.213.54.2/24
started() { (( $(grep -c ' capture_start ' "$(log_err "$1")" || true) >= $2 )); }

# --- 1. SIGINT ends every stream cleanly ----------------------------------------
start_worker a w1
base="http://10.213.54.1:$WORKER_PORT"
ns_spawn b c1 curl -sSN --fail -o c1.pcap "$base/capture?filter=icmp"
ns_spawn b c2 curl -sSN --fail -o c2.pcap "$base/capture"
wait_for 10 started w1 2 || fail "captures did not start"
ns_ping b 10.213.54.1 5 || fail "ping"
wait_for_pcap_count c1.pcap 10 5 icmp || fail "stream 1 lacks the pings"
wait_for_pcap_count c2.pcap 10 5 icmp || fail "stream 2 lacks the pings"
stop w1 INT 3 0 || fail "worker ignored SIGINT for 3 s"
assert_eq 0 "$E2E_EXIT_STATUS" "worker exit status after SIGINT"
for c in c1 c2; do
    wait_exit "$c" 3 || fail "$c still running after the worker left"
    assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status of $c (0: terminating chunk seen)"
    valid_pcap "$c.pcap" >/dev/null
    assert_eq 10 "$(pcap_count "$c.pcap" icmp)" "pings in $c"
done
log=$(cat "$(log_err w1)")
assert_contains "$log" 'info shutting_down signal="Interrupt" captures_active=2' "shutdown line"
assert_eq 2 "$(grep -c ' capture_end .*reason="worker shutting down"' <<<"$log")" "streams ended by the shutdown"
pass "SIGINT: both streams ended with their terminating chunk (10 pings each), worker exit 0"

# --- 2. SIGTERM with a stream that cannot finish yet: 503 meanwhile ---------------
# Small send buffers in the worker's namespace, a 4 KiB receive buffer at the
# reader: 2 MB of captured datagrams cannot drain while it does not read.
ns_exec a sysctl -q -w net.ipv4.tcp_wmem="4096 16384 65536"
start_worker a w2
port=$WORKER_PORT
cat >reader.py <<'PY'
import os, socket, sys, time
host, port, out, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(30)
s.connect((host, port))
s.sendall(b"GET /capture?filter=udp+port+17600 HTTP/1.1\r\nHost: w\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    d = s.recv(4096)
    if not d:
        sys.exit("closed before the response head")
    data += d
head, data = data.split(b"\r\n\r\n", 1)
print(head.split(b"\r\n")[0].decode(), flush=True)
while not os.path.exists(go):   # the test says when to drain
    time.sleep(0.02)
# RFC 9112 section 7.1: chunks until the zero-length one and its CRLF.
body, at, ended = bytearray(), 0, False
while not ended:
    nl = data.find(b"\r\n", at)
    if nl >= 0:
        size = int(data[at:nl].split(b";")[0], 16)
        if len(data) >= nl + 2 + size + 2:
            body += data[nl + 2:nl + 2 + size]
            at, ended = nl + 2 + size + 2, size == 0
            continue
    d = s.recv(65536)
    if not d:
        break
    data += d
open(out, "wb").write(body)
print("terminated" if ended else "unterminated", len(body), flush=True)
sys.exit(0 if ended else 1)
PY
ns_spawn b reader "$E2E_PYTHON" reader.py 10.213.54.1 "$port" slow.pcap "$E2E_TMP/go"
wait_for 10 started w2 1 || fail "slow capture did not start"
wait_for_log reader '^HTTP/1.1 200' 5 || fail "no response head: $(cat "$(log_out reader)")"
ns_exec b timeout 20 "$E2E_PYTHON" -c '
import errno, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1500):
    while True:
        try:
            s.sendto(b"z" * 1400, ("10.213.54.1", 17600))
            break
        except OSError as e:
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise
            time.sleep(0.001)
'
# From here on a failure first lets the reader drain, so the worker can leave.
drain_and_fail() { touch "$E2E_TMP/go"; fail "$@"; }
sendq() { ns_exec a ss -Htn state established "sport = :$port" | awk '{print $2}'; }
window_full() { (( $(sendq) >= 30000 )); }
wait_for 10 window_full || drain_and_fail "the worker's send queue did not fill: $(sendq)"

kill -TERM "$(pid_of w2)"
wait_for_log w2 'info shutting_down signal="Terminated" captures_active=1' 1 || drain_and_fail "no shutting_down line"
refusal() {
    ns_exec b curl -s --max-time 1 -w '\n%{http_code}' "http://10.213.54.1:$port/capture?filter=icmp" >refusal.txt
    [[ "$(tail -1 refusal.txt)" == 503 ]]
}
wait_for 1.4 refusal ||
    drain_and_fail "no 503 while shutting down: HTTP status $(tail -1 refusal.txt)"
[[ "$(head -1 refusal.txt)" == '{"error":"worker is shutting down"}' ]] ||
    drain_and_fail "503 body: $(head -1 refusal.txt)"
pid_alive "$(pid_of w2)" ||
    drain_and_fail "the worker did not wait for the stream still writing"

touch go
wait_exit reader 10 || fail "the slow reader did not get to the end"
assert_eq 0 "$E2E_EXIT_STATUS" "reader exit status (0: terminating chunk seen): $(tail -1 "$(log_out reader)")"
wait_exit w2 10 0 || fail "worker did not exit after the stream ended"
assert_eq 0 "$E2E_EXIT_STATUS" "worker exit status after SIGTERM"
logged=$(grep ' capture_end .*reason="worker shutting down"' "$(log_err w2)" | grep -oE ' packets=[0-9]+' | cut -d= -f2)
assert_ge "$logged" 100 "packets the worker streamed to the slow reader"
assert_eq "$logged" "$(valid_pcap slow.pcap)" "packets the reader got = packets the worker logged"
pass "SIGTERM: a new capture got 503 while a stream was still writing; that stream then ended cleanly ($logged packets), exit 0"
