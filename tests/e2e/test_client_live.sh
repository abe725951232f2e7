#!/usr/bin/env bash
# Live behaviour: an idle stream delays output by no more than --max-delay
# (and -c ends ddump with exit 0 while that stream is still open);
# a worker killed mid-stream leaves the others going (exit 1, valid pcap);
# SIGINT leaves a valid pcap and exit 0; a closed stdout ends ddump quietly;
# at exit every worker is asked for its kernel drops at once, at the address
# its capture streams from; --retry
# reconnects with backoff, to a dying stream and to a worker that comes back.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

# Reads a pcap from stdin as it arrives; prints "<packets> <max age ms>", the
# age being arrival time minus the packet's timestamp (the fake worker stamps
# each packet when it sends it).
cat >age.py <<'PY'
import struct, sys, time
f = sys.stdin.buffer
g = f.read(24)
assert len(g) == 24 and struct.unpack("<I", g[:4])[0] == 0xa1b2c3d4, "bad header"
n, worst = 0, 0.0
while True:
    h = f.read(16)
    if len(h) < 16:
        break
    sec, usec, caplen, _ = struct.unpack("<IIII", h)
    now = time.time()
    f.read(caplen)
    worst = max(worst, (now - (sec + usec / 1e6)) * 1000)
    n += 1
print(n, int(worst))
PY

# ages DDUMP_ARGS...: ddump | age.py; "<packets> <max age ms>" in age.txt,
# the exit statuses of both in age.status (timeout only bounds a hang: 124, 137).
ages() {
    timeout -k 5 30 "$DDUMP" "$@" | "$E2E_PYTHON" age.py >age.txt
    echo "${PIPESTATUS[*]}" >age.status
}

fake_start live
live="http://127.0.0.1:$FAKE_PORT"
# The idle stream never ends: -c 30 does, once the live one's 30 are out.
ages -q -c 30 --max-delay 200 "$live/capture?live=1&pps=20&count=30" "$live/idle" || true
assert_eq "0 0" "$(cat age.status)" "exit statuses of ddump -c 30 (one stream idle) | reader"
read -r n worst <age.txt
assert_eq 30 "$n" "packets through with an idle stream"
assert_le "$worst" 350 "max packet age (ms) with --max-delay 200 and an idle stream"
note "worst age with an idle stream: ${worst} ms"
ages -q "$live/capture?live=1&pps=50&count=40" "$live/capture?live=1&pps=40&count=32" || true
assert_eq "0 0" "$(cat age.status)" "exit statuses of ddump (both streams end) | reader"
read -r n worst <age.txt
assert_eq 72 "$n" "packets of two busy streams"
assert_le "$worst" 150 "max packet age (ms) with busy streams"
pass "idle stream delays output by at most --max-delay (busy: ${worst} ms)"

# Kill one of two workers mid-stream.
fake_start victim
victim=$FAKE_PORT
spawn client "$DDUMP" "$live/capture?live=1&pps=100&count=300" "http://127.0.0.1:$victim/capture?live=1&pps=100"
wait_for 10 size_gt "$(log_out client)" 2000 || fail "no output"
kill -9 "$(pid_of victim)"
wait_exit client 20 1 || fail "client did not finish"
assert_eq 1 "$E2E_EXIT_STATUS" "exit status after a worker died"
err=$(cat "$(log_err client)")
assert_contains "$err" "http://127.0.0.1:$victim/capture?live=1&pps=100: connection lost mid-stream" "error line"
assert_contains "$err" "count=300: 300 packets" "the surviving stream delivered everything"
cp "$(log_out client)" killed.pcap
strict_order killed.pcap
assert_ge "$(valid_pcap killed.pcap)" 301 "valid pcap with both streams' packets"
pass "killing one worker leaves the other streaming, exit 1"

# SIGINT: flush, valid pcap, exit 0.
spawn sig "$DDUMP" "$live/capture?live=1&pps=200"
wait_for 10 size_gt "$(log_out sig)" 1000 || fail "no output before SIGINT"
stop sig INT 5 || fail "ddump ignored SIGINT"
assert_eq 0 "$E2E_EXIT_STATUS" "exit status after SIGINT"
cp "$(log_out sig)" sig.pcap
assert_ge "$(valid_pcap sig.pcap)" 1 "valid pcap after SIGINT"
assert_contains "$(cat "$(log_err sig)")" "packets written from 1 targets" "summary after SIGINT"
pass "SIGINT leaves a valid pcap, exit 0"

# stdout closed: ddump leaves at once, quietly.
start=$(date +%s%N)
set +o pipefail
timeout 10 "$DDUMP" "$live/capture?live=1&pps=1000" 2>head.err | head -c 100 >/dev/null
statuses=("${PIPESTATUS[@]}")
set -o pipefail
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 0 "${statuses[0]}" "ddump exit status when stdout closes"
# Off a terminal ddump announces each target once it streams: that
# line may precede the close; nothing else may follow it.
assert_eq "" "$(grep -v -E '^ddump: [^ ]+: streaming$' head.err || true)" "nothing on stderr but the event line"
assert_le "$elapsed" 3000 "ms until ddump left after head closed"
pass "| head -c closes ddump quietly in ${elapsed} ms"

# --duration stops cleanly.
st=0
timeout 10 "$DDUMP" -q --duration 1 "$live/idle" >dur.pcap || st=$?
assert_eq 0 "$st" "--duration exit status"
assert_eq 0 "$(valid_pcap dur.pcap)" "--duration output valid"
pass "--duration stops with a valid pcap"

# At exit the workers' kernel drops are asked for all at once: four workers
# whose /stats take 0.6 s each (well inside the client's 1 s timeout) add
# ~0.6 s to Ctrl-C, not 2.4 s, and every target's drops (the fake worker
# reports 7) reach the summary.
slow=()
for k in 1 2 3 4; do
    fake_start "slowstats$k" --stats-delay-ms 600  # one capture each: its /stats lists it
    slow+=("http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=100")
done
spawn drops "$DDUMP" "${slow[@]}"
wait_for 10 size_gt "$(log_out drops)" 1000 || fail "no output before SIGINT"
start=$(date +%s%N)
stop drops INT 10 || fail "ddump ignored SIGINT"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 0 "$E2E_EXIT_STATUS" "exit status after SIGINT"
assert_eq 4 "$(grep -c ', 7 dropped by kernel' "$(log_err drops)")" "drops of every target in the summary"
assert_le "$elapsed" 1800 "ms from SIGINT to exit with four slow /stats (one after another: >= 2400)"
pass "kernel drops asked of every worker at once at exit (${elapsed} ms)"

# The /stats at exit goes to the address the capture streams from, not to
# what the name resolves to by then (round-robin DNS, a rescheduled pod): the
# client's /etc/hosts (bind-mounted in its own mount namespace) first names
# worker A, then, while streaming, worker B on the same port. B never served
# a capture, so its /stats lists none of ours: A's drops (7) can only come
# from asking A again.
fake_start pin_a --host 127.0.0.1
pin_port=$FAKE_PORT
fake_start pin_b --host 127.0.0.2 --port "$pin_port"
echo "127.0.0.1 ddump-pin.test" >pin.hosts
spawn pinned unshare --mount sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh \
    "$E2E_TMP/pin.hosts" "$DDUMP" "http://ddump-pin.test:$pin_port/capture?live=1&pps=100"
wait_for 10 size_gt "$(log_out pinned)" 1000 || fail "no output from ddump-pin.test: $(cat "$(log_err pinned)")"
echo "127.0.0.2 ddump-pin.test" >pin.hosts  # in place: the bind mount sees it
stop pinned INT 10 || fail "ddump ignored SIGINT"
assert_eq 0 "$E2E_EXIT_STATUS" "exit status after SIGINT"
assert_eq 1 "$(grep -c ', 7 dropped by kernel' "$(log_err pinned)")" "drops asked of the worker streaming"
pass "kernel drops asked at the address the capture streams from, not a fresh DNS answer"

# --retry: a stream that keeps dying is reconnected with backoff (0.5 s, 1 s)
# and each attempt's packets are kept; after the last try the target fails.
st=0
start=$(date +%s%N)
timeout 20 "$DDUMP" --retry 2 "$live/die-after?n=4" >retry.pcap 2>retry.err || st=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 1 "$st" "--retry exhausted: exit status"
assert_eq 12 "$(valid_pcap retry.pcap)" "3 attempts x 4 packets, all kept"
assert_contains "$(cat retry.err)" "connection lost mid-stream: connection closed before the chunked body ended; retrying in 500 ms" "first retry"
assert_contains "$(cat retry.err)" "retrying in 1000 ms" "backoff doubles"
assert_ge "$elapsed" 1500 "ms spent in backoff"
pass "--retry reconnects with backoff and keeps every attempt's packets"

# --retry recovers: the worker is down when ddump starts and comes back on
# the same port; the capture then runs to its count, exit 0.
fake_start phoenix
port=$FAKE_PORT
stop phoenix
spawn retrying "$DDUMP" --retry 5 --connect-timeout 1 "http://127.0.0.1:$port/capture?live=1&pps=100&count=20"
wait_for 10 grep -q "retrying in" "$(log_err retrying)" || fail "no retry announced: $(cat "$(log_err retrying)")"
spawn phoenix2 "$(e2e_bin ddump-fake-worker)" --port "$port"
wait_exit retrying 20 || fail "ddump did not finish after the worker came back"
assert_eq 0 "$E2E_EXIT_STATUS" "exit status once the worker is back"
assert_eq 20 "$(valid_pcap "$(log_out retrying)")" "the whole capture after reconnecting"
pass "--retry reconnects to a worker that comes back"
