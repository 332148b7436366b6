#!/usr/bin/env bash
# The README's run command: install packages, build, start the example site (examples/mysite) on
# http://127.0.0.1:8000/. Options go to the site: --port 9000, --mode threaded, --help.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh mysite
exec build/examples/mysite/mysite "$@"
