#!/usr/bin/env bash
# ddump as a streaming mergecap: files, stdin and the same files over HTTP all
# give records byte-identical to `mergecap -F pcap`, in strict time order.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd mergecap capinfos
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

make_pcap a.pcap 3000 1 40
make_pcap b.pcap 2000 2 60
make_pcap c.pcap 2500 3 50
mergecap -F pcap -w expected.pcap a.pcap b.pcap c.pcap

"$DDUMP" a.pcap b.pcap c.pcap >out.pcap 2>err.txt || fail "exit $? merging files: $(cat err.txt)"
same_records out.pcap expected.pcap "files"
strict_order out.pcap
assert_eq 7500 "$(pcap_count out.pcap)" "packets merged"
assert_contains "$(cat err.txt)" "a.pcap: 3000 packets" "per-target summary"
assert_contains "$(cat err.txt)" "7500 packets written from 3 targets (0 failed, 0 reordered)" "summary"
pass "3 files merged byte-identical to mergecap"

# Files many read-ahead chunks (192 KiB) long, with small records (copied)
# and large ones (>= 512 B: written from the read buffers, not copied), and
# ends that fall mid-record in every chunk: still byte-identical.
make_pcap big1.pcap 40000 5 40 0 60
make_pcap big2.pcap 6000 6 40 0 1500
make_pcap big3.pcap 30000 7 30 0 200
(( $(stat -c %s big2.pcap) > 20 * 196608 )) || fail "big2.pcap spans too few chunks"
mergecap -F pcap -w expected_big.pcap big1.pcap big2.pcap big3.pcap
"$DDUMP" -q big1.pcap big2.pcap big3.pcap >big.pcap || fail "exit $? merging big files"
same_records big.pcap expected_big.pcap "multi-chunk files"
assert_eq 76000 "$(pcap_count big.pcap)" "packets merged from multi-chunk files"
pass "multi-chunk files with small and large records byte-identical to mergecap"

"$DDUMP" -q b.pcap - c.pcap <a.pcap >stdin.pcap 2>err.txt || fail "stdin merge exit $?"
mergecap -F pcap -w expected_bac.pcap b.pcap a.pcap c.pcap
same_records stdin.pcap expected_bac.pcap "stdin target"
assert_eq "" "$(cat err.txt)" "-q prints nothing"
pass "stdin is a target"

"$DDUMP" -q -c 100 a.pcap b.pcap >count.pcap || fail "-c exit $?"
assert_eq 100 "$(pcap_count count.pcap)" "-c 100"

# µs + ns files: the output is nanosecond, timestamps kept exactly.
make_pcap n.pcap 500 4 40 1
"$DDUMP" -q a.pcap n.pcap >mixed.pcap || fail "mixed precision exit $?"
assert_contains "$(capinfos -t mixed.pcap)" "nanosecond pcap" "ns output"
mergecap -F pcap -w expected_an.pcap a.pcap n.pcap
assert_eq "$(tcpdump -nr expected_an.pcap --nano -tt 2>/dev/null | md5sum)" \
    "$(tcpdump -nr mixed.pcap --nano -tt 2>/dev/null | md5sum)" "mixed µs/ns decode the same as mergecap's"
pass "-c and µs/ns normalisation"

# The same files served over HTTP by the fake worker.
fake_start web --file a.pcap --file b.pcap --file c.pcap --chunk 1000
"$DDUMP" -q "127.0.0.1:$FAKE_PORT" "http://127.0.0.1:$FAKE_PORT/capture?file=1" \
    "http://127.0.0.1:$FAKE_PORT/capture?file=2" >http.pcap || fail "http merge exit $?"
same_records http.pcap expected.pcap "over HTTP"
pass "3 HTTP streams merged byte-identical to mergecap"

# Unknown file and link-type clash: clear errors, exit 1, still a valid pcap.
st=0
"$DDUMP" a.pcap ./missing.pcap >partial.pcap 2>err.txt || st=$?
assert_eq 1 "$st" "exit status with a missing file"
assert_contains "$(cat err.txt)" "./missing.pcap: cannot open: No such file or directory" "error line"
same_records partial.pcap a.pcap "the good file still merged"
pass "a missing file fails alone"

st=0
"$DDUMP" 2>err.txt >/dev/null || st=$?
assert_eq 2 "$st" "usage exit status"
assert_contains "$(cat err.txt)" "no targets" "usage message"
st=0
"$DDUMP" --max-delay x a.pcap 2>err.txt >/dev/null || st=$?
assert_eq 2 "$st" "bad flag exit status"
assert_contains "$(cat err.txt)" "--max-delay: 'x' is not a non-negative integer" "bad flag message"
st=0
"$DDUMP" --max-delay 18446744073709551 a.pcap 2>err.txt >/dev/null || st=$?
assert_eq 2 "$st" "huge --max-delay exit status"
assert_contains "$(cat err.txt)" "--max-delay: '18446744073709551' is more than 3600000 ms (one hour)" "huge --max-delay message"
help=$("$DDUMP" --help)
for flag in --filter --interface --snaplen --linktype --nano --targets --user DDUMP_PASSWORD --ca \
    --cert --key --insecure --count --duration --max-delay --retry --quiet --verbose \
    --connect-timeout --help --version; do
    assert_contains "$help" "$flag" "--help documents $flag"
done
pass "usage errors exit 2, --help documents every flag"
