#!/usr/bin/env bash
# The README's test command: install packages, build, run the whole suite with ctest.
# The runtime tests also run under ThreadSanitizer first (build-tsan/), and the parsers' fuzz targets run for a
# bounded time (build-fuzz/, clang + libFuzzer); DUET_SKIP_TSAN=1 / DUET_SKIP_FUZZ=1 skip those steps and
# DUET_FUZZ_SECONDS sets the time per target (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [[ "${DUET_SKIP_TSAN:-0}" != 1 ]]; then
  echo "duet: runtime tests under ThreadSanitizer"
  BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo \
    CMAKE_ARGS="-DDUET_SANITIZE=thread -DDUET_BUILD_BENCH=OFF -DDUET_BUILD_EXAMPLES=OFF" \
    scripts/build.sh runtime_tests
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/runtime/tsan.supp" \
    build-tsan/tests/runtime/runtime_tests --gtest_brief=1
fi

if [[ "${DUET_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "duet: fuzz targets, ${DUET_FUZZ_SECONDS:-20} s each"
  BUILD_DIR=build-fuzz BUILD_TYPE=RelWithDebInfo \
    CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++ -DDUET_BUILD_FUZZ=ON -DDUET_BUILD_TESTS=OFF -DDUET_BUILD_BENCH=OFF
      -DDUET_BUILD_EXAMPLES=OFF -DDUET_LAYERS_ONLY=runtime;conf;asgi;server;http" \
    scripts/build.sh fuzz_http_request fuzz_querystring fuzz_multipart
  for target in http_request querystring multipart; do
    # New inputs go to a scratch directory: the committed seeds in fuzz/corpus/ stay as they are.
    scratch=$(mktemp -d)
    status=0
    build-fuzz/fuzz/fuzz_$target -max_total_time="${DUET_FUZZ_SECONDS:-20}" -print_final_stats=1 \
      "$scratch" "fuzz/corpus/$target" >"$scratch.log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|SUMMARY|==[0-9]+==ERROR)' "$scratch.log" | sed "s/^/fuzz_$target: /" || true
    if ((status != 0)); then
      tail -n 60 "$scratch.log" >&2
      echo "duet: fuzz_$target failed (exit $status); the failing input is saved in $PWD as crash-*" >&2
      exit 1
    fi
    rm -rf "$scratch" "$scratch.log"
  done
fi

scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"${JOBS:-$(nproc)}" "$@"
