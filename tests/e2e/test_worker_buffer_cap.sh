#!/usr/bin/env bash
# --max-buffer-total caps the kernel capture rings of all streams and the
# history together, before a ring is allocated:
#   * -B 1024 --max-buffer-total 2m: two captures run, the third is a 503
#     with Retry-After and a JSON error naming the limit; /metrics and
#     /stats show 2 MiB held of 2 MiB and one refusal; the two capture every
#     datagram; when one ends its ring is given back and a capture fits again;
#   * with --history the recorder's ring counts from start-up, and a since=
#     stream (it reads the history, no ring of its own) is never refused;
#   * the default is 256 MiB, raised to fit the history's ring and one
#     capture's; a smaller explicit value, or a size that is not one, is one
#     line and exit 2.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd curl

ns_create a
ns_create b
ns_link a b 10.213.62.1/24 10.213.62.2/24
start_worker a worker -B 1024 --max-buffer-total 2m
base=http://10.213.62.1:$WORKER_PORT
metric() { http_body b "$1/metrics" | awk -v m="$2" '$1==m{print $2}'; }
stat_field() {
    http_body b "$1/stats" | "$E2E_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
metric_is() { [[ "$(metric "$1" "$2")" == "$3" ]]; }

# --- two captures hold 2 MiB; the third is refused ----------------------------
for p in 1 2; do
    ns_spawn b "cap$p" curl -sN -o "$E2E_TMP/cap$p.pcap" "$base/capture?filter=udp+port+1770$p"
done
wait_for 10 metric_is "$base" ddump_captures_active 2 || fail "two captures did not start"
assert_eq 2097152 "$(metric "$base" ddump_kernel_buffer_bytes)" "kernel ring bytes held by two captures"
assert_eq 2097152 "$(metric "$base" ddump_kernel_buffer_max_bytes)" "the limit in /metrics"

refusal=$(ns_exec b curl -s -D "$E2E_TMP/third.head" -o "$E2E_TMP/third.body" -w '%{http_code}' \
    --max-time 5 "$base/capture?filter=udp+port+17703")
assert_eq 503 "$refusal" "status of the third capture"
assert_eq "Retry-After: 5" "$(grep -i '^Retry-After:' "$E2E_TMP/third.head" | tr -d '\r')" "Retry-After"
assert_eq '{"error":"kernel capture buffers at their limit: 2 MiB of 2 MiB in use, a capture needs 1 MiB (--max-buffer-total)"}' \
    "$(cat "$E2E_TMP/third.body")" "JSON error of the third capture"
assert_eq 1 "$(metric "$base" ddump_captures_buffer_rejected_total)" "refusals at the buffer limit"
assert_eq 0 "$(metric "$base" ddump_captures_rejected_total)" "refusals at --max-captures"
assert_eq 2 "$(metric "$base" ddump_captures_active)" "captures running after the refusal"
assert_eq "2097152 2097152 1" \
    "$(stat_field "$base" kernel_buffer_bytes) $(stat_field "$base" max_buffer_total_bytes) $(stat_field "$base" captures_rejected_buffer)" \
    "/stats: ring bytes held, limit, refusals"

# The two that run capture everything.
udp_send b 10.213.62.1 17701 5 one
udp_send b 10.213.62.1 17702 7 two
wait_for_pcap_count "$E2E_TMP/cap1.pcap" 5 10 udp port 17701 || fail "capture 1 missed datagrams"
wait_for_pcap_count "$E2E_TMP/cap2.pcap" 7 10 udp port 17702 || fail "capture 2 missed datagrams"

# One ends: its ring is given back, and a capture fits again.
stop cap1 TERM
wait_for 10 metric_is "$base" ddump_kernel_buffer_bytes 1048576 || fail "the ended capture's ring was not given back"
again=$(ns_exec b curl -s -o "$E2E_TMP/again.pcap" -w '%{http_code}' --max-time 5 \
    "$base/capture?filter=udp+port+17704&duration=0.3")
assert_eq 200 "$again" "a capture after one ended"
wait_for 10 metric_is "$base" ddump_kernel_buffer_bytes 1048576 || fail "the short capture's ring was not given back"
stop cap2 TERM
assert_eq "5 7" "$(pcap_count "$E2E_TMP/cap1.pcap" udp port 17701) $(pcap_count "$E2E_TMP/cap2.pcap" udp port 17702)" \
    "datagrams captured by the two"
wait_for 10 metric_is "$base" ddump_kernel_buffer_bytes 0 || fail "rings held with no capture"
stop worker TERM
pass "-B 1024 --max-buffer-total 2m: two captures, the third 503 with Retry-After, counted; rings given back"

# --- the history's ring counts; since= streams hold none -----------------------
start_worker a hist -B 1024 --max-buffer-total 2m --history 8m
hbase=http://10.213.62.1:$WORKER_PORT
assert_eq 1048576 "$(metric "$hbase" ddump_kernel_buffer_bytes)" "the history recorder's ring"
ns_spawn b live curl -sN -o "$E2E_TMP/live.pcap" "$hbase/capture?filter=udp+port+17705"
wait_for 10 metric_is "$hbase" ddump_captures_active 1 || fail "the live capture did not start"
assert_eq 503 "$(http_status b "$hbase/capture?filter=udp+port+17706")" "a second live capture beside the history"
assert_eq '{"error":"kernel capture buffers at their limit: 2 MiB of 2 MiB in use, a capture needs 1 MiB (--max-buffer-total)"}' \
    "$(http_body b "$hbase/capture?filter=udp+port+17706")" "its JSON error"
since=$(ns_exec b curl -s -o "$E2E_TMP/since.pcap" -w '%{http_code}' --max-time 5 \
    "$hbase/capture?since=-1s&until=%2B0.2s&filter=udp+port+17707")
assert_eq 200 "$since" "a since= stream beside them (no ring of its own)"
assert_eq 2 "$(metric "$hbase" ddump_captures_buffer_rejected_total)" "refusals counted"
stop live TERM
stop hist TERM
pass "--history: its ring counts from start-up; since= streams are not refused"

# --- defaults and bad values ----------------------------------------------------
# (start_worker records what it spawns: not inside $(...))
start_worker a dflt
assert_eq 268435456 "$(metric "http://10.213.62.1:$WORKER_PORT" ddump_kernel_buffer_max_bytes)" "default limit"
stop dflt TERM
start_worker a dflt1 -B 300000
assert_eq 307200000 "$(metric "http://10.213.62.1:$WORKER_PORT" ddump_kernel_buffer_max_bytes)" \
    "default limit with -B 300000 (one ring)"
stop dflt1 TERM
start_worker a dflt2 -B 131584 --history 8m
assert_eq 269484032 "$(metric "http://10.213.62.1:$WORKER_PORT" ddump_kernel_buffer_max_bytes)" \
    "default limit with -B 131584 and --history (two rings)"
stop dflt2 TERM

check_flag() {  # MESSAGE ARGS...
    local want=$1 rc=0 err
    shift
    err=$("$(e2e_bin ddump-worker)" --listen 127.0.0.1:0 "$@" 2>&1 >/dev/null) || rc=$?
    assert_eq 2 "$rc" "exit status for $*"
    assert_eq "ddump-worker: $want" "$err" "message for $*"
}
check_flag '--max-buffer-total 512 KiB is less than one capture'"'"'s kernel buffer (-B 1024 KiB)' \
    -B 1024 --max-buffer-total 512k
check_flag '--max-buffer-total 1 MiB is less than the history'"'"'s kernel buffer and one capture'"'"'s (2 x -B 1024 KiB)' \
    -B 1024 --history 8m --max-buffer-total 1m
check_flag '--max-buffer-total: expected a size such as 256m (KiB, or k/m/g: KiB/MiB/GiB), got "0"' \
    --max-buffer-total 0
check_flag '--max-buffer-total: expected a size such as 256m (KiB, or k/m/g: KiB/MiB/GiB), got "2t"' \
    --max-buffer-total 2t
check_flag '--max-buffer-total: size "2000g" is more than 1024g' --max-buffer-total 2000g
pass "defaults: 256 MiB, raised to fit one ring (or the history's and one); bad values refused in one line"
