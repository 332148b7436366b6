#!/usr/bin/env bash
# Configures and builds duet into build/ (Release unless BUILD_TYPE says otherwise).
# Usage: scripts/build.sh [target...]   (no target: everything)
# Environment: BUILD_DIR (build), BUILD_TYPE (Release), CMAKE_ARGS (extra -D options), JOBS (cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of options
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-} >/dev/null
targets=()
(($#)) && targets=(--target "$@")
cmake --build "$build_dir" -j"${JOBS:-$(nproc)}" "${targets[@]}"
