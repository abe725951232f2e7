#!/usr/bin/env bash
# Proves the e2e harness (lib.sh) itself, with real tcpdump and no ddump code:
#   * two namespaces joined by a veth pair; tcpdump capturing in one of them;
#     exactly N UDP datagrams and M pings from the other; exact packet counts
#   * a 3-host L2 LAN (ns_lan) carries traffic
#   * wait_for times out (bounded) with a message
#   * cleanup kills recorded PIDs (also ones ignoring SIGTERM) and unrecorded
#     processes inside the test namespaces, deletes every namespace, removes
#     $E2E_TMP, and is idempotent.
#
# Self-test modes (for checking the harness by hand, never used by CTest):
#   E2E_HARNESS_MODE=fail   fail an assertion after the setup -> exit 1, no leaks
#   E2E_HARNESS_MODE=hang   block (bounded, 120 s) after the setup so the run
#                           can be interrupted with SIGINT/SIGTERM
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init

N_UDP=25
N_PING=7
PORT=9999
PCAP=$E2E_TMP/b.pcap

# --- two namespaces, one veth pair ---------------------------------------
ns_create a
ns_create b
assert_eq "${E2E_PREFIX}b" "$NS_NAME" "NS_NAME after ns_create"
assert_eq "$NS_NAME" "$(ns_name b)" "ns_name"
ns_link a b 10.213.1.1/24 10.213.1.2/24
IF_B=$(ns_ifname b a)
assert_contains "$(ns_exec b ip -br addr show dev "$IF_B")" "10.213.1.2/24" "address on $IF_B"

ns_spawn b cap tcpdump -n -i "$IF_B" -w "$PCAP" -U   # (no --immediate-mode on purpose)
CAP_PID=$SPAWN_PID
assert_eq "$CAP_PID" "$(pid_of cap)" "pid_of"
wait_for_log cap 'listening on' 10
pid_alive "$CAP_PID" || fail "tcpdump died: $(cat "$(log_err cap)")"

udp_send a 10.213.1.2 "$PORT" "$N_UDP"
ns_ping a 10.213.1.2 "$N_PING"

# all requests + replies must be in the file before we stop tcpdump (-U
# flushes per packet); wait on the file, not on time.
wait_for_pcap_count "$PCAP" "$N_UDP" 10 "udp and dst port $PORT"
wait_for_pcap_count "$PCAP" "$N_PING" 10 'icmp[icmptype] = icmp-echoreply'

stop cap INT 5 || fail "tcpdump did not stop on SIGINT"
assert_eq 0 "$E2E_EXIT_STATUS" "tcpdump exit status"
pid_alive "$CAP_PID" && fail "tcpdump still alive after stop"
assert_contains "$(cat "$(log_err cap)")" "0 packets dropped by kernel" "tcpdump summary"

assert_eq "$N_UDP"  "$(pcap_count "$PCAP" "udp and dst port $PORT")" "UDP datagrams in capture"
assert_eq "$N_PING" "$(pcap_count "$PCAP" 'icmp[icmptype] = icmp-echo')" "echo requests in capture"
assert_eq "$N_PING" "$(pcap_count "$PCAP" 'icmp[icmptype] = icmp-echoreply')" "echo replies in capture"
total=$(pcap_count "$PCAP")
assert_ge "$total" $((N_UDP + 2 * N_PING)) "total packets"
# payloads are "ddump-e2e-<i>"
payloads=$(tcpdump -r "$PCAP" -A -n "udp and dst port $PORT" 2>/dev/null)
assert_contains "$payloads" "ddump-e2e-0" "first payload"
assert_contains "$payloads" "ddump-e2e-$((N_UDP - 1))" "last payload"
assert_not_contains "$payloads" "ddump-e2e-$N_UDP" "no extra datagram"
pass "veth capture: $N_UDP UDP + $N_PING echo/reply pairs, $total packets total"

# --- UDP listener / wait_for_udp_port / wait_for_file_lines -----------------
ns_spawn b udprx "$E2E_PYTHON" -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.213.1.2", 9998))
while True:
    print(s.recv(100).decode(), flush=True)
'
wait_for_udp_port b 9998 10
udp_send a 10.213.1.2 9998 5 hello
wait_for_file_lines "$(log_out udprx)" 5 10
assert_eq "hello-4" "$(tail -n 1 "$(log_out udprx)")" "last datagram received"
pass "udp listener received 5 datagrams"

# --- TCP listener / wait_for_port ---------------------------------------------
ns_spawn a tcpsrv "$E2E_PYTHON" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.213.1.1", 7777)); s.listen(1)
c, _ = s.accept(); c.sendall(b"hi-from-a\n"); c.close()
'
wait_for_port a 7777 10
got=$(ns_exec b timeout 5 "$E2E_PYTHON" -c '
import socket; print(socket.create_connection(("10.213.1.1", 7777), 3).recv(100).decode().strip())')
assert_eq "hi-from-a" "$got" "tcp payload"
wait_exit tcpsrv 5
assert_eq 0 "$E2E_EXIT_STATUS" "tcp server exit status"
pass "tcp listener"

# --- 3 hosts on one L2 segment ---------------------------------------------------
ns_create h1
ns_create h2
ns_create h3
ns_lan lan h1=10.213.2.1/24 h2=10.213.2.2/24 h3=10.213.2.3/24
ns_spawn h3 cap3 tcpdump -n -i "$(ns_ifname h3 lan)" -w "$E2E_TMP/h3.pcap" -U
wait_for_log cap3 'listening on' 10
udp_send h1 10.213.2.3 5000 4
udp_send h2 10.213.2.3 5000 3
wait_for_pcap_count "$E2E_TMP/h3.pcap" 7 10 'udp and dst port 5000'
stop cap3 INT 5
assert_eq 4 "$(pcap_count "$E2E_TMP/h3.pcap" 'udp and src host 10.213.2.1')" "h1 -> h3"
assert_eq 3 "$(pcap_count "$E2E_TMP/h3.pcap" 'udp and src host 10.213.2.2')" "h2 -> h3"
ns_ping h1 10.213.2.2 2 || fail "h1 cannot ping h2 over the LAN"
pass "3-host LAN"

# --- wait_for times out, bounded, with a message -----------------------------------
t0=$(_e2e_now_us)
if wait_for 0.3 false 2>"$E2E_TMP/wf.err"; then fail "wait_for false succeeded"; fi
dt_ms=$(( ($(_e2e_now_us) - t0) / 1000 ))
assert_ge "$dt_ms" 300 "wait_for waited the timeout"
assert_le "$dt_ms" 2000 "wait_for is bounded"
assert_contains "$(cat "$E2E_TMP/wf.err")" "TIMEOUT after 0.3s waiting for: false" "timeout message"
# a hanging external command is bounded too
t0=$(_e2e_now_us)
if wait_for 0.5 sleep 30 2>/dev/null; then fail "wait_for sleep succeeded"; fi
dt_ms=$(( ($(_e2e_now_us) - t0) / 1000 ))
assert_le "$dt_ms" 3500 "wait_for bounds a hanging command"
pass "wait_for timeout"

# --- things cleanup must handle ----------------------------------------------------
spawn sleeper sleep 600                                   # host netns, recorded
ns_spawn a stubborn bash -c 'trap "" TERM INT; while :; do sleep 0.1; done'  # ignores TERM
STUBBORN=$SPAWN_PID
ns_exec a sleep 600 </dev/null >/dev/null 2>&1 &          # NOT recorded
UNRECORDED=$!
wait_for 5 pid_alive "$UNRECORDED"
wait_for 5 pid_alive "$STUBBORN"
pid_alive "$(pid_of sleeper)" || fail "sleeper not running"

case "${E2E_HARNESS_MODE:-}" in
    fail) assert_eq 1 2 "deliberate failure (E2E_HARNESS_MODE=fail)" ;;
    hang) note "hanging; interrupt me (pid $$)"; wait_for 120 false ;;
esac

# --- explicit cleanup, then prove nothing leaked ---------------------------------------
SAVED_TMP=$E2E_TMP
t0=$(_e2e_now_us)
e2e_cleanup
dt_ms=$(( ($(_e2e_now_us) - t0) / 1000 ))
assert_le "$dt_ms" 8000 "cleanup is bounded"
e2e_cleanup   # idempotent

left=$(e2e_leftovers)
assert_eq "" "$left" "leftovers after cleanup"
left_ns=$(ip netns list | awk '{print $1}' | grep -F -- "$E2E_PREFIX" || true)
assert_eq "" "$left_ns" "namespaces with prefix $E2E_PREFIX"
for pid in "$CAP_PID" "$STUBBORN" "$UNRECORDED"; do
    pid_alive "$pid" && fail "pid $pid survived cleanup"
done
[[ -e "$SAVED_TMP" ]] && [[ "${E2E_KEEP:-0}" != 1 ]] && fail "$SAVED_TMP not removed"
pass "cleanup: no namespaces, no processes, no temp dir left (${dt_ms} ms)"
