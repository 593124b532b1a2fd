"""Memory benchmark: resident memory of one web process, before and after the register index is built, and under load.

    .venv/bin/python bench/memory.py                 # SQLite, then 500 incidents
    .venv/bin/python bench/memory.py --incidents 20
"""

import argparse
import sys
import time
from contextlib import ExitStack

from deployment import deploy
from harness import drive, postgres, print_table, scratch_dir, serve, service_command
from incidents import SchoolPool
from intake import overnight_batch


def measure(database_url: str, pool: SchoolPool, options) -> dict:
    deployment = deploy(database_url, pool)
    batch = overnight_batch(pool, deployment.api_keys, (options.incidents + 1) * 4, seed=options.seed, prefix="MEM")
    first, rest = batch[0], batch[1: options.incidents + 1]
    with serve(service_command(), database_url) as server:
        time.sleep(0.5)
        idle_rss = server.rss_mib()
        started = time.perf_counter()
        first_run = drive(server.base_url, "/api/v1/incidents", [first], concurrency=1, time_limit_s=120)
        first_request_s = time.perf_counter() - started
        after_first = {"rss": server.rss_mib(), "peak": server.peak_rss_mib()}
        load = drive(server.base_url, "/api/v1/incidents", rest, concurrency=options.concurrency, time_limit_s=300)
        after_load = {"rss": server.rss_mib(), "peak": server.peak_rss_mib()}
    return {
        "idle_rss_mib": idle_rss, "first_request_s": first_request_s, "first_request_ok": first_run.succeeded == 1,
        "after_index_rss_mib": after_first["rss"], "after_index_peak_mib": after_first["peak"],
        "incidents": load.succeeded, "after_load_rss_mib": after_load["rss"], "peak_rss_mib": after_load["peak"],
    }


def run(options) -> dict:
    pool = SchoolPool.from_register()
    with ExitStack() as stack:
        if options.database == "sqlite":
            url = f"sqlite:///{stack.enter_context(scratch_dir()) / 'memory.db'}"
        else:
            url = stack.enter_context(postgres(options.postgres_url)).create_database("memory")
        print(f"memory: one web process on {options.database} ...", file=sys.stderr, flush=True)
        results = {"database": options.database, **measure(url, pool, options)}
    report(results)
    return results


def report(results: dict) -> None:
    print_table(
        f"Memory of one web process (`encompass serve --no-worker`, {results['database']}, whole register)",
        ["moment", "RSS MiB", "peak (VmHWM) MiB"],
        [["started, before any request", results["idle_rss_mib"], None],
         [f"after the first incident (index built; took {results['first_request_s']:.1f} s)",
          results["after_index_rss_mib"], results["after_index_peak_mib"]],
         [f"after {results['incidents']:,} more incidents", results["after_load_rss_mib"], results["peak_rss_mib"]]],
    )


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    arguments.add_argument("--incidents", type=int, default=500, help="incidents posted after the first")
    arguments.add_argument("--concurrency", type=int, default=8)
    arguments.add_argument("--postgres-url", help="admin URL of a running PostgreSQL (default: start scripts/postgres.sh)")
    arguments.add_argument("--seed", type=int, default=20251107)
    return arguments


if __name__ == "__main__":
    run(parser().parse_args())
