#!/usr/bin/env bash
# The blog over a real socket, as a user runs it: migrate a fresh database with the binary's own command,
# serve it on a free port, create and read through the sync and async views with curl, stop with SIGTERM.
set -euo pipefail
binary=$1
dir=$(mktemp -d)
log=$dir/server.log
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
export BLOG_DB=$dir/blog.sqlite3
unset DATABASE_URL

fail() { echo "FAIL: $*"; echo "--- server log:"; cat "$log" 2>/dev/null; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

out=$("$binary" migrate)
[[ $out == *"Applying blog.0001_initial... OK"* ]] || fail "migrate said: $out"
out=$("$binary" showmigrations blog)
[[ $out == *"[X] 0001_initial"* ]] || fail "showmigrations said: $out"

port=$(free_port)
"$binary" --port "$port" >"$log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s -o /dev/null "$base/posts/" && break; sleep 0.1; done

json() { curl -s -H 'Content-Type: application/json' -d "$2" "$base$1"; }
body=$(json /authors/ '{"name":"Ada"}')
[[ $body == *'"name":"Ada"'* ]] || fail "POST /authors/ gave $body"
author=$(sed -E 's/.*"id":([0-9]+).*/\1/' <<<"$body")
body=$(json /posts/ "{\"title\":\"Sync post\",\"author\":$author}")
[[ $body == *'"title":"Sync post"'* ]] || fail "POST /posts/ gave $body"
body=$(json /async/posts/ "{\"title\":\"Async post\",\"author\":$author}")
[[ $body == *'"title":"Async post"'* ]] || fail "POST /async/posts/ gave $body"
post=$(sed -E 's/^\{"id":([0-9]+).*/\1/' <<<"$body")
body=$(curl -s "$base/posts/")
[[ $body == *'"Async post"'* && $body == *'"Sync post"'* ]] || fail "GET /posts/ gave $body"
body=$(curl -s "$base/async/posts/$post/")
[[ $body == *'"name":"Ada"'* ]] || fail "GET /async/posts/$post/ gave $body"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base/posts/9999/") == 404 ]] || fail "missing post was not 404"

kill -TERM "$pid"
wait "$pid" || fail "the server did not exit cleanly on SIGTERM"
pid=
echo "ok: blog migrated and served on port $port"
