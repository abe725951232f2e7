#!/usr/bin/env bash
# Who started a capture reaches the worker from the proxy, never from the
# client: real nginx with deploy/nginx/ddump.conf (paths and port only
# adapted) in front of a stand-in worker on the unix socket that records every
# header field it receives. As shipped (mTLS + basic auth) the worker gets
# X-Ddump-User (the checked basic-auth user), X-Ddump-Client-Cert (the verified
# certificate's subject) and X-Forwarded-For (the client's address), whatever
# the client sent under those names, and never the client's Authorization
# header (its password). With both turned off as the file's comments say, no
# identity header at all, even when the client sends its own and an
# Authorization header naming a user. With "ssl_verify_client optional_no_ca"
# a certificate nginx did not verify gives no X-Ddump-Client-Cert. A refused
# request never reaches the worker.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/deploy_lib.sh"
e2e_init
e2e_require_cmd nginx openssl curl

ns_create host
pki=$E2E_TMP/pki
make_pki "$pki" 127.0.0.1
# alice's client certificate: two RDNs, so the subject's RFC 2253 form shows
(
    cd "$pki"
    openssl req -newkey rsa:2048 -nodes -subj "/O=ddump test/CN=alice" -keyout alice.key -out alice.csr 2>/dev/null
    openssl x509 -req -in alice.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile client.ext -out alice.crt 2>/dev/null
) || fail "openssl could not make alice's certificate"

sock=$E2E_TMP/worker.sock
seen=$E2E_TMP/seen.jsonl
header_recorder host recorder "$sock" "$seen"
count() { [[ -s "$seen" ]] && wc -l <"$seen" || echo 0; }

# The recorder keeps what it is sent: a client talking to it directly can
# name itself, which is exactly what the proxy must prevent.
assert_eq ok "$(ns_exec host curl -sS --unix-socket "$sock" -H 'X-Ddump-User: mallory' \
    -H 'Authorization: Basic bWFsbG9yeTp4' http://w/healthz)" "recorder reply"
assert_eq mallory "$(recorded "$seen" 1 x-ddump-user)" "the recorder sees a client's own X-Ddump-User"
assert_eq "Basic bWFsbG9yeTp4" "$(recorded "$seen" 1 authorization)" "the recorder sees Authorization"

# nginx as shipped on 8443; a second one on 8444 with mTLS and basic auth
# turned off by following the file's own comments.
nginx_conf "$pki" "$sock" 8443
off=$E2E_TMP/off
mkdir "$off"
cp "$pki"/{server.crt,server.key,ca.crt} "$off/"
nginx_conf "$off" "$sock" 8444
assert_eq 5 "$(nginx_turn_off "$off/ddump.conf")" "lines the two 'To turn it off' comments name"
ns_spawn host nginx nginx -p "$pki" -c "$pki/nginx.conf" -g 'daemon off;'
ns_spawn host nginx_off nginx -p "$off" -c "$off/nginx.conf" -g 'daemon off;'
wait_for_port host 8443 10 || fail "nginx did not listen: $(cat "$pki/nginx-error.log" 2>/dev/null)"
wait_for_port host 8444 10 || fail "nginx (auth off) did not listen: $(cat "$off/nginx-error.log" 2>/dev/null)"

# Forged identity of every shape a client might try: the same names in two
# cases, twice, with an underscore, and a made-up X-Forwarded-For.
forged=(-H 'X-Ddump-User: mallory' -H 'x-ddump-user: mallory2' -H 'X_Ddump_User: mallory3'
        -H 'X-Ddump-Client-Cert: CN=mallory' -H 'X-Ddump-Client-Cert: CN=mallory2'
        -H 'X-Forwarded-For: 192.0.2.66')

# --- as shipped: mTLS + basic auth ------------------------------------------------
rc=0
body=$(ns_exec host curl -sS --max-time 10 --cacert "$pki/ca.crt" --cert "$pki/alice.crt" --key "$pki/alice.key" \
    -u user:pass "${forged[@]}" 'https://127.0.0.1:8443/capture?filter=icmp') || rc=$?
assert_eq 0 "$rc" "curl through nginx"
assert_eq ok "$body" "the recorder's reply through nginx"
assert_eq 2 "$(count)" "requests that reached the recorder"
assert_eq "/capture?filter=icmp" "$(recorded "$seen" 2 path)" "request target"
assert_eq "user" "$(recorded "$seen" 2 X-Ddump-User)" "X-Ddump-User: the basic-auth user, the client's own replaced"
assert_eq "CN=alice,O=ddump test" "$(recorded "$seen" 2 X-Ddump-Client-Cert)" \
    "X-Ddump-Client-Cert: the verified subject (RFC 2253), the client's own replaced"
assert_eq "127.0.0.1" "$(recorded "$seen" 2 X-Forwarded-For)" "X-Forwarded-For: the client's address only"
assert_eq "" "$(recorded "$seen" 2 Authorization)" "Authorization (the password) reaches the worker"
assert_eq "accept host user-agent x-ddump-client-cert x-ddump-user x-forwarded-for" "$(recorded "$seen" 2)" \
    "every header field the worker received"

# Refused (wrong password, no client certificate): nothing reaches the worker.
st=$(ns_exec host curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$pki/ca.crt" \
    --cert "$pki/alice.crt" --key "$pki/alice.key" -u user:wrong "${forged[@]}" https://127.0.0.1:8443/stats) || true
assert_eq 401 "$st" "wrong password"
st=$(ns_exec host curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$pki/ca.crt" \
    -u user:pass "${forged[@]}" https://127.0.0.1:8443/stats) || true
assert_eq 400 "$st" "no client certificate"
assert_eq 2 "$(count)" "requests that reached the recorder after two refusals"

# --- mTLS and basic auth turned off -------------------------------------------------
# nginx still parses a client's Authorization header into $remote_user; with
# basic auth off that is the client's claim, and must not become X-Ddump-User.
rc=0
body=$(ns_exec host curl -sS --max-time 10 --cacert "$pki/ca.crt" --cert "$pki/alice.crt" --key "$pki/alice.key" \
    -u mallory:x "${forged[@]}" 'https://127.0.0.1:8444/stats') || rc=$?
assert_eq 0 "$rc" "curl through nginx with auth off"
assert_eq ok "$body" "the recorder's reply (auth off)"
assert_eq 3 "$(count)" "requests that reached the recorder"
assert_eq "/stats" "$(recorded "$seen" 3 path)" "request target (auth off)"
assert_eq "" "$(recorded "$seen" 3 X-Ddump-User)" "X-Ddump-User without basic auth"
assert_eq "" "$(recorded "$seen" 3 X-Ddump-Client-Cert)" "X-Ddump-Client-Cert without mTLS"
assert_eq "" "$(recorded "$seen" 3 Authorization)" "Authorization without basic auth"
assert_eq "accept host user-agent x-forwarded-for" "$(recorded "$seen" 3)" \
    "every header field the worker received (auth off)"

# --- a certificate nginx did not verify is nobody ----------------------------------
# With "ssl_verify_client optional_no_ca" nginx lets a certificate from any CA
# through and still fills $ssl_client_s_dn: X-Ddump-Client-Cert stays empty.
nocheck=$E2E_TMP/nocheck
mkdir "$nocheck"
cp "$pki"/{server.crt,server.key,ca.crt} "$nocheck/"
nginx_conf "$nocheck" "$sock" 8445
sed -i 's/ssl_verify_client on;/ssl_verify_client optional_no_ca;/' "$nocheck/ddump.conf"
assert_eq 1 "$(grep -c 'ssl_verify_client optional_no_ca;' "$nocheck/ddump.conf")" "optional_no_ca set"
ns_spawn host nginx_nocheck nginx -p "$nocheck" -c "$nocheck/nginx.conf" -g 'daemon off;'
wait_for_port host 8445 10 || fail "nginx (optional_no_ca) did not listen: $(cat "$nocheck/nginx-error.log" 2>/dev/null)"
rc=0
body=$(ns_exec host curl -sS --max-time 10 --cacert "$pki/ca.crt" --cert "$pki/evil-server.crt" \
    --key "$pki/evil-server.key" -u user:pass "${forged[@]}" 'https://127.0.0.1:8445/interfaces') || rc=$?
assert_eq 0 "$rc" "curl with an unverified certificate (optional_no_ca)"
assert_eq ok "$body" "the recorder's reply (optional_no_ca)"
assert_eq 4 "$(count)" "requests that reached the recorder"
assert_eq "user" "$(recorded "$seen" 4 X-Ddump-User)" "X-Ddump-User (optional_no_ca)"
assert_eq "" "$(recorded "$seen" 4 X-Ddump-Client-Cert)" "X-Ddump-Client-Cert of a certificate nginx did not verify"
assert_eq "accept host user-agent x-ddump-user x-forwarded-for" "$(recorded "$seen" 4)" \
    "every header field the worker received (optional_no_ca)"

pass "nginx passes X-Ddump-User and X-Ddump-Client-Cert it checked, replaces forged ones, never Authorization"
