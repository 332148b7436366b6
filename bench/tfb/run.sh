#!/usr/bin/env bash
# TechEmpower's six tests against duet's examples/tfb and TechEmpower's Django app (Debian's python3-django
# under gunicorn), on the same data (SQLite, or PostgreSQL with DB=postgresql), in the same run. Prints
# `name: value unit` lines: req/s, p99 latency, errors (non-2xx + socket errors), duet's CPU per request (and
# the PostgreSQL server's), and the ratio to Django.
#   [DB=postgresql] [ROWS="db fortunes"] [WARMUP=2] [REPEAT=1] [AUTOGROUP=keep] bench/tfb/run.sh <path to tfb binary> [duration seconds]
# On PostgreSQL duet's raw-SQL variants (/raw/...) are measured too (Django's column shows its ORM views).
# Peers: DUET_WITH_PEERS=1 scripts/install-deps.sh (wrk, python3-django, gunicorn).
set -euo pipefail
TFB=${1:?usage: run.sh <tfb binary> [seconds]}
DURATION=${2:-5}
WORKERS=${WORKERS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# DB=postgresql: both apps on one PostgreSQL 15 cluster started here (scripts/pg-cluster.sh); default SQLite.
DB=${DB:-sqlite}
# ROWS="db queries_20 ...": only these rows (names as printed; nginx_plaintext = the scale row); default all.
ROWS=${ROWS:-}
# WARMUP seconds of the same load before each measured run (TechEmpower warms up each test before measuring
# it): the first row otherwise also measures the start (pools connecting, statements being prepared, caches
# filling), which shows in its p99. WARMUP=0 measures cold.
WARMUP=${WARMUP:-2}
# REPEAT=n: duet's rows n times (medians printed; the nginx-scaled rows each next to an nginx plaintext run).
REPEAT=${REPEAT:-1}
DIR=$(mktemp -d /tmp/duet-bench-tfb.XXXXXX)
chmod 755 "$DIR"  # the PostgreSQL server may run as another user (as root: postgres)
PIDS=()
STOP_CLUSTER=0
# PostgreSQL puts each backend in a session of its own, and Linux's autogroup scheduler (on by default) makes
# each session a scheduling group: with the database on the same cores as the application and wrk, backends
# were left runnable but unrun for up to 3 s (docs/postgresql.md). kernel.sched_autogroup_enabled=0 is the
# usual tuning of a PostgreSQL server; as root, a DB=postgresql run sets it for its duration and restores it
# after. AUTOGROUP=keep leaves the setting alone.
AUTOGROUP_FILE=/proc/sys/kernel/sched_autogroup_enabled
AUTOGROUP_RESTORE=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((STOP_CLUSTER)); then "$REPO/scripts/pg-cluster.sh" stop "$DIR/pg" >/dev/null 2>&1 || true; fi
  if [[ -n $AUTOGROUP_RESTORE ]]; then echo "$AUTOGROUP_RESTORE" >"$AUTOGROUP_FILE" || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }

# CPU time (user + system, in clock ticks, all threads) of the processes given.
ticks() {
  local t=0 p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# The PostgreSQL server's processes: the postmaster and its children (the backends among them).
pg_pids() {
  [[ -f $DIR/pg/datadir ]] || return 0
  local master
  master=$(head -1 "$(cat "$DIR/pg/datadir")/postmaster.pid" 2>/dev/null) || return 0
  echo "$master $(pgrep -P "$master" | tr '\n' ' ')"
}

# Prints "<req/s> <p99 ms> <errors> <CPU us per request of process $CPU_PID> <of PostgreSQL>" (the CPU
# figures "-" when not measured). On a shared machine CPU per request moves far less than req/s.
run_wrk() {
  local url=$1 conns=$2 out
  if ((WARMUP > 0)); then wrk -t2 -c"$conns" -d"${WARMUP}s" "$url" >/dev/null; fi
  local pg app0=0 pg0=0
  pg=$(pg_pids)
  if [[ -n ${CPU_PID:-} ]]; then app0=$(ticks "$CPU_PID") pg0=$(ticks $pg); fi
  out=$(wrk -t2 -c"$conns" -d"${DURATION}s" --latency "$url")
  local rps p99 errors n app_cpu=- pg_cpu=-
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); print v/1000} else if (v ~ /ms$/) {sub("ms","",v); print v} else if (v ~ /s$/) {sub("s","",v); print v*1000}}')
  errors=$(echo "$out" | awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}')
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  if [[ -n ${CPU_PID:-} && ${n:-0} -gt 0 ]]; then
    local hz
    hz=$(getconf CLK_TCK)
    app_cpu=$(awk -v t="$(($(ticks "$CPU_PID") - app0))" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    [[ -n $pg ]] && pg_cpu=$(awk -v t="$(($(ticks $pg) - pg0))" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
  fi
  echo "$rps $p99 $errors $app_cpu $pg_cpu"
}

if [[ $DB == postgresql && ${AUTOGROUP:-} != keep && -r $AUTOGROUP_FILE && $(cat "$AUTOGROUP_FILE") != 0 ]]; then
  if [[ -w $AUTOGROUP_FILE ]]; then
    AUTOGROUP_RESTORE=$(cat "$AUTOGROUP_FILE")
    echo 0 >"$AUTOGROUP_FILE"
  else
    echo "# warning: kernel.sched_autogroup_enabled is on and only root can switch it off: PostgreSQL's backends may stall (see docs/postgresql.md)" >&2
  fi
fi
if [[ $DB == postgresql ]]; then
  # Its own throw-away cluster, loaded by `tfb setup`; Django reads the same one through psycopg2.
  "$REPO/scripts/pg-cluster.sh" start "$DIR/pg" >/dev/null
  STOP_CLUSTER=1
  # shellcheck disable=SC1091
  source "$DIR/pg/env"
  export PGHOST PGPORT PGUSER PGDATABASE
  export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE"
  DJANGO_DATABASE=postgresql
else
  export DATABASE_URL="sqlite:///$DIR/tfb.sqlite3"
  DJANGO_DATABASE="$DIR/tfb.sqlite3"
fi
"$TFB" setup >/dev/null
DUET_PORT=$(free_port)
"$TFB" --port "$DUET_PORT" --workers "$WORKERS" --no-access-log 2>"$DIR/duet.stderr" &
PIDS+=($!)
DUET_PID=$!
DJANGO_PORT=$(free_port)
DATABASE="$DJANGO_DATABASE" gunicorn --chdir "$HERE" --workers "$WORKERS" --timeout 120 --bind "127.0.0.1:$DJANGO_PORT" \
  --log-level warning django_tfb:application 2>"$DIR/django.stderr" &
PIDS+=($!)
wait_up "http://127.0.0.1:$DUET_PORT/plaintext"
wait_up "http://127.0.0.1:$DJANGO_PORT/plaintext"

printf '# %s s per row after %s s of warm-up, %s workers each; duet %s vs Django %s under gunicorn (%s); load average %s\n' \
  "$DURATION" "$WARMUP" "$WORKERS" "$(basename "$TFB")" "$(/usr/bin/python3 -c 'import django; print(django.get_version())')" \
  "$DB" "$(cut -d' ' -f1-3 /proc/loadavg)"
# Which machine: the same kind of machine has come with different processors from one session to the next,
# and the database rows moved more with it than nginx's plaintext did (docs/postgresql.md).
echo "# cpu: $(awk -F': ' '/^model name/ {n = $2} /^cpu family/ {f = $2} /^model\t/ {m = $2} /^$/ {exit} END {print n " (family " f ", model " m ")"}' /proc/cpuinfo), $(nproc) cores"
if [[ -r $AUTOGROUP_FILE ]]; then
  echo "# kernel.sched_autogroup_enabled: $(cat "$AUTOGROUP_FILE")${AUTOGROUP_RESTORE:+ for this run (was $AUTOGROUP_RESTORE; restored at the end)}"
fi
rows=("plaintext 256 /plaintext" "json 256 /json" "db 256 /db" "queries_20 20 /queries?queries=20"
  "queries_20_256 256 /queries?queries=20" "fortunes 256 /fortunes" "updates_20 20 /updates?queries=20"
  "updates_20_256 256 /updates?queries=20")
if [[ $DB == postgresql ]]; then
  rows+=("raw_db 256 /raw/db /db" "raw_queries_20_256 256 /raw/queries?queries=20 /queries?queries=20"
    "raw_fortunes 256 /raw/fortunes /fortunes" "raw_updates_20_256 256 /raw/updates?queries=20 /updates?queries=20")
fi
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }

# The machine's scale. Issue 7's reference figures for the leading C++ framework (48k req/s on /db, 6.6k on
# queries=20) are from a 2-core machine where nginx serves 100-115k plaintext req/s with wrk on the same
# cores. nginx-light answering /plaintext (bench/http/nginx.conf.in, the same number of workers) at 256
# connections, in this run, gives duet's figures as a share of nginx's, comparable with the reference's
# 48k / 107.5k = 0.45 and 6.6k / 107.5k = 0.061.
NGINX_PORT=
if [[ -x /usr/sbin/nginx && -z $ROWS ]] || [[ " $ROWS " == *" nginx_plaintext "* ]]; then
  NGINX_PORT=$(free_port)
  mkdir -p "$DIR/nginx"
  sed -e "s|@DIR@|$DIR/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|^worker_processes 1;|worker_processes $WORKERS;|" \
    "$REPO/bench/http/nginx.conf.in" >"$DIR/nginx.conf"
  /usr/sbin/nginx -c "$DIR/nginx.conf" -p "$DIR/nginx" 2>"$DIR/nginx.stderr" &
  PIDS+=($!)
  wait_up "http://127.0.0.1:$NGINX_PORT/plaintext"
fi
scaled() { [[ -n $NGINX_PORT && " db queries_20 queries_20_256 " == *" $1 "* ]]; }
reference() { [[ $1 == db ]] && echo 0.45 || echo 0.061; }

# The CPU time the hypervisor gave to other guests (/proc/stat's steal) over the run, as a share of all: a
# host busy with its other guests shows here, where it only slows everything else.
cpu_times() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t}' /proc/stat; }
read -r STEAL0 TOTAL0 < <(cpu_times)

declare -A duet_rps
declare -A per_nginx
for row in "${rows[@]}"; do
  read -r name conns url django_url <<<"$row"
  django_url=${django_url:-$url}
  if [[ -n $ROWS && " $ROWS " != *" $name "* ]]; then continue; fi
  rps_all=() p99_all=() err_all=() ratio_all=() cpu_all=() pg_cpu_all=()
  for ((i = 0; i < REPEAT; i++)); do
    read -r d_rps d_p99 d_err d_cpu d_pg_cpu < <(CPU_PID=$DUET_PID run_wrk "http://127.0.0.1:$DUET_PORT$url" "$conns")
    rps_all+=("$d_rps") p99_all+=("$d_p99") err_all+=("$d_err") cpu_all+=("$d_cpu") pg_cpu_all+=("$d_pg_cpu")
    if scaled "$name"; then
      read -r n_rps _ _ _ _ < <(run_wrk "http://127.0.0.1:$NGINX_PORT/plaintext" 256)
      ratio_all+=("$(awk -v a="$d_rps" -v b="$n_rps" 'BEGIN { printf "%.3f", a/b }')")
      ((REPEAT > 1)) && echo "# $name run $((i + 1)): duet $d_rps req/s (CPU $d_cpu us/request, PostgreSQL $d_pg_cpu), nginx plaintext $n_rps req/s: ${ratio_all[i]}"
    elif ((REPEAT > 1)); then
      echo "# $name run $((i + 1)): duet $d_rps req/s (CPU $d_cpu us/request, PostgreSQL $d_pg_cpu)"
    fi
  done
  d_rps=$(median "${rps_all[@]}") d_p99=$(median "${p99_all[@]}") d_err=$(printf '%s\n' "${err_all[@]}" | awk '{n += $1} END {print n + 0}')
  if ((${#ratio_all[@]})); then
    per_nginx[$name]="$(median "${ratio_all[@]}")"
    ((REPEAT > 1)) && per_nginx[$name]+=" (range $(range "${ratio_all[@]}"))"
  fi
  read -r j_rps j_p99 j_err _ _ < <(run_wrk "http://127.0.0.1:$DJANGO_PORT$django_url" "$conns")
  echo "$name.duet: $d_rps req/s"
  echo "$name.duet_p99: $d_p99 ms"
  echo "$name.duet_errors: $d_err"
  # CPU per request: duet's process, and the PostgreSQL server's (both applications share its cluster, but
  # only one is loaded at a time).
  echo "$name.duet_cpu_per_request: $(median "${cpu_all[@]}") us"
  [[ $DB == postgresql ]] && echo "$name.duet_postgresql_cpu_per_request: $(median "${pg_cpu_all[@]}") us"
  echo "$name.django: $j_rps req/s"
  echo "$name.django_p99: $j_p99 ms"
  echo "$name.django_errors: $j_err"
  echo "$name.ratio: $(awk -v a="$d_rps" -v b="$j_rps" 'BEGIN { if (b > 0) printf "%.1f", a/b; else print "inf" }') x"
  duet_rps[$name]=$d_rps
done

# nginx's own row: its plaintext once more, after the others; the scale of each row is the median of the
# ratios to the nginx run next to each of its runs (above).
if [[ -n $NGINX_PORT ]]; then
  read -r n_rps n_p99 n_err _ _ < <(run_wrk "http://127.0.0.1:$NGINX_PORT/plaintext" 256)
  echo "nginx_plaintext: $n_rps req/s"
  for name in db queries_20 queries_20_256; do
    [[ -n ${per_nginx[$name]:-} ]] || continue
    echo "$name.duet_per_nginx_plaintext: ${per_nginx[$name]} (reference framework: $(reference "$name"))"
  done
fi
read -r steal1 total1 < <(cpu_times)
echo "# host steal time during the run: $(awk -v s=$((steal1 - STEAL0)) -v t=$((total1 - TOTAL0)) 'BEGIN { printf "%.1f", (t > 0) ? 100 * s / t : 0 }')% of CPU time"
