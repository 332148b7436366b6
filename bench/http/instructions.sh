#!/usr/bin/env bash
# Instructions and system calls per keep-alive request, duet's hello against nginx (same bodies as run.sh).
# Deterministic, unlike run.sh's CPU time: callgrind counts user-space instructions whatever else the
# machine does. Each server runs twice under callgrind, for N and 3N requests (4 connections, one request in
# flight each); the difference divided by 2N leaves out start-up and shutdown. strace -c counts the calls.
#   bench/http/instructions.sh <path to hello binary> [N, default 2000] [path, default /plaintext]
set -euo pipefail
HELLO=${1:?usage: instructions.sh <hello binary> [N] [path]}
N=${2:-2000}
URL_PATH=${3:-/plaintext}
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
    "$@" "$HELLO" --port "$port" --workers 1 --no-access-log >/dev/null 2>&1 &
  fi
  pid=$!
  wait_port "$port"
  /usr/bin/python3 "$HERE/keepalive_client.py" "$port" "$requests" 4 "$URL_PATH" >/dev/null
  if [ "$what" = nginx ]; then kill -QUIT "$(cat "$DIR/ng$port/nginx.pid")"; else kill -TERM "$(pgrep -P "$pid" | tail -1 || echo "$pid")" 2>/dev/null || kill -TERM "$pid"; fi
  wait "$pid" || true
}

total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }

for what in duet nginx; do
  run "$what" "$N" valgrind --tool=callgrind --callgrind-out-file="$DIR/$what.1" -q
  run "$what" $((3 * N)) valgrind --tool=callgrind --callgrind-out-file="$DIR/$what.3" -q
  per=$(( ($(total "$DIR/$what.3") - $(total "$DIR/$what.1")) / (2 * N) ))
  echo "http_instructions_per_request_${what}: $per instructions"
  run "$what" "$N" strace -f -c -o "$DIR/$what.strace"
  # strace -c: "% time, seconds, usecs/call, calls, [errors], syscall": calls is the 4th column.
  awk -v n="$N" -v w="$what" '$NF ~ /^(recvfrom|read|sendto|writev|write|epoll_wait|epoll_ctl|futex)$/ {
        printf "http_syscalls_per_request_%s_%s: %.2f\n", w, $NF, $4 / n }' "$DIR/$what.strace"
done
