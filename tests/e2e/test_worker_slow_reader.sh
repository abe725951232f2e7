#!/usr/bin/env bash
# A reader far slower than the traffic never grows the worker's memory: the
# kernel ring drops instead, and the drops are logged and shown in /stats and
# /metrics.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
ns_create b
ns_link a b 10.213.5.1/24 10.213.5.2/24
# Under AddressSanitizer freed memory sits in a quarantine that would look
# like growth: keep it small for this worker (no effect on other builds).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=4"
start_worker a worker --buffer-size 1024
wpid=$(pid_of worker)
base="http://10.213.5.1:$WORKER_PORT"
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$wpid/status"; }

ns_spawn b slow curl -sN --limit-rate 100k -o /dev/null "$base/capture?filter=udp+port+17500"
active() { [[ "$(http_body b "$base/metrics" | awk '$1=="ddump_captures_active"{print $2}')" == 1 ]]; }
wait_for 3 active || fail "capture did not start"
rss_before=$(rss_kib)

# ~4 s of 1400-byte datagrams as fast as python sends them: far above 100 kB/s.
ns_exec b timeout 10 /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b"x" * 1400
end = time.time() + 4
while time.time() < end:
    for _ in range(1000):
        try: s.sendto(data, ("10.213.5.1", 17500))
        except OSError: pass
'
drops() {
    http_body b "$base/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["captures"][0]["kernel_drops"])'
}
has_drops() { (( $(drops) > 0 )); }
wait_for 10 has_drops || fail "no kernel drops reported in /stats"
rss_after=$(rss_kib)
growth=$(( (rss_after - rss_before) / 1024 ))
note "worker RSS ${rss_before} KiB -> ${rss_after} KiB; kernel drops $(drops)"
assert_le "$growth" 32 "worker RSS growth under a slow reader (MiB)"
metric=$(http_body b "$base/metrics" | awk '$1=="ddump_kernel_drops_total"{print $2}')
assert_ge "$metric" 1 "ddump_kernel_drops_total"
wait_for 3 grep -q 'warn kernel_drops' "$(log_err worker)" || fail "drops not logged"
assert_eq 200 "$(http_status b "$base/healthz")" "healthz answers while a stream is stuck"
stop slow TERM

pass "slow reader: kernel drops instead of memory growth, reported in log, /stats, /metrics"
