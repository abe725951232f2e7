#!/usr/bin/env bash
# Deployment files, checked for their shape: the envoy YAML parsed with its
# fields asserted (envoy cannot run here); the Kubernetes manifests secure as
# shipped and rendered by `kubectl kustomize`, and the Dockerfile's stages
# (test_deploy_container.sh builds and runs both); the systemd units (worker
# and proxy) verified by systemd-analyze, their exposure levels no worse; and
# the .deb built by CPack inspected with dpkg-deb.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init
deploy=$DDUMP_SRC_DIR/deploy

# --- envoy: mirrors nginx point by point ---------------------------------------
/usr/bin/python3 - "$deploy/envoy/ddump.yaml" <<'PY' || fail "envoy/ddump.yaml"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
l = c["static_resources"]["listeners"][0]
assert l["address"]["socket_address"]["port_value"] == 8443
chain = l["filter_chains"][0]
tls = chain["transport_socket"]["typed_config"]
assert tls["require_client_certificate"] is True
ctx = tls["common_tls_context"]
assert ctx["validation_context"]["trusted_ca"]["filename"].endswith("client-ca.crt")
assert ctx["tls_certificates"][0]["certificate_chain"]["filename"].endswith("server.crt")
hcm = chain["filters"][0]["typed_config"]
assert hcm["stream_idle_timeout"] == "0s" and hcm["request_timeout"] == "0s"
routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
paths = {r["match"].get("path"): r for r in routes if "path" in r["match"]}
assert set(paths) == {"/capture", "/interfaces", "/healthz", "/stats", "/metrics"}, paths
assert paths["/capture"]["route"]["timeout"] == "0s" and paths["/capture"]["route"]["idle_timeout"] == "0s"
names = [f["name"] for f in hcm["http_filters"]]
assert names == ["envoy.filters.http.basic_auth", "envoy.filters.http.router"], names
# who is asking: the checked user, the verified subject, the real address; no password
assert hcm["http_filters"][0]["typed_config"]["forward_username_header"] == "x-ddump-user"
vh = hcm["route_config"]["virtual_hosts"][0]
add = {h["header"]["key"]: (h["header"]["value"], h["append_action"]) for h in vh["request_headers_to_add"]}
assert add == {"x-ddump-client-cert": ("%DOWNSTREAM_PEER_SUBJECT%", "OVERWRITE_IF_EXISTS_OR_ADD"),
               "x-forwarded-for": ("%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "OVERWRITE_IF_EXISTS_OR_ADD")}, add
assert vh["request_headers_to_remove"] == ["authorization"], vh["request_headers_to_remove"]
cl = c["static_resources"]["clusters"][0]
assert cl["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["pipe"]["path"] == "/run/ddump/worker.sock"
PY

# --- Kubernetes: secure as shipped ---------------------------------------------
# The objects kustomization.yaml lists: only the proxy is on the node's
# network, and only with client certificates (or on loopback for /healthz
# alone); NET_RAW only in the worker; read-only roots; probes; resources; the
# proxy's port the same in all four places; the ConfigMap's ddump.conf holds
# every directive of deploy/nginx/ddump.conf (basic auth commented out).
/usr/bin/python3 - "$deploy/kubernetes" "$deploy/nginx/ddump.conf" <<'PY' || fail "kubernetes manifests"
import os, re, sys, yaml
kdir, tested_conf = sys.argv[1], sys.argv[2]
def need(cond, msg):
    if not cond:
        sys.exit("kubernetes: " + msg)
kust = yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml")))
need(kust["resources"] == ["namespace.yaml", "configmap.yaml", "daemonset.yaml", "service.yaml"],
     "kustomization.yaml resources: %s" % kust["resources"])
docs = [d for f in kust["resources"] for d in yaml.safe_load_all(open(os.path.join(kdir, f))) if d]
kinds = {d["kind"]: d for d in docs}
need(sorted(kinds) == ["ConfigMap", "DaemonSet", "Namespace", "Service"], "kinds: %s" % sorted(kinds))
need(all(d["metadata"].get("namespace", "ddump") == "ddump" for d in docs), "every object in namespace ddump")
need(kinds["Namespace"]["metadata"]["labels"] == {"pod-security.kubernetes.io/enforce": "privileged"},
     "the namespace's Pod Security label")

pod = kinds["DaemonSet"]["spec"]["template"]["spec"]
need(pod["hostNetwork"] is True, "hostNetwork")
need(pod["securityContext"]["runAsNonRoot"] is True, "runAsNonRoot")
need(pod.get("automountServiceAccountToken") is False, "no service account token")
cs = {c["name"]: c for c in pod["containers"]}
need(sorted(cs) == ["proxy", "worker"], "containers: %s" % sorted(cs))
w, p = cs["worker"], cs["proxy"]
for c in cs.values():
    sc = c["securityContext"]
    need(sc.get("readOnlyRootFilesystem") is True, c["name"] + ": readOnlyRootFilesystem")
    need(sc.get("runAsUser", 0) > 0, c["name"] + ": a non-root runAsUser")
    res = c["resources"]
    need(res["requests"].get("memory") and res["limits"].get("memory"), c["name"] + ": memory request and limit")
    need("cpu" not in res["limits"], c["name"] + ": no CPU limit (throttling drops packets)")
    need("livenessProbe" in c, c["name"] + ": a liveness probe")
need(w["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_RAW"]}, "worker: NET_RAW only")
need(p["securityContext"]["capabilities"] == {"drop": ["ALL"]}, "proxy: no capability")
need(p["securityContext"]["allowPrivilegeEscalation"] is False, "proxy: no privilege escalation")
need("ports" not in w, "the worker exposes no port")

# The worker: a unix socket only, the proxy's port excluded.
args = w["args"]
listens = [args[i + 1] for i, a in enumerate(args) if a in ("--listen", "-l")]
need(len(listens) == 1 and listens[0].startswith("unix:/"), "worker listens only on a unix socket: %s" % listens)
sock = listens[0][len("unix:"):]
excludes = [args[i + 1] for i, a in enumerate(args) if a == "--exclude"]
need(len(excludes) == 1 and re.fullmatch(r"tcp port \d+", excludes[0]), "worker --exclude: %s" % excludes)
port = int(excludes[0].split()[-1])
# Memory: the kernel rings of all captures are capped, and the limit holds
# them and the worker's own ~10 MiB (bench/README.md) with room to spare.
totals = [args[i + 1] for i, a in enumerate(args) if a == "--max-buffer-total"]
need(len(totals) == 1 and re.fullmatch(r"\d+m", totals[0]), "worker --max-buffer-total in MiB: %s" % totals)
limit = w["resources"]["limits"]["memory"]
need(re.fullmatch(r"\d+Mi", limit) and int(limit[:-2]) >= int(totals[0][:-1]) + 32,
     "worker memory limit %s holds --max-buffer-total %s + 32 MiB" % (limit, totals[0]))
live = w["livenessProbe"]["exec"]["command"]
need(live[0] == "curl" and sock in live and live[-1].endswith("/healthz"), "worker liveness: curl /healthz on %s" % sock)

# Volumes: the socket's directory shared (read-only in the proxy), the rest the proxy's.
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {c["name"]: {m["mountPath"]: m for m in c.get("volumeMounts", [])} for c in cs.values()}
sockdir = os.path.dirname(sock)
need(sockdir in mounts["worker"] and sockdir in mounts["proxy"], "both containers mount %s" % sockdir)
need(mounts["worker"][sockdir]["name"] == mounts["proxy"][sockdir]["name"], "the same volume at %s" % sockdir)
need("emptyDir" in vols[mounts["worker"][sockdir]["name"]], "the socket's volume is an emptyDir")
need(mounts["proxy"][sockdir].get("readOnly") is True, "the proxy mounts the socket's directory read-only")
need(list(mounts["worker"]) == [sockdir], "the worker mounts nothing else: %s" % list(mounts["worker"]))
conf_mount = [m for m in p["volumeMounts"] if "configMap" in vols[m["name"]]]
tls_mount = [m for m in p["volumeMounts"] if "secret" in vols[m["name"]]]
need(len(conf_mount) == 1 and len(tls_mount) == 1, "the proxy mounts one ConfigMap and one Secret")
need(vols[conf_mount[0]["name"]]["configMap"]["name"] == kinds["ConfigMap"]["metadata"]["name"], "the ConfigMap's name")
need(vols[tls_mount[0]["name"]]["secret"]["secretName"] == "ddump-proxy-tls", "the Secret's name")
need(vols[tls_mount[0]["name"]]["secret"]["defaultMode"] == 0o440, "the Secret's files 0440")
need(pod["securityContext"]["fsGroup"] == p["securityContext"]["runAsGroup"], "fsGroup: the proxy's group")

# The proxy's nginx: its command names the ConfigMap's nginx.conf, which
# includes its ddump.conf.
confdir = conf_mount[0]["mountPath"]
need(p["args"][:2] == ["-c", confdir + "/nginx.conf"], "proxy args: %s" % p["args"])
data = kinds["ConfigMap"]["data"]
need(sorted(data) == ["ddump.conf", "nginx.conf"], "ConfigMap keys: %s" % sorted(data))
need("include %s/ddump.conf;" % confdir in data["nginx.conf"], "nginx.conf includes ddump.conf")
def directives(text):
    return [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
def servers(text):
    """The directive lines of each server block."""
    out, cur, depth = [], None, 0
    for l in directives(text):
        if cur is None:
            if l.startswith("server {"):
                cur, depth = [], 1
            continue
        depth += l.count("{") - l.count("}")
        if depth == 0:
            out.append(cur)
            cur = None
        else:
            cur.append(l)
    return out
srv = servers(data["nginx.conf"]) + servers(data["ddump.conf"])
need(len(srv) == 2, "two server blocks: %d" % len(srv))
public = [s for s in srv if any(l.startswith("listen ") and "127.0.0.1:" not in l for l in s)]
probe = [s for s in srv if s not in public]
need(len(public) == 1 and len(probe) == 1, "one public server, one on loopback")
listen_public = sorted(l for l in public[0] if l.startswith("listen "))
need(listen_public == ["listen %d ssl;" % port, "listen [::]:%d ssl;" % port], "public listen: %s" % listen_public)
need("ssl_verify_client on;" in public[0], "the public server demands client certificates")
need(any(l.startswith("ssl_client_certificate " + tls_mount[0]["mountPath"] + "/") for l in public[0]),
     "the client CA comes from the Secret")
listen_probe = [l for l in probe[0] if l.startswith("listen ")]
need(len(listen_probe) == 1 and re.fullmatch(r"listen 127\.0\.0\.1:\d+;", listen_probe[0]), "probe listen: %s" % listen_probe)
probe_port = int(listen_probe[0].split(":")[1].rstrip(";"))
locs = [l for l in probe[0] if l.startswith("location ")]
need(len(locs) == 2 and locs[0] == "location = /healthz {" and locs[1].startswith("location / { return 404 "),
     "the loopback server answers /healthz only: %s" % locs)
need(p["readinessProbe"]["httpGet"] == {"host": "127.0.0.1", "port": probe_port, "path": "/healthz"},
     "proxy readiness: %s" % p["readinessProbe"])
need(p["livenessProbe"]["tcpSocket"]["port"] in ("https", port), "proxy liveness on the public port")
need(p["ports"] == [{"name": "https", "containerPort": port, "protocol": "TCP"}], "proxy ports: %s" % p["ports"])
svc = kinds["Service"]["spec"]
need(svc["clusterIP"] == "None", "a headless Service")
need(svc["ports"] == [{"name": "https", "port": port, "targetPort": "https", "protocol": "TCP"}], "Service ports: %s" % svc["ports"])
need(svc["selector"] == kinds["DaemonSet"]["spec"]["selector"]["matchLabels"], "Service selector")

# deploy/nginx/ddump.conf's directives, in order, with the Secret's paths
# and basic auth commented out.
paths = {"/etc/ddump/tls/server.crt": "/etc/ddump/tls/tls.crt", "/etc/ddump/tls/server.key": "/etc/ddump/tls/tls.key",
         "/etc/ddump/tls/client-ca.crt": "/etc/ddump/tls/ca.crt", "/etc/ddump/htpasswd": "/etc/ddump/tls/htpasswd"}
auth = ("auth_basic", "set $ddump_user      $remote_user")
expected = []
for l in directives(open(tested_conf).read()):
    for a, b in paths.items():
        l = l.replace(a, b)
    l = re.sub(r"^listen (\[::\]:)?8443 ssl;$", lambda m: "listen %s%d ssl;" % (m.group(1) or "", port), l)
    expected.append("#" + l if l.startswith(auth) else l)
k8s = [l.strip() for l in data["ddump.conf"].splitlines()
       if l.strip() and (not l.strip().startswith("#") or l.strip()[1:].startswith(auth))]
diff = [(a, b) for a, b in zip(k8s + [""] * len(expected), expected + [""] * len(k8s)) if a != b]
need(not diff, "the ConfigMap's ddump.conf is not deploy/nginx/ddump.conf (here, there): %s" % diff[:3])

# cert-manager's Secret is the one the pod mounts, from one CA Issuer.
cm = list(yaml.safe_load_all(open(os.path.join(kdir, "cert-manager-example.yaml"))))
certs = {d["metadata"]["name"]: d["spec"] for d in cm if d["kind"] == "Certificate"}
need(certs["ddump-proxy"]["secretName"] == "ddump-proxy-tls" and certs["ddump-proxy"]["usages"] == ["server auth"],
     "cert-manager: the proxies' certificate")
need(all(c["issuerRef"]["name"] == "ddump-ca" for c in certs.values()), "cert-manager: one CA issues all")
PY
# kubectl (Debian's kubernetes-client) renders the kustomization to those objects.
if command -v kubectl >/dev/null; then
    kubectl kustomize "$deploy/kubernetes" >"$E2E_TMP/kustomized.yaml" 2>"$E2E_TMP/kustomize.err" ||
        fail "kubectl kustomize: $(cat "$E2E_TMP/kustomize.err")"
    /usr/bin/python3 - "$deploy/kubernetes" "$E2E_TMP/kustomized.yaml" <<'PY' || fail "kubectl kustomize renders other objects"
import os, sys, yaml
kdir = sys.argv[1]
files = [d for f in yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml")))["resources"]
         for d in yaml.safe_load_all(open(os.path.join(kdir, f))) if d]
rendered = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
key = lambda d: (d["kind"], d["metadata"]["name"])
sys.exit(0 if sorted(files, key=key) == sorted(rendered, key=key) else 1)
PY
else
    note "no kubectl: the kustomization is not rendered"
fi

# --- Dockerfile: bookworm stages, the worker last, non-root, a real HEALTHCHECK --
df=$(cat "$deploy/Dockerfile")
assert_eq "FROM debian:bookworm AS build|FROM debian:bookworm-slim AS proxy|FROM debian:bookworm-slim" \
    "$(grep '^FROM ' <<<"$df" | paste -sd '|')" "stages: build, proxy, the worker last"
assert_contains "$df" "setcap cap_net_raw=eip /usr/bin/ddump-worker" "file capability"
assert_eq "USER 8476:8476|USER 8475:8475" "$(grep '^USER ' <<<"$df" | paste -sd '|')" "non-root users: proxy, worker"
assert_contains "$df" 'ENTRYPOINT ["/usr/bin/ddump-worker"]' "the worker's entrypoint"
assert_contains "$df" 'ENTRYPOINT ["/usr/sbin/nginx"]' "the proxy's entrypoint"
hc=$(sed -n '/^HEALTHCHECK/,/[^\\]$/p' <<<"$df" | tr -d '\\\n' | tr -s ' ')
assert_contains "$hc" 'CMD ["curl", "-fsS", "--max-time", "3", "-o", "/dev/null", "--unix-socket", "/run/ddump/worker.sock", "http://localhost/healthz"]' \
    "HEALTHCHECK: GET /healthz on the worker's socket"
grep -qx 'build\*' "$DDUMP_SRC_DIR/.dockerignore" || fail ".dockerignore must keep build trees out of the image's context"

# --- systemd units -----------------------------------------------------------------
unit=$E2E_TMP/ddump-worker.service
sed "s#/usr/bin/ddump-worker#$(readlink -f "$(e2e_bin ddump-worker)")#" "$deploy/systemd/ddump-worker.service" >"$unit"
out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
assert_eq "" "$out" "systemd-analyze verify output"
u=$(cat "$deploy/systemd/ddump-worker.service")
# Group=: the socket's group, whose one member is the proxy's user (not
# www-data, which PHP-FPM and CGI programs share).
for line in "AmbientCapabilities=CAP_NET_RAW" "CapabilityBoundingSet=CAP_NET_RAW" "DynamicUser=yes" \
    "NoNewPrivileges=yes" "ProtectSystem=strict" "PrivateTmp=yes" "Restart=on-failure" \
    "Group=ddump-proxy" "RuntimeDirectoryMode=0750"; do
    grep -qx "$line" <<<"$u" || fail "unit lacks $line"
done
assert_contains "$u" "--exclude \"tcp port 8443\"" "unit excludes the proxy port"
assert_contains "$u" "--socket-mode 0660" "unit's socket mode"
grep -q '^RestrictAddressFamilies=.*AF_PACKET' <<<"$u" || fail "unit must allow AF_PACKET"
# The proxy's own nginx (systemd-analyze checks that /usr/sbin/nginx exists).
e2e_require_cmd nginx
out=$(systemd-analyze verify "$deploy/systemd/ddump-proxy.service" 2>&1) || fail "systemd-analyze verify ddump-proxy: $out"
assert_eq "" "$out" "systemd-analyze verify ddump-proxy.service output"
p=$(cat "$deploy/systemd/ddump-proxy.service")
for line in "ExecStart=/usr/sbin/nginx -c /etc/ddump/nginx.conf -e stderr" "User=ddump-proxy" "Group=ddump-proxy" \
    "RuntimeDirectory=ddump-proxy" "CapabilityBoundingSet=" "AmbientCapabilities=" "NoNewPrivileges=yes" \
    "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes" \
    "SystemCallFilter=@system-service" "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
    grep -qx "$line" <<<"$p" || fail "ddump-proxy.service lacks $line"
done
n=$(cat "$deploy/nginx/nginx.conf")
grep -qE '^[[:space:]]*user[[:space:]]' <<<"$n" && fail "nginx.conf has a user directive (its master is not root)"
grep -qx '    include /etc/ddump/ddump.conf;' <<<"$n" || fail "nginx.conf does not include /etc/ddump/ddump.conf"
# systemd's exposure score of each unit (systemd-analyze security: 0.0 is the
# least exposed, 10.0 the most; OK ends at 2.0 here): no worse than when the
# units were written, worker 2.0 OK, proxy 1.7 OK. --offline (systemd 250)
# reads the unit file itself, with no systemd running.
if systemd-analyze --help 2>&1 | grep -q -- '--offline'; then
    for spec in ddump-worker:20 ddump-proxy:17; do
        name=${spec%%:*}
        out=$(systemd-analyze security --offline=true "$deploy/systemd/$name.service" 2>&1) ||
            fail "systemd-analyze security $name.service: $out"
        line=$(grep -oE "Overall exposure level for $name\.service: [0-9]+\.[0-9] [A-Z]+" <<<"$out") ||
            fail "systemd-analyze security $name.service printed no overall level: $out"
        read -r score level <<<"${line##*: }"
        note "systemd-analyze security $name.service: $score $level"
        assert_le "${score/./}" "${spec#*:}" "$name.service's exposure level (tenths)"
        [[ $level == OK || $level == SAFE ]] || fail "$name.service's exposure is $level, not OK"
    done
else
    note "SKIP the units' exposure levels: systemd-analyze $(systemd-analyze --version | head -1) has no --offline (systemd >= 250)"
fi

# --- cmake --install and the .deb ------------------------------------------------
# Package the tree the tests were built from (no second build).
cpack_config=$(readlink -f "$DDUMP_BIN_DIR/..")/CPackConfig.cmake
[[ -f "$cpack_config" ]] || fail "no CPackConfig.cmake next to $DDUMP_BIN_DIR"
build=$E2E_TMP/pkg
cpack --config "$cpack_config" -G DEB -B "$build" >/dev/null || fail "cpack"
deb=$(ls "$build"/ddump_*_amd64.deb)
info=$(dpkg-deb --info "$deb")
assert_contains "$info" "Package: ddump" "package name"
assert_contains "$info" "Depends: libpcap0.8" "dependencies"
grep -qE '^ Depends: .*[ ,]adduser(,|$)' <<<"$info" || fail "the postinst's adduser is no dependency: $info"
assert_contains "$info" "postinst" "postinst sets the capability"
dpkg-deb -e "$deb" "$E2E_TMP/control"
cmp -s "$E2E_TMP/control/postinst" "$deploy/debian/postinst" || fail "the package's postinst is not deploy/debian/postinst"
# What the packaged postinst runs, with stand-ins that only record their
# arguments (the user and group already there, as getent says): on configure
# exactly the one setcap; on anything else (abort-upgrade, ...) nothing.
shims=$E2E_TMP/postinst-shims
mkdir "$shims"
for cmd in getent addgroup adduser setcap; do
    # shellcheck disable=SC2016  # the stand-in's own text
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$cmd" "$E2E_TMP" >"$shims/$cmd"
    chmod 755 "$shims/$cmd"
done
for arg in configure abort-upgrade; do
    : >"$E2E_TMP/calls"
    rc=0
    out=$(PATH="$shims:/usr/sbin:/usr/bin:/sbin:/bin" sh "$E2E_TMP/control/postinst" "$arg" 2>&1) || rc=$?
    assert_eq 0 "$rc" "postinst $arg exit status: $out"
    assert_eq "" "$out" "postinst $arg output"
    calls=$(grep -v '^getent ' "$E2E_TMP/calls" || true)
    if [[ $arg == configure ]]; then
        assert_eq "setcap cap_net_raw=eip /usr/bin/ddump-worker" "$calls" "what postinst configure runs"
    else
        assert_eq "" "$(cat "$E2E_TMP/calls")" "what postinst $arg runs"
    fi
done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/ddump-worker ./usr/bin/ddump ./usr/lib/systemd/system/ddump-worker.service \
    ./usr/lib/systemd/system/ddump-proxy.service ./usr/share/doc/ddump/examples/nginx.conf \
    ./usr/share/doc/ddump/README.md ./usr/share/doc/ddump/examples/ddump.conf; do
    assert_contains "$contents" "$f" "package contains $f"
done
dpkg-deb -x "$deb" "$E2E_TMP/root"
# Whole output first: `| grep -q` would close the pipe early (SIGPIPE + pipefail).
assert_contains "$("$E2E_TMP/root/usr/bin/ddump-worker" --help)" "--listen ADDR" "packaged worker --help"
assert_contains "$("$E2E_TMP/root/usr/bin/ddump" --help)" "--max-delay" "packaged ddump --help"

pass "deploy files: envoy, kubernetes (kustomize, secure as shipped), Dockerfile, systemd (worker and proxy, exposure levels), .deb"
