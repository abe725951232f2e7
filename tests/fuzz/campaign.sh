#!/usr/bin/env bash
# A fuzzing campaign: every libFuzzer target of tests/CMakeLists.txt (each
# ddump_add_fuzzer line: target, seed directory) run for longer than the
# bounded CI run, in parallel, with a report per target.
#
#   bash tests/fuzz/campaign.sh [--build-dir DIR] [--no-build]
#        [--total SECONDS | --per-target SECONDS] [--jobs N] [--work DIR] [TARGET...]
#
#   --build-dir DIR    where the targets are (default build-fuzz/, configured
#                      here: clang++, RelWithDebInfo, ASan+UBSan, DDUMP_FUZZ=ON;
#                      optimised, the targets run several times faster than
#                      in the Debug build the test suite uses)
#   --no-build         use the binaries in DIR as they are
#   --total SECONDS    wall-clock budget of the whole campaign (default 3600),
#                      split evenly: each target runs SECONDS x JOBS / TARGETS
#   --per-target SECONDS  each target runs this long instead
#   --jobs N           targets running at once (default: the number of cores)
#   --work DIR         corpora and logs (default DIR/fuzz-campaign)
#   TARGET...          only these (names as in ddump_add_fuzzer: target, http_body)
#
# Each target gets its own scratch corpus, WORK/corpus/NAME, FIRST on
# libFuzzer's command line (libFuzzer adds the new inputs it finds to the
# first directory only) and its committed seeds second, so the seeds stay
# as committed and the scratch corpus grows from one campaign to the next.
# A run's logs and findings go to WORK/runs/TIME/. At the end one line per
# target: executions, exec/s, coverage (cov:), features (ft:), corpus
# (libFuzzer's in-memory corpus and the files in the scratch directory), and
# the path of every crash, leak, timeout or out-of-memory input. Exit status:
# 0 nothing found, 1 a finding (or a target that failed), 2 usage or build
# error. A finding is reproduced with `DIR/bin/fuzz_NAME FILE`; once fixed,
# add FILE to the target's seeds.

set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=""
build_it=1
total=3600
per_target=""
jobs=$(nproc)
work=""
only=()

usage() {
  sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "campaign: $*" >&2
  exit 2
}
number() {  # number VALUE FLAG: a positive integer or exit 2
  [[ $1 =~ ^[1-9][0-9]*$ ]] || die "$2 takes a positive number of seconds or jobs, got '$1'"
}

while (($#)); do
  case $1 in
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    --no-build) build_it=0; shift ;;
    --total) number "${2:-}" --total; total=$2; shift 2 ;;
    --per-target) number "${2:-}" --per-target; per_target=$2; shift 2 ;;
    --jobs) number "${2:-}" --jobs; jobs=$2; shift 2 ;;
    --work) work=${2:?--work needs a directory}; shift 2 ;;
    -h | --help) usage ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) only+=("$1"); shift ;;
  esac
done
build=${build:-$src/build-fuzz}
build=$(mkdir -p "$build" && cd "$build" && pwd)
work=${work:-$build/fuzz-campaign}

# The targets and their seeds, as tests/CMakeLists.txt registers them.
names=()
declare -A seeds=()
while read -r name dir; do
  names+=("$name")
  seeds[$name]=$src/tests/$dir
done < <(sed -nE 's/^[[:space:]]*ddump_add_fuzzer\(([a-z0-9_]+) \$\{CMAKE_CURRENT_SOURCE_DIR\}\/([^ ]+) .*/\1 \2/p' \
           "$src/tests/CMakeLists.txt")
((${#names[@]})) || die "no ddump_add_fuzzer lines in tests/CMakeLists.txt"
if ((${#only[@]})); then
  for name in "${only[@]}"; do
    [[ -n ${seeds[$name]:-} ]] || die "no fuzz target '$name' (known: ${names[*]})"
  done
  names=("${only[@]}")
fi

if ((build_it)); then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DDDUMP_SANITIZE=ON -DDDUMP_FUZZ=ON >/dev/null || die "cmake could not configure $build"
  fi
  cmake --build "$build" -j"$jobs" --target "${names[@]/#/fuzz_}" >"$build/fuzz-campaign-build.log" 2>&1 ||
    die "build failed: see $build/fuzz-campaign-build.log"
fi
for name in "${names[@]}"; do
  [[ -x $build/bin/fuzz_$name ]] || die "$build/bin/fuzz_$name is missing (configured with -DDDUMP_FUZZ=ON?)"
done

if [[ -n $per_target ]]; then
  seconds=$per_target
else
  slots=$((jobs < ${#names[@]} ? jobs : ${#names[@]}))
  seconds=$((total * slots / ${#names[@]}))
  ((seconds > 0)) || seconds=1
fi
run=$work/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
echo "campaign: ${#names[@]} targets, $seconds s each, $jobs at a time; logs in $run"

# One target: the scratch corpus first, the seeds second (see the top).
start() {
  local name=$1
  mkdir -p "$work/corpus/$name" "$run/$name"
  "$build/bin/fuzz_$name" -max_total_time="$seconds" -max_len=70000 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$run/$name/" \
    "$work/corpus/$name" "${seeds[$name]}" >"$run/$name.log" 2>&1 &
  pid_name[$!]=$name
}

declare -A pid_name=() status=()
stop_all() {
  local pid
  for pid in "${!pid_name[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait || true
  echo "campaign: interrupted; logs in $run" >&2
  exit 2
}
trap stop_all INT TERM

next=0
while ((next < ${#names[@]} || ${#pid_name[@]})); do
  if ((next < ${#names[@]} && ${#pid_name[@]} < jobs)); then
    start "${names[next]}"
    next=$((next + 1))
    continue
  fi
  finished=""
  rc=0
  wait -n -p finished "${!pid_name[@]}" || rc=$?
  [[ -n $finished ]] || continue
  status[${pid_name[$finished]}]=$rc
  echo "campaign: ${pid_name[$finished]} done (exit $rc)"
  unset "pid_name[$finished]"
done
trap - INT TERM

# The report: libFuzzer's final statistics and last status line per target.
found=0
printf '\n%-20s %6s %11s %8s %7s %8s %14s %7s  %s\n' target exit executions exec/s cov ft corp files findings
for name in "${names[@]}"; do
  log=$run/$name.log
  statistic() { sed -nE "s/^stat::$1:[[:space:]]*([0-9]+).*/\1/p" "$log" | tail -1; }
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  field() { sed -nE "s/.* $1: ([^ ]+).*/\1/p" <<<"$last"; }
  files=$(find "$work/corpus/$name" -type f | wc -l)
  mapfile -t findings < <(find "$run/$name" -type f \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  rc=${status[$name]}
  ((rc == 0 && ${#findings[@]} == 0)) || found=1
  printf '%-20s %6s %11s %8s %7s %8s %14s %7s  %s\n' "$name" "$rc" "$(statistic number_of_executed_units)" \
    "$(statistic average_exec_per_sec)" "$(field cov)" "$(field ft)" "$(field corp)" "$files" \
    "${findings[*]:-none}"
  if ((rc != 0 && ${#findings[@]} == 0)); then
    echo "  $name exited $rc without an input: see $log"
  fi
done
if ((found)); then
  echo "campaign: FINDINGS (reproduce with $build/bin/fuzz_NAME FILE)"
  exit 1
fi
echo "campaign: clean"
