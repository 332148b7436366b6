#!/usr/bin/env bash
# Instructions per request of one tfb URL, counted by callgrind (deterministic: usable on a shared, noisy
# machine where req/s are not). Starts its own PostgreSQL cluster (scripts/pg-cluster.sh) unless DATABASE_URL
# is set, loads it with `tfb setup`, runs tfb on one loop under callgrind, warms up (pool, prepared
# statements, caches) with wrk, zeroes the counters, sends wrk's load for SECONDS, dumps, and prints the
# instructions divided by the requests wrk completed and by those the server finished, then the costliest
# functions (inclusive).
#   bench/tfb/callgrind.sh <tfb binary> [url path, default /db] [connections, default 16] [seconds, default 10]
# The profile stays in $OUT (default /tmp/tfb-callgrind): callgrind_annotate --inclusive=yes $OUT/profile.
# VALGRIND_ARGS adds callgrind options: VALGRIND_ARGS=--cache-sim=yes also counts D1/LL misses (shown with
# `callgrind_annotate --show=Ir,D1mr,D1mw,DLmr,DLmw`), at several times the run time.
set -euo pipefail
TFB=$(realpath "${1:?usage: callgrind.sh <tfb binary> [path] [connections] [seconds]}")
URLPATH=${2:-/db}
CONNS=${3:-16}
SECONDS_=${4:-10}
OUT=${OUT:-/tmp/tfb-callgrind}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
chmod 755 "$OUT"
VPID=
cleanup() {
  [[ -n $VPID ]] && kill "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
  if [[ -z ${KEEP_CLUSTER:-} && -f $OUT/pg/env ]]; then "$REPO/scripts/pg-cluster.sh" stop "$OUT/pg" >/dev/null 2>&1; fi
  true
}
trap cleanup EXIT
if [[ -z ${DATABASE_URL:-} ]]; then
  "$REPO/scripts/pg-cluster.sh" start "$OUT/pg" >/dev/null
  # shellcheck disable=SC1091
  source "$OUT/pg/env"
  export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE"
  "$TFB" setup >/dev/null
fi
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -f "$OUT"/callgrind.out*
# Names uncompressed: a dump taken mid-run refers to names defined in the earlier part otherwise.
# shellcheck disable=SC2086  # VALGRIND_ARGS: more options, split on spaces (e.g. "--cache-sim=yes")
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" --compress-strings=no --compress-pos=no \
  ${VALGRIND_ARGS:-} "$TFB" --port "$PORT" --workers 1 --no-access-log 2>"$OUT/valgrind.log" &
VPID=$!
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$PORT/plaintext" && break; sleep 0.2; done
wrk -t1 -c"$CONNS" -d3s --timeout 60s "http://127.0.0.1:$PORT$URLPATH" >/dev/null
# The requests the warm-up left in flight finish (or are cancelled) before the counters are zeroed, and the
# measured run's before they are dumped: what was counted is whole requests, which the server counts below.
sleep 3
callgrind_control -z "$VPID" >/dev/null 2>&1
RESULT=$(wrk -t1 -c"$CONNS" -d"${SECONDS_}s" --timeout 60s "http://127.0.0.1:$PORT$URLPATH")
sleep 3
callgrind_control -d "$VPID" >/dev/null 2>&1
sleep 1
REQUESTS=$(echo "$RESULT" | awk '/requests in/ {print $1}')
# callgrind_annotate 3.19 mis-reads the "calls=0" records of a mid-run dump (it charges the whole run to
# clone()): drop them with their cost line.
awk '/^calls=0 / {skip=1; next} skip==1 {skip=0; next} {print}' "$OUT/callgrind.out.1" >"$OUT/profile"
TOTAL=$(callgrind_annotate "$OUT/profile" | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
# wrk counts none when every request outlasts the run (many connections under --cache-sim=yes): the
# server's count below still divides.
echo "$URLPATH: $REQUESTS requests, $TOTAL instructions, $((TOTAL / (REQUESTS > 0 ? REQUESTS : 1))) per" \
  "request ($CONNS connections)"
# wrk's count leaves out the requests in flight when its time is up, which the process served all the same:
# on a loaded machine (a few hundred requests a run) that alone moved the figure by 10%. The server's count
# is its requests destroyed (one HttpRequest each).
SERVED=$(awk '/^cfn=/ {hit = index($0, "duet::http::HttpRequest::~HttpRequest()") > 0; next}
  /^calls=/ && hit {split($1, a, "="); n += a[2]} END {print n + 0}' "$OUT/profile")
if ((SERVED > 0)); then echo "$URLPATH: $SERVED requests served in the window, $((TOTAL / SERVED)) per request"; fi
if [[ ${VALGRIND_ARGS:-} == *cache-sim=yes* ]]; then
  MISSES=$(callgrind_annotate --show=D1mr,D1mw "$OUT/profile" |
    awk '/PROGRAM TOTALS/ {gsub(",","",$1); gsub(",","",$3); print $1 + $3}')
  echo "$URLPATH: $MISSES D1 misses (reads + writes), $((MISSES / (SERVED > 0 ? SERVED : REQUESTS))) per request"
fi
echo "$RESULT" | grep -E "Non-2xx|Socket errors" || true
callgrind_annotate --inclusive=yes "$OUT/profile" | sed -n '/file:function/,$p' | sed -n 2,40p | cut -c1-160
