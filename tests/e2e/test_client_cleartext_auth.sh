#!/usr/bin/env bash
# Basic-auth credentials never go over plain http unless --allow-insecure-auth
# says so (RFC 7617 §4: the password is readable by anyone on the path):
#   * a user from the URL, from --user or from --targets with --user, with or
#     without DDUMP_PASSWORD, on an http target: exit 2 before any connection
#     (a listener counts the connections it accepts: none), one stderr line
#     naming the target (password masked) and the flag, also with -q;
#   * DDUMP_PASSWORD without any user sends nothing, so nothing is refused;
#   * with --allow-insecure-auth the credentials reach a fake worker that
#     demands them (20 packets, exit 0), from the URL, --user or both parts;
#   * --help documents the flag.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"
unset DDUMP_PASSWORD

# A listener that prints one line per connection it accepts.
cat >listener.py <<'PY'
import socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(64)
print(srv.getsockname()[1], flush=True)
n = 0
while True:
    conn, _ = srv.accept()
    n += 1
    print("accepted", n, flush=True)
    conn.close()
PY
spawn listener "$E2E_PYTHON" listener.py
wait_for_file_lines "$(log_out listener)" 1 10 || fail "listener did not start"
LP=$(head -1 "$(log_out listener)")
make_pcap local.pcap 5 1
printf '127.0.0.1:%s\nlocal.pcap\n' "$LP" >targets.txt

why="refusing to send basic-auth credentials over plain http, where anyone on the path can read them: use https://, or --allow-insecure-auth to send them anyway"
# refused SHOWN ENV... -- ARGS...: ddump ARGS (with ENV) exits 2 with the
# single line "ddump: SHOWN: $why", no password, nothing on stdout.
refused() {
    local shown=$1 st=0
    shift
    local env=()
    while [[ $1 != -- ]]; do env+=("$1"); shift; done
    shift
    env "${env[@]}" timeout 20 "$DDUMP" "$@" >out.pcap 2>err.txt || st=$?
    assert_eq 2 "$st" "exit status of ddump $*"
    assert_eq "ddump: $shown: $why" "$(cat err.txt)" "the one error line of ddump $*"
    assert_not_contains "$(cat err.txt)" "s3cret" "password masked"
    assert_eq 0 "$(stat -c %s out.pcap)" "nothing on stdout"
}
L="127.0.0.1:$LP"
refused "http://alice:***@$L/capture" DDUMP_PASSWORD=s3cret -- "http://alice@$L/capture"
refused "http://alice:***@$L/capture" -- "http://alice:s3cret@$L/capture"
refused "http://alice:***@$L/capture" -- -q "http://alice:s3cret@$L/capture"
refused "http://alice@$L/capture" -- --user alice "$L"
refused "http://alice:***@$L/capture" DDUMP_PASSWORD=s3cret -- -c 5 "$L" --user alice
refused "http://alice:***@$L/capture" -- --user alice:s3cret --targets targets.txt
refused "http://bob@$L/x?filter=icmp" -- "$L" "http://bob@$L/x?filter=icmp" -k
# None of them connected: our own probe is the listener's first connection.
"$E2E_PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$LP"
wait_for_file_lines "$(log_out listener)" 2 10 || fail "the probe was not accepted"
assert_eq "accepted 1" "$(tail -n +2 "$(log_out listener)")" "connections the listener accepted"
pass "credentials on http targets (URL, --user, --targets, DDUMP_PASSWORD) refused before connecting, exit 2"

# Without a user nothing is sent, DDUMP_PASSWORD or not.
fake_start open
live="127.0.0.1:$FAKE_PORT/capture?live=1&pps=1000&count=20"
st=0
DDUMP_PASSWORD=s3cret timeout 20 "$DDUMP" -q "http://$live" >open.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "no user: exit status ($(cat err.txt))"
assert_eq 20 "$(valid_pcap open.pcap)" "no user: packets"

# --allow-insecure-auth: the worker gets the credentials it demands.
fake_start locked --user alice:s3cret
live="127.0.0.1:$FAKE_PORT/capture?live=1&pps=1000&count=20"
allowed() {  # EXPECTED_STDERR ENV... -- ARGS...
    local expected=$1 st=0
    shift
    local env=()
    while [[ $1 != -- ]]; do env+=("$1"); shift; done
    shift
    env "${env[@]}" timeout 20 "$DDUMP" -q --allow-insecure-auth "$@" >ok.pcap 2>err.txt || st=$?
    assert_eq 0 "$st" "exit status of ddump $* ($(cat err.txt))"
    assert_eq "$expected" "$(cat err.txt)" "stderr of ddump $*"
    assert_eq 20 "$(valid_pcap ok.pcap)" "packets of ddump $*"
}
allowed "" DDUMP_PASSWORD=s3cret -- "http://alice@$live"
allowed "" -- --user alice:s3cret "http://$live"
allowed "" DDUMP_PASSWORD=s3cret -- --user alice "http://$live"
allowed "ddump: warning: password given in the URL http://alice:***@$live is visible in ps; prefer --user USER and DDUMP_PASSWORD" \
    -- "http://alice:s3cret@$live"
pass "--allow-insecure-auth sends them (URL, --user, DDUMP_PASSWORD): 20 packets from a worker that demands them"

assert_contains "$("$DDUMP" --help)" "--allow-insecure-auth" "--help documents the flag"
pass "--help documents --allow-insecure-auth"
