"""Intake benchmark: POST /api/v1/incidents under concurrent police clients, against a bare one-INSERT endpoint.

    .venv/bin/python bench/intake.py                       # SQLite and PostgreSQL, 10,000 notifications each
    .venv/bin/python bench/intake.py --databases sqlite --notifications 200 --concurrency 4
    .venv/bin/python bench/intake.py --databases postgresql --web-processes 1,2,4   # scaling, one baseline
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
RATIO_TARGET = 0.5  # issue 17: intake throughput at least half the bare one-INSERT baseline's
P99_TARGET_MS = 500.0  # issue 17: intake p99 at 16 clients
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


def measure_database(label: str, database_url: str, pool: SchoolPool, options, *, processes: list[int] = (1,)) -> dict:
    """The batch posted to the bare baseline and to the service with each number of web processes, in turns, so
    other work on the machine slows every side alike. Each process count gets its own incidents (the same ones again
    would only be replays)."""
    deployment = deploy(database_url, pool)
    batches = {n: overnight_batch(pool, deployment.api_keys, options.notifications, seed=options.seed + 1000 * i,
                                  prefix=f"NB{n}P") for i, n in enumerate(processes)}
    warm_up = overnight_batch(pool, deployment.api_keys, WARM_UP_REQUESTS * 2 * len(processes), seed=options.seed + 100,
                              prefix="WU")
    baseline_batch = batches[processes[0]]
    before = stored_notifications(database_url)

    with ExitStack() as stack:
        baseline_server = stack.enter_context(serve(baseline_command(), database_url))
        servers = {n: stack.enter_context(serve(service_command(workers=n), database_url)) for n in processes}
        drive(baseline_server.base_url, "/baseline", warm_up[:WARM_UP_REQUESTS], concurrency=options.concurrency, time_limit_s=60)
        for i, n in enumerate(processes):
            # Each process builds the register index when it starts; the warm-up keeps first requests out of the figures.
            chunk = warm_up[i * WARM_UP_REQUESTS * 2: (i + 1) * WARM_UP_REQUESTS * 2]
            drive(servers[n].base_url, "/api/v1/incidents", chunk, concurrency=options.concurrency, time_limit_s=120)
        warm_stored = stored_notifications(database_url)
        legs = [("baseline", baseline_server, "/baseline", baseline_batch)] + [
            (n, servers[n], "/api/v1/incidents", batches[n]) for n in processes]
        rounds: dict = {name: [] for name, *_ in legs}
        for number in range(ROUNDS):
            turn = number % len(legs)
            for name, target, path, batch in legs[turn:] + legs[:turn]:
                size = -(-len(batch) // ROUNDS)
                chunk = batch[number * size: (number + 1) * size]
                if not chunk:
                    continue
                spent = sum(r.wall_s for r in rounds[name])
                rounds[name].append(drive(target.base_url, path, chunk, concurrency=options.concurrency,
                                          time_limit_s=max(1.0, options.time_limit - spent)))
        peak_rss = {n: servers[n].peak_rss_mib() for n in processes}
    baseline = LoadRun.combined(rounds["baseline"])
    stored = stored_notifications(database_url) - warm_stored

    per_processes = {}
    for n in processes:
        intake = LoadRun.combined(rounds[n])
        sent = sum(notifications_in(json.loads(body)) for _h, body in batches[n][: sum(intake.statuses.values())])
        per_processes[str(n)] = {
            "web_processes": n, "intake": _load_figures(intake),
            "ratio_to_baseline": intake.per_second / baseline.per_second if baseline.per_second else None,
            "batch_s": intake.wall_s, "batch_complete": not intake.stopped_early and intake.succeeded == len(batches[n]),
            "notifications_sent": sent, "server_peak_rss_mib": peak_rss[n],
        }
    first = per_processes[str(processes[0])]
    return {
        "database": label, "requests": len(baseline_batch), "notifications": options.notifications,
        "concurrency": options.concurrency, "register_import_s": deployment.timings["register_import_s"],
        "baseline": _load_figures(baseline), "intake": first["intake"],
        "intake_notifications_per_s": first["notifications_sent"] / first["batch_s"] if first["batch_s"] else None,
        "ratio_to_baseline": first["ratio_to_baseline"], "batch_s": first["batch_s"], "batch_complete": first["batch_complete"],
        "notifications_sent": first["notifications_sent"],
        # Stored by every leg together (one leg in the usual run); each leg's own count is notifications_sent.
        "notifications_stored": stored, "notifications_sent_all": sum(p["notifications_sent"] for p in per_processes.values()),
        "warm_up_stored": warm_stored - before, "server_peak_rss_mib": first["server_peak_rss_mib"],
        "web_processes": per_processes,
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
                processes = [1]  # SQLite has one writer: more web processes only queue behind it
            else:
                server = stack.enter_context(postgres(options.postgres_url))
                url = server.create_database("intake")
                processes = options.web_processes
            results[database] = measure_database(DATABASE_LABELS[database], url, pool, options, processes=processes)
    report(results)
    return results


def report(results: dict) -> None:
    rows = []
    for figures in results.values():
        legs = [("bare one-INSERT baseline", figures["baseline"])] + [
            (f"POST /api/v1/incidents, {n} web process{'es' if int(n) > 1 else ''}", p["intake"])
            for n, p in figures["web_processes"].items()]
        for endpoint, load in legs:
            errors = sum(n for status, n in load["statuses"].items() if not status.startswith("2"))
            rows.append([figures["database"], endpoint, load["requests_ok"], load["per_s"], load["p50_ms"], load["p99_ms"],
                         errors, load["wall_s"]])
    any_figures = next(iter(results.values()), None)
    title = "Intake" + (f" ({any_figures['concurrency']} concurrent clients, loopback)" if any_figures else "")
    print_table(title, ["database", "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "errors", "wall s"], rows)
    print_table(
        "Intake against baseline, and the overnight batch",
        ["database", "intake/baseline", "notifications", "batch s", "notif/s", "stored", "complete", "peak RSS MiB"],
        [[f["database"], f["ratio_to_baseline"], f["notifications"], f["batch_s"], f["intake_notifications_per_s"],
          f["notifications_stored"], "yes" if f["batch_complete"] else "NO", f["server_peak_rss_mib"]]
         for f in results.values()],
    )
    print_table("Targets (issue 17)", ["target", "figure", "met"], [[c["target"], c["figure"], "yes" if c["met"] else "NO"]
                                                                    for c in targets(results)])


def targets(results: dict) -> list[dict]:
    """Each intake target beside the figure it is judged on: throughput against the baseline and p99 latency, for
    one web process on each database, and (PostgreSQL) each other number of web processes measured."""
    checks = []
    for figures in results.values():
        if not isinstance(figures, dict) or "web_processes" not in figures:
            continue  # run_all adds took_s beside the databases
        for n, leg in figures["web_processes"].items():
            where = f"{figures['database']}, {n} web process{'es' if int(n) > 1 else ''}"
            ratio, p99 = leg["ratio_to_baseline"], leg["intake"]["p99_ms"]
            checks.append({"target": f"intake >= {RATIO_TARGET:.2f} x bare-INSERT baseline ({where})", "figure": ratio,
                           "limit": RATIO_TARGET, "met": ratio is not None and ratio >= RATIO_TARGET})
            checks.append({"target": f"intake p99 <= {P99_TARGET_MS:g} ms at {figures['concurrency']} clients ({where})",
                           "figure": p99, "limit": P99_TARGET_MS, "met": p99 == p99 and p99 <= P99_TARGET_MS})
    return checks


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--databases", type=lambda text: text.split(","), default=["sqlite", "postgresql"],
                           help="comma-separated: sqlite,postgresql")
    arguments.add_argument("--notifications", type=int, default=10_000, help="children in the overnight batch")
    arguments.add_argument("--concurrency", type=int, default=16, help="concurrent police clients")
    arguments.add_argument("--time-limit", type=float, default=300.0, help="seconds before a load phase stops")
    arguments.add_argument("--postgres-url", help="admin URL of a running PostgreSQL (default: start scripts/postgres.sh)")
    arguments.add_argument("--web-processes", type=lambda text: [int(n) for n in text.split(",")], default=[1],
                           help="PostgreSQL: comma-separated numbers of web processes, each against the same baseline "
                                "in one run, e.g. 1,2,4 (SQLite always runs one)")
    arguments.add_argument("--seed", type=int, default=20251107)
    return arguments


if __name__ == "__main__":
    started = time.perf_counter()
    run(parser().parse_args())
    print(f"\n(intake benchmark took {time.perf_counter() - started:.0f} s)")
