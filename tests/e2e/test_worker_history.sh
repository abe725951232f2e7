#!/usr/bin/env bash
# ddump-worker --history: captures that start in the past (since=), the seam
# between history and live (sequence-numbered datagrams sent across it, none
# missing and none twice), until, eviction with X-Ddump-History-From, the
# history ring in /stats and /metrics, and the 400s: history off, bad
# since/until, until before since, linktype=native.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
command -v jq >/dev/null || skip "jq is not installed"

ns_create a
ns_create b
ns_link a b 10.214.1.1/24 10.214.1.2/24
start_worker a hist --history 8m --history-snaplen 256
base="http://10.214.1.1:$WORKER_PORT"
start_worker a plain
plain="http://10.214.1.1:$WORKER_PORT"

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
has_bytes() { (( $(file_size "$1") >= $2 )); }
# The sequence numbers of the "PREFIX-N" UDP payloads in a LINUX_SLL pcap, in
# file order, one per line.
payload_seqs() {
    "$E2E_PYTHON" - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
prefix = sys.argv[2].encode() + b"-"
magic = struct.unpack("<I", data[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
linktype = struct.unpack("<I", data[20:24])[0]
cooked = {113: 16, 276: 20}[linktype]
at = 24
while at + 16 <= len(data):
    caplen = struct.unpack("<I", data[at + 8:at + 12])[0]
    pkt = data[at + 16:at + 16 + caplen]
    at += 16 + caplen
    ip = pkt[cooked:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    payload = ip[(ip[0] & 15) * 4 + 8:]
    if payload.startswith(prefix):
        print(int(payload[len(prefix):]))
PY
}
stat_json() { http_body b "$base/stats"; }
ring_packets_ge() { (( $(stat_json | jq '.history.packets') >= $1 )); }
rfc3339_now() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }

# --- refusals: 400 with a JSON body naming what was wrong ----------------------
body=$(http_body b "$plain/capture?since=-30s")
assert_eq '{"error":"history is off on this worker (start it with --history SIZE)"}' "$body" \
    "since on a worker without --history"
assert_eq 400 "$(http_status b "$plain/capture?since=-30s")" "history off is a 400"
assert_contains "$(http_body b "$base/capture?since=yesterday")" '"error":"since: ' "bad since named"
assert_contains "$(http_body b "$base/capture?since=-30s&until=banana")" '"error":"until: ' "bad until named"
assert_contains "$(http_body b "$base/capture?since=-10s&until=-20s")" \
    '"error":"until (-20s) must be later than since (-10s)"' "until before since"
assert_eq 400 "$(http_status b "$base/capture?since=-10s&until=-20s")" "until before since is a 400"
assert_contains "$(http_body b "$base/capture?since=-10s&linktype=native")" \
    'linktype=native cannot start in the past' "native link type refused for history"
assert_contains "$(http_body b "$base/capture?since=-10s&interface=nosuch0")" \
    '"error":"no such interface: nosuch0"' "unknown interface"
assert_contains "$(http_body b "$plain/capture?until=-1s")" 'has passed' "live until in the past"

# --- traffic sent before anyone asked ---------------------------------------
before_pre=$(rfc3339_now)
udp_send b 10.214.1.1 18000 50 pre
wait_for 5 ring_packets_ge 50 || fail "the ring did not record the datagrams: $(stat_json)"
now=$(rfc3339_now)
ns_exec b curl -sS --fail --max-time 10 -D "$E2E_TMP/past.h" -o "$E2E_TMP/past.pcap" \
    "$base/capture?since=-60s&until=$now&filter=udp+port+18000" ||
    fail "a window in the past did not end by itself"
assert_eq "$(seq 0 49)" "$(payload_seqs "$E2E_TMP/past.pcap" pre)" "every earlier datagram, in order, once"
assert_eq 50 "$(pcap_count "$E2E_TMP/past.pcap")" "nothing else"
capinfos -o "$E2E_TMP/past.pcap" | grep -q 'Strict time order:.*True' || fail "history not in time order"
assert_contains "$(tr -d '\r' <"$E2E_TMP/past.h")" "X-Ddump-Linktype: LINUX_SLL" "history as SLL by default"
out=$(tcpdump -nr "$E2E_TMP/past.pcap" -c 1 2>/dev/null)
assert_contains "$out" "10.214.1.2." "sender"
assert_contains "$out" "> 10.214.1.1.18000: UDP, length 5" "first datagram"
# since=-60s is before the worker began recording: its history begins then.
from=$(tr -d '\r' <"$E2E_TMP/past.h" | sed -nE 's/^X-Ddump-History-From: ([0-9]+)$/\1/p')
[[ "$from" =~ ^[0-9]+$ ]] || fail "no X-Ddump-History-From for a since before the recording"
assert_le "$from" "$(date +%s%N)" "history begins in the past"
assert_ge "$from" "$(( $(date +%s%N) - 60000000000 ))" "when the worker started, not at since"
ns_exec b curl -sS --fail --max-time 10 -D "$E2E_TMP/recent.h" -o /dev/null \
    "$base/capture?since=$before_pre&until=$(rfc3339_now)&filter=udp+port+18000"
assert_not_contains "$(cat "$E2E_TMP/recent.h")" "X-Ddump-History-From" \
    "no X-Ddump-History-From when the ring reaches back to since"

# Interface, direction, link type and snaplen are the request's.
ns_exec b curl -sS --fail --max-time 10 -o "$E2E_TMP/dir.pcap" \
    "$base/capture?since=-60s&until=$now&filter=udp+port+18000&direction=out&interface=vb" 
assert_eq 0 "$(pcap_count "$E2E_TMP/dir.pcap")" "no outgoing datagrams to port 18000 on vb"
ns_exec b curl -sS --fail --max-time 10 -D "$E2E_TMP/sll2.h" -o "$E2E_TMP/sll2.pcap" \
    "$base/capture?since=-60s&until=$now&filter=udp+port+18000&direction=in&interface=vb&linktype=sll2&snaplen=40&precision=nano"
assert_eq "$(seq 0 49 | wc -l)" "$(pcap_count "$E2E_TMP/sll2.pcap")" "incoming on vb: all 50"
out=$(tcpdump -enr "$E2E_TMP/sll2.pcap" 2>&1 | head -3)
assert_contains "$out" "link-type LINUX_SLL2" "sll2 asked, sll2 given"
assert_contains "$out" "ifindex" "SLL2 keeps the interface index"
assert_eq 40 "$(capinfos -l "$E2E_TMP/sll2.pcap" | sed -nE 's/.*Packet size limit:.*file hdr: ([0-9]+).*/\1/p')" "snaplen 40"
assert_eq "a1b23c4d" "$(head -c 4 "$E2E_TMP/sll2.pcap" | od -An -tx4 | tr -d ' ')" "nanosecond magic"

# --- the seam: datagrams sent across the start of the request ---------------
# A sender runs for ~2 s; the request starts in its middle with since=-60s and
# count=400: the first part comes from history, the rest live, none twice.
ns_spawn b seam "$E2E_PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    s.sendto(b"seam-%d" % i, ("10.214.1.1", 18001))
    time.sleep(0.005)
'
seam_sent_ge() { (( $(stat_json | jq '.history.packets') >= 50 + $1 )); }
wait_for 10 seam_sent_ge 100 || fail "the sender did not start"
ns_exec b curl -sS --fail --max-time 20 -o "$E2E_TMP/seam.pcap" \
    "$base/capture?since=-60s&filter=udp+port+18001&count=400" || fail "seam capture failed"
wait_exit seam 20 0 || fail "sender did not finish"
assert_eq "$(seq 0 399)" "$(payload_seqs "$E2E_TMP/seam.pcap" seam)" \
    "across the seam: every datagram once, in order (count counts history and live)"
wait_for_log hist 'filter="udp port 18001" reason="count reached" packets=400 ' 5 ||
    fail "stream did not end by count"

# --- until ends a window that reaches into the future -------------------------
start=$(date +%s%N)
ns_exec b curl -sS --fail --max-time 10 -o "$E2E_TMP/until.pcap" "$base/capture?since=-1s&until=%2B1s&filter=icmp" ||
    fail "until did not end the stream"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_ge "$elapsed" 900 "until=+1s lasted about a second (ms)"
assert_le "$elapsed" 4000 "until=+1s ended within 4 s (ms)"
capinfos "$E2E_TMP/until.pcap" >/dev/null || fail "until stream is not a valid pcap"

# --- /stats and /metrics show the ring ----------------------------------------
stats=$(stat_json)
assert_eq 8388608 "$(jq '.history.capacity_bytes' <<<"$stats")" "capacity"
assert_ge "$(jq '.history.packets' <<<"$stats")" 450 "packets held"
assert_eq 0 "$(jq '.history.evicted' <<<"$stats")" "nothing evicted yet"
metrics=$(http_body b "$base/metrics")
for m in ddump_history_bytes ddump_history_packets ddump_history_oldest_seconds \
         ddump_history_evicted_total ddump_history_drops_total; do
    grep -qE "^$m [0-9.]+$" <<<"$metrics" || fail "/metrics lacks $m: $metrics"
done

# --- a full ring evicts the oldest, and X-Ddump-History-From says so ----------
start_worker a small --history 256k --history-snaplen 256
small="http://10.214.1.1:$WORKER_PORT"
small_evicted() { (( $(http_body b "$small/stats" | jq '.history.evicted') > 0 )); }
udp_send b 10.214.1.1 18002 1500 "$(printf 'x%.0s' {1..200})"
wait_for 10 small_evicted || fail "the small ring did not evict"
ns_exec b curl -sS --fail --max-time 10 -D "$E2E_TMP/ev1.h" -o "$E2E_TMP/ev1.pcap" \
    "$small/capture?since=-60s&until=$(rfc3339_now)&filter=udp+port+18002"
from1=$(tr -d '\r' <"$E2E_TMP/ev1.h" | sed -nE 's/^X-Ddump-History-From: ([0-9]+)$/\1/p')
[[ "$from1" =~ ^[0-9]+$ ]] || fail "no X-Ddump-History-From after eviction: $(cat "$E2E_TMP/ev1.h")"
held=$(pcap_count "$E2E_TMP/ev1.pcap")
assert_ge "$held" 100 "the ring still holds the newest datagrams"
assert_le "$held" 1499 "but not all of them"
last=$(payload_seqs "$E2E_TMP/ev1.pcap" "$(printf 'x%.0s' {1..200})" | tail -1)
assert_eq 1499 "$last" "the newest datagram is kept"
udp_send b 10.214.1.1 18003 1500 "$(printf 'y%.0s' {1..200})"
ns_exec b curl -sS --fail --max-time 10 -D "$E2E_TMP/ev2.h" -o /dev/null \
    "$small/capture?since=-60s&until=$(rfc3339_now)&filter=udp+port+18003"
from2=$(tr -d '\r' <"$E2E_TMP/ev2.h" | sed -nE 's/^X-Ddump-History-From: ([0-9]+)$/\1/p')
assert_ge "$from2" "$((from1 + 1))" "X-Ddump-History-From moves forward as the ring evicts"

# --- a reader that falls behind eviction loses records, never pins the ring ----
# A tiny receive window stalls the worker's writes; meanwhile a flood
# evicts what the reader has not read. Once it reads again it is told.
ns_spawn b slow "$E2E_PYTHON" -c '
import os, socket, sys, time
go, done, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("10.214.1.1", port))
s.sendall(b"GET /capture?since=-60s&filter=udp+port+18004 HTTP/1.1\r\nHost: w\r\n\r\n")
while not os.path.exists(go):
    time.sleep(0.02)
s.settimeout(0.2)
while not os.path.exists(done):
    try:
        if not s.recv(65536):
            break
    except socket.timeout:
        pass
' "$E2E_TMP/slow.go" "$E2E_TMP/slow.done" "$WORKER_PORT"
wait_for_log small 'filter="udp port 18004" interface="any"' 10 || fail "the slow reader's capture did not start"
ns_exec b "$E2E_PYTHON" -c '
import errno, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(6000):
    while True:
        try:
            s.sendto(b"z" * 400, ("10.214.1.1", 18004))
            break
        except OSError as e:
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise
            time.sleep(0.001)
'
touch "$E2E_TMP/slow.go"
slow_lost() {
    (( $(http_body b "$small/stats" | jq '[.captures[] | select(.filter == "udp port 18004") | .history_lost] | max // 0') > 0 ))
}
wait_for 10 slow_lost || fail "no history_lost for the reader that fell behind: $(http_body b "$small/stats")"
wait_for_log small 'warn history_lost .* lost=[0-9]+' 5 || fail "no history_lost log line"
touch "$E2E_TMP/slow.done"
wait_exit slow 10 0 || fail "slow reader"

pass "history: refusals, earlier traffic, seam, until, stats, eviction, a reader behind eviction"
