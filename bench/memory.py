"""Memory benchmark: resident memory of one web process, before and after the register index is built, and under load.

    .venv/bin/python bench/memory.py                 # SQLite, then 500 incidents
    .venv/bin/python bench/memory.py --incidents 20
"""

import argparse
import gc
import sys
import time
import tracemalloc
from contextlib import ExitStack

from deployment import deploy
from harness import drive, postgres, print_table, scratch_dir, serve, service_command
from incidents import SchoolPool
from intake import overnight_batch


# Issue 17: one web process with the register loaded peaks at 250 MiB or less.
PEAK_RSS_TARGET_MIB = 250
TOP_LINES = 8


def index_allocations() -> dict:
    """Where the register index's memory goes, by source line (tracemalloc), building it in this process."""
    from harness import REGISTER_DIR

    from service.register.gias import read_establishments, read_links
    from service.register.records import SettingLink, SettingRecord
    from service.routing import RegisterIndex

    settings = [s for s in read_establishments(REGISTER_DIR / "establishments.csv") if isinstance(s, SettingRecord)]
    links = [link for link in read_links(REGISTER_DIR / "links.csv") if isinstance(link, SettingLink)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    index = RegisterIndex.build(settings, links)
    gc.collect()
    after = tracemalloc.take_snapshot()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    top = [{"where": f"{stat.traceback[0].filename.rsplit('/service/', 1)[-1]}:{stat.traceback[0].lineno}",
            "mib": stat.size_diff / 2**20, "blocks": stat.count_diff}
           for stat in after.compare_to(before, "lineno")[:TOP_LINES]]
    del index
    return {"index_retained_mib": retained / 2**20, "index_build_peak_mib": peak / 2**20, "top": top}


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
    print("memory: where the register index's memory goes (tracemalloc) ...", file=sys.stderr, flush=True)
    results["allocations"] = index_allocations()
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
    met = results["peak_rss_mib"] <= PEAK_RSS_TARGET_MIB
    print_table("Peak memory against its target", ["measure", "measured MiB", "target"],
                [["peak RSS of one web process, register loaded", results["peak_rss_mib"],
                  f"at most {PEAK_RSS_TARGET_MIB} MiB: {'met' if met else 'MISSED'}"]])
    allocations = results.get("allocations")
    if allocations:
        print_table(
            f"Register index by source line (tracemalloc): {allocations['index_retained_mib']:.1f} MiB kept, "
            f"{allocations['index_build_peak_mib']:.1f} MiB at the build's peak",
            ["where", "MiB", "blocks"], [[t["where"], round(t["mib"], 1), t["blocks"]] for t in allocations["top"]])


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
