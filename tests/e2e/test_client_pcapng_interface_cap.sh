#!/usr/bin/env bash
# -F pcapng against a worker that claims an interface per packet pair: a fake
# worker sends 100,000 LINUX_SLL2 records on 50,000 distinct interface indexes
# (record i on index 1 + i % 50000), beside an honest target on indexes 1 and 2.
# The client gives the hostile stream its first 1024 indexes as interfaces of
# their own and one "HOST:other" interface for the rest:
#   * peak RSS within 8 MiB of the same run where the hostile stream uses 2
#     indexes (without the cap: one IDB and its bookkeeping per index, +41 MB
#     under ASan for these 50,000);
#   * tshark: 1024 + 1 interfaces for the hostile target, each of the 1024
#     with its 2 packets, 97,952 packets on HOST:other; the honest target's 2
#     interfaces untouched; 100,010 packets, none lost; tcpdump reads it;
#   * one summary line for the hostile target only, with those counts;
#   * the same cap in a per-target file (-w DIR/).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd tshark capinfos tcpdump
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

fake_start evil
PE=$FAKE_PORT
fake_start honest
PH=$FAKE_PORT
hostile="http://127.0.0.1:$PE/many-interfaces?n=100000&distinct=50000"
tame="http://127.0.0.1:$PE/many-interfaces?n=100000&distinct=2"
honest="http://127.0.0.1:$PH/many-interfaces?n=10&distinct=2"

# peak_rss_kb ERR CMD...: runs CMD (stderr to ERR) and prints its peak
# resident set in KiB (getrusage of the waited-for child); fails unless CMD
# exits 0.
peak_rss_kb() {
    local err=$1
    shift
    "$E2E_PYTHON" - "$@" 2>"$err" <<'PY' || fail "$* failed: $(tail -3 "$err")"
import resource, subprocess, sys
with open("/dev/null", "rb") as devnull:
    rc = subprocess.run(sys.argv[1:], stdin=devnull, stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
PY
}

# interfaces_in FILE: the number of IDBs capinfos finds in FILE.
interfaces_in() { capinfos "$1" 2>/dev/null | sed -n 's/^Number of interfaces in file: //p'; }

base_kb=$(peak_rss_kb base.err timeout 120 "$DDUMP" -F pcapng -w base.pcapng "$tame" "$honest")
assert_eq 100010 "$(pcap_count base.pcapng)" "packets of the 2-index run"
rss_kb=$(peak_rss_kb out.err timeout 120 "$DDUMP" -F pcapng -w out.pcapng "$hostile" "$honest")
note "peak RSS: ${base_kb} KiB with 2 indexes, ${rss_kb} KiB with 50000"
assert_le "$rss_kb" $((base_kb + 8192)) "peak RSS (KiB) with 50000 indexes, vs ${base_kb} KiB with 2"

# Every packet is there, in a file tcpdump and capinfos read.
assert_eq 100010 "$(pcap_count out.pcapng)" "packets written"
out=$(timeout 60 tcpdump -nr out.pcapng 2>&1 >/dev/null) || fail "tcpdump -r failed: $out"
assert_eq 1027 "$(interfaces_in out.pcapng)" "interfaces in the file (1024 + other, and the honest target's 2)"
ids=$(tshark -r out.pcapng -T fields -e frame.interface_id 2>/dev/null | sort -u | wc -l)
assert_eq 1027 "$ids" "interface ids that packets name"

# Packets per interface name: the hostile target's first 1024 indexes (1 and
# 2 are lo and eth0 in its /interfaces, the others if3..if1024) with 2 each.
tshark -r out.pcapng -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c |
    awk '{print $2, $1}' | sort >per_name.txt
{
    printf '127.0.0.1_%s:eth0 2\n127.0.0.1_%s:lo 2\n' "$PE" "$PE"
    for ((i = 3; i <= 1024; i++)); do printf '127.0.0.1_%s:if%d 2\n' "$PE" "$i"; done
    printf '127.0.0.1_%s:other 97952\n' "$PE"
    printf '127.0.0.1_%s:eth0 5\n127.0.0.1_%s:lo 5\n' "$PH" "$PH"
} | sort >expected.txt
cmp -s expected.txt per_name.txt ||
    fail "packets per interface: $(diff expected.txt per_name.txt | head -5)"

# The summary: one line for the hostile target, none for the honest one.
assert_eq 1 "$(grep -c 'interfaces (the pcapng limit per target)' out.err)" "summary lines about the cap"
assert_contains "$(cat out.err)" "ddump: $hostile: more than 1024 interfaces (the pcapng limit per target): 97952 packets of 48976 further interface indexes went to interface 127.0.0.1_$PE:other" \
    "summary line"
assert_contains "$(cat out.err)" "ddump: $hostile: 100000 packets" "hostile target's summary"
assert_not_contains "$(cat base.err)" "pcapng limit" "no cap line for 2 indexes"
pass "50000 claimed interfaces: 1024 + other, every packet kept, RSS ${rss_kb} KiB vs ${base_kb} KiB, one summary line"

# -w DIR/: the hostile target's own file has the same 1025 interfaces.
st=0
timeout 120 "$DDUMP" -q -F pcapng -w per/ "$hostile" "$honest" 2>per.err || st=$?
assert_eq 0 "$st" "per-target exit status: $(cat per.err)"
assert_eq 1025 "$(interfaces_in "per/127.0.0.1_$PE.pcapng")" \
    "interfaces in the hostile target's file"
assert_eq 100000 "$(pcap_count "per/127.0.0.1_$PE.pcapng")" "packets in the hostile target's file"
assert_eq 2 "$(interfaces_in "per/127.0.0.1_$PH.pcapng")" \
    "interfaces in the honest target's file"
pass "-w DIR/: the hostile target's file holds 1024 + other interfaces and all 100000 packets"
