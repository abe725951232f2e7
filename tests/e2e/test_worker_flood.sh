#!/usr/bin/env bash
# A thousand connections that never finish a request cost the worker a file
# descriptor each, never a thread: with 992 of them open (16 addresses x 62,
# within the default per-peer cap; a quarter idle, a quarter with part of a
# request line, a quarter with a request line and no end of head, a quarter
# trickling one byte a second; each reopened as soon as the worker closes
# it), a worker with default flags
#   * answers /healthz within 1 s every time, sampled back to back until the
#     worker has closed the idle quarter (5 s) and answered the rest 408
#     (10 s) and the flood has reopened them;
#   * keeps a running capture up: 1000 datagrams, every one captured, the
#     last within 1.5 s of being sent;
#   * starts a new /capture within 1 s;
# and once the flood ends its descriptors and threads are back to what they
# were before it. Then the caps: 100 connections from one address get 64
# held and 36 answered 503 with the JSON error at once, counted in /metrics
# and /stats by reason; 60 clients that pipeline /interfaces and never read
# leave /healthz answering within 1 s; a worker with --max-connections 8
# answers the 9th connection 503 with Retry-After; flags out of range and a
# cap that RLIMIT_NOFILE cannot hold are one line and a non-zero exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd curl

# Room for the flood in the client and in the worker (which raises its own
# soft limit as far as its caps need, never past the hard one).
ulimit -n 4096

ns_create w
ns_create fl
ns_create c
ns_lan lan w=10.213.61.1/24 fl=10.213.61.10/24 c=10.213.61.2/24
sources=10.213.61.10
for i in $(seq 11 25); do
    ip -n "$(ns_name fl)" addr add "10.213.61.$i/24" dev "$(ns_ifname fl lan)"
    sources+=",10.213.61.$i"
done
ip -n "$(ns_name fl)" addr add 10.213.61.30/24 dev "$(ns_ifname fl lan)"
ip -n "$(ns_name fl)" addr add 10.213.61.31/24 dev "$(ns_ifname fl lan)"

start_worker w worker
wpid=$(pid_of worker)
base=http://10.213.61.1:$WORKER_PORT
metric() { http_body c "$base/metrics" | awk -v m="$1" '$1==m{print $2}'; }
fds() { find "/proc/$wpid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
threads() { find "/proc/$wpid/task" -mindepth 1 -maxdepth 1 | wc -l; }

# flood.py HOST PORT SOURCES PER_SOURCE KINDS reopen|once: PER_SOURCE
# connections from each source address, kinds taken in turn. Prints a
# status line every 0.2 s ("open=N connecting=N eof=N s503=N s408=N ...")
# and "refused BODY" for every 503.
cat >"$E2E_TMP/flood.py" <<'EOF'
import errno, resource, selectors, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])
sources = sys.argv[3].split(",")
per_source, kinds, reopen = int(sys.argv[4]), sys.argv[5].split(","), sys.argv[6] == "reopen"
need = len(sources) * per_source + 64
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))
FIRST = {"idle": b"", "line": b"GET /heal", "head": b"GET /healthz HTTP/1.1\r\n", "trickle": b"G",
         "unread": b"GET /interfaces HTTP/1.1\r\nHost: w\r\n\r\n" * 20}
TRICKLE = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 4000
sel = selectors.DefaultSelector()
counts = {"open": 0, "connecting": 0, "eof": 0, "reset": 0, "failed": 0}

class Slot:
    def __init__(self, src, kind):
        self.src, self.kind, self.sock = src, kind, None

def start(slot):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if slot.kind == "unread":  # a receive window of a few KiB, never read
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setblocking(False)
    s.bind((slot.src, 0))
    s.connect_ex((host, port))
    slot.sock, slot.sent, slot.next, slot.resp = s, 0, 0.0, b""
    counts["connecting"] += 1
    sel.register(s, selectors.EVENT_WRITE, slot)

def finish(slot, what):
    sel.unregister(slot.sock)
    slot.sock.close()
    slot.sock = None
    counts["open"] -= 1
    counts[what] = counts.get(what, 0) + 1
    if reopen:
        start(slot)

def connected(slot):
    counts["connecting"] -= 1
    if slot.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
        sel.unregister(slot.sock)
        slot.sock.close()
        slot.sock = None
        counts["failed"] += 1
        return
    counts["open"] += 1
    data = FIRST[slot.kind]
    if data:
        slot.sock.send(data)
        slot.sent = len(data)
    slot.next = time.monotonic() + 1
    if slot.kind == "unread":
        sel.unregister(slot.sock)
        return
    sel.modify(slot.sock, selectors.EVENT_READ, slot)

def readable(slot):
    try:
        d = slot.sock.recv(65536)
    except OSError:
        return finish(slot, "reset")
    slot.resp += d
    if d and b"\r\n\r\n" not in slot.resp:
        return
    if not slot.resp:
        return finish(slot, "eof")
    status = slot.resp.split(b" ", 2)[1].decode() if slot.resp.startswith(b"HTTP/1.1 ") else "bad"
    if status == "503":
        head, _, body = slot.resp.partition(b"\r\n\r\n")
        retry = b"\r\nRetry-After: 1\r\n" in head + b"\r\n"
        print("refused %s retry_after=%s" % (body.decode().strip(), "yes" if retry else "no"), flush=True)
    finish(slot, "s" + status)

slots = [Slot(src, kinds[i % len(kinds)]) for src in sources for i in range(per_source)]
for slot in slots:
    start(slot)
next_status = 0.0
while True:
    for key, _ in sel.select(0.05):
        slot = key.data
        if slot.sock is None:
            continue
        if key.events & selectors.EVENT_WRITE:
            connected(slot)
        else:
            readable(slot)
    now = time.monotonic()
    for slot in slots:
        if slot.sock is not None and slot.kind == "trickle" and slot.sent and now >= slot.next:
            try:
                slot.sock.send(TRICKLE[slot.sent:slot.sent + 1])
            except OSError:
                pass
            slot.sent, slot.next = slot.sent + 1, now + 1
    if now >= next_status:
        print(" ".join("%s=%d" % kv for kv in sorted(counts.items())), flush=True)
        next_status = now + 0.2
EOF
flood_status() { grep -v '^refused' "$(log_out "$1")" | tail -1; }
flood_open() { flood_status "$1" | grep -oE '(^| )open=[0-9]+' | cut -d= -f2; }
flood_held() { [[ "$(flood_open "$1")" == "$2" ]]; }

# --- before: a capture streams; the descriptors and threads it takes ---------
ns_spawn c cap curl -sN -o "$E2E_TMP/cap.pcap" "$base/capture?filter=udp+port+17600"
capturing() { [[ "$(metric ddump_captures_active)" == 1 ]]; }
wait_for 10 capturing || fail "the capture did not start"
# open_is N: the worker holds N connections, this scrape's among them (a
# scrape just before may still be closing: wait for it).
open_is() { [[ "$(metric ddump_connections_open)" == "$1" ]]; }
# settled: the capture's is the only connection the worker holds (no probe's
# is open or waiting for the worker to close it), so the count of its
# descriptors is exact.
settled() {
    [[ "$(ns_exec w ss -Htan "( sport = :$WORKER_PORT )" | awk '$1=="ESTAB"||$1=="CLOSE-WAIT"' | wc -l)" == 1 ]]
}
wait_for 5 open_is 2 || fail "connections besides the capture's: $(metric ddump_connections_open)"
wait_for 5 settled || fail "probe connections still open: $(ns_exec w ss -Htan)"
fds0=$(fds)
threads0=$(threads)
note "before the flood: $fds0 descriptors, $threads0 threads"

# send_burst N: N datagrams into the capture (2 ms apart); sets burst_rate
# (the capture's datagrams per second from the first sent to the last
# captured), burst_sent (the sender's) and burst_lag (ms from the last sent
# to the last captured, within the granularity of looking at the file).
captured=0
send_burst() {
    local t0 t1 t2
    t0=$(_e2e_now_us)
    udp_send c 10.213.61.1 17600 "$1"
    t1=$(_e2e_now_us)
    captured=$((captured + $1))
    wait_for_pcap_count "$E2E_TMP/cap.pcap" "$captured" 20 udp port 17600 ||
        fail "the capture holds $(pcap_count "$E2E_TMP/cap.pcap" udp port 17600) of $captured datagrams"
    t2=$(_e2e_now_us)
    burst_rate=$(( $1 * 1000000 / (t2 - t0) ))
    burst_sent=$(( $1 * 1000000 / (t1 - t0) ))
    burst_lag=$(( (t2 - t1) / 1000 ))
}
send_burst 1000
rate0=$burst_rate sent0=$burst_sent lag0=$burst_lag
note "before the flood: captured $rate0 datagrams/s (sent $sent0/s), the last $lag0 ms after it was sent"

# --- the flood ----------------------------------------------------------------
ns_spawn fl flood timeout -k 1 120 "$E2E_PYTHON" "$E2E_TMP/flood.py" 10.213.61.1 "$WORKER_PORT" \
    "$sources" 62 idle,line,head,trickle reopen
wait_for 30 flood_held flood 992 || fail "the flood did not open 992 connections: $(flood_status flood)"
held_by_worker() { (( $(metric ddump_connections_open) >= 990 )); }
wait_for 10 held_by_worker || fail "the worker does not hold the flood: $(metric ddump_connections_open) open"
fds1=$(fds)
threads1=$(threads)
note "during the flood: $fds1 descriptors, $threads1 threads, $(metric ddump_connections_open) connections open"
assert_eq "$threads0" "$threads1" "worker threads during the flood"
assert_ge "$fds1" $((fds0 + 950)) "descriptors during the flood (the flood is held)"

# The capture keeps up: every datagram, the last within 1.5 s of being sent
# (the rates follow the sender, which a loaded machine slows for both).
send_burst 1000
rate1=$burst_rate sent1=$burst_sent lag1=$burst_lag
note "during the flood: captured $rate1 datagrams/s (sent $sent1/s), the last $lag1 ms after it was sent"
assert_le "$lag1" 1500 "ms from the last datagram sent to its capture, during the flood"
out=$(ns_exec c curl -s --max-time 5 -o "$E2E_TMP/new.pcap" -w '%{http_code} %{time_starttransfer}' \
    "$base/capture?filter=udp+port+17601&duration=0.5") || fail "a new capture under the flood failed: $out"
note "a new capture under the flood: status and first byte after ${out#* } s"
assert_eq 200 "${out% *}" "status of a new capture under the flood"
awk -v t="${out#* }" 'BEGIN { exit !(t < 1.0) }' || fail "a new capture started after ${out#* } s, not < 1 s"


# /healthz, sampled back to back until the worker has closed the idle quarter
# (5 s without a byte) and answered the other three 408 (no complete head
# within 10 s), and the flood has opened them all again.
flood_count() {  # NAME KEY: a count of the last status line, 0 until it appears
    local n
    n=$(flood_status "$1" | grep -oE "(^| )$2=[0-9]+" | cut -d= -f2)
    echo "${n:-0}"
}
cycled() { (( $(flood_count flood eof) >= 248 && $(flood_count flood s408) >= 744 )); }
times=()
deadline=$(( $(_e2e_now_us) + 40000000 ))
while ! cycled; do
    (( $(_e2e_now_us) < deadline )) || fail "the flood did not cycle in 40 s: $(flood_status flood)"
    out=$(ns_exec c curl -s --max-time 3 -o "$E2E_TMP/healthz" -w '%{http_code} %{time_total}' \
        "$base/healthz") || fail "/healthz sample ${#times[@]} under the flood failed (curl: $out)"
    assert_eq "200 ok" "${out% *} $(cat "$E2E_TMP/healthz")" "/healthz sample ${#times[@]} under the flood"
    times+=("${out#* }")
done
assert_ge "${#times[@]}" 10 "/healthz samples under the flood"
sorted=$(printf '%s\n' "${times[@]}" | sort -g)
p50=$(sed -n "$(( (${#times[@]} + 1) / 2 ))p" <<<"$sorted")
max=$(tail -1 <<<"$sorted")
note "/healthz under the flood: ${#times[@]} samples, p50 ${p50} s, max ${max} s"
awk -v m="$max" 'BEGIN { exit !(m < 1.0) }' || fail "/healthz took ${max} s under the flood, not < 1 s"
note "flood client: $(flood_status flood)"
stop flood TERM

# --- after: back to the baseline ----------------------------------------------
baseline() { [[ "$(fds)" == "$fds0" && "$(threads)" == "$threads0" ]]; }
wait_for 10 baseline || fail "after the flood: $(fds) descriptors (before $fds0), $(threads) threads (before $threads0)"
note "after the flood: $(fds) descriptors, $(threads) threads"
wait_for 5 open_is 2 || fail "connections open after the flood: $(metric ddump_connections_open), not the capture's and this scrape's"

# --- per-peer cap: 100 connections from one address, 64 held -------------------
refused_per_peer() { metric 'ddump_connections_refused_total{reason="max_connections_per_peer"}'; }
before=$(refused_per_peer)
ns_spawn fl peer timeout -k 1 60 "$E2E_PYTHON" "$E2E_TMP/flood.py" 10.213.61.1 "$WORKER_PORT" \
    10.213.61.30 100 head once
all_answered() { [[ "$(grep -c '^refused' "$(log_out peer)")" == 36 ]] && flood_held peer 64; }
wait_for 20 all_answered || fail "per-peer cap: $(flood_status peer), $(grep -c '^refused' "$(log_out peer)") refused"
assert_eq 36 "$(( $(refused_per_peer) - before ))" "refusals counted at the per-peer cap"
# this scrape's own connection, the capture's and the 64 held
wait_for 5 open_is 66 || fail "connections open with 64 held from one address: $(metric ddump_connections_open), not 66"
assert_eq 36 "$(grep -c '^refused {"error":"too many connections from 10.213.61.30: limit is 64 (--max-connections-per-peer)"} retry_after=yes$' "$(log_out peer)")" \
    "503 answers with the JSON error and Retry-After"
assert_eq ok "$(http_body c "$base/healthz")" "/healthz from another address meanwhile"
stats_line() {
    http_body c "$base/stats" | "$E2E_PYTHON" -c 'import json,sys; c=json.load(sys.stdin)["connections"]
print(c["open"], c["refused"]["max_connections_per_peer"] - int(sys.argv[1]), c["max"], c["max_per_peer"], c["peers"])' "$before"
}
stats_are() { [[ "$(stats_line)" == "$1" ]]; }
# open: the 64, the capture's, this request's; peers: 10.213.61.30, .2
wait_for 5 stats_are "66 36 1024 64 2" || fail "/stats connections (open, refused, max, max_per_peer, peers): $(stats_line)"
stop peer TERM

# --- clients that ask and never read: 60 connections, each 20 pipelined
# /interfaces (300 interfaces: 150 veth pairs, ~30 KB each) with a 4 KiB receive window.
# What the socket does not take waits in the connection's output and the
# front sends it, not a pool thread (24 of them here), so /healthz goes on.
for i in $(seq 150); do echo "link add a$i type veth peer name b$i"; done >"$E2E_TMP/pairs"
ip -n "$(ns_name w)" -batch "$E2E_TMP/pairs"
ns_spawn fl unread timeout -k 1 60 "$E2E_PYTHON" "$E2E_TMP/flood.py" 10.213.61.1 "$WORKER_PORT" \
    10.213.61.31 60 unread once
wait_for 10 flood_held unread 60 || fail "60 unread connections: $(flood_status unread)"
wait_for 10 open_is 62 || fail "the worker does not hold the 60 unread connections: $(metric ddump_connections_open)"
# stalled: each of the 60 has answers queued that the client does not take
stalled() {
    [[ "$(ns_exec w ss -Htn state established "( dst 10.213.61.31 )" | awk '$2 > 0' | wc -l)" == 60 ]]
}
wait_for 20 stalled || fail "the unread connections did not stall: $(ns_exec w ss -Htn state established "( dst 10.213.61.31 )" | head -3)"
# quiet: the worker has answered all it can (each connection stops at the
# first answer its socket and output cannot take): at most 2 CPU ticks in
# the last 0.5 s. Until then /healthz waits for CPU, not for a thread.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$wpid/stat"; }
quiet_since=0
quiet_ticks=-100
quiet() {
    local now ticks
    now=$(_e2e_now_us)
    ticks=$(cpu_ticks)
    if (( ticks - quiet_ticks > 2 )); then
        quiet_ticks=$ticks
        quiet_since=$now
        return 1
    fi
    (( now - quiet_since >= 500000 ))
}
wait_for 60 quiet || fail "the worker kept working for the unread connections"
slow=()
for i in $(seq 10); do
    out=$(ns_exec c curl -s --max-time 3 -o "$E2E_TMP/healthz" -w '%{http_code} %{time_total}' \
        "$base/healthz") || fail "/healthz sample $i beside 60 unread clients failed (curl: $out)"
    assert_eq "200 ok" "${out% *} $(cat "$E2E_TMP/healthz")" "/healthz sample $i beside 60 unread clients"
    slow+=("${out#* }")
done
slowmax=$(printf '%s\n' "${slow[@]}" | sort -g | tail -1)
note "/healthz beside 60 clients that do not read: max ${slowmax} s"
awk -v m="$slowmax" 'BEGIN { exit !(m < 1.0) }' || fail "/healthz took ${slowmax} s beside unread clients"
stop unread TERM
stop cap TERM
assert_eq 2000 "$(pcap_count "$E2E_TMP/cap.pcap" udp port 17600)" "datagrams in the capture that ran through it all"
stop worker TERM
pass "992 connections held by one thread: /healthz p50 ${p50} s max ${max} s, capture $rate1/s of $sent1/s sent, the last +${lag1} ms (before: $rate0/s of $sent0/s), descriptors $fds0 -> $fds1 -> $fds0, threads $threads0; 36 of 100 from one address refused"

# --- total cap: the 9th connection of --max-connections 8 ----------------------
start_worker w small --max-connections 8 --max-connections-per-peer 0
small=http://10.213.61.1:$WORKER_PORT
ns_spawn fl eight timeout -k 1 60 "$E2E_PYTHON" "$E2E_TMP/flood.py" 10.213.61.1 "$WORKER_PORT" \
    10.213.61.10 8 head once
wait_for 10 flood_held eight 8 || fail "8 connections: $(flood_status eight)"
out=$(ns_exec c curl -s -D - --max-time 5 "$small/healthz" | tr -d '\r')
assert_contains "$out" "HTTP/1.1 503 Service Unavailable" "status of the 9th connection"
assert_contains "$out" "Retry-After: 1" "Retry-After of the 9th connection"
assert_eq '{"error":"too many connections: limit is 8 (--max-connections)"}' "$(tail -1 <<<"$out")" \
    "JSON error of the 9th connection"
stop eight TERM
small_free() { [[ "$(http_body c "$small/healthz")" == ok ]]; }
wait_for 10 small_free || fail "the small worker did not take connections again"
assert_eq 1 "$(http_body c "$small/metrics" | awk '$1=="ddump_connections_refused_total{reason=\"max_connections\"}"{print $2}')" \
    "refusals counted at --max-connections"
assert_contains "$(grep connections_refused "$(log_err small)")" 'last="too many connections: limit is 8 (--max-connections)"' \
    "the refusal is logged"
stop small TERM

# --- flags ----------------------------------------------------------------------
check_flag() {  # MESSAGE STATUS ARGS...
    local want=$1 status=$2 rc=0 err
    shift 2
    err=$("$(e2e_bin ddump-worker)" --listen 127.0.0.1:0 "$@" 2>&1 >/dev/null) || rc=$?
    assert_eq "$status" "$rc" "exit status for $*"
    assert_eq "ddump-worker: $want" "$err" "message for $*"
}
check_flag '--max-connections must be between 1 and 1000000, got 0' 2 --max-connections 0
check_flag '--max-connections-per-peer must be a non-negative integer, got "many"' 2 --max-connections-per-peer many
check_flag '--max-connections-per-peer must be between 0 and 1000000, got 1000001' 2 --max-connections-per-peer 1000001
# Beyond what RLIMIT_NOFILE can hold: 64 + 4 x 16 captures + 3 x 1 listener
# descriptors besides the connections (after the start-up warnings).
rc=0
err=$(ulimit -n 1024 && "$(e2e_bin ddump-worker)" --listen 127.0.0.1:0 --max-connections 5000 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "exit status for --max-connections 5000 under ulimit -n 1024"
assert_eq 'ddump-worker: --max-connections 5000 needs 5131 file descriptors, but RLIMIT_NOFILE allows 1024 (raise it: ulimit -n, LimitNOFILE=)' \
    "$(tail -1 <<<"$err")" "message for --max-connections 5000 under ulimit -n 1024"
pass "caps: 503 with Retry-After at --max-connections, counted and logged; bad flags refused in one line"
