#!/usr/bin/env bash
# Every example command in README.md's code blocks, run as written, so the
# README cannot rot. Each example is kept below as a literal string; the test
# first asserts that README.md still holds that exact line (and that every
# command line in a ```sh block is either run here or listed as not runnable),
# so an edited example fails this test until the test is updated with it.
#
# The names the examples use (web1 web2 db1 db2 db3 host1 host2) are network
# namespaces on one LAN, each running one of the README's worker lines as
# written, as user nobody with the file capability the README's `setcap` line
# gives: web1 web2 host2 `ddump-worker --listen :8475` (host2 also on :9000,
# for `host2:9000`), db1 db2 db3 host1 the History section's line with
# `--history`, which the History examples need and which serves the live
# examples on those hosts as the plain line would. The
# https ones (web1 web2 db1 host1 host2) also run the systemd unit's ExecStart
# line (a unix socket, --exclude 'tcp port 8443') behind real nginx with
# deploy/nginx/ddump.conf (paths only adapted, as test_deploy_nginx.sh does):
# on host1/host2 as shipped (mTLS + basic auth, for the Deployment line); on
# web1/web2/db1 with its two "To turn it off, comment out the next N lines"
# sections commented out, because the header example gives no client
# certificate and no user. The test body runs in a private mount namespace
# (re-exec through unshare) where /etc/hosts maps those names to the
# namespaces and /usr/local/bin is a scratch install prefix (for the setcap
# line); nothing of it is visible outside.
#
# Each live example runs as `bash -c LINE` in its own session in a client
# namespace; the traffic its filter selects AND traffic it must not select
# flows until its output shows the selected packets of every host, then it is
# ended as a user would: SIGINT to ddump (Ctrl-C; only to ddump, so tcpdump
# reads to EOF) or to curl. Assertions are on what the example printed or
# wrote (tcpdump text, capinfos/tshark counts) and on every exit status.
#
# The History examples run first, while the rings hold nothing but what they
# send, so their outputs can be counted exactly; each sends traffic before it
# starts and proves that traffic is in its output. The past window
# (--since 30s --until 20s) is timed by the clock, its subject: traffic 10 s
# apart before, inside and after it.
#
# README lines NOT run here, and why:
#   sudo bash deploy/demo.sh, sudo bash tests/run.sh: proven as written on a
#     fresh debootstrapped bookworm root by .ci/run (tests/run.sh runs this test).
#   sudo cmake --install ... / sudo apt install ./ddump_*.deb: install into the
#     real system; the .deb is installed into a fresh root and its worker
#     captures by .ci/run (.ci/check_package.sh); test_deploy_files.sh inspects it.
#   sudo adduser --system --group ... ddump-proxy: a user in the real system;
#     test_deploy_proxy_user.sh makes it with the postinst, in a private /etc.
#   sudo cp deploy/systemd/ddump-worker.service deploy/systemd/ddump-proxy.service
#     ..., sudo systemctl enable --now ddump-worker ddump-proxy: no systemd
#     here; the units are checked by systemd-analyze in test_deploy_files.sh,
#     and run as written (ExecStart, User=, Group=, runtime directory) by
#     test_deploy_proxy_user.sh. The worker's ExecStart line (whose socket and
#     --exclude the README comment names) is also what runs behind nginx below.
#   sudo mkdir -p /etc/ddump/tls, sudo cp deploy/nginx/nginx.conf
#     deploy/nginx/ddump.conf /etc/ddump/: system paths; test_deploy_proxy_user.sh
#     puts both in /etc/ddump of a private /etc, and ddump.conf is included by
#     nginx below and in test_deploy_nginx.sh with only its paths changed.
#   the Container and Kubernetes block (docker build, openssl, kubectl, and
#     the `ddump --targets workers.txt` line): run by test_deploy_container.sh,
#     which builds the images with those docker build arguments (podman),
#     makes the certificates with the openssl lines as written and the Secret
#     with the kubectl line (--dry-run=client), runs the pod from the images
#     and the ddump line as written against it, on a workers.txt as the
#     kubectl jsonpath line prints it; test_deploy_files.sh renders the
#     kustomization. No cluster here for kubectl apply and get pods.
#   the Targets by name block (dns:, k8s:, kubectl proxy, --via-apiserver):
#     need a cluster's DNS and API server; test_client_fleet_targets.sh runs
#     the same kinds of target (a selector, a Deployment through kubectl
#     proxy and --via-apiserver, a dns: name) against real workers in two
#     node namespaces, a test API server with the real kubectl, and dnsmasq.
#
# Trust for `https://NAME:8443` without --ca comes from the user's
# environment: ddump uses OpenSSL's default verify paths
# (SSL_CTX_set_default_verify_paths, see client/http_connection.cpp and
# `ddump --help`), which honour SSL_CERT_FILE, set to the test CA for that
# example only. The Deployment line's user alice has no password in the URL:
# it comes from DDUMP_PASSWORD, as the README's flag table and Security
# section say.
set -euo pipefail

if [[ $EUID -eq 0 && "${DDUMP_README_PRIVATE_MOUNTS:-}" != 1 ]]; then
    export DDUMP_README_PRIVATE_MOUNTS=1
    exec unshare --mount --propagation private -- bash "$(readlink -f "$0")" "$@"
fi

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"   # make_pcap, same_records, strict_order, valid_pcap
source "$(dirname "$0")/deploy_lib.sh"   # nginx_conf, nginx_turn_off
e2e_init
e2e_require_cmd nginx openssl curl tshark capinfos mergecap gzip setcap getcap setpriv unshare pgrep ss
[[ "$DDUMP_README_PRIVATE_MOUNTS" == 1 ]] || fail "not in the private mount namespace"
README=$DDUMP_SRC_DIR/README.md

# ---------------------------------------------------------------------------
# The examples, verbatim
# ---------------------------------------------------------------------------
EX_HEADER="ddump https://web1:8443 https://web2:8443 https://db1:8443 'tcp port 5432' | tcpdump -nr -"
EX_SETCAP='sudo setcap cap_net_raw=eip /usr/local/bin/ddump-worker'
EX_WORKER='ddump-worker --listen :8475'
EX_HOSTS="ddump host1 host2:9000 'icmp or udp port 53' | tcpdump -nr -"
EX_MERGE='ddump a.pcap b.pcap > merged.pcap          # a streaming mergecap'
EX_CURL="curl -sN 'http://host1:8475/capture?filter=icmp' | tcpdump -nr -   # curl works too"
EX_PCAPNG="ddump -F pcapng -w all.pcapng db1 db2 'port 5432'"
EX_TSHARK='tshark -r all.pcapng -T fields -e frame.interface_name -e ip.src | sort | uniq -c'
EX_TCPDUMP='tcpdump -nr all.pcapng'
EX_FILE='ddump -w merged.pcap db1 db2          # one merged file'
EX_PERHOST='ddump -w per-host/ db1 db2 db3        # per-host/db1.pcap, per-host/db2.pcap, ...'
EX_RING='ddump -C 100 -W 10 -w ring.pcap db1 db2                 # ring.pcap0..ring.pcap9, 100 MB each'
EX_HOURLY="ddump -G 3600 -z gzip -w 'cap-%Y%m%d-%H.pcap' db1 db2   # hourly files, gzipped when closed"
EX_CLOCK='ddump -v --clock-offset auto db1 db2 -w merged.pcap'
EX_CLOCK_SAYS='# ddump: http://db2:8475/capture: estimated clock offset +2000.3 ms +- 0.2 ms (best of 5 samples), applied'
EX_DEPLOY='ddump --ca ca.crt --cert me.crt --key me.key https://alice@host1:8443 https://alice@host2:8443 | tcpdump -nr -'
EX_HWORKER='ddump-worker --listen :8475 --history 256m --history-snaplen 128   # on every host: the last 256 MiB of headers'
EX_SINCE="ddump --since 30s db1 db2 'port 5432' | tcpdump -nr -              # the last 30 s of both, then live"
EX_WINDOW='ddump --since 30s --until 20s db1 db2 -w incident.pcap             # the 10 s that ended 20 s ago, then exits'
EX_TRIGGER="ddump --trigger 'tcp[tcpflags] & tcp-rst != 0' --before 30s --after 5s db1 db2 db3 -F pcapng -w rst.pcapng"
EX_CURL_SINCE="curl -sN 'http://host1:8475/capture?since=-5m&filter=icmp' | tcpdump -nr -   # the last 5 minutes, then live"
EX_TEXT="ddump -c 10 db1 db2 'port 5432'    # on a terminal: 10:00:01.123456 db1 eth0 In  IP 10.0.0.9.41234 > 10.0.0.21.5432: Flags [S], ..."
EX_JQ="ddump -T ndjson -c 20 db1 db2 'port 5432' | jq -r '[.ts, .host, .dir, .ip.src, .tcp.flags] | @tsv'"
EX_NDJSON="ddump -T ndjson -c 20 db1 db2 'port 5432' > packets.ndjson"
EX_SQLITE="sqlite3 packets.db 'CREATE TABLE p(j TEXT)' '.mode tabs' '.import packets.ndjson p' \"SELECT json_extract(j, '\$.host'), count(*) FROM p GROUP BY 1\""
EX_FLOWS="ddump -T flows --flow-interval 5 db1 db2 'port 5432'"
RUN=("$EX_HEADER" "$EX_SETCAP" "$EX_WORKER" "$EX_HOSTS" "$EX_MERGE" "$EX_CURL" "$EX_PCAPNG" "$EX_TSHARK"
     "$EX_TCPDUMP" "$EX_FILE" "$EX_PERHOST" "$EX_RING" "$EX_HOURLY" "$EX_CLOCK" "$EX_CLOCK_SAYS"
     "$EX_DEPLOY" "$EX_HWORKER" "$EX_SINCE" "$EX_WINDOW" "$EX_TRIGGER" "$EX_CURL_SINCE"
     "$EX_TEXT" "$EX_JQ" "$EX_NDJSON" "$EX_SQLITE" "$EX_FLOWS")
# Not runnable here (see the header comment for why and what covers them).
# shellcheck disable=SC1003  # a README line ends in a backslash
NOT_RUN=(
    'sudo bash deploy/demo.sh   # installs packages, builds (Release), runs a worker on 127.0.0.1 and ddump | tcpdump -nr - for 4 s'
    'sudo bash tests/run.sh     # installs packages, builds with ASan+UBSan, runs every test (unit, e2e, fuzz)'
    'sudo cmake --install build-release --prefix /usr          # or: sudo apt install ./ddump_0.1.0_amd64.deb'
    "sudo adduser --system --group --no-create-home ddump-proxy   # the proxy's user and group (the .deb's postinst makes them)"
    'sudo cp deploy/systemd/ddump-worker.service deploy/systemd/ddump-proxy.service /lib/systemd/system/   # the .deb installs them'
    'sudo mkdir -p /etc/ddump/tls    # server.crt client-ca.crt; server.key and htpasswd (openssl passwd -apr1): root:ddump-proxy 0640'
    'sudo cp deploy/nginx/nginx.conf deploy/nginx/ddump.conf /etc/ddump/   # the proxy: HTTPS :8443, mTLS, basic auth, no buffering'
    "sudo systemctl enable --now ddump-worker ddump-proxy   # unix:/run/ddump/worker.sock (group ddump-proxy), --exclude 'tcp port 8443'"
    'docker build -f deploy/Dockerfile -t ddump-worker .'
    'docker build -f deploy/Dockerfile --target proxy -t ddump-proxy .'
    'openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj /CN=ddump-ca -keyout ca.key -out ca.crt'
    'openssl req -newkey rsa:3072 -nodes -subj /CN=ddump-proxy -addext subjectAltName=IP:10.0.0.11,IP:10.0.0.12 -keyout server.key -out server.csr'
    'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -copy_extensions copy -days 825 -out server.crt'
    'openssl req -newkey rsa:3072 -nodes -subj /CN=alice -keyout me.key -out me.csr'
    'openssl x509 -req -in me.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -out me.crt'
    'kubectl apply -k deploy/kubernetes/'
    'kubectl -n ddump create secret generic ddump-proxy-tls --from-file=tls.crt=server.crt --from-file=tls.key=server.key --from-file=ca.crt=ca.crt'
    'kubectl -n ddump get pods -l app.kubernetes.io/name=ddump-worker \'
    '  -o jsonpath='\''{range .items[*]}https://{.status.hostIP}:8443{"\n"}{end}'\'' > workers.txt'
    "ddump --ca ca.crt --cert me.crt --key me.key --targets workers.txt 'port 53' | tcpdump -nr -"
    "ddump dns:workers.example.internal 'port 53' | tcpdump -nr -     # every address of the name, on :8475"
    "ddump --ca ca.crt --cert me.crt --key me.key k8s:shop/app=checkout 'port 8080' | tcpdump -nr -"
    'kubectl proxy --port 8001 &    # when the nodes'"'"' addresses cannot be reached from here'
    'ddump --via-apiserver http://127.0.0.1:8001 k8s:shop/deploy/web -F pcapng -w web.pcapng'
)

for line in "${RUN[@]}" "${NOT_RUN[@]}"; do
    grep -qxF -- "$line" "$README" ||
        fail "README.md no longer has the line [$line]: update this test together with the README"
done
# Every command line of every ```sh (bash, shell, console) block must be one
# of the above: a new example fails here until this test runs it (or says why
# it cannot).
declare -A KNOWN=()
for line in "${RUN[@]}" "${NOT_RUN[@]}"; do KNOWN[$line]=1; done
while IFS= read -r line; do
    [[ -n "${KNOWN[$line]+x}" ]] || fail "README.md example not covered by this test: [$line]"
done < <(awk '/^```(sh|bash|shell|console)$/ {inside = 1; next} /^```/ {inside = 0; next}
              inside && $0 !~ /^[[:space:]]*(#|$)/' "$README")
pass "README.md holds every example this test runs (${#RUN[@]}) or lists (${#NOT_RUN[@]}), and no other"

cd "$E2E_TMP"
chmod 755 "$E2E_TMP"   # nobody (the workers) reaches its socket directories

# ---------------------------------------------------------------------------
# Hosts: web1 web2 db1 db2 db3 host1 host2 and the client cl on one LAN
# ---------------------------------------------------------------------------
declare -A IP=([web1]=10.213.30.11 [web2]=10.213.30.12 [db1]=10.213.30.21 [db2]=10.213.30.22
               [db3]=10.213.30.23 [host1]=10.213.30.31 [host2]=10.213.30.32)
CL=10.213.30.99
NAMES=(web1 web2 db1 db2 db3 host1 host2)
HTTPS=(web1 web2 db1 host1 host2)
declare -A HISTORY=([db1]=1 [db2]=1 [db3]=1 [host1]=1)   # run $EX_HWORKER
members=("cl=$CL/24")
for h in "${NAMES[@]}"; do
    ns_create "$h"
    members+=("$h=${IP[$h]}/24")
done
ns_create cl
ns_lan lan "${members[@]}"

for h in "${NAMES[@]}"; do printf '%s %s\n' "${IP[$h]}" "$h"; done >etc-hosts
cat /etc/hosts >>etc-hosts
mount --bind "$E2E_TMP/etc-hosts" /etc/hosts || fail "cannot bind-mount /etc/hosts"
assert_eq "${IP[db3]}" "$(getent hosts db3 | awk '{print $1}')" "db3 resolves in the private mount namespace"

# /usr/local/bin: a scratch install prefix holding the binaries under test.
mkdir -m 755 prefix shims
cp "$(e2e_bin ddump-worker)" prefix/ddump-worker
ln -s "$(e2e_bin ddump)" prefix/ddump
mount --bind "$E2E_TMP/prefix" /usr/local/bin || fail "cannot bind-mount /usr/local/bin"
# sudo is not installed here and this test is root already: the stand-in runs
# the command, which is what sudo does for root.
# shellcheck disable=SC2016  # the stand-in's own text
printf '#!/bin/sh\n[ "$(id -u)" = 0 ] || exit 1\nexec "$@"\n' >shims/sudo
chmod 755 shims/sudo
export PATH="$E2E_TMP/shims:/usr/local/bin:$PATH"
assert_eq /usr/local/bin/ddump "$(command -v ddump)" "ddump on PATH"

# --- the worker, on every host (capability instead of root) -----------------
bash -c "$EX_SETCAP" || fail "[$EX_SETCAP] failed"
assert_contains "$(getcap /usr/local/bin/ddump-worker)" "cap_net_raw=eip" "file capability after [$EX_SETCAP]"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
for h in "${NAMES[@]}"; do
    line=$EX_WORKER
    [[ -n "${HISTORY[$h]+x}" ]] && line=$EX_HWORKER
    ns_spawn "$h" "worker_$h" "${as_nobody[@]}" bash -c "$line"
done
ns_spawn host2 worker_host2_9000 "${as_nobody[@]}" bash -c "${EX_WORKER/:8475/:9000}"

# --- the systemd unit's worker and nginx on the https hosts ------------------
exec_start=$(sed -n 's/^ExecStart=//p' "$DDUMP_SRC_DIR/deploy/systemd/ddump-worker.service")
assert_contains "$exec_start" "--listen unix:/run/ddump/worker.sock" "the unit's socket, as the README's comment says"
assert_contains "$exec_start" '--exclude "tcp port 8443"' "the unit's --exclude, as the README's comment says"
PASSWORD='s3cret readme'
pki=$E2E_TMP/pki
mkdir "$pki"
(
    cd "$pki"
    key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${key[@]}" -days 2 -subj "/CN=ddump readme CA" -keyout ca.key -out ca.crt
    printf 'subjectAltName=%s\n' "$(printf 'DNS:%s,' "${HTTPS[@]}" | sed 's/,$//')" >server.ext
    printf 'extendedKeyUsage=clientAuth\n' >me.ext
    for who in server me; do
        openssl req "${key[@]}" -subj "/CN=$who" -keyout "$who.key" -out "$who.csr"
        openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
            -extfile "$who.ext" -out "$who.crt"
    done
) 2>/dev/null || fail "openssl could not make the test PKI"
for h in "${HTTPS[@]}"; do
    # The unit's RuntimeDirectory, 0750 for the worker's user. nginx runs as
    # root here, so www-data stands in for the unit's Group=ddump-proxy (that
    # group and its refusals are test_deploy_proxy_user.sh's).
    run=$E2E_TMP/run-$h
    mkdir -m 750 "$run"
    chown nobody:www-data "$run"
    cmd=${exec_start//\/usr\/bin\/ddump-worker/ddump-worker}
    ns_spawn "$h" "unit_$h" setpriv --reuid=nobody --regid=www-data --clear-groups \
        bash -c "${cmd//\/run\/ddump\/worker.sock/$run/worker.sock}"
    d=$E2E_TMP/nginx-$h
    mkdir "$d"
    cp "$pki"/{server.crt,server.key,ca.crt} "$d/"
    nginx_conf "$d" "$run/worker.sock" 8443
    printf 'alice:%s\n' "$(openssl passwd -apr1 "$PASSWORD")" >"$d/htpasswd"
    if [[ $h != host? ]]; then   # TLS only: mTLS and basic auth commented out, as the file says
        assert_eq 5 "$(nginx_turn_off "$d/ddump.conf")" "mTLS and basic auth lines commented out for $h"
        assert_eq 4 "$(grep -cE '^[[:space:]]*# (ssl_client_certificate|ssl_verify_client|auth_basic)' "$d/ddump.conf")" \
            "mTLS and basic auth directives commented out for $h"
    fi
    ns_spawn "$h" "nginx_$h" nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
done
for h in "${NAMES[@]}"; do
    wait_for_log "worker_$h" 'info listening address=":8475"' 20 || fail "[$EX_WORKER] did not start on $h"
    assert_not_contains "$(cat "$(log_err "worker_$h")")" "running_as_root" "the worker on $h runs without root"
    if [[ -n "${HISTORY[$h]+x}" ]]; then
        wait_for_log "worker_$h" 'info history bytes=268435456 .*snaplen=128 ' 5 ||
            fail "[$EX_HWORKER] on $h does not record 256 MiB of 128-byte records: $(cat "$(log_err "worker_$h")")"
    fi
done
wait_for_log worker_host2_9000 'info listening address=":9000"' 20 || fail "worker on host2:9000 did not start"
for h in "${HTTPS[@]}"; do
    wait_for_log "unit_$h" '"event":"listening"' 20 || fail "the unit's worker did not start on $h"
    wait_for_port "$h" 8443 20 || fail "nginx on $h did not listen: $(cat "$E2E_TMP/nginx-$h/nginx-error.log")"
done
pass "[$EX_SETCAP], [$EX_WORKER] as nobody on web1 web2 host2, [$EX_HWORKER] on ${!HISTORY[*]}; the unit's worker + nginx on ${HTTPS[*]}"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# gen.py [-n ROUNDS] SPEC...: every 20 ms one packet per SPEC (icmp:IP echo
# request, udp:IP:PORT datagram, tcp:IP:PORT connection attempt: a SYN and,
# to a closed port, the RST back); forever, or ROUNDS times.
cat >gen.py <<'PY'
import os, socket, struct, sys, time
args = sys.argv[1:]
rounds = -1
if args[:1] == ["-n"]:
    rounds, args = int(args[1]), args[2:]
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"ddump-readme"
def echo(seq):
    def csum(b):
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xFFFF)
        return ~(s + (s >> 16)) & 0xFFFF
    head = lambda c: struct.pack("!BBHHH", 8, 0, c, os.getpid() & 0xFFFF, seq)
    return head(csum(head(0) + payload)) + payload
seq = 0
while rounds != 0:
    seq = (seq + 1) & 0xFFFF
    for spec in args:
        kind, ip, *port = spec.split(":")
        try:
            if kind == "icmp":
                raw.sendto(echo(seq), (ip, 0))
            elif kind == "udp":
                udp.sendto(payload, (ip, int(port[0])))
            else:
                t = socket.create_connection((ip, int(port[0])), timeout=1)
                t.close()
        except OSError:
            pass
    rounds -= 1
    time.sleep(0.02)
PY
# traffic NAME [-n ROUNDS] SPEC...: gen.py from the client namespace, with
# host names in SPECs turned into their addresses
traffic() {
    local name=$1 args=() a h
    shift
    for a in "$@"; do
        for h in "${NAMES[@]}"; do a=${a/:$h/:${IP[$h]}}; done
        args+=("$a")
    done
    ns_spawn cl "traffic_$name" "$E2E_PYTHON" "$E2E_TMP/gen.py" "${args[@]}"
}
stop_traffic() { stop "traffic_$1" TERM 5 || fail "traffic generator $1 did not stop"; }

re() { printf '%s' "${1//./\\.}"; }   # an address as a regex

# start_example NAME LINE [VAR=VALUE...]: bash -c LINE in the client namespace
# in directory $E2E_TMP/NAME, in its own session (spawn), with the
# environment additions; stdout/stderr are NAME.out/NAME.err; the exit
# statuses of the pipeline go to NAME/.status.
start_example() {
    local name=$1 line=$2
    shift 2
    mkdir -p "$E2E_TMP/$name"
    cd "$E2E_TMP/$name"
    # shellcheck disable=SC2016  # expanded by the example's bash
    ns_spawn cl "$name" env "$@" bash -c "$line"$'\n''echo "${PIPESTATUS[*]}" >.status'
    cd "$E2E_TMP"
}

# interrupt NAME PROG: SIGINT, as Ctrl-C, to PROG in example NAME's process
# group (by PID; only PROG, so the rest of the pipeline reads to EOF), wait
# for the example to end; STATUS = its pipeline's exit statuses.
STATUS=""
interrupt() {
    local name=$1 prog=$2 pid
    pid=$(pgrep -g "$(pid_of "$name")" -x "$prog") || fail "$name: $prog is not running: $(tail -5 "$(log_err "$name")")"
    [[ "$pid" =~ ^[0-9]+$ ]] || fail "$name: more than one $prog: $pid"
    kill -INT "$pid"
    wait_exit "$name" 20 || fail "$name did not end within 20 s of SIGINT to $prog"
    STATUS=$(cat "$E2E_TMP/$name/.status" 2>/dev/null || echo "no status, bash exit $E2E_EXIT_STATUS")
}

# streams NAME N: ddump of example NAME reported N targets streaming
streams() { (( $(grep -c ': streaming$' "$(log_err "$1")" || true) >= $2 )); }
streams_or_ended() { streams "$1" "$2" || ! pid_alive "$(pid_of "$1")"; }
wait_streams() {
    { wait_for 20 streams_or_ended "$1" "$2" && streams "$1" "$2"; } ||
        fail "$1: not every target streams: $(cat "$(log_err "$1")")"
}

# lines FILE ERE: how many lines of FILE match ERE
lines() { grep -cE -- "$2" "$1" || true; }
# has_all FILE ERE...: every ERE matches a line of FILE
has_all() {
    local f=$1 re
    shift
    for re in "$@"; do grep -qE -- "$re" "$f" || return 1; done
}
# pcap_has FILE ERE...: tcpdump -nr FILE (maybe still growing) prints a line for every ERE
pcap_has() {
    local f=$1 out re
    shift
    [[ -s "$f" ]] || return 1
    out=$(timeout 10 tcpdump -nr "$f" 2>/dev/null || true)
    for re in "$@"; do grep -qE -- "$re" <<<"$out" || return 1; done
}
# only_reading NAME: tcpdump's stderr in example NAME is just its "reading" line
tcpdump_clean() {
    assert_eq "" "$(grep '^reading from file -\|tcpdump' "$(log_err "$1")" | grep -v '^reading from file -, link-type LINUX_SLL' || true)" \
        "$1: tcpdump -nr - complained"
}
# printed_all NAME: tcpdump printed one line per packet ddump says it wrote
printed_all() {
    local n
    n=$(sed -nE 's/^ddump: ([0-9]+) packets written .*/\1/p' "$(log_err "$1")")
    assert_eq "$n" "$(wc -l <"$(log_out "$1")")" "$1: tcpdump's lines = the packets ddump wrote"
}
echo_req() { printf '> %s: ICMP echo request' "$(re "${IP[$1]}")"; }
to_port() { printf '> %s\\.%s: ' "$(re "${IP[$1]}")" "$2"; }
# curl_drained NAME N: host1's worker streamed N packets, none is in flight
# (its socket sent everything, curl's has nothing unread) and the curl of
# example NAME waits in poll, not between a read and its write to tcpdump:
# Ctrl-C now cuts no record in half.
curl_drained() {
    local n pid sys
    # From curl's namespace: /stats lists only the asking address's captures.
    n=$(ns_exec cl curl -s --max-time 2 http://host1:8475/stats |
        "$E2E_PYTHON" -c 'import json, sys; print(sum(c["packets"] for c in json.load(sys.stdin)["captures"]))') || return 1
    (( n >= $2 )) || return 1
    [[ -z "$(ns_exec host1 ss -Htn state established '( sport = :8475 )' | awk '$2 != 0')" ]] || return 1
    [[ -z "$(ns_exec cl ss -Htn state established '( dport = :8475 )' | awk '$1 != 0')" ]] || return 1
    pid=$(pgrep -g "$(pid_of "$1")" -x curl) || return 1
    read -r sys _ <"/proc/$pid/syscall" || return 1
    [[ " 7 23 232 270 271 281 " == *" $sys "* ]]   # x86_64 poll select epoll_wait pselect6 ppoll epoll_pwait
}

# at_least_ns T: the clock has reached T (ns since the epoch)
at_least_ns() { (( $(date +%s%N) >= $1 )); }
# history_stat HOST KEY: a number from the history object of HOST's /stats
history_stat() {
    ns_exec cl curl -s --max-time 2 "http://$1:8475/stats" |
        "$E2E_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["history"][sys.argv[1]])' "$2"
}
# rfc3339_us NS: NS as ddump prints a time (UTC, microseconds, truncated)
rfc3339_us() { printf '%s.%06dZ' "$(date -u -d "@$(( $1 / 1000000000 ))" +%Y-%m-%dT%H:%M:%S)" $(( $1 % 1000000000 / 1000 )); }

# ---------------------------------------------------------------------------
# History (first: the rings hold only what these examples send)
# ---------------------------------------------------------------------------
# Before the past window: datagrams that must stay out of it (30+ s old then).
traffic early -n 10 udp:db1:17001 udp:db2:17001
wait_exit traffic_early 30 || fail "traffic before the window did not end"
early_done=$(date +%s%N)

# --- the last 30 s of db1 and db2, then live --------------------------------
# 10 connection attempts to each before ddump starts, 10 after: each host's
# 10 SYNs and 10 RSTs from before the run must be in the output, once. Then
# UDP to port 5432 (selected too) and other traffic flow until tcpdump, whose
# output to a file is block-buffered, has printed all of them.
traffic since_pre -n 10 tcp:db1:5432 tcp:db2:5432
wait_exit traffic_since_pre 30 || fail "traffic before [$EX_SINCE] did not end"
since_from=$(date +%s%N)
start_example since "$EX_SINCE"
wait_streams since 2
since_to=$(date +%s%N)
traffic since_post -n 10 tcp:db1:5432 tcp:db2:5432
wait_exit traffic_since_post 30 || fail "traffic during [$EX_SINCE] did not end"
traffic since_more udp:db1:5432 udp:db2:5432 icmp:db1 udp:db2:5433 tcp:db2:5433
syns_of_both() {
    local h
    for h in db1 db2; do
        (( $(lines "$(log_out since)" "$(to_port "$h" 5432)Flags \[S\]") >= 20 )) || return 1
        (( $(lines "$(log_out since)" "IP $(re "${IP[$h]}")\\.5432 > .*Flags \[R") >= 20 )) || return 1
    done
}
wait_for 30 syns_of_both || fail "[$EX_SINCE]: not 20 SYNs and RSTs of each host: $(cat "$(log_out since)")"
stop_traffic since_more
interrupt since ddump
assert_eq "0 0" "$STATUS" "[$EX_SINCE] exit statuses after Ctrl-C"
out=$(log_out since)
err=$(cat "$(log_err since)")
notes=""
for h in db1 db2; do
    assert_eq 20 "$(lines "$out" "IP $(re "$CL")\\.[0-9]+ $(to_port "$h" 5432)Flags \[S\]")" \
        "[$EX_SINCE]: SYNs to $h:5432, 10 sent before the run and 10 during it, none twice"
    assert_eq 20 "$(lines "$out" "IP $(re "${IP[$h]}")\\.5432 > $(re "$CL")\\.[0-9]+: Flags \[R")" \
        "[$EX_SINCE]: RSTs from $h:5432, 10 before the run and 10 during it"
    # The summary says where the history began when that is after since.
    rec=$(history_stat "$h" recording_since_ns) || fail "no history in $h's /stats"
    note=", history from $(rfc3339_us "$rec") (after the start of the window)"
    line=$(grep -F "ddump: http://$h:8475/capture: " <<<"$err" | grep ' packets, ') ||
        fail "[$EX_SINCE]: no summary line for $h: $err"
    if (( rec > since_to - 30000000000 )); then
        assert_contains "$line" "$note" "[$EX_SINCE]: $h's history began after --since 30s"
        notes+=", $h's summary: history from"
    elif (( rec < since_from - 30000000000 )); then
        assert_not_contains "$line" "history from" "[$EX_SINCE]: $h's history reaches back to --since 30s"
        notes+=", $h's summary: no history from"
    fi
done
assert_ge "$(lines "$out" "$(to_port db1 5432)UDP")" 1 "[$EX_SINCE]: UDP to db1:5432 ('port' is TCP or UDP)"
assert_eq 0 "$(lines "$out" 'ICMP|\.5433[: ]')" "[$EX_SINCE]: ICMP or port 5433 lines"
assert_eq "$(wc -l <"$out")" "$(lines "$out" '\.5432[: ]')" "[$EX_SINCE]: every line is port 5432"
tcpdump_clean since
printed_all since
pass "[$EX_SINCE]: 20 SYNs and 20 RSTs of db1 and of db2, half of them from before the run$notes; exit 0 0"

# --- curl: the last 5 minutes of host1's ICMP, then live ------------------------
traffic curl_pre -n 10 icmp:host1
wait_exit traffic_curl_pre 30 || fail "pings before [$EX_CURL_SINCE] did not end"
start_example curl_since "$EX_CURL_SINCE"
wait_for 20 grep -q '^reading from file -' "$(log_err curl_since)" ||
    fail "[$EX_CURL_SINCE]: no pcap header: $(cat "$(log_err curl_since)")"
traffic curl_post -n 10 icmp:host1 tcp:host1:5432
wait_exit traffic_curl_post 30 || fail "pings during [$EX_CURL_SINCE] did not end"
wait_for 20 curl_drained curl_since 40 || fail "[$EX_CURL_SINCE]: not all 40 ICMP packets were delivered"
interrupt curl_since curl
assert_eq "130 0" "$STATUS" "[$EX_CURL_SINCE] exit statuses after Ctrl-C"
out=$(log_out curl_since)
assert_eq 20 "$(lines "$out" "$(echo_req host1)")" "[$EX_CURL_SINCE]: echo requests, 10 sent before curl started"
assert_eq 20 "$(lines "$out" "IP $(re "${IP[host1]}") > $(re "$CL"): ICMP echo reply")" "[$EX_CURL_SINCE]: echo replies"
assert_eq 40 "$(wc -l <"$out")" "[$EX_CURL_SINCE]: lines, the pings only"
# Two pinging processes, two ICMP ids: the 10 requests from before curl
# started come first, then the 10 sent while it ran.
ids=$(grep -E "$(echo_req host1)" "$out" | sed -E 's/.*, id ([0-9]+), seq ([0-9]+),.*/\1 \2/')
first=$(head -1 <<<"$ids" | cut -d' ' -f1)
last=$(tail -1 <<<"$ids" | cut -d' ' -f1)
[[ "$first" != "$last" ]] || fail "[$EX_CURL_SINCE]: one ICMP id only: $ids"
assert_eq "$(for i in $(seq 1 10); do echo "$first $i"; done; for i in $(seq 1 10); do echo "$last $i"; done)" \
    "$ids" "[$EX_CURL_SINCE]: the earlier pings (seq 1-10), then the later ones (seq 1-10)"
tcpdump_clean curl_since
pass "[$EX_CURL_SINCE]: the 10 pings sent before curl started, then the 10 sent after, with replies"

# --- trigger: a reset on db1, db2 or db3 --------------------------------------
# Datagrams to each host before ddump starts (history, before the trigger)
# and after the reset (after it): the output must hold both, of all three.
traffic trig_pre -n 10 udp:db1:17010 udp:db2:17010 udp:db3:17010
wait_exit traffic_trig_pre 30 || fail "traffic before [$EX_TRIGGER] did not end"
start_example trigger "$EX_TRIGGER"
for h in db1 db2 db3; do
    wait_for_log "worker_$h" 'capture_start .*filter="tcp\[tcpflags\] & tcp-rst != 0"' 20 ||
        fail "[$EX_TRIGGER]: $h was not asked for the trigger: $(cat "$(log_err trigger)")"
done
traffic fire -n 1 tcp:db2:5432   # a SYN to a closed port: db2 answers with the reset
wait_exit traffic_fire 30 || fail "the connection attempt to db2 did not end"
traffic trig_post -n 10 udp:db1:17011 udp:db2:17011 udp:db3:17011
wait_exit traffic_trig_post 30 || fail "traffic after the trigger did not end"
wait_exit trigger 40 || fail "[$EX_TRIGGER] did not end by itself after --after 5s: $(cat "$(log_err trigger)")"
assert_eq 0 "$(cat trigger/.status)" "[$EX_TRIGGER] exit status: $(cat "$(log_err trigger)")"
err=$(cat "$(log_err trigger)")
said=$(grep '^ddump: trigger on ' <<<"$err") || fail "[$EX_TRIGGER]: no trigger line: $err"
assert_eq 1 "$(wc -l <<<"$said")" "[$EX_TRIGGER]: trigger lines"
[[ "$said" =~ ^ddump:\ trigger\ on\ http://db2:8475/capture\ at\ ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z):\ IP\ $(re "${IP[db2]}")\.5432\ \>\ $(re "$CL")\.[0-9]+:\ Flags\ \[R\.\],\ seq\ 0,\ ack\ [0-9]+,\ win\ 0,\ length\ 0$ ]] ||
    fail "[$EX_TRIGGER]: the trigger line does not name db2's reset: [$said]"
t_said=${BASH_REMATCH[1]}
f=trigger/rst.pcapng
# The packet with a comment: db2's reset, at the time the line says.
comments=$(tshark -r "$f" -Y frame.comment -T fields -e frame.interface_name -e ip.src -e tcp.srcport \
    -e tcp.flags.reset -e frame.time_epoch -e frame.comment 2>/dev/null)
assert_eq 1 "$(wc -l <<<"$comments")" "[$EX_TRIGGER]: packets with a comment: [$comments]"
IFS=$'\t' read -r c_if c_src c_port c_rst c_time c_text <<<"$comments"
assert_eq "db2:vlan ${IP[db2]} 5432 1" "$c_if $c_src $c_port $c_rst" "[$EX_TRIGGER]: the commented packet is db2's reset"
assert_eq "ddump trigger (--trigger tcp[tcpflags] & tcp-rst != 0) on http://db2:8475/capture" "$c_text" \
    "[$EX_TRIGGER]: the comment"
frac=${c_time#*.}000000000
t_ns=$(( ${c_time%.*} * 1000000000 + 10#${frac:0:9} ))
assert_eq "$t_said" "$(rfc3339_us "$t_ns")" "[$EX_TRIGGER]: the line's time is the packet's"
# Per host: its 10 earlier datagrams before the reset, its 10 later ones after it.
sides=$(tshark -r "$f" -Y '(udp.dstport == 17010 or udp.dstport == 17011) and not icmp' -T fields \
    -e frame.interface_name -e udp.dstport -e frame.time_epoch 2>/dev/null |
    awk -v t="$c_time" '{ print $1, $2, ($3 < t ? "before" : "after") }' | sort | uniq -c | awk '{$1 = $1; print}')
assert_eq "10 db1:vlan 17010 before
10 db1:vlan 17011 after
10 db2:vlan 17010 before
10 db2:vlan 17011 after
10 db3:vlan 17010 before
10 db3:vlan 17011 after" "$sides" "[$EX_TRIGGER]: each host's datagrams on both sides of the reset"
strict_order "$f"
pass "[$EX_TRIGGER]: fired on db2's reset ($t_said), 10 datagrams of each host before it and 10 after, the reset commented; exit 0"

# --- a window in the past: from 30 s ago to 20 s ago --------------------------
# Datagrams before it (17001, sent first), inside it (17002) and after it
# (17003): only those inside are in incident.pcap.
wait_for 30 at_least_ns $(( early_done + 10500000000 )) || fail "the clock does not move"
inside_from=$(date +%s%N)
traffic inside -n 10 udp:db1:17002 udp:db2:17002
wait_exit traffic_inside 30 || fail "traffic inside the window did not end"
inside_to=$(date +%s%N)
ready=$(( inside_to + 20500000000 ))
(( ready > early_done + 30500000000 )) || ready=$(( early_done + 30500000000 ))
wait_for 40 at_least_ns "$ready" || fail "the clock does not move"
traffic after -n 10 udp:db1:17003 udp:db2:17003
wait_exit traffic_after 30 || fail "traffic after the window did not end"
# ddump must take its "30s ago" before the traffic inside is 30 s old.
at_least_ns $(( inside_from + 28500000000 )) &&
    fail "sending the datagrams after the window took until 1.5 s before those inside it are 30 s old: no time to start [$EX_WINDOW]"
start_example window "$EX_WINDOW"
wait_exit window 30 || fail "[$EX_WINDOW] did not end by itself: $(cat "$(log_err window)")"
assert_eq 0 "$(cat window/.status)" "[$EX_WINDOW] exit status: $(cat "$(log_err window)")"
f=window/incident.pcap
valid_pcap "$f" >/dev/null
for h in db1 db2; do
    assert_eq 0 "$(pcap_count "$f" udp dst port 17001 and dst host "${IP[$h]}")" "[$EX_WINDOW]: $h's datagrams from before the window"
    assert_eq 10 "$(pcap_count "$f" udp dst port 17002 and dst host "${IP[$h]}")" "[$EX_WINDOW]: $h's datagrams inside it"
    assert_eq 0 "$(pcap_count "$f" udp dst port 17003 and dst host "${IP[$h]}")" "[$EX_WINDOW]: $h's datagrams from after it"
done
assert_not_contains "$(cat "$(log_err window)")" "history from" "[$EX_WINDOW]: both histories reach back to it"
strict_order "$f"
pass "[$EX_WINDOW]: the 10 datagrams to db1 and to db2 inside the window, none of those 10 s before or after it; ended by itself, exit 0"

# ---------------------------------------------------------------------------
# Header: three https workers, no --ca (SSL_CERT_FILE), 'tcp port 5432'
# ---------------------------------------------------------------------------
start_example header "$EX_HEADER" SSL_CERT_FILE="$pki/ca.crt"
wait_streams header 3
traffic header tcp:web1:5432 tcp:web2:5432 tcp:db1:5432 icmp:web1 icmp:web2 icmp:db1 tcp:db1:5433 udp:db1:5432
want=()
for h in web1 web2 db1; do want+=("$(to_port "$h" 5432)" "IP $(re "${IP[$h]}")\\.5432 > "); done
wait_for 30 has_all "$(log_out header)" "${want[@]}" || fail "[$EX_HEADER]: no port 5432 lines from every host"
stop_traffic header
interrupt header ddump
assert_eq "0 0" "$STATUS" "[$EX_HEADER] exit statuses after Ctrl-C"
out=$(log_out header)
for h in web1 web2 db1; do
    assert_ge "$(lines "$out" "IP $(re "$CL")\\.[0-9]+ $(to_port "$h" 5432)Flags \[S\]")" 1 "SYNs to $h:5432"
    assert_ge "$(lines "$out" "IP $(re "${IP[$h]}")\\.5432 > $(re "$CL")\\.[0-9]+: Flags \[R")" 1 "RSTs from $h:5432"
done
assert_eq 0 "$(lines "$out" 'ICMP')" "ICMP lines in [$EX_HEADER]"
assert_eq 0 "$(lines "$out" '\.5433: |UDP')" "port 5433 or UDP lines in [$EX_HEADER]"
assert_eq "$(wc -l <"$out")" "$(lines "$out" '\.5432[: ].*(Flags|tcp)')" "every line is TCP port 5432"
tcpdump_clean header
printed_all header
pass "[$EX_HEADER]: $(wc -l <"$out") lines, port 5432 of web1, web2 and db1, nothing else; exit 0 0 after Ctrl-C"

# ---------------------------------------------------------------------------
# Usage: two bare host targets (one with a port), 'icmp or udp port 53'
# ---------------------------------------------------------------------------
start_example usage "$EX_HOSTS"
wait_streams usage 2
traffic usage icmp:host1 icmp:host2 udp:host1:53 udp:host2:53 udp:host1:5353 udp:host2:5353 tcp:host1:5432
wait_for 30 has_all "$(log_out usage)" "$(echo_req host1)" "$(echo_req host2)" "$(to_port host1 53)" \
    "$(to_port host2 53)" || fail "[$EX_HOSTS]: no ICMP and port 53 lines from both hosts"
stop_traffic usage
interrupt usage ddump
assert_eq "0 0" "$STATUS" "[$EX_HOSTS] exit statuses after Ctrl-C"
out=$(log_out usage)
for h in host1 host2; do
    assert_ge "$(lines "$out" "$(echo_req "$h")")" 1 "echo requests to $h"
    assert_ge "$(lines "$out" "IP $(re "${IP[$h]}") > $(re "$CL"): ICMP echo reply")" 1 "echo replies from $h"
    assert_ge "$(lines "$out" "IP $(re "$CL")\\.[0-9]+ $(to_port "$h" 53)")" 1 "UDP to $h:53"
done
assert_eq 0 "$(lines "$out" '\.5353: |\.5432: ')" "lines of UDP 5353 or TCP 5432 in [$EX_HOSTS]"
assert_eq "$(wc -l <"$out")" "$(lines "$out" 'ICMP|\.53: ')" "every line is ICMP or port 53"
tcpdump_clean usage
printed_all usage
pass "[$EX_HOSTS]: ICMP and UDP 53 of host1 and host2:9000, no other UDP or TCP; exit 0 0"

# ---------------------------------------------------------------------------
# Usage: a streaming mergecap
# ---------------------------------------------------------------------------
mkdir merge
make_pcap merge/a.pcap 300 1 40
make_pcap merge/b.pcap 200 2 60
mergecap -F pcap -w merge/expected.pcap merge/a.pcap merge/b.pcap
st=0
(cd merge && timeout 30 bash -c "$EX_MERGE") 2>merge.err || st=$?
assert_eq 0 "$st" "[$EX_MERGE] exit status: $(cat merge.err)"
assert_eq 500 "$(valid_pcap merge/merged.pcap)" "packets in merged.pcap"
strict_order merge/merged.pcap
same_records merge/merged.pcap merge/expected.pcap "[$EX_MERGE] vs mergecap"
pass "[$EX_MERGE]: 300 + 200 packets, strict time order, the same records as mergecap"

# ---------------------------------------------------------------------------
# Usage: curl works too
# ---------------------------------------------------------------------------
start_example curl "$EX_CURL"
wait_for 20 grep -q '^reading from file -' "$(log_err curl)" || fail "[$EX_CURL]: no pcap header: $(cat "$(log_err curl)")"
traffic curl -n 20 icmp:host1 tcp:host1:5432 tcp:host1:8080
wait_exit traffic_curl 30 || fail "traffic for curl did not end"
wait_for 20 curl_drained curl 40 || fail "[$EX_CURL]: the 40 ICMP packets were not all delivered"
interrupt curl curl
assert_eq "130 0" "$STATUS" "[$EX_CURL] exit statuses after Ctrl-C (curl killed by SIGINT, tcpdump at EOF)"
out=$(log_out curl)
assert_eq 20 "$(lines "$out" "$(echo_req host1)")" "echo requests in [$EX_CURL]"
assert_eq 20 "$(lines "$out" "IP $(re "${IP[host1]}") > $(re "$CL"): ICMP echo reply")" "echo replies in [$EX_CURL]"
assert_eq 40 "$(wc -l <"$out")" "lines in [$EX_CURL]: the pings only, no TCP"
tcpdump_clean curl
pass "[$EX_CURL]: the 20 pings and replies, no TCP; tcpdump reads to EOF after Ctrl-C"

# ---------------------------------------------------------------------------
# Output modes: pcapng with the host of every packet
# ---------------------------------------------------------------------------
start_example pcapng "$EX_PCAPNG"
wait_streams pcapng 2
traffic pcapng tcp:db1:5432 tcp:db2:5432 icmp:db1 icmp:db2 udp:db1:53 udp:db2:5432
wait_for 30 pcap_has pcapng/all.pcapng "$(to_port db1 5432)" "$(to_port db2 5432)" ||
    fail "[$EX_PCAPNG]: all.pcapng lacks port 5432 of db1 and db2"
stop_traffic pcapng
interrupt pcapng ddump
assert_eq 0 "$STATUS" "[$EX_PCAPNG] exit status after Ctrl-C"
st=0
tsh=$(cd pcapng && timeout 60 bash -c "$EX_TSHARK" 2>"$E2E_TMP/tshark.err") || st=$?
assert_eq 0 "$st" "[$EX_TSHARK] exit status: $(cat tshark.err)"
note "[$EX_TSHARK]:"$'\n'"$tsh"
for h in db1 db2; do
    # requests (from the client) and RSTs (from the host) on HOST:IFNAME
    assert_contains "$tsh" " $h:vlan	$CL" "[$EX_TSHARK]: client's packets on $h"
    assert_contains "$tsh" " $h:vlan	${IP[$h]}" "[$EX_TSHARK]: $h's own packets on $h"
done
assert_eq 4 "$(wc -l <<<"$tsh")" "[$EX_TSHARK] lines: 2 interfaces x 2 sources"
st=0
tcp=$(cd pcapng && timeout 60 bash -c "$EX_TCPDUMP" 2>"$E2E_TMP/tcpdump.err") || st=$?
assert_eq 0 "$st" "[$EX_TCPDUMP] exit status: $(cat tcpdump.err)"
total=$(pcap_count pcapng/all.pcapng)
assert_eq "$total" "$(grep -cE '\.5432[: ]' <<<"$tcp" || true)" "[$EX_TCPDUMP]: every packet is port 5432"
assert_ge "$(grep -cE "$(to_port db2 5432)UDP" <<<"$tcp" || true)" 1 "[$EX_TCPDUMP]: UDP to db2:5432 ('port' is TCP or UDP)"
assert_eq 0 "$(grep -cE 'ICMP|\.53: ' <<<"$tcp" || true)" "ICMP or port 53 in [$EX_TCPDUMP]"
pass "[$EX_PCAPNG]: $total packets on db1:vlan and db2:vlan; [$EX_TSHARK] and [$EX_TCPDUMP] read it"

# ---------------------------------------------------------------------------
# Output modes: lines for people and programs
# ---------------------------------------------------------------------------
# On a terminal (script(1) gives ddump one): text, ten lines, no binary.
mkdir -p "$E2E_TMP/text"
ns_spawn cl text script -qfec "cd '$E2E_TMP/text' && $EX_TEXT" "$E2E_TMP/text/typescript"
traffic text tcp:db1:5432 tcp:db2:5432 udp:db1:53
wait_exit text 40 || fail "[$EX_TEXT] did not end after 10 packets: $(tail -5 text/typescript)"
text_status=$E2E_EXIT_STATUS
stop_traffic text
assert_eq 0 "$text_status" "[$EX_TEXT] exit status"
# the packet lines (script(1) adds its own first and last lines)
tr -d '\r' <text/typescript | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.' >text/lines || true
assert_eq 10 "$(lines text/lines "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} db[12] vlan (In |Out) IP [0-9.]+ > [0-9.]+: Flags \[")" \
    "[$EX_TEXT]: ten tcpdump -n lines with host, interface and direction"
assert_eq 10 "$(lines text/lines '\.5432[ :]')" "[$EX_TEXT]: every line is port 5432"
LC_ALL=C grep -qP '[^\x09\x0a\x0d\x20-\x7e]' text/typescript && fail "[$EX_TEXT]: non-printable bytes on the terminal"

start_example jq "$EX_JQ"
traffic jq tcp:db1:5432 tcp:db2:5432 udp:db1:53
wait_exit jq 40 || fail "[$EX_JQ] did not end after 20 packets: $(cat "$(log_err jq)")"
stop_traffic jq
assert_eq "0 0" "$(cat jq/.status)" "[$EX_JQ] exit statuses"
assert_eq 20 "$(lines "$(log_out jq)" $'^20[0-9-]{8}T[0-9:]{8}\\.[0-9]{9}Z\t(db1|db2)\t(in|out)\t10\\.213\\.30\\.[0-9]+\t(S|AR)$')" \
    "[$EX_JQ]: 20 lines of time, host, direction, source and SYN or RST flags"

start_example ndjson "$EX_NDJSON"
traffic ndjson tcp:db1:5432 tcp:db2:5432 udp:db1:53
wait_exit ndjson 40 || fail "[$EX_NDJSON] did not end after 20 packets: $(cat "$(log_err ndjson)")"
stop_traffic ndjson
assert_eq 0 "$(cat ndjson/.status)" "[$EX_NDJSON] exit status"
assert_eq 20 "$(jq -c 'select(.tcp.dport == 5432 or .tcp.sport == 5432)' ndjson/packets.ndjson | wc -l)" \
    "[$EX_NDJSON]: 20 JSON lines of port 5432"
st=0
sq=$(cd ndjson && timeout 60 bash -c "$EX_SQLITE" 2>"$E2E_TMP/sqlite.err") || st=$?
assert_eq 0 "$st" "[$EX_SQLITE] exit status: $(cat sqlite.err)"
assert_eq 20 "$(awk -F'\t' '$1 == "db1" || $1 == "db2" {n += $2} END {print n}' <<<"$sq")" \
    "[$EX_SQLITE]: the 20 packets counted per host: $sq"

start_example flows "$EX_FLOWS"
wait_streams flows 2
traffic flows tcp:db1:5432 tcp:db2:5432 udp:db1:53
flows_of_both() {
    jq -r '.host' "$(log_out flows)" 2>/dev/null | grep -q db1 && jq -r '.host' "$(log_out flows)" | grep -q db2
}
wait_for 40 flows_of_both || fail "[$EX_FLOWS]: no interval with flows of db1 and db2: $(cat "$(log_out flows)")"
stop_traffic flows
interrupt flows ddump
assert_eq 0 "$STATUS" "[$EX_FLOWS] exit status after Ctrl-C"
assert_eq 0 "$(jq -c 'select(.proto != 6 or (.dport != 5432 and .sport != 5432) or .packets < 1 or .bytes < 40)' "$(log_out flows)" | wc -l)" \
    "[$EX_FLOWS]: only TCP port 5432 flows, each with packets and bytes"
pass "[$EX_TEXT] on a terminal, [$EX_JQ], [$EX_NDJSON] + [$EX_SQLITE], [$EX_FLOWS]"

# ---------------------------------------------------------------------------
# Output modes: files, rotation and clock offsets: five at once, unfiltered,
# while the client pings db1, db2 and db3
# ---------------------------------------------------------------------------
hour0=$(date +%Y%m%d-%H)
start_example file "$EX_FILE"
start_example perhost "$EX_PERHOST"
start_example ring "$EX_RING"
start_example hourly "$EX_HOURLY"
start_example clock "$EX_CLOCK"
for x in file:2 perhost:3 ring:2 hourly:2 clock:2; do wait_streams "${x%:*}" "${x#*:}"; done
traffic files icmp:db1 icmp:db2 icmp:db3 udp:db1:17000
hourly_file() {  # the strftime-named file being written
    local f
    for f in hourly/cap-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9].pcap; do
        [[ -f "$f" ]] && printf '%s\n' "${f#hourly/}" && return 0
    done
    return 1
}
files_written() {
    local both=("$(echo_req db1)" "$(echo_req db2)") hf
    hf=$(hourly_file) || return 1
    pcap_has file/merged.pcap "${both[@]}" &&
        pcap_has perhost/per-host/db1.pcap "$(echo_req db1)" &&
        pcap_has perhost/per-host/db2.pcap "$(echo_req db2)" &&
        pcap_has perhost/per-host/db3.pcap "$(echo_req db3)" &&
        pcap_has ring/ring.pcap0 "${both[@]}" &&
        pcap_has "hourly/$hf" "${both[@]}" &&
        pcap_has clock/merged.pcap "${both[@]}"
}
wait_for 40 files_written || fail "the file examples did not all write both hosts' pings"
stop_traffic files
hour_name=$(hourly_file)
hour1=$(date +%Y%m%d-%H)
for x in file perhost ring hourly clock; do
    interrupt "$x" ddump
    assert_eq 0 "$STATUS" "exit status of $x after Ctrl-C: $(tail -3 "$(log_err "$x")")"
done

f=file/merged.pcap
valid_pcap "$f" >/dev/null
assert_ge "$(pcap_count "$f" icmp and dst host "${IP[db1]}")" 1 "[$EX_FILE]: pings to db1"
assert_ge "$(pcap_count "$f" icmp and dst host "${IP[db2]}")" 1 "[$EX_FILE]: pings to db2"
assert_eq 0 "$(pcap_count "$f" ip host "${IP[db3]}")" "[$EX_FILE]: db3's packets"
assert_eq 0 "$(pcap_count "$f" tcp port 8475)" "[$EX_FILE]: the workers' own streams"
strict_order "$f"
pass "[$EX_FILE]: $(pcap_count "$f") packets of db1 and db2, none of db3 or of the streams"

assert_eq "db1.pcap db2.pcap db3.pcap" "$(cd perhost/per-host && echo *)" "[$EX_PERHOST] files"
for h in db1 db2 db3; do
    f=perhost/per-host/$h.pcap
    valid_pcap "$f" >/dev/null
    others=()
    for o in db1 db2 db3; do [[ $o == "$h" ]] || others+=("${IP[$o]}"); done
    assert_ge "$(pcap_count "$f" icmp and host "${IP[$h]}")" 1 "[$EX_PERHOST]: $h's pings in $h.pcap"
    assert_eq 0 "$(pcap_count "$f" ip host "${others[0]}" or ip host "${others[1]}")" "[$EX_PERHOST]: other hosts' in $h.pcap"
done
pass "[$EX_PERHOST]: per-host/db1.pcap db2.pcap db3.pcap, each only its host's packets"

assert_eq "ring.pcap0" "$(cd ring && echo *)" "[$EX_RING]: the ring's first file only (far from 100 MB)"
valid_pcap ring/ring.pcap0 >/dev/null
pass "[$EX_RING]: ring.pcap0 ($(pcap_count ring/ring.pcap0) packets)"

[[ "$hour_name" == "cap-$hour0.pcap" || "$hour_name" == "cap-$hour1.pcap" ]] ||
    fail "[$EX_HOURLY]: file '$hour_name', not cap-$hour0.pcap (strftime of the start)"
assert_eq "$hour_name.gz" "$(cd hourly && echo *)" "[$EX_HOURLY]: only the gzipped file is left at exit"
gzip -dc "hourly/$hour_name.gz" >hourly.pcap || fail "[$EX_HOURLY]: not a gzip file"
valid_pcap hourly.pcap >/dev/null
assert_ge "$(pcap_count hourly.pcap icmp and dst host "${IP[db2]}")" 1 "[$EX_HOURLY]: db2's pings in $hour_name.gz"
pass "[$EX_HOURLY]: $hour_name, gzipped to $hour_name.gz at exit"

f=clock/merged.pcap
valid_pcap "$f" >/dev/null
assert_ge "$(pcap_count "$f" icmp)" 2 "[$EX_CLOCK]: pings in merged.pcap"
# numbers as N: the line ddump prints has the README's shape
shape() { sed -E 's/[-+]?[0-9]+(\.[0-9]+)?/N/g'; }
for h in db1 db2; do
    said=$(grep -F "ddump: http://$h:8475/capture: estimated clock offset" "$(log_err clock)") ||
        fail "[$EX_CLOCK]: no estimate for $h: $(cat "$(log_err clock)")"
    readme_says=${EX_CLOCK_SAYS#\# }
    assert_eq "$(shape <<<"${readme_says//db2/$h}")" "$(shape <<<"$said")" "[$EX_CLOCK]: the README's line for $h"
    ms=$(sed -E 's/.*estimated clock offset [-+]?([0-9]+)\..*/\1/' <<<"$said")
    assert_le "$ms" 50 "[$EX_CLOCK]: $h shares our clock (|offset| ms)"
done
pass "[$EX_CLOCK]: -v says what the README shows, for db1 and db2"

# ---------------------------------------------------------------------------
# Deployment: through nginx (ddump.conf as shipped: mTLS + basic auth)
# ---------------------------------------------------------------------------
mkdir deploy
cp "$pki/ca.crt" deploy/ca.crt
cp "$pki/me.crt" deploy/me.crt
cp "$pki/me.key" deploy/me.key
start_example deploy "$EX_DEPLOY" DDUMP_PASSWORD="$PASSWORD"
wait_streams deploy 2
traffic deploy icmp:host1 icmp:host2 udp:host1:17000
wait_for 30 has_all "$(log_out deploy)" "$(echo_req host1)" "$(echo_req host2)" ||
    fail "[$EX_DEPLOY]: no pings of both hosts"
stop_traffic deploy
interrupt deploy ddump
assert_eq "0 0" "$STATUS" "[$EX_DEPLOY] exit statuses after Ctrl-C"
out=$(log_out deploy)
assert_ge "$(lines "$out" "$(to_port host1 17000)")" 1 "[$EX_DEPLOY]: unfiltered: UDP too"
assert_eq 0 "$(lines "$out" '\.8443[: ]')" "[$EX_DEPLOY]: the proxy's own TLS (excluded by the unit)"
assert_not_contains "$(cat "$(log_err deploy)")" "warning" "[$EX_DEPLOY] stderr"
tcpdump_clean deploy
printed_all deploy
pass "[$EX_DEPLOY]: both hosts through nginx (mTLS + alice), unfiltered, none of port 8443; exit 0 0"
