#!/usr/bin/env bash
# The container images and the Kubernetes pod, built and run for real:
#   1. Base images: the bare Debian bookworm root of .ci/fresh_root.sh (its
#      dated cache when there is one, else debootstrapped from the mirror the
#      host's apt uses), imported as debian:bookworm and debian:bookworm-slim.
#      Its apt sources are that mirror, so the build needs nothing else.
#   2. Both images built from deploy/Dockerfile unchanged, with the README's
#      `docker build` arguments given to `podman build --isolation chroot`
#      (podman run cannot start containers on the test machines: crun fails
#      to set them up, e.g. "setrlimit RLIMIT_NOFILE: Operation not
#      permitted"). The worker binary carries cap_net_raw=eip; the
#      HEALTHCHECK is kept (docker format).
#   3. The pod of deploy/kubernetes/ (the objects kustomization.yaml lists)
#      run from the images' own filesystems by tests/e2e/deploy_pod.py as the
#      kubelet and runc run it: the containers' command lines, users,
#      groups, capabilities (bounding set = the added ones), no_new_privs,
#      read-only roots and volumes (the emptyDirs, the ConfigMap's nginx
#      configuration as it is, the Secret) all from the YAML and the image
#      configs, in one network namespace standing for the node
#      (hostNetwork). The certificates and the Secret come from the README's
#      openssl and kubectl lines, run as written (kubectl with
#      --dry-run=client -o yaml: no cluster here).
#   4. The README's client line, run as written on a workers.txt as its
#      kubectl line prints it, streams port 53 of the node through the
#      proxy; a capture with the client certificate gets exactly the ping;
#      without one, or with another CA's, the proxy refuses (exit 2, HTTP
#      400); an unfiltered capture holds none of its own TLS stream (the
#      proxy port is excluded); only the proxy listens on the network.
#   5. The probes as the kubelet runs them: all succeed; with the worker
#      killed, its liveness probe, the image's HEALTHCHECK and the proxy's
#      readiness probe fail (the proxy's liveness does not); the worker
#      restarted on the same volume serves again.
set -euo pipefail

if [[ $EUID -eq 0 && "${DDUMP_CONTAINER_PRIVATE_MOUNTS:-}" != 1 ]]; then
    # Whatever podman or the pod mounts vanishes with this namespace.
    export DDUMP_CONTAINER_PRIVATE_MOUNTS=1
    exec unshare --mount --propagation private -- bash "$(readlink -f "$0")" "$@"
fi

source "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_cmd podman openssl curl tar getcap unshare jq
"$E2E_PYTHON" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
[[ "$DDUMP_CONTAINER_PRIVATE_MOUNTS" == 1 ]] || fail "not in the private mount namespace"
src=$DDUMP_SRC_DIR
readme=$src/README.md
ddump=$(e2e_bin ddump)
pod_py=$src/tests/e2e/deploy_pod.py
t_start=$(date +%s)

# The README's lines this test runs (the --dry-run suffix and podman's own
# flags aside), verbatim.
R_BUILD_WORKER='docker build -f deploy/Dockerfile -t ddump-worker .'
R_BUILD_PROXY='docker build -f deploy/Dockerfile --target proxy -t ddump-proxy .'
R_PKI=(
    'openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj /CN=ddump-ca -keyout ca.key -out ca.crt'
    'openssl req -newkey rsa:3072 -nodes -subj /CN=ddump-proxy -addext subjectAltName=IP:10.0.0.11,IP:10.0.0.12 -keyout server.key -out server.csr'
    'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -copy_extensions copy -days 825 -out server.crt'
    'openssl req -newkey rsa:3072 -nodes -subj /CN=alice -keyout me.key -out me.csr'
    'openssl x509 -req -in me.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -out me.crt'
)
R_SECRET='kubectl -n ddump create secret generic ddump-proxy-tls --from-file=tls.crt=server.crt --from-file=tls.key=server.key --from-file=ca.crt=ca.crt'
R_JSONPATH='  -o jsonpath='\''{range .items[*]}https://{.status.hostIP}:8443{"\n"}{end}'\'' > workers.txt'
R_CLIENT="ddump --ca ca.crt --cert me.crt --key me.key --targets workers.txt 'port 53' | tcpdump -nr -"
for line in "$R_BUILD_WORKER" "$R_BUILD_PROXY" "${R_PKI[@]}" "$R_SECRET" "$R_JSONPATH" "$R_CLIENT"; do
    grep -qxF -- "$line" "$readme" || fail "README.md no longer has the line [$line]: update this test with it"
done
node_ip=10.0.0.11   # the first address the README's server certificate names

# --- 1. base images ------------------------------------------------------------
# The newest complete bare root .ci/run made, else a new one (flock: one
# debootstrap at a time).
base_root() {
    local cache=${CI_CACHE:-/var/cache/ddump-ci} b
    for b in $(compgen -G "$cache/base-bookworm-*" | sort -r); do
        [[ -f "$b/.complete" ]] && { printf '%s\n' "$b"; return 0; }
    done
    command -v debootstrap >/dev/null || return 77
    mkdir -p "$cache"
    note "no cached bookworm root in $cache: debootstrap (minutes)"
    # shellcheck disable=SC2016  # expanded by that bash
    flock -w 900 "$cache/.lock" bash -c 'source "$1/.ci/fresh_root.sh" && ci_base_root' _ "$src"
}
rc=0
base=$(base_root) || rc=$?
(( rc != 77 )) || skip "no bare bookworm root in ${CI_CACHE:-/var/cache/ddump-ci} and no debootstrap to make one"
(( rc == 0 )) || fail "no bare bookworm root (see ${CI_CACHE:-/var/cache/ddump-ci}/debootstrap.log)"
note "base root: $base"
store=$E2E_TMP/podman
mkdir -p "$store/tmp"
# podman wants a run root of at most 50 characters: one of its own in /tmp.
# It and the storage go as soon as the images are exported (the storage holds
# a copy of the sources, whose texts about sanitizer reports lib.sh's scan of
# $E2E_TMP would report), or on exit before lib.sh's cleanup.
runroot=$(mktemp -d /tmp/ddpr.XXXXXX)
trap 'rc=$?; set +e; rm -rf --one-file-system "$runroot" "$store"; (exit $rc); _e2e_on_exit' EXIT
P=(env TMPDIR="$store/tmp" podman --root "$store/root" --runroot "$runroot" --storage-driver overlay
   --cgroup-manager cgroupfs --events-backend none)
tar -C "$base" --exclude=./.complete -c . | "${P[@]}" import -q - debian:bookworm >/dev/null ||
    fail "podman import of $base"
"${P[@]}" tag debian:bookworm debian:bookworm-slim || fail "podman tag"

# --- 2. the images, from deploy/Dockerfile as the README builds them -------------
build() {  # NAME README_LINE
    local name=$1 args t0 rc=0
    read -ra args <<<"${2#docker build }"
    t0=$(date +%s)
    (cd "$src" && timeout 1500 "${P[@]}" build --isolation chroot --pull=never --format docker "${args[@]}") \
        >"$E2E_TMP/build-$name.log" 2>&1 || rc=$?
    (( rc == 0 )) || fail "podman build ${args[*]}: exit $rc: $(tail -20 "$E2E_TMP/build-$name.log")"
    note "image $name built in $(( $(date +%s) - t0 )) s"
}
build worker "$R_BUILD_WORKER"
build proxy "$R_BUILD_PROXY"

# Each image's filesystem (xattrs kept: the file capability) and its config.
images=$E2E_TMP/images.json
echo '{}' >"$images"
for image in ddump-worker ddump-proxy; do
    rootfs=$E2E_TMP/rootfs-$image
    mkdir "$rootfs"
    cid=$("${P[@]}" create -q --no-healthcheck "$image:latest") || fail "podman create $image"
    "${P[@]}" export "$cid" | tar --xattrs --xattrs-include='*' --numeric-owner -C "$rootfs" -x ||
        fail "podman export $image"
    "${P[@]}" rm -f "$cid" >/dev/null
    "${P[@]}" image inspect "$image:latest" >"$E2E_TMP/inspect-$image.json" || fail "podman image inspect $image"
    jq --arg n "$image:latest" --arg r "$rootfs" --slurpfile i "$E2E_TMP/inspect-$image.json" \
        '.[$n] = {rootfs: $r, config: $i[0][0].Config, healthcheck: $i[0][0].Healthcheck}' "$images" >"$images.new"
    mv "$images.new" "$images"
done
rm -rf --one-file-system "$runroot" "$store"
assert_eq "$E2E_TMP/rootfs-ddump-worker/usr/bin/ddump-worker cap_net_raw=eip" \
    "$(getcap "$E2E_TMP/rootfs-ddump-worker/usr/bin/ddump-worker")" "the worker's file capability"
assert_eq "" "$(getcap "$E2E_TMP/rootfs-ddump-proxy/usr/sbin/nginx")" "nginx has no file capability"
assert_eq "8475:8475 8476:8476" "$(jq -r '."ddump-worker:latest".config.User + " " + ."ddump-proxy:latest".config.User' "$images")" \
    "the images' users"
health=$(jq -c '."ddump-worker:latest".healthcheck.Test' "$images")
[[ "$health" == '["CMD",'* ]] || fail "the worker image has no exec HEALTHCHECK: $health"
mapfile -t health_cmd < <(jq -r '."ddump-worker:latest".healthcheck.Test[1:][]' "$images")
t_built=$(date +%s)

# --- 3. certificates, Secret and pod, from the README and the manifests -----------
pki=$E2E_TMP/client
mkdir "$pki"
for line in "${R_PKI[@]}"; do
    (cd "$pki" && bash -c "$line") >"$E2E_TMP/openssl.log" 2>&1 || fail "[$line]: $(cat "$E2E_TMP/openssl.log")"
done
if command -v kubectl >/dev/null; then
    (cd "$pki" && bash -c "$R_SECRET --dry-run=client -o yaml") >"$E2E_TMP/secret.yaml" 2>"$E2E_TMP/kubectl.err" ||
        fail "[$R_SECRET --dry-run=client -o yaml]: $(cat "$E2E_TMP/kubectl.err")"
else
    # The same Secret by hand: its --from-file=KEY=FILE pairs.
    note "no kubectl: the Secret made from the line's --from-file pairs"
    {
        printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: ddump-proxy-tls, namespace: ddump}\ndata:\n'
        while read -r pair; do
            pair=${pair#--from-file=}
            printf '  %s: %s\n' "${pair%%=*}" "$(base64 -w0 "$pki/${pair#*=}")"
        done < <(grep -oE -- '--from-file=[^ ]+' <<<"$R_SECRET")
    } >"$E2E_TMP/secret.yaml"
fi
assert_eq "ca.crt tls.crt tls.key" "$("$E2E_PYTHON" -c 'import sys, yaml; print(" ".join(sorted(yaml.safe_load(open(sys.argv[1]))["data"])))' "$E2E_TMP/secret.yaml")" \
    "the Secret's keys"

pod=$E2E_TMP/pod
mkdir "$pod"
"$E2E_PYTHON" "$pod_py" prepare "$src/deploy/kubernetes" "$pod" "$images" "$E2E_TMP/secret.yaml" ||
    fail "deploy_pod.py prepare"
pod_json=$pod/pod.json
assert_eq true "$(jq -r .hostNetwork "$pod_json")" "hostNetwork"
assert_eq "proxy worker" "$(jq -r '.containers | keys | join(" ")' "$pod_json")" "the pod's containers"
sock_dir=$(jq -r '.containers.worker.mounts[] | select(.path == "/run/ddump") | .source' "$pod_json")
[[ -n "$sock_dir" ]] || fail "the worker mounts no volume at /run/ddump"

ns_create node
ns_create cli
ns_link node cli "$node_ip/24" 10.0.0.2/24

# container NAME LOG: run the pod's container NAME as spawned process LOG
container() {
    ns_spawn node "$2" unshare --mount --propagation private -- "$E2E_PYTHON" "$pod_py" run "$pod_json" "$1"
}
# in_container NAME ARGV...: ARGV in container NAME, as an exec probe runs
in_container() {
    local name=$1
    shift
    ns_exec node unshare --mount --propagation private -- "$E2E_PYTHON" "$pod_py" run "$pod_json" "$name" -- "$@"
}
# probe CONTAINER PROBE: the kubelet's verdict, "success" or "failure: ..."
probe() { ns_exec node "$E2E_PYTHON" "$pod_py" probe "$pod_json" "$1" "$2" "$node_ip" || true; }
probe_ok() { [[ "$(probe "$1" "$2")" == success ]]; }
worker_live() { ns_exec node curl -sf --max-time 2 --unix-socket "$sock_dir/worker.sock" -o /dev/null http://w/healthz; }
status_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

container worker worker
expect_exit worker 0
wait_for 30 worker_live || fail "the worker container did not serve its socket: $(cat "$(log_err worker)")"
wpid=$(pid_of worker)
assert_eq ddump-worker "$(cat "/proc/$wpid/comm")" "the worker container's process"
assert_eq "8475 8475 8476" "$(status_of "$wpid" Uid | cut -f1) $(status_of "$wpid" Gid | cut -f1) $(status_of "$wpid" Groups)" \
    "the worker's uid, gid and groups"
# NET_RAW (bit 13) from the file capability alone: the bounding set holds
# nothing else, and no_new_privs is off (allowPrivilegeEscalation: true).
for set in CapEff CapPrm CapBnd; do
    assert_eq 0000000000002000 "$(status_of "$wpid" "$set")" "the worker's $set"
done
assert_eq "0000000000000000 0" "$(status_of "$wpid" CapAmb) $(status_of "$wpid" NoNewPrivs)" "the worker's CapAmb, NoNewPrivs"
# 660, group 8476: the fsGroup, through the setgid emptyDir.
assert_eq "660 8475 8476" "$(stat -c '%a %u %g' "$sock_dir/worker.sock")" "the socket's mode, owner, group"

container proxy proxy
expect_exit proxy 0
wait_for_port node 8443 30 || fail "the proxy container did not listen: $(cat "$(log_err proxy)")"
ppid_=$(pid_of proxy)
assert_eq nginx "$(cat "/proc/$ppid_/comm")" "the proxy container's process"
assert_eq "8476 8476 8476" "$(status_of "$ppid_" Uid | cut -f1) $(status_of "$ppid_" Gid | cut -f1) $(status_of "$ppid_" Groups)" \
    "the proxy's uid, gid and groups"
for set in CapEff CapPrm CapBnd CapAmb; do
    assert_eq 0000000000000000 "$(status_of "$ppid_" "$set")" "the proxy's $set"
done
assert_eq 1 "$(status_of "$ppid_" NoNewPrivs)" "the proxy's NoNewPrivs"
# Only the proxy listens on the network: 8443 on every address, the probe
# listener on loopback; the worker has no TCP socket.
listeners=$(ns_exec node ss -Hltn | awk '{print $4}' | sort | tr '\n' ' ')
assert_eq "0.0.0.0:8443 127.0.0.1:8444 [::]:8443 " "$listeners" "TCP listeners on the node"
rc=0
err=$(in_container worker sh -c ': >/ddump-write-check' 2>&1) || rc=$?
assert_ne 0 "$rc" "a write to the worker's root"
assert_contains "$err" "Read-only file system" "the worker's root is read-only"

# --- 4. clients ---------------------------------------------------------------
tls=(--ca "$pki/ca.crt" --cert "$pki/me.crt" --key "$pki/me.key")
url=https://$node_ip:8443
captures() { ns_exec node curl -s --max-time 2 --unix-socket "$sock_dir/worker.sock" http://w/metrics | awk '$1 == "ddump_captures_active" {print $2}'; }
active_is() { [[ "$(captures)" == "$1" ]]; }

# The ping, with the client certificate: request and reply, exactly.
ns_spawn cli ping2 "$ddump" -q -c 2 "${tls[@]}" "$url" icmp
wait_for 20 active_is 1 || fail "no capture through the proxy: $(cat "$(log_err ping2)")"
ns_exec cli ping -n -c 1 -W 2 "$node_ip" >/dev/null || fail "ping"
wait_exit ping2 10 0 || fail "ddump -c 2 did not end"
assert_eq 2 "$(pcap_count "$(log_out ping2)" icmp)" "echo request and reply through the proxy"
assert_eq 2 "$(pcap_count "$(log_out ping2)")" "packets in the capture"
# Who asked, as the proxy told the worker: the certificate's subject.
assert_eq "CN=alice" "$(jq -r 'select(.event == "capture_start") | .client_cert' "$(log_err worker)")" \
    "the client certificate's subject in the worker's capture_start"

# Refused: no client certificate; a certificate of another CA.
(cd "$E2E_TMP" && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mallory \
    -keyout other.key -out other.crt) >/dev/null 2>&1 || fail "openssl (another CA)"
refused() {  # WHAT ARGS...
    local what=$1 rc=0 err
    shift
    err=$(ns_exec cli timeout 20 "$ddump" -q -c 1 --connect-timeout 5 "$@" "$url" icmp 2>&1 >/dev/null) || rc=$?
    assert_eq 2 "$rc" "ddump's exit status ($what)"
    assert_contains "$err" "$url/capture: HTTP 400" "ddump's error ($what)"
}
refused "no client certificate" --ca "$pki/ca.crt"
refused "another CA's certificate" --ca "$pki/ca.crt" --cert "$E2E_TMP/other.crt" --key "$E2E_TMP/other.key"
body=$(ns_exec cli curl -s --max-time 5 --cacert "$pki/ca.crt" "$url/capture?filter=icmp")
assert_contains "$body" "No required SSL certificate was sent" "nginx's answer without a certificate"
assert_eq 0 "$(captures)" "captures started by refused clients"
rc=0
ns_exec cli curl -s --max-time 5 -o /dev/null "http://$node_ip:8444/healthz" || rc=$?
assert_eq 7 "$rc" "curl to the probe port from outside the node (connection refused)"
assert_eq 404 "$(ns_exec node curl -s --max-time 5 -o /dev/null -w '%{http_code}' 'http://127.0.0.1:8444/capture?filter=icmp')" \
    "a capture through the probe listener"

# The README's client line, as written, on the list its kubectl line prints.
# tcpdump writes its lines 4 KiB at a time, so DNS queries (and traffic the
# filter leaves out: port 5353, pings) flow until some are out; then Ctrl-C
# to ddump alone, and tcpdump reads to the end: every packet ddump says it
# wrote is a line, and every line is a query to port 53.
printf 'https://%s:8443\n' "$node_ip" >"$pki/workers.txt"
# shellcheck disable=SC2016  # expanded by that bash
ns_spawn cli readme env PATH="$(dirname "$ddump"):$PATH" bash -c 'cd "$1" || exit 9
'"$R_CLIENT"'
echo "${PIPESTATUS[*]}" >status' _ "$pki"
wait_for 20 active_is 1 || fail "[$R_CLIENT] started no capture: $(cat "$(log_err readme)")"
ns_spawn cli queries "$E2E_PYTHON" -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00" + struct.pack(">HH", 1, 1)
while True:
    s.sendto(query, (sys.argv[1], 53))
    s.sendto(query, (sys.argv[1], 5353))
    time.sleep(0.01)
' "$node_ip"
ns_spawn cli readme_pings ping -n -i 0.1 "$node_ip"
dns_re="^[0-9:.]+ IP 10\.0\.0\.2\.[0-9]+ > ${node_ip//./\\.}\.53: 4660\+ A\? example\.com\. \([0-9]+\)$"
dns_lines() { grep -cE "$dns_re" "$(log_out readme)" || true; }
dns_at_least() { (( $(dns_lines) >= $1 )); }
wait_for 20 dns_at_least 5 || fail "[$R_CLIENT]: no queries to port 53 printed: $(head -5 "$(log_out readme)")"
stop queries TERM
stop readme_pings INT
reader=$(pgrep -g "$(pid_of readme)" -x ddump) || fail "no ddump under [$R_CLIENT]"
kill -INT "$reader"
wait_exit readme 10 || fail "[$R_CLIENT] did not end after SIGINT to ddump"
assert_eq "0 0" "$(cat "$pki/status")" "[$R_CLIENT]: exit statuses of ddump and tcpdump"
written=$(grep -oE '^ddump: [0-9]+ packets written from 1 targets' "$(log_err readme)" | grep -oE '[0-9]+' | head -1)
assert_ge "${written:-0}" 5 "[$R_CLIENT]: packets ddump wrote"
assert_eq "$written" "$(wc -l <"$(log_out readme)")" "[$R_CLIENT]: tcpdump's lines"
assert_eq "$written" "$(dns_lines)" "[$R_CLIENT]: lines that are queries to port 53"

# Unfiltered, with pings flowing: 40 packets, and none of them the capture's
# own TLS stream (which, not excluded, would soon be all of them).
wait_for 20 active_is 0 || fail "captures still active"
ns_spawn cli unfiltered "$ddump" -q -c 40 "${tls[@]}" "$url"
wait_for 20 active_is 1 || fail "no unfiltered capture: $(cat "$(log_err unfiltered)")"
ns_spawn cli pings ping -n -i 0.05 "$node_ip"
wait_exit unfiltered 30 0 || fail "the unfiltered capture did not end"
stop pings INT
f=$(log_out unfiltered)
assert_eq 40 "$(pcap_count "$f")" "packets in the unfiltered capture"
assert_eq 0 "$(pcap_count "$f" tcp port 8443)" "packets of port 8443 (the capture's own TLS stream)"
assert_eq 0 "$(pcap_count "$f" not icmp and not arp)" "packets other than the pings (and ARP)"
note "unfiltered capture: $(pcap_count "$f" icmp) of its 40 packets ICMP"

# --- 5. probes -----------------------------------------------------------------
# The image's HEALTHCHECK in the worker container, as docker runs it (its
# Timeout bounds it); prints its exit status.
health() {
    local rc=0 t
    t=$(( $(jq -r '."ddump-worker:latest".healthcheck.Timeout' "$images") / 1000000000 ))
    timeout "$t" ip netns exec "$(ns_name node)" unshare --mount --propagation private -- \
        "$E2E_PYTHON" "$pod_py" run "$pod_json" worker -- "${health_cmd[@]}" >/dev/null 2>&1 || rc=$?
    echo "$rc"
}
assert_eq success "$(probe worker livenessProbe)" "the worker's liveness probe"
assert_eq success "$(probe proxy readinessProbe)" "the proxy's readiness probe"
assert_eq success "$(probe proxy livenessProbe)" "the proxy's liveness probe"
assert_eq 0 "$(health)" "the image's HEALTHCHECK"
for c in worker proxy; do
    note "$c: VmRSS $(status_of "$(pid_of "$c")" VmRSS) kB, VmHWM $(status_of "$(pid_of "$c")" VmHWM) kB (master)"
done
note "nginx, all processes: $(ns_exec node ps -o rss= -u 8476 | awk '{s += $1} END {print s}') kB resident"

stop worker KILL
p=$(probe worker livenessProbe)
assert_contains "$p" "failure: exit status 7" "the worker's liveness probe, worker dead"
assert_contains "$p" "Failed to connect" "curl's reason"
assert_eq 7 "$(health)" "the image's HEALTHCHECK, worker dead (curl: cannot connect)"
assert_contains "$(probe proxy readinessProbe)" "failure: http://127.0.0.1:8444/healthz: HTTP 502" \
    "the proxy's readiness probe, worker dead"
assert_eq success "$(probe proxy livenessProbe)" "the proxy's liveness probe, worker dead (nginx is fine)"

# The kubelet restarts the container: same volume, the dead worker's socket
# file still there.
assert_eq socket "$(stat -c %F "$sock_dir/worker.sock" | awk '{print $NF}')" "the dead worker's socket file"
container worker worker2
expect_exit worker2 0
wait_for 30 probe_ok worker livenessProbe || fail "the restarted worker: $(cat "$(log_err worker2)")"
wait_for 30 probe_ok proxy readinessProbe || fail "the proxy is not ready again"
ns_spawn cli again "$ddump" -q -c 2 "${tls[@]}" "$url" icmp
wait_for 20 active_is 1 || fail "no capture through the restarted worker: $(cat "$(log_err again)")"
ns_exec cli ping -n -c 1 -W 2 "$node_ip" >/dev/null || fail "ping"
wait_exit again 10 0 || fail "ddump -c 2 did not end"
assert_eq 2 "$(pcap_count "$(log_out again)" icmp)" "the ping through the restarted worker"

# Stopped as the runtime stops them: the proxy with its image's STOPSIGNAL.
assert_eq SIGQUIT "$(jq -r '."ddump-proxy:latest".config.StopSignal' "$images")" "the proxy's stop signal"
stop proxy QUIT 15 0
stop worker2 TERM 10 0
t_end=$(date +%s)
note "time: images $(( t_built - t_start )) s, pod and clients $(( t_end - t_built )) s"
pass "images built from deploy/Dockerfile; the pod of deploy/kubernetes/ run from them: mTLS only, proxy port excluded, probes that fail with the worker"
