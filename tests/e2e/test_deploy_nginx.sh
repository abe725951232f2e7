#!/usr/bin/env bash
# Real nginx with deploy/nginx/ddump.conf (paths and port only adapted) in front
# of a worker on its unix socket, in a namespace: mTLS + basic auth streaming is
# live (first packet < 1 s), every wrong credential is refused clearly, and the
# documented --exclude prevents amplification (without it, the test sees it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/deploy_lib.sh"
e2e_init
e2e_require_cmd nginx openssl

ns_create host
ns_create cli
ns_link host cli 10.213.6.1/24 10.213.6.2/24
pki=$E2E_TMP/pki
make_pki "$pki" 10.213.6.1
sock=$E2E_TMP/worker.sock

start_worker host worker --listen "unix:$sock" --exclude 'tcp port 8443'
nginx_conf "$pki" "$sock" 8443
ns_spawn host nginx nginx -p "$pki" -c "$pki/nginx.conf" -g 'daemon off;'
wait_for_port host 8443 10 || fail "nginx did not listen: $(cat "$pki/nginx-error.log" 2>/dev/null)"

ddump=$(e2e_bin ddump)
url=https://user:pass@10.213.6.1:8443
tls=(--ca "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key")
captures() { ns_exec host curl -s --unix-socket "$sock" http://w/metrics | awk '$1=="ddump_captures_active"{print $2}'; }
active_is() { [[ "$(captures)" == "$1" ]]; }

# --- live through nginx: the first packet reaches stdout within 1 s ----------
ns_spawn cli live "$ddump" -q -c 1 "${tls[@]}" "$url" icmp
wait_for 5 active_is 1 || fail "capture through nginx did not start: $(cat "$(log_err live)")"
t0=$(date +%s%N)
ns_exec cli ping -n -c 1 -W 1 10.213.6.1 >/dev/null || fail "ping"
wait_exit live 5 || fail "ddump -c 1 did not finish: the packet is stuck in a buffer"
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq 0 "$E2E_EXIT_STATUS" "ddump exit status through nginx"
assert_le "$elapsed" 1000 "first packet through nginx (ms)"
assert_eq 1 "$(pcap_count "$(log_out live)" icmp)" "the ping, through nginx"

# --- refusals -----------------------------------------------------------------
refused() {  # EXPECTED_RC NEEDLE ARGS...
    local want=$1 needle=$2 rc=0 err
    shift 2
    err=$(ns_exec cli timeout 20 "$ddump" -q -c 1 --connect-timeout 5 "$@" 2>&1 >/dev/null) || rc=$?
    assert_eq "$want" "$rc" "exit status for: $needle"
    assert_contains "$err" "$needle" "error text"
    assert_not_contains "$err" ":pass@" "password never printed"
}
refused 2 "400" --ca "$pki/ca.crt" "$url" icmp                                  # no client certificate
refused 2 "401" "${tls[@]}" "https://user:wrong@10.213.6.1:8443" icmp           # wrong password
refused 2 "(user user and its password were refused)" "${tls[@]}" "https://user:wrong@10.213.6.1:8443" icmp
refused 2 "HTTP 401 with an HTML page (a proxy or web server, not a ddump worker) (no user given: --user USER with DDUMP_PASSWORD, or USER@ in the URL)" \
    "${tls[@]}" "https://10.213.6.1:8443" icmp
refused 2 "(no password for user: set DDUMP_PASSWORD)" "${tls[@]}" "https://user@10.213.6.1:8443" icmp
refused 1 "certificate" --ca "$pki/evil-ca.crt" --cert "$pki/client.crt" --key "$pki/client.key" "$url" icmp

# --- no amplification with the documented --exclude ---------------------------
# two_captures OUT_PREFIX: two concurrent unfiltered captures through nginx for
# ~2 s while pings flow; prints total bytes of both.
two_captures() {
    local p=$1
    ns_spawn cli "${p}1" "$ddump" -q --duration 2 "${tls[@]}" "$url"
    ns_spawn cli "${p}2" "$ddump" -q --duration 2 "${tls[@]}" "$url"
    ns_spawn cli "${p}ping" ping -n -i 0.05 -c 40 10.213.6.1
    wait_exit "${p}1" 10 || fail "capture ${p}1 did not end"
    wait_exit "${p}2" 10 || fail "capture ${p}2 did not end"
    stop "${p}ping" INT
}
two_captures ex
for i in 1 2; do
    f=$(log_out "ex$i")
    assert_ge "$(pcap_count "$f" icmp)" 20 "capture $i through nginx has the pings"
    assert_eq 0 "$(pcap_count "$f" tcp port 8443)" "capture $i has none of the proxy's traffic"
done
# Flat byte rate: bytes captured in each half of the window, from the records'
# own timestamps (amplification would make the second half grow).
halves() {
    /usr/bin/python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
pos, recs = 24, []
while pos + 16 <= len(data):
    sec, frac, caplen, _ = struct.unpack_from("<IIII", data, pos)
    recs.append((sec + frac / 1e6, caplen))
    pos += 16 + caplen
t0, t1 = recs[0][0], recs[-1][0]
mid = (t0 + t1) / 2
print(sum(c for t, c in recs if t < mid), sum(c for t, c in recs if t >= mid))
PY
}
for i in 1 2; do
    read -r first second < <(halves "$(log_out "ex$i")")
    note "capture $i through nginx: $first then $second bytes per half window"
    assert_le "$(( second * 10 ))" "$(( first * 20 + 2000 ))" "capture $i byte rate stays flat"
done
excluded_bytes=$(( $(stat -c %s "$(log_out ex1)") + $(stat -c %s "$(log_out ex2)") ))

# The same without --exclude: the captures carry each other (the check can fail).
stop worker TERM
wait_for 3 active_is "" || true
start_worker host worker2 --listen "unix:$sock"
two_captures am
amp_8443=$(pcap_count "$(log_out am1)" tcp port 8443)
amplified_bytes=$(( $(stat -c %s "$(log_out am1)") + $(stat -c %s "$(log_out am2)") ))
note "bytes in 2 s: with --exclude $excluded_bytes, without $amplified_bytes ($amp_8443 packets of port 8443)"
assert_ge "$amp_8443" 100 "without --exclude the proxy's traffic is captured"
assert_ge "$amplified_bytes" $(( excluded_bytes * 5 )) "without --exclude the streams amplify"

pass "nginx: mTLS+basic auth streaming live, refusals, --exclude prevents amplification"
