#!/usr/bin/env bash
# The README's test command: install packages, build, run the whole suite with ctest.
# The runtime tests also run under ThreadSanitizer first (build-tsan/); DUET_SKIP_TSAN=1 skips that step.
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

scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"${JOBS:-$(nproc)}" "$@"
