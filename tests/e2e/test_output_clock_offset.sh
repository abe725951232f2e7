#!/usr/bin/env bash
# --clock-offset: two fake workers send 40 packets each at the same
# real times, but one's clock (its X-Ddump-Time AND its packet stamps) is 2 s
# ahead. With `auto` ddump estimates the offsets (reported by -v within 50 ms
# of the truth), shifts that stream, and the merged pcapng interleaves the two
# hosts as they really sent (many host switches, strict time order); with
# `none` the skewed host's packets all sort after the other's. HOST=MS given
# by hand does the same as auto.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd tshark capinfos
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

fake_start good
P1=$FAKE_PORT
fake_start skewed --time-offset-ms 2000
P2=$FAKE_PORT
Q="capture?live=1&pps=50&count=40"

# switches FILE: how often consecutive packets change interface (host)
switches() {
    tshark -r "$1" -T fields -e frame.interface_id 2>/dev/null |
        awk 'NR > 1 && $1 != prev {n++} {prev = $1} END {print n + 0}'
}

timeout 30 "$DDUMP" -v -F pcapng -w auto.pcapng --clock-offset auto \
    "http://127.0.0.1:$P1/$Q" "http://localhost:$P2/$Q" 2>auto.err || fail "auto exit $?: $(cat auto.err)"
line=$(grep "localhost:$P2.*estimated clock offset" auto.err) || fail "-v reports no offset: $(cat auto.err)"
ms=$(sed -E 's/.*estimated clock offset [+]?([-]?[0-9]+)\.[0-9] ms.*/\1/' <<<"$line")
assert_ge "$ms" 1950 "reported offset (ms) of the skewed worker"
assert_le "$ms" 2050 "reported offset (ms) of the skewed worker"
good=$(grep "127.0.0.1:$P1.*estimated clock offset" auto.err | sed -E 's/.*offset ([-+][0-9]+)\.[0-9] ms.*/\1/')
assert_le "${good#[-+]}" 50 "reported offset (ms) of the good worker"
assert_contains "$(capinfos auto.pcapng)" "Strict time order:   True" "auto: strict order"
assert_eq 80 "$(tshark -r auto.pcapng 2>/dev/null | wc -l)" "auto: every packet"
sw=$(switches auto.pcapng)
assert_ge "$sw" 30 "auto: hosts interleave as sent (host switches)"
pass "auto: offset ${ms} ms reported, merge interleaves ($sw switches)"

timeout 30 "$DDUMP" -q -F pcapng -w none.pcapng --clock-offset none \
    "http://127.0.0.1:$P1/$Q" "http://localhost:$P2/$Q" || fail "none exit $?"
# first_ms FILE IFNAME: the first packet time of an interface, in ms
first_ms() {
    tshark -r "$1" -T fields -e frame.interface_name -e frame.time_epoch 2>/dev/null |
        awk -v id="$2:" 'index($1, id) == 1 {printf "%.0f\n", $2 * 1000; exit}'
}
skew=$(( $(first_ms none.pcapng localhost) - $(first_ms none.pcapng 127.0.0.1) ))
assert_ge "$skew" 1900 "none: the skewed host's stamps stay 2 s ahead (ms)"
assert_contains "$(capinfos none.pcapng)" "Strict time order:   False" \
    "none: packets released by --max-delay are out of time order"
skew=$(( $(first_ms auto.pcapng localhost) - $(first_ms auto.pcapng 127.0.0.1) ))
# Each fake worker starts sending when its request arrives; on a loaded
# 2-core CI machine the two connects can be >100 ms apart, so the bound is
# "the 2 s skew is gone" rather than the connect jitter (the estimate's own
# accuracy is asserted above, within 50 ms).
assert_le "${skew#-}" 400 "auto: both hosts' first packets within 400 ms (ms)"
pass "none: skewed timestamps are left alone (${skew} ms apart with auto)"

timeout 30 "$DDUMP" -q -F pcapng -w manual.pcapng --clock-offset "localhost=2000" \
    "http://127.0.0.1:$P1/$Q" "http://localhost:$P2/$Q" || fail "manual exit $?"
sw=$(switches manual.pcapng)
assert_ge "$sw" 30 "HOST=MS: hosts interleave"
assert_contains "$(capinfos manual.pcapng)" "Strict time order:   True" "HOST=MS: strict order"
pass "HOST=MS: the given offset is applied ($sw switches)"

st=0
out=$("$DDUMP" --clock-offset "db1=soon" x.pcap 2>&1) || st=$?
assert_eq 2 "$st" "bad --clock-offset: exit status (usage error)"
assert_eq "ddump: --clock-offset: bad milliseconds 'soon' in 'db1=soon' (expected auto, none or HOST=MS,...)" \
    "$out" "bad --clock-offset: the one error line"
pass "a bad --clock-offset is a usage error (exit 2)"
