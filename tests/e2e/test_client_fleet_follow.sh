#!/usr/bin/env bash
# Fleet targets followed while ddump runs (--refresh 1), with real tools: two
# "nodes" (network namespaces) each running a real ddump-worker and holding
# its "pods'" addresses, the test Kubernetes API server driven by real
# kubectl, and dnsmasq.
#   1. k8s:shop/app=web, one pod (web-1 on node-a) at start:
#      - web-2 added on node-b: node-b's stream joins within a refresh;
#      - web-3 added on node-a: node-a gets a stream with the new filter, and
#        the old one ends only after the new one streams;
#      - web-2 deleted: node-b's stream ends quietly;
#      every ping of a selected pod is captured once, none of a pod no longer
#      selected; web-3 is named by an NRB; exit 0 (nothing failed).
#   2. dns:workers.test -w DIR/: an address added gets a stream and a file,
#      a worker that restarts a new stream, an address removed ends quietly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
e2e_init
fleet_require_kubectl
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

# --refresh is checked like every other number of seconds.
for bad in "0.5|is under a second (0 turns it off)" "-1|is not a number of seconds" "x|is not a number of seconds"; do
    set +e
    out=$("$DDUMP" --refresh "${bad%%|*}" dns:x.test 2>&1 >/dev/null)
    rc=$?
    set -e
    assert_eq 2 "$rc" "--refresh ${bad%%|*}: exit status"
    assert_eq "ddump: --refresh: '${bad%%|*}' ${bad#*|}" "$out" "--refresh ${bad%%|*}: the line"
done

fleet_lan 10.213.41
# Pod addresses: web-1 and web-3 on node-a, web-2 on node-b.
fleet_addr n1 10.213.41.111
fleet_addr n1 10.213.41.113
fleet_addr n2 10.213.41.112

cat >state.py <<'PY'
{
    "nodes": [
        {"name": "node-a", "internalIP": "10.213.41.1"},
        {"name": "node-b", "internalIP": "10.213.41.2"},
    ],
    "pods": [
        {"namespace": "shop", "name": "web-1", "labels": {"app": "web"}, "node": "node-a",
         "ips": ["10.213.41.111"]},
        {"namespace": "ddump", "name": "ddump-worker-a", "node": "node-a", "hostNetwork": True,
         "labels": {"app.kubernetes.io/name": "ddump-worker"}, "ports": [8475]},
        {"namespace": "ddump", "name": "ddump-worker-b", "node": "node-b", "hostNetwork": True,
         "labels": {"app.kubernetes.io/name": "ddump-worker"}, "ports": [8475]},
    ],
}
PY
k8s_api_start state.py api 10.213.41.10
start_worker n1 w1 --listen 10.213.41.1:8475
start_worker n2 w2 --listen 10.213.41.2:8475

# logged W EVENT TEXT N: worker W logged at least N EVENT lines holding TEXT
logged() { (( $(grep ' '"$2"' ' "$(log_err "$1")" | grep -cF -- "$3" || true) >= $4 )); }
requests_to() { tcpdump -nr "$1" 2>/dev/null | grep -c "> $2: ICMP echo request" || true; }
pod() {  # NAME NODE IP: a web pod as the test API server takes it
    printf '{"namespace": "shop", "name": "%s", "labels": {"app": "web"}, "node": "%s", "ips": ["%s"]}' \
        "$1" "$2" "$3"
}
seconds_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- 1. k8s: pods that come and go ------------------------------------------
# kubectl, counting its runs (each refresh runs it once or more).
cat >kubectl-counting <<SH
#!/bin/sh
echo run >>"$E2E_TMP/kubectl.calls"
exec "$KUBECTL" "\$@"
SH
chmod +x kubectl-counting
ns_spawn cl k8s "$DDUMP" --refresh 1 --kubectl "$PWD/kubectl-counting" --worker-scheme http --worker-port 8475 \
    -F pcapng -w k8s.pcapng 'k8s:shop/app=web' icmp
wait_for 20 logged w1 capture_start 'host 10.213.41.111)' 1 ||
    fail "node-a's stream did not start: $(cat "$(log_err k8s)")"
ns_ping cl 10.213.41.111 3 || fail "no ping reply from web-1"
ns_ping cl 10.213.41.112 3 || fail "no ping reply from web-2's address"  # not a pod yet

t=$(date +%s%N)
k8s_pod_add "$(pod web-2 node-b 10.213.41.112)"
wait_for 10 logged w2 capture_start 'host 10.213.41.112)' 1 ||
    fail "web-2's node did not get a stream: $(cat "$(log_err k8s)")"
joined_ms=$(seconds_since "$t")
assert_le "$joined_ms" 6000 "ms from web-2's creation to its node's capture (--refresh 1: a refresh, three kubectl runs, a connect)"
ns_ping cl 10.213.41.112 3 || fail "no ping reply from web-2"

k8s_pod_add "$(pod web-3 node-a 10.213.41.113)"
wait_for 10 logged w1 capture_start 'host 10.213.41.113)' 1 ||
    fail "node-a did not get a stream for web-3: $(cat "$(log_err k8s)")"
wait_for 10 logged w1 capture_end 'host 10.213.41.111)' 1 ||
    fail "node-a's old stream did not end: $(cat "$(log_err w1)")"
# Make before break: the old capture ended after the new one started.
order=$(grep -E ' capture_(start|end) ' "$(log_err w1)" | sed -E 's/.* (capture_[a-z]+) .*/\1/' | tr '\n' ' ')
assert_eq "capture_start capture_start capture_end " "$order" "node-a: the new capture starts before the old one ends"
ns_ping cl 10.213.41.111 3 || fail "no ping reply from web-1"
ns_ping cl 10.213.41.113 3 || fail "no ping reply from web-3"

k8s_pod_del shop web-2
wait_for 10 logged w2 capture_end 'host 10.213.41.112)' 1 ||
    fail "web-2's node kept its stream: $(cat "$(log_err k8s)")"
ns_ping cl 10.213.41.112 3 || fail "no ping reply from web-2's address"  # no pod any more

# The API server goes away: kubectl fails at every refresh, and the streams
# go on as they are, with one line.
stop fleet KILL
api_down() { grep -q 'its streams go on as they are' "$(log_err k8s)"; }
wait_for 10 api_down || fail "no line about the failed refresh: $(cat "$(log_err k8s)")"
ns_ping cl 10.213.41.113 2 || fail "no ping reply from web-3"
calls=$(wc -l <kubectl.calls)
more_calls() { (( $(wc -l <kubectl.calls) >= calls + 3 )); }
wait_for 10 more_calls || fail "ddump stopped refreshing: $(cat "$(log_err k8s)")"

stop k8s INT 10 0
err=$(cat "$(log_err k8s)")
assert_eq 6 "$(requests_to k8s.pcapng 10.213.41.111)" "echo requests to web-1 (3 before, 3 after node-a's new stream: none twice)"
assert_eq 3 "$(requests_to k8s.pcapng 10.213.41.112)" "echo requests to web-2 (only while it was a pod)"
assert_eq 5 "$(requests_to k8s.pcapng 10.213.41.113)" "echo requests to web-3 (2 after the API server went away)"
assert_eq 1 "$(grep -c 'its streams go on as they are' <<<"$err")" "one line for the failed refreshes"
named=$(tshark -r k8s.pcapng -N n -Y 'icmp.type == 8' -T fields -e ip.dst_host 2>/dev/null | sort | uniq -c |
    awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "web-1=6 web-2=3 web-3=5 " "$named" "echo requests by the destination's name (NRBs)"
ifs=$(tshark -r k8s.pcapng -Y 'icmp.type == 8' -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c |
    awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "node-a/web-1=6 node-a/web-3=5 node-b/web-2=3 " "$ifs" "echo requests by pcapng interface (NODE/POD)"
assert_contains "$err" "k8s:shop/app=web: node-b joined" "node-b's stream joined"
assert_contains "$err" "k8s:shop/app=web: node-b is gone" "node-b's stream left"
assert_eq 2 "$(grep -c '(no longer in its fleet)' <<<"$err")" "summary: node-a's old and node-b's streams left the fleet"
assert_not_contains "$err" "(failed)" "no stream failed"
pass "k8s: web-2 joined within ${joined_ms} ms, web-3 got node-a a new filter (make before break), web-2's end ended node-b's stream, the API server's loss kept the streams; 14 requests, each once"

# --- 2. dns: addresses that come and go -------------------------------------
mkdir zone
dns_start dns "$E2E_TMP/zone"
dns_client cl 10.213.41.53
dns_set workers.test 10.213.41.1
ns_spawn cl dnsrun "$DDUMP" --refresh 1 -w dns/ dns:workers.test 'icmp and host 10.213.41.9'
wait_for 20 logged w1 capture_start 'host 10.213.41.9"' 1 ||
    fail "dns: the first worker did not start: $(cat "$(log_err dnsrun)")"
ns_ping cl 10.213.41.1 2 || fail "no ping reply from 10.213.41.1"
dns_set workers.test 10.213.41.1 10.213.41.2
wait_for 10 logged w2 capture_start 'host 10.213.41.9"' 1 ||
    fail "dns: the added address got no stream: $(cat "$(log_err dnsrun)")"
ns_ping cl 10.213.41.2 2 || fail "no ping reply from 10.213.41.2"
# The second worker restarts: its stream ends (cleanly: the worker ends it on
# SIGTERM) and, the address still being in the name, a new one joins.
stop w2 TERM 10 0
start_worker n2 w2b --listen 10.213.41.2:8475
wait_for 10 logged w2b capture_start 'host 10.213.41.9"' 1 ||
    fail "dns: the restarted worker got no stream: $(cat "$(log_err dnsrun)")"
ns_ping cl 10.213.41.2 2 || fail "no ping reply from 10.213.41.2"
dns_set workers.test 10.213.41.2
wait_for 10 logged w1 capture_end 'host 10.213.41.9"' 1 ||
    fail "dns: the removed address kept its stream: $(cat "$(log_err dnsrun)")"
ns_ping cl 10.213.41.1 2 || fail "no ping reply from 10.213.41.1"
stop dnsrun INT 10 0
err=$(cat "$(log_err dnsrun)")
# -w DIR/: a file per stream, the joining one's opened when it joined (both
# are named after the reverse name, the second made unique).
assert_eq "workers.test.pcap workers.test_2.pcap workers.test_3.pcap " "$(ls dns | tr '\n' ' ')" "per-target files"
assert_eq 2 "$(requests_to dns/workers.test.pcap 10.213.41.1)" "echo requests to the first worker (while it was in the name)"
assert_eq 0 "$(requests_to dns/workers.test.pcap 10.213.41.2)" "echo requests to the added worker in the first one's file"
assert_eq 2 "$(requests_to dns/workers.test_2.pcap 10.213.41.2)" "echo requests to the added worker"
assert_eq 2 "$(requests_to dns/workers.test_3.pcap 10.213.41.2)" "echo requests to the added worker after its restart"
# Both addresses' reverse name is workers.test (dnsmasq answers PTR from its hosts file).
assert_contains "$err" "dns:workers.test: workers.test joined (http://10.213.41.2:8475/capture)" "the added address joined"
assert_contains "$err" "dns:workers.test: workers.test is gone (http://10.213.41.1:8475/capture)" "the removed address left"
pass "dns:workers.test: an added address got a stream, a restarted worker a new one, a removed address's ended quietly (exit 0)"
