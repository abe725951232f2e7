#!/usr/bin/env bash
# The harness of the fleet-target tests (fleet_lib.sh, k8s_api.py), proved
# with the real tools: kubectl ($KUBECTL: Debian's 1.20 in CI), a real
# ddump-worker, curl, tcpdump, dnsmasq and glibc's resolver (getent).
#   1. kubectl get -o json: exactly the state file's pods for app=web, for
#      selectors with in, notin, !=, exists, !key and for spec.nodeName;
#      deploy/sts/ds/svc/endpoints/nodes in the API's shapes; the Table
#      kubectl prints for humans; a bad selector is the server's 400;
#   2. the wrong context's token: 401, kubectl exits 1 with its message;
#   3. kubectl get --watch -o json --output-watch-events: ADDED for the pods
#      there, then ADDED, DELETED (a pod relabelled out of the selector) and
#      DELETED as the control endpoint changes them, nothing for a pod the
#      selector leaves out; a raw watch from a resourceVersion replays
#      exactly the events after it and ends after timeoutSeconds;
#   4. pods/proxy: through `kubectl proxy --port=0`, 3 packets of a ping
#      captured by a real ddump-worker in the node's namespace arrive live
#      (2 before the stream ends) and tcpdump reads them; directly with the
#      token and a named port (http:NAME:PORT), a client leaving ends the
#      worker's capture; a refused port is a 503, a missing pod a 404;
#   5. dnsmasq: getent ahosts in the client namespace returns the 2, then
#      3 (one AAAA), then 1 address dns_set gave, then none; PTR answers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
e2e_init
e2e_require_cmd curl ping openssl jq dnsmasq getent
fleet_require_kubectl
cd "$E2E_TMP"
note "kubectl: $KUBECTL: $("$KUBECTL" version --client 2>/dev/null | head -1 | cut -c1-100)"

ns_create n1
ns_create api
ns_create dns
ns_create cl
ns_lan lan n1=10.213.40.1/24 api=10.213.40.10/24 dns=10.213.40.53/24 cl=10.213.40.9/24

cat >state.py <<'EOF'
# A Python literal (k8s_api.py reads it with ast.literal_eval).
{
    "nodes": [
        {"name": "node-a", "internalIP": "10.213.40.1"},
        {"name": "node-b", "internalIP": "10.213.40.2", "labels": {"zone": "b"}},
    ],
    "pods": [
        {"namespace": "shop", "name": "web-1", "labels": {"app": "web", "tier": "front"},
         "node": "node-a", "ips": ["10.244.1.11"], "ports": [8080],
         "owner": {"kind": "ReplicaSet", "name": "web-7d4b9"}},
        {"namespace": "shop", "name": "web-2", "labels": {"app": "web", "tier": "front"},
         "node": "node-b", "ips": ["10.244.2.12"], "ports": [8080]},
        {"namespace": "shop", "name": "web-canary", "labels": {"app": "web", "tier": "canary"},
         "node": "node-b", "ips": ["10.244.2.13"], "ports": [8080]},
        {"namespace": "shop", "name": "api-1", "labels": {"app": "api"},
         "node": "node-a", "ips": ["10.244.1.21", "fd00:244::21"]},
        {"namespace": "shop", "name": "cache-0", "labels": {"app": "cache", "tier": "cache"},
         "node": "node-b", "ips": ["10.244.2.31"]},
        {"namespace": "other", "name": "web-1", "labels": {"app": "web"},
         "node": "node-a", "ips": ["10.244.1.41"]},
        {"namespace": "ddump", "name": "ddump-worker-a", "node": "node-a", "hostNetwork": True,
         "labels": {"app.kubernetes.io/name": "ddump-worker"},
         "ports": [{"name": "capture", "containerPort": 8475}],
         "owner": {"kind": "DaemonSet", "name": "ddump-worker"}},
        {"namespace": "ddump", "name": "proxy-w1", "node": "node-a", "hostNetwork": True,
         "labels": {"role": "proxy-test"}, "ports": [8475]},
        {"namespace": "other", "name": "gone-1", "labels": {"app": "gone"}, "terminating": True,
         "node": "node-b", "ips": ["10.244.2.61"]},
        {"namespace": "ddump", "name": "ddump-worker-b", "node": "node-b", "hostNetwork": True,
         "labels": {"app.kubernetes.io/name": "ddump-worker"},
         "ports": [{"name": "capture", "containerPort": 8475}],
         "owner": {"kind": "DaemonSet", "name": "ddump-worker"}},
    ],
    "services": [
        {"namespace": "shop", "name": "web", "selector": {"app": "web"}, "clusterIP": "10.96.0.20",
         "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    ],
    "deployments": [
        {"namespace": "shop", "name": "web", "matchLabels": {"app": "web"}, "replicas": 3},
        {"namespace": "shop", "name": "api", "replicas": 1,
         "matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]},
    ],
    "statefulsets": [
        {"namespace": "shop", "name": "cache", "matchLabels": {"app": "cache"}, "replicas": 1},
    ],
    "daemonsets": [
        {"namespace": "ddump", "name": "ddump-worker", "hostNetwork": True,
         "matchLabels": {"app.kubernetes.io/name": "ddump-worker"}},
    ],
}
EOF
k8s_api_start state.py api 10.213.40.10
note "API server $K8S_API_URL, contexts $K8S_CONTEXT and $K8S_WRONG_CONTEXT"

# kc ARGS...: kubectl in the client namespace; stdout kc.out, stderr kc.err,
# status in $KC_RC
KC_RC=0
kc() {
    KC_RC=0
    k8s_kubectl cl "$@" >kc.out 2>kc.err || KC_RC=$?
}
# kc_ok ARGS...: kc, which must exit 0 and print nothing on stderr
kc_ok() {
    kc "$@"
    assert_eq 0 "$KC_RC" "kubectl $* exit status ($(head -c 500 kc.err))"
    assert_eq "" "$(cat kc.err)" "kubectl $* stderr"
}
# names: NAMESPACE/NAME of the items of the List in kc.out, sorted
names() { jq -r '.items[] | "\(.metadata.namespace)/\(.metadata.name)"' kc.out | sort | tr '\n' ' '; }

# ---------------------------------------------------------------------------
# 1. get -o json, selectors, workloads, Table
# ---------------------------------------------------------------------------
kc_ok get pods -l app=web -n shop -o json
assert_eq "List" "$(jq -r .kind kc.out)" "kind of kubectl's -o json list"
assert_eq "shop/web-1 shop/web-2 shop/web-canary " "$(names)" "pods -l app=web -n shop"
assert_eq "Pod v1 node-a 10.244.1.11 10.213.40.1 Running True ReplicaSet/web-7d4b9" \
    "$(jq -r '.items[] | select(.metadata.name == "web-1") | [.kind, .apiVersion, .spec.nodeName,
        .status.podIP, .status.hostIP, .status.phase,
        (.status.conditions[] | select(.type == "Ready") | .status),
        (.metadata.ownerReferences[0] | "\(.kind)/\(.name)")] | join(" ")' kc.out)" "web-1's fields"

declare -A SEL=(
    ["app in (web,api),tier!=canary"]="shop/api-1 shop/web-1 shop/web-2 "
    ["tier,tier notin (front)"]="shop/cache-0 shop/web-canary "
    ["!tier"]="shop/api-1 "
    ["app==web,tier=front"]="shop/web-1 shop/web-2 "
    ["app notin (web,cache)"]="shop/api-1 "
)
for s in "${!SEL[@]}"; do
    kc_ok get pods -n shop -l "$s" -o json
    assert_eq "${SEL[$s]}" "$(names)" "pods -n shop -l '$s'"
done
kc_ok get pods -A --field-selector spec.nodeName=node-a -o json
assert_eq "ddump/ddump-worker-a ddump/proxy-w1 other/web-1 shop/api-1 shop/web-1 " "$(names)" "pods on node-a"
kc_ok get pods -A -l app.kubernetes.io/name=ddump-worker --field-selector spec.nodeName=node-b -o json
assert_eq "ddump/ddump-worker-b " "$(names)" "the worker pod on node-b"
assert_eq "10.213.40.2 true 8475" \
    "$(jq -r '.items[0] | "\(.status.podIP) \(.spec.hostNetwork) \(.spec.containers[0].ports[0].containerPort)"' kc.out)" \
    "the hostNetwork worker pod's IP is its node's"
kc_ok get pods -n shop -l app=api -o json
assert_eq "10.244.1.21 fd00:244::21" "$(jq -r '[.items[0].status.podIPs[].ip] | join(" ")' kc.out)" "podIPs"

kc_ok get pods -n other -l app=gone -o json
assert_eq "other/gone-1 true" "$(names)$(jq -r '.items[0].metadata.deletionTimestamp != null' kc.out)" \
    "a terminating pod has its deletionTimestamp"

kc get pods -n shop -l 'app in web' -o json
assert_eq 1 "$KC_RC" "exit status for a bad label selector"
assert_contains "$(cat kc.err)" "Error from server (BadRequest)" "kubectl's message"
assert_contains "$(cat kc.err)" "unable to parse requirement: found 'web', expected: '('" "the server's reason"
kc get pods -n shop --field-selector spec.color=blue -o json
assert_eq 1 "$KC_RC" "exit status for an unknown field"
assert_contains "$(cat kc.err)" "field label not supported: spec.color" "the server's reason"
kc get pod/nope -n shop -o json
assert_eq 1 "$KC_RC" "exit status for a missing pod"
assert_contains "$(cat kc.err)" 'Error from server (NotFound): pods "nope" not found' "kubectl's message"

kc_ok get deploy/web -n shop -o json
assert_eq '{"matchLabels":{"app":"web"}} 3 3 Deployment apps/v1' \
    "$(jq -c '.spec.selector' kc.out) $(jq -r '"\(.status.replicas) \(.status.readyReplicas) \(.kind) \(.apiVersion)"' kc.out)" \
    "deploy/web: selector, replicas and ready from the pods"
kc_ok get deployment.apps/api -n shop -o json
assert_eq '{"matchExpressions":[{"key":"app","operator":"In","values":["api"]}]} 1' \
    "$(jq -c '.spec.selector' kc.out) $(jq -r .status.replicas kc.out)" "deploy/api: matchExpressions"
kc_ok get sts/cache -n shop -o json
assert_eq '{"matchLabels":{"app":"cache"}} cache 1' \
    "$(jq -c '.spec.selector' kc.out) $(jq -r '"\(.spec.serviceName) \(.status.readyReplicas)"' kc.out)" "sts/cache"
kc_ok get ds/ddump-worker -n ddump -o json
assert_eq '{"matchLabels":{"app.kubernetes.io/name":"ddump-worker"}} 2 2' \
    "$(jq -c '.spec.selector' kc.out) $(jq -r '"\(.status.desiredNumberScheduled) \(.status.numberReady)"' kc.out)" \
    "ds/ddump-worker: one pod per node"
kc_ok get svc/web -n shop -o json
assert_eq '{"app":"web"} 10.96.0.20 80:8080' \
    "$(jq -c .spec.selector kc.out) $(jq -r '"\(.spec.clusterIP) \(.spec.ports[0].port):\(.spec.ports[0].targetPort)"' kc.out)" "svc/web"
kc_ok get endpoints/web -n shop -o json
assert_eq "10.244.1.11/node-a/web-1 10.244.2.12/node-b/web-2 10.244.2.13/node-b/web-canary 8080" \
    "$(jq -r '[.subsets[0].addresses[] | "\(.ip)/\(.nodeName)/\(.targetRef.name)"] + [.subsets[0].ports[0].port | tostring] | join(" ")' kc.out)" \
    "endpoints/web"
kc_ok get nodes -o json
assert_eq "node-a=10.213.40.1 node-b=10.213.40.2 " \
    "$(jq -r '.items[] | "\(.metadata.name)=\(.status.addresses[] | select(.type == "InternalIP") | .address)"' kc.out | tr '\n' ' ')" \
    "nodes' InternalIPs"

# What kubectl prints for humans comes from the server's Table.
kc_ok get pods -n shop -o wide
assert_eq 6 "$(wc -l <kc.out)" "lines of the pod table (header + 5 pods)"
grep -q -E '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE *$' kc.out || fail "table header: $(head -1 kc.out)"
grep -q -E '^web-1 +1/1 +Running +0 +[0-9]+s +10\.244\.1\.11 +node-a *$' kc.out || fail "web-1's row: $(cat kc.out)"
pass "kubectl get: exact pods for 5 label selectors, spec.nodeName, workloads, services, endpoints, nodes, Table; bad selector 400, missing pod 404"

# ---------------------------------------------------------------------------
# 2. The wrong context's token
# ---------------------------------------------------------------------------
before=$(grep -c '" 401 ' "$(log_err "$K8S_API_NAME")" || true)
kc --context "$K8S_WRONG_CONTEXT" get pods -n shop -o json
assert_eq 1 "$KC_RC" "kubectl exit status with the wrong token"
# kubectl 1.20 prints an empty List before its error; 1.32 prints nothing.
assert_eq "" "$(jq -r '.items[]?' kc.out)" "pods kubectl printed with the wrong token"
# 1.20 says "(Unauthorized)"; 1.32 "(the server has asked for the client to
# provide credentials)" when its discovery is refused.
assert_contains "$(cat kc.err)" "error: You must be logged in to the server (" "kubectl's message"
after=$(grep -c '" 401 ' "$(log_err "$K8S_API_NAME")" || true)
assert_ge "$((after - before))" 1 "401 answers the server logged"
body=$(ns_exec cl curl -s --max-time 5 --cacert "$K8S_CA" -H "Authorization: Bearer nope" "$K8S_API_URL/api/v1/pods")
assert_eq 'Status Failure Unauthorized 401' "$(jq -r '"\(.kind) \(.status) \(.reason) \(.code)"' <<<"$body")" "the 401 body"
kc_ok --context "$K8S_CONTEXT" get pods -n shop -l app=api -o json
assert_eq "shop/api-1 " "$(names)" "the right context, named"
pass "wrong token: kubectl exit 1, 'You must be logged in', 401 Status; the right context works"

# ---------------------------------------------------------------------------
# 3. Watch
# ---------------------------------------------------------------------------
# events FILE: "TYPE NAME" per watch event in kubectl's -o json output (one
# pretty-printed object after another)
events() {
    "$E2E_PYTHON" -c '
import json, sys
s, d, i = open(sys.argv[1]).read(), json.JSONDecoder(), 0
while True:
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    try:
        o, i = d.raw_decode(s, i)
    except ValueError:
        break   # an event still being written
    print(o["type"], o["object"]["metadata"]["name"])' "$1" | tr '\n' ',' || true
}
events_are() { [[ "$(events "$1")" == "$2" ]]; }

rv0=$(ns_exec cl curl -s --max-time 5 --cacert "$K8S_CA" -H "Authorization: Bearer $K8S_TOKEN" \
    "$K8S_API_URL/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb" | jq -r .metadata.resourceVersion)
[[ "$rv0" =~ ^[0-9]+$ ]] || fail "list resourceVersion: '$rv0'"
ns_spawn cl watch "$KUBECTL" get pods -n shop -l app=web --watch -o json --output-watch-events
initial="ADDED web-1,ADDED web-2,ADDED web-canary,"
wait_for 20 events_are "$(log_out watch)" "$initial" ||
    fail "watch: initial events: [$(events "$(log_out watch)")] $(cat "$(log_err watch)")"
# The watch request itself must be open before the changes (else they would
# come from the list, not as events): the server logs it when it answers.
wait_for 10 grep -q 'pods?.*watch=true' "$(log_err "$K8S_API_NAME")" || fail "kubectl sent no watch request"
k8s_pod_add '{"namespace": "shop", "name": "web-3", "labels": {"app": "web"}, "node": "node-a", "ips": ["10.244.1.14"]}'
k8s_pod_add '{"namespace": "shop", "name": "db-1", "labels": {"app": "db"}, "node": "node-a", "ips": ["10.244.1.51"]}'
k8s_pod_add '{"namespace": "shop", "name": "web-canary", "labels": {"app": "old", "tier": "canary"}, "node": "node-b", "ips": ["10.244.2.13"]}'
k8s_pod_del shop web-3
want="${initial}ADDED web-3,DELETED web-canary,DELETED web-3,"
wait_for 10 events_are "$(log_out watch)" "$want" ||
    fail "watch events: [$(events "$(log_out watch)")], expected [$want]"
stop watch TERM 5
assert_eq "" "$(grep -v -E '^$' "$(log_err watch)" || true)" "kubectl --watch stderr"
# A raw watch from the list's resourceVersion: the 3 events after it, the
# stream ends after timeoutSeconds (curl: status 0, the chunked end seen).
raw=$(ns_exec cl curl -sS --max-time 10 --cacert "$K8S_CA" -H "Authorization: Bearer $K8S_TOKEN" \
    "$K8S_API_URL/api/v1/namespaces/shop/pods?watch=1&labelSelector=app%3Dweb&resourceVersion=$rv0&timeoutSeconds=1") ||
    fail "raw watch from resourceVersion $rv0 failed"
assert_eq "ADDED web-3,DELETED web-canary,DELETED web-3," \
    "$(jq -r '"\(.type) \(.object.metadata.name)"' <<<"$raw" | tr '\n' ',')" "raw watch from resourceVersion $rv0"
assert_eq 3 "$(jq -r .object.metadata.resourceVersion <<<"$raw" | sort -un | awk -v r="$rv0" '$1 > r' | wc -l)" \
    "distinct resourceVersions after $rv0"
shown=${want%,}
pass "watch: kubectl printed ${shown//,/; }; a raw watch from resourceVersion $rv0 replayed 3 events and ended"

# ---------------------------------------------------------------------------
# 4. pods/proxy to a real ddump-worker
# ---------------------------------------------------------------------------
start_worker n1 w1 --listen 10.213.40.1:8475 -B 1024
count_log() { grep -c " $2 " "$(log_err "$1")" || true; }
log_count_ge() { (( $(count_log "$1" "$2") >= $3 )); }

k8s_proxy_start cl
ns_spawn cl cap curl -sSN --fail --max-time 30 -o cap.pcap \
    "http://127.0.0.1:$K8S_PROXY_PORT/api/v1/namespaces/ddump/pods/ddump-worker-a:8475/proxy/capture?count=3&filter=icmp"
wait_for 10 log_count_ge w1 capture_start 1 || fail "the worker started no capture: $(cat "$(log_err cap)")"
ns_ping cl 10.213.40.1 1 || fail "no ping reply from the node"
# Request and reply, while the stream (count=3) is still open: nothing waits
# in a buffer on the way.
wait_for_pcap_count cap.pcap 2 10 || fail "the first 2 packets did not arrive while streaming"
pid_alive "$(pid_of cap)" || fail "the stream ended before its 3rd packet: $(cat "$(log_err cap)")"
ns_ping cl 10.213.40.1 1 || fail "no ping reply from the node"
wait_exit cap 10 0 || fail "curl through kubectl proxy did not end after count=3"
tcpdump -nr cap.pcap >cap.txt 2>cap.err || fail "tcpdump -r of the stream: $(cat cap.err)"
assert_eq 3 "$(wc -l <cap.txt)" "packets through kubectl proxy and pods/proxy"
assert_eq 2 "$(grep -c '10.213.40.9 > 10.213.40.1: ICMP echo request' cap.txt)" "echo requests"
assert_eq 1 "$(grep -c '10.213.40.1 > 10.213.40.9: ICMP echo reply' cap.txt)" "echo replies"
pass "kubectl proxy -> pods/proxy -> worker: 3 packets (2 seen live), tcpdump reads them"

# Directly, with the token, the scheme and the container port's name.
direct="$K8S_API_URL/api/v1/namespaces/ddump/pods/http:ddump-worker-a:capture/proxy/capture?filter=icmp"
ns_spawn cl live curl -sSN --cacert "$K8S_CA" -H "Authorization: Bearer $K8S_TOKEN" -o live.pcap "$direct"
wait_for 10 log_count_ge w1 capture_start 2 || fail "the worker started no second capture: $(cat "$(log_err live)")"
ns_ping cl 10.213.40.1 1 || fail "no ping reply from the node"
wait_for_pcap_count live.pcap 2 10 || fail "no packets through the direct pods/proxy"
ended=$(count_log w1 capture_end)
stop live TERM 5
# The relay closes its connection to the worker as the client leaves; the
# worker sees it at its next write (a packet) at the latest.
ping_and_ended() { ns_ping cl 10.213.40.1 1 || true; log_count_ge w1 capture_end "$((ended + 1))"; }
wait_for 10 ping_and_ended || fail "the worker's capture outlived the client that left"
assert_eq 2 "$(count_log w1 capture_start)" "captures the worker started"

# A pod named like the subresource, and a short answer (Content-Length)
# relayed as it came: the worker's /healthz ("ok\n").
code=$(ns_exec cl curl -s -o healthz.out -w '%{http_code}' --max-time 10 --cacert "$K8S_CA" \
    -H "Authorization: Bearer $K8S_TOKEN" "$K8S_API_URL/api/v1/namespaces/ddump/pods/proxy-w1:8475/proxy/healthz")
assert_eq "200 ok" "$code $(cat healthz.out)" "/healthz through pods/proxy of proxy-w1"
code=$(ns_exec cl curl -s -o refused.json -w '%{http_code}' --max-time 10 --cacert "$K8S_CA" \
    -H "Authorization: Bearer $K8S_TOKEN" "$K8S_API_URL/api/v1/namespaces/ddump/pods/ddump-worker-a:9/proxy/")
assert_eq 503 "$code" "pods/proxy to a port nothing listens on"
assert_eq "error trying to reach service: dial tcp 10.213.40.1:9: connect: connection refused" \
    "$(jq -r .message refused.json)" "its Status message"
code=$(ns_exec cl curl -s -o missing.json -w '%{http_code}' --max-time 10 --cacert "$K8S_CA" \
    -H "Authorization: Bearer $K8S_TOKEN" "$K8S_API_URL/api/v1/namespaces/ddump/pods/nope:8475/proxy/capture")
assert_eq "404 pods \"nope\" not found" "$code $(jq -r .message missing.json)" "pods/proxy to a missing pod"
pass "pods/proxy direct (http:NAME:PORTNAME): live packets, the capture ends when the client leaves; 503 refused, 404 missing"

# ---------------------------------------------------------------------------
# 5. DNS: dnsmasq in its namespace, glibc's resolver in the client's
# ---------------------------------------------------------------------------
dns_start dns "$E2E_TMP/zone"
dns_client cl 10.213.40.53
# getaddrinfo asks for AAAA records only on a host with an IPv6 address
# (AI_ADDRCONFIG): cl gets one, beside its IPv4 address.
ns_exec cl sysctl -q -w "net.ipv6.conf.$(ns_ifname cl lan).disable_ipv6=0"
ip -n "$(ns_name cl)" addr add fd00:40::9/64 dev "$(ns_ifname cl lan)" nodad
dns_set workers.test 10.213.40.1 10.213.40.2
assert_eq "10.213.40.1 10.213.40.2 " "$(dns_addrs cl workers.test)" "getent ahosts workers.test in cl"
dns_set workers.test 10.213.40.2 10.213.40.1 fd00:40::3
assert_eq "10.213.40.1 10.213.40.2 fd00:40::3 " "$(dns_addrs cl workers.test)" "after dns_set with 3 addresses"
assert_eq "10.213.40.1 10.213.40.2 fd00:40::3 " "$(dns_served workers.test)" "dnsmasq's own answer"
dns_set workers.test 10.213.40.2
assert_eq "10.213.40.2 " "$(dns_addrs cl workers.test)" "after dns_set with 1 address"
assert_eq "10.213.40.2 workers.test" "$(ns_exec cl getent hosts 10.213.40.2 | tr -s ' ')" "PTR of 10.213.40.2"
assert_ge "$(grep -c 'query\[A\] workers\.test from 10\.213\.40\.9' "$DNS_LOG" || true)" 3 \
    "A queries from cl in dnsmasq's log"
assert_ge "$(grep -c 'query\[AAAA\] workers\.test from 10\.213\.40\.9' "$DNS_LOG" || true)" 1 \
    "AAAA queries from cl in dnsmasq's log"
dns_set workers.test
rc=0
ns_exec cl getent ahosts workers.test >/dev/null || rc=$?
assert_eq 2 "$rc" "getent ahosts status once workers.test is gone (2: not found)"
pass "dnsmasq: workers.test had 2, 3 (one AAAA), 1, then 0 addresses in cl; PTR answered"

assert_eq 0 "$(grep -c Traceback "$(log_err "$K8S_API_NAME")" || true)" "tracebacks in the API server's log"
