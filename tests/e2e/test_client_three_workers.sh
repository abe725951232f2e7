#!/usr/bin/env bash
# ddump end to end: three real ddump-workers in three namespaces on one LAN,
# traffic between them, and ddump in a fourth (client) namespace:
#   1. ddump streams all three (stdout through tee into a file AND into real
#      `tcpdump -nr -`) while curl takes a reference capture from each worker
#      with the same filter: the merged output holds exactly every packet each
#      worker captured (per host, byte for byte), in strict time order
#      (capinfos -o), tcpdump reads all of it, exit 0 after --duration;
#   2. one worker idle (its filter matches nothing): packets reach ddump's
#      stdout no later than --max-delay (+150 ms slack) after capture; exit 0
#      after -c;
#   3. a bad filter on all three: the worker's libpcap error text, exit 2;
#   4. one worker SIGKILLed mid-run: the other two keep streaming, the file is
#      a valid time-ordered pcap, one stderr line names that target, exit 1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd curl ping tee
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# pc.py: pcap reading for the assertions (stdlib only). Host of a record: the
# captures are LINUX_SLL; an outgoing packet (pkttype 4) belongs to its IPv4
# source, an incoming one (pkttype 0) to its destination.
cat >pc.py <<'PY'
import collections, os, struct, sys, time

def records(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit("%s: no pcap global header" % path)
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        raise SystemExit("%s: unexpected magic %#x" % (path, magic))
    nsper = 1 if magic == 0xa1b23c4d else 1000   # nanoseconds per fraction unit
    linktype = struct.unpack("<I", data[20:24])[0]
    if linktype != 113:
        raise SystemExit("%s: link type %d, expected LINUX_SLL (113)" % (path, linktype))
    at = 24
    while at < len(data):
        if len(data) - at < 16:
            raise SystemExit("%s: truncated record header at %d" % (path, at))
        sec, frac, caplen, _ = struct.unpack_from("<IIII", data, at)
        body = data[at + 16:at + 16 + caplen]
        if len(body) != caplen:
            raise SystemExit("%s: truncated record at %d" % (path, at))
        # The SLL address field is 8 bytes, of which the kernel fills only
        # sll_halen (6 for Ethernet); the rest is stale tpacket ring memory
        # and differs between two captures of the same packet: zero it.
        halen = min(struct.unpack(">H", body[4:6])[0], 8) if len(body) >= 16 else 8
        body = body[:6 + halen] + bytes(8 - halen) + body[14:] if len(body) >= 16 else body
        yield sec * 1_000_000_000 + frac * nsper, body
        at += 16 + caplen

def host_of(body, hosts):
    pkttype = struct.unpack(">H", body[:2])[0]
    if len(body) < 36 or body[14:16] != b"\x08\x00":
        return "?"
    src, dst = ".".join(map(str, body[28:32])), ".".join(map(str, body[32:36]))
    ip = src if pkttype == 4 else dst if pkttype == 0 else None
    return hosts.get(ip, "?")

def compare(merged, refs):
    """refs: NAME=IP=FILE ... ; per host, the multiset of record bytes in the
    merged output must equal the curl reference capture's."""
    hosts, want = {}, {}
    for r in refs:
        name, ip, path = r.split("=", 2)
        hosts[ip] = name
        want[name] = collections.Counter(b for _, b in records(path))
    got = collections.defaultdict(collections.Counter)
    for _, body in records(merged):
        got[host_of(body, hosts)][body] += 1
    ok = True
    for name in want:
        g, w = got.get(name, collections.Counter()), want[name]
        missing, extra = sum((w - g).values()), sum((g - w).values())
        print("%s merged=%d reference=%d missing=%d extra=%d"
              % (name, sum(g.values()), sum(w.values()), missing, extra))
        ok = ok and missing == 0 and extra == 0
    stray = sum(c for n, cnt in got.items() if n not in want for c in cnt.values())
    if stray:
        print("unattributed=%d" % stray)
        ok = False
    return 0 if ok else 1

def age(out_path):
    """Reads a pcap stream on stdin as it arrives, copies it to out_path and
    prints '<packets> <max age ms> <p50 age ms>'; age = arrival - timestamp."""
    fd, buf, ages, scale, hdr = sys.stdin.fileno(), bytearray(), [], None, False
    with open(out_path, "wb") as out:
        while True:
            chunk = os.read(fd, 1 << 16)
            now = time.time()
            if not chunk:
                break
            out.write(chunk)
            buf += chunk
            at = 0
            if not hdr:
                if len(buf) < 24:
                    continue
                scale = 1e-9 if struct.unpack("<I", buf[:4])[0] == 0xa1b23c4d else 1e-6
                hdr, at = True, 24
            while len(buf) - at >= 16:
                sec, frac, caplen, _ = struct.unpack_from("<IIII", buf, at)
                if len(buf) - at - 16 < caplen:
                    break
                ages.append((now - (sec + frac * scale)) * 1000)
                at += 16 + caplen
            del buf[:at]
    ages.sort()
    print(len(ages), int(ages[-1]) if ages else -1, int(ages[len(ages) // 2]) if ages else -1)
    return 0

def after(merged, since_ns, refs):
    """Per host: records stamped after since_ns ('name=ip ...')."""
    hosts = dict(reversed(r.split("=", 1)) for r in refs)
    n = collections.Counter(host_of(b, hosts) for t, b in records(merged) if t > int(since_ns))
    print(" ".join("%s=%d" % (name, n.get(name, 0)) for name in hosts.values()))
    return 0

def order(merged, refs):
    """Timestamp inversions in merged: 'own' where a host's own stream went
    backwards (the kernel/libpcap delivers a worker's packets slightly out of
    timestamp order at times, ~1 us; ddump must keep each stream's order),
    'cross' where the merge put streams out of order. Fails on any cross."""
    hosts = dict(reversed(r.split("=", 1)) for r in refs)
    top, last, own, cross = 0, {}, 0, 0
    for t, b in records(merged):
        h = host_of(b, hosts)
        if t < top:
            if t < last.get(h, 0):
                own += 1
            else:
                cross += 1
        top, last[h] = max(top, t), max(last.get(h, 0), t)
    print("inversions=%d own=%d cross=%d" % (own + cross, own, cross))
    return 1 if cross else 0

cmd = sys.argv[1]
sys.exit({"compare": lambda: compare(sys.argv[2], sys.argv[3:]),
          "order": lambda: order(sys.argv[2], sys.argv[3:]),
          "age": lambda: age(sys.argv[2]),
          "after": lambda: after(sys.argv[2], sys.argv[3], sys.argv[4:])}[cmd]())
PY
pc() { "$E2E_PYTHON" "$E2E_TMP/pc.py" "$@"; }

# captures_started WORKER N: the worker has logged at least N capture_start
# events (its pcap handle is open with the filter set: traffic is captured).
captures_started() { (( $(grep -c ' capture_start ' "$(log_err "$1")" || true) >= $2 )); }
# all_started N: every worker has at least N capture_start events
all_started() { captures_started w1 "$1" && captures_started w2 "$1" && captures_started w3 "$1"; }

# time_order FILE: capinfos must report strict time order. Only if the file
# has inversions that are all inside one worker's own stream (that worker's
# capture itself went backwards: ddump keeps each stream's order, so capinfos
# cannot say "strict" then) is that noted instead; any inversion between
# streams fails.
time_order() {
    local out
    out=$(pc order "$1" "${HOSTS[@]}") || fail "merge put streams out of time order in $1: $out"
    if [[ "$out" == "inversions=0 "* ]]; then
        strict_order "$1"
    else
        note "$1: $out: not strictly ordered only where a worker's own stream went backwards"
    fi
}

# The test traffic only: echo request/reply and UDP to ports 17000-17999
# (not the port-unreachable errors the UDP provokes, which are rate-limited).
FILTER='icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply or (udp and dst portrange 17000-17999)'

# ---------------------------------------------------------------------------
# Topology: h1, h2, h3 run workers; cl runs ddump and curl; all on one LAN.
# ---------------------------------------------------------------------------
HOSTS=(h1=10.213.5.1 h2=10.213.5.2 h3=10.213.5.3)
ns_create h1
ns_create h2
ns_create h3
ns_create cl
ns_lan lan h1=10.213.5.1/24 h2=10.213.5.2/24 h3=10.213.5.3/24 cl=10.213.5.9/24
declare -A IP=([1]=10.213.5.1 [2]=10.213.5.2 [3]=10.213.5.3)
declare -A URL=()
for i in 1 2 3; do
    start_worker "h$i" "w$i"
    [[ -n "$WORKER_PORT" ]] || fail "worker w$i printed no port"
    URL[$i]="http://${IP[$i]}:$WORKER_PORT/capture"
done
started=0   # capture_start events per worker so far

# ---------------------------------------------------------------------------
# 1. Merged output == the per-worker curl captures; tcpdump reads it; order.
# ---------------------------------------------------------------------------
for i in 1 2 3; do
    ns_spawn cl "ref$i" curl -sSN --fail -G --data-urlencode "filter=$FILTER" -o "ref$i.pcap" "${URL[$i]}"
done
# ddump -> tee (the file) -> real tcpdump reading the live pipe.
# shellcheck disable=SC2016  # expanded by the inner bash
ns_spawn cl main bash -c '
    set -o pipefail
    "$@" 2>ddump.err | tee merged.pcap | tcpdump -nr - >tcpdump.txt 2>tcpdump.err
    echo "${PIPESTATUS[*]}" >main.status' _ \
    "$DDUMP" --duration 6 -f "$FILTER" "${URL[1]}" "${URL[2]}" "${URL[3]}"
started=$((started + 2))
wait_for 10 all_started "$started" || fail "captures did not start on every worker"

ns_ping h1 10.213.5.2 10
ns_ping h2 10.213.5.3 10
ns_ping h3 10.213.5.1 10
udp_send h1 10.213.5.2 17001 30 h1to2
udp_send h2 10.213.5.3 17002 30 h2to3
udp_send h3 10.213.5.1 17003 30 h3to1
# Fence: one datagram per pair, sent last; each host sees two (one out, one in).
udp_send h1 10.213.5.2 17999 1 fence12
udp_send h2 10.213.5.3 17999 1 fence23
udp_send h3 10.213.5.1 17999 1 fence31
for i in 1 2 3; do
    wait_for_pcap_count "ref$i.pcap" 2 10 udp dst port 17999 || fail "reference capture $i lacks the fences"
done
pid_alive "$(pid_of main)" || fail "ddump ended before the traffic was over (--duration too short for this machine?)"
for i in 1 2 3; do stop "ref$i" TERM 5 || true; done
wait_exit main 15 || fail "ddump did not stop after --duration 6"
read -r -a st <main.status
assert_eq "0 0 0" "${st[*]}" "exit statuses of ddump | tee | tcpdump"
# Off a terminal ddump prints one event line per target as it starts streaming.
assert_eq "" "$(grep -v -E '^(ddump: )?(http://|[0-9]+ packets written)|^ddump: [^ ]+: streaming' ddump.err || true)" \
    "ddump stderr holds only the events and the summary"

for i in 1 2 3; do
    assert_ge "$(pcap_count "ref$i.pcap")" 100 "packets in reference capture $i (40 ping + 60 udp + 2 fence expected)"
done
cmp_out=$(pc compare merged.pcap "h1=10.213.5.1=ref1.pcap" "h2=10.213.5.2=ref2.pcap" "h3=10.213.5.3=ref3.pcap") ||
    fail "merged output differs from the per-worker captures: $(tr '\n' ';' <<<"$cmp_out")"
note "per host: $(tr '\n' ';' <<<"$cmp_out")"
time_order merged.pcap
total=$(pcap_count merged.pcap)
refs_total=$(( $(pcap_count ref1.pcap) + $(pcap_count ref2.pcap) + $(pcap_count ref3.pcap) ))
assert_eq "$refs_total" "$total" "merged packets = sum of the reference captures"
assert_eq "" "$(grep -v -E '^reading from file -, link-type LINUX_SLL' tcpdump.err || true)" "tcpdump -nr - stderr"
assert_eq "$total" "$(wc -l <tcpdump.txt)" "packets tcpdump -nr - printed"
for pair in "10.213.5.1 > 10.213.5.2: ICMP echo request" "10.213.5.1 > 10.213.5.3: ICMP echo reply" \
            "10.213.5.2.[0-9]+ > 10.213.5.3.17002: UDP"; do
    n=$(grep -c -E "$pair" tcpdump.txt || true)
    assert_ge "$n" 20 "tcpdump lines '$pair' (10 or 30 sent, each seen on both hosts)"
done
pass "3 workers: merged == per-worker curl captures ($total packets), strict order, tcpdump -nr - reads it, exit 0 after --duration"

# ---------------------------------------------------------------------------
# 2. One worker idle: output is not held back beyond --max-delay.
# ---------------------------------------------------------------------------
MAXDELAY=200
# shellcheck disable=SC2016
ns_spawn cl idle bash -c '
    set -o pipefail
    "$@" 2>idle_ddump.err | /usr/bin/python3 pc.py age idle.pcap >idle.age
    echo "${PIPESTATUS[*]}" >idle.status' _ \
    "$DDUMP" -q --max-delay "$MAXDELAY" -c 300 -f "$FILTER" "${URL[1]}" "${URL[2]}" "${URL[3]}?filter=udp+port+1"
started=$((started + 1))
wait_for 10 all_started "$started" || fail "captures did not start on every worker"
udp_send h1 10.213.5.2 17010 150 idle   # 150 out on h1 + 150 in on h2 = 300
wait_exit idle 15 || fail "ddump -c 300 did not end"
read -r -a st <idle.status
assert_eq "0 0" "${st[*]}" "exit statuses of ddump -c 300 | age reader"
read -r n worst p50 <idle.age
assert_eq 300 "$n" "packets through with an idle worker"
assert_le "$worst" $((MAXDELAY + 150)) "max packet age (ms) at ddump's stdout with --max-delay $MAXDELAY and an idle worker"
time_order idle.pcap
pass "idle worker: max packet age ${worst} ms (p50 ${p50} ms) with --max-delay $MAXDELAY, exit 0 after -c"

# ---------------------------------------------------------------------------
# 3. A bad filter on all three: the worker's error text, exit 2.
# ---------------------------------------------------------------------------
werr=$(ns_exec cl curl -s --max-time 5 -G --data-urlencode "filter=tcp port" "${URL[1]}" |
    "$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["error"])')
assert_contains "$werr" "syntax error" "the worker's own answer to 'tcp port'"
rc=0
ns_exec cl timeout 15 "$DDUMP" -f 'tcp port' "${URL[1]}" "${URL[2]}" "${URL[3]}" >bad.pcap 2>bad.err || rc=$?
assert_eq 2 "$rc" "exit status with a bad filter on every target"
bad=$(cat bad.err)
for i in 1 2 3; do
    assert_contains "$bad" "${URL[$i]}" "stderr names target $i"
done
assert_contains "$bad" "$werr" "stderr carries the worker's libpcap error text"
pass "bad filter: worker's error text ($werr), exit 2"

# ---------------------------------------------------------------------------
# 4. SIGKILL one worker mid-run: the others keep streaming, exit 1.
# ---------------------------------------------------------------------------
# shellcheck disable=SC2016
ns_spawn cl kill bash -c '"$@" 2>kill.err >kill.pcap' _ \
    "$DDUMP" -c 1500 -f "$FILTER" "${URL[1]}" "${URL[2]}" "${URL[3]}"
started=$((started + 1))
wait_for 10 all_started "$started" || fail "captures did not start on every worker"
# Continuous traffic around the ring: 3 pingers at 100/s (each ping is seen by
# both ends: ~1200 packets/s while all live, ~600/s after w3 is gone).
ns_spawn h1 ping1 ping -n -q -i 0.01 10.213.5.2
ns_spawn h2 ping2 ping -n -q -i 0.01 10.213.5.3
ns_spawn h3 ping3 ping -n -q -i 0.01 10.213.5.1
wait_for 10 _e2e_pcap_count_ge kill.pcap 200 || fail "no merged output before the kill"
# stderr off here only to hide bash's "Killed" job notice (fail still reports)
{
    stop w3 KILL 5 || fail "worker w3 survived SIGKILL"
    dead_ns=$(date +%s%N)   # w3 captures nothing after this
    wait_exit kill 20 1 || fail "ddump -c 1500 did not finish after a worker died"
} 2>/dev/null
assert_eq 1 "$E2E_EXIT_STATUS" "ddump exit status after a worker was killed"
for p in ping1 ping2 ping3; do stop "$p" INT 5 || true; done
err=$(cat kill.err)
assert_contains "$err" "${URL[3]}: connection lost mid-stream" "stderr line naming the killed target"
assert_eq 1 "$(grep -c -F "${URL[3]}: connection lost" kill.err)" "exactly one error line for the killed target"
assert_not_contains "$err" "${URL[1]}: connection" "no error for target 1"
assert_not_contains "$err" "${URL[2]}: connection" "no error for target 2"
assert_eq 1500 "$(valid_pcap kill.pcap)" "valid pcap with -c 1500 packets"
time_order kill.pcap
read -r a1 a2 a3 <<<"$(pc after kill.pcap "$dead_ns" "${HOSTS[@]}")"
note "packets stamped after w3 died: $a1 $a2 $a3"
assert_ge "${a1#h1=}" 100 "h1 packets stamped after the kill"
assert_ge "${a2#h2=}" 100 "h2 packets stamped after the kill"
assert_eq "h3=0" "$a3" "h3 packets stamped after its worker died"
pass "SIGKILL of one worker: others kept streaming (${a1#h1=}+${a2#h2=} packets after), valid file, exit 1"
