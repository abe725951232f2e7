#!/usr/bin/env bash
# Hostile or broken streams from a fake worker: each ends its target with one
# clear stderr line (target named, password masked), exit 1, never a crash,
# and stdout stays a valid pcap holding only whole records. A 4xx on every
# target (bad filter) exits 2 with the worker's JSON error text.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"
export DDUMP_PASSWORD=s3cret
fake_start evil --user alice:s3cret
base="http://alice@127.0.0.1:$FAKE_PORT"
shown="http://alice:***@127.0.0.1:$FAKE_PORT"  # the password (from DDUMP_PASSWORD) masked

# path | packets expected on stdout | error text expected
cases=(
    "bad-magic|0|not a pcap stream: bad magic 0x3c68746d"
    "giant-caplen|2|caplen 2147483647 exceeds limit 262144 in record 3"
    "truncated|2|truncated record 3: stream ended after 41 of 48 bytes"
    "wrong-type|0|unexpected Content-Type 'text/plain'"
    "html|0|HTTP 502 with an HTML page (a proxy or web server, not a ddump worker)"
    "html200|0|unexpected Content-Type 'text/html'"
    "die-after?n=4|4|connection lost mid-stream"
)
for c in "${cases[@]}"; do
    IFS='|' read -r path packets text <<<"$c"
    st=0
    timeout 20 "$DDUMP" -q "$base/$path" >out.pcap 2>err.txt || st=$?
    assert_eq 1 "$st" "$path: exit status"
    assert_eq 1 "$(wc -l <err.txt)" "$path: exactly one stderr line with -q: $(cat err.txt)"
    assert_contains "$(cat err.txt)" "ddump: $shown/$path: $text" "$path: error line"
    assert_not_contains "$(cat err.txt)" "s3cret" "$path: password masked"
    assert_eq "$packets" "$(valid_pcap out.pcap)" "$path: whole records on stdout"
done
pass "7 hostile streams each rejected cleanly"

# A hostile target among good ones: the others go on, exit 1.
st=0
timeout 20 "$DDUMP" "$base/capture?live=1&pps=2000&count=300" "$base/giant-caplen" "$base/bad-magic" >mix.pcap 2>err.txt || st=$?
assert_eq 1 "$st" "mixed exit status"
assert_eq 302 "$(valid_pcap mix.pcap)" "good stream + 2 valid records of the hostile one"
assert_contains "$(cat err.txt)" "count=300: 300 packets" "good target summary"
pass "one hostile target does not stop the others"

# Wrong password: a 401 on every target is a configuration error (exit 2).
st=0
DDUMP_PASSWORD=wrong timeout 20 "$DDUMP" -q "$base/capture" >out.pcap 2>err.txt || st=$?
assert_eq 2 "$st" "401 exit status"
assert_contains "$(cat err.txt)" "HTTP 401: authentication required" "401 message"

# Bad filter on every target: exit 2 with the worker's JSON error text.
fake_start plain
st=0
timeout 20 "$DDUMP" "127.0.0.1:$FAKE_PORT" "http://127.0.0.1:$FAKE_PORT/capture" \
    tcp and badfilter >out.pcap 2>err.txt || st=$?
assert_eq 2 "$st" "bad filter exit status"
# The fake worker quotes the filter it decoded: the expression arrived intact.
assert_eq 2 "$(grep -c "HTTP 400: bad filter 'tcp and badfilter': can't parse filter expression: syntax error" err.txt)" \
    "the worker's error, once per target"
assert_eq 0 "$(valid_pcap out.pcap)" "still a valid (empty) pcap"
pass "401 and 400 on every target exit 2 with the worker's error text"

# Nothing listening: a connect error, exit 1.
st=0
timeout 20 "$DDUMP" -q --connect-timeout 2 "127.0.0.1:1" >out.pcap 2>err.txt || st=$?
assert_eq 1 "$st" "refused connection exit status"
assert_contains "$(cat err.txt)" "http://127.0.0.1:1/capture: cannot connect to 127.0.0.1:1: connection failed" "connect error"
pass "connection refused reported"
