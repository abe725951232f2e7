#!/usr/bin/env bash
# Start-up as root warns with the setcap fix (text and JSON logs); as nobody
# with CAP_NET_RAW only it does not. That worker's responses carry
# X-Ddump-Interface (the interface asked, "any" by default) and
# X-Ddump-Capture-Id: 1, 2, 3 for three captures, the id /stats shows for the
# live one and the worker's capture_start line names.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd curl setpriv
cd "$E2E_TMP"

ns_create a
ns_create b
ns_link a b 10.213.56.1/24 10.213.56.2/24
# nobody must be able to run the binary: a world-readable copy.
chmod 755 "$E2E_TMP"
install -m 755 "$(e2e_bin ddump-worker)" "$E2E_TMP/ddump-worker"
fix="ddump-worker runs as root: it needs only CAP_NET_RAW; run it as an unprivileged user after setcap cap_net_raw=eip $E2E_TMP/ddump-worker"

# --- root: the warning, in both log formats ---------------------------------------
ns_spawn a root "$E2E_TMP/ddump-worker" --listen :0
ns_spawn a rootjson "$E2E_TMP/ddump-worker" --listen :0 --log-format json
wait_for_log root 'info listening address=' 10 || fail "worker did not start"
wait_for_log rootjson '"event":"listening"' 10 || fail "JSON worker did not start"
for w in root rootjson; do
    stop "$w" TERM 5 0 || fail "worker $w did not stop"
    assert_eq 0 "$E2E_EXIT_STATUS" "worker $w exit status"
done
assert_eq 1 "$(grep -c -F "warn running_as_root message=\"$fix\"" "$(log_err root)")" "text warning line"
warning=$(grep '"running_as_root"' "$(log_err rootjson)" | "$E2E_PYTHON" -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
print(len(lines), lines[0]["level"], lines[0]["message"])')
assert_eq "1 warn $fix" "$warning" "JSON warning: count, level, message"
pass "as root: one running_as_root warning naming setcap, text and JSON"

# --- nobody with CAP_NET_RAW: no warning; the capture headers -------------------
ns_spawn a w setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,+net_raw \
    --ambient-caps=+net_raw --bounding-set=-all,+net_raw "$E2E_TMP/ddump-worker" --listen :0
wait_for_log w 'info listening address=' 10 || fail "unprivileged worker did not start: $(cat "$(log_err w)")"
assert_eq "$(id -u nobody)" "$(awk '/^Uid:/{print $2}' "/proc/$(pid_of w)/status")" "worker runs as nobody"
assert_not_contains "$(cat "$(log_err w)")" "running_as_root" "root warning as nobody"
port=$(grep -oE 'address=":[0-9]+"' "$(log_err w)" | grep -oE '[0-9]+')
base="http://10.213.56.1:$port"
header() { tr -d '\r' <"$1" | awk -v h="$2:" 'tolower($1)==tolower(h){print $2}'; }
started() { (( $(grep -c ' capture_start ' "$(log_err w)" || true) >= $1 )); }

ns_spawn b h1 curl -sSN --fail -D h1.txt -o h1.pcap "$base/capture?filter=icmp&count=2"
wait_for 10 started 1 || fail "capture 1 did not start"
ns_ping b 10.213.56.1 1 || fail "ping"
wait_exit h1 10 || fail "capture 1 did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "capture 1 curl exit status"

ns_spawn b h2 curl -sSN -D h2.txt -o h2.pcap "$base/capture?interface=vb&filter=icmp"
wait_for 10 started 2 || fail "capture 2 did not start"
wait_for 5 test -s h2.txt || fail "capture 2 sent no headers"
live=$(http_body b "$base/stats" | "$E2E_PYTHON" -c '
import json, sys
print(" ".join("%s:%s" % (c["id"], c["interface"]) for c in json.load(sys.stdin)["captures"]))')
stop h2 TERM

ns_exec b curl -sS --fail -D h3.txt -o h3.pcap "$base/capture?interface=lo&duration=0.2" ||
    fail "capture 3 failed"

assert_eq "any 1" "$(header h1.txt X-Ddump-Interface) $(header h1.txt X-Ddump-Capture-Id)" "capture 1: interface, id"
assert_eq "vb 2" "$(header h2.txt X-Ddump-Interface) $(header h2.txt X-Ddump-Capture-Id)" "capture 2: interface, id"
assert_eq "lo 3" "$(header h3.txt X-Ddump-Interface) $(header h3.txt X-Ddump-Capture-Id)" "capture 3: interface, id"
assert_eq "2:vb" "$live" "/stats during capture 2: id:interface"
assert_eq "1 any|2 vb|3 lo" "$(grep ' capture_start ' "$(log_err w)" |
    sed -E 's/.* id=([0-9]+) .* interface="([^"]*)".*/\1 \2/' | paste -sd'|')" "capture_start lines: id interface"
assert_eq 2 "$(pcap_count h1.pcap icmp)" "capture 1 holds the ping"
pass "as nobody: no root warning; X-Ddump-Interface any/vb/lo, X-Ddump-Capture-Id 1/2/3 = /stats = log"

stop w TERM 5 0 || fail "worker did not stop"
assert_eq 0 "$E2E_EXIT_STATUS" "unprivileged worker exit status"
