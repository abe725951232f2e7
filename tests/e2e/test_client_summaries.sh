#!/usr/bin/env bash
# -T text, ndjson and flows from three real workers on one LAN, UDP between
# them (each packet seen twice: outbound by its sender, inbound by its
# receiver):
#   * on a terminal (script(1)) ddump prints text lines with the right hosts,
#     interfaces and directions, and no binary; -w - still writes pcap there;
#   * -T ndjson: every line parses with jq, every packet once, in time order,
#     with the documented fields; the lines load into sqlite3;
#   * -T flows: per (host, 5-tuple) the packets and bytes counted by hand
#     (tshark) from a pcapng of the same run, read back by ddump, and the
#     live flows' packets equal the traffic sent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd jq sqlite3 script tshark
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

ns_create h1
ns_create h2
ns_create h3
ns_create cl
ns_lan lan h1=10.213.11.1/24 h2=10.213.11.2/24 h3=10.213.11.3/24 cl=10.213.11.9/24
for h in 1 2 3; do
    start_worker "h$h" "w$h"
    eval "P$h=\$WORKER_PORT"
done
W=("http://10.213.11.1:$P1" "http://10.213.11.2:$P2" "http://10.213.11.3:$P3")

# traffic ROUND: 10 packets h1 -> h2:17021, 7 h2 -> h3:17022, 5 h3 -> h1:17023
traffic() {
    udp_send h1 10.213.11.2 17021 10 "$1-a"
    udp_send h2 10.213.11.3 17022 7 "$1-b"
    udp_send h3 10.213.11.1 17023 5 "$1-c"
}
FILTER="udp portrange 17021-17023"
# run NAME ARGS...: ddump in the client namespace until its -c 44, with traffic
run() {
    local name=$1
    shift
    ns_spawn cl "$name" timeout 30 "$DDUMP" -c 44 "$@" "${W[@]}" "$FILTER"
    wait_for 10 bash -c "[[ \$(grep -c ': streaming' '$(log_err "$name")') -ge 3 ]]" ||
        fail "$name: streams did not start: $(cat "$(log_err "$name")")"
    traffic "$name"
    wait_exit "$name" 20 || fail "$name did not stop after -c 44"
    assert_eq 0 "$E2E_EXIT_STATUS" "$name: exit status"
}

# --- a terminal gets text -------------------------------------------------------
ns_spawn cl tty timeout 30 script -qfec "'$DDUMP' -c 44 ${W[*]} '$FILTER'" "$E2E_TMP/tty.typescript"
wait_for 10 bash -c "[[ \$(grep -c ': streaming' '$E2E_TMP/tty.typescript') -ge 3 ]]" ||
    fail "tty: streams did not start: $(cat "$E2E_TMP/tty.typescript")"
traffic tty
wait_exit tty 20 || fail "ddump under script did not stop after -c 44"
tr -d '\r' <tty.typescript | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ' >tty.lines || true
assert_eq 44 "$(wc -l <tty.lines)" "one text line per packet"
assert_eq 10 "$(grep -c '^[0-9:.]* 10\.213\.11\.1 vlan Out IP 10\.213\.11\.1\.[0-9]* > 10\.213\.11\.2\.17021: UDP, length' tty.lines)" \
    "h1's outbound packets, as tcpdump -n words them"
assert_eq 10 "$(grep -c '^[0-9:.]* 10\.213\.11\.2 vlan In  IP 10\.213\.11\.1\.[0-9]* > 10\.213\.11\.2\.17021' tty.lines)" \
    "h2 saw them come in"
LC_ALL=C grep -q $'\xd4\xc3\xb2\xa1' tty.typescript && fail "binary pcap on the terminal"
LC_ALL=C grep -qP '[^\x09\x0a\x0d\x20-\x7e]' tty.typescript && fail "non-printable bytes on the terminal"
# -w - is binary on purpose
ns_spawn cl ttybin timeout 10 script -qfec "'$DDUMP' -q -w - -c 1 ${W[0]} '$FILTER'" "$E2E_TMP/ttybin.typescript"
wait_for 10 bash -c "grep -q . '$E2E_TMP/ttybin.typescript'" || true
udp_send h1 10.213.11.2 17021 3 ttybin
wait_exit ttybin 15 || fail "ddump -w - under script did not stop"
LC_ALL=C grep -q $'\xd4\xc3\xb2\xa1\|\x4d\x3c\xb2\xa1' ttybin.typescript || fail "-w - did not write pcap to the terminal"

# --- ndjson -----------------------------------------------------------------------
run nd -T ndjson
cp "$(log_out nd)" packets.ndjson
assert_eq 44 "$(wc -l <packets.ndjson)" "one line per packet"
jq -e -c . packets.ndjson >/dev/null || fail "a line is not JSON"
assert_eq 44 "$(jq -r 'select(.host and .if == "vlan" and (.dir == "in" or .dir == "out") and .len >= .caplen and .eth == null and .ip.v == 4 and .ip.proto == 17 and .udp.sport and .udp.dport and .udp.len) | .ts' packets.ndjson | wc -l)" \
    "every line has host, if, dir, len, caplen, ip, udp (a capture on any has no Ethernet header)"
jq -r .ts packets.ndjson | LC_ALL=C sort -c || fail "not in time order"
assert_eq 44 "$(jq -r '[.host, .dir, .ip.id, .ts] | @tsv' packets.ndjson | sort -u | wc -l)" "every packet once"
per_host=$(jq -r '"\(.host) \(.dir) \(.udp.dport)"' packets.ndjson | sort | uniq -c | awk '{print $2"/"$3"/"$4"="$1}' | tr '\n' ' ')
assert_eq "10.213.11.1/in/17023=5 10.213.11.1/out/17021=10 10.213.11.2/in/17021=10 10.213.11.2/out/17022=7 10.213.11.3/in/17022=7 10.213.11.3/out/17023=5 " \
    "$per_host" "packets per host, direction and port"
sqlite3 packets.db "CREATE TABLE p(j TEXT);" ".mode tabs" ".import packets.ndjson p" >/dev/null ||
    fail "sqlite3 could not import the lines"
assert_eq "10.213.11.1|15
10.213.11.2|17
10.213.11.3|12" "$(sqlite3 packets.db "SELECT json_extract(j, '\$.host'), count(*) FROM p GROUP BY 1 ORDER BY 1;")" \
    "sqlite3 counts per host"

# --- flows, live: the packets sent -------------------------------------------------
run fl -T flows --flow-interval 3600
cp "$(log_out fl)" flows.ndjson
jq -e -c . flows.ndjson >/dev/null || fail "a flow line is not JSON"
live=$(jq -r '"\(.host) \(.src) \(.dst) \(.dport) \(.packets)"' flows.ndjson | sort | tr '\n' ';')
assert_eq "10.213.11.1 10.213.11.1 10.213.11.2 17021 10;10.213.11.1 10.213.11.3 10.213.11.1 17023 5;10.213.11.2 10.213.11.1 10.213.11.2 17021 10;10.213.11.2 10.213.11.2 10.213.11.3 17022 7;10.213.11.3 10.213.11.2 10.213.11.3 17022 7;10.213.11.3 10.213.11.3 10.213.11.1 17023 5;" \
    "$live" "one flow per host and 5-tuple, with the packets sent"
assert_eq 44 "$(jq -s 'map(.packets) | add' flows.ndjson)" "every packet counted once"

# --- flows from a pcapng of one run, against tshark's fields ------------------------
run ng -F pcapng -w "$E2E_TMP/run.pcapng"
"$DDUMP" -q -T flows --flow-interval 3600 run.pcapng >file-flows.ndjson || fail "-T flows of the pcapng: exit $?"
tshark -r run.pcapng -T fields -e frame.interface_name -e ip.src -e udp.srcport -e ip.dst -e udp.dstport -e frame.len 2>/dev/null |
    awk -F'\t' '{split($1, h, ":"); k = h[1] " " $2 " " $3 " " $4 " " $5; n[k]++; b[k] += $6}
                END {for (k in n) print k, n[k], b[k]}' | sort >expected-flows.txt
jq -r '"\(.host) \(.src) \(.sport) \(.dst) \(.dport) \(.packets) \(.bytes)"' file-flows.ndjson | sort >got-flows.txt
assert_eq 6 "$(wc -l <expected-flows.txt)" "six flows in the pcapng"
diff expected-flows.txt got-flows.txt >flows.diff || fail "flows differ from tshark's counts: $(cat flows.diff)"

# --- refusals ---------------------------------------------------------------------
status=0
"$DDUMP" -T ndjson -F pcapng run.pcapng >/dev/null 2>bad.err || status=$?
assert_eq 2 "$status" "-T ndjson with -F pcapng"
assert_contains "$(cat bad.err)" "-T ndjson writes lines, not -F pcapng" "says why"
status=0
"$DDUMP" -T text -w dir/ run.pcapng >/dev/null 2>bad.err || status=$?
assert_eq 2 "$status" "-T text with -w DIR/"

pass "-T text on a terminal, ndjson through jq and sqlite3, flows equal to tshark's counts"
