#!/usr/bin/env bash
# `-w FILE` holds the merged capture (byte-identical records to
# stdout's, mergecap's order), `-w -` is stdout, the file grows while the
# capture runs (flushed per batch: readable by tcpdump before ddump ends), and
# `-w DIR/` writes one unmerged file per target, HOST.pcap, HOST_PORT.pcap
# when two targets share a host, each read back by capinfos and tcpdump.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd mergecap capinfos tcpdump tshark
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

make_pcap a.pcap 3000 1 40
make_pcap b.pcap 2000 2 60
mergecap -F pcap -w expected.pcap a.pcap b.pcap

"$DDUMP" -q -w merged.pcap a.pcap b.pcap >stdout.bin || fail "-w FILE exit $?"
assert_eq 0 "$(stat -c %s stdout.bin)" "nothing on stdout with -w FILE"
same_records merged.pcap expected.pcap "-w FILE"
strict_order merged.pcap
assert_eq 5000 "$(valid_pcap merged.pcap)" "tcpdump reads -w FILE"
"$DDUMP" -q -w - a.pcap b.pcap >dash.pcap || fail "-w - exit $?"
same_records dash.pcap expected.pcap "-w -"
pass "-w FILE and -w - hold the merged capture"

# Live: the file is a readable capture while ddump still runs.
fake_start fw
live="http://127.0.0.1:$FAKE_PORT/capture?live=1&pps=50"
spawn grow "$DDUMP" -q -w growing.pcap "$live"
wait_for 10 size_gt growing.pcap 400 || fail "-w FILE did not grow while capturing"
n=$(tcpdump -nr growing.pcap 2>/dev/null | wc -l)
assert_ge "$n" 1 "tcpdump reads the growing file"
pid_alive "$(pid_of grow)" || fail "ddump ended early"
stop grow INT 5 || fail "ddump ignored SIGINT"
assert_eq 0 "$E2E_EXIT_STATUS" "exit after SIGINT"
assert_ge "$(valid_pcap growing.pcap)" "$n" "valid after SIGINT"
pass "-w FILE is flushed per batch (read while growing: $n packets)"

# -w DIR/: per target, unmerged, named after the host.
fake_start f1 --file a.pcap
p1=$FAKE_PORT
fake_start f2 --file b.pcap
p2=$FAKE_PORT
cp a.pcap c.pcap
"$DDUMP" -q -w perhost/ "http://127.0.0.1:$p1/capture" "http://127.0.0.1:$p2/capture" c.pcap ||
    fail "-w DIR/ exit $?"
files=$(cd perhost && ls | sort | tr '\n' ' ')
assert_eq "$(printf '%s\n' "127.0.0.1_$p1.pcap" "127.0.0.1_$p2.pcap" c.pcap | sort | tr '\n' ' ')" "$files" \
    "one file per target, HOST_PORT when a host is shared"
same_records "perhost/127.0.0.1_$p1.pcap" a.pcap "first worker's file is its stream, unmerged"
same_records "perhost/127.0.0.1_$p2.pcap" b.pcap "second worker's file"
same_records perhost/c.pcap a.pcap "file target's file"
assert_eq 3000 "$(valid_pcap "perhost/127.0.0.1_$p1.pcap")" "tcpdump reads a per-host file"
assert_eq 2000 "$(valid_pcap "perhost/127.0.0.1_$p2.pcap")" "tcpdump reads the other"

mkdir existing
"$DDUMP" -q -F pcapng -w existing "http://localhost:$p1/capture" b.pcap || fail "-w existing dir exit $?"
files=$(cd existing && ls | tr '\n' ' ')
assert_eq "b.pcapng localhost.pcapng " "$files" "an existing directory without a slash; HOST.pcapng"
assert_eq 3000 "$(tshark -r existing/localhost.pcapng -T fields -e frame.interface_name 2>/dev/null | grep -c '^localhost$')" \
    "per-host pcapng: interface named HOST (no SLL2 information in the stream)"
capinfos existing/b.pcapng >/dev/null || fail "capinfos b.pcapng"
pass "-w DIR/: one unmerged, valid file per target"
