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

# nginx_turn_off FILE   follow each "To turn it off, comment out the next N
#                      lines." of FILE (N: one..five) as an administrator would:
#                      prefix that many following lines with "# ". Prints how
#                      many lines it commented out.
nginx_turn_off() {
    local f=$1 out
    out=$(awk '
        BEGIN { split("one two three four five", w, " "); for (i in w) n[w[i]] = i }
        left > 0 { sub(/^[[:space:]]*/, "&# "); left--; done++; print; next }
        { print }
        match($0, /To turn it off, comment out the next [a-z]+ lines\./) {
            split(substr($0, RSTART, RLENGTH), t, " "); left = n[t[9]]
        }
        END { print done > "/dev/stderr" }' "$f" 2>"$f.count") || fail "nginx_turn_off $f"
    printf '%s\n' "$out" >"$f"
    cat "$f.count"
    rm -f "$f.count"
}

# header_recorder NS NAME SOCKET LOG   a stand-in worker on the unix socket
#                      SOCKET (mode 0666, in netns NS, spawned as NAME): it
#                      answers every GET with 200 "ok" (keep-alive, as nginx's
#                      upstream wants) and appends one JSON line per request to
#                      LOG: {"path": ..., "headers": [[name, value], ...]}, every
#                      header field as received, repeated ones too.
header_recorder() {
    local ns=$1 name=$2 sock=$3 log=$4
    ns_spawn "$ns" "$name" "$E2E_PYTHON" -c '
import json, os, socketserver, sys, threading
from http.server import BaseHTTPRequestHandler
sock, log = sys.argv[1], sys.argv[2]
out, lock = open(log, "a"), threading.Lock()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        with lock:
            out.write(json.dumps({"path": self.path, "headers": self.headers.items()}) + "\n")
            out.flush()
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("unix", 0)
server = Server(sock, Handler)
os.chmod(sock, 0o666)
print("ready", flush=True)
server.serve_forever()
' "$sock" "$log"
    wait_for_log "$name" '^ready$' 10 || fail "header recorder $name did not start: $(cat "$(log_err "$name")")"
}

# recorded LOG N [NAME]   request N (from 1) that header_recorder logged in LOG:
#                      with NAME, the values of every field of that name (any
#                      case) joined by "|", empty if none; without, every field
#                      name, lowercased, sorted, space-separated. "path": its
#                      request target.
recorded() {
    "$E2E_PYTHON" - "$@" <<'PY'
import json, sys
log, n, name = sys.argv[1], int(sys.argv[2]), (sys.argv[3:] or [None])[0]
r = json.loads(open(log).read().splitlines()[n - 1])
if name == "path":
    print(r["path"])
elif name is None:
    print(" ".join(sorted(k.lower() for k, _ in r["headers"])))
else:
    print("|".join(v for k, v in r["headers"] if k.lower() == name.lower()))
PY
}
