#!/usr/bin/env bash
# Runs inside a fresh root as root, with the .deb in /root: installs it the way
# the README says (its dependencies must come from Debian alone), then starts
# the packaged ddump-worker as an unprivileged user holding no capability but
# the file capability the package's postinst set, and captures a ping on
# loopback through the packaged ddump.
set -euo pipefail
deb=$(ls /root/ddump_*.deb)

export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q "$deb"

caps=$(getcap /usr/bin/ddump-worker)
echo "file capability: $caps"
case "$caps" in *cap_net_raw=eip*) ;; *) echo "check_package: postinst did not set cap_net_raw=eip" >&2; exit 1 ;; esac

# Test tools only, installed after the package so they cannot have satisfied
# its dependencies: ping for traffic, tcpdump to read the capture back.
apt-get install -y -q --no-install-recommends iputils-ping tcpdump >/dev/null

useradd --system --no-create-home --shell /usr/sbin/nologin ddumpci
log=$(mktemp); out=$(mktemp)
chmod 0644 "$log"
# A plain user: no ambient, inheritable or bounding-set capability beyond what
# the file capability gives on exec.
setpriv --reuid=ddumpci --regid=ddumpci --clear-groups --inh-caps=-all \
  /usr/bin/ddump-worker --listen 127.0.0.1:0 2>"$log" &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 200); do  # up to 10 s
  port=$(grep -oE 'listening address="127.0.0.1:[0-9]+"' "$log" | grep -oE '[0-9]+"$' | tr -d '"' || true)
  [ -n "$port" ] && break
  kill -0 "$worker" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$port" ] || { echo "check_package: the worker did not start" >&2; cat "$log" >&2; exit 1; }
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$worker/status")
[ "$uid" != 0 ] || { echo "check_package: the worker runs as root" >&2; exit 1; }

# ddump first, pings once it streams, so no echo request can be missed.
ddump -c 10 --duration 30 "127.0.0.1:$port" 'icmp[icmptype] = icmp-echo' >"$out" 2>"$log.client" &
client=$!
for _ in $(seq 200); do  # up to 10 s
  grep -q streaming "$log.client" && break
  kill -0 "$client" 2>/dev/null || break
  sleep 0.05
done
grep -q streaming "$log.client" || { echo "check_package: ddump did not start streaming" >&2; cat "$log.client" "$log" >&2; exit 1; }
ping -n -i 0.2 -c 10 127.0.0.1 >/dev/null
rc=0
wait "$client" || rc=$?
cat "$log.client"
requests=$(tcpdump -nr "$out" 2>/dev/null | grep -c 'ICMP echo request' || true)
echo "packaged ddump-worker (uid $uid) captured $requests ICMP echo requests; ddump exit $rc"
[ "$rc" -eq 0 ] && [ "$requests" -eq 10 ] ||
  { echo "check_package: expected 10 echo requests and exit 0, got $requests and $rc" >&2; cat "$log" >&2; exit 1; }
