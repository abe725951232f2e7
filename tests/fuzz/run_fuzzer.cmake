# Runs a libFuzzer binary for a bounded time over a scratch corpus seeded from
# tests/data. A crash leaves its input in WORK/artifacts: add it to tests/data.
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -max_len=70000 -timeout=10 -rss_limit_mb=1024
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/
          ${WORK}/corpus ${SEEDS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzzer failed (exit ${rc}); crashing inputs are in ${WORK}/artifacts")
endif()
