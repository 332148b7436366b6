#!/usr/bin/env bash
# The README's run command: install packages, build, start the example site on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh runtime_demo
# Until the HTTP server lands this is the runtime demo; afterwards, the example site.
exec build/examples/runtime_demo/runtime_demo "$@"
