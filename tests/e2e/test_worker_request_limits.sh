#!/usr/bin/env bash
# Every request head passes a bounded gate before httplib parses it, on TCP
# and unix listeners: a flood of header lines, one endless field line or an
# oversized head gets 431, a long request line 414, a malformed head 400, a
# head that never ends or trickles 408 after --request-timeout; each as JSON
# with "Connection: close", the connection closed soon after. Memory stays
# flat meanwhile and after, other clients are served, a capture streams every
# packet, and keep-alive and pipelined requests still work.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
ns_create b
ns_link a b 10.213.41.1/24 10.213.41.2/24
sock=$E2E_TMP/worker.sock
# --max-captures 2: a pool of 10 threads, so 12 slow clients could starve it.
start_worker a worker --listen :0 --listen "unix:$sock" --request-timeout 1 --max-captures 2
wpid=$(pid_of worker)
target=10.213.41.1:$WORKER_PORT
base=http://$target

# probe.py TARGET MODE ARGS...: raw HTTP clients (TARGET is HOST:PORT or
# unix:PATH). Prints key=value lines: status, body, connection (the answer's
# Connection field), seconds, and per mode sent / eof / reset / rss_max_kb /
# responses.
cat >"$E2E_TMP/probe.py" <<'EOF'
import select, socket, sys, time

def connect(target):
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(target[5:])
        return s
    host, port = target.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)

def report(resp, **extra):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")[1].decode() if lines[0].startswith(b"HTTP/1.1 ") else "none"
    conn = [l.split(b":", 1)[1].strip().decode() for l in lines[1:] if l.lower().startswith(b"connection:")]
    print("status=%s" % status)
    print("body=%s" % body.decode(errors="replace").rstrip("\n"))
    print("connection=%s" % (conn[0] if conn else "none"))
    for k, v in extra.items():
        print("%s=%s" % (k, v))

def read_until_eof(s, limit):
    s.settimeout(limit)
    resp = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            resp += d
    except OSError:
        pass
    return resp

def rss_kb(pid):
    with open("/proc/%s/status" % pid) as f:
        return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])

def send_head(target, head):
    s = connect(target)
    t0 = time.monotonic()
    s.sendall(head)
    resp = read_until_eof(s, 10)
    report(resp, seconds="%.2f" % (time.monotonic() - t0))

def flood(target, kind, total, pid):
    # Sends up to `total` bytes of one endless head, reading at the same time;
    # stops sending once an answer starts, then reads it to the end.
    units = {"lines": b"X:1\r\n" * 13107,
             "longline": b"a" * 65536,
             "bigfields": (b"X-Big: " + b"a" * 991 + b"\r\n") * 64}
    start = b"GET /healthz HTTP/1.1\r\n" + (b"X-Long: " if kind == "longline" else b"")
    s = connect(target)
    s.setblocking(False)
    pending, sent, resp, eof, rss_max = start, 0, b"", False, rss_kb(pid)
    t0 = next_rss = time.monotonic()
    while not eof and time.monotonic() - t0 < 60:
        if time.monotonic() >= next_rss:
            rss_max, next_rss = max(rss_max, rss_kb(pid)), time.monotonic() + 0.05
        writing = [s] if sent < total and not resp else []
        r, w, _ = select.select([s], writing, [], 0.05)
        if r:
            try:
                d = s.recv(65536)
            except OSError:
                break
            eof = not d
            resp += d
        elif w:
            if not pending:
                pending = units[kind]
            try:
                n = s.send(pending[:total - sent])
            except OSError:
                break
            sent, pending = sent + n, pending[n:]
    seconds = time.monotonic() - t0
    # The worker then closes for good within its linger time: sends fail.
    s.setblocking(True)
    s.settimeout(1)
    reset = "no"
    t1 = time.monotonic()
    while time.monotonic() - t1 < 5:
        try:
            s.send(b"X:1\r\n" * 1000)
        except socket.timeout:
            continue
        except OSError:
            reset = "%.2f" % (time.monotonic() - t1)
            break
    rss_max = max(rss_max, rss_kb(pid))
    report(resp, sent=sent, eof="yes" if eof else "no", seconds="%.2f" % seconds,
           reset=reset, rss_max_kb=rss_max)

def slow(target, kind, limit):
    # idle: a request line, then nothing; trickle: one byte every 200 ms.
    s = connect(target)
    print("connected", flush=True)
    data = b"GET /healthz HTTP/1.1\r\n" + (b"X-Slow: " + b"a" * 200 if kind == "trickle" else b"")
    t0 = time.monotonic()
    if kind == "idle":
        s.sendall(data)
    else:
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            r, _, _ = select.select([s], [], [], 0.2)
            if r or time.monotonic() - t0 > limit:
                break
    resp = read_until_eof(s, max(0.1, limit - (time.monotonic() - t0)))
    report(resp, seconds="%.2f" % (time.monotonic() - t0))

def pipeline(target):
    s = connect(target)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: w\r\n\r\n"
              b"GET /healthz HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n")
    resp = read_until_eof(s, 10)
    print("responses=%d" % resp.count(b"HTTP/1.1 200 OK\r\n"))
    print("bodies=%d" % resp.count(b"\r\n\r\nok\n"))

target, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == "fields":
    n = int(args[0])
    send_head(target, b"GET /healthz HTTP/1.1\r\nHost: w\r\n" +
              b"".join(b"X-Field-%d: 1\r\n" % i for i in range(2, n + 1)) + b"\r\n")
elif mode == "line":
    pad = int(args[0]) - len(b"GET /healthz?pad= HTTP/1.1\r\n")
    send_head(target, b"GET /healthz?pad=" + b"a" * pad + b" HTTP/1.1\r\nHost: w\r\n\r\n")
elif mode == "raw":
    send_head(target, args[0].encode().decode("unicode_escape").encode("latin-1"))
elif mode == "flood":
    flood(target, args[0], int(args[1]), args[2])
elif mode == "slow":
    slow(target, args[0], float(args[1]))
elif mode == "pipeline":
    pipeline(target)
EOF
probe() { ns_exec b timeout -k 1 90 "$E2E_PYTHON" "$E2E_TMP/probe.py" "$@"; }
probe_unix() { ns_exec a timeout -k 1 90 "$E2E_PYTHON" "$E2E_TMP/probe.py" "$@"; }
val() { sed -n "s/^$1=//p" <<<"$2" | head -1; }
# within_s VALUE MIN MAX: a decimal number of seconds within [MIN, MAX]
within_s() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$wpid/status"; }
metric() { http_body b "$base/metrics" | awk -v m="$1" '$1==m{print $2}'; }

# expect_refusal OUTPUT STATUS MESSAGE WHAT: the exact JSON answer, closing.
expect_refusal() {
    assert_eq "$2" "$(val status "$1")" "status: $4"
    assert_eq "{\"error\":\"$3\"}" "$(val body "$1")" "JSON body: $4"
    assert_eq close "$(val connection "$1")" "Connection field: $4"
}

# A capture runs through everything below and must miss nothing.
ns_spawn b cap curl -sN -o "$E2E_TMP/cap.pcap" "$base/capture?filter=icmp"
has_header() { (( $(stat -c %s "$E2E_TMP/cap.pcap" 2>/dev/null || echo 0) >= 24 )); }
wait_for 5 has_header || fail "the capture sent no pcap header"
assert_eq ok "$(http_body b "$base/healthz")" "healthz before"
rss_base=$(rss_kb)
note "worker VmRSS at start: $rss_base kB"

# --- (1) floods: 40 MB on one connection each ------------------------------
out=$(probe "$target" flood lines 40000000 "$wpid")
note "flood of X:1 lines: $(tr '\n' ' ' <<<"$out")"
expect_refusal "$out" 431 "more than 100 header fields" "40 MB of X:1 lines"
assert_eq yes "$(val eof "$out")" "the worker closed its side after answering"
assert_le "$(val sent "$out")" 16000000 "bytes sent before the answer came"
[[ $(val reset "$out") != no ]] || fail "the connection was still open 5 s after the answer"
within_s "$(val reset "$out")" 0 2 || fail "connection closed $(val reset "$out") s after the answer, not within 2 s"
assert_le "$(val rss_max_kb "$out")" $((rss_base + 20000)) "worker VmRSS (kB) during the flood"

out=$(probe "$target" flood longline 40000000 "$wpid")
expect_refusal "$out" 431 "header field 1 longer than 8192 bytes" "one 40 MB field line"
assert_le "$(val rss_max_kb "$out")" $((rss_base + 20000)) "worker VmRSS (kB) during one endless line"
out=$(probe "$target" flood bigfields 40000000 "$wpid")
expect_refusal "$out" 431 "request head longer than 65536 bytes" "1000-byte fields past 64 KiB"
# The same over the unix socket.
out=$(probe_unix "unix:$sock" flood lines 40000000 "$wpid")
expect_refusal "$out" 431 "more than 100 header fields" "40 MB of X:1 lines over the unix socket"
assert_le "$(rss_kb)" $((rss_base + 20000)) "worker VmRSS (kB) after the floods"

# --- (2) request line, (3) header fields, at and past their limits --------
out=$(probe "$target" line 8192)
assert_eq 200 "$(val status "$out")" "a request line of exactly 8192 bytes"
out=$(probe "$target" line 10240)
expect_refusal "$out" 414 "request line longer than 8192 bytes" "a 10 KB request line"
out=$(probe "$target" fields 100)
assert_eq 200 "$(val status "$out")" "100 header fields"
out=$(probe "$target" fields 101)
expect_refusal "$out" 431 "more than 100 header fields" "101 header fields"
out=$(probe_unix "unix:$sock" fields 101)
expect_refusal "$out" 431 "more than 100 header fields" "101 header fields over the unix socket"
# Malformed heads (RFC 9112 §5.2 obs-fold, §2.2 bare CR, NUL).
out=$(probe "$target" raw 'GET /healthz HTTP/1.1\r\nHost: w\r\nX-A: one\r\n two\r\n\r\n')
expect_refusal "$out" 400 "malformed request head: obsolete line folding after header field 2" "obs-fold"
out=$(probe "$target" raw 'GET /healthz HTTP/1.1\r\nHost: w\rX\r\n\r\n')
expect_refusal "$out" 400 "malformed request head: bare CR in header field 1" "bare CR"
out=$(probe "$target" raw 'GET /healthz HTTP/1.1\r\nHost: w\x00\r\n\r\n')
expect_refusal "$out" 400 "malformed request head: NUL byte in the request head" "NUL"

# --- (4) heads that never end: 408 after --request-timeout 1 ---------------
timeout_body="request head not complete within 1 s (--request-timeout)"
out=$(probe "$target" slow idle 15)
expect_refusal "$out" 408 "$timeout_body" "a request line, then nothing"
within_s "$(val seconds "$out")" 0.95 3 || fail "408 after $(val seconds "$out") s, not 1-3 s"
out=$(probe "$target" slow trickle 15)
expect_refusal "$out" 408 "$timeout_body" "one byte every 200 ms"
within_s "$(val seconds "$out")" 0.95 3 || fail "408 after $(val seconds "$out") s, not 1-3 s"
out=$(probe_unix "unix:$sock" slow trickle 15)
expect_refusal "$out" 408 "$timeout_body" "one byte every 200 ms over the unix socket"

# --- (5) meanwhile: 12 trickling clients (more than the pool's 9 free
# threads) cannot keep /healthz from answering ----------------------------------
for i in $(seq 12); do
    ns_spawn b "slow$i" timeout -k 1 30 "$E2E_PYTHON" "$E2E_TMP/probe.py" "$target" slow trickle 15
done
all_connected() { for i in $(seq 12); do grep -q connected "$(log_out "slow$i")" || return 1; done; }
wait_for 10 all_connected || fail "the slow clients did not connect"
t0=$(_e2e_now_us)
assert_eq ok "$(ns_exec b curl -s --max-time 8 "$base/healthz")" "/healthz while 12 clients trickle"
note "/healthz answered in $(( ($(_e2e_now_us) - t0) / 1000 )) ms"
for i in $(seq 12); do
    wait_exit "slow$i" 20 || fail "slow client $i still running"
    expect_refusal "$(cat "$(log_out "slow$i")")" 408 "$timeout_body" "trickling client $i"
done

# --- (6) keep-alive and pipelining still work ---------------------------------
out=$(ns_exec b curl -sv --max-time 5 -o "$E2E_TMP/ka1" "$base/healthz" -o "$E2E_TMP/ka2" "$base/metrics" 2>&1)
assert_contains "$out" "Re-using existing connection" "curl keeps the connection for the second request"
assert_eq ok "$(cat "$E2E_TMP/ka1")" "first response on the kept-alive connection"
assert_contains "$(cat "$E2E_TMP/ka2")" "ddump_captures_active 1" "second response on the kept-alive connection"
out=$(probe "$target" pipeline)
assert_eq 2 "$(val responses "$out")" "pipelined requests answered"
assert_eq 2 "$(val bodies "$out")" "pipelined bodies"

# /stats shows a unix client as "unix", as before the gate.
ns_spawn a ucap curl -sN -o /dev/null --unix-socket "$sock" "http://w/capture?filter=udp+port+9"
two_active() { [[ "$(metric ddump_captures_active)" == 2 ]]; }
wait_for 5 two_active || fail "the capture over the unix socket did not start"
# /stats lists the asking caller's own captures and counts the others.
peers() { "$E2E_PYTHON" -c 'import json,sys; s=json.load(sys.stdin); print(" ".join(sorted(c["peer"].split(":")[0] for c in s["captures"])), s["captures_of_others"])'; }
assert_eq "10.213.41.2 1" "$(http_body b "$base/stats" | peers)" "/stats peers of a TCP client"
assert_eq "unix 1" "$(ns_exec a curl -s --max-time 5 --unix-socket "$sock" http://w/stats | peers)" "/stats peers of a unix client"
stop ucap TERM

# The capture saw every ping, exactly, through all of the above.
ns_ping b 10.213.41.1 10 || fail "ping failed"
wait_for_pcap_count "$E2E_TMP/cap.pcap" 20 10 icmp || fail "capture missed pings: $(pcap_count "$E2E_TMP/cap.pcap" icmp)"
stop cap TERM
assert_eq 20 "$(pcap_count "$E2E_TMP/cap.pcap" icmp)" "ICMP packets captured (10 requests + 10 replies)"
rss_end=$(rss_kb)
note "worker VmRSS at the end: $rss_end kB (start $rss_base kB)"
assert_le "$rss_end" $((rss_base + 20000)) "worker VmRSS (kB) at the end"

# A bad --request-timeout: one line, exit 2.
for bad in 0 5000 soon; do
    rc=0
    err=$("$(e2e_bin ddump-worker)" --request-timeout "$bad" 2>&1 >/dev/null) || rc=$?
    assert_eq 2 "$rc" "exit status for --request-timeout $bad"
    assert_eq 1 "$(wc -l <<<"$err")" "one line for --request-timeout $bad"
done
assert_contains "$err" '--request-timeout must be a non-negative number of seconds, got "soon"' "message"
err=$("$(e2e_bin ddump-worker)" --request-timeout 0 2>&1 >/dev/null) || true
assert_eq "ddump-worker: --request-timeout must be between 0.001 and 3600 seconds" "$err" "message for 0"

pass "request heads bounded: 431/414/400/408 as JSON, memory flat, others served, keep-alive kept"
