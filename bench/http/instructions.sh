#!/usr/bin/env bash
# Instructions and system calls per keep-alive request, duet's hello against nginx (same bodies as run.sh).
# Deterministic, unlike run.sh's CPU time: callgrind counts user-space instructions whatever else the
# machine does. Each server runs twice under callgrind, for N and 3N requests (4 connections, one request in
# flight each); the difference divided by 2N leaves out start-up and shutdown. strace -c counts the calls.
#   bench/http/instructions.sh <path to hello binary> [N, default 2000] [path, default /plaintext]
# CONNS=256 spreads the requests over that many connections (default 4). CACHE=1 also simulates the caches
# (32 KiB L1, 1 MiB last level): first-level data misses per request count the cache lines of per-connection
# state a request touches, what grows with the connection count (the callgrind figure then takes longer).
# SERVERS="duet" measures only duet (default "duet nginx"); STRACE=0 skips the system-call counts.
# DEPTH=16 pipelines: each connection writes 16 requests at once, as run.sh's pipelined row (default 1).
# BODY=<bytes> sends POSTs with a body that long, to hello run with HELLO_READ_BODIES=1 (it reads them).
# KEEP=<dir> copies the callgrind outputs there (<server>.1 and <server>.3), for callgrind_annotate.
set -euo pipefail
HELLO=${1:?usage: instructions.sh <hello binary> [N] [path]}
N=${2:-2000}
URL_PATH=${3:-/plaintext}
CONNS=${CONNS:-4}
CACHE_ARGS=()
if [ "${CACHE:-0}" = 1 ]; then CACHE_ARGS=(--cache-sim=yes --D1=32768,8,64 --I1=32768,8,64 --LL=1048576,16,64); fi
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/duet-bench-instr.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$1))" 2>/dev/null && return; sleep 0.2; done; echo "no server on $1" >&2; exit 1; }
nginx_conf() { sed -e "s|@DIR@|$DIR/ng$1|g" -e "s|@PORT@|$1|g" "$HERE/nginx.conf.in" > "$DIR/nginx.$1.conf"; mkdir -p "$DIR/ng$1"; }

# run <duet|nginx> <requests> <tool...>: serves <requests> under the tool, then stops the server.
run() {
  local what=$1 requests=$2; shift 2
  local port pid
  port=$(free_port)
  if [ "$what" = nginx ]; then
    nginx_conf "$port"
    "$@" /usr/sbin/nginx -c "$DIR/nginx.$port.conf" -p "$DIR/ng$port" -g 'master_process off;' 2>/dev/null &
  else
    HELLO_READ_BODIES=$([ "${BODY:-0}" = 0 ] || echo 1) "$@" "$HELLO" --port "$port" --workers 1 --no-access-log >/dev/null 2>&1 &
  fi
  pid=$!
  wait_port "$port"
  /usr/bin/python3 "$HERE/keepalive_client.py" "$port" "$requests" "$CONNS" "$URL_PATH" "${DEPTH:-1}" "${BODY:-0}" >/dev/null
  if [ "$what" = nginx ]; then kill -QUIT "$(cat "$DIR/ng$port/nginx.pid")"; else kill -TERM "$(pgrep -P "$pid" | tail -1 || echo "$pid")" 2>/dev/null || kill -TERM "$pid"; fi
  wait "$pid" || true
}

total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }
# With CACHE=1: the D1 read and write misses (the 5th and 6th events) of the totals line.
d1_misses() {
  callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { n = 0; for (i = 1; i <= NF; ++i) if ($i !~ /[(%)]/) { gsub(",", "", $i); v[++n] = $i } print v[5] + v[6] }'
}

for what in ${SERVERS:-duet nginx}; do
  run "$what" "$N" valgrind --tool=callgrind "${CACHE_ARGS[@]}" --callgrind-out-file="$DIR/$what.1" -q
  run "$what" $((3 * N)) valgrind --tool=callgrind "${CACHE_ARGS[@]}" --callgrind-out-file="$DIR/$what.3" -q
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$DIR/$what.1" "$DIR/$what.3" "$KEEP/"; fi
  per=$(( ($(total "$DIR/$what.3") - $(total "$DIR/$what.1")) / (2 * N) ))
  echo "http_instructions_per_request_${what}: $per instructions"
  if [ "${CACHE:-0}" = 1 ]; then
    echo "http_l1d_misses_per_request_${what}: $(awk -v a="$(d1_misses "$DIR/$what.1")" -v b="$(d1_misses "$DIR/$what.3")" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / (2 * n) }') misses"
  fi
  [ "${STRACE:-1}" = 1 ] || continue
  run "$what" "$N" strace -f -c -o "$DIR/$what.strace"
  # strace -c: "% time, seconds, usecs/call, calls, [errors], syscall": calls is the 4th column.
  awk -v n="$N" -v w="$what" '$NF ~ /^(recvfrom|read|sendto|writev|write|epoll_wait|epoll_ctl|futex)$/ {
        printf "http_syscalls_per_request_%s_%s: %.2f\n", w, $NF, $4 / n }' "$DIR/$what.strace"
done
