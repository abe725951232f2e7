# shellcheck shell=bash
# Helpers for the deployment tests: throwaway PKI and real nginx with
# deploy/nginx/ddump.conf adapted only by paths and ports. Source after lib.sh.

# make_pki DIR SERVER_IP   CA (ca.crt), server cert for SERVER_IP (server.*),
#                      client cert (client.*), and an unrelated CA with its own
#                      server cert (evil-ca.crt, evil-server.*).
make_pki() {
    local d=$1 ip=$2
    mkdir -p "$d"
    (
        cd "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ddump test CA" \
            -keyout ca.key -out ca.crt 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=evil CA" \
            -keyout evil-ca.key -out evil-ca.crt 2>/dev/null
        printf 'subjectAltName=IP:%s\n' "$ip" >server.ext
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        for who in server evil-server client; do
            local ca=ca ext=server.ext
            [[ $who == evil-server ]] && ca=evil-ca
            [[ $who == client ]] && ext=client.ext
            openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" -keyout "$who.key" -out "$who.csr" 2>/dev/null
            openssl x509 -req -in "$who.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial \
                -days 2 -extfile "$ext" -out "$who.crt" 2>/dev/null
        done
    ) || fail "openssl could not make the test PKI"
}

# nginx_conf DIR SOCKET PORT [SERVER_CERT_BASENAME=server]   write DIR/nginx.conf
#                      wrapping deploy/nginx/ddump.conf, with only paths and the
#                      port changed; DIR must hold the PKI and htpasswd.
nginx_conf() {
    local d=$1 sock=$2 port=$3 cert=${4:-server}
    sed -e "s#/etc/ddump/tls/server.crt#$d/$cert.crt#" \
        -e "s#/etc/ddump/tls/server.key#$d/$cert.key#" \
        -e "s#/etc/ddump/tls/client-ca.crt#$d/ca.crt#" \
        -e "s#/etc/ddump/htpasswd#$d/htpasswd#" \
        -e "s#unix:/run/ddump/worker.sock#unix:$sock#" \
        -e "s#listen 8443 ssl;#listen $port ssl;#" \
        -e "s#listen \[::\]:8443 ssl;#listen [::]:$port ssl;#" \
        "$DDUMP_SRC_DIR/deploy/nginx/ddump.conf" >"$d/ddump.conf"
    mkdir -p "$d/nginx-tmp"
    cat >"$d/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log $d/nginx-access.log;
    client_body_temp_path $d/nginx-tmp/body;
    proxy_temp_path $d/nginx-tmp/proxy;
    fastcgi_temp_path $d/nginx-tmp/fastcgi;
    uwsgi_temp_path $d/nginx-tmp/uwsgi;
    scgi_temp_path $d/nginx-tmp/scgi;
    include $d/ddump.conf;
}
CONF
    printf 'user:%s\n' "$(openssl passwd -apr1 pass)" >"$d/htpasswd"
}
