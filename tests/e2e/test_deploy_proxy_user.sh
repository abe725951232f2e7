#!/usr/bin/env bash
# The worker's unix socket is the proxy's alone. In a private mount namespace
# with a private copy of /etc (nothing of it is visible outside):
#   1. deploy/debian/postinst configure, run twice, makes the system user and
#      group ddump-proxy once (the user the group's one member, no home, no
#      shell) and still sets the worker's capability (a stand-in setcap).
#   2. The worker runs as deploy/systemd/ddump-worker.service does: its
#      ExecStart line, a dynamic-range uid, the unit's Group= (which decides the
#      socket's group), its RuntimeDirectoryMode, CAP_NET_RAW as ambient
#      capability. The socket is 0660 in a 0750 directory, both of group
#      ddump-proxy.
#   3. www-data (the user of a shared nginx, PHP-FPM and CGI programs) and
#      nobody are refused: curl exits 7, "Permission denied", and the worker
#      sees no request; also with the directory opened to all (0755), where the
#      socket's own mode and group are all that is left.
#   4. The proxy's user connects and captures over the socket, and the
#      dedicated nginx of deploy/systemd/ddump-proxy.service runs as that user
#      (its ExecStart line as written, /etc/ddump/nginx.conf and ddump.conf
#      with only the runtime paths moved): no root, no capability, no warning,
#      and a ddump through it with mTLS and basic auth gets exactly the pings,
#      its access log naming the user and the certificate's subject.
set -euo pipefail

if [[ $EUID -eq 0 && "${DDUMP_PROXY_USER_PRIVATE_MOUNTS:-}" != 1 ]]; then
    export DDUMP_PROXY_USER_PRIVATE_MOUNTS=1
    exec unshare --mount --propagation private -- bash "$(readlink -f "$0")" "$@"
fi

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
source "$(dirname "$0")/deploy_lib.sh"
e2e_init
e2e_require_cmd nginx openssl curl setpriv unshare adduser addgroup getent
[[ "$DDUMP_PROXY_USER_PRIVATE_MOUNTS" == 1 ]] || fail "not in the private mount namespace"
deploy=$DDUMP_SRC_DIR/deploy
chmod 755 "$E2E_TMP"   # the unprivileged users below reach their directories in it

# A private /etc: users and groups made here exist for this test alone.
cp -a /etc "$E2E_TMP/etc"
mount --bind "$E2E_TMP/etc" /etc || fail "cannot bind-mount a copy of /etc"

# --- 1. postinst: the proxy's system user and group --------------------------
shims=$E2E_TMP/shims
mkdir "$shims"
# shellcheck disable=SC2016  # the stand-in's own text
printf '#!/bin/sh\necho "$*" >>%s/setcap.calls\n' "$E2E_TMP" >"$shims/setcap"
chmod 755 "$shims/setcap"
for n in 1 2; do
    rc=0
    out=$(PATH="$shims:$PATH" sh "$deploy/debian/postinst" configure 2>&1) || rc=$?
    assert_eq 0 "$rc" "postinst configure (run $n) exit status: $out"
    assert_eq "" "$out" "postinst configure (run $n) output"
    if [[ $n == 1 ]]; then
        cp /etc/passwd "$E2E_TMP/passwd.1"
        cp /etc/group "$E2E_TMP/group.1"
    fi
done
cmp -s /etc/passwd "$E2E_TMP/passwd.1" || fail "the second postinst changed /etc/passwd"
cmp -s /etc/group "$E2E_TMP/group.1" || fail "the second postinst changed /etc/group"
assert_eq "cap_net_raw=eip /usr/bin/ddump-worker"$'\n'"cap_net_raw=eip /usr/bin/ddump-worker" \
    "$(cat "$E2E_TMP/setcap.calls")" "postinst's setcap, once a run"
IFS=: read -r pname _ puid pgid _ phome pshell < <(getent passwd ddump-proxy) || fail "postinst made no user ddump-proxy"
IFS=: read -r gname _ ggid gmembers < <(getent group ddump-proxy) || fail "postinst made no group ddump-proxy"
assert_eq ddump-proxy "$pname" "user name"
assert_eq ddump-proxy "$gname" "group name"
assert_eq "$ggid" "$pgid" "the user's primary group is ddump-proxy"
assert_le "$puid" 999 "a system uid"
assert_le "$ggid" 999 "a system gid"
assert_eq /nonexistent "$phome" "no home"
assert_eq /usr/sbin/nologin "$pshell" "no login shell"
assert_eq "" "$gmembers" "no supplementary members"
assert_eq 1 "$(awk -F: -v g="$ggid" '$4 == g' /etc/passwd | wc -l)" "users whose primary group is ddump-proxy"
for who in www-data nobody; do
    assert_not_contains " $(id -nG "$who") " " ddump-proxy " "groups of $who"
done
pass "postinst, twice: system user and group ddump-proxy ($puid:$ggid), its only member; setcap still run"

# --- 2. the worker as its unit runs it ---------------------------------------
ns_create host
ns_create cli
ns_link host cli 10.213.8.1/24 10.213.8.2/24
unit=$deploy/systemd/ddump-worker.service
wgroup=$(sed -n 's/^Group=//p' "$unit")
wmode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$unit")
wexec=$(sed -n 's/^ExecStart=//p' "$unit")
[[ -n "$wgroup" && -n "$wmode" && -n "$wexec" ]] || fail "the worker unit lacks Group=, RuntimeDirectoryMode= or ExecStart="
assert_eq "RuntimeDirectory=ddump" "$(grep '^RuntimeDirectory=' "$unit")" "the unit's runtime directory is /run/ddump"
assert_contains "$wexec" "--listen unix:/run/ddump/worker.sock" "the unit's socket"
wuid=61875   # DynamicUser= picks from 61184-65519; no name, as in the unit
mkdir -m 755 "$E2E_TMP/run" "$E2E_TMP/bin"
run=$E2E_TMP/run/ddump   # stands for /run/ddump
mkdir -m "$wmode" "$run"
chown "$wuid:$wgroup" "$run"
install -m 755 "$(e2e_bin ddump-worker)" "$E2E_TMP/bin/ddump-worker"
cmd=${wexec//\/usr\/bin\/ddump-worker/$E2E_TMP/bin/ddump-worker}
cmd=${cmd//\/run\/ddump\//$run/}
sock=$run/worker.sock
# The unit's NoNewPrivileges, AmbientCapabilities and CapabilityBoundingSet.
ns_spawn host worker setpriv --reuid="$wuid" --regid="$wgroup" --clear-groups --nnp \
    --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw --bounding-set=-all,+net_raw bash -c "$cmd"
wait_for_log worker '"event":"listening"' 10 || fail "the unit's worker did not start: $(cat "$(log_err worker)")"
assert_eq "660 $wuid ddump-proxy" "$(stat -c '%a %u %G' "$sock")" "the socket: mode, owner, group"
assert_eq "750 $wuid ddump-proxy" "$(stat -c '%a %u %G' "$run")" "its directory: mode, owner, group"
# root (CAP_DAC_OVERRIDE) reads the worker's counters past the permissions
metric() { ns_exec host curl -s --max-time 5 --unix-socket "$sock" http://w/metrics | awk -v m="$1" '$1 == m {print $2}'; }
active_is() { [[ "$(metric ddump_captures_active)" == "$1" ]]; }
assert_eq 0 "$(metric ddump_captures_total)" "captures before any client"

# --- 3. any other local user is refused --------------------------------------
refused() {  # USER WHERE
    local who=$1 rc=0 err
    err=$(ns_exec host setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups \
        curl -sS -v --max-time 5 --unix-socket "$sock" 'http://w/capture?filter=icmp' 2>&1 >/dev/null) || rc=$?
    assert_eq 7 "$rc" "curl exit status as $who ($2)"
    # curl -v: "* Immediate connect fail for PATH: STRERROR", PATH cut short
    local line path
    line=$(grep '^\* Immediate connect fail for ' <<<"$err" || true)
    assert_eq "Permission denied" "${line##*: }" "connect(2)'s error as $who ($2): $err"
    path=${line#\* Immediate connect fail for }
    path=${path%: Permission denied}
    [[ -n "$path" && "$sock" == "$path"* ]] || fail "curl as $who ($2) names '$path', not the socket $sock"
    assert_contains "$err" "curl: (7) Failed to connect to w port 80 after" "curl as $who ($2)"
    assert_contains "$err" "Couldn't connect to server" "curl as $who ($2)"
}
for who in www-data nobody; do refused "$who" "directory $wmode"; done
chmod 0755 "$run"   # the socket's own mode and group alone
for who in www-data nobody; do refused "$who" "directory 0755"; done
chmod "$wmode" "$run"
assert_eq 0 "$(metric ddump_captures_total)" "captures after 4 refused connections"
pass "www-data and nobody refused (exit 7, Permission denied), by the directory and by the socket alone"

# --- 4. the proxy's user connects and captures --------------------------------
as_proxy=(setpriv --reuid=ddump-proxy --regid=ddump-proxy --init-groups)
assert_eq ok "$(ns_exec host "${as_proxy[@]}" curl -sS --max-time 5 --unix-socket "$sock" http://w/healthz)" \
    "healthz as ddump-proxy"
ns_spawn host sockcap "${as_proxy[@]}" curl -sN --fail --max-time 20 --unix-socket "$sock" \
    'http://w/capture?filter=udp+port+17300&count=4'
wait_for 10 active_is 1 || fail "capture as ddump-proxy did not start: $(cat "$(log_err sockcap)")"
udp_send host 127.0.0.1 17300 4
wait_exit sockcap 10 || fail "the capture as ddump-proxy did not end after 4 packets"
assert_eq 0 "$E2E_EXIT_STATUS" "curl as ddump-proxy exit status"
assert_eq 4 "$(pcap_count "$(log_out sockcap)" udp port 17300)" "packets captured by ddump-proxy over the socket"

# The dedicated nginx, as deploy/systemd/ddump-proxy.service runs it.
punit=$deploy/systemd/ddump-proxy.service
[[ -f "$punit" ]] || fail "no $punit"
puser=$(sed -n 's/^User=//p' "$punit")
pgroup=$(sed -n 's/^Group=//p' "$punit")
pdir=$(sed -n 's/^RuntimeDirectory=//p' "$punit")
pmode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$punit")
pexec=$(sed -n 's/^ExecStart=//p' "$punit")
assert_eq "ddump-proxy ddump-proxy" "$puser $pgroup" "the proxy unit's User= and Group="
assert_contains "$pexec" "-c /etc/ddump/nginx.conf" "the proxy unit's configuration"
pki=$E2E_TMP/pki
make_pki "$pki" 10.213.8.1
# /etc/ddump as the README says: the key and htpasswd for the proxy's group only
mkdir -p /etc/ddump/tls
install -m 0644 "$pki/server.crt" /etc/ddump/tls/server.crt
install -m 0644 "$pki/ca.crt" /etc/ddump/tls/client-ca.crt
install -m 0640 -g "$pgroup" "$pki/server.key" /etc/ddump/tls/server.key
printf 'user:%s\n' "$(openssl passwd -apr1 pass)" >"$E2E_TMP/htpasswd"
install -m 0640 -g "$pgroup" "$E2E_TMP/htpasswd" /etc/ddump/htpasswd
prun=$E2E_TMP/run/$pdir   # stands for /run/$pdir
mkdir -m "$pmode" "$prun"
chown "$puser:$pgroup" "$prun"
sed "s#unix:/run/ddump/worker.sock#unix:$sock#" "$deploy/nginx/ddump.conf" >/etc/ddump/ddump.conf
sed -e "s#/run/$pdir/#$prun/#g" -e "s#unix:/dev/log#unix:$E2E_TMP/devlog#" \
    "$deploy/nginx/nginx.conf" >/etc/ddump/nginx.conf
assert_eq 6 "$(grep -c "$prun/" /etc/ddump/nginx.conf)" "runtime paths moved (pid and 5 temporary paths)"
assert_eq 1 "$(grep -c "unix:$E2E_TMP/devlog" /etc/ddump/nginx.conf)" "the access log's syslog socket moved"
# The journal's /dev/log, standing in: one datagram a line
ns_spawn host syslog "$E2E_PYTHON" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
print("ready", flush=True)
while True:
    print(s.recv(65536).decode(errors="replace"), flush=True)
' "$E2E_TMP/devlog"
wait_for_log syslog '^ready$' 10 || fail "syslog stand-in did not start"
# The unit's NoNewPrivileges, empty CapabilityBoundingSet and AmbientCapabilities.
ns_spawn host proxy setpriv --reuid="$puser" --regid="$pgroup" --init-groups --nnp \
    --inh-caps=-all --ambient-caps=-all --bounding-set=-all bash -c "$pexec"
wait_for_port host 8443 10 || fail "the proxy did not listen: $(cat "$(log_err proxy)")"
master=$(pid_of proxy)
workers=$(pgrep -P "$master" | wc -l)
assert_ge "$workers" 1 "nginx worker processes"
for pid in "$master" $(pgrep -P "$master"); do
    assert_eq "$puid $puid $puid $puid" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" "uids of nginx process $pid"
    assert_eq "0000000000000000" "$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")" "capabilities of nginx process $pid"
done

ddump=$(e2e_bin ddump)
ns_spawn cli live env DDUMP_PASSWORD=pass "$ddump" -q -c 4 --ca "$pki/ca.crt" --cert "$pki/client.crt" \
    --key "$pki/client.key" --user user https://10.213.8.1:8443 'icmp[icmptype] = icmp-echo'
wait_for 10 active_is 1 || fail "capture through the proxy did not start: $(cat "$(log_err live)")"
ns_exec cli ping -n -c 4 -i 0.2 -W 1 10.213.8.1 >/dev/null || fail "ping"
wait_exit live 10 || fail "ddump -c 4 through the proxy did not end"
assert_eq 0 "$E2E_EXIT_STATUS" "ddump exit status through the proxy: $(cat "$(log_err live)")"
assert_eq 4 "$(pcap_count "$(log_out live)")" "packets through the proxy"
assert_eq 4 "$(pcap_count "$(log_out live)" 'icmp[icmptype] = icmp-echo' and dst host 10.213.8.1)" "the pings through the proxy"
assert_eq 2 "$(metric ddump_captures_total)" "captures: ddump-proxy's over the socket and the one through nginx"
wait_for_log syslog '"GET /capture\?[^"]*" 200 ' 10 || fail "no access log line for the capture: $(cat "$(log_out syslog)")"
line=$(grep -F '"GET /capture?' "$(log_out syslog)")
assert_contains "$line" 'ddump_proxy: 10.213.8.2 user="user" cert="CN=client" "GET /capture?' "access log line"
assert_eq "" "$(cat "$(log_err proxy)")" "nginx's warnings and errors"
pass "ddump-proxy captures over the socket; its nginx ($((workers + 1)) processes, uid $puid, no capability) streams the 4 pings"
