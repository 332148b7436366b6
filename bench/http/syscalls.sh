#!/usr/bin/env bash
# System calls per request under load: duet's hello and nginx (same bodies as run.sh) each loaded by wrk at
# CONNS connections (default 256), counted by the kernel's syscall tracepoints (perf stat), with the
# epoll_wait calls split into blocking and zero-timeout ones and the events each returned (perf record).
# Unlike strace, the tracepoints barely slow the server, so the batching under load is the real one.
#   bench/http/syscalls.sh <path to hello binary> [seconds, default 3] [path, default /plaintext]
# Needs perf with tracepoint access (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail
HELLO=${1:?usage: syscalls.sh <hello binary> [seconds] [path]}
DURATION=${2:-3}
URL_PATH=${3:-/plaintext}
CONNS=${CONNS:-256}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/duet-bench-syscalls.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NGINX_PORT=$(free_port)
sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$NGINX_PORT|g" "$HERE/nginx.conf.in" > "$DIR/nginx.conf"
/usr/sbin/nginx -c "$DIR/nginx.conf" -p "$DIR" 2>"$DIR/nginx.stderr" &
PIDS+=($!)
DUET_PORT=$(free_port)
"$HELLO" --port "$DUET_PORT" --workers 1 --no-access-log 2>"$DIR/duet.stderr" &
PIDS+=($!)
sleep 1
NGINX_WORKER=$(pgrep -P "${PIDS[0]}" | head -1)

count() {  # what pid port
  local what=$1 pid=$2 port=$3 out requests
  perf stat -e 'syscalls:sys_enter_*' -e task-clock -e context-switches -p "$pid" -o "$DIR/$what.stat" \
    -- sleep $((DURATION + 1)) &
  local stat=$!
  perf record -q -e syscalls:sys_enter_epoll_wait -e syscalls:sys_exit_epoll_wait -p "$pid" \
    -o "$DIR/$what.data" -- sleep $((DURATION + 1)) >/dev/null 2>&1 &
  local record=$!
  sleep 0.3
  out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$port$URL_PATH")
  wait "$stat" "$record"
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  awk -v n="$requests" -v w="$what" '$2 ~ /^syscalls:sys_enter_/ { gsub(",", "", $1); if ($1 + 0 > 0) {
      name = $2; sub("syscalls:sys_enter_", "", name); printf "http_c%s_syscalls_per_request_%s_%s: %.3f\n", c, w, name, $1 / n } }
    $2 == "context-switches" { gsub(",", "", $1); printf "http_c%s_context_switches_per_request_%s: %.3f\n", c, w, $1 / n }' \
    c="$CONNS" "$DIR/$what.stat"
  perf script -i "$DIR/$what.data" -F event,trace 2>/dev/null | /usr/bin/python3 -c '
import re, sys
n, what, conns = int(sys.argv[1]), sys.argv[2], sys.argv[3]
calls = {"blocking": 0, "zero_timeout": 0}; events = dict(calls); kind = "blocking"
for line in sys.stdin:
    if "sys_enter_epoll_wait" in line:
        m = re.search(r"timeout: (0x[0-9a-f]+)", line)
        kind = "blocking" if m and int(m.group(1), 16) else "zero_timeout"
    elif "sys_exit_epoll_wait" in line:
        v = int(line.split()[-1], 16)
        if v < 1 << 31:
            calls[kind] += 1; events[kind] += v
for kind in calls:
    if calls[kind]:
        print(f"http_c{conns}_epoll_wait_{kind}_per_request_{what}: {calls[kind] / n:.4f}")
        print(f"http_c{conns}_epoll_events_per_{kind}_call_{what}: {events[kind] / calls[kind]:.1f}")
' "$requests" "$what" "$CONNS"
}
count nginx "$NGINX_WORKER" "$NGINX_PORT"
count duet "${PIDS[1]}" "$DUET_PORT"
