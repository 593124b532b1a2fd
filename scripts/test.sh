#!/usr/bin/env bash
# The whole test suite: sets up, starts a throwaway PostgreSQL, runs every test on SQLite and on PostgreSQL side by
# side (each with pytest-xdist workers, every worker on its own database), then prints each run's output in turn.
#   scripts/test.sh                 everything
#   scripts/test.sh tests/routing   a part, on both databases (extra arguments go to pytest)
# TEST_WORKERS (default 2) is the number of xdist workers per database; TEST_WORKERS=0 runs each database serially.
# SKIP_SETUP=1 skips scripts/setup.sh (already set up); PYTHON picks the interpreter (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh
PYTHON=${PYTHON:-.venv/bin/python}
WORKERS=${TEST_WORKERS:-2}

logs=$(mktemp -d "${TMPDIR:-/tmp}/encompass-tests.XXXXXX")
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  TEST_POSTGRES_URL=$(scripts/postgres.sh start)
  trap 'scripts/postgres.sh stop; rm -rf "$logs"' EXIT
else
  trap 'rm -rf "$logs"' EXIT
fi
export TEST_POSTGRES_URL

parallel=()
[ "$WORKERS" -gt 0 ] && parallel=(-n "$WORKERS" --dist loadgroup)

run() {  # run <database>: one pytest run, its output in $logs/<database>.log, its exit status in $logs/<database>.status
  local database=$1 status=0
  shift
  TEST_DATABASE=$database "$PYTHON" -m pytest "${parallel[@]}" --basetemp="$logs/tmp-$database" "$@" \
    >"$logs/$database.log" 2>&1 || status=$?
  echo "$status" >"$logs/$database.status"
}

echo "== Running the test suite on SQLite and on PostgreSQL side by side (output follows when both finish)"
started=$SECONDS
run sqlite "$@" &
sqlite_pid=$!
run postgresql "$@" &
postgresql_pid=$!
wait "$sqlite_pid" "$postgresql_pid" || true

status=0
summary=()
for database in sqlite postgresql; do
  label=$([ "$database" = sqlite ] && echo SQLite || echo PostgreSQL)
  echo
  echo "== Test suite on $label"
  cat "$logs/$database.log"
  result=$(cat "$logs/$database.status" 2>/dev/null || echo 1)
  if [ "$result" = 0 ]; then summary+=("$label: passed"); else summary+=("$label: FAILED (pytest exit $result)"); status=1; fi
done
echo
echo "== $(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g') ($((SECONDS - started)) s)"
exit $status
