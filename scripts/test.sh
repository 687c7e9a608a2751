#!/usr/bin/env bash
# The whole test suite: typecheck, migrate the test database, run every test with tap against it, and end with
# the plain line "N passed, N failed" (tap's assertion totals) that CI reads.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export NODE_ENV=test

echo "== typecheck"
tsc --noEmit || { echo "0 passed, 1 failed"; exit 1; }
echo "== migrate $(printf '%s' "$DATABASE_URL" | sed -E 's#//[^@]*@#//***@#')"
tsx src/cli/migrate.ts || { echo "0 passed, 1 failed"; exit 1; }

echo "== tests"
log=$(mktemp)
tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
totals=$(grep -E '^# \{ total:' "$log" | tail -1)
rm -f "$log"
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$totals")
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$totals")
[ -n "$totals" ] || { echo "tap printed no totals"; echo "0 passed, 1 failed"; exit 1; }
echo "${pass:-0} passed, ${fail:-0} failed"
exit "$status"
