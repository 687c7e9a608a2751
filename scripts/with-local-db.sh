#!/usr/bin/env bash
# Runs a command against DATABASE_URL or, when it is unset, against the embedded local TimescaleDB, which it
# provisions and starts first (scripts/local-db.sh). LOCAL_DB_NAME picks the local database (tests use their own).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${DATABASE_URL:-}" ]; then
  bash "$root/scripts/local-db.sh" start
  # Same credentials as LOCAL_DATABASE_URL in src/config.ts: a loopback-only development cluster.
  export DATABASE_URL="postgres://glucose:glucose-local@127.0.0.1:${LOCAL_DB_PORT:-54329}/${LOCAL_DB_NAME:-glucose}"
fi
exec "$@"
