# shellcheck shell=bash
# shellcheck disable=SC2034  # the K8S_* and DNS_* globals are for the test scripts
# Helpers for the tests of fleet targets (dns:NAME, k8s:...): a test
# Kubernetes API server (k8s_api.py) that the real kubectl talks to, and
# dnsmasq, a real DNS server, in the test's network namespaces. Source after
# lib.sh; call after e2e_init.
#
#     ns_create api; ns_create cl; ns_create dns
#     ns_lan lan api=10.213.40.10/24 cl=10.213.40.9/24 dns=10.213.40.53/24
#     k8s_api_start "$E2E_TMP/state.py" api 10.213.40.10   # KUBECONFIG, HOME set
#     k8s_kubectl cl get pods -n shop -l app=web -o json
#     k8s_pod_add '{"namespace": "shop", "name": "web-3", "labels": {"app": "web"}}'
#     k8s_pod_del shop web-3
#     k8s_proxy_start cl            # kubectl proxy -p 0 in cl: K8S_PROXY_PORT
#     dns_start dns "$E2E_TMP/zone"
#     dns_client cl 10.213.40.53    # before anything in cl resolves names
#     dns_set workers.test 10.213.40.1 10.213.40.2
#
# The state file and the objects the control calls take are described in
# k8s_api.py's docstring. Everything runs through spawn/ns_spawn (killed by
# PID at cleanup); files live under $E2E_TMP, except the resolver files
# `ip netns exec` reads from /etc/netns/NETNS/, removed when the test exits
# (and those of dead runs when a test next calls dns_client).

if [[ -n "${_DDUMP_FLEET_LIB_LOADED:-}" ]]; then
    return 0
fi
_DDUMP_FLEET_LIB_LOADED=1

# The kubectl to test with: Debian's kubernetes-client in CI (1.20); newer
# ones (1.32, 1.33) work the same.
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}

K8S_DIR=""             # $E2E_TMP/k8s: CA, certificates, kubeconfig, HOME
K8S_CA=""              # the CA that signed the API servers' certificates
# The instance k8s_api_start started last (or k8s_use chose):
K8S_API_NAME=""        # its name, also its context's name
K8S_API_NS=""          # the netns it runs in ("-": the host's)
K8S_API_ADDR=""        # the address it listens on
K8S_API_PORT=""        # its port
K8S_API_URL=""         # https://ADDR:PORT
K8S_TOKEN=""           # the bearer token its context sends
K8S_CONTEXT=""         # the context that reaches it with K8S_TOKEN
K8S_WRONG_CONTEXT=""   # the context that reaches it with a wrong token
K8S_PROXY_PORT=""      # the port the last k8s_proxy_start's kubectl proxy serves
DNS_NS=""              # the netns dnsmasq runs in (dns_start)
DNS_HOSTS=""           # the hosts file it answers from
DNS_LOG=""             # one line per query it received (--log-queries)
DNS_PID=""

declare -gA _K8S_NS=() _K8S_ADDR=() _K8S_PORT=() _K8S_TOKEN=()
_K8S_FIRST=""
_FLEET_ETC_DIRS=()

# fleet_lan NET        a two-node cluster's network: namespaces n1 and n2
#                      (nodes, NET.1 and NET.2), api (NET.10), dns (NET.53)
#                      and cl (the client, NET.9) on one LAN NET.0/24
fleet_lan() {
    local ns
    for ns in n1 n2 api dns cl; do ns_create "$ns"; done
    ns_lan lan n1="$1.1/24" n2="$1.2/24" api="$1.10/24" dns="$1.53/24" cl="$1.9/24"
}

# fleet_addr NS ADDR   one more address (a pod's) on NS's LAN interface
fleet_addr() { ip -n "$(ns_name "$1")" addr add "$2/24" dev "$(ns_ifname "$1" lan)"; }

# fleet_require_kubectl   skip (exit 77) unless $KUBECTL runs
fleet_require_kubectl() {
    [[ -n "$KUBECTL" && -x "$KUBECTL" ]] || skip "no kubectl (install kubernetes-client or set KUBECTL)"
}

# _k8s_pki ADDR        a test CA (once per test) and a server certificate for
#                      ADDR, 127.0.0.1 and localhost: $K8S_DIR/ADDR.crt/.key.
#                      Go's TLS wants the address in subjectAltName, not CN.
_k8s_pki() {
    local addr=$1 out
    if [[ ! -f "$K8S_DIR/ca.crt" ]]; then
        out=$(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$K8S_DIR/ca.key" -out "$K8S_DIR/ca.crt" -days 2 -subj /CN=k8s-test-ca \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>&1) ||
            fail "openssl: test CA: $out"
    fi
    K8S_CA=$K8S_DIR/ca.crt
    [[ -f "$K8S_DIR/$addr.crt" ]] && return 0
    printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' \
        "$addr" >"$K8S_DIR/$addr.ext"
    out=$(openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K8S_DIR/$addr.key" \
        -out "$K8S_DIR/$addr.csr" -subj /CN=k8s-test-apiserver 2>&1 &&
        openssl x509 -req -in "$K8S_DIR/$addr.csr" -CA "$K8S_CA" -CAkey "$K8S_DIR/ca.key" \
            -CAcreateserial -days 2 -extfile "$K8S_DIR/$addr.ext" -out "$K8S_DIR/$addr.crt" 2>&1) ||
        fail "openssl: certificate for $addr: $out"
}

# _k8s_write_kubeconfig   $K8S_DIR/kubeconfig with two contexts per started
#                      instance NAME: NAME (its token) and NAME-wrong-token;
#                      the first instance's NAME is the current context.
_k8s_write_kubeconfig() {
    local args=() n
    for n in "${!_K8S_PORT[@]}"; do
        args+=("$n" "${_K8S_ADDR[$n]}" "${_K8S_PORT[$n]}" "${_K8S_TOKEN[$n]}")
    done
    "$E2E_PYTHON" - "$K8S_DIR/kubeconfig" "$K8S_CA" "$_K8S_FIRST" "${args[@]}" <<'PY' ||
import json, sys
path, ca, first, rest = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
cfg = {"apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": first,
       "clusters": [], "users": [], "contexts": []}
for i in range(0, len(rest), 4):
    name, addr, port, token = rest[i:i + 4]
    host = "[%s]" % addr if ":" in addr else addr
    cfg["clusters"].append({"name": name, "cluster": {"server": "https://%s:%s" % (host, port),
                                                      "certificate-authority": ca}})
    cfg["users"].append({"name": name, "user": {"token": token}})
    cfg["users"].append({"name": name + "-wrong-token", "user": {"token": token + "-wrong"}})
    cfg["contexts"].append({"name": name, "context": {"cluster": name, "user": name,
                                                      "namespace": "default"}})
    cfg["contexts"].append({"name": name + "-wrong-token",
                            "context": {"cluster": name, "user": name + "-wrong-token"}})
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)   # JSON is YAML: kubectl reads it as it is
PY
        fail "could not write $K8S_DIR/kubeconfig"
}

# k8s_api_start STATEFILE [NS=-] [ADDR=127.0.0.1] [NAME=fleet]   run
#                      k8s_api.py (TLS, bearer token) on ADDR:0 in NS as
#                      spawned process NAME; add its contexts NAME and
#                      NAME-wrong-token to $K8S_DIR/kubeconfig and export
#                      KUBECONFIG (current context: the first instance's) and
#                      HOME=$K8S_DIR/home (kubectl caches discovery under
#                      ~/.kube/cache); sets the K8S_* variables above.
k8s_api_start() {
    local state=$1 ns=${2:--} addr=${3:-127.0.0.1} name=${4:-fleet}
    _e2e_need_init
    [[ -r "$state" ]] || fail "k8s_api_start: no state file $state"
    [[ "$name" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || fail "k8s_api_start: bad name '$name'"
    K8S_DIR=$E2E_TMP/k8s
    mkdir -p "$K8S_DIR/home"
    _k8s_pki "$addr"
    local token
    token="$name-token-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
    local cmd=("$E2E_PYTHON" "$DDUMP_SRC_DIR/tests/e2e/k8s_api.py" --state "$state"
        --listen "$addr" --port 0 --token "$token"
        --tls-cert "$K8S_DIR/$addr.crt" --tls-key "$K8S_DIR/$addr.key")
    if [[ "$ns" == - ]]; then
        spawn "$name" "${cmd[@]}"
    else
        ns_spawn "$ns" "$name" "${cmd[@]}"
    fi
    wait_for_file_lines "$(log_out "$name")" 1 10 ||
        fail "k8s_api.py $name did not start: $(cat "$(log_err "$name")")"
    local port
    port=$(head -1 "$(log_out "$name")")
    [[ "$port" =~ ^[0-9]+$ ]] || fail "k8s_api.py $name printed no port: $(cat "$(log_err "$name")")"
    [[ -n "$_K8S_FIRST" ]] || _K8S_FIRST=$name
    _K8S_NS[$name]=$ns
    _K8S_ADDR[$name]=$addr
    _K8S_PORT[$name]=$port
    _K8S_TOKEN[$name]=$token
    _k8s_write_kubeconfig
    export KUBECONFIG=$K8S_DIR/kubeconfig
    export HOME=$K8S_DIR/home
    k8s_use "$name"
}

# k8s_use NAME         point the K8S_API_* variables (and k8s_ctl) at the
#                      instance NAME
k8s_use() {
    [[ -n "${_K8S_PORT[$1]+x}" ]] || fail "k8s_use: no API server '$1' started"
    K8S_API_NAME=$1
    K8S_API_NS=${_K8S_NS[$1]}
    K8S_API_ADDR=${_K8S_ADDR[$1]}
    K8S_API_PORT=${_K8S_PORT[$1]}
    K8S_TOKEN=${_K8S_TOKEN[$1]}
    local host=$K8S_API_ADDR
    [[ "$host" == *:* ]] && host="[$host]"
    K8S_API_URL=https://$host:$K8S_API_PORT
    K8S_CONTEXT=$1
    K8S_WRONG_CONTEXT=$1-wrong-token
}

# k8s_kubectl NS ARGS...   run $KUBECTL ARGS in NS ("-": the host's), bounded
#                      to 30 s; its status is returned
k8s_kubectl() {
    local ns=$1
    shift
    _e2e_in_ns "$ns" timeout -k 2 30 "$KUBECTL" "$@"
}

# k8s_ctl METHOD PATH [JSON]   a control request to the current instance
#                      (from its netns); prints the reply, fails the test
#                      unless it is a 2xx
k8s_ctl() {
    local method=$1 path=$2 body=${3:-} out code
    out=$(_e2e_in_ns "$K8S_API_NS" curl -sS --max-time 10 --cacert "$K8S_CA" -X "$method" \
        -H 'Content-Type: application/json' ${body:+--data-binary "$body"} \
        -w '\n%{http_code}' "$K8S_API_URL$path" 2>&1) || fail "k8s_ctl $method $path: $out"
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    [[ "$code" == 2?? ]] || fail "k8s_ctl $method $path: HTTP $code: $out"
    printf '%s\n' "$out"
}

# k8s_add RESOURCE JSON    add (ADDED) or replace (MODIFIED) one object:
#                      RESOURCE is pods, nodes, services, deployments,
#                      statefulsets, daemonsets or replicasets
# k8s_del RESOURCE [NS/]NAME   remove it (DELETED)
k8s_add() { k8s_ctl POST "/_test/$1" "$2" >/dev/null; }
k8s_del() { k8s_ctl DELETE "/_test/$1/$2" >/dev/null; }

# k8s_pod_add JSON / k8s_pod_del NS NAME   the same for pods
k8s_pod_add() { k8s_add pods "$1"; }
k8s_pod_del() { k8s_del pods "$1/$2"; }

# k8s_proxy_start NS [NAME=kproxy]   run `kubectl proxy --port=0` in NS (it
#                      listens on 127.0.0.1 there) as spawned process NAME;
#                      sets K8S_PROXY_PORT from its "Starting to serve" line
k8s_proxy_start() {
    local ns=$1 name=${2:-kproxy}
    if [[ "$ns" == - ]]; then
        spawn "$name" "$KUBECTL" proxy --port=0
    else
        ns_spawn "$ns" "$name" "$KUBECTL" proxy --port=0
    fi
    wait_for_log "$name" '^Starting to serve on 127\.0\.0\.1:[0-9]+' 15 ||
        fail "kubectl proxy did not start: $(cat "$(log_err "$name")")"
    K8S_PROXY_PORT=$(grep -m1 -oE '^Starting to serve on 127\.0\.0\.1:[0-9]+' "$(log_out "$name")" |
        sed -E 's/.*://')
}

# ---------------------------------------------------------------------------
# DNS
# ---------------------------------------------------------------------------

# _fleet_on_exit       the EXIT trap once dns_client has run: removes the
#                      /etc/netns directories, then lib.sh's own exit
#                      handling with the test's exit status ($? on entry)
_fleet_status() { return "$1"; }
_fleet_on_exit() {
    local rc=$? d
    for d in "${_FLEET_ETC_DIRS[@]}"; do
        rm -rf -- "$d"
    done
    # _e2e_on_exit reads the status from $?: a failing status is handed to
    # it by `||` (no ERR trap, no errexit), a zero one by the call after.
    _fleet_status "$rc" || _e2e_on_exit
    _e2e_on_exit
}

# Directories /etc/netns/ddtPID-* of runs whose shell is gone (a CTest
# timeout SIGKILLs a test before its EXIT trap), as e2e_gc_stale does for
# the namespaces themselves.
_fleet_gc_etc() {
    local d base
    for d in /etc/netns/ddt*; do
        [[ -d "$d" ]] || continue
        base=${d##*/}
        [[ "$base" =~ ^ddt([0-9]+)(x[0-9]+)?- ]] || continue
        [[ -e "/proc/${BASH_REMATCH[1]}" ]] && continue
        rm -rf -- "$d"
    done
}

# dns_client NS SERVER_ADDR   processes started in NS from now on (ns_exec,
#                      ns_spawn: `ip netns exec` bind-mounts
#                      /etc/netns/NETNS/* over /etc) resolve names through the
#                      DNS server at SERVER_ADDR only: resolv.conf naming it,
#                      nsswitch.conf "hosts: files dns", a hosts file of
#                      localhost alone
dns_client() {
    local ns=$1 server=$2 real dir
    _e2e_need_init
    real=$(ns_name "$ns")
    dir=/etc/netns/$real
    _fleet_gc_etc
    if (( ${#_FLEET_ETC_DIRS[@]} == 0 )); then
        trap '_fleet_on_exit' EXIT
    fi
    _FLEET_ETC_DIRS+=("$dir")
    mkdir -p "$dir" || fail "dns_client: cannot create $dir"
    printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$server" >"$dir/resolv.conf"
    if grep -q '^hosts:' /etc/nsswitch.conf; then
        sed -E 's/^hosts:.*/hosts: files dns/' /etc/nsswitch.conf >"$dir/nsswitch.conf"
    else
        { cat /etc/nsswitch.conf; echo 'hosts: files dns'; } >"$dir/nsswitch.conf"
    fi
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$dir/hosts"
}

# dns_start NS ZONE_DIR [NAME=dns]   run dnsmasq in NS (port 53, every
#                      address of NS) as spawned process NAME, answering A,
#                      AAAA and PTR from ZONE_DIR/hosts only (no upstream, no
#                      /etc/hosts, TTL 0), logging every query to
#                      ZONE_DIR/queries.log ($DNS_LOG)
dns_start() {
    local ns=$1 zone=$2 name=${3:-dns}
    _e2e_need_init
    e2e_require_cmd dnsmasq getent
    mkdir -p "$zone"
    : >"$zone/hosts"
    DNS_NS=$ns
    DNS_HOSTS=$zone/hosts
    DNS_LOG=$zone/queries.log
    # --user=root: the zone lives in the test's private directory
    ns_spawn "$ns" "$name" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
        --no-hosts --addn-hosts="$DNS_HOSTS" --port=53 --local-ttl=0 --user=root \
        --pid-file="$zone/dnsmasq.pid" --log-queries --log-facility="$DNS_LOG"
    DNS_PID=$SPAWN_PID
    wait_for_udp_port "$ns" 53 || fail "dnsmasq did not start: $(cat "$(log_err "$name")")"
}

# Sorted addresses, one space after each, IPv4 first (both dns_addrs and
# dns_served print them so).
_FLEET_SORT_ADDRS='
import ipaddress, sys
def show(addrs):
    addrs = sorted(set(addrs), key=lambda a: (a.version, a))
    print("".join("%s " % a for a in addrs), end="")
'

# dns_addrs NS NAME    the addresses getaddrinfo finds for NAME in NS
#                      (`getent ahosts`), sorted (see above); empty: none or
#                      no such name. As for any program there, AAAA records
#                      count only when NS has a non-loopback IPv6 address
#                      (glibc's getaddrinfo asks with AI_ADDRCONFIG).
dns_addrs() {
    local out
    out=$(ns_exec "$1" timeout 10 getent ahosts "$2" 2>/dev/null) || true
    "$E2E_PYTHON" -c "$_FLEET_SORT_ADDRS"'
show(ipaddress.ip_address(l.split()[0]) for l in sys.stdin if l.strip())' <<<"$out"
}

# dns_served NAME      the A and AAAA records dnsmasq answers for NAME, asked
#                      directly (UDP, from its netns), sorted (see above);
#                      empty: NXDOMAIN or no records. Returns 1 when no
#                      answer came.
dns_served() {
    ns_exec "$DNS_NS" "$E2E_PYTHON" -c "$_FLEET_SORT_ADDRS"'
import random, socket, struct
name = sys.argv[1]

def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:   # a compression pointer ends the name (RFC 1035 4.1.4)
            return pos + 2
        pos += 1 + n

def ask(qtype):
    qid = random.randrange(65536)
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split("."))
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(query, ("127.0.0.1", 53))
    while True:
        msg = s.recv(4096)
        if msg[:2] == query[:2]:
            break
    qd, an = struct.unpack(">HH", msg[4:8])
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _, _, size = struct.unpack(">HHIH", msg[pos:pos + 10])
        data = msg[pos + 10:pos + 10 + size]
        pos += 10 + size
        if (rtype, size) in ((1, 4), (28, 16)):
            yield ipaddress.ip_address(data)

show(list(ask(1)) + list(ask(28)))' "$1"
}

_dns_serves() {  # NAME WANT
    local got
    got=$(dns_served "$1") || return 1
    [[ "$got" == "$2" ]]
}

# dns_set NAME [ADDR...]   NAME's addresses (IPv4 and IPv6; none: NAME is
#                      gone) in the hosts file replace its old ones; SIGHUP
#                      makes dnsmasq read it again; waits (<= 10 s) until
#                      dnsmasq answers exactly that set (dns_served)
dns_set() {
    local name=$1 a want
    shift
    [[ -n "$DNS_HOSTS" ]] || fail "dns_set: call dns_start first"
    want=$("$E2E_PYTHON" -c "$_FLEET_SORT_ADDRS"'
show(ipaddress.ip_address(a) for a in sys.argv[1:])' "$@") || fail "dns_set $name: not IP addresses: $*"
    {
        awk -v n="$name" '$2 != n' "$DNS_HOSTS"
        for a in "$@"; do
            printf '%s %s\n' "$a" "$name"
        done
    } >"$DNS_HOSTS.new"
    mv -f "$DNS_HOSTS.new" "$DNS_HOSTS"
    kill -HUP "$DNS_PID" || fail "dns_set: dnsmasq (pid $DNS_PID) is gone"
    wait_for 10 _dns_serves "$name" "$want" ||
        fail "dns_set $name: dnsmasq did not answer [$want] within 10 s (it answers [$(dns_served "$name" || true)])"
}
