#!/usr/bin/env bash
# Proves the e2e harness (lib.sh) itself, with real tcpdump and no ddump code:
#   * two namespaces joined by a veth pair; tcpdump capturing in one of them;
#     exactly N UDP datagrams and M pings from the other; exact packet counts
#   * a 3-host L2 LAN (ns_lan) carries traffic
#   * wait_for times out (bounded) with a message
#   * cleanup kills recorded PIDs (also ones ignoring SIGTERM) and unrecorded
#     processes inside the test namespaces, deletes every namespace, removes
#     $E2E_TMP, and is idempotent.
#   * its failure paths, run in child tests (child.sh MODE): a failed assertion
#     (exit 1, the FAIL line first) and SIGTERM (exit 143) leave no namespace,
#     process or temp dir behind; a stand-in named ddump-worker that exits
#     non-zero at cleanup, leaves a sanitizer report, or is stopped with
#     another status than expected fails a test that passed, a report in a
#     foreground run's stderr file too; stop NAME KILL, an expected status and
#     a clean exit pass; skip exits 77.
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

# --- the harness's own failure paths, in child tests -------------------------------
# A stand-in for the worker: a program named ddump-worker (so its exit status
# is checked) that on SIGTERM leaves as its argument says: clean (0), leak
# (an LSan report and the sanitizers' status 86) or with that status. (The
# report's words are split in these scripts: this test's own cleanup looks
# for them in every file of its $E2E_TMP.)
mkdir "$E2E_TMP/bin"
cat >"$E2E_TMP/bin/ddump-worker" <<'SH'
#!/bin/bash
on_term() {
    case $1 in
        clean) exit 0 ;;
        leak) echo "==1==ERROR: Leak""Sanitizer: detected memory leaks" >&2
              echo "SUMMARY: AddressSanitizer: 64 byte(s) leaked in 1 allocation(s)." >&2
              exit 86 ;;
        *) exit "$1" ;;
    esac
}
trap 'on_term "$1"' TERM
echo "listening" >&2
while :; do sleep 0.05; done
SH
chmod 755 "$E2E_TMP/bin/ddump-worker"
# child.sh MODE: the report file gets "PREFIX TMP PID..." of what it made
cat >"$E2E_TMP/child.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
source "$_E2E_LIB_FILE"
e2e_init
mode=\$1 report=$E2E_TMP/report.\$1
worker() { spawn worker "$E2E_TMP/bin/ddump-worker" "\$1"; wait_for_log worker listening 5; }
case \$mode in
    fail|hang)   # namespaces, a process ignoring SIGTERM, an unrecorded one, a leaking worker
        ns_create a
        ns_create b
        ns_link a b 10.213.9.1/24 10.213.9.2/24
        spawn sleeper sleep 600
        ns_spawn a stubborn bash -c 'trap "" TERM INT; while :; do sleep 0.1; done'
        ns_exec a sleep 600 </dev/null >/dev/null 2>&1 &
        unrecorded=\$!
        worker leak
        echo "\$E2E_PREFIX \$E2E_TMP \$(pid_of sleeper) \$(pid_of stubborn) \$unrecorded \$(pid_of worker)" >"\$report"
        [[ \$mode == fail ]] && assert_eq 1 2 "deliberate failure"
        echo ready >"\$report.ready"
        wait_for 120 false ;;
    leak|clean|3) worker "\$mode" ;;
    killed) worker leak; stop worker KILL ;;
    stopped) worker 3; stop worker TERM ;;
    expected) worker 3; stop worker TERM 5 3 ;;
    foreground) echo "x.cpp:1:2: runtime"" error: load of misaligned address" >"\$E2E_TMP/fg.err" ;;
    skip) worker clean; skip "deliberate skip" ;;
esac
echo "\$E2E_PREFIX \$E2E_TMP \${_E2E_NAME_PID[worker]:-}" >"\$report"
pass "child \$mode"
SH

# gone PREFIX TMP PID...: nothing of a finished child test is left
gone() {
    local prefix=$1 tmp=$2 pid
    shift 2
    assert_eq "" "$(ip netns list | awk '{print $1}' | grep -F -- "$prefix" || true)" "namespaces of $prefix"
    [[ -e "$tmp" ]] && fail "$tmp not removed"
    for pid in "$@"; do
        pid_alive "$pid" && fail "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) outlived its test"
    done
    return 0
}

# A failed assertion and SIGTERM, side by side.
spawn child_fail bash "$E2E_TMP/child.sh" fail
spawn child_hang bash "$E2E_TMP/child.sh" hang
wait_for 20 test -e "$E2E_TMP/report.hang.ready" || fail "child hang did not get ready: $(cat "$(log_err child_hang)")"
stop child_hang TERM 15 || fail "child hang did not end on SIGTERM"
assert_eq 143 "$E2E_EXIT_STATUS" "exit status of a child test stopped by SIGTERM"
wait_exit child_fail 20 || fail "child fail did not end"
assert_eq 1 "$E2E_EXIT_STATUS" "exit status of a child test that failed an assertion"
read -r -a made <"$E2E_TMP/report.hang"
gone "${made[@]}"
read -r -a made <"$E2E_TMP/report.fail"
gone "${made[@]}"
err=$(cat "$(log_err child_fail)")
assert_contains "$err" "FAIL [child] (child.sh:" "the failed assertion"
assert_contains "$err" "deliberate failure: expected '1', got '2'" "the failed assertion's text"
assert_contains "$err" "e2e [child]: besides the failure above: ddump-worker 'worker' (pid ${made[5]}) exited with status 86" \
    "a second problem, after"
first=${err%%besides the failure above*}
assert_contains "$first" "deliberate failure" "the first failure comes first"
assert_contains "$(cat "$(log_err child_hang)")" "e2e [child]: caught SIGTERM, cleaning up" "SIGTERM noted"
pass "a failed assertion (exit 1) and SIGTERM (exit 143) leave no namespace, process or temp dir"

# child MODE: run child.sh MODE in the foreground; sets RC and ERR
child() {
    RC=0
    bash "$E2E_TMP/child.sh" "$1" >"$E2E_TMP/child.out" 2>"$E2E_TMP/child.err" || RC=$?
    ERR=$(cat "$E2E_TMP/child.err")
    if [[ -e "$E2E_TMP/report.$1" ]]; then
        read -r -a made <"$E2E_TMP/report.$1"
        gone "${made[@]}"
    fi
}
child leak
assert_eq 1 "$RC" "exit status: a worker left a sanitizer report at cleanup"
assert_contains "$ERR" "exited with status 86 (a sanitizer found an error) after SIGTERM at cleanup, expected 0" "leak: status"
assert_contains "$ERR" "FAIL [child] (cleanup): sanitizer report in worker.err (ddump-worker 'worker', pid " "leak: report named"
assert_contains "$ERR" "ERROR: LeakSanitizer: detected memory leaks" "leak: report shown"
child 3
assert_eq 1 "$RC" "exit status: a worker exited 3 at cleanup"
assert_contains "$ERR" "FAIL [child] (cleanup): ddump-worker 'worker' (pid" "exit 3: named"
assert_contains "$ERR" "exited with status 3 after SIGTERM at cleanup, expected 0" "exit 3: status"
child stopped
assert_eq 1 "$RC" "exit status: stop found another status"
assert_contains "$ERR" "FAIL [child] (child.sh:" "stop: where"
assert_contains "$ERR" "exited with status 3 after SIGTERM, expected 0" "stop: status"
child foreground
assert_eq 1 "$RC" "exit status: a report in a foreground run's stderr file"
assert_contains "$ERR" "FAIL [child] (cleanup): sanitizer report in fg.err:" "foreground report named"
for m in clean killed expected; do
    child "$m"
    assert_eq 0 "$RC" "exit status of child $m: $ERR"
    assert_contains "$(cat "$E2E_TMP/child.out")" "ok   [child]: child $m" "child $m passed"
done
child skip
assert_eq 77 "$RC" "exit status of a skipped child"
assert_contains "$ERR" "SKIP [child]: deliberate skip" "skip line"
# What the children said (their sanitizer text) is not this test's report.
rm -f "$E2E_TMP/child.err" "$(log_err child_fail)" "$(log_err child_hang)"
pass "exit statuses and sanitizer reports fail a passing test; KILL, expected statuses and skips do not"

# --- things cleanup must handle ----------------------------------------------------
spawn sleeper sleep 600                                   # host netns, recorded
ns_spawn a stubborn bash -c 'trap "" TERM INT; while :; do sleep 0.1; done'  # ignores TERM
STUBBORN=$SPAWN_PID
ns_exec a sleep 600 </dev/null >/dev/null 2>&1 &          # NOT recorded
UNRECORDED=$!
wait_for 5 pid_alive "$UNRECORDED"
wait_for 5 pid_alive "$STUBBORN"
pid_alive "$(pid_of sleeper)" || fail "sleeper not running"

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
