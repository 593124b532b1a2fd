"""The benchmarks still run: each script with tiny sizes prints its table. Timings are never asserted on."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
ON_POSTGRES = BACKEND == "postgresql"
pytestmark = pytest.mark.database_aware  # each script runs on the database of this pass


@pytest.fixture(scope="module")
def smoke_register(tmp_path_factory) -> Path:
    """The register cut down to the benchmark forces' 41 local authorities (about a fifth of it), for every script
    here: each imports it and builds the index, and the whole register made that most of these tests' time. The
    scripts are the same; the full runs (bench/run_all.py) use the whole register."""
    if str(REPO_ROOT / "bench") not in sys.path:
        sys.path.append(str(REPO_ROOT / "bench"))
    from incidents import BENCH_FORCES, force_la_codes

    area = {code for force in BENCH_FORCES for code in force_la_codes(force)}
    whole, cut = REPO_ROOT.parent / "shared" / "data" / "register", tmp_path_factory.mktemp("smoke-register")
    with open(whole / "establishments.csv", encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    la_column = rows[0].index("LA (code)")
    kept = [rows[0]] + [row for row in rows[1:] if row[la_column] in area]
    with open(cut / "establishments.csv", "w", encoding="utf-8-sig", newline="") as target:
        csv.writer(target).writerows(kept)
    urns = {row[0] for row in kept[1:]}
    with open(whole / "links.csv", encoding="utf-8-sig", newline="") as source:
        links = list(csv.reader(source))
    with open(cut / "links.csv", "w", encoding="utf-8-sig", newline="") as target:
        csv.writer(target).writerows([links[0]] + [row for row in links[1:] if row[0] in urns and row[1] in urns])
    return cut


def settings_in(register: Path) -> int:
    with open(register / "establishments.csv", encoding="utf-8-sig", newline="") as source:
        return sum(1 for _ in csv.reader(source)) - 1


def run_bench(*arguments: str, register: Path, timeout: float = 600) -> str:
    extra = ["--postgres-url", os.environ["TEST_POSTGRES_URL"]] if ON_POSTGRES else []
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    environment["REGISTER_DIR"] = str(register)
    finished = subprocess.run([sys.executable, *arguments, *extra], cwd=REPO_ROOT, env=environment, capture_output=True,
                              text=True, timeout=timeout)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


def databases() -> str:
    return "postgresql" if ON_POSTGRES else "sqlite"


def test_intake_posts_every_notification_and_prints_the_comparison_with_the_baseline(smoke_register):
    output = run_bench("bench/intake.py", "--databases", databases(), "--notifications", "20", "--concurrency", "4",
                       register=smoke_register)
    assert "POST /api/v1/incidents" in output
    assert "bare one-INSERT baseline" in output
    batch_table = output.split("Intake against baseline, and the overnight batch")[1]
    batch_row = next(line for line in batch_table.splitlines() if line.startswith(("SQLite ", "PostgreSQL ")))
    cells = [cell.strip() for cell in batch_row.split("|")]
    assert cells[2] == "20" and cells[5] == "20" and cells[6] == "yes"  # 20 sent, 20 stored, batch complete


def test_name_routing_prints_latency_for_route_child_and_match_name(smoke_register):
    output = run_bench("bench/name_routing.py", "--databases", databases(), "--names", "60", register=smoke_register)
    assert "Register import and index (whole register)" in output
    assert 5000 < settings_in(smoke_register) < 29_141
    assert f"{settings_in(smoke_register):,}" in output  # every setting of the register given was imported
    assert "route_child" in output and "match_name" in output


def test_memory_reports_the_web_process_before_and_after_the_index(smoke_register):
    output = run_bench("bench/memory.py", "--database", databases(), "--incidents", "5", register=smoke_register)
    assert "after the first incident (index built" in output
    assert "after 5 more incidents" in output


@pytest.mark.skipif(not ON_POSTGRES, reason="the growth benchmark generates rows with PostgreSQL's generate_series")
def test_growth_times_both_pages_at_each_size_and_shows_their_plans(smoke_register):
    output = run_bench("bench/growth.py", "--sizes", "200,1000", "--samples", "5", register=smoke_register)
    assert "Key Adult inbox" in output and "LA queue page" in output
    assert "Query plans at 1,000 notifications" in output


def test_run_all_saves_json_that_compare_prints_side_by_side(tmp_path, smoke_register):
    saved = tmp_path / "run.json"
    output = run_bench("bench/run_all.py", "--smoke", "--only", "name_routing", "--databases", databases(),
                       "--output", str(saved), register=smoke_register)
    assert "Targets" in output and "name routing p99" in output
    document = json.loads(saved.read_text())
    assert document["machine"]["cores"] >= 1
    assert {t["target"].split(" (")[0] for t in document["targets"]} == {"name routing p99 < 2 ms"}
    assert any("CPU time" in t["target"] for t in document["targets"])

    compared = run_bench("bench/run_all.py", "--compare-only", str(saved), str(saved), register=smoke_register)
    assert "name_routing.england.route_child.p99_ms" in compared
    assert "+0%" in compared  # a run compared with itself has not changed
