#!/usr/bin/env bash
# System calls and context switches per request of one tfb URL under wrk's load, for tfb and for the
# PostgreSQL backends serving it, counted by the kernel's syscall tracepoints (perf stat): unlike strace they
# barely slow the processes, so the batching seen is the real one under load. Starts its own cluster
# (scripts/pg-cluster.sh), loads it with `tfb setup`, runs tfb with WORKERS loops (default 2), warms up,
# then counts during SECONDS of load. With tfb's /plaintext as the baseline of one HTTP request (one recv,
# one send), what a /db request adds is the database's.
#   bench/tfb/syscalls.sh <tfb binary> [url path, default /db] [connections, default 256] [seconds, default 5]
# Needs perf with tracepoint access (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail
TFB=$(realpath "${1:?usage: syscalls.sh <tfb binary> [path] [connections] [seconds]}")
URLPATH=${2:-/db}
CONNS=${3:-256}
DURATION=${4:-5}
WORKERS=${WORKERS:-2}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(mktemp -d /tmp/duet-tfb-syscalls.XXXXXX)
chmod 755 "$DIR"
TP=
cleanup() {
  [[ -n $TP ]] && kill "$TP" 2>/dev/null && wait "$TP" 2>/dev/null
  "$REPO/scripts/pg-cluster.sh" stop "$DIR/pg" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 1; }
"$REPO/scripts/pg-cluster.sh" start "$DIR/pg" >/dev/null
# shellcheck disable=SC1091
source "$DIR/pg/env"
export PGHOST PGPORT PGUSER PGDATABASE
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE"
"$TFB" setup >/dev/null
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TFB" --port "$PORT" --workers "$WORKERS" --no-access-log 2>"$DIR/err" &
TP=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/plaintext" && break; sleep 0.1; done
wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$PORT$URLPATH" >/dev/null
# The backends tfb's pools opened (the warm-up opened them all): children of the postmaster.
POSTMASTER=$(head -1 "$DIR/pg/data/postmaster.pid")
BACKENDS=$(pgrep -P "$POSTMASTER" -f "duet" | paste -sd, - || true)
# /plaintext opens none: then the postmaster stands in (its counts are ~0).
BACKENDS=${BACKENDS:-$POSTMASTER}
EVENTS="-e syscalls:sys_enter_sendto -e syscalls:sys_enter_recvfrom -e syscalls:sys_enter_epoll_wait"
EVENTS="$EVENTS -e syscalls:sys_enter_epoll_ctl -e syscalls:sys_enter_setsockopt -e syscalls:sys_enter_futex"
EVENTS="$EVENTS -e syscalls:sys_enter_epoll_pwait -e syscalls:sys_enter_read -e syscalls:sys_enter_write"
EVENTS="$EVENTS -e context-switches -e task-clock"
# shellcheck disable=SC2086
perf stat $EVENTS -p "$TP" -o "$DIR/tfb.stat" -- sleep $((DURATION + 1)) &
S1=$!
# shellcheck disable=SC2086
perf stat $EVENTS -p "$BACKENDS" -o "$DIR/pg.stat" -- sleep $((DURATION + 1)) &
S2=$!
sleep 0.3
OUT=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$PORT$URLPATH")
wait "$S1" "$S2"
REQ=$(echo "$OUT" | awk '/requests in/ {print $1}')
RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
echo "$URLPATH c$CONNS: $RPS req/s, $REQ requests; $(echo "$BACKENDS" | tr , '\n' | wc -l) backends; load $(cut -d' ' -f1-3 /proc/loadavg)"
for who in tfb pg; do
  awk -v n="$REQ" -v w="$who" '
    $2 ~ /^syscalls:sys_enter_/ { gsub(",", "", $1); name = $2; sub("syscalls:sys_enter_", "", name);
      if ($1 + 0 > 0) line = line sprintf(" %s %.3f", name, $1 / n) }
    $2 == "context-switches" { gsub(",", "", $1); line = line sprintf(" cs %.3f", $1 / n) }
    $3 == "task-clock" { gsub(",", "", $1); line = line sprintf(" cpu-us %.1f", $1 * 1000 / n) }
    END { printf "%-4s per request:%s\n", w, line }' "$DIR/$who.stat"
done
echo "$OUT" | grep -E "Non-2xx|Socket errors" || true
