#!/usr/bin/env bash
# tfb over a real socket on PostgreSQL: smoke_test.sh against the throw-away cluster at <cluster dir>
# (started by the pg_cluster CTest fixture, scripts/pg-cluster.sh), through a postgres:// DATABASE_URL.
#   pg_smoke_test.sh <tfb binary> <cluster dir>
set -euo pipefail
binary=$1
cluster=$2
[[ -f $cluster/env ]] || { echo "FAIL: no PostgreSQL cluster at $cluster (run through ctest: fixture pg_cluster)"; exit 1; }
# shellcheck disable=SC1091
source "$cluster/env"
export TFB_DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE"
exec "$(dirname "$0")/smoke_test.sh" "$binary"
