#!/usr/bin/env bash
# The whole test suite: sets up, starts a throwaway PostgreSQL, runs every test on SQLite and again on PostgreSQL.
#   scripts/test.sh                 everything
#   scripts/test.sh tests/routing   a part, on both databases (extra arguments go to pytest)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  TEST_POSTGRES_URL=$(scripts/postgres.sh start)
  trap 'scripts/postgres.sh stop' EXIT
fi
export TEST_POSTGRES_URL

status=0
echo "== Test suite on SQLite"
TEST_DATABASE=sqlite .venv/bin/python -m pytest "$@" || status=$?
echo "== Test suite on PostgreSQL"
TEST_DATABASE=postgresql .venv/bin/python -m pytest "$@" || status=$?
exit $status
