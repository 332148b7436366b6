#!/usr/bin/env bash
# PostgreSQL's own instructions per statement, counted by callgrind: how much server work a statement shape
# costs (a LIMIT, a column more, another lookup), deterministic where wall-clock CPU on a shared machine is
# not. Starts a throw-away cluster (scripts/pg-cluster.sh), loads it with `tfb setup`, restarts the server
# under `valgrind --tool=callgrind --trace-children=yes`, then has pgbench (prepared statements, one
# connection) send pipelines of QUERIES statements, SHORT and then LONG pipelines, each from a connection
# of its own. Prints the instructions of each connection's backend process and their difference divided by
# the extra statements, so connection set-up and exit cancel out.
#   bench/tfb/pg-instructions.sh <tfb binary> '<statement; :id is a random world id>' ...
# Several statements are measured one after the other on the same server. QUERIES (default 20) per
# pipeline, SHORT (default 100) and LONG (default 300) pipelines. Needs valgrind and Debian's
# postgresql-15 (pgbench). Example:
#   bench/tfb/pg-instructions.sh build/examples/tfb/tfb \
#     'SELECT id, randomnumber FROM world WHERE id = :id LIMIT 21' \
#     'SELECT id, randomnumber FROM world WHERE id = :id'
set -euo pipefail
TFB=$(realpath "${1:?usage: pg-instructions.sh <tfb binary> '<statement>' ...}")
shift
(($# > 0)) || { echo "pg-instructions.sh: give at least one statement" >&2; exit 2; }
QUERIES=${QUERIES:-20}
SHORT=${SHORT:-100}
LONG=${LONG:-300}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BIN=/usr/lib/postgresql/15/bin
DIR=$(mktemp -d /tmp/duet-pg-instructions.XXXXXX)
chmod 755 "$DIR"
VPID=
DATA=
RUN=()
cleanup() {
  if [[ -n $VPID ]]; then
    # Through pg_ctl: a signal to runuser would not reach the server under it.
    "${RUN[@]}" "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    wait "$VPID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT

"$REPO/scripts/pg-cluster.sh" start "$DIR/pg" >/dev/null
set -a
# shellcheck disable=SC1091
source "$DIR/pg/env"
set +a
DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE" "$TFB" setup >/dev/null
"$REPO/scripts/pg-cluster.sh" stop "$DIR/pg" >/dev/null
DATA=$(cat "$DIR/pg/datadir")
OWNER=$(stat -c %U "$DATA")
[[ $OWNER != "$(id -un)" ]] && RUN=(runuser -u "$OWNER" --)
mkdir -p "$DIR/cg"
chown "$OWNER" "$DIR/cg"
# The settings of pg-cluster.sh, without autovacuum (a worker starting mid-run would be counted nowhere,
# but would slow the run).
"${RUN[@]}" valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$DIR/cg/cg.%p" \
  "$BIN/postgres" -D "$DATA" -p "$PGPORT" -k "$DIR/pg/socket" -c listen_addresses=127.0.0.1 -c fsync=off \
  -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB -c autovacuum=off \
  >"$DIR/server.log" 2>&1 &
VPID=$!
for _ in $(seq 120); do
  "$BIN/psql" -Atqc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 1
done

# The instructions of the backend that served one pgbench run of `pipelines` pipelines of script $1.
backend_instructions() {
  local script=$1 pipelines=$2 before
  before=$(find "$DIR/cg" -type f -printf '%f\n')
  "$BIN/pgbench" -n -M prepared -c 1 -t "$pipelines" -f "$script" >"$DIR/pgbench.out" 2>&1 ||
    { cat "$DIR/pgbench.out" >&2; exit 1; }
  # The backend writes its profile as it exits, a moment after pgbench's; the biggest new profile is the
  # one that ran the pipelines (pgbench may open another connection).
  local totals last=
  for _ in $(seq 60); do
    sleep 0.5
    totals=$(comm -13 <(echo "$before" | sort) <(find "$DIR/cg" -type f -printf '%f\n' | sort) |
      while read -r f; do awk '/^totals:/ {print $2}' "$DIR/cg/$f"; done | sort -n | tail -1)
    [[ -n $totals && $totals == "$last" ]] && break
    last=$totals
  done
  echo "$totals"
}

n=0
for statement in "$@"; do
  n=$((n + 1))
  script=$DIR/statement$n.sql
  {
    printf '%s\n' '\set id random(1, 10000)' '\startpipeline'
    for _ in $(seq "$QUERIES"); do printf '%s;\n' "$statement"; done
    printf '%s\n' '\endpipeline'
  } >"$script"
  short=$(backend_instructions "$script" "$SHORT")
  long=$(backend_instructions "$script" "$LONG")
  per=$(((long - short) / ((LONG - SHORT) * QUERIES)))
  echo "# $statement: $short instructions for $SHORT pipelines of $QUERIES, $long for $LONG"
  echo "pg_instructions_per_statement_$n: $per instructions"
done
