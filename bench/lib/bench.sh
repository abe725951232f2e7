# shellcheck shell=bash disable=SC2034  # globals set here are read by the scripts
# Helpers shared by the bench/worker-* scripts. Source it, then call bench_init.
#
#   bench_init NAME            root check, temp dir, cleanup trap (EXIT INT TERM HUP)
#   bench_spawn VAR CMD...     run CMD in the background, PID in $VAR, killed at cleanup
#   bench_stop PID [SIG] [S]   signal PID, wait up to S seconds, then SIGKILL
#   bench_netns                two namespaces joined by a veth pair (see below)
#   bench_build_tools          builds bench/tools into $BENCH_BUILD
#   cpu_ns PID...              on-CPU time (user+sys) of every thread of PIDs, in ns
#   wait_for_line FILE REGEX S wait until FILE has a line matching REGEX
#   worker_start VAR NS [ARG...]  start ddump-worker in namespace NS on 127.0.0.1:0;
#                              sets $WORKER_PORT and $WORKER_LOG
#
# Everything is torn down by PID and by name at exit: processes this script
# started, the namespaces it created, its temp dir. Nothing else is touched.

BENCH_REPO=${BENCH_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BENCH_BUILD=${BENCH_BUILD:-$BENCH_REPO/build-bench}
DDUMP_WORKER=${DDUMP_WORKER:-$BENCH_REPO/build-release/bin/ddump-worker}
BENCH_TMP=""
BENCH_PIDS=()
BENCH_NETNS=()
NS_SEND=""
NS_RECV=""

bench_log() { printf '# %s\n' "$*" >&2; }
bench_die() { printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2; exit 1; }

bench_cleanup() {
  local pid ns
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  for ns in "${BENCH_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  BENCH_NETNS=()
  if [[ -n "$BENCH_TMP" && -d "$BENCH_TMP" && -z "${BENCH_KEEP:-}" ]]; then rm -rf "$BENCH_TMP"; fi
}

bench_init() {
  BENCH_NAME=$1
  [[ $EUID -eq 0 || -n ${BENCH_ALLOW_USER:-} ]] || bench_die "run as root (network namespaces, packet capture)"
  BENCH_TMP=$(mktemp -d "/tmp/ddump-$BENCH_NAME.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM HUP
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  bench_log "$BENCH_NAME: $(nproc) CPUs, load average $load (other load on the machine skews every number)"
}

bench_spawn() {
  local var=$1
  shift
  "$@" &
  local pid=$!
  BENCH_PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
}

# Signals PID, waits for it, forgets it. Returns the process's exit status.
bench_stop() {
  local pid=$1 sig=${2:-TERM} secs=${3:-3} i rc=0
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || rc=$?
  local keep=() p
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
  return "$rc"
}

wait_for_line() {
  local file=$1 regex=$2 secs=${3:-5} i
  for ((i = 0; i < secs * 20; i++)); do
    grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# Sum of /proc/PID/task/*/schedstat run time (ns): precise user+sys of all threads.
cpu_ns() {
  local total=0 pid f v
  for pid in "$@"; do
    for f in /proc/"$pid"/task/*/schedstat; do
      read -r v _ <"$f" 2>/dev/null || continue
      total=$((total + v))
    done
  done
  echo "$total"
}

# Two namespaces, sender NS_SEND (10.77.0.1, veth "vs") and receiver NS_RECV
# (10.77.0.2, veth "vr"). The sender's traffic goes to BENCH_SINK_IP, an
# address on the receiver's link that the receiver does not own: with a static
# neighbour entry the frames reach vr as PACKET_HOST and the receiver, not
# forwarding, drops them silently after the capture taps (no ICMP replies, no
# socket, no receive-side CPU beyond the stack itself).
BENCH_SINK_IP=10.77.0.9
bench_netns() {
  local tag="ddb$$"
  NS_SEND="${tag}s"
  NS_RECV="${tag}r"
  ip netns add "$NS_SEND" && BENCH_NETNS+=("$NS_SEND")
  ip netns add "$NS_RECV" && BENCH_NETNS+=("$NS_RECV")
  ip link add vs netns "$NS_SEND" type veth peer name vr netns "$NS_RECV"
  local ns
  for ns in "$NS_SEND" "$NS_RECV"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_SEND" addr add 10.77.0.1/24 dev vs
  ip -n "$NS_RECV" addr add 10.77.0.2/24 dev vr
  ip -n "$NS_SEND" link set vs up
  ip -n "$NS_RECV" link set vr up
  local mac
  mac=$(ip netns exec "$NS_RECV" cat /sys/class/net/vr/address)
  ip -n "$NS_SEND" neigh replace "$BENCH_SINK_IP" lladdr "$mac" dev vs nud permanent
}

# rx_packets of the receiver's veth.
recv_rx_packets() { ip netns exec "$NS_RECV" cat /sys/class/net/vr/statistics/rx_packets; }

bench_build_tools() {
  command -v cmake >/dev/null || bench_die "cmake is needed to build bench/tools"
  if ! { cmake -S "$BENCH_REPO/bench/tools" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release &&
         cmake --build "$BENCH_BUILD" -j"$(nproc)"; } >"$BENCH_TMP/build.log" 2>&1; then
    cat "$BENCH_TMP/build.log" >&2
    bench_die "building bench/tools failed"
  fi
}

# worker_start VAR NS [ARG...]: ddump-worker in NS (empty: this namespace) on 127.0.0.1:0.
worker_start() {
  local var=$1 ns=$2
  shift 2
  [[ -x $DDUMP_WORKER ]] || bench_die "no worker at $DDUMP_WORKER (build it, or set DDUMP_WORKER)"
  WORKER_LOG=$BENCH_TMP/worker.log
  if [[ -n $ns ]]; then
    bench_spawn "$var" ip netns exec "$ns" "$DDUMP_WORKER" --listen 127.0.0.1:0 "$@" 2>"$WORKER_LOG"
  else
    bench_spawn "$var" "$DDUMP_WORKER" --listen 127.0.0.1:0 "$@" 2>"$WORKER_LOG"
  fi
  wait_for_line "$WORKER_LOG" 'info listening address="127\.0\.0\.1:[0-9]+"' 10 ||
    bench_die "worker did not start: $(cat "$WORKER_LOG")"
  WORKER_PORT=$(sed -n 's/.*info listening address="127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$WORKER_LOG" | head -1)
}

# The n-th (1-based) capture_end line of the worker log.
worker_capture_end() { grep ' capture_end ' "$WORKER_LOG" | sed -n "${1}p"; }
# field NAME LINE: value of NAME=... in a worker log line.
log_field() { sed -n "s/.* $1=\"\{0,1\}\([^ \"]*\).*/\1/p" <<<"$2"; }
