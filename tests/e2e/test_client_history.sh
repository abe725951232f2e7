#!/usr/bin/env bash
# ddump --since/--until/--trigger against three real workers with --history
# in three namespaces on one LAN, and a client in a fourth:
#   1. traffic sent before ddump starts is in its output: every host's
#      datagrams, once each, the whole in strict time order; a window wholly
#      in the past ends by itself, exit 0;
#   2. history into live: sequence-numbered datagrams sent across the start
#      of the run arrive once each, in order, per host, and the merged output
#      stays in strict time order (a host's live packets never overtake
#      another host's history);
#   3. a worker without --history: one line, asked live instead, not a
#      failure; --until ends the run;
#   4. --trigger: the first match on any host fires; the output holds exactly
#      the datagrams of all three hosts within [T - before, T + after].
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)

ns_create w1
ns_create w2
ns_create w3
ns_create c
ns_lan lan w1=10.216.0.1/24 w2=10.216.0.2/24 w3=10.216.0.3/24 c=10.216.0.9/24
declare -A port
for w in w1 w2 w3; do
    start_worker "$w" "$w" --history 16m --history-snaplen 512
    port[$w]=$WORKER_PORT
done
start_worker w3 plain
plain_port=$WORKER_PORT
t1="10.216.0.1:${port[w1]}" t2="10.216.0.2:${port[w2]}" t3="10.216.0.3:${port[w3]}"

# seqs FILE PREFIX: the N of every "PREFIX-N" UDP payload in a LINUX_SLL pcap,
# in file order. order FILE: "True" when timestamps never go backwards.
cat >"$E2E_TMP/pc.py" <<'PY'
import struct, sys
cooked = 16
def records(path):
    global cooked
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    nsper = 1 if magic == 0xa1b23c4d else 1000
    cooked = {113: 16, 276: 20}[struct.unpack("<I", data[20:24])[0]]
    at = 24
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from("<IIII", data, at)
        yield sec * 10**9 + frac * nsper, data[at + 16:at + 16 + caplen]
        at += 16 + caplen
def payload(body):
    ip = body[cooked:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        return b""
    return ip[(ip[0] & 15) * 4 + 8:]
cmd, path = sys.argv[1], sys.argv[2]
if cmd == "seqs":
    prefix = sys.argv[3].encode() + b"-"
    for _, b in records(path):
        p = payload(b)
        if p.startswith(prefix):
            print(int(p[len(prefix):]))
elif cmd == "order":
    last = 0
    ok = True
    for t, _ in records(path):
        ok = ok and t >= last
        last = max(last, t)
    print(ok)
elif cmd == "window":   # every record's time within [lo, hi] ns?
    lo, hi = int(sys.argv[3]), int(sys.argv[4])
    bad = [t for t, _ in records(path) if not lo <= t <= hi]
    print(len(bad))
PY
pc() { "$E2E_PYTHON" "$E2E_TMP/pc.py" "$@"; }
rfc3339_now() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
ring_has() {  # NS WORKER_PORT N: the worker's ring holds at least N records
    local n
    n=$(ns_exec c curl -s --max-time 2 "http://10.216.0.${1#w}:$2/stats" | jq '.history.packets') || return 1
    (( n >= $3 ))
}

# --- 1. traffic from before the run ------------------------------------------
for w in w1 w2 w3; do udp_send "$w" 10.216.0.9 19000 30 "pre$w"; done
for w in w1 w2 w3; do wait_for 5 ring_has "$w" "${port[$w]}" 30 || fail "$w ring did not record"; done
now=$(rfc3339_now)
ns_spawn c past "$DDUMP" --since 1m --until "$now" "$t1" "$t2" "$t3" 'udp port 19000' -w "$E2E_TMP/past.pcap"
wait_exit past 20 0 || fail "a window in the past did not end by itself with 0: $(cat "$(log_err past)")"
for w in w1 w2 w3; do
    assert_eq "$(seq 0 29)" "$(pc seqs "$E2E_TMP/past.pcap" "pre$w")" "$w: every earlier datagram once, in order"
done
assert_eq 90 "$(pcap_count "$E2E_TMP/past.pcap")" "nothing else"
assert_eq True "$(pc order "$E2E_TMP/past.pcap")" "strict time order across hosts"
capinfos "$E2E_TMP/past.pcap" >/dev/null || fail "capinfos rejects the output"

# --- 2. history into live, across the seam --------------------------------------
for w in w1 w2 w3; do
    ns_spawn "$w" "send$w" "$E2E_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    s.sendto(b"%s-%d" % (sys.argv[1].encode(), i), ("10.216.0.9", 19001))
    time.sleep(0.01)
' "seam$w"
done
for w in w1 w2 w3; do wait_for 10 ring_has "$w" "${port[$w]}" 130 || fail "$w sender did not start"; done
ns_spawn c seam "$DDUMP" --since 1m -c 900 "$t1" "$t2" "$t3" 'udp port 19001' -w "$E2E_TMP/seam.pcap"
wait_exit seam 30 0 || fail "ddump did not stop after -c 900: $(cat "$(log_err seam)")"
for w in w1 w2 w3; do
    wait_exit "send$w" 20 0 || fail "sender $w"
    assert_eq "$(seq 0 299)" "$(pc seqs "$E2E_TMP/seam.pcap" "seam$w")" \
        "$w: across the seam every datagram once, in order"
done
assert_eq True "$(pc order "$E2E_TMP/seam.pcap")" "strict time order through history into live"

# --- 3. a worker without history; --until ends the run ------------------------------
start=$(date +%s%N)
ns_spawn c nohist "$DDUMP" --since 1m --until +2s "$t1" "10.216.0.3:$plain_port" 'udp port 19000' \
    -w "$E2E_TMP/nohist.pcap"
wait_exit nohist 20 0 || fail "a worker without history failed the run: $(cat "$(log_err nohist)")"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_ge "$elapsed" 1500 "--until +2s ran until then (ms)"
assert_le "$elapsed" 8000 "--until +2s ended soon after (ms)"
err=$(cat "$(log_err nohist)")
assert_contains "$err" "ddump: http://10.216.0.3:$plain_port/capture: history is off on this worker; capturing live from now" \
    "one line for the worker without history"
assert_contains "$err" "(0 failed" "not counted as failed"
assert_eq "$(seq 0 29)" "$(pc seqs "$E2E_TMP/nohist.pcap" prew1)" "the other worker's history"

# --- 4. --trigger ---------------------------------------------------------------
for w in w1 w2 w3; do udp_send "$w" 10.216.0.9 19002 5 "old$w"; done
old_done=$(date +%s%N)
ns_spawn c trig "$DDUMP" --trigger 'udp port 19009' --before 1s --after 1s "$t1" "$t2" "$t3" \
    'udp port 19002 or udp port 19009' -F pcapng -w "$E2E_TMP/trig.pcapng"
for w in w1 w2 w3; do
    wait_for_log "$w" 'filter="udp port 19009"' 10 || fail "$w was not asked for the trigger"
done
# Past --before for the "old" datagrams (the window's own subject: time passing).
wait_for 5 bash -c "(( \$(date +%s%N) > $old_done + 1300000000 ))"
for w in w1 w2 w3; do udp_send "$w" 10.216.0.9 19002 5 "pre$w"; done
udp_send w2 10.216.0.9 19009 1 fire
for w in w1 w2 w3; do udp_send "$w" 10.216.0.9 19002 5 "post$w"; done
wait_exit trig 20 0 || fail "--trigger run did not end with 0: $(cat "$(log_err trig)")"
err=$(cat "$(log_err trig)")
# pcapng: the trigger packet carries a comment naming the trigger and the host.
comments=$(tshark -r "$E2E_TMP/trig.pcapng" -Y frame.comment -T fields -e udp.dstport -e frame.comment 2>/dev/null)
assert_eq "19009	ddump trigger (--trigger udp port 19009) on http://$t2/capture" "$comments" \
    "one packet, the trigger, carries the comment"
editcap -F pcap "$E2E_TMP/trig.pcapng" "$E2E_TMP/trig.pcap" || fail "editcap cannot convert the output"
assert_contains "$err" "ddump: trigger on http://$t2/capture at " "the trigger line names the host"
assert_contains "$err" "> 10.216.0.9.19009: UDP, length 6" "and the packet"
for w in w1 w2 w3; do
    assert_eq "" "$(pc seqs "$E2E_TMP/trig.pcap" "old$w")" "$w: nothing from before T - 1s"
    assert_eq "$(seq 0 4)" "$(pc seqs "$E2E_TMP/trig.pcap" "pre$w")" "$w: history before the trigger"
    assert_eq "$(seq 0 4)" "$(pc seqs "$E2E_TMP/trig.pcap" "post$w")" "$w: live after the trigger"
done
assert_eq 31 "$(pcap_count "$E2E_TMP/trig.pcap")" "exactly the window's datagrams and the trigger"
assert_eq True "$(pc order "$E2E_TMP/trig.pcap")" "strict time order"

pass "client history: earlier traffic, seam, no-history worker, until, trigger"
