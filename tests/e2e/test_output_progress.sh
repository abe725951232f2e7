#!/usr/bin/env bash
# Live progress: with stderr on a pseudo-terminal ddump draws a table
# (TARGET STATE PACKETS BYTES RATE DROPS, per target, and the output line)
# redrawn in place at most 4 times a second (each frame timed as it reaches
# the terminal); an error line is never cut by it; the table is erased at the
# end and the summary follows; one target failed: exit 1.
# With stderr not a terminal: plain one-line events, no escape sequences;
# -q: nothing (under script(1)).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd script
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

fake_start fw
live="http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=200"
dead="http://127.0.0.1:1/capture"   # nothing listens on port 1: connection refused

# on_pty.py TYPESCRIPT FRAMES CMD...: run CMD with stderr on a 100x30
# pseudo-terminal; what it draws goes to TYPESCRIPT, and one line per table
# frame to FRAMES: the seconds since the start when it reached the terminal.
# The table drawn again under an error line (\e[J, the line, \e[J, the same
# table) is no new frame, nor is the erase at the end. Exits with CMD's status.
cat >on_pty.py <<'PY'
import errno, fcntl, os, pty, struct, subprocess, sys, termios, time
typescript, frames, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
start = time.monotonic()
data, reads = bytearray(), []  # (offset in data, seconds) of every read
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError as e:
        if e.errno != errno.EIO:  # EIO: the terminal's last writer is gone
            raise
        chunk = b""
    if not chunk:
        break
    reads.append((len(data), time.monotonic() - start))
    data += chunk
status = proc.wait()
open(typescript, "wb").write(data)
ERASE = b"\x1b[J"
with open(frames, "w") as out:
    prev, pos = -1, data.find(ERASE)
    while pos >= 0:
        before = data[prev + len(ERASE):pos] if prev >= 0 else b""
        if data.startswith(b"TARGET", pos + len(ERASE)) and not before.startswith(b"ddump: "):
            print("%.3f" % max(t for off, t in reads if off <= pos), file=out)
        prev, pos = pos, data.find(ERASE, pos + 1)
sys.exit(status if status >= 0 else 128 - status)
PY

st=0
timeout 30 "$E2E_PYTHON" on_pty.py typescript frames.txt "$DDUMP" --duration 3 -w out.pcap "$live" "$dead" || st=$?
assert_eq 1 "$st" "exit status with one target dead (connection refused)"
tty=$(tr -d '\r' <typescript)
for word in TARGET STATE PACKETS BYTES RATE DROPS streaming failed "127.0.0.1:$FAKE_PORT" "127.0.0.1:1" output; do
    assert_contains "$tty" "$word" "table shows '$word'"
done
assert_contains "$tty" "ddump: $dead: cannot connect to 127.0.0.1:1: connection failed" "the error line is whole"
assert_contains "$tty" $'\e[J' "frames are redrawn in place"
# At most 4 a second: from the first frame to the last, the first one and at
# most 4 a second after it, plus one for a first frame that came late
# (250 ms: 12 frames in 2.75 s; a frame every 200 ms: 15 in 2.8 s > 13).
frames=$(wc -l <frames.txt)
span_ms=$(awk 'NR == 1 {first = $1} {last = $1} END {printf "%d", (last - first) * 1000}' frames.txt)
assert_ge "$frames" 6 "table frames drawn while running ($span_ms ms from the first to the last)"
assert_le $(( (frames - 1) * 1000 )) $(( 4 * span_ms + 1000 )) \
    "1000 x (frames - 1): $frames frames in $span_ms ms, at most 4 a second"
# After the last erase only the summary remains.
tail_text=${tty##*$'\e[J'}
assert_contains "$tail_text" "packets written from 2 targets" "summary after the table"
assert_not_contains "$tail_text" "STATE" "table erased at the end"
# A table row: the live target streaming with a packet count.
row=$(grep -a -o "127.0.0.1:$FAKE_PORT *streaming *[0-9.]*[kM]\? " typescript | tail -1) || true
[[ -n "$row" ]] || fail "no streaming row with a packet count in: $(head -c 2000 typescript)"
assert_ge "$(valid_pcap out.pcap)" 100 "the capture went to -w meanwhile"
pass "table on a terminal: $frames frames in $span_ms ms, error line whole, erased at the end, exit 1"

"$DDUMP" --duration 1 -w plain.pcap "$live" 2>plain.err || fail "plain exit $?"
assert_contains "$(cat plain.err)" "127.0.0.1:$FAKE_PORT: streaming" "plain event line"
assert_not_contains "$(cat plain.err)" $'\e' "no escape sequences off a terminal"
timeout 30 script -q -e -c "$DDUMP -q --duration 1 -w quiet.pcap '$live'" quiet.typescript >/dev/null ||
    fail "ddump -q under script failed"
# script(1) itself may frame the log with "Script started/done" lines.
assert_eq "" "$(tr -d '\r' <quiet.typescript | grep -v '^Script \(started\|done\)' | grep -v '^$' || true)" \
    "-q: nothing on the terminal"
pass "plain events off a terminal; -q silent"
