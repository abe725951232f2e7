#!/usr/bin/env bash
# Fleet targets, end to end with real tools: two "nodes" (network
# namespaces), each running a real ddump-worker and holding the addresses of
# its "pods"; a test Kubernetes API server (k8s_api.py) that the real
# kubectl talks to; dnsmasq answering for the workers' name.
#   1. k8s:shop/app=web: kubectl finds the pods, their nodes and the workers;
#      ddump opens one stream per node, filtered to the selected pods'
#      addresses, so pings of web-1 and web-2 are captured and pings of
#      api-1 (same node as web-1, not selected) are not; streams labelled by
#      node (pcapng interface names), the pods' addresses named in an NRB;
#      in NDJSON each packet's host is its pod.
#   2. k8s:shop/deploy/web and --via-apiserver (kubectl proxy): the same.
#   3. One-line errors, exit 2: nothing selected, a wrong context, a bad
#      target, no kubectl.
#   4. dns:workers.test: one stream per address dnsmasq gives; with
#      --worker-scheme https --worker-port, over verified TLS on that port.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
e2e_init
e2e_require_cmd jq
fleet_require_kubectl
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

fleet_lan 10.213.40
# The pods' addresses live on their nodes: web-1 and api-1 on node-a, web-2
# on node-b.
fleet_addr n1 10.213.40.111
fleet_addr n1 10.213.40.121
fleet_addr n2 10.213.40.112
# The Service's cluster IP answers on node-b (no kube-proxy here).
fleet_addr n2 10.213.40.200

cat >state.py <<'EOF'
{
    "nodes": [
        {"name": "node-a", "internalIP": "10.213.40.1"},
        {"name": "node-b", "internalIP": "10.213.40.2"},
    ],
    "pods": [
        {"namespace": "shop", "name": "web-1", "labels": {"app": "web"}, "node": "node-a",
         "ips": ["10.213.40.111"]},
        {"namespace": "shop", "name": "web-2", "labels": {"app": "web"}, "node": "node-b",
         "ips": ["10.213.40.112"]},
        {"namespace": "shop", "name": "api-1", "labels": {"app": "api"}, "node": "node-a",
         "ips": ["10.213.40.121"]},
        {"namespace": "ddump", "name": "ddump-worker-a", "node": "node-a", "hostNetwork": True,
         "labels": {"app.kubernetes.io/name": "ddump-worker"}, "ports": [8475]},
        {"namespace": "ddump", "name": "ddump-worker-b", "node": "node-b", "hostNetwork": True,
         "labels": {"app.kubernetes.io/name": "ddump-worker"}, "ports": [8475]},
    ],
    "deployments": [
        {"namespace": "shop", "name": "web", "matchLabels": {"app": "web"}, "replicas": 2},
    ],
    "services": [
        {"namespace": "shop", "name": "web", "selector": {"app": "web"}, "clusterIP": "10.213.40.200",
         "ports": [80]},
    ],
}
EOF
k8s_api_start state.py api 10.213.40.10
start_worker n1 w1 --listen 10.213.40.1:8475
start_worker n2 w2 --listen 10.213.40.2:8475

starts() { grep -c ' capture_start ' "$(log_err "$1")" || true; }
# capture NAME COUNT TARGET [ARGS...]: ddump in the client namespace until
# COUNT packets, pinging web-1, api-1 and web-2 (3 each) once both workers
# stream; the pcap in NAME.pcap.
capture() {
    local name=$1 count=$2
    shift 2
    local s1 s2
    s1=$(starts w1) s2=$(starts w2)
    ns_spawn cl "$name" "$DDUMP" -c "$count" --kubectl "$KUBECTL" -w "$name.pcap" "$@"
    both() { (( $(starts w1) > s1 && $(starts w2) > s2 )); }
    wait_for 20 both || fail "$name: the workers did not both start a capture: $(cat "$(log_err "$name")")"
    local ip
    for ip in 10.213.40.111 10.213.40.121 10.213.40.112; do
        ns_ping cl "$ip" 3 || fail "no ping reply from $ip"
    done
    wait_exit "$name" 20 0 || fail "$name did not end after $count packets: $(cat "$(log_err "$name")")"
}
# hosts_of FILE: "ADDRESS COUNT" per pod address seen in echo requests
requests_to() { tcpdump -nr "$1" 2>/dev/null | grep -c "> $2: ICMP echo request" || true; }

# 1. A label selector: web-1 (node-a) and web-2 (node-b), not api-1.
capture sel 12 'k8s:shop/app=web' --worker-scheme http --worker-port 8475 -F pcapng icmp
assert_eq 12 "$(pcap_count sel.pcap)" "packets"
assert_contains "$(capinfos sel.pcap)" "Strict time order:   True" "the two nodes' packets merged in time order"
assert_eq 3 "$(requests_to sel.pcap 10.213.40.111)" "echo requests to web-1"
assert_eq 3 "$(requests_to sel.pcap 10.213.40.112)" "echo requests to web-2"
assert_eq 0 "$(requests_to sel.pcap 10.213.40.121)" "echo requests to api-1 (not selected)"
names=$(tshark -r sel.pcap -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c |
    awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "node-a/web-1=6 node-b/web-2=6 " "$names" "packets per pod (pcapng interfaces NODE/POD)"
# The pods' names, from the NRB ddump writes: tshark shows them for their
# addresses (-N n: names from the capture, no lookups).
named=$(tshark -r sel.pcap -N n -Y 'icmp.type == 8' -T fields -e ip.dst_host 2>/dev/null | sort | uniq -c |
    awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "web-1=3 web-2=3 " "$named" "echo requests by the destination's name"
err=$(cat "$(log_err sel)")
assert_contains "$err" "filter=%28host%2010.213.40.111%29%20and%20%28icmp%29" "node-a's stream asks for web-1's address and the filter"
assert_contains "$err" "12 packets written from 2 targets" "summary"
pass "k8s:shop/app=web: one stream per node, web-1 and web-2 captured, api-1 not; an interface per pod (node-a/web-1, node-b/web-2), pods named in an NRB"

# NDJSON: each packet under its pod's name (its source, else destination).
capture nd 12 'k8s:shop/app=web' --worker-scheme http --worker-port 8475 -T ndjson icmp
hosts=$(jq -r .host nd.pcap | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "web-1=6 web-2=6 " "$hosts" "ndjson host fields"
pass "-T ndjson: every packet's host is its pod (web-1 6, web-2 6)"

# 2. A Deployment, through kubectl proxy and the pods/proxy subresource.
k8s_proxy_start cl
capture via 12 'k8s:shop/deploy/web' --worker-scheme http --worker-port 8475 \
    --via-apiserver "http://127.0.0.1:$K8S_PROXY_PORT" icmp
assert_eq 3 "$(requests_to via.pcap 10.213.40.111)" "echo requests to web-1 via the API server"
assert_eq 3 "$(requests_to via.pcap 10.213.40.112)" "echo requests to web-2 via the API server"
assert_eq 0 "$(requests_to via.pcap 10.213.40.121)" "echo requests to api-1 via the API server"
assert_contains "$(cat "$(log_err via)")" "/api/v1/namespaces/ddump/pods/http:ddump-worker-a:8475/proxy/capture" "worker URL"
pass "k8s:shop/deploy/web --via-apiserver (kubectl proxy): the same packets through pods/proxy"

# A Service: its pods, and its cluster IP named in the NRB (web-1 calls it).
s1=$(starts w1) s2=$(starts w2)
ns_spawn cl svc "$DDUMP" -c 16 --kubectl "$KUBECTL" -w svc.pcapng -F pcapng --worker-scheme http \
    --worker-port 8475 'k8s:shop/svc/web' icmp
both() { (( $(starts w1) > s1 && $(starts w2) > s2 )); }
wait_for 20 both || fail "svc: the workers did not both start a capture: $(cat "$(log_err svc)")"
ns_ping cl 10.213.40.111 3 || fail "no ping reply from web-1"
ns_ping cl 10.213.40.112 3 || fail "no ping reply from web-2"
_e2e_in_ns n1 timeout -k 1 30 ping -n -q -c 2 -i 0.02 -W 1 -I 10.213.40.111 10.213.40.200 >/dev/null ||
    fail "no ping reply from the Service's address"
wait_exit svc 20 0 || fail "svc did not end after 16 packets: $(cat "$(log_err svc)")"
named=$(tshark -r svc.pcapng -N n -Y 'icmp.type == 8' -T fields -e ip.dst_host 2>/dev/null | sort | uniq -c |
    awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "web-1=3 web-2=3 web.shop.svc=2 " "$named" "echo requests by the destination's name"
ifs=$(tshark -r svc.pcapng -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c |
    awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "node-a/web-1=10 node-b/web-2=6 " "$ifs" "packets per pod (web-1's calls to the Service are web-1's)"
pass "k8s:shop/svc/web: the Service's pods, and its cluster IP named web.shop.svc in the NRB"

# 3. Errors: one line, exit 2.
refuse() {  # NAME WANT ARGS...
    local name=$1 want=$2
    shift 2
    ns_spawn cl "$name" "$DDUMP" -c 1 --kubectl "$KUBECTL" "$@"
    wait_exit "$name" 30 2 || fail "$name: ddump did not exit"
    local err
    err=$(cat "$(log_err "$name")")
    assert_contains "$err" "$want" "$name's error"
    assert_eq 1 "$(wc -l <"$(log_err "$name")")" "$name: one line"
    assert_eq 0 "$(stat -c %s "$(log_out "$name")")" "$name: nothing on stdout"
}
refuse none "k8s:shop/app=nothing: no pods match" 'k8s:shop/app=nothing'
refuse ctx "Unauthorized" --context "$K8S_WRONG_CONTEXT" 'k8s:shop/app=web'
refuse bad "bad target 'k8s:shop/app=(': " 'k8s:shop/app=('
refuse nokubectl "cannot run '/nonexistent/kubectl'" 'k8s:shop/app=web' --kubectl /nonexistent/kubectl
pass "nothing selected, a wrong context, a bad selector, no kubectl: one line each, exit 2"

# 4. dns:workers.test: both workers' addresses.
mkdir zone
dns_start dns "$E2E_TMP/zone"
dns_client cl 10.213.40.53
dns_set workers.test 10.213.40.1 10.213.40.2
s1=$(starts w1) s2=$(starts w2)
ns_spawn cl dnsrun "$DDUMP" -c 8 -w dns.pcap -v dns:workers.test 'icmp and host 10.213.40.9'
both() { (( $(starts w1) > s1 && $(starts w2) > s2 )); }
wait_for 20 both || fail "dns: the workers did not both start a capture: $(cat "$(log_err dnsrun)")"
ns_ping cl 10.213.40.1 2 || fail "no ping reply from 10.213.40.1"
ns_ping cl 10.213.40.2 2 || fail "no ping reply from 10.213.40.2"
wait_exit dnsrun 20 0 || fail "dns: ddump did not end: $(cat "$(log_err dnsrun)")"
err=$(cat "$(log_err dnsrun)")
assert_contains "$err" "dns:workers.test: http://10.213.40.1:8475/capture" "first address"
assert_contains "$err" "dns:workers.test: http://10.213.40.2:8475/capture" "second address"
assert_eq 2 "$(requests_to dns.pcap 10.213.40.1)" "echo requests to the first worker"
assert_eq 2 "$(requests_to dns.pcap 10.213.40.2)" "echo requests to the second worker"
pass "dns:workers.test: a stream per address dnsmasq gave, 8 packets from both"

# dns: with --worker-scheme https --worker-port: every address over TLS on
# that port (here a stand-in worker behind TLS on each node, its certificate
# for the node's address, signed by our root), as for the shipped proxy.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout root.key -out root.crt \
    -days 2 -subj "/CN=fleet root" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
for n in 1 2; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "node$n.key" \
        -subj "/CN=node$n" -out "node$n.csr" 2>/dev/null
    printf 'subjectAltName=IP:10.213.40.%s\n' "$n" >"node$n.ext"
    openssl x509 -req -in "node$n.csr" -CA root.crt -CAkey root.key -CAcreateserial -days 2 \
        -extfile "node$n.ext" -out "node$n.crt" 2>/dev/null
    ns_spawn "n$n" "tls$n" "$(e2e_bin ddump-fake-worker)" --host "10.213.40.$n" --port 8443 \
        --tls-cert "node$n.crt" --tls-key "node$n.key" --file "$DDUMP_SRC_DIR/tests/data/en10mb_le_usec.pcap"
    wait_for_file_lines "$(log_out "tls$n")" 1 10 || fail "TLS stand-in $n did not start: $(cat "$(log_err "tls$n")")"
done
ns_spawn cl dnstls "$DDUMP" -v --worker-scheme https --worker-port 8443 --ca root.crt -w tls.pcap dns:workers.test
wait_exit dnstls 20 0 || fail "dns: over https did not end: $(cat "$(log_err dnstls)")"
err=$(cat "$(log_err dnstls)")
assert_contains "$err" "dns:workers.test: https://10.213.40.1:8443/capture" "first address, https"
assert_contains "$err" "dns:workers.test: https://10.213.40.2:8443/capture" "second address, https"
assert_eq 22 "$(pcap_count tls.pcap)" "both stand-ins' 11 packets, over verified TLS"
# A PORT in the target still wins over --worker-port.
s1=$(starts w1) s2=$(starts w2)
ns_spawn cl dnsport "$DDUMP" -v -c 2 --worker-port 9 dns:workers.test:8475 'icmp and host 10.213.40.9'
wait_for 20 both || fail "dns:NAME:PORT: the workers did not both start a capture: $(cat "$(log_err dnsport)")"
ns_ping cl 10.213.40.1 1 || fail "no ping reply from 10.213.40.1"
wait_exit dnsport 20 0 || fail "dns:NAME:PORT: ddump did not end: $(cat "$(log_err dnsport)")"
assert_contains "$(cat "$(log_err dnsport)")" "dns:workers.test:8475: http://10.213.40.1:8475/capture" "dns:NAME:PORT over --worker-port"
pass "dns:workers.test --worker-scheme https --worker-port 8443: every address over verified TLS, 22 packets; NAME:PORT wins over --worker-port"
