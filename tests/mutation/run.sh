#!/usr/bin/env bash
# Mutation check: proves the tests catch the breakages they were written for.
#
#   tests/mutation/run.sh [--no-baseline] [NAME...]   run all, or the named ones
#   tests/mutation/run.sh --list                      name, file, tests, what breaks
#
# Copies the committed tree (git archive HEAD; the checkout is never touched)
# into a temporary directory and builds it once as tests/run.sh builds its test
# tree: clang, Debug, AddressSanitizer + UndefinedBehaviorSanitizer (the tests
# then behave as in CI, and a leak is a failure through LeakSanitizer), but
# without the fuzz targets (no mutation is judged by them, and relinking them
# would slow every step) and without -Werror (a mutation is judged by what it
# does, not by a warning). The named tests first run once on the unmutated
# tree (the baseline): a test that fails there proves nothing.
#
# Then, for each mutation of mutations.txt: its one-line breakage is applied
# to the copy (the text must occur exactly once in the file, else the
# mutation is stale), the tree is rebuilt incrementally, its tests run with
# ctest, and the file is restored byte for byte (rebuilt with the next
# mutation). A mutation is killed when one of its tests fails, survived when
# all pass, stale when its text, a test name or its build is gone.
#
# Prints `mutation | file | test | result | seconds` and, for each mutation,
# what killed it (the first failure line) or why not. Exit status: 0 when
# every mutation was killed, 1 when one survived or is stale (or the baseline
# failed), 2 on a usage error.
#
# Environment: KEEP=1 keeps the temporary tree and logs (the path is
# printed); JOBS build and ctest parallelism (default: nproc); TMPDIR where
# the tree goes (default /var/tmp); MUTATIONS another list than mutations.txt.
# Needs root, as the end-to-end tests do.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
list=${MUTATIONS:-$here/mutations.txt}
jobs=${JOBS:-$(nproc)}

usage() {
  sed -n '4,5p' "$0" | sed 's/^# *//' >&2
  exit 2
}

# ---- the list --------------------------------------------------------------
names=()
declare -A m_file=() m_find=() m_replace=() m_tests=() m_why=()
parse_list() {
  local line name="" n=0 key value
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
    if [[ "$line" =~ ^\[([A-Za-z0-9_-]+)\]$ ]]; then
      name=${BASH_REMATCH[1]}
      [[ -z "${m_file[$name]+x}" ]] || { echo "$list:$n: $name given twice" >&2; exit 2; }
      names+=("$name")
      m_file[$name]="" m_find[$name]="" m_replace[$name]="" m_tests[$name]="" m_why[$name]=""
      continue
    fi
    [[ "$line" =~ ^(file|find|replace|test|why):(.*)$ ]] ||
      { echo "$list:$n: expected [name] or file:, find:, replace:, test:, why:" >&2; exit 2; }
    [[ -n "$name" ]] || { echo "$list:$n: $line before any [name]" >&2; exit 2; }
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]# }
    value=${value%"${value##*[![:space:]]}"}   # trailing blanks
    case $key in
      file) m_file[$name]=$value ;;
      find) m_find[$name]=$value ;;
      replace) m_replace[$name]=$value ;;
      test) m_tests[$name]+="$value"$'\n' ;;
      why) m_why[$name]=$value ;;
    esac
  done <"$list"
  for name in "${names[@]}"; do
    [[ -n "${m_file[$name]}" && -n "${m_find[$name]}" && -n "${m_tests[$name]}" ]] ||
      { echo "$list: $name needs file:, find: and at least one test:" >&2; exit 2; }
  done
}

join_lines() { awk 'NR > 1 {printf ", "} {printf "%s", $0}'; }

tests_of() { printf '%s' "${m_tests[$1]}" | sed '/^$/d'; }

# "e2e.a, e2e.b, unit(2)": unit test names are whole sentences; --list shows them.
tests_label() {
  local t units=0 out=()
  while IFS= read -r t; do
    if [[ "$t" == e2e.* || "$t" == fuzz.* ]]; then out+=("$t"); else units=$((units + 1)); fi
  done < <(tests_of "$1")
  ((units == 0)) || out+=("unit($units)")
  printf '%s\n' "${out[@]}" | join_lines
}

# ctest -R takes a regular expression: the exact names, escaped and anchored
# one by one (CMake's regular expressions allow only 9 groups).
tests_regex() {
  local t parts=()
  while IFS= read -r t; do
    parts+=("^$(printf '%s' "$t" | sed 's/[][\\^$.|?*+(){}]/\\&/g')\$")
  done < <(tests_of "$1")
  local IFS='|'
  printf '%s' "${parts[*]}"
}

parse_list
selected=()
list_only=0 baseline=1
for arg in "$@"; do
  case $arg in
    --list) list_only=1 ;;
    --no-baseline) baseline=0 ;;
    -h|--help) usage ;;
    -*) echo "run.sh: unknown option $arg" >&2; usage ;;
    *)
      [[ -n "${m_file[$arg]+x}" ]] || { echo "run.sh: no mutation named $arg (see --list)" >&2; exit 2; }
      selected+=("$arg")
      ;;
  esac
done
((${#selected[@]})) || selected=("${names[@]}")

if ((list_only)); then
  for name in "${selected[@]}"; do
    printf '%s  (%s)\n' "$name" "${m_file[$name]}"
    [[ -z "${m_why[$name]}" ]] || printf '    %s\n' "${m_why[$name]}"
    tests_of "$name" | sed 's/^/    test: /'
  done
  exit 0
fi

[[ "$(id -u)" -eq 0 ]] || { echo "run.sh: the end-to-end tests create network namespaces: run it as root" >&2; exit 2; }
for cmd in git cmake ctest clang++ python3 setsid; do
  command -v "$cmd" >/dev/null || { echo "run.sh: $cmd is not installed" >&2; exit 2; }
done

# ---- the temporary tree, and its cleanup -------------------------------------
work=$(mktemp -d "${TMPDIR:-/var/tmp}/ddump-mutation.XXXXXX")
chmod 755 "$work"   # some tests run the built programs as nobody
src=$work/src build=$work/build logs=$work/logs
ctest_pid=""
# stop_tests PID: ends a running ctest. Each test it started gets one
# SIGTERM, on which the e2e tests end their processes and delete their
# namespaces; ctest is left to see them end (a test killed along with ctest
# would die of SIGPIPE writing to its closed output, before its cleanup).
# Tests ctest starts meanwhile get theirs too. Up to a minute, then SIGKILL.
stop_tests() {
  local ctest=$1 i p
  local -A told=()
  for ((i = 0; i < 600; i++)); do
    [[ "$(ps -o stat= -p "$ctest" 2>/dev/null)" =~ ^[^Z] ]] || break
    for p in $(pgrep -P "$ctest"); do
      [[ -n "${told[$p]:-}" ]] || { told[$p]=1; kill -TERM "$p" 2>/dev/null || true; }
    done
    sleep 0.1
  done
  kill -KILL -- "-$ctest" 2>/dev/null || true
  wait "$ctest" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  [[ -z "$ctest_pid" ]] || stop_tests "$ctest_pid"
  if [[ "${KEEP:-0}" == 1 ]]; then
    echo "run.sh: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
mkdir "$src" "$logs"

started=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%d", b - a + 0.5}'; }
say() { printf 'mutation: %s\n' "$*" >&2; }

git -C "$repo" archive HEAD | tar -x -C "$src"
say "tree of $(git -C "$repo" rev-parse --short HEAD) in $src"

# runs ctest on REGEX into LOG in its own process group; returns its status
run_ctest() {
  local re=$1 log=$2 st=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    setsid ctest --test-dir "$build" -R "$re" -j "$jobs" --timeout 600 --no-tests=error \
    --output-on-failure >"$log" 2>&1 &
  ctest_pid=$!
  wait "$ctest_pid" || st=$?
  ctest_pid=""
  return "$st"
}

# the first line that says why a test failed: the e2e FAIL line, else the
# line after Catch's "FAILED:", else ctest's list of failed tests
first_failure() {
  local line
  line=$(grep -m1 -E '^FAIL \[' "$1" || true)
  [[ -n "$line" ]] || line=$(grep -m1 -A1 'FAILED:$' "$1" | sed -n '2s/^ *//p' || true)
  [[ -n "$line" ]] || line=$(grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1" || true)
  [[ -n "$line" ]] || line=$(sed -n '/The following tests FAILED:/{n;s/^[[:space:]]*//;p;q}' "$1")
  printf '%s' "${line:0:220}"
}

failed_tests() {
  sed -n '/The following tests FAILED:/,$p' "$1" | sed -nE 's/^[[:space:]]+[0-9]+ - (.*) \(([A-Za-z ]+)\)$/\1 (\2)/p' |
    join_lines
}

# ---- stale before building: a text that is gone, a test that is gone ---------
declare -A result=() seconds=() detail=()
count_in() {  # FILE TEXT: occurrences of TEXT in FILE
  python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(sys.argv[2].encode()))' "$1" "$2"
}
for name in "${selected[@]}"; do
  f=$src/${m_file[$name]}
  if [[ ! -f "$f" ]]; then
    result[$name]=stale detail[$name]="no file ${m_file[$name]}"
  elif n=$(count_in "$f" "${m_find[$name]}") && [[ "$n" != 1 ]]; then
    result[$name]=stale detail[$name]="its text occurs $n times in ${m_file[$name]}, not once"
  fi
done

# ---- one build ------------------------------------------------------------------
t0=$EPOCHREALTIME
say "configuring and building (clang, Debug, ASan+UBSan, -j$jobs)"
if ! { cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DDDUMP_SANITIZE=ON -DDDUMP_FUZZ=OFF -DDDUMP_WERROR=OFF &&
  cmake --build "$build" -j "$jobs"; } >"$logs/build.log" 2>&1; then
  tail -30 "$logs/build.log" >&2
  say "the unmutated tree does not build"
  exit 1
fi
build_secs=$(elapsed "$t0")
say "built in ${build_secs} s"

known=$(ctest --test-dir "$build" -N | sed -nE 's/^ *Test +#[0-9]+: (.*)$/\1/p')
baseline_re=()
for name in "${selected[@]}"; do
  [[ -z "${result[$name]:-}" ]] || continue
  while IFS= read -r t; do
    if ! grep -qxF -- "$t" <<<"$known"; then
      result[$name]=stale detail[$name]="no test named '$t'"
    fi
  done < <(tests_of "$name")
  [[ -n "${result[$name]:-}" ]] || baseline_re+=("$(tests_regex "$name")")
done

# ---- baseline: the tests pass on the unmutated tree ------------------------------
baseline_secs=0
if ((baseline && ${#baseline_re[@]})); then
  t0=$EPOCHREALTIME
  re=$(IFS='|'; printf '%s' "${baseline_re[*]}")
  n=$(ctest --test-dir "$build" -N -R "$re" | sed -nE 's/^Total Tests: ([0-9]+)$/\1/p')
  say "baseline: $n tests on the unmutated tree"
  if ! run_ctest "$re" "$logs/baseline.log"; then
    grep -E '^FAIL \[|FAILED:|tests FAILED|\((Failed|Timeout|Subprocess aborted)\)' "$logs/baseline.log" >&2 || true
    say "the baseline failed: these tests fail without any mutation (log: $logs/baseline.log, KEEP=1 keeps it)"
    exit 1
  fi
  baseline_secs=$(elapsed "$t0")
  say "baseline passed in ${baseline_secs} s"
fi

# ---- the mutations ------------------------------------------------------------------
apply() {  # FILE FIND REPLACE: replaces the one occurrence in place (mode kept)
  python3 - "$@" <<'PY'
import sys
path, find, repl = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
data = open(path, "rb").read()
if data.count(find) != 1:
    sys.exit("%s: the text occurs %d times" % (path, data.count(find)))
with open(path, "r+b") as f:
    f.write(data.replace(find, repl, 1))
    f.truncate()
PY
}

# mutate NAME: applies, builds, tests; sets result[NAME] and detail[NAME]
mutate() {
  local name=$1 f=$src/${m_file[$1]} log=$logs/$1
  if ! apply "$f" "${m_find[$name]}" "${m_replace[$name]}" 2>"$log.apply.log"; then
    result[$name]=stale detail[$name]=$(cat "$log.apply.log")
    return
  fi
  say "[$i/${#selected[@]}] $name: building"
  if ! cmake --build "$build" -j "$jobs" >"$log.build.log" 2>&1; then
    result[$name]=stale
    detail[$name]="does not build: $(grep -m1 'error:' "$log.build.log" | sed 's/^.*error: //' || true)"
    return
  fi
  say "[$i/${#selected[@]}] $name: testing $(tests_label "$name")"
  if ! run_ctest "$(tests_regex "$name")" "$log.test.log"; then
    result[$name]=killed
    detail[$name]="$(failed_tests "$log.test.log"): $(first_failure "$log.test.log")"
  elif grep -q 'Skipped' "$log.test.log"; then
    result[$name]=survived
    detail[$name]="a test was skipped: $(grep -m1 -E '^SKIP|Skipped' "$log.test.log")"
  else
    result[$name]=survived
    detail[$name]="every test passed"
  fi
}

i=0
for name in "${selected[@]}"; do
  i=$((i + 1))
  [[ -z "${result[$name]:-}" ]] || { say "[$i/${#selected[@]}] $name: stale (${detail[$name]})"; continue; }
  f=$src/${m_file[$name]}
  t0=$EPOCHREALTIME
  cp -p "$f" "$work/original"
  mutate "$name"
  # Byte for byte as it was, with a new mtime: the next build recompiles it.
  cp "$work/original" "$f"
  touch "$f"
  cmp -s "$work/original" "$f" || { say "cannot restore $f"; exit 1; }
  seconds[$name]=$(elapsed "$t0")
  say "[$i/${#selected[@]}] $name: ${result[$name]} (${seconds[$name]} s)"
done

# ---- the table ---------------------------------------------------------------------
w1=8 w2=4 w3=4
for name in "${selected[@]}"; do
  label=$(tests_label "$name")
  ((${#name} > w1)) && w1=${#name}
  ((${#m_file[$name]} > w2)) && w2=${#m_file[$name]}
  ((${#label} > w3)) && w3=${#label}
done
row() { printf "%-${w1}s | %-${w2}s | %-${w3}s | %-8s | %s\n" "$@"; }
row mutation file test result seconds
row "$(printf '%*s' "$w1" '' | tr ' ' -)" "$(printf '%*s' "$w2" '' | tr ' ' -)" \
  "$(printf '%*s' "$w3" '' | tr ' ' -)" "--------" "-------"
killed=0 bad=0
for name in "${selected[@]}"; do
  row "$name" "${m_file[$name]}" "$(tests_label "$name")" "${result[$name]}" "${seconds[$name]:--}"
  if [[ "${result[$name]}" == killed ]]; then killed=$((killed + 1)); else bad=$((bad + 1)); fi
done
echo
echo "Why (killed: the failed tests and the first failure; otherwise what happened):"
for name in "${selected[@]}"; do
  printf '  %s: %s\n' "$name" "${detail[$name]}"
done
echo
echo "$killed of ${#selected[@]} killed, $bad survived or stale; build ${build_secs} s, baseline ${baseline_secs} s, total $(elapsed "$started") s"
((bad == 0))
