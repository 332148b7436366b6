#!/usr/bin/env bash
# The example site over a real socket, as a user runs it: start the binary on a free port, talk to it with
# curl, stop it with SIGTERM. Runs the async server, then the threaded one.
set -euo pipefail
binary=$1
log=$(mktemp)
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fail() { echo "FAIL: $*"; echo "--- server log:"; cat "$log"; exit 1; }

for mode in async threaded; do
  port=$(free_port)
  "$binary" --port "$port" --mode "$mode" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  base="http://127.0.0.1:$port"

  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/") == 200 ]] || fail "$mode: / did not answer 200"
  body=$(curl -s "$base/hello/Ada/")
  [[ $body == *'"message":"Hello, Ada!"'* && $body == *'"elapsed":'* ]] || fail "$mode: /hello/Ada/ gave $body"
  body=$(curl -s "$base/ahello/Bob/")
  [[ $body == *'"mode":"async"'* ]] || fail "$mode: /ahello/Bob/ gave $body"
  body=$(curl -s -N "$base/stream/?n=3")
  [[ $body == $'data: event 0\n\ndata: event 1\n\ndata: event 2' ]] || fail "$mode: /stream/ gave '$body'"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/missing/") == 404 ]] || fail "$mode: /missing/ was not 404"

  # Ten blocking requests at once: each sync view sleeps 1 s on its own sync thread; all must answer.
  for i in $(seq 10); do curl -s "$base/api/?task_id=$i" >"$log.$i" & done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  for i in $(seq 10); do
    grep -q "\"task_id\":\"$i\"" "$log.$i" || fail "$mode: /api/?task_id=$i gave $(cat "$log.$i")"
    rm -f "$log.$i"
  done

  # The article's experiment: an async view that calls /api/ ten times at once over HTTP, on this very
  # server. The sync /api/ views run on the sync pool, not on the event loop, so all ten answer (about 1 s,
  # well inside the client's 5 s default timeout) — under a single-threaded ASGI server this times out.
  body=$(curl -s -m 60 -w ' time_total=%{time_total}' "$base/api/aggregated/")
  answers=$(grep -o '"message":"Hello World!"' <<<"$body" | wc -l)
  [[ $answers == 10 && $body != *'"error"'* ]] || fail "$mode: /api/aggregated/ gave $body"
  echo "$mode: /api/aggregated/ answered all 10 in ${body##*time_total=} s"
  body=$(curl -s -m 60 -w ' time_total=%{time_total}' "$base/api/aggregated/threadpool/")
  [[ $(grep -o '"message":"Hello World!"' <<<"$body" | wc -l) == 10 ]] || fail "$mode: threadpool gave $body"
  echo "$mode: /api/aggregated/threadpool/ answered all 10 in ${body##*time_total=} s"

  kill -TERM "$pid"
  wait "$pid" || fail "$mode: the server did not exit cleanly on SIGTERM"
  grep -q '"GET /hello/Ada/ HTTP/1.1" 200' "$log" || fail "$mode: no access log line for /hello/Ada/"
  echo "ok: $mode server on port $port"
done
