#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests and benchmarks (Debian's postgresql-15); no server is assumed.
#
# Usage: scripts/pg-cluster.sh start <dir>    initdb (first time) and start; prints the connection parameters
#        scripts/pg-cluster.sh stop <dir>     stops it (idempotent: a stopped or missing cluster is fine)
#        scripts/pg-cluster.sh restart <dir>  stops and starts it on the same port (tests of lost connections)
#        scripts/pg-cluster.sh env <dir>      prints the parameters as `export PG...=...` lines (for eval)
#
# The cluster listens on 127.0.0.1 on a free port, keeps its socket in <dir>/socket, trusts local
# connections as user `duet` (database `duet`), and runs with fsync off: it is for tests, never for data.
# <dir>/env holds PGHOST, PGPORT, PGUSER, PGDATABASE (one KEY=VALUE a line), read by the CTest fixtures.
# As root (CI), the server runs as the `postgres` user (or `nobody`), since PostgreSQL refuses to run as root.
set -euo pipefail

die() {
  echo "pg-cluster: $*" >&2
  exit 1
}

(($# == 2)) || die "usage: $0 start|stop|restart|env <dir>"
cmd=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

bindir=
for candidate in "${PG_BINDIR:-}" /usr/lib/postgresql/15/bin; do
  if [[ -n $candidate && -x $candidate/initdb && -x $candidate/pg_ctl ]]; then
    bindir=$candidate
    break
  fi
done

# The server may not run as root: pick an unprivileged account and run every server command as it.
run_as=()
owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  if id postgres >/dev/null 2>&1; then
    owner=postgres
  else
    owner=nobody
  fi
  run_as=(runuser -u "$owner" --)
fi

# PostgreSQL checks that its data directory is private to its owner, and the owner must be able to reach it;
# a build tree under a directory the owner cannot traverse (e.g. root's home) gets its data under /tmp instead.
data_dir() {
  if [[ -f $dir/datadir ]]; then
    cat "$dir/datadir"
    return
  fi
  local d=$dir/data
  if [[ -n ${run_as[*]} ]] && ! "${run_as[@]}" test -x "$dir"; then
    d=$(mktemp -d /tmp/duet-pg.XXXXXX)/data
    chown "$owner" "$(dirname "$d")"
  fi
  echo "$d" >"$dir/datadir"
  echo "$d"
}

free_port() {
  # Bind port 0 and report what the kernel chose (a tiny race with other processes is acceptable here).
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1; then
      "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
      return
    fi
  done
  local p
  for p in $(seq 25432 25532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

print_env() {
  [[ -f $dir/env ]] || die "no cluster in $dir (run: $0 start $dir)"
  sed 's/^/export /' "$dir/env"
}

is_running() {
  local data
  data=$(data_dir)
  [[ -f $data/postmaster.pid ]] && "${run_as[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
  [[ -n $bindir ]] || die "PostgreSQL 15 server binaries not found (install Debian's postgresql-15, or set PG_BINDIR)"
  local data port
  data=$(data_dir)
  if is_running; then
    print_env
    return
  fi
  mkdir -p "$dir/socket"
  [[ -n ${run_as[*]} ]] && chown "$owner" "$dir/socket"
  if [[ ! -f $data/PG_VERSION ]]; then
    mkdir -p "$data"
    [[ -n ${run_as[*]} ]] && chown "$owner" "$data"
    chmod 700 "$data"
    "${run_as[@]}" "$bindir/initdb" -D "$data" -U duet --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$dir/initdb.log" 2>&1 || die "initdb failed, see $dir/initdb.log"
  fi
  port=$(grep -s '^PGPORT=' "$dir/env" | cut -d= -f2 || true)
  [[ -n $port ]] || port=$(free_port)
  local log=$dir/server.log
  [[ -n ${run_as[*]} ]] && { touch "$log"; chown "$owner" "$log"; }
  "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
    -o "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB" start >/dev/null ||
    die "the server did not start, see $log"
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U duet -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'duet'" | grep -q 1; then
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U duet -d postgres -qc "CREATE DATABASE duet" >/dev/null
  fi
  printf 'PGHOST=127.0.0.1\nPGPORT=%s\nPGUSER=duet\nPGDATABASE=duet\n' "$port" >"$dir/env"
  print_env
}

stop() {
  [[ -n $bindir ]] || return 0
  [[ -f $dir/datadir ]] || return 0
  if is_running; then
    "${run_as[@]}" "$bindir/pg_ctl" -D "$(data_dir)" -m fast -w stop >/dev/null
  fi
}

case $cmd in
  start) start ;;
  stop) stop ;;
  restart)
    stop
    start
    ;;
  env) print_env ;;
  *) die "unknown command '$cmd' (start, stop, restart, env)" ;;
esac
