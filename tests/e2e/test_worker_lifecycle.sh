#!/usr/bin/env bash
# Lifecycle: client disconnects free everything (200 cycles, fds and threads
# back to baseline), /stats /metrics /interfaces report, SIGTERM ends every
# stream with its terminating chunk and exits 0 within 2 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
ns_create b
ns_link a b 10.213.3.1/24 10.213.3.2/24
start_worker a worker --log-format json
wpid=$(pid_of worker)
base="http://10.213.3.1:$WORKER_PORT"

fds() { ls "/proc/$wpid/fd" | wc -l; }
threads() { ls "/proc/$wpid/task" | wc -l; }
metric() { http_body b "$base/metrics" | awk -v m="$1" '$1==m{print $2}'; }

# Warm up once so the thread pool exists, then take the baseline.
assert_eq ok "$(http_body b "$base/healthz")" "healthz"
base_fds=$(fds)
base_threads=$(threads)

# --- 200 connect/disconnect cycles on a capture that matches nothing -------
# curl --max-time aborts each after 0.1 s: the worker must notice each
# departure (no packet ever flows) and free handle and fds. A loaded machine
# can let the timer fire before a request is even sent, so the cycles are
# counted by what curl saw: every one answered with 200 was a capture, and
# nothing else may have become one.
answered=$(ns_exec b bash -c "n=0; for i in \$(seq 200); do c=\$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.1 '$base/capture?filter=udp+port+9' || true); [[ \$c == 200 ]] && n=\$((n+1)); done; echo \$n")
idle() { [[ "$(metric ddump_captures_active)" == 0 ]]; }
wait_for 3 idle || fail "captures still active after the clients left: $(metric ddump_captures_active)"
assert_ge "$answered" 180 "cycles answered with a capture"
assert_ge "$(metric ddump_captures_total)" "$answered" "every answered cycle counted"
assert_le "$(metric ddump_captures_total)" 200 "no capture without a cycle"
back_to_baseline() { (( $(fds) <= base_fds )); }
wait_for 2 back_to_baseline || fail "fd leak: $(fds) open, baseline $base_fds"
assert_eq "$base_threads" "$(threads)" "thread count back to baseline"

# A single departure is noticed within 1 s even when nothing matches.
ns_spawn b one curl -sN -o /dev/null "$base/capture?filter=udp+port+9"
one_active() { [[ "$(metric ddump_captures_active)" == 1 ]]; }
wait_for 3 one_active || fail "capture did not start"
stop one KILL
wait_for 1 idle || fail "capture not freed within 1 s of the client leaving"

# --- /stats and /metrics describe a live capture --------------------------
ns_spawn b live curl -sN -o "$E2E_TMP/live.pcap" "$base/capture?filter=icmp"
wait_for 3 one_active || fail "live capture did not start"
# The capture is counted before libpcap is attached; the global header is
# written once it is, so only then can no ping be missed.
header_arrived() { [[ $(stat -c %s "$E2E_TMP/live.pcap" 2>/dev/null || echo 0) -ge 24 ]]; }
wait_for 3 header_arrived || fail "live capture sent no pcap header"
ns_ping b 10.213.3.1 10 || fail "ping failed"
stats_ok() {
    http_body b "$base/stats" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
c = s["captures"][0]
assert s["captures_active"] == 1 and s["uptime_seconds"] > 0
assert c["filter"] == "icmp" and c["interface"] == "any" and c["peer"].startswith("10.213.3.2:")
assert c["packets"] >= 20 and c["bytes"] > 24 and c["kernel_drops"] == 0 and c["id"] >= 1
assert c["start_time_ns"] > 0
'
}
wait_for 3 stats_ok || fail "/stats does not show the live capture: $(http_body b "$base/stats")"
metrics=$(http_body b "$base/metrics")
for m in ddump_captures_active ddump_packets_total ddump_bytes_total ddump_kernel_drops_total \
         ddump_captures_total ddump_uptime_seconds; do
    assert_contains "$metrics" "# TYPE $m " "metric $m declared"
done
assert_ge "$(metric ddump_packets_total)" 20 "packets_total counts the pings"

# --- /interfaces, like tcpdump -D ---------------------------------------------
http_body b "$base/interfaces" | /usr/bin/python3 -c '
import json, sys
ifs = {i["name"]: i for i in json.load(sys.stdin)}
assert "vb" in ifs and "lo" in ifs and "any" in ifs, ifs.keys()
vb = ifs["vb"]
assert vb["up"] and vb["running"] and not vb["loopback"] and vb["index"] > 0
assert {"family": "ipv4", "address": "10.213.3.1", "netmask": "255.255.255.0"} in vb["addresses"]
assert ifs["lo"]["loopback"]
' || fail "/interfaces content"

# --- SIGTERM: every stream ends cleanly, exit 0 within 2 s ------------------
ns_spawn b second curl -sN --fail -o "$E2E_TMP/second.pcap" "$base/capture"
two_active() { [[ "$(metric ddump_captures_active)" == 2 ]]; }
wait_for 3 two_active || fail "second capture did not start"
t0=$(date +%s%N)
stop worker TERM 3 || fail "worker did not exit on SIGTERM"
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq 0 "$E2E_EXIT_STATUS" "worker exit status on SIGTERM"
assert_le "$elapsed" 2000 "worker exit time after SIGTERM (ms)"
wait_exit live 3 || fail "client 1 still running after the worker left"
assert_eq 0 "$E2E_EXIT_STATUS" "client 1 saw a clean chunked end"
wait_exit second 3 || fail "client 2 still running"
assert_eq 0 "$E2E_EXIT_STATUS" "client 2 saw a clean chunked end"
assert_ge "$(pcap_count "$E2E_TMP/live.pcap" icmp)" 20 "live stream is a valid pcap with the pings"
grep -q '"event":"capture_end".*"reason":"worker shutting down"' "$(log_err worker)" ||
    fail "no JSON capture_end line with the shutdown reason"
grep -q '"event":"capture_start"' "$(log_err worker)" || fail "no JSON capture_start line"

pass "lifecycle: 200 disconnects leak nothing, stats/metrics/interfaces, clean SIGTERM"
