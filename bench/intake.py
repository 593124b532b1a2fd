"""Intake benchmark: POST /api/v1/incidents under concurrent police clients, against a bare one-INSERT endpoint.

    .venv/bin/python bench/intake.py                       # SQLite and PostgreSQL, 10,000 notifications each
    .venv/bin/python bench/intake.py --databases sqlite --notifications 200 --concurrency 4
"""

import argparse
import json
import random
import sys
import time
import uuid
from contextlib import ExitStack

import sqlalchemy as sa
from deployment import deploy
from harness import (
    LoadRun, baseline_command, drive, latency_summary, postgres, print_table, scratch_dir, serve, service_command, sqlalchemy_url,
)
from incidents import BENCH_FORCES, IncidentFactory, SchoolPool, notifications_in

# Share of a night's incidents from each bench force (the Met is the biggest force by far).
FORCE_SHARE = {"metropolitan": 45, "west-yorkshire": 25, "derbyshire": 15, "nottinghamshire": 15}
WARM_UP_REQUESTS = 30
ROUNDS = 10
DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def overnight_batch(pool: SchoolPool, api_keys: dict[str, str], notifications: int, *, seed: int, prefix: str) -> list[tuple[dict, bytes]]:
    """Incidents from the bench forces, mixed as they arrive overnight, until they hold `notifications` children."""
    rng = random.Random(seed)
    factories = {f.force_id: IncidentFactory(pool, f, seed=seed + i, reference_prefix=f"{prefix}{i}") for i, f in enumerate(BENCH_FORCES)}
    forces, weights = list(FORCE_SHARE), list(FORCE_SHARE.values())
    requests, total = [], 0
    while total < notifications:
        force_id = rng.choices(forces, weights)[0]
        body = factories[force_id].incident()
        if total + notifications_in(body) > notifications:
            body["children"] = body["children"][: notifications - total]
        total += notifications_in(body)
        headers = {"Authorization": f"Bearer {api_keys[force_id]}", "Content-Type": "application/json",
                   "Idempotency-Key": str(uuid.uuid4())}
        requests.append((headers, json.dumps(body).encode()))
    return requests


def stored_notifications(database_url: str) -> int:
    engine = sa.create_engine(sqlalchemy_url(database_url))
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM notification")).scalar_one()
    engine.dispose()
    return count


def measure_database(label: str, database_url: str, pool: SchoolPool, options) -> dict:
    deployment = deploy(database_url, pool)
    batch = overnight_batch(pool, deployment.api_keys, options.notifications, seed=options.seed, prefix="NB")
    warm_up = overnight_batch(pool, deployment.api_keys, WARM_UP_REQUESTS * 2, seed=options.seed + 100, prefix="WU")[:WARM_UP_REQUESTS]
    before = stored_notifications(database_url)

    with serve(baseline_command(), database_url) as baseline_server, serve(service_command(), database_url) as server:
        drive(baseline_server.base_url, "/baseline", warm_up, concurrency=options.concurrency, time_limit_s=60)
        # The first request builds the register index: a one-off per process, kept out of the measured batch.
        drive(server.base_url, "/api/v1/incidents", warm_up, concurrency=options.concurrency, time_limit_s=120)
        warm_stored = stored_notifications(database_url)
        # Both endpoints take the batch in the same rounds, turn about, so other work on the machine slows both alike.
        baseline_rounds, intake_rounds = [], []
        size = -(-len(batch) // ROUNDS)
        for number, first in enumerate(range(0, len(batch), size)):
            chunk = batch[first: first + size]
            legs = [(baseline_server, "/baseline", baseline_rounds), (server, "/api/v1/incidents", intake_rounds)]
            for target, path, rounds in (legs if number % 2 == 0 else legs[::-1]):
                spent = sum(r.wall_s for r in rounds)
                rounds.append(drive(target.base_url, path, chunk, concurrency=options.concurrency,
                                    time_limit_s=max(1.0, options.time_limit - spent)))
        baseline, intake = LoadRun.combined(baseline_rounds), LoadRun.combined(intake_rounds)
        peak_rss = server.peak_rss_mib()
    stored = stored_notifications(database_url) - warm_stored
    notifications_sent = sum(notifications_in(json.loads(body)) for _h, body in batch[: sum(intake.statuses.values())])

    return {
        "database": label, "requests": len(batch), "notifications": options.notifications,
        "concurrency": options.concurrency, "register_import_s": deployment.timings["register_import_s"],
        "baseline": _load_figures(baseline), "intake": _load_figures(intake),
        "intake_notifications_per_s": stored / intake.wall_s if intake.wall_s else None,
        "ratio_to_baseline": intake.per_second / baseline.per_second if baseline.per_second else None,
        "batch_s": intake.wall_s, "batch_complete": not intake.stopped_early and intake.succeeded == len(batch),
        "notifications_sent": notifications_sent, "notifications_stored": stored,
        "warm_up_stored": warm_stored - before, "server_peak_rss_mib": peak_rss,
    }


def _load_figures(run) -> dict:
    return {"requests_ok": run.succeeded, "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
            "per_s": run.per_second, "wall_s": run.wall_s, "stopped_early": run.stopped_early, **latency_summary(run.latencies)}


def run(options) -> dict:
    pool = SchoolPool.from_register()
    results = {}
    with ExitStack() as stack:
        scratch = stack.enter_context(scratch_dir())
        for database in options.databases:
            print(f"intake: {DATABASE_LABELS[database]} ...", file=sys.stderr, flush=True)
            if database == "sqlite":
                url = f"sqlite:///{scratch / 'intake.db'}"
            else:
                server = stack.enter_context(postgres(options.postgres_url))
                url = server.create_database("intake")
            results[database] = measure_database(DATABASE_LABELS[database], url, pool, options)
    report(results)
    return results


def report(results: dict) -> None:
    rows = []
    for figures in results.values():
        for endpoint, key in (("bare one-INSERT baseline", "baseline"), ("POST /api/v1/incidents", "intake")):
            load = figures[key]
            errors = sum(n for status, n in load["statuses"].items() if not status.startswith("2"))
            rows.append([figures["database"], endpoint, load["requests_ok"], load["per_s"], load["p50_ms"], load["p99_ms"],
                         errors, load["wall_s"]])
    any_figures = next(iter(results.values()), None)
    title = "Intake" + (f" ({any_figures['concurrency']} concurrent clients, loopback, one web process)" if any_figures else "")
    print_table(title, ["database", "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "errors", "wall s"], rows)
    print_table(
        "Intake against baseline, and the overnight batch",
        ["database", "intake/baseline", "notifications", "batch s", "notif/s", "stored", "complete", "peak RSS MiB"],
        [[f["database"], f["ratio_to_baseline"], f["notifications"], f["batch_s"], f["intake_notifications_per_s"],
          f["notifications_stored"], "yes" if f["batch_complete"] else "NO", f["server_peak_rss_mib"]]
         for f in results.values()],
    )


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--databases", type=lambda text: text.split(","), default=["sqlite", "postgresql"],
                           help="comma-separated: sqlite,postgresql")
    arguments.add_argument("--notifications", type=int, default=10_000, help="children in the overnight batch")
    arguments.add_argument("--concurrency", type=int, default=16, help="concurrent police clients")
    arguments.add_argument("--time-limit", type=float, default=300.0, help="seconds before a load phase stops")
    arguments.add_argument("--postgres-url", help="admin URL of a running PostgreSQL (default: start scripts/postgres.sh)")
    arguments.add_argument("--seed", type=int, default=20251107)
    return arguments


if __name__ == "__main__":
    started = time.perf_counter()
    run(parser().parse_args())
    print(f"\n(intake benchmark took {time.perf_counter() - started:.0f} s)")
