#!/usr/bin/env bash
# Installs the Debian 12 packages duet builds, tests and benchmarks with (DESIGN.md §2).
# Idempotent: packages already installed are skipped, and `apt-get update` runs at most once.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config clang-format
  # Boost: Asio/Beast are header-only (libboost1.81-dev); JSON and URL have compiled parts
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev libssl-dev libfmt-dev zlib1g-dev
  # Unicode case mapping in the template filters (upper, lower, title)
  libicu-dev
  # tcmalloc, the allocator linked into duet's programs (cmake/DuetDependencies.cmake: DUET_MALLOC)
  libgoogle-perftools-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev curl python3 openssl
  # PostgreSQL server binaries: tests start throw-away clusters with scripts/pg-cluster.sh
  postgresql-15
  # fuzzing and the thread sanitizer runtime (clang)
  clang libclang-rt-14-dev
)
if [[ "${DUET_WITH_PEERS:-0}" == 1 ]]; then
  # Peers measured beside duet in bench/ (never needed by the test suite).
  packages+=(wrk nginx-light python3-django python3-asgiref gunicorn python3-psycopg2)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "duet: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  if [[ " ${missing[*]} " == *" postgresql-15 "* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
    # Only the binaries are wanted: no system-wide "main" cluster created and started on port 5432.
    "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | "${sudo_cmd[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  # confold: keep the createcluster.conf written above when postgresql-common brings its own.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
else
  echo "duet: all build packages present"
fi
