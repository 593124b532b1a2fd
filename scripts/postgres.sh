#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL server for tests and benchmarks, on loopback only.
#   scripts/postgres.sh start   -> prints the admin URL, e.g. postgresql://postgres@127.0.0.1:55432/postgres
#   scripts/postgres.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
PGPORT=${PGPORT:-55432}
PGDATA=${PGDATA:-/tmp/encompass-pg-$PGPORT}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if ! as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      rm -rf "$PGDATA"; mkdir -p "$PGDATA"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
      as_owner "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    fi
    echo "postgresql://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
