"""Every benchmark in one run: intake, name routing, growth and memory, checked against the targets, saved as JSON.

    .venv/bin/python bench/run_all.py                                  # the full run (about 10-15 minutes on 2 cores)
    .venv/bin/python bench/run_all.py --quick                          # smaller sizes, a few minutes
    .venv/bin/python bench/run_all.py --compare bench/results/X.json   # this run beside an earlier one
    .venv/bin/python bench/run_all.py --compare-only A.json B.json     # two saved runs side by side, nothing run
"""

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import growth
import intake
import memory
import name_routing
from harness import REPO_ROOT, machine, postgres, print_table, write_json

RESULTS_DIR = REPO_ROOT / "bench" / "results"
# What DESIGN.md and issues 7 and 17 ask of the service (the intake targets live in bench/intake.py).
ROUTING_P99_TARGET_MS = 2.0
GROWTH_RATIO_TARGET = 1.5  # a page at 1,000,000 notifications within this factor of its time at 10,000
PEAK_RSS_TARGET_MIB = 250.0  # issue 17: one web process with the register loaded


def plan(quick: bool, smoke: bool = False) -> dict[str, list[str]]:
    """The arguments each benchmark runs with."""
    if smoke:  # only proves the scripts run: the figures mean nothing
        return {"intake": ["--notifications", "20", "--concurrency", "4"], "name_routing": ["--names", "60"],
                "growth": ["--sizes", "200,1000", "--samples", "5"], "memory": ["--incidents", "5"]}
    if quick:
        return {"intake": ["--notifications", "1000"], "name_routing": ["--names", "1000"],
                "growth": ["--sizes", "10000,100000", "--samples", "60"], "memory": ["--incidents", "100"]}
    # The full run also measures PostgreSQL intake with 1, 2 and 4 web processes against the one baseline (issue 17).
    return {"intake": ["--web-processes", "1,2,4"], "name_routing": [], "growth": [], "memory": []}


BENCHMARKS = {"intake": intake, "name_routing": name_routing, "growth": growth, "memory": memory}


def run(options) -> dict:
    started_at = datetime.now(UTC)
    document = {"started_at": started_at.isoformat(), "command": " ".join([".venv/bin/python", *sys.argv]),
                "quick": options.quick, "machine": machine(), "load_average_before": os.getloadavg(),
                "git_commit": _git_commit(), "results": {}}
    arguments = plan(options.quick, options.smoke)
    with ExitStack() as stack:
        server = stack.enter_context(postgres(options.postgres_url)) if options.postgres_url or _needs_postgres(options) else None
        if server is not None:
            document["machine"]["postgresql"] = server.version()
        for name in options.only or BENCHMARKS:
            benchmark = BENCHMARKS[name]
            extra = arguments[name] + (["--postgres-url", server.admin_url] if server is not None else [])
            if name in ("intake", "name_routing") and options.databases:
                extra += ["--databases", options.databases]
            print(f"\n=== {name} ({' '.join(extra)})", flush=True)
            began = time.perf_counter()
            document["results"][name] = benchmark.run(benchmark.parser().parse_args(extra))
            document["results"][name]["took_s"] = time.perf_counter() - began
    document["load_average_after"] = os.getloadavg()
    document["took_s"] = (datetime.now(UTC) - started_at).total_seconds()
    document["targets"] = targets(document["results"])
    report_targets(document)
    path = Path(options.output) if options.output else RESULTS_DIR / f"{started_at:%Y%m%d-%H%M%S}.json"
    write_json(path, document)
    print(f"\nResults saved to {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    if options.compare:
        compare(json.loads(Path(options.compare).read_text()), document)
    return document


def _needs_postgres(options) -> bool:
    wanted = set(options.only or BENCHMARKS)
    return "growth" in wanted or (options.databases or "sqlite,postgresql").find("postgresql") >= 0


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def targets(results: dict) -> list[dict]:
    """Each target with the figure it is judged on and whether it was met."""
    checks = intake.targets(results.get("intake", {}))
    routing = results.get("name_routing")
    if routing:
        for workload, label in (("england", "England-wide"), ("metropolitan", "Met Police, 32 LAs")):
            p99 = routing[workload]["route_child"]["p99_ms"]
            checks.append({"target": f"name routing p99 < {ROUTING_P99_TARGET_MS:g} ms ({label})", "figure": p99,
                           "limit": ROUTING_P99_TARGET_MS, "met": p99 < ROUTING_P99_TARGET_MS})
            cpu_p99 = routing[workload].get("route_child_cpu", {}).get("p99_ms")
            if cpu_p99 is not None:
                checks.append({"target": f"name routing p99 < {ROUTING_P99_TARGET_MS:g} ms ({label}, CPU time)",
                               "figure": cpu_p99, "limit": ROUTING_P99_TARGET_MS, "met": cpu_p99 < ROUTING_P99_TARGET_MS})
    grown = results.get("growth")
    if grown:
        for page, label in (("inbox", "Key Adult inbox"), ("queue", "LA queue page")):
            ratio = grown["ratios"].get(page)
            if ratio is not None:
                sizes = list(grown["sizes"])
                checks.append({"target": f"{label} at {int(sizes[-1]):,} within {GROWTH_RATIO_TARGET}x of {int(sizes[0]):,} (p50)",
                               "figure": ratio, "limit": GROWTH_RATIO_TARGET, "met": ratio <= GROWTH_RATIO_TARGET})
    peak = results.get("memory", {}).get("peak_rss_mib")
    if peak is not None:
        checks.append({"target": f"web process peak RSS <= {PEAK_RSS_TARGET_MIB:g} MiB (register loaded, after intake)",
                       "figure": peak, "limit": PEAK_RSS_TARGET_MIB, "met": peak <= PEAK_RSS_TARGET_MIB})
    return checks


def report_targets(document: dict) -> None:
    m = document["machine"]
    print(f"\nMachine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, Python {m['python']}"
          + (f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else "")
          + f"; load average before {document['load_average_before'][0]:.1f}, after {document['load_average_after'][0]:.1f}")
    print_table("Targets", ["target", "figure", "limit", "met"],
                [[c["target"], c["figure"], c["limit"], "yes" if c["met"] else "NO"] for c in document["targets"]])


# --- Comparing two runs -------------------------------------------------------------------------------------------

_SKIPPED_KEYS = {"plans", "statuses", "methods", "n", "max_ms", "requests_ok", "concurrency", "seed"}


def headline_figures(results: dict, prefix: str = "") -> dict[str, float]:
    """Every number in a run's results under a dotted name, leaving out plans, counts and status tallies."""
    figures = {}
    for key, value in results.items():
        if key in _SKIPPED_KEYS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            figures.update(headline_figures(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            figures[name] = float(value)
    return figures


def compare(old: dict, new: dict) -> None:
    before, after = headline_figures(old["results"]), headline_figures(new["results"])
    rows = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        change = f"{(now - was) / was:+.0%}" if was and now is not None else "-"
        rows.append([name, was, now, change])
    print_table(f"Compared: {old['started_at'][:19]} (old) and {new['started_at'][:19]} (new)",
                ["figure", "old", "new", "change"], rows)


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--quick", action="store_true", help="smaller sizes: a few minutes instead of ten or more")
    arguments.add_argument("--smoke", action="store_true", help="tiny sizes that only prove the scripts run (tests use it)")
    arguments.add_argument("--only", type=lambda text: text.split(","), help=f"some of: {','.join(BENCHMARKS)}")
    arguments.add_argument("--databases", help="intake and register import on: sqlite,postgresql (default both)")
    arguments.add_argument("--compare", metavar="RESULTS_JSON", help="print an earlier run's figures beside this run's")
    arguments.add_argument("--compare-only", nargs=2, metavar=("OLD_JSON", "NEW_JSON"), help="compare two saved runs")
    arguments.add_argument("--output", help=f"where to write the JSON (default {RESULTS_DIR.relative_to(REPO_ROOT)}/<time>.json)")
    arguments.add_argument("--postgres-url", help="admin URL of a running PostgreSQL (default: start scripts/postgres.sh)")
    return arguments


if __name__ == "__main__":
    parsed = parser().parse_args()
    if parsed.compare_only:
        old_path, new_path = parsed.compare_only
        compare(json.loads(Path(old_path).read_text()), json.loads(Path(new_path).read_text()))
    else:
        run(parsed)
