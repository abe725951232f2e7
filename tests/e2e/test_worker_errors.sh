#!/usr/bin/env bash
# Every invalid request is refused before any pcap byte with a 4xx (or 503)
# and a JSON body naming what was wrong; bad flags exit 2 with one line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
start_worker a worker --max-captures 2
base="http://127.0.0.1:$WORKER_PORT"

# expect_error STATUS MESSAGE_SUBSTRING CURL_ARGS... : status, JSON content
# type, a JSON object with "error", and no pcap magic anywhere in the body.
expect_error() {
    local status=$1 needle=$2
    shift 2
    local out code body ctype
    out=$(ns_exec a curl -s --max-time 5 -D - "$@")
    code=$(head -1 <<<"$out" | cut -d' ' -f2)
    ctype=$(tr -d '\r' <<<"$out" | grep -i '^Content-Type:' | head -1)
    body=$(tr -d '\r' <<<"$out" | sed -n '/^$/,$p' | tail -n +2)
    assert_eq "$status" "$code" "status for $*"
    assert_contains "$ctype" "application/json" "content type for $*"
    local msg
    msg=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["error"])' <<<"$body") ||
        fail "body is not JSON with an error field: $body"
    assert_contains "$msg" "$needle" "error text for $*"
}

expect_error 400 "bad filter: can't parse filter expression: syntax error" "$base/capture?filter=tcp+port"
expect_error 400 "bad filter: " "$base/capture?filter=host+no.such.host.invalid"
# A filter that only parses inside parentheses must not escape the exclusions.
expect_error 400 "bad filter" "$base/capture?filter=icmp)+or+(tcp"
expect_error 400 "no such interface: nope0" "$base/capture?interface=nope0"
expect_error 400 'unknown parameter "colour"' "$base/capture?colour=blue"
expect_error 400 "filter is 4097 bytes, longer than the 4096-byte limit" \
    "$base/capture?filter=$(printf '%*s' 4097 '' | tr ' ' 'a')"
expect_error 400 'count must be a non-negative integer, got "-1"' "$base/capture?count=-1"
expect_error 400 'count must be a non-negative integer, got "lots"' "$base/capture?count=lots"
expect_error 400 'duration must be a non-negative number of seconds, got "-3"' "$base/capture?duration=-3"
expect_error 400 'duration must be a non-negative number of seconds, got "soon"' "$base/capture?duration=soon"
expect_error 400 "snaplen must be between 1 and 262144, got 0" "$base/capture?snaplen=0"
expect_error 400 'snaplen must be a non-negative integer, got "-5"' "$base/capture?snaplen=-5"
expect_error 400 'linktype must be sll, sll2 or native' "$base/capture?linktype=raw"
expect_error 400 "link type LINUX_SLL is not available on lo" "$base/capture?interface=lo&linktype=sll"
expect_error 400 'precision must be micro or nano' "$base/capture?precision=milli"
expect_error 400 'direction must be in, out or inout' "$base/capture?direction=sideways"
expect_error 400 'parameter "count" given twice' "$base/capture?count=1&count=2"
expect_error 405 "method POST not allowed on /capture" -X POST "$base/capture"
expect_error 405 "method DELETE not allowed on /stats" -X DELETE "$base/stats"
expect_error 404 "no such path: /nothing" "$base/nothing"
expect_error 404 "no such path: /nothing" -X POST "$base/nothing"

# --max-captures: the third concurrent stream gets 503 with Retry-After.
ns_spawn a s1 curl -sN -o /dev/null "$base/capture?filter=udp+port+1"
ns_spawn a s2 curl -sN -o /dev/null "$base/capture?filter=udp+port+2"
active() { [[ "$(ns_exec a curl -s "$base/metrics" | awk '$1=="ddump_captures_active"{print $2}')" == 2 ]]; }
wait_for 5 active || fail "two captures did not start"
expect_error 503 "too many captures: limit is 2 (--max-captures)" "$base/capture"
retry=$(ns_exec a curl -s -D - -o /dev/null "$base/capture" | tr -d '\r' | grep -i '^Retry-After:')
assert_eq "Retry-After: 5" "$retry" "Retry-After header"
assert_eq 200 "$(http_status a "$base/healthz")" "healthz still answers at the limit"
stop s1 TERM
stop s2 TERM

# Bad flags: one line on stderr, exit 2, nothing on stdout.
worker=$(e2e_bin ddump-worker)
check_flag() {
    local needle=$1 rc=0 err
    shift
    err=$("$worker" "$@" 2>&1 >/dev/null) || rc=$?
    assert_eq 2 "$rc" "exit status for $*"
    assert_eq 1 "$(wc -l <<<"$err")" "one line for $*"
    assert_contains "$err" "$needle" "message for $*"
}
check_flag 'unknown option "--bogus"' --bogus
check_flag 'bad listen address "nonsense"' --listen nonsense
check_flag '--max-captures must be between 1 and 4096, got 0' --max-captures 0
check_flag '--log-format must be text or json, got "xml"' --log-format xml
check_flag 'bad --exclude expression "tcp port": bad filter' --listen 127.0.0.1:0 --exclude 'tcp port'
check_flag '--listen needs a value' --listen

pass "worker errors: every 4xx/503 is JSON, bad flags exit 2"
