#!/usr/bin/env bash
# --user USER[:PASS] and DDUMP_PASSWORD through real nginx (deploy/nginx/
# ddump.conf: https, client certificates, basic auth) to a worker on its unix
# socket:
#   * --user user:PASS, and --user user with DDUMP_PASSWORD: the ping streams
#     (2 packets, exit 0), nginx logs the request as user "user"; with the
#     environment the password is in neither /proc/PID/cmdline, ps nor stderr;
#   * a URL's own user wins over --user (--user applies to targets without);
#   * a wrong password, from --user or DDUMP_PASSWORD: exit 2 and the one line
#     naming the 401 and the refused user, no password in it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/deploy_lib.sh"
e2e_init
e2e_require_cmd nginx openssl ps
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"
unset DDUMP_PASSWORD

ns_create host
ns_create cli
ns_link host cli 10.213.52.1/24 10.213.52.2/24
pki=$E2E_TMP/pki
make_pki "$pki" 10.213.52.1
sock=$E2E_TMP/worker.sock
start_worker host w --listen "unix:$sock" --exclude 'tcp port 8443'
nginx_conf "$pki" "$sock" 8443
PW='Zq7-s3cret-pw'
printf 'user:%s\n' "$(openssl passwd -apr1 "$PW")" >"$pki/htpasswd"
ns_spawn host nginx nginx -p "$pki" -c "$pki/nginx.conf" -g 'daemon off;'
wait_for_port host 8443 10 || fail "nginx did not listen: $(cat "$pki/nginx-error.log" 2>/dev/null)"

target=https://10.213.52.1:8443
tls=(--ca "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key")
total() { ns_exec host curl -s --unix-socket "$sock" http://w/metrics | awk '$1=="ddump_captures_total"{print $2}'; }
# started_by NAME N: the worker logged its Nth capture_start, while ddump NAME
# runs (one that exited fails at once, with its stderr). That line comes once
# libpcap has the filter; /metrics counts a capture from its admission, before
# that, and a ping sent in between is lost (ddump -c 2 then never ends).
started_by() {
    pid_alive "$(pid_of "$1")" || fail "$1: ddump exited: $(cat "$(log_err "$1")")"
    (( $(grep -c ' capture_start ' "$(log_err w)" || true) >= $2 ))
}
started=0

# streams NAME: ddump NAME (spawned, -c 2 icmp) started its capture: ping
# once, expect exit 0 and the 2 packets, no password on stderr.
streams() {
    started=$((started + 1))
    wait_for 10 started_by "$1" "$started" || fail "$1: capture through nginx did not start"
    ns_ping cli 10.213.52.1 1 || fail "ping"
    wait_exit "$1" 10 0 || fail "$1: ddump -c 2 did not end"
    assert_eq 0 "$E2E_EXIT_STATUS" "$1: ddump exit status"
    assert_eq 2 "$(pcap_count "$1.pcap" icmp)" "$1: the ping's request and reply"
    assert_not_contains "$(cat "$(log_err "$1")")" "$PW" "$1: password on stderr"
}

ns_spawn cli colon "$DDUMP" -q -c 2 -w colon.pcap "${tls[@]}" --user "user:$PW" "$target" icmp
streams colon

DDUMP_PASSWORD=$PW ns_spawn cli env "$DDUMP" -q -c 2 -w env.pcap "${tls[@]}" --user user "$target" icmp
pid=$(pid_of env)
cmdline_is_ddump() { [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "$DDUMP "* ]]; }
wait_for 5 cmdline_is_ddump || fail "ddump did not start"
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
assert_contains "$cmdline" "--user user $target" "ddump's command line"
assert_not_contains "$cmdline" "$PW" "password in /proc/PID/cmdline"
assert_not_contains "$(ps -ww -o args= -p "$pid")" "$PW" "password in ps"
streams env

DDUMP_PASSWORD=$PW ns_spawn cli urluser "$DDUMP" -q -c 2 -w urluser.pcap "${tls[@]}" --user nobody:x \
    "https://user@10.213.52.1:8443" icmp
streams urluser

access=$(grep -c '^10.213.52.2 - user \[.*"GET /capture?filter=icmp HTTP/1.1" 200 ' "$pki/nginx-access.log" || true)
assert_eq 3 "$access" "nginx access log lines of user 'user' streaming a capture"
pass "--user user:PASS, --user user + DDUMP_PASSWORD (not in cmdline/ps/stderr), URL user first: 2 packets each"

# --- wrong passwords ----------------------------------------------------------
refused() {  # PASSWORD_ENV ARGS...: exit 2, one line naming the 401 and the user
    local env_pw=$1 rc=0
    shift
    DDUMP_PASSWORD=$env_pw ns_exec cli timeout 20 "$DDUMP" -q -c 1 "${tls[@]}" "$@" icmp >bad.pcap 2>bad.err || rc=$?
    assert_eq 2 "$rc" "exit status of ddump $*"
    assert_eq "ddump: https://user:***@10.213.52.1:8443/capture: HTTP 401 with an HTML page (a proxy or web server, not a ddump worker) (user user and its password were refused)" \
        "$(cat bad.err)" "the one stderr line of ddump $*"
    assert_not_contains "$(cat bad.err)" "wrong-pw" "password on stderr"
}
refused "" --user user:wrong-pw "$target"
refused wrong-pw --user user "$target"
assert_eq "$started" "$(total)" "captures the worker started (none for a refused password)"
pass "wrong password from --user or DDUMP_PASSWORD: exit 2, one line naming the 401"

stop w TERM 5 0 || fail "worker did not stop"
assert_eq 0 "$E2E_EXIT_STATUS" "worker exit status"
