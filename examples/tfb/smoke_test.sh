#!/usr/bin/env bash
# tfb over a real socket: load the data into a scratch SQLite file (or TFB_DATABASE_URL's database), start the
# server on a free port, and check each test type with curl the way TechEmpower's verifier does (headers
# included); on PostgreSQL the raw-SQL variants (/raw/...) too.
set -euo pipefail
binary=$1
work=$(mktemp -d)
log=$work/server.log
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL="${TFB_DATABASE_URL:-sqlite:///$work/tfb.sqlite3}"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fail() { echo "FAIL: $*"; echo "--- server log:"; cat "$log"; exit 1; }

"$binary" setup
port=$(free_port)
"$binary" --port "$port" >"$log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s -o /dev/null "$base/plaintext" && break; sleep 0.1; done

headers=$(curl -s -D - -o /dev/null "$base/plaintext")
[[ $headers == *$'\r\nServer: '* || $headers == *$'\r\nserver: '* ]] || fail "no Server header: $headers"
[[ ${headers,,} == *$'\r\ndate: '* ]] || fail "no Date header: $headers"
[[ ${headers,,} == *'content-type: text/plain'* ]] || fail "plaintext content type: $headers"
[[ $(curl -s "$base/plaintext") == 'Hello, World!' ]] || fail "/plaintext body"
[[ $(curl -s "$base/json") == '{"message":"Hello, World!"}' ]] || fail "/json body"
body=$(curl -s "$base/db")
[[ $body =~ ^\{\"id\":[0-9]+,\"randomNumber\":[0-9]+\}$ ]] || fail "/db gave $body"
for q in 1 20 500 0 foo ""; do
  n=$(curl -s "$base/queries?queries=$q" | grep -o '"id"' | wc -l)
  case $q in 20) want=20 ;; 500) want=500 ;; *) want=1 ;; esac
  ((n == want)) || fail "/queries?queries=$q gave $n rows, want $want"
done
body=$(curl -s "$base/fortunes")
[[ $body == *'&lt;script&gt;'* && $body != *'<script>'* ]] || fail "/fortunes is not escaped"
[[ $body == *'Additional fortune added at request time.'* ]] || fail "/fortunes lacks the added row"
n=$(curl -s "$base/updates?queries=10" | grep -o '"randomNumber"' | wc -l)
((n == 10)) || fail "/updates?queries=10 gave $n rows"

if [[ $DATABASE_URL == postgres* ]]; then
  body=$(curl -s "$base/raw/db")
  [[ $body =~ ^\{\"id\":[0-9]+,\"randomNumber\":[0-9]+\}$ ]] || fail "/raw/db gave $body"
  n=$(curl -s "$base/raw/queries?queries=20" | grep -o '"id"' | wc -l)
  ((n == 20)) || fail "/raw/queries?queries=20 gave $n rows"
  body=$(curl -s "$base/raw/fortunes")
  [[ $body == *'&lt;script&gt;'* && $body == *'Additional fortune'* ]] || fail "/raw/fortunes gave $body"
  n=$(curl -s "$base/raw/updates?queries=10" | grep -o '"randomNumber"' | wc -l)
  ((n == 10)) || fail "/raw/updates?queries=10 gave $n rows"
fi

kill -TERM "$pid"
wait "$pid" || fail "the server did not exit cleanly on SIGTERM"
echo "ok: tfb on port $port"
