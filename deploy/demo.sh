#!/usr/bin/env bash
# README's first command: installs what is needed, builds in Release, then runs
# ddump's main job on this machine: a worker on 127.0.0.1 (a free port), a few
# pings on loopback, and the client streaming from the worker into
# `tcpdump -nr -`, live, for a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DDDUMP_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)"
bin=$PWD/build-release/bin

# The worker needs only CAP_NET_RAW: grant it unless we are root already.
if [ "$(id -u)" -ne 0 ]; then sudo setcap cap_net_raw=eip "$bin/ddump-worker"; fi

log=$(mktemp)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT INT TERM

"$bin/ddump-worker" --listen 127.0.0.1:0 2>"$log" &
pids+=($!)
port=""
for _ in $(seq 100); do  # up to 5 s for the worker to bind
  port=$(grep -oE 'listening address="127.0.0.1:[0-9]+"' "$log" | grep -oE '[0-9]+"$' | tr -d '"' || true)
  [ -n "$port" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$port" ] || { echo "demo: the worker did not start" >&2; cat "$log" >&2; exit 1; }

echo "== ddump-worker on 127.0.0.1:$port; streaming 'icmp' for 4 s into tcpdump -nr -" >&2
ping -n -i 0.5 -c 8 127.0.0.1 >/dev/null &
pids+=($!)
"$bin/ddump" --duration 4 "127.0.0.1:$port" icmp | tcpdump -nr -
