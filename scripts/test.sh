#!/usr/bin/env bash
# The whole test suite: sets up, starts a throwaway PostgreSQL, then runs three pytest passes, each with pytest-xdist
# workers and every worker on its own database:
#   SQLite       every test but the browser tests;
#   PostgreSQL   every test whose result can depend on the database (--database-tests-only): the tests that never
#                open a database already ran in the SQLite pass;
#   browser      tests/browser (real Chromium) on SQLite, a file per worker (--dist loadfile), so the long
#                accessibility scan does not hold up the other browser files.
# On a machine with fewer than 6 cores the passes run one after another, each printing as it goes: side by side,
# their 6 workers, servers and browsers share 2 cores and finish no sooner (682 s in turn, 706 s side by side, same
# code and machine), and nothing is printed until all have finished. With 6 cores or more they run side by side and
# each pass's output follows when all have finished.
#   scripts/test.sh                 everything
#   scripts/test.sh tests/routing   a part, on both databases (extra arguments go to pytest; the browser pass runs
#                                   only when the arguments name tests/browser, or name nothing)
# TEST_WORKERS (default 2) is the number of xdist workers per pass; TEST_WORKERS=0 runs each pass serially.
# TEST_SIDE_BY_SIDE=1 or 0 overrides the choice made from the number of cores.
# SKIP_SETUP=1 skips scripts/setup.sh (already set up); PYTHON picks the interpreter (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh
PYTHON=${PYTHON:-.venv/bin/python}
WORKERS=${TEST_WORKERS:-2}
# Python may be told not to write bytecode (this machine's environment says so). Then each of the suite's Python
# processes, its pytest workers and the servers and commands tests start, compiles the service again, and pytest
# rewrites the asserts of every test module again: collection took 10.5 s a process without the cached files,
# 7.1 s with them. The files go to __pycache__ (git ignores it).
unset PYTHONDONTWRITEBYTECODE
SIDE_BY_SIDE=${TEST_SIDE_BY_SIDE:-$([ "$(nproc)" -ge 6 ] && echo 1 || echo 0)}

logs=$(mktemp -d "${TMPDIR:-/tmp}/encompass-tests.XXXXXX")
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  TEST_POSTGRES_URL=$(scripts/postgres.sh start)
  trap 'scripts/postgres.sh stop; rm -rf "$logs"' EXIT
else
  trap 'rm -rf "$logs"' EXIT
fi
export TEST_POSTGRES_URL

grouped=() by_file=()
# --dist loadscope keeps each module's tests on one worker, so a module's server or fixture is built once. (Marking
# tests with xdist_group for --dist loadgroup does nothing since pytest 9: xdist 3.8 renames item._nodeid, which
# pytest no longer reads, so those groups were split and a 3-process PostgreSQL server started on both workers.)
[ "$WORKERS" -gt 0 ] && grouped=(-n "$WORKERS" --dist loadscope) && by_file=(-n "$WORKERS" --dist loadfile)

label_of() {
  case $1 in sqlite) echo SQLite ;; postgresql) echo PostgreSQL ;; *) echo "the browser tests (SQLite)" ;; esac
}

run() {  # run <pass> <database> <pytest arguments...>: output in $logs/<pass>.log, exit status in $logs/<pass>.status
  local pass=$1 database=$2 status=0 begun=$SECONDS
  shift 2
  if [ "$SIDE_BY_SIDE" = 1 ]; then
    TEST_DATABASE=$database "$PYTHON" -m pytest --basetemp="$logs/tmp-$pass" "$@" >"$logs/$pass.log" 2>&1 || status=$?
  else
    echo
    echo "== Test suite: $(label_of "$pass")"
    TEST_DATABASE=$database "$PYTHON" -m pytest --basetemp="$logs/tmp-$pass" "$@" || status=$?
    echo "== $(label_of "$pass"): pytest exit $status after $((SECONDS - begun)) s"
  fi
  echo "$status" >"$logs/$pass.status"
}

start() {  # start <pass> <database> <pytest arguments...>: in the background when side by side, else now
  if [ "$SIDE_BY_SIDE" = 1 ]; then
    run "$@" &
    pids+=($!)
  else
    run "$@"
  fi
  passes+=("$1")
}

# Options go to every pass; paths under tests/browser to the browser pass, other paths to the database passes.
options=() browser_paths=() other_paths=()
for argument in "$@"; do
  case $argument in
    -*) options+=("$argument") ;;
    tests/browser*) browser_paths+=("$argument") ;;
    *) other_paths+=("$argument") ;;
  esac
done
[ $(( ${#browser_paths[@]} + ${#other_paths[@]} )) -gt 0 ] || { browser_paths=(tests/browser); other_paths=(tests); }

if [ "$SIDE_BY_SIDE" = 1 ]; then
  echo "== Running the test suite: SQLite, PostgreSQL and the browser tests side by side (output follows when all finish)"
else
  echo "== Running the test suite: SQLite, PostgreSQL, then the browser tests"
fi
started=$SECONDS
passes=() pids=()
if [ ${#other_paths[@]} -gt 0 ]; then
  start sqlite sqlite "${grouped[@]}" --ignore=tests/browser "${options[@]}" "${other_paths[@]}"
  start postgresql postgresql "${grouped[@]}" --database-tests-only --ignore=tests/browser "${options[@]}" "${other_paths[@]}"
fi
if [ ${#browser_paths[@]} -gt 0 ]; then
  start browser sqlite "${by_file[@]}" "${options[@]}" "${browser_paths[@]}"
fi
[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}" || true

status=0
summary=()
for pass in "${passes[@]}"; do
  label=$(label_of "$pass")
  if [ "$SIDE_BY_SIDE" = 1 ]; then
    echo
    echo "== Test suite: $label"
    cat "$logs/$pass.log"
  fi
  result=$(cat "$logs/$pass.status" 2>/dev/null || echo 1)
  if [ "$result" = 0 ]; then summary+=("$label: passed"); else summary+=("$label: FAILED (pytest exit $result)"); status=1; fi
done
echo
echo "== $(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g') ($((SECONDS - started)) s)"
exit $status
