#!/usr/bin/env bash
# A filter costs bounded CPU and, when refused, no kernel buffer.
#  * The 4,090-byte `port 1||port 2||...` (420 primitives, ~38 CPU-seconds
#    to compile in libpcap 1.10) is a 400 naming the limit at once; 16 of
#    them at the same time cost the worker well under a CPU-second.
#  * The costliest shape within the limit (32 portrange primitives in
#    and/or groups) compiles and streams promptly.
#  * A program over 1000 BPF instructions (geneve multiplies it) is a 400.
#  * A refused filter allocates no capture buffer: with -B 128 MiB, the
#    worker's peak RSS (VmHWM; the kernel ring is mapped into the process)
#    stays flat over 16 concurrent refusals (the old worker activated the
#    capture first: +128 MiB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
start_worker a worker --listen 127.0.0.1:0 -B 131072 --max-captures 32
pid=$(pid_of worker)
base="http://127.0.0.1:$WORKER_PORT/capture"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$pid/status"; }
body_error() { "$E2E_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$1"; }
# request NAME FILTER: prints "STATUS MS_TO_FIRST_BYTE"; the body is in $E2E_TMP/NAME.body
request() {
    ns_exec a curl -s -G -o "$E2E_TMP/$1.body" -w '%{http_code} %{time_starttransfer}\n' \
        --max-time 20 "$base" --data-urlencode "filter=$2" --data-urlencode duration=0.2 |
        awk '{printf "%s %d\n", $1, $2 * 1000}'
}
join_terms() {  # TEMPLATE OPERATOR N: TEMPLATE with %d replaced by 1..N
    local out="" i
    for ((i = 1; i <= $3; i++)); do out+="${out:+$2}${1//%d/$i}"; done
    printf '%s' "$out"
}

# --- the 4,090-byte filter, 16 at once ----------------------------------------
big=$(join_terms 'port %d' '||' 420)
assert_eq 4090 "${#big}" "the filter's length"
printf '%s' "$big" >"$E2E_TMP/big.filter"
hwm0=$(hwm_kib)
cpu0=$(cpu_ticks)
for n in $(seq 1 16); do
    ns_spawn a "big$n" curl -s -G -o "$E2E_TMP/big$n.body" -w '%{http_code}' --max-time 20 "$base" \
        --data-urlencode "filter@$E2E_TMP/big.filter"
done
for n in $(seq 1 16); do
    wait_exit "big$n" 25 || fail "big$n did not end"
    assert_eq 400 "$(cat "$(log_out "big$n")")" "big$n: status"
    assert_eq "bad filter: 420 primitives joined by and/or, more than the limit of 32" \
        "$(body_error "$E2E_TMP/big$n.body")" "big$n: error"
done
cpu=$(( $(cpu_ticks) - cpu0 ))
note "16 concurrent 4,090-byte filters: $cpu CPU ticks of the worker"
assert_le "$cpu" 100 "worker CPU ticks (1/100 s) for 16 over-budget filters"

# --- 16 concurrent lexically bad filters: no capture buffer -------------------
bad=("icmp) or (tcp" "((icmp)" "host db1.internal" "tcp @ 80" "$(join_terms 'host 10.0.0.%d' ' or ' 33)"
     "$(printf '%.0s(' {1..17})icmp$(printf '%.0s)' {1..17})")
for n in $(seq 1 16); do
    ns_spawn a "bad$n" curl -s -G -o /dev/null -w '%{http_code}' --max-time 20 "$base" \
        --data-urlencode "filter=${bad[$((n % ${#bad[@]}))]}"
done
for n in $(seq 1 16); do
    wait_exit "bad$n" 25 || fail "bad$n did not end"
    assert_eq 400 "$(cat "$(log_out "bad$n")")" "bad$n: status"
done
hwm=$(hwm_kib)
note "peak RSS before the refusals $hwm0 KiB, after $hwm KiB (-B is 131072 KiB)"
assert_le "$(( hwm - hwm0 ))" 32768 "peak RSS growth over 32 refused filters (KiB)"
assert_eq "bad filter: parentheses nested 17 deep, more than the limit of 16" \
    "$(ns_exec a curl -s -G "$base" --data-urlencode "filter=${bad[5]}" |
       "$E2E_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["error"])')" "nesting limit"

stop worker TERM

# --- the costliest shape within the limit compiles, promptly ------------------
# (a small ring here: the time to the first byte is then mostly the compile)
start_worker a small --listen 127.0.0.1:0 -B 1024
base="http://127.0.0.1:$WORKER_PORT/capture"
worst=$(join_terms '(portrange %d0-%d5 or portrange %d00-%d05)' ' and ' 16)
read -r code ms <<<"$(request worst "$worst")"
note "32 portrange primitives: first byte after $ms ms"
assert_eq 200 "$code" "32 primitives: status ($(head -c 200 "$E2E_TMP/worst.body" | tr -d '\0'))"
assert_le "$ms" 2000 "32 primitives: milliseconds to the first byte"
read -r code ms <<<"$(request over "$worst and portrange 9-10")"
assert_eq 400 "$code" "33 primitives: status"
assert_eq "bad filter: 33 primitives joined by and/or, more than the limit of 32" \
    "$(body_error "$E2E_TMP/over.body")" "33 primitives: error"

# --- the compiled program's length --------------------------------------------
read -r code ms <<<"$(request long "geneve and ($(join_terms 'port %d' ' or ' 10))")"
assert_eq 400 "$code" "a program over 1000 instructions: status"
assert_eq "bad filter: compiles to 1185 BPF instructions, more than the limit of 1000" \
    "$(body_error "$E2E_TMP/long.body")" "a program over 1000 instructions: error"
read -r code ms <<<"$(request short "geneve and ($(join_terms 'port %d' ' or ' 8))")"
assert_eq 200 "$code" "963 instructions: status"
assert_eq 0 "$(ns_exec a curl -s "http://127.0.0.1:$WORKER_PORT/metrics" |
    awk '$1=="ddump_captures_active"{print $2}')" "captures left active"

pass "budget: 420 primitives refused at once (16: $cpu CPU ticks), refusals cost no buffer, 32 compile, >1000 instructions refused"
