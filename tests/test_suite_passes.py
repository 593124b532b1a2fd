"""scripts/test.sh's PostgreSQL pass (`--database-tests-only`) keeps every test that touches the database, and only
those: a test that opens no database has already run in the SQLite pass, and the browser tests run in their own."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def collected(*arguments: str) -> set[str]:
    environment = {**os.environ, "TEST_DATABASE": "sqlite"}
    finished = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", *arguments],
                              cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    return {line for line in finished.stdout.splitlines() if "::" in line}


def test_the_database_pass_keeps_the_tests_that_use_the_database_and_drops_the_rest():
    kept = collected("--database-tests-only", "tests/audit/test_append_only.py", "tests/bench/test_bench_smoke.py",
                     "tests/browser/test_register_search.py")
    audit = {name.split("::", 1)[1].split("[", 1)[0] for name in kept if name.startswith("tests/audit/")}

    # Uses the `db` and `engine` fixtures: the PostgreSQL trigger is what it tests.
    assert "test_postgresql_refuses_to_change_or_remove_an_audit_row" in audit
    # Reads source files only: it already ran in the SQLite pass.
    assert "test_no_application_code_updates_or_deletes_audit_rows" not in audit
    # No database fixture, but each benchmark runs on the pass's database (marked database_aware).
    assert "tests/bench/test_bench_smoke.py::test_intake_posts_every_notification_and_prints_the_comparison_with_the_baseline" in kept
    # Browser tests use a server on the database, yet run once, in the browser pass.
    assert not [name for name in kept if name.startswith("tests/browser/")]
