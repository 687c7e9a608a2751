#!/usr/bin/env bash
# The embedded local TimescaleDB (Apache edition) used by `npm start` and `npm test` when DATABASE_URL is unset.
#
#   scripts/local-db.sh provision   install PostgreSQL 15 + build TimescaleDB from Debian's source (idempotent)
#   scripts/local-db.sh start       provision if needed, create the cluster if needed, start it (idempotent)
#   scripts/local-db.sh stop        stop the cluster
#   scripts/local-db.sh status      say whether it runs
#
# Why build from source: Debian 12 has no TimescaleDB package and no Docker engine runs here; Debian 13's source
# package builds against Debian 12's PostgreSQL 15 (see README "Local database"). Debian strips the TSL code, so
# this is the Apache edition: hypertables yes, continuous aggregates/compression/policies no.
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${LOCAL_DB_PORT:-54329}
DB_USER=glucose
DB_PASSWORD=glucose-local # loopback-only development cluster; production sets DATABASE_URL
WORK=${LOCAL_DB_WORK:-/var/tmp/glucose-timescaledb-build}

log() { printf '[local-db] %s\n' "$*" >&2; }

# The cluster lives in the project's git-ignored .local/ folder, unless the postgres user cannot reach it
# (a clone under /root, mode 700): then in /var/tmp, keyed by the project path so two clones never share one.
data_root() {
  local preferred=$ROOT/.local/pg
  if runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then echo "$preferred"; else
    echo "/var/tmp/glucose-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  fi
}

timescaledb_installed() {
  [ -f "/usr/share/postgresql/$PG_MAJOR/extension/timescaledb.control" ] &&
    ls "/usr/lib/postgresql/$PG_MAJOR/lib/"timescaledb*.so >/dev/null 2>&1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

provision() {
  if [ -x "$PG_BIN/postgres" ] && timescaledb_installed; then log "PostgreSQL $PG_MAJOR + TimescaleDB already installed"; return; fi
  export DEBIAN_FRONTEND=noninteractive
  log "installing PostgreSQL $PG_MAJOR and build tools (Debian packages)"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold \
    postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR cmake build-essential dpkg-dev ca-certificates >/dev/null
  timescaledb_installed && return
  log "building TimescaleDB (Apache edition) from Debian 13's source package"
  # A private apt configuration so the system's own sources stay untouched.
  mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/src"
  cat >"$WORK/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
  local apt_opts=(-o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache")
  as_root apt-get "${apt_opts[@]}" update -qq
  rm -rf "$WORK/src" && mkdir -p "$WORK/src" && chmod 777 "$WORK/src"
  (cd "$WORK/src" && apt-get "${apt_opts[@]}" source -qq timescaledb >/dev/null 2>&1)
  local src; src=$(find "$WORK/src" -maxdepth 1 -mindepth 1 -type d -name 'timescaledb-*' | head -1)
  [ -n "$src" ] || { log "could not fetch the timescaledb source package"; exit 1; }
  cmake -S "$src" -B "$src/build" -DPG_CONFIG="$PG_BIN/pg_config" -DAPACHE_ONLY=ON -DREGRESS_CHECKS=OFF \
    -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DSEND_TELEMETRY_DEFAULT=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  make -C "$src/build" -j"$(nproc)" >/dev/null
  as_root make -C "$src/build" install >/dev/null
  timescaledb_installed || { log "TimescaleDB build finished but the extension is not installed"; exit 1; }
  log "TimescaleDB installed"
}

pg() { runuser -u postgres -- "$@"; }

create_cluster() {
  local dir=$1
  log "creating cluster in $dir (port $PORT)"
  mkdir -p "$dir" && chown postgres:postgres "$dir" && chmod 700 "$dir"
  local pwfile; pwfile=$(mktemp) && printf '%s\n' "$DB_PASSWORD" >"$pwfile" && chmod 644 "$pwfile"
  pg "$PG_BIN/initdb" -D "$dir/data" -U "$DB_USER" --pwfile="$pwfile" --auth-host=scram-sha-256 \
    --auth-local=peer -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cat >>"$dir/data/postgresql.conf" <<CONF
# glucose service: local development cluster
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
max_connections = 200
shared_buffers = 512MB
work_mem = 16MB
synchronous_commit = on
CONF
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 scram-sha-256
HBA
}

start() {
  provision
  local dir; dir=$(data_root)
  [ -f "$dir/data/PG_VERSION" ] || create_cluster "$dir"
  if pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then log "cluster already running on port $PORT"; else
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
      log "port $PORT is taken by another PostgreSQL (another clone's cluster?): stop it, or set LOCAL_DB_PORT"
      exit 1
    fi
    pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
      { log "could not start PostgreSQL; its log:"; tail -20 "$dir/server.log" >&2; exit 1; }
    log "cluster started on 127.0.0.1:$PORT"
  fi
  # LOCAL_DB_NAME lets a developer keep a database of their own (e.g. a second test database) on the same cluster.
  for db in glucose glucose_test ${LOCAL_DB_NAME:-}; do
    pg "$PG_BIN/psql" -h "$dir" -p "$PORT" -U "$DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
      pg "$PG_BIN/createdb" -h "$dir" -p "$PORT" -U "$DB_USER" "$db"
  done
}

stop() {
  local dir; dir=$(data_root)
  [ -f "$dir/data/PG_VERSION" ] || { log "no cluster"; return; }
  pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 && log "stopped" || log "not running"
}

status() {
  local dir; dir=$(data_root)
  pg "$PG_BIN/pg_ctl" -D "$dir/data" status
}

case "${1:-}" in
  provision) provision ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 provision|start|stop|status" >&2; exit 2 ;;
esac
