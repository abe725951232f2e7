#!/usr/bin/env bash
# A filter cannot make the worker resolve a name: by default a host or network
# name is a 400 at once, and the worker's DNS server receives no query at all
# (dnsmasq --log-queries). Service and protocol names (port http, proto \udp)
# are local files and still work. With --filter-names resolve the name is
# looked up and the capture runs; a resolver that never answers then holds
# the compile turns (2 at a time), and the next capture gets 503 +
# Retry-After after waiting 1 s.
#
# Each worker runs in a private mount namespace (unshare -m) where
# /etc/resolv.conf points at a DNS server in its network namespace and
# /etc/nsswitch.conf says "hosts: files dns".
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd dnsmasq unshare mount

ns_create a
printf 'hosts: files dns\nnetworks: files dns\nservices: files\nprotocols: files\n' \
    >"$E2E_TMP/nsswitch.conf"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"$E2E_TMP/resolv.dnsmasq"
printf 'nameserver 127.0.0.2\noptions timeout:5 attempts:1\n' >"$E2E_TMP/resolv.silent"

ns_spawn a dns dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address=127.0.0.1 --bind-interfaces --port=53 --user=root \
    --pid-file="$E2E_TMP/dns.pid" --log-queries --log-facility="$E2E_TMP/dns.log" \
    --address=/some.name/10.9.8.7
wait_for_udp_port a 53 || fail "dnsmasq did not start: $(cat "$(log_err dns)")"
queries() { grep -c 'query\[' "$E2E_TMP/dns.log" || true; }
assert_eq 1 "$(ns_exec a unshare --mount --propagation private -- sh -c \
    'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf &&
     getent hosts some.name' sh "$E2E_TMP/resolv.dnsmasq" "$E2E_TMP/nsswitch.conf" |
    grep -c '^10\.9\.8\.7 ')" "some.name resolves through dnsmasq in the private mount namespace"
assert_eq 2 "$(queries)" "dnsmasq logs queries (A and AAAA of the getent check)"
: >"$E2E_TMP/dns.log"

# start_private_worker NAME RESOLV_CONF [ARGS...]: sets WORKER_PORT.
start_private_worker() {
    local name=$1 resolv=$2
    shift 2
    ns_spawn a "$name" unshare --mount --propagation private -- sh -c \
        'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf &&
         shift 2 && exec "$@"' \
        sh "$resolv" "$E2E_TMP/nsswitch.conf" "$(e2e_bin ddump-worker)" \
        --listen 127.0.0.1:0 -B 1024 "$@"
    wait_for_log "$name" 'info listening address=' 10 ||
        fail "worker $name did not start: $(cat "$(log_err "$name")")"
    WORKER_PORT=$(grep -m1 'info listening address=' "$(log_err "$name")" |
        sed -E 's/.*address="[^"]*:([0-9]+)".*/\1/')
}

# request NAME FILTER [CURL_ARGS...]: prints "STATUS MILLISECONDS"; body in $E2E_TMP/NAME.body
request() {
    local name=$1 filter=$2 out
    shift 2
    out=$(ns_exec a curl -s -G -o "$E2E_TMP/$name.body" -w '%{http_code} %{time_total}' \
        --max-time 20 "http://127.0.0.1:$WORKER_PORT/capture" --data-urlencode "filter=$filter" \
        --data-urlencode duration=0.3 "$@")
    awk '{printf "%s %d\n", $1, $2 * 1000}' <<<"$out"
}
body_error() { "$E2E_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$1"; }

# The flag: documented, and a bad value is one line and exit 2.
worker=$(e2e_bin ddump-worker)
assert_contains "$("$worker" --help)" "--filter-names MODE" "--help lists --filter-names"
rc=0
err=$("$worker" --filter-names maybe 2>&1 >/dev/null) || rc=$?
assert_eq 2 "$rc" "--filter-names maybe: exit status"
assert_eq 'ddump-worker: --filter-names must be refuse or resolve, got "maybe"' "$err" \
    "--filter-names maybe: message"

# --- refuse (the default) ----------------------------------------------------
start_private_worker refuse "$E2E_TMP/resolv.dnsmasq"
fastest=100000
i=0
for f in "host some.name" "host some.name" "host some.name" "src some.name" "net some.name" \
    "tcp port 80 and host some.name" "host 10.1.2.3 or some.name" "host (10.1.2.3 or some.name)" \
    "host 10.1.2.3 and not some.name" "ip6 dst some.name" "host \\some.name" \
    "ether host some.name" "gateway some.name" "tcp and some.name"; do
    i=$((i + 1))
    read -r code ms <<<"$(request "r$i" "$f")"
    assert_eq 400 "$code" "[$f]: status"
    assert_eq "bad filter: \"some.name\" is a host or network name, and this worker resolves no names in filters (a lookup would leak the name and stall the capture): use an address, or start the worker with --filter-names resolve" \
        "$(body_error "$E2E_TMP/r$i.body")" "[$f]: error"
    assert_le "$ms" 5000 "[$f]: milliseconds to the 400"
    (( ms < fastest )) && fastest=$ms
done
note "fastest 400 for a name: $fastest ms"
assert_le "$fastest" 100 "a name is refused within 100 ms"
# Services and protocols come from local files: captures, and no query either.
for f in "port http or https" "tcp port 80 or domain" "ip proto \\udp or \\tcp" \
    "portrange ftp-http" "host 10.1.2.3 and port http"; do
    i=$((i + 1))
    read -r code ms <<<"$(request "r$i" "$f")"
    assert_eq 200 "$code" "[$f]: status ($(head -c 300 "$E2E_TMP/r$i.body" | tr -d '\0'))"
done
assert_eq 0 "$(queries)" "DNS queries from the default worker"
stop refuse TERM

# --- --filter-names resolve ---------------------------------------------------
start_private_worker resolve "$E2E_TMP/resolv.dnsmasq" --filter-names resolve
read -r code ms <<<"$(request resolved "host some.name" -D "$E2E_TMP/resolved.head")"
assert_eq 200 "$code" "host some.name with --filter-names resolve"
assert_contains "$(tr -d '\r' <"$E2E_TMP/resolved.head")" \
    "X-Ddump-Filter: not ((host 127.0.0.1 and tcp port $WORKER_PORT)) and (host some.name)" \
    "effective filter"
assert_ge "$(grep -c 'query\[A\] some.name from 127.0.0.1' "$E2E_TMP/dns.log" || true)" 1 \
    "the worker asked dnsmasq for some.name"
stop resolve TERM

# --- a resolver that never answers holds both compile turns -------------------
ns_spawn a silent "$E2E_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 53))
log = open(sys.argv[1], "a", buffering=1)
log.write("ready\n")
while True:
    data, _ = s.recvfrom(4096)
    labels, pos = [], 12
    while pos < len(data) and data[pos] != 0:
        labels.append(data[pos + 1:pos + 1 + data[pos]].decode("ascii", "replace"))
        pos += 1 + data[pos]
    log.write(".".join(labels) + "\n")
' "$E2E_TMP/silent.log"
wait_for 5 grep -q ready "$E2E_TMP/silent.log" || fail "the silent DNS server did not start"
start_private_worker stalled "$E2E_TMP/resolv.silent" --filter-names resolve
for n in 1 2; do
    ns_spawn a "slow$n" curl -s -G -o "$E2E_TMP/slow$n.body" -w '%{http_code}' --max-time 30 \
        "http://127.0.0.1:$WORKER_PORT/capture" --data-urlencode "filter=host slow$n.test"
done
asked() { grep -q "^slow1\.test$" "$E2E_TMP/silent.log" && grep -q "^slow2\.test$" "$E2E_TMP/silent.log"; }
wait_for 10 asked || fail "the worker did not ask for both slow names"
hdr=$(ns_exec a curl -s -D - -o "$E2E_TMP/busy.body" -w '%{time_total}' --max-time 10 \
    "http://127.0.0.1:$WORKER_PORT/capture?filter=icmp&duration=0.3" | tr -d '\r')
assert_contains "$hdr" "HTTP/1.1 503" "a capture while both turns are held"
assert_contains "$hdr" "Retry-After: 1" "Retry-After"
assert_eq "too many captures starting at once (2 compile their filters at a time)" \
    "$(body_error "$E2E_TMP/busy.body")" "503 error"
# Still opening, so not yet capturing: neither is shown as active.
assert_eq 0 "$(ns_exec a curl -s --max-time 5 "http://127.0.0.1:$WORKER_PORT/metrics" |
    awk '$1 == "ddump_captures_active" { print $2 }')" "captures still compiling are not active"
assert_eq "0 0" "$(ns_exec a curl -s --max-time 5 "http://127.0.0.1:$WORKER_PORT/stats" |
    "$E2E_PYTHON" -c 'import json, sys; s = json.load(sys.stdin); print(s["captures_active"], len(s["captures"]))')" \
    "/stats lists no capture still compiling"
for n in 1 2; do
    wait_exit "slow$n" 30 || fail "slow$n did not end"
    assert_eq 400 "$(cat "$(log_out "slow$n")")" "slow$n: the name never resolved"
    assert_eq "bad filter: unknown host 'slow$n.test'" "$(body_error "$E2E_TMP/slow$n.body")" \
        "slow$n: error"
done
read -r code ms <<<"$(request after icmp)"
assert_eq 200 "$code" "a capture once the lookups gave up"

pass "names: 14 forms refused (fastest in $fastest ms), 0 DNS queries; resolved on request; a stuck resolver gives 503"
