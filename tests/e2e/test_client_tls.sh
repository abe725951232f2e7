#!/usr/bin/env bash
# https: mutual TLS with a client chain (leaf + intermediate) and basic auth
# works; a wrong CA, a missing client cert and a wrong host name are refused;
# an idle TLS stream holding part of a TLS record does not hold back whole ones;
# a zoned IPv6 link-local address is verified by its address; --ca is the
# only trust root (the server's real root in SSL_CERT_FILE or SSL_CERT_DIR,
# which ddump honours without --ca, does not make --ca other.crt trust it);
# unreadable or mismatched cert/key files are configuration errors (exit 2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd openssl
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

ca() {  # NAME SUBJECT [ISSUER]: a CA (self-signed, or signed by ISSUER)
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 2 \
        -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
    if [[ -n "${3:-}" ]]; then
        openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
        printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' >"$1.ext"
        openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
            -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    fi
}
leaf() {  # NAME CN SAN ISSUER
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$4.crt" -CAkey "$4.key" -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
ca root "ddump test root"
ca inter "ddump test intermediate" root
ca other "some other root"
leaf server server "IP:127.0.0.1,DNS:localhost" root
leaf client client "DNS:client" inter
leaf wrongname elsewhere "DNS:elsewhere.example" root
cat client.crt inter.crt >client-chain.pem

fake_start tls --tls-cert server.crt --tls-key server.key --client-ca root.crt --user bob:pw%1
url="https://bob@127.0.0.1:$FAKE_PORT/capture?live=1&pps=500&count=20"
tls=(--ca root.crt --cert client-chain.pem --key client.key)

st=0
DDUMP_PASSWORD='pw%1' timeout 20 "$DDUMP" -v "${tls[@]}" "$url" >ok.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "mTLS + basic auth exit status: $(cat err.txt)"
assert_eq 20 "$(valid_pcap ok.pcap)" "packets over mTLS"
assert_contains "$(cat err.txt)" "(TLSv1.3 TLS_AES_256_GCM_SHA384), worker host 'fake-worker'" \
    "-v shows TLS version, cipher and worker"
assert_contains "$(cat err.txt)" "clock offset" "-v shows the clock offset"
# Percent-encoded password in the URL (with the ps warning), and localhost by name.
st=0
timeout 20 "$DDUMP" -q "${tls[@]}" "https://bob:pw%251@localhost:$FAKE_PORT/capture?live=1&pps=500&count=5" \
    >ok2.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "percent-encoded password exit status: $(cat err.txt)"
assert_contains "$(cat err.txt)" "warning: password given in the URL https://bob:***@localhost" "ps warning"
assert_eq 5 "$(valid_pcap ok2.pcap)" "packets with URL password"
pass "mTLS with a client chain and basic auth"

refused() {  # MSG EXPECTED_TEXT ARGS...
    local msg=$1 text=$2 st=0
    shift 2
    DDUMP_PASSWORD='pw%1' timeout 20 "$DDUMP" -q "$@" >bad.pcap 2>err.txt || st=$?
    assert_eq 1 "$st" "$msg: exit status"
    assert_contains "$(cat err.txt)" "$text" "$msg: error line"
    assert_eq 0 "$(valid_pcap bad.pcap)" "$msg: valid empty pcap"
}
refused "wrong CA" "server certificate not trusted" --ca other.crt --cert client-chain.pem --key client.key "$url"
# TLS 1.3: the server judges our certificate after our side of the handshake
# is done, so its alert arrives instead of the response headers (or while the
# request is still being written).
refused "no client cert" "no HTTP response from 127.0.0.1:$FAKE_PORT: " --ca root.crt "$url"
assert_contains "$(cat err.txt)" "alert certificate required" "no client cert: the server's alert named"
refused "leaf without chain" "no HTTP response from 127.0.0.1:$FAKE_PORT: " --ca root.crt --cert client.crt --key client.key "$url"
refused "system store" "server certificate not trusted" --cert client-chain.pem --key client.key "$url"
main_port=$FAKE_PORT
fake_start tls2 --tls-cert wrongname.crt --tls-key wrongname.key
refused "host name" "server certificate does not match host name 127.0.0.1" "${tls[@]}" \
    "https://127.0.0.1:$FAKE_PORT/capture?live=1&count=1"
FAKE_PORT=$main_port
pass "wrong CA, missing client cert, leaf-only chain, wrong host name refused"

st=0
SSL_CERT_FILE=$PWD/root.crt DDUMP_PASSWORD='pw%1' timeout 20 "$DDUMP" -q --cert client-chain.pem \
    --key client.key "$url" >env.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "SSL_CERT_FILE honoured: $(cat err.txt)"
st=0
DDUMP_PASSWORD='pw%1' timeout 20 "$DDUMP" -q -k --cert client-chain.pem --key client.key "$url" \
    >k.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "-k exit status"
assert_contains "$(cat err.txt)" "warning: -k/--insecure" "-k warns"
# The default store as a hashed directory (c_rehash layout) is honoured too.
mkdir certdir
cp root.crt certdir/
openssl rehash certdir || fail "openssl rehash"
st=0
SSL_CERT_DIR=$PWD/certdir SSL_CERT_FILE=/nonexistent DDUMP_PASSWORD='pw%1' timeout 20 "$DDUMP" -q \
    --cert client-chain.pem --key client.key "$url" >dir.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "SSL_CERT_DIR honoured: $(cat err.txt)"
assert_eq 20 "$(valid_pcap dir.pcap)" "packets with the root in SSL_CERT_DIR"
pass "SSL_CERT_FILE, SSL_CERT_DIR and -k"

# --ca makes its file the ONLY trust root (README, Security): with the
# server's real root in the default store, from either variable, --ca
# other.crt must still refuse the server.
ca_only() {  # MSG VAR=VALUE...
    local msg=$1 st=0
    shift
    env "$@" DDUMP_PASSWORD='pw%1' timeout 20 "$DDUMP" -q --ca other.crt --cert client-chain.pem \
        --key client.key "$url" >bad.pcap 2>err.txt || st=$?
    assert_eq 1 "$st" "$msg: exit status"
    assert_contains "$(cat err.txt)" "cannot connect to 127.0.0.1:$FAKE_PORT: server certificate not trusted: " \
        "$msg: error line"
    assert_eq 0 "$(valid_pcap bad.pcap)" "$msg: valid empty pcap"
}
ca_only "--ca other.crt, server's root in SSL_CERT_FILE" SSL_CERT_FILE="$PWD/root.crt"
ca_only "--ca other.crt, server's root in SSL_CERT_DIR" SSL_CERT_DIR="$PWD/certdir" SSL_CERT_FILE=/nonexistent
ca_only "--ca other.crt, server's root in both" SSL_CERT_FILE="$PWD/root.crt" SSL_CERT_DIR="$PWD/certdir"
pass "--ca is the only trust root: the server's root in SSL_CERT_FILE/SSL_CERT_DIR does not count"

config_error() {  # MSG TEXT ARGS...
    local msg=$1 text=$2 st=0
    shift 2
    timeout 20 "$DDUMP" "$@" "$url" >/dev/null 2>err.txt || st=$?
    assert_eq 2 "$st" "$msg: exit status"
    assert_contains "$(cat err.txt)" "$text" "$msg: message"
}
config_error "unreadable CA" "cannot load CA file nope.crt: No such file or directory" --ca nope.crt
echo "not a certificate" >garbage.pem
config_error "garbage CA" "cannot load CA file garbage.pem: error:05800088:x509 certificate routines::no certificate or crl found" \
    --ca garbage.pem
config_error "missing client cert" "cannot load client certificate nope.pem: No such file or directory" \
    --cert nope.pem --key client.key
config_error "unreadable CA with -k" "cannot load CA file nope.crt: No such file or directory" -k --ca nope.crt
config_error "mismatched key" "cannot load private key server.key: error:05800074:x509 certificate routines::key values mismatch" \
    --cert client-chain.pem --key server.key
config_error "cert without key" "--cert and --key go together" --cert client-chain.pem
pass "bad TLS files are configuration errors (exit 2)"

# An idle TLS stream must not hold records back behind part of a TLS record:
# a raw TLS server (python's ssl on memory BIOs) sends the head and two
# packets, then a third packet's TLS record minus its last byte, and stalls.
# The two whole packets must reach stdout while it stalls.
cat >stall_server.py <<'PY'
import socket, ssl, struct, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_side=True)
def pump():
    if out.pending: conn.sendall(out.read())
    data = conn.recv(65536)
    if not data: sys.exit(1)
    inc.write(data)
while True:
    try: tls.do_handshake(); break
    except ssl.SSLWantReadError: pump()
request = b""
while b"\r\n\r\n" not in request:
    try: request += tls.read(65536)
    except ssl.SSLWantReadError: pump()
rec = lambda i: struct.pack("<IIII", 1700000000, i, 8, 8) + bytes(8)
chunk = lambda b: b"%x\r\n" % len(b) + b + b"\r\n"
pcap = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + rec(1) + rec(2)
tls.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n" + chunk(pcap))
whole = out.read()
tls.write(chunk(rec(3)))
held = out.read()
conn.sendall(whole + held[:-1])  # one segment: the client reads both at once
time.sleep(60)
PY
spawn stall /usr/bin/python3 stall_server.py server.crt server.key
wait_for_file_lines "$(log_out stall)" 1 10 || fail "stall server did not start: $(cat "$(log_err stall)")"
spawn stalled "$DDUMP" -q --ca root.crt "https://127.0.0.1:$(head -1 "$(log_out stall)")/capture"
wait_for 10 size_gt "$(log_out stalled)" 71 || fail "records held back: stdout has $(stat -c %s "$(log_out stalled)") bytes"
assert_eq 72 "$(stat -c %s "$(log_out stalled)")" "header + 2 records out while the third's TLS record is incomplete"
stop stalled
assert_eq 2 "$(valid_pcap "$(log_out stalled)")" "a valid pcap after Ctrl-C"
pass "an idle TLS stream holding part of a record does not hold back whole ones"

# An IPv6 link-local worker named with its zone (RFC 6874: [fe80::1%25va] in
# the URL, from a namespace where "va" is the link): the certificate's IP SAN
# is checked against the address alone, since the zone names our interface
# and no certificate can carry it.
export E2E_IPV6=1
ns_create a
ns_create b
ns_link a b fe80::1/64 fe80::2/64
leaf linklocal linklocal "IP:fe80::1" root
ns_spawn a ll "$(e2e_bin ddump-fake-worker)" --host "fe80::1%vb" \
    --tls-cert linklocal.crt --tls-key linklocal.key
wait_for_file_lines "$(log_out ll)" 1 10 || fail "link-local fake worker did not start: $(cat "$(log_err ll)")"
st=0
ns_exec b timeout 20 "$DDUMP" -q --ca root.crt \
    "https://[fe80::1%25va]:$(head -1 "$(log_out ll)")/capture?live=1&pps=500&count=5" \
    >ll.pcap 2>err.txt || st=$?
assert_eq 0 "$st" "https to a zoned link-local address: $(cat err.txt)"
assert_eq 5 "$(valid_pcap ll.pcap)" "packets from the link-local worker"
pass "https to [fe80::1%25va]: the certificate is checked against fe80::1"
