#!/usr/bin/env bash
# Deployment files that cannot run here are still checked: envoy and Kubernetes
# YAML parsed with their fields asserted, the Dockerfile's shape, the systemd
# units (worker and proxy) verified by systemd-analyze, and the .deb built by
# CPack inspected with dpkg-deb.
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

# --- Kubernetes: DaemonSet on the host network, NET_RAW only, probe, headless Service
/usr/bin/python3 - "$deploy/kubernetes" <<'PY' || fail "kubernetes manifests"
import glob, sys, yaml
docs = [d for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")) for d in yaml.safe_load_all(open(f))]
kinds = {d["kind"]: d for d in docs}
ds = kinds["DaemonSet"]["spec"]["template"]["spec"]
assert ds["hostNetwork"] is True
assert ds["securityContext"]["runAsNonRoot"] is True
c = ds["containers"][0]
assert c["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_RAW"]}
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
svc = kinds["Service"]["spec"]
assert svc["clusterIP"] == "None" and svc["ports"][0]["port"] == 8475
assert svc["selector"] == kinds["DaemonSet"]["spec"]["selector"]["matchLabels"]
PY

# --- Dockerfile: multi-stage bookworm, non-root user, capability, entrypoint ----
df=$(cat "$deploy/Dockerfile")
assert_eq 2 "$(grep -c '^FROM debian:bookworm' <<<"$df")" "two bookworm stages"
assert_contains "$df" "setcap cap_net_raw=eip /usr/bin/ddump-worker" "file capability"
grep -qE '^USER [0-9]+' <<<"$df" || fail "Dockerfile must switch to a non-root USER"
assert_contains "$df" 'ENTRYPOINT ["/usr/bin/ddump-worker"]' "entrypoint"

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

pass "deploy files: envoy, kubernetes, Dockerfile, systemd (worker and proxy), .deb"
