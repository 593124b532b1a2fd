"""Password reset timing: a reset request for an existing account against one for an unknown email, side by side.

An attacker who can tell the two apart by response time learns who has an account. Each sample is one request's
whole transaction (request_password_reset and its commit), as the portal's POST /forgot-password runs it; every
known-email sample is a first request (the clock moves past the 5-minute interval between samples).

    .venv/bin/python bench/reset_timing.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/reset_timing.py --databases sqlite --samples 200
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from harness import elapsed, postgres, print_table, scratch_dir, use_database

KNOWN_EMAIL = "known.person@school.example.sch.uk"
UNKNOWN_EMAIL = "nobody.here@school.example.sch.uk"


def prepare(database_url: str) -> None:
    use_database(database_url)
    from service.accounts.models import User
    from service.accounts.passwords import hash_password
    from service.db import get_engine, unit_of_work
    from service.migrations import upgrade_to_head

    upgrade_to_head(get_engine())
    with unit_of_work() as session:
        session.add(User(email=KNOWN_EMAIL, display_name="Known person", kind="setting_staff",
                         password_hash=hash_password("a long enough password for the bench")))


def time_requests(samples: int) -> dict[str, list[float]]:
    """Known and unknown requests interleaved, so drift in the machine's speed affects both alike."""
    from service.accounts.service import RESET_EMAIL_INTERVAL, request_password_reset
    from service.db import unit_of_work

    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    now = datetime.now(UTC)
    for sample in range(samples + 5):  # the first few warm caches and connections up, and are not counted
        now += RESET_EMAIL_INTERVAL + timedelta(seconds=1)
        for kind, email in (("known", KNOWN_EMAIL), ("unknown", UNKNOWN_EMAIL)):
            started = time.perf_counter()
            with unit_of_work() as session:
                request_password_reset(session, email=email, now=now)
            if sample >= 5:
                timings[kind].append(elapsed(started))
    return timings


def run(database: str, samples: int, postgres_url: str | None) -> list:
    with scratch_dir() as scratch:
        if database == "sqlite":
            prepare(f"sqlite:///{scratch / 'reset-timing.db'}")
            timings = time_requests(samples)
        else:
            with postgres(postgres_url) as server:
                prepare(server.create_database("reset"))
                timings = time_requests(samples)
                from service.db import get_engine

                get_engine().dispose()
    known, unknown = (statistics.median(timings[kind]) * 1000 for kind in ("known", "unknown"))
    return ["SQLite" if database == "sqlite" else "PostgreSQL", samples, known, unknown, known / unknown]


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--databases", type=lambda text: text.split(","), default=["sqlite", "postgresql"],
                           help="comma separated: sqlite, postgresql")
    arguments.add_argument("--samples", type=int, default=300, help="requests timed for each kind of email")
    arguments.add_argument("--postgres-url", help="admin URL of a running PostgreSQL (default: start scripts/postgres.sh)")
    return arguments


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    rows = [run(database, args.samples, args.postgres_url) for database in args.databases]
    print_table("Password reset request: median time per request, existing against unknown email",
                ["database", "samples", "known email (ms)", "unknown email (ms)", "known / unknown"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
