#!/usr/bin/env bash
# Live progress: with stderr on a pseudo-terminal (script(1)) ddump
# draws a table (TARGET STATE PACKETS BYTES RATE DROPS, per target, and the
# output line) redrawn in place at most 4 times a second; an error line is
# never cut by it; the table is erased at the end and the summary follows.
# With stderr not a terminal: plain one-line events, no escape sequences;
# -q: nothing.
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

COLUMNS=100 LINES=30 timeout 30 script -q -e -c \
    "stty cols 100 rows 30; $DDUMP --duration 2 -w out.pcap '$live' '$dead'" typescript >/dev/null ||
    [[ $? == 1 ]] || fail "ddump under script failed"
tty=$(tr -d '\r' <typescript)
for word in TARGET STATE PACKETS BYTES RATE DROPS streaming failed "127.0.0.1:$FAKE_PORT" "127.0.0.1:1" output; do
    assert_contains "$tty" "$word" "table shows '$word'"
done
assert_contains "$tty" "ddump: $dead: cannot connect to 127.0.0.1:1: connection failed" "the error line is whole"
assert_contains "$tty" $'\e[J' "frames are redrawn in place"
frames=$(grep -o $'\e\\[J' typescript | wc -l)
assert_le "$frames" 14 "at most 4 frames a second over 2 s (+ error redraws and the final erase)"
assert_ge "$frames" 4 "the table was redrawn while running"
# After the last erase only the summary remains.
tail_text=${tty##*$'\e[J'}
assert_contains "$tail_text" "packets written from 2 targets" "summary after the table"
assert_not_contains "$tail_text" "STATE" "table erased at the end"
# A table row: the live target streaming with a packet count.
row=$(grep -a -o "127.0.0.1:$FAKE_PORT *streaming *[0-9.]*[kM]\? " typescript | tail -1) || true
[[ -n "$row" ]] || fail "no streaming row with a packet count in: $(head -c 2000 typescript)"
assert_ge "$(valid_pcap out.pcap)" 100 "the capture went to -w meanwhile"
pass "table on a terminal: $frames frames in 2 s, error line whole, erased at the end"

"$DDUMP" --duration 1 -w plain.pcap "$live" 2>plain.err || fail "plain exit $?"
assert_contains "$(cat plain.err)" "127.0.0.1:$FAKE_PORT: streaming" "plain event line"
assert_not_contains "$(cat plain.err)" $'\e' "no escape sequences off a terminal"
timeout 30 script -q -e -c "$DDUMP -q --duration 1 -w quiet.pcap '$live'" quiet.typescript >/dev/null ||
    fail "ddump -q under script failed"
# script(1) itself may frame the log with "Script started/done" lines.
assert_eq "" "$(tr -d '\r' <quiet.typescript | grep -v '^Script \(started\|done\)' | grep -v '^$' || true)" \
    "-q: nothing on the terminal"
pass "plain events off a terminal; -q silent"
