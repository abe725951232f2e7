#!/usr/bin/env bash
# Backpressure of the client's stream readers: while the consumer of ddump's
# output does not read, ddump stops reading the workers (each stream holds at
# most its share of the merge's queue; the sockets fill and TCP pauses the
# senders) instead of buffering what they send; once the consumer reads
# again, every record arrives, once and in order. Eight streams of the same
# 20 MB capture, so ddump buffering them would hold 160 MB. And while a fast
# consumer reads, the streams are paused and resumed many times a second:
# memory stays as bounded then.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

make_pcap big.pcap 300000 7 40 0 60
records=$(pcap_count big.pcap)
size=$(stat -c %s big.pcap)
assert_ge "$size" 18000000 "the capture is big enough to show buffering"
streams=8
fake_start w --file big.pcap --chunk 65536

# The consumer: reads 1 MiB, says so, then reads nothing until told to go on,
# then copies the rest; bounded so a hang cannot outlive the test.
mkfifo out.fifo
cat >consumer.py <<'PY'
import os, sys, time
fd = os.open("out.fifo", os.O_RDONLY)
with open("out.pcap", "wb") as out:
    got = 0
    while got < 1 << 20:
        chunk = os.read(fd, (1 << 20) - got)
        if not chunk:
            break
        out.write(chunk)
        got += len(chunk)
    open("paused", "w").close()
    deadline = time.time() + 120
    while not os.path.exists("resume") and time.time() < deadline:
        time.sleep(0.05)
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        out.write(chunk)
PY
spawn consumer "$E2E_PYTHON" consumer.py
urls=()
for ((i = 1; i <= streams; i++)); do urls+=("http://127.0.0.1:$FAKE_PORT/capture?n=$i"); done
spawn client "$DDUMP" -w out.fifo "${urls[@]}"
client=$(pid_of client)
wait_for 30 test -e paused || fail "the consumer never read its first MiB"

# Reading stops: what ddump's sockets have received (bytes_received, read
# or still queued in them) stays the same over half a second, as their
# buffers are full and TCP holds the senders.
received() {
    ss -tinH state established "( dport = :$FAKE_PORT )" |
        grep -o 'bytes_received:[0-9]*' | awk -F: '{n += $2} END {print n + 0}'
}
stalled() {
    local before after
    before=$(received)
    sleep 0.5
    after=$(received)
    [[ "$before" == "$after" ]]
}
wait_for 30 stalled || fail "ddump kept reading while its output was not read"
read_bytes=$(received)
rss_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$client/status")
total=$((streams * size))
note "paused: ddump received $((read_bytes / 1048576)) MiB of $((total / 1048576)) MiB, peak RSS $((rss_kb / 1024)) MiB"
assert_le "$read_bytes" $((total / 4)) "bytes received while the output was not read ($total to send)"
assert_le "$rss_kb" $((100 * 1024)) "ddump's peak RSS (kB) while paused"
pass "a consumer that does not read pauses the streams: $((read_bytes / 1048576)) MiB received of $((total / 1048576)), peak RSS $((rss_kb / 1024)) MiB"

touch resume
wait_exit client 120 0 || fail "ddump did not finish once its output was read again"
wait_exit consumer 30 0 || fail "the consumer did not finish"
assert_eq "$((streams * records))" "$(valid_pcap out.pcap)" "every record of the $streams streams, once"
strict_order out.pcap
assert_contains "$(cat "$(log_err client)")" "$((streams * records)) packets written from $streams targets" "summary"
pass "reading again delivers all $((streams * records)) records in order, exit 0"

# A consumer that keeps up: the streams outrun the merge's writer, so each is
# paused and resumed over and over; a stream started again by a resume meant
# for an earlier pause must stop again, or its queue grows without bound.
# Its peak RSS from getrusage (ru_maxrss, kB) once it has exited.
cat >peak.py <<'PY'
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=f)
sys.exit(code)
PY
spawn fast "$E2E_PYTHON" peak.py fast.rss "$DDUMP" -w fast.pcap "${urls[@]}"
wait_exit fast 120 0 || fail "ddump did not finish with a fast consumer: $(cat "$(log_err fast)")"
fast_kb=$(tail -1 fast.rss)
note "fast consumer: peak RSS $((fast_kb / 1024)) MiB"
assert_le "$fast_kb" $((100 * 1024)) "ddump's peak RSS (kB) with a fast consumer ($total bytes streamed)"
assert_eq "$((streams * records))" "$(pcap_count fast.pcap)" "every record with a fast consumer"
pass "with a fast consumer the streams stay bounded too: peak RSS $((fast_kb / 1024)) MiB for $((total / 1048576)) MiB streamed"
