# shellcheck shell=bash
#
# ddump end-to-end test helper library.
#
# Usage (in tests/e2e/test_X.sh):
#
#     #!/usr/bin/env bash
#     set -euo pipefail
#     source "$(dirname "$0")/lib.sh"
#     e2e_init
#     ns_create a; ns_create b
#     ns_link a b 10.213.1.1/24 10.213.1.2/24
#     ns_spawn b cap tcpdump -i "$(ns_ifname b a)" --immediate-mode -U -w "$E2E_TMP/x.pcap" udp
#     wait_for_log cap 'listening on' 10
#     udp_send a 10.213.1.2 9999 25
#     wait_for_pcap_count "$E2E_TMP/x.pcap" 25 10 udp   # never stop blindly
#     stop cap INT 5
#     assert_eq 25 "$(pcap_count "$E2E_TMP/x.pcap" udp)" "udp packets captured"
#     pass "done"
#
# Environment:
#   DDUMP_BIN_DIR  directory with built binaries (ddump-worker, ddump)
#   DDUMP_SRC_DIR  repository root (default: derived from this file's location)
#   E2E_KEEP=1     keep $E2E_TMP after the test (its path is printed)
#   E2E_IPV6=1     keep IPv6 enabled on veth/bridge interfaces (default: IPv6
#                  is disabled on them to avoid DAD/RS/MLD noise; lo keeps ::1)
#   E2E_DUMP_LOGS=0  do not print the tails of spawned processes' logs when
#                  the test fails
#
# Conventions:
#   * Everything created (namespaces, processes, temp dir) is recorded and torn
#     down by e2e_cleanup, which e2e_init installs on EXIT/INT/TERM/HUP.
#     e2e_cleanup is idempotent and may also be called explicitly.
#   * Namespace NAMEs are short logical names ([A-Za-z0-9_], <= 13 chars); the
#     real netns name is "${E2E_PREFIX}NAME" (see ns_name).  E2E_PREFIX is
#     unique per test run ("ddt<pid>-"), so tests can run in parallel.
#   * Interfaces live only inside the test's namespaces (created there directly,
#     never in the host namespace).  The interface in namespace A that leads to
#     B (veth peer or LAN) is called "v<B>" (see ns_ifname).
#   * Do not call spawn/ns_spawn/ns_create inside $(...): they record state in
#     shell variables, which a subshell would lose.  Use $SPAWN_PID / pid_of.
#   * Never synchronise with a bare sleep: use wait_for and friends.
#   * Exit statuses of the programs under test are checked.  A spawned
#     process that runs ddump or ddump-worker (see _e2e_checked_prog) must exit
#     0, unless the test says otherwise: `stop NAME SIG [TIMEOUT] [STATUS]`,
#     `wait_exit NAME [TIMEOUT] [STATUS]` or `expect_exit NAME STATUS|any`
#     (`stop NAME KILL` expects nothing).  stop and wait_exit fail the test at
#     once on another status; e2e_cleanup ends the ones still running with one
#     SIGTERM (clients first, then workers) and fails the test if any exited
#     otherwise.  It also fails it when a file in $E2E_TMP (every spawned
#     process's log, and whatever a test redirected there) holds a sanitizer
#     report.  ASan/UBSan/LSan errors exit with status 86 (ASAN_OPTIONS
#     exitcode, unless already set), so a report is seen in any exit status too.

if [[ -n "${_DDUMP_E2E_LIB_LOADED:-}" ]]; then
    return 0
fi
_DDUMP_E2E_LIB_LOADED=1

_E2E_LIB_FILE=$(readlink -f "${BASH_SOURCE[0]}")
E2E_TEST_NAME=${E2E_TEST_NAME:-$(basename "${0%.sh}")}
DDUMP_SRC_DIR=${DDUMP_SRC_DIR:-$(cd "$(dirname "$_E2E_LIB_FILE")/../.." && pwd)}
DDUMP_BIN_DIR=${DDUMP_BIN_DIR:-$DDUMP_SRC_DIR/build}
E2E_PYTHON=/usr/bin/python3

# shellcheck disable=SC2034  # globals below are for the test scripts
E2E_PREFIX=""          # set by e2e_init, e.g. "ddt12345-"
E2E_TMP=""             # set by e2e_init
SPAWN_PID=""           # PID of the last spawn/ns_spawn
SPAWN_OUT=""           # stdout file of the last spawn/ns_spawn
SPAWN_ERR=""           # stderr file of the last spawn/ns_spawn
NS_NAME=""             # real netns name of the last ns_create
E2E_EXIT_STATUS=""     # exit status collected by the last wait_exit/stop

_E2E_INITED=0
_E2E_CLEANED=0
_E2E_STDERR=2                      # the test's original stderr (see e2e_init)
_E2E_NAMESPACES=()                 # real netns names, creation order
_E2E_PIDS=()                       # recorded PIDs, spawn order
declare -A _E2E_PID_START=()       # pid -> /proc starttime (guards PID reuse)
declare -A _E2E_PID_NAME=()        # pid -> log name
declare -A _E2E_NAME_PID=()        # log name -> pid (latest)
declare -A _E2E_EXIT=()            # pid -> collected exit status
declare -A _E2E_CHECKED=()         # pid -> program whose exit status is checked
declare -A _E2E_EXPECT=()          # pid -> expected exit status ("any": none)
declare -A _E2E_HOW=()             # pid -> how it was ended ("after SIGINT", ...)
declare -A _E2E_REPORTED=()        # pid -> its wrong exit status was reported
_E2E_PROBLEMS=()                   # found by e2e_cleanup: fail the test
# What the sanitizers print (ASan, LSan, UBSan's "FILE:LINE:COL: runtime error:").
_E2E_SANITIZER_ERE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer'

# ---------------------------------------------------------------------------
# Messages and assertions
# ---------------------------------------------------------------------------

# Location of the first caller outside this library ("test_x.sh:42").
_e2e_where() {
    local i
    for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
        if [[ $(readlink -f "${BASH_SOURCE[$i]}" 2>/dev/null) != "$_E2E_LIB_FILE" ]]; then
            printf '%s:%s' "$(basename "${BASH_SOURCE[$i]}")" "${BASH_LINENO[$((i - 1))]}"
            return 0
        fi
    done
    printf '?'
}

# Diagnostics that end the test (and trap/cleanup output) go to the test's
# original stderr, even when raised where stderr is redirected (e.g. inside
# a wait_for condition, whose output is captured).
_e2e_err() { printf '%s\n' "$*" >&"$_E2E_STDERR"; }

# note MSG...          progress line on stderr ("# [test] MSG")
note() { printf '# [%s] %s\n' "$E2E_TEST_NAME" "$*" >&2; }

# fail MSG...          print "FAIL [test] (file:line): MSG" on stderr, exit 1
fail() {
    _e2e_err "$(printf 'FAIL [%s] (%s): %s' "$E2E_TEST_NAME" "$(_e2e_where)" "$*")"
    exit 1
}

# skip MSG...          print SKIP line and exit 77, which CTest reports as
#                      skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt)
skip() {
    _e2e_err "SKIP [$E2E_TEST_NAME]: $*"
    exit 77
}

# pass MSG...          print "ok   [test]: MSG" on stdout
pass() { printf 'ok   [%s]: %s\n' "$E2E_TEST_NAME" "$*"; }

# assert_eq EXPECTED ACTUAL [MSG]      string equality
assert_eq() {
    [[ "$1" == "$2" ]] || fail "${3:-assert_eq}: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL [MSG]
assert_ne() {
    [[ "$1" != "$2" ]] || fail "${3:-assert_ne}: got unexpected '$2'"
}

_e2e_is_int() { [[ "$1" =~ ^-?[0-9]+$ ]]; }

# assert_ge ACTUAL MIN [MSG]           integer ACTUAL >= MIN
assert_ge() {
    if ! _e2e_is_int "$1" || ! _e2e_is_int "$2"; then
        fail "${3:-assert_ge}: not integers: '$1' >= '$2'"
    fi
    (( $1 >= $2 )) || fail "${3:-assert_ge}: expected >= $2, got $1"
}

# assert_le ACTUAL MAX [MSG]           integer ACTUAL <= MAX
assert_le() {
    if ! _e2e_is_int "$1" || ! _e2e_is_int "$2"; then
        fail "${3:-assert_le}: not integers: '$1' <= '$2'"
    fi
    (( $1 <= $2 )) || fail "${3:-assert_le}: expected <= $2, got $1"
}

# assert_contains HAYSTACK NEEDLE [MSG]    literal substring
assert_contains() {
    [[ "$1" == *"$2"* ]] ||
        fail "${3:-assert_contains}: '$2' not found in: $(printf '%s' "$1" | head -c 2000)"
}

# assert_not_contains HAYSTACK NEEDLE [MSG]
assert_not_contains() {
    [[ "$1" != *"$2"* ]] ||
        fail "${3:-assert_not_contains}: '$2' unexpectedly found in: $(printf '%s' "$1" | head -c 2000)"
}

# assert_file_exists FILE [MSG]        regular, readable file
assert_file_exists() {
    [[ -f "$1" && -r "$1" ]] || fail "${2:-assert_file_exists}: no such file: $1"
}

# ---------------------------------------------------------------------------
# Init / cleanup
# ---------------------------------------------------------------------------

# e2e_require_cmd CMD...   skip (exit 77) unless every CMD is available
e2e_require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "required command not found: $c"
    done
}

# e2e_bin NAME         print "$DDUMP_BIN_DIR/NAME"; fail if not executable
e2e_bin() {
    local p="$DDUMP_BIN_DIR/$1"
    [[ -x "$p" ]] || fail "binary not found or not executable: $p (set DDUMP_BIN_DIR)"
    printf '%s\n' "$p"
}

# e2e_gc_stale         delete namespaces left by earlier test runs that were
#                      SIGKILLed (e.g. by a CTest timeout): any netns named
#                      "ddt<PID>...-*" whose owner <PID> no longer exists;
#                      processes inside are killed first.  Called by e2e_init.
e2e_gc_stale() {
    local ns owner pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        [[ "$ns" =~ ^ddt([0-9]+)(x[0-9]+)?- ]] || continue
        owner=${BASH_REMATCH[1]}
        [[ -e "/proc/$owner" ]] && continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        if ip netns del "$ns" 2>/dev/null; then
            note "removed stale netns $ns"
        fi
    done
}

# e2e_init             enable strict mode, pick the unique prefix, create
#                      $E2E_TMP, install the cleanup traps, remove stale
#                      namespaces of dead runs.  Call once, first.
e2e_init() {
    set -euo pipefail
    if (( _E2E_INITED )); then
        return 0
    fi
    [[ $EUID -eq 0 ]] || skip "must run as root (network namespaces)"
    e2e_require_cmd ip ss tcpdump capinfos setsid flock timeout "$E2E_PYTHON"

    e2e_gc_stale
    # Unique prefix: the PID of this shell.  If stale namespaces from a
    # killed earlier run with the same PID exist, add a random tag.
    local p="ddt$$-" existing
    existing=$(ip netns list 2>/dev/null | awk '{print $1}')
    while grep -q -F -- "$p" <<<"$existing"; do
        p="ddt$$x${RANDOM}-"
    done
    E2E_PREFIX=$p
    # A sanitizer error exits with a status no program here uses on its own,
    # so even a run whose stderr nobody reads and that should exit 1 shows it.
    if [[ "${ASAN_OPTIONS:-}" != *exitcode=* ]]; then
        export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
    fi
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ddump-e2e.${E2E_TEST_NAME}.${p%-}.XXXXXX")
    exec {_E2E_STDERR}>&2

    trap '_e2e_on_exit' EXIT
    trap '_e2e_on_signal INT 130' INT
    trap '_e2e_on_signal TERM 143' TERM
    trap '_e2e_on_signal HUP 129' HUP
    trap '_e2e_on_err "$?" "$LINENO" "$BASH_COMMAND"' ERR
    _E2E_INITED=1
    _E2E_CLEANED=0
    note "prefix=$E2E_PREFIX tmp=$E2E_TMP"
}

_e2e_need_init() {
    (( _E2E_INITED )) || { echo "e2e: call e2e_init first" >&2; exit 1; }
    (( ! _E2E_CLEANED )) || fail "e2e: used after e2e_cleanup"
}

_e2e_on_err() {
    _e2e_err "e2e [$E2E_TEST_NAME]: command failed (rc=$1) at line $2: $3"
}

_e2e_on_signal() {
    _e2e_err "e2e [$E2E_TEST_NAME]: caught SIG$1, cleaning up"
    exit "$2"   # runs the EXIT trap -> cleanup
}

_e2e_on_exit() {
    local rc=$?
    # A program that exited wrongly or a sanitizer report fails a test that
    # passed (or skipped); a failed test keeps its own status and message.
    # shellcheck disable=SC2261
    if ! e2e_cleanup "$rc" 2>&"$_E2E_STDERR" >&"$_E2E_STDERR"; then
        (( rc == 0 || rc == 77 )) && rc=1
    fi
    exit "$rc"
}

# Current time in microseconds (locale-independent).
_e2e_now_us() {
    local t=${EPOCHREALTIME//[!0-9]/}
    printf '%s' "$((10#$t))"
}

# "1", "2.5", "0.05" -> microseconds
_e2e_secs_to_us() {
    local s=$1 int frac
    [[ "$s" =~ ^[0-9]+(\.[0-9]*)?$ ]] || { echo "e2e: bad timeout '$s'" >&2; return 1; }
    int=${s%%.*}
    frac=""
    [[ "$s" == *.* ]] && frac=${s#*.}
    frac=${frac}000000
    frac=${frac:0:6}
    printf '%s' "$((10#$int * 1000000 + 10#$frac))"
}

# Reads /proc/PID/stat; sets _st_state, _st_pgrp, _st_start.  Returns 1 if gone.
_e2e_stat() {
    local line rest
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    rest=${line##*) }
    # shellcheck disable=SC2206
    local f=($rest)
    _st_state=${f[0]}
    _st_pgrp=${f[2]}
    _st_start=${f[19]}
}

# pid_alive PID        true if PID runs (not a zombie) and, if it was
#                      recorded by spawn, is still the same process.
pid_alive() {
    local pid=$1 _st_state _st_pgrp _st_start
    _e2e_stat "$pid" || return 1
    [[ "$_st_state" == Z || "$_st_state" == X ]] && return 1
    if [[ -n "${_E2E_PID_START[$pid]+x}" ]]; then
        [[ "${_E2E_PID_START[$pid]}" == "$_st_start" ]] || return 1
    fi
    return 0
}

# Send SIG to a recorded pid (and its process group if it leads one).
_e2e_kill_recorded() {
    local sig=$1 pid=$2 _st_state _st_pgrp _st_start
    pid_alive "$pid" || return 0
    _e2e_stat "$pid" || return 0
    if [[ "$_st_pgrp" == "$pid" ]]; then
        kill -s "$sig" -- "-$pid" 2>/dev/null || true
    fi
    kill -s "$sig" "$pid" 2>/dev/null || true
}

_e2e_ns_pids() {
    local ns
    for ns in "${_E2E_NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null || true
    done
}

# Direct children of the test shell that are not zombies.  Catches
# background jobs the test started without spawn, and a spawn interrupted by
# a signal before it recorded its PID.
_e2e_children() {
    local pid _st_state _st_pgrp _st_start
    for pid in $(pgrep -P "$$" 2>/dev/null); do
        [[ "$pid" == "$BASHPID" ]] && continue   # this $(...) subshell
        _e2e_stat "$pid" || continue
        [[ "$_st_state" == Z || "$_st_state" == X ]] && continue
        printf '%s\n' "$pid"
    done
}

_e2e_kill_children() {  # SIG
    local pid _st_state _st_pgrp _st_start
    for pid in $(_e2e_children); do
        _e2e_stat "$pid" || continue
        [[ "$_st_pgrp" == "$pid" ]] && kill -s "$1" -- "-$pid" 2>/dev/null
        kill -s "$1" "$pid" 2>/dev/null
    done
    return 0
}

_e2e_anything_alive() {
    local pid
    for pid in "${_E2E_PIDS[@]}"; do
        pid_alive "$pid" && return 0
    done
    [[ -n "$(_e2e_ns_pids)" || -n "$(_e2e_children)" ]]
}

_e2e_dump_logs() {
    local name pid f
    for name in "${!_E2E_NAME_PID[@]}"; do
        for f in "$E2E_TMP/$name.out" "$E2E_TMP/$name.err"; do
            [[ -s "$f" ]] || continue
            printf -- '----- %s (last 30 lines) -----\n' "$(basename "$f")" >&2
            tail -n 30 "$f" >&2 || true
        done
    done
}

_e2e_wait_all_dead() {  # MAX_US
    local deadline=$(( $(_e2e_now_us) + $1 ))
    while _e2e_anything_alive; do
        (( $(_e2e_now_us) < deadline )) || return 1
        sleep 0.05
    done
    return 0
}

_e2e_kill_hard() {
    local pid rc=0
    if _e2e_anything_alive; then
        for pid in "${_E2E_PIDS[@]}"; do
            _e2e_kill_recorded KILL "$pid"
        done
        for pid in $(_e2e_ns_pids); do
            kill -KILL "$pid"
        done
        _e2e_kill_children KILL
        _e2e_wait_all_dead 2000000 || rc=1
    fi
    for pid in "${_E2E_PIDS[@]}"; do
        pid_alive "$pid" || _e2e_collect "$pid"
    done
    for pid in $(pgrep -P "$$"); do
        pid_alive "$pid" || wait "$pid"
    done
    return "$rc"
}

# _e2e_collect PID     reap an exited recorded PID once, keeping its status
#                      (128+N if killed by signal N)
_e2e_collect() {
    local pid=$1 st=0
    [[ -n "${_E2E_EXIT[$pid]+x}" ]] && return 0
    wait "$pid" 2>/dev/null || st=$?
    [[ $st == 127 && -z "${_E2E_PID_NAME[$pid]+x}" ]] && st=""
    _E2E_EXIT[$pid]=$st
}

_e2e_problem() { _E2E_PROBLEMS+=("$*"); }

# _e2e_status_text STATUS   "1", or "137 (killed by SIGKILL)"
_e2e_status_text() {
    if [[ "$1" =~ ^[0-9]+$ ]] && (( $1 > 128 && $1 < 160 )); then
        printf '%s (killed by SIG%s)' "$1" "$(kill -l "$(($1 - 128))" 2>/dev/null || echo "?")"
    elif [[ "$1" == 86 ]]; then
        printf '86 (a sanitizer found an error)'
    else
        printf '%s' "${1:-unknown}"
    fi
}

# _e2e_exit_problem PID   print what is wrong with PID's collected exit status
#                      (none: return 1): a checked program must exit 0, or
#                      with the status the test expects of it
_e2e_exit_problem() {
    local pid=$1 want st
    want=${_E2E_EXPECT[$pid]:-}
    [[ -z "$want" && -n "${_E2E_CHECKED[$pid]:-}" ]] && want=0
    [[ -n "$want" && "$want" != any && -n "${_E2E_EXIT[$pid]+x}" ]] || return 1
    st=${_E2E_EXIT[$pid]}
    [[ "$st" == "$want" ]] && return 1
    printf "%s '%s' (pid %s) exited with status %s%s, expected %s" \
        "${_E2E_CHECKED[$pid]:-process}" "${_E2E_PID_NAME[$pid]:-?}" "$pid" \
        "$(_e2e_status_text "$st")" "${_E2E_HOW[$pid]:+ ${_E2E_HOW[$pid]}}" "$want"
}

# Fail now if PID's exit status is not the expected one.
_e2e_assert_exit() {
    local msg
    msg=$(_e2e_exit_problem "$1") || return 0
    _E2E_REPORTED[$1]=1
    fail "$msg (a test expecting another status says so: stop NAME SIG TIMEOUT STATUS," \
        "wait_exit NAME TIMEOUT STATUS or expect_exit NAME STATUS)"
}

# _e2e_signal_target PID   the process to signal for spawned PID: the program
#                      under test itself when a wrapper that forwards signals
#                      (timeout, bash -c) runs it in PID's process group, so
#                      it gets exactly one signal (a second SIGINT/SIGTERM
#                      makes ddump leave at once, with 128+N)
_e2e_signal_target() {
    local pid=$1 prog=${_E2E_CHECKED[$1]:-} comm="" found="" p
    if [[ "$prog" == ddump || "$prog" == ddump-worker ]]; then
        read -r comm 2>/dev/null <"/proc/$pid/comm" || true
        if [[ "$comm" != "$prog" ]]; then
            for p in $(pgrep -g "$pid" -x "$prog" 2>/dev/null); do
                if [[ -z "$found" ]]; then found=$p; else found=""; break; fi
            done
        fi
    fi
    printf '%s' "${found:-$pid}"
}

# _e2e_stop_checked PROG|other MAX_US   one SIGTERM to each checked process
#                      still running (PROG: those running PROG; other: the
#                      rest), wait for all of them, keep their statuses
_e2e_stop_checked() {
    local which=$1 max_us=$2 pid prog pids=() deadline
    for pid in "${_E2E_PIDS[@]}"; do
        prog=${_E2E_CHECKED[$pid]:-}
        [[ -n "$prog" ]] || continue
        if [[ "$which" == other ]]; then
            [[ "$prog" != ddump && "$prog" != ddump-worker ]] || continue
        else
            [[ "$prog" == "$which" ]] || continue
        fi
        pid_alive "$pid" || continue
        kill -TERM "$(_e2e_signal_target "$pid")" 2>/dev/null
        _E2E_HOW[$pid]="after SIGTERM at cleanup"
        pids+=("$pid")
    done
    (( ${#pids[@]} )) || return 0
    deadline=$(( $(_e2e_now_us) + max_us ))
    for pid in "${pids[@]}"; do
        while pid_alive "$pid" && (( $(_e2e_now_us) < deadline )); do
            sleep 0.05
        done
        if pid_alive "$pid"; then
            _E2E_REPORTED[$pid]=1
            _e2e_problem "${_E2E_CHECKED[$pid]} '${_E2E_PID_NAME[$pid]:-?}' (pid $pid) still ran $((max_us / 1000000)) s after SIGTERM at cleanup"
        else
            _e2e_collect "$pid"
        fi
    done
}

# _e2e_sanitizer_reports   a problem for every file in $E2E_TMP that holds a
#                      sanitizer report (text files only: captures are binary)
_e2e_sanitizer_reports() {
    local f rel who name pid line
    [[ -n "$E2E_TMP" && -d "$E2E_TMP" ]] || return 0
    while IFS= read -r -d '' f; do
        rel=${f#"$E2E_TMP"/}
        who=""
        if [[ "$rel" =~ ^([A-Za-z0-9_.-]+)\.(out|err)$ && -n "${_E2E_NAME_PID[${BASH_REMATCH[1]}]+x}" ]]; then
            name=${BASH_REMATCH[1]}
            pid=${_E2E_NAME_PID[$name]}
            who=" (${_E2E_CHECKED[$pid]:-spawned process} '$name', pid $pid)"
        fi
        line=$(grep -n -m 1 -E -- "$_E2E_SANITIZER_ERE" "$f" | cut -d: -f1)
        _e2e_problem "sanitizer report in $rel$who:"$'\n'"$(sed -n "$(( line > 3 ? line - 3 : 1 )),$(( line + 40 ))p" "$f")"
    done < <(grep -r -l -I -Z -D skip -E -- "$_E2E_SANITIZER_ERE" "$E2E_TMP" 2>/dev/null)
}

# e2e_cleanup [RC]     end every spawned ddump (then every ddump-worker and
#                      other checked process) still running with one SIGTERM
#                      and wait <=8 s; kill every recorded PID, every
#                      background child of the test shell and every process in
#                      the test's namespaces (TERM, wait <=2 s, KILL, wait
#                      <=2 s); look for sanitizer reports in $E2E_TMP; delete
#                      the namespaces, remove $E2E_TMP (unless E2E_KEEP=1).
#                      Returns 1 (after printing a FAIL line for each) when a
#                      checked process exited with a status the test did not
#                      expect or a sanitizer report was found: as "besides"
#                      lines after the first failure when RC says the test
#                      already failed (RC 0 or 77: it passed or skipped).
#                      Idempotent; runs automatically on exit.
e2e_cleanup() {
    local rc=${1:-0}
    (( _E2E_INITED )) || return 0
    (( _E2E_CLEANED )) && return 0
    local had_e=0
    [[ $- == *e* ]] && had_e=1
    set +e
    trap '' INT TERM HUP
    local failed=0
    (( rc != 0 && rc != 77 )) && failed=1

    if (( failed )) && [[ "${E2E_DUMP_LOGS:-1}" != 0 && -d "$E2E_TMP" ]]; then
        _e2e_dump_logs
    fi

    local pid i problem
    # 0. the programs under test end as a user ends them, with one SIGTERM:
    #    clients first (a worker leaving first would fail their streams),
    #    then workers, then anything else a test said to check
    _E2E_PROBLEMS=()
    _e2e_stop_checked ddump 8000000
    _e2e_stop_checked ddump-worker 8000000
    _e2e_stop_checked other 8000000
    # 1. polite: SIGTERM to recorded processes and everything in our netns
    for pid in "${_E2E_PIDS[@]}"; do
        _e2e_kill_recorded TERM "$pid"
    done
    for pid in $(_e2e_ns_pids); do
        kill -TERM "$pid" 2>/dev/null
    done
    _e2e_kill_children TERM
    # 2. wait up to 2 s
    _e2e_wait_all_dead 2000000
    # 3. SIGKILL leftovers (wait up to 2 s more), 4. reap our children.
    # stderr is silenced so bash's "Killed" job notices don't clutter logs.
    _e2e_kill_hard 2>/dev/null ||
        echo "e2e: WARNING: processes survived SIGKILL" >&2
    # 4b. exit statuses and sanitizer reports (LSan reports at exit: only now
    #     is everything written)
    for pid in "${_E2E_PIDS[@]}"; do
        [[ -n "${_E2E_REPORTED[$pid]+x}" ]] && continue
        problem=$(_e2e_exit_problem "$pid") && _e2e_problem "$problem"
    done
    _e2e_sanitizer_reports
    if (( ${#_E2E_PROBLEMS[@]} )) && (( ! failed )) && [[ "${E2E_DUMP_LOGS:-1}" != 0 && -d "$E2E_TMP" ]]; then
        _e2e_dump_logs
    fi
    for problem in "${_E2E_PROBLEMS[@]}"; do
        if (( failed )); then
            _e2e_err "e2e [$E2E_TEST_NAME]: besides the failure above: $problem"
        else
            _e2e_err "FAIL [$E2E_TEST_NAME] (cleanup): $problem"
        fi
    done
    # 5. delete namespaces (reverse order; veths/bridges die with them)
    for ((i = ${#_E2E_NAMESPACES[@]} - 1; i >= 0; i--)); do
        ip netns del "${_E2E_NAMESPACES[$i]}" 2>/dev/null ||
            echo "e2e: WARNING: could not delete netns ${_E2E_NAMESPACES[$i]}" >&2
    done
    _E2E_NAMESPACES=()
    # 6. temp dir
    if [[ -n "$E2E_TMP" && -d "$E2E_TMP" ]]; then
        if [[ "${E2E_KEEP:-0}" == 1 ]]; then
            echo "e2e: keeping $E2E_TMP" >&2
        else
            rm -rf -- "$E2E_TMP"
        fi
    fi
    _E2E_CLEANED=1
    trap '_e2e_on_signal INT 130' INT
    trap '_e2e_on_signal TERM 143' TERM
    trap '_e2e_on_signal HUP 129' HUP
    (( had_e )) && set -e
    if (( ${#_E2E_PROBLEMS[@]} && ! failed )); then
        return 1
    fi
    return 0
}

# e2e_leftovers        print namespaces with this run's prefix and recorded
#                      PIDs that are still alive (empty output = clean)
e2e_leftovers() {
    local pid
    ip netns list 2>/dev/null | awk '{print $1}' | grep -F -- "$E2E_PREFIX" || true
    for pid in "${_E2E_PIDS[@]}"; do
        pid_alive "$pid" && echo "pid $pid (${_E2E_PID_NAME[$pid]:-?})"
    done
    return 0
}

# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------

# wait_for TIMEOUT_S CMD...   run CMD every 50 ms until it succeeds (rc 0) or
#                      TIMEOUT_S (may be fractional) passes; then print
#                      "TIMEOUT ... waiting for: CMD" and return 1.  CMD's
#                      output is discarded (last attempt shown on timeout).
#                      External commands are bounded by `timeout`; shell
#                      functions used as CMD must not block.
wait_for() {
    local timeout=$1
    shift
    (( $# )) || { echo "wait_for: no command" >&2; return 1; }
    local deadline now left_s log
    deadline=$(( $(_e2e_now_us) + $(_e2e_secs_to_us "$timeout") ))
    log=${E2E_TMP:-/tmp}/.wait_for.$$.log
    [[ -d "${E2E_TMP:-/nonexistent}" ]] || log=/dev/null
    local is_file=0
    [[ $(type -t "$1") == file ]] && is_file=1
    while :; do
        now=$(_e2e_now_us)
        if (( is_file )); then
            left_s=$(( (deadline - now) / 1000000 + 1 ))
            if timeout -k 1 "$left_s" "$@" >"$log" 2>&1; then return 0; fi
        else
            if "$@" >"$log" 2>&1; then return 0; fi
        fi
        now=$(_e2e_now_us)
        (( now >= deadline )) && break
        sleep 0.05
    done
    {
        printf 'e2e [%s] (%s): TIMEOUT after %ss waiting for:' \
            "$E2E_TEST_NAME" "$(_e2e_where)" "$timeout"
        printf ' %q' "$@"
        printf '\n'
        if [[ "$log" != /dev/null && -s "$log" ]]; then
            echo "  last attempt output:"
            tail -n 10 "$log" | sed 's/^/    /'
        fi
    } >&2
    return 1
}

_e2e_file_lines_ge() {
    [[ -f "$1" ]] || return 1
    local n
    n=$(wc -l <"$1")
    (( n >= $2 ))
}

# wait_for_file_lines FILE N [TIMEOUT_S=10]   until FILE has >= N lines
wait_for_file_lines() {
    wait_for "${3:-10}" _e2e_file_lines_ge "$1" "$2"
}

_e2e_in_ns() {   # NS CMD...  ("-" = current namespace)
    local ns=$1
    shift
    if [[ "$ns" == - ]]; then
        "$@"
    else
        ip netns exec "$(ns_name "$ns")" "$@"
    fi
}

_e2e_listening() {  # NS PROTO PORT
    local out
    out=$(_e2e_in_ns "$1" ss -H "-l${2}n" "sport = :$3") || return 1
    [[ -n "$out" ]]
}

# wait_for_port NS PORT [TIMEOUT_S=10]      until a TCP socket listens on PORT
#                      inside NS ("-" = the current/host namespace)
wait_for_port() {
    wait_for "${3:-10}" _e2e_listening "$1" t "$2"
}

# wait_for_udp_port NS PORT [TIMEOUT_S=10]  same for a bound UDP socket
wait_for_udp_port() {
    wait_for "${3:-10}" _e2e_listening "$1" u "$2"
}

_e2e_log_matches() {  # NAME ERE
    local f files=()
    for f in "$E2E_TMP/$1.out" "$E2E_TMP/$1.err"; do
        [[ -f "$f" ]] && files+=("$f")
    done
    (( ${#files[@]} )) || return 1
    grep -q -E -- "$2" "${files[@]}"
}

# wait_for_log NAME ERE [TIMEOUT_S=10]   until the stdout or stderr log of
#                      spawned process NAME matches extended regex ERE
wait_for_log() {
    wait_for "${3:-10}" _e2e_log_matches "$1" "$2"
}

# ---------------------------------------------------------------------------
# Namespaces
# ---------------------------------------------------------------------------

_e2e_check_name() {
    [[ "$1" =~ ^[A-Za-z0-9_]{1,13}$ ]] ||
        fail "bad namespace name '$1' (use [A-Za-z0-9_], at most 13 chars)"
}

# ns_name NAME         print the real netns name ("${E2E_PREFIX}NAME")
ns_name() {
    if [[ -n "$E2E_PREFIX" && "$1" == "$E2E_PREFIX"* ]]; then
        printf '%s\n' "$1"
    else
        printf '%s%s\n' "$E2E_PREFIX" "$1"
    fi
}

# ns_ifname A B        print the name of the interface inside A that leads to
#                      B (a veth peer or a LAN created by ns_lan): "v<B>"
ns_ifname() { printf 'v%s\n' "$2"; }

_e2e_ns_sysctl() {  # NS key value
    ip netns exec "$(ns_name "$1")" sysctl -q -w "$2=$3" >/dev/null
}

# ns_create NAME       create netns "${E2E_PREFIX}NAME" with lo up; sets
#                      NS_NAME to the real name.  Recorded for cleanup.
ns_create() {
    _e2e_need_init
    _e2e_check_name "$1"
    local real
    real=$(ns_name "$1")
    # Record first: a signal handled right after `ip netns add` must not
    # leak the namespace (deleting a missing one at cleanup is harmless).
    _E2E_NAMESPACES+=("$real")
    # serialise: the very first `ip netns add` on a host sets up /run/netns.
    # The lock sits in /run itself: /run/lock is made at boot and is missing
    # in a chroot.
    flock -w 10 /run/ddump-e2e-netns.lock ip netns add "$real" ||
        fail "ip netns add $real failed"
    ip -n "$real" link set lo up || fail "lo up in $real failed"
    if [[ "${E2E_IPV6:-0}" != 1 ]]; then
        # interfaces created later in this netns get IPv6 off (lo keeps ::1)
        _e2e_ns_sysctl "$1" net.ipv6.conf.default.disable_ipv6 1 || true
    fi
    # shellcheck disable=SC2034
    NS_NAME=$real
}

# ns_exec NAME CMD...  run CMD inside the test netns NAME (ip netns exec)
ns_exec() {
    local ns=$1
    shift
    ip netns exec "$(ns_name "$ns")" "$@"
}

_e2e_link_up() {  # NS IF
    ip -n "$(ns_name "$1")" link show dev "$2" 2>/dev/null | grep -q 'LOWER_UP'
}

_e2e_add_addr() {  # NS IF ADDR
    local nsr
    nsr=$(ns_name "$1")
    if [[ "${E2E_IPV6:-0}" != 1 ]]; then
        ip netns exec "$nsr" sysctl -q -w "net.ipv6.conf.$2.disable_ipv6=1" >/dev/null 2>&1 || true
    fi
    if [[ -n "$3" && "$3" != - ]]; then
        if [[ "$3" == *:* ]]; then
            ip -n "$nsr" addr add "$3" dev "$2" nodad || fail "addr $3 on $2 in $nsr failed"
        else
            ip -n "$nsr" addr add "$3" dev "$2" || fail "addr $3 on $2 in $nsr failed"
        fi
    fi
}

# ns_link A B ADDR_A/PFX ADDR_B/PFX   veth pair between netns A and B, named
#                      "v<B>" in A and "v<A>" in B, with those addresses (use
#                      10.213.x.y; "-" = no address), both up; waits (<=5 s)
#                      for carrier.
ns_link() {
    _e2e_need_init
    local a=$1 b=$2 addr_a=${3:--} addr_b=${4:--}
    local ra rb if_a if_b
    ra=$(ns_name "$a")
    rb=$(ns_name "$b")
    if_a=$(ns_ifname "$a" "$b")
    if_b=$(ns_ifname "$b" "$a")
    ip link add name "$if_a" netns "$ra" type veth peer name "$if_b" netns "$rb" ||
        fail "veth $ra/$if_a <-> $rb/$if_b failed"
    _e2e_add_addr "$a" "$if_a" "$addr_a"
    _e2e_add_addr "$b" "$if_b" "$addr_b"
    ip -n "$ra" link set "$if_a" up || fail "link up $ra/$if_a"
    ip -n "$rb" link set "$if_b" up || fail "link up $rb/$if_b"
    wait_for 5 _e2e_link_up "$a" "$if_a" || fail "veth $ra/$if_a has no carrier"
    wait_for 5 _e2e_link_up "$b" "$if_b" || fail "veth $rb/$if_b has no carrier"
}

_e2e_bridge_port_fwd() {  # LAN PORT
    bridge -n "$(ns_name "$1")" link show dev "$2" 2>/dev/null | grep -q 'state forwarding'
}

# ns_lan LAN NS1=ADDR1/PFX [NS2=ADDR2/PFX ...]   one L2 segment: creates netns
#                      LAN holding bridge "br0" (no STP) and, for each member
#                      NS (must already exist), a veth "v<LAN>" in NS with the
#                      address (NS=- or bare NS: no address) and "v<NS>" in LAN.
ns_lan() {
    _e2e_need_init
    local lan=$1
    shift
    ns_create "$lan"
    local rl
    rl=$(ns_name "$lan")
    ip -n "$rl" link add br0 type bridge stp_state 0 forward_delay 0 ||
        fail "bridge in $rl failed"
    ip netns exec "$rl" sysctl -q -w net.ipv6.conf.br0.disable_ipv6=1 >/dev/null 2>&1 || true
    ip -n "$rl" link set br0 up || fail "br0 up in $rl"
    local m
    for m in "$@"; do
        if [[ "$m" == *=* ]]; then
            ns_lan_join "$lan" "${m%%=*}" "${m#*=}"
        else
            ns_lan_join "$lan" "$m" -
        fi
    done
}

# ns_lan_join LAN NS ADDR/PFX   add one more member to a LAN made by ns_lan
ns_lan_join() {
    _e2e_need_init
    local lan=$1 ns=$2 addr=${3:--}
    local rl rn if_n if_l
    rl=$(ns_name "$lan")
    rn=$(ns_name "$ns")
    if_n=$(ns_ifname "$ns" "$lan")   # in member: v<LAN>
    if_l=$(ns_ifname "$lan" "$ns")   # in bridge ns: v<NS>
    ip link add name "$if_n" netns "$rn" type veth peer name "$if_l" netns "$rl" ||
        fail "veth $rn/$if_n <-> $rl/$if_l failed"
    ip netns exec "$rl" sysctl -q -w "net.ipv6.conf.$if_l.disable_ipv6=1" >/dev/null 2>&1 || true
    ip -n "$rl" link set "$if_l" master br0 || fail "enslave $if_l to br0 in $rl"
    _e2e_add_addr "$ns" "$if_n" "$addr"
    ip -n "$rl" link set "$if_l" up || fail "link up $rl/$if_l"
    ip -n "$rn" link set "$if_n" up || fail "link up $rn/$if_n"
    wait_for 5 _e2e_link_up "$ns" "$if_n" || fail "veth $rn/$if_n has no carrier"
    wait_for 5 _e2e_bridge_port_fwd "$lan" "$if_l" || fail "bridge port $rl/$if_l not forwarding"
}

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

# _e2e_checked_prog CMD...   print "ddump" or "ddump-worker" when CMD runs
#                      one of them (a word of CMD is its name or the path of
#                      the executable, e.g. after ip netns exec, setpriv, env
#                      or timeout, or a `-c` script is one simple command
#                      starting with it); else return 1
_e2e_checked_prog() {
    local w prev="" base
    local simple='^[[:space:]]*([^[:space:];|&<>()]*/)?(ddump|ddump-worker)([[:space:]]|$)'
    for w in "$@"; do
        # shellcheck disable=SC2016  # a literal "$(" in the script
        if [[ "$prev" == -c && "$w" =~ $simple && "$w" != *[\;\|\&\<\>\`$'\n']* && "$w" != *'$('* ]]; then
            printf '%s' "${BASH_REMATCH[2]}"
            return 0
        fi
        base=${w##*/}
        if [[ ("$base" == ddump || "$base" == ddump-worker) && ("$w" == "$base" || -f "$w" && -x "$w") ]]; then
            printf '%s' "$base"
            return 0
        fi
        prev=$w
    done
    return 1
}

# spawn NAME CMD...    start CMD in the background in its own session/process
#                      group with default signal dispositions (so SIGINT
#                      works), stdin=/dev/null, stdout -> $E2E_TMP/NAME.out,
#                      stderr -> $E2E_TMP/NAME.err.  Sets SPAWN_PID,
#                      SPAWN_OUT, SPAWN_ERR; records the PID for cleanup.
#                      The PID is CMD's own PID (no wrapper process remains).
#                      When CMD runs ddump or ddump-worker its exit status is
#                      checked (see the conventions above).
spawn() {
    _e2e_need_init
    local name=$1
    shift
    [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "spawn: bad log name '$name'"
    (( $# )) || fail "spawn: no command"
    SPAWN_OUT=$E2E_TMP/$name.out
    SPAWN_ERR=$E2E_TMP/$name.err
    setsid env --default-signal "$@" >"$SPAWN_OUT" 2>"$SPAWN_ERR" </dev/null {_E2E_STDERR}>&- &
    SPAWN_PID=$!
    local _st_state _st_pgrp _st_start
    if _e2e_stat "$SPAWN_PID"; then
        _E2E_PID_START[$SPAWN_PID]=$_st_start
    else
        _E2E_PID_START[$SPAWN_PID]=gone   # already exited and reaped
    fi
    _E2E_PIDS+=("$SPAWN_PID")
    _E2E_PID_NAME[$SPAWN_PID]=$name
    _E2E_NAME_PID[$name]=$SPAWN_PID
    local prog
    if prog=$(_e2e_checked_prog "$@"); then
        _E2E_CHECKED[$SPAWN_PID]=$prog
    fi
}

# ns_spawn NS NAME CMD...   spawn NAME, running CMD inside test netns NS
ns_spawn() {
    local ns=$1 name=$2
    shift 2
    spawn "$name" ip netns exec "$(ns_name "$ns")" "$@"
}

# pid_of NAME          print the PID of the last process spawned as NAME
pid_of() {
    [[ -n "${_E2E_NAME_PID[$1]+x}" ]] || fail "pid_of: nothing spawned as '$1'"
    printf '%s\n' "${_E2E_NAME_PID[$1]}"
}

# log_out NAME / log_err NAME   print the stdout/stderr file of NAME
log_out() { printf '%s\n' "$E2E_TMP/$1.out"; }
log_err() { printf '%s\n' "$E2E_TMP/$1.err"; }

_e2e_resolve_pid() {
    if [[ "$1" =~ ^[0-9]+$ ]]; then
        printf '%s' "$1"
    else
        pid_of "$1"
    fi
}

_e2e_not_alive() { ! pid_alive "$1"; }

# expect_exit NAME|PID STATUS|any   the exit status the test expects of a
#                      spawned process (default 0 for ddump and ddump-worker,
#                      none for others).  Makes any process's status checked.
expect_exit() {
    local pid
    pid=$(_e2e_resolve_pid "$1")
    [[ "$2" == any || "$2" =~ ^[0-9]+$ ]] || fail "expect_exit: bad status '$2'"
    _E2E_EXPECT[$pid]=$2
    [[ -n "${_E2E_CHECKED[$pid]:-}" ]] || _E2E_CHECKED[$pid]=${_E2E_PID_NAME[$pid]:-process}
    if [[ -n "${_E2E_EXIT[$pid]+x}" ]]; then
        _e2e_assert_exit "$pid"
    fi
}

_e2e_wait_exit() {  # PID TIMEOUT_S: wait, collect the status, no check
    wait_for "$2" _e2e_not_alive "$1" || return 1
    _e2e_collect "$1"
    # shellcheck disable=SC2034
    E2E_EXIT_STATUS=${_E2E_EXIT[$1]}
}

# wait_exit NAME|PID [TIMEOUT_S=10] [STATUS]   wait until the process exits;
#                      sets E2E_EXIT_STATUS (its exit status, 128+N if killed
#                      by signal N; empty if unknown); returns 1 on timeout.
#                      Fails the test if it is checked and exited with another
#                      status than STATUS (default: see expect_exit).
wait_exit() {
    local pid
    pid=$(_e2e_resolve_pid "$1")
    [[ -n "${3:-}" ]] && expect_exit "$pid" "$3"
    _e2e_wait_exit "$pid" "${2:-10}" || return 1
    _e2e_assert_exit "$pid"
}

# stop NAME|PID [SIGNAL=TERM] [TIMEOUT_S=5] [STATUS]   send SIGNAL to the
#                      process (to the ddump or ddump-worker it runs, past a
#                      forwarding wrapper) and wait for it to exit
#                      (E2E_EXIT_STATUS is set).  If it is still alive after
#                      TIMEOUT_S, SIGKILL its process group, print a message
#                      and return 1 (fail, for a checked process).  Fails the
#                      test if it is checked and exited with another status
#                      than STATUS (default: see expect_exit; after SIGKILL:
#                      any).
stop() {
    local pid sig=${2:-TERM} to=${3:-5}
    pid=$(_e2e_resolve_pid "$1")
    sig=${sig#SIG}
    if [[ -n "${4:-}" ]]; then
        expect_exit "$pid" "$4"
    elif [[ "$sig" == KILL || "$sig" == 9 ]]; then
        _E2E_EXPECT[$pid]=any   # killed on purpose: nothing to expect
    fi
    if pid_alive "$pid"; then
        kill -s "$sig" "$(_e2e_signal_target "$pid")" 2>/dev/null || true
        _E2E_HOW[$pid]="after SIG$sig"
    fi
    if ! _e2e_wait_exit "$pid" "$to"; then
        echo "e2e [$E2E_TEST_NAME]: '$1' (pid $pid) ignored SIG$sig for ${to}s; killing" >&2
        _e2e_kill_recorded KILL "$pid"
        _e2e_wait_exit "$pid" 2 || true
        if [[ -n "${_E2E_CHECKED[$pid]:-}" && "${_E2E_EXPECT[$pid]:-0}" != any ]]; then
            _E2E_REPORTED[$pid]=1
            fail "${_E2E_CHECKED[$pid]} '${_E2E_PID_NAME[$pid]:-?}' (pid $pid) still ran ${to} s after SIG$sig"
        fi
        return 1
    fi
    _e2e_assert_exit "$pid"
}

# ---------------------------------------------------------------------------
# Traffic and captures
# ---------------------------------------------------------------------------

# udp_send NS DST_IP PORT COUNT [PAYLOAD=ddump-e2e]   send exactly COUNT UDP
#                      datagrams from inside NS ("-" = host, only to 127/8)
#                      to DST_IP:PORT; payload of datagram i is "PAYLOAD-i"
#                      (i = 0..COUNT-1); 2 ms apart; bounded to 20 s.
udp_send() {
    local ns=$1 dst=$2 port=$3 count=$4 payload=${5:-ddump-e2e}
    if [[ "$ns" == - && "$dst" != 127.* ]]; then
        fail "udp_send: from the host namespace only loopback (127/8) is allowed"
    fi
    _e2e_in_ns "$ns" timeout -k 1 20 "$E2E_PYTHON" -c '
import errno, socket, sys, time
dst, port, n, payload = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
for i in range(n):
    data = ("%s-%d" % (payload, i)).encode()
    while True:
        try:
            sent = s.sendto(data, (dst, port))
            break
        except OSError as e:
            if e.errno in (errno.ENOBUFS, errno.EAGAIN):
                time.sleep(0.01)
                continue
            raise
    if sent != len(data):
        sys.exit("short send")
    time.sleep(0.002)
' "$dst" "$port" "$count" "$payload"
}

# ns_ping NS DST_IP COUNT   send exactly COUNT ICMP echo requests (20 ms
#                      apart) from NS; succeeds if at least one reply came
ns_ping() {
    _e2e_in_ns "$1" timeout -k 1 30 ping -n -q -c "$3" -i 0.02 -W 1 "$2" >/dev/null
}

# pcap_count FILE [BPF_FILTER...]   print the number of packets in FILE
#                      (pcap or pcapng; via capinfos).  With a filter, only
#                      packets matching it (tcpdump -r FILE -w tmp FILTER).
#                      Returns 1 (with a message) if FILE is unreadable or
#                      corrupt/truncated.
pcap_count() {
    local f=$1
    shift
    [[ -r "$f" ]] || { echo "pcap_count: cannot read $f" >&2; return 1; }
    local tmpd=${E2E_TMP:-/tmp} tmp="" out
    [[ -d "$tmpd" ]] || tmpd=/tmp
    if (( $# )); then
        tmp=$(mktemp "$tmpd/pcap_count.XXXXXX")
        if ! out=$(timeout 30 tcpdump -r "$f" -w "$tmp" "$@" 2>&1); then
            echo "pcap_count: tcpdump -r $f $* failed: $out" >&2
            rm -f -- "$tmp"
            return 1
        fi
        f=$tmp
    fi
    if ! out=$(timeout 30 capinfos -T -r -c -M "$f" 2>&1); then
        echo "pcap_count: capinfos $f failed: $out" >&2
        [[ -n "$tmp" ]] && rm -f -- "$tmp"
        return 1
    fi
    [[ -n "$tmp" ]] && rm -f -- "$tmp"
    out=${out##*$'\t'}
    [[ "$out" =~ ^[0-9]+$ ]] || { echo "pcap_count: unexpected capinfos output: $out" >&2; return 1; }
    printf '%s\n' "$out"
}

_e2e_pcap_count_ge() {  # FILE N [FILTER...]
    local f=$1 n=$2 c
    shift 2
    c=$(pcap_count "$f" "$@" 2>/dev/null) || return 1
    (( c >= n ))
}

# wait_for_pcap_count FILE N TIMEOUT_S [BPF_FILTER...]   until FILE holds at
#                      least N (matching) packets; use before stopping a
#                      capture so nothing still in flight is lost
wait_for_pcap_count() {
    local f=$1 n=$2 t=$3
    shift 3
    wait_for "$t" _e2e_pcap_count_ge "$f" "$n" "$@"
}
