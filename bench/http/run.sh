#!/usr/bin/env bash
# HTTP benchmark: duet's hello example against nginx (Debian's nginx-light) with wrk, in the same run.
# Prints `name: value unit` lines: req/s, p99 latency, server CPU µs per request, ratio to nginx, and the
# RSS cost of 10,000 idle keep-alive connections.
#   [REPEAT=n] [WARMUP=s] bench/http/run.sh <path to hello binary> [duration seconds]
# REPEAT=n (default 1) measures every row n times, nginx and duet taking turns (the first of a pair
# alternates), and prints the median of each figure and the median of the n duet/nginx ratios, with their
# range: on a shared machine whose speed drifts within minutes, a pair measured back to back is comparable,
# a single pair is a sample. Use an even n: on this machine the second run of a pair tends to come out
# slower (2026-11-27, plaintext c64, duet/nginx: 0.82-0.86 and 0.96-1.15 with nginx first, 1.02-1.13 and
# 1.08-1.26 with duet first, in two runs), so each server should go first equally often. WARMUP seconds
# (default 1) of the same load precede each measured run.
set -euo pipefail
HELLO=${1:?usage: run.sh <hello binary> [seconds]}
DURATION=${2:-5}
WORKERS=${WORKERS:-1}
IDLE=${IDLE:-10000}
REPEAT=${REPEAT:-1}
WARMUP=${WARMUP:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/duet-bench-http.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
sys_ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $15}' "/proc/$p/stat"))); done; echo "$t"; }
tick=$(getconf CLK_TCK)

# wrk's "1.23ms" / "850.00us" / "1.02s" as microseconds.
AWK_US='function to_us(v) { if (v ~ /us$/) { sub("us", "", v); return v } if (v ~ /ms$/) { sub("ms", "", v); return v * 1000 } if (v ~ /s$/) { sub("s", "", v); return v * 1000000 } return v }'

# Runs wrk; prints "<req/s> <p99 µs> <requests>" (pipelined rows: the maximum batch latency, see below).
run_wrk() {
  local url=$1 conns=$2 depth=$3 threads=1
  local out
  if ((WARMUP > 0)); then
    if [ "$depth" -gt 1 ]; then
      wrk -t$threads -c"$conns" -d"${WARMUP}s" -s "$HERE/pipeline.lua" "$url" -- "$depth" >/dev/null
    else
      wrk -t$threads -c"$conns" -d"${WARMUP}s" "$url" >/dev/null
    fi
  fi
  if [ "$depth" -gt 1 ]; then
    out=$(wrk -t$threads -c"$conns" -d"${DURATION}s" --latency -s "$HERE/pipeline.lua" "$url" -- "$depth")
  else
    out=$(wrk -t$threads -c"$conns" -d"${DURATION}s" --latency "$url")
  fi
  local rps p99 reqs
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  p99=$(echo "$out" | awk '$1=="99%" {print to_us($2)} '"$AWK_US")
  if [ "$depth" -gt 1 ]; then
    # wrk 4.1 records one latency per pipelined batch but corrects for coordinated omission with an interval
    # computed per request (16x too short); the made-up samples it adds lie below the recorded minimum, where
    # its percentile walk does not look, so its 99th percentile is meaningless and often prints as 0
    # (wg/wrk#236). The maximum is left alone by the correction and bounds every recorded batch latency:
    # pipelined rows report it as their p99 (an upper bound).
    p99=$(echo "$out" | awk '$1=="Latency" {print to_us($4)} '"$AWK_US")
  fi
  echo "$rps $p99 $reqs"
}

measure() {  # name url conns depth pids...
  local name=$1 url=$2 conns=$3 depth=$4; shift 4
  local before after sys_before sys_after
  before=$(cpu_ticks "$@")
  sys_before=$(sys_ticks "$@")
  read -r rps p99 reqs < <(run_wrk "$url" "$conns" "$depth")
  after=$(cpu_ticks "$@")
  sys_after=$(sys_ticks "$@")
  local cpu_us sys_us
  cpu_us=$(awk -v a="$after" -v b="$before" -v t="$tick" -v n="$reqs" 'BEGIN { printf "%.2f", (a-b)/t*1e6/n }')
  sys_us=$(awk -v a="$sys_after" -v b="$sys_before" -v t="$tick" -v n="$reqs" 'BEGIN { printf "%.2f", (a-b)/t*1e6/n }')
  echo "$name $rps $p99 $cpu_us $sys_us"
}

NGINX_PORT=$(free_port)
sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$NGINX_PORT|g" "$HERE/nginx.conf.in" > "$DIR/nginx.conf"
/usr/sbin/nginx -c "$DIR/nginx.conf" -p "$DIR" 2>"$DIR/nginx.stderr" &
PIDS+=($!)
DUET_PORT=$(free_port)
"$HELLO" --port "$DUET_PORT" --workers "$WORKERS" --no-access-log 2>"$DIR/duet.stderr" &
DUET_PID=$!
PIDS+=($DUET_PID)
sleep 1
NGINX_PIDS=$(pgrep -P "${PIDS[0]}" | tr '\n' ' ')
NGINX_PIDS="${PIDS[0]} $NGINX_PIDS"

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }

rows=("plaintext_c64 /plaintext 64 1" "plaintext_c256 /plaintext 256 1" "json_c64 /json 64 1" "json_c256 /json 256 1"
      "plaintext_pipelined16_c256 /plaintext 256 16")
for row in "${rows[@]}"; do
  read -r name path conns depth <<<"$row"
  d_rps=() n_rps=() d_p99=() n_p99=() d_cpu=() n_cpu=() d_sys=() n_sys=() rps_ratio=() cpu_ratio=()
  for ((i = 0; i < REPEAT; i++)); do
    order="nginx duet"
    ((i % 2)) && order="duet nginx"
    for who in $order; do
      if [[ $who == nginx ]]; then
        # shellcheck disable=SC2086
        read -r _ rps p99 cpu sys < <(measure "$name" "http://127.0.0.1:$NGINX_PORT$path" "$conns" "$depth" $NGINX_PIDS)
        n_rps+=("$rps") n_p99+=("$p99") n_cpu+=("$cpu") n_sys+=("$sys")
      else
        read -r _ rps p99 cpu sys < <(measure "$name" "http://127.0.0.1:$DUET_PORT$path" "$conns" "$depth" "$DUET_PID")
        d_rps+=("$rps") d_p99+=("$p99") d_cpu+=("$cpu") d_sys+=("$sys")
      fi
    done
    rps_ratio+=("$(awk -v a="${d_rps[i]}" -v b="${n_rps[i]}" 'BEGIN { printf "%.3f", a/b }')")
    cpu_ratio+=("$(awk -v a="${d_cpu[i]}" -v b="${n_cpu[i]}" 'BEGIN { printf "%.3f", a/b }')")
    if ((REPEAT > 1)); then
      echo "# $name pair $((i + 1)): duet ${d_rps[i]} req/s ${d_cpu[i]} us/req, nginx ${n_rps[i]} req/s ${n_cpu[i]} us/req: ratio ${rps_ratio[i]}, cpu ratio ${cpu_ratio[i]}"
    fi
  done
  echo "http_${name}_duet: $(median "${d_rps[@]}") req/s"
  echo "http_${name}_nginx: $(median "${n_rps[@]}") req/s"
  echo "http_${name}_ratio_to_nginx: $(median "${rps_ratio[@]}") x"
  echo "http_${name}_duet_p99: $(median "${d_p99[@]}") us"
  echo "http_${name}_nginx_p99: $(median "${n_p99[@]}") us"
  echo "http_${name}_duet_cpu_per_request: $(median "${d_cpu[@]}") us"
  echo "http_${name}_nginx_cpu_per_request: $(median "${n_cpu[@]}") us"
  # The kernel's share (sys time): what the system calls cost, the rest is user space.
  echo "http_${name}_duet_sys_per_request: $(median "${d_sys[@]}") us"
  echo "http_${name}_nginx_sys_per_request: $(median "${n_sys[@]}") us"
  echo "http_${name}_cpu_ratio_to_nginx: $(median "${cpu_ratio[@]}") x"
  if ((REPEAT > 1)); then
    echo "http_${name}_ratio_to_nginx_range: $(range "${rps_ratio[@]}") x"
    echo "http_${name}_cpu_ratio_to_nginx_range: $(range "${cpu_ratio[@]}") x"
  fi
done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_cost() {  # pid port -> bytes per idle connection
  local before after
  before=$(rss_kb "$1")
  exec {fd}> >(/usr/bin/python3 "$HERE/idle_connections.py" 127.0.0.1 "$2" "$IDLE" > "$DIR/idle.out")
  for _ in $(seq 1 300); do grep -q ready "$DIR/idle.out" 2>/dev/null && break; sleep 0.2; done
  after=$(rss_kb "$1")
  exec {fd}>&-
  sleep 1
  awk -v a="$after" -v b="$before" -v n="$IDLE" 'BEGIN { printf "%.0f", (a-b)*1024/n }'
}
echo "http_idle_${IDLE}_duet_rss_per_connection: $(idle_cost "$DUET_PID" "$DUET_PORT") bytes"
W=$(pgrep -P "${PIDS[0]}" | head -1)
echo "http_idle_${IDLE}_nginx_rss_per_connection: $(idle_cost "$W" "$NGINX_PORT") bytes"
