"""Reliability test plumbing: PostgreSQL-only marking and real uvicorn servers on free ports."""

import os

import pytest

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")


def pytest_collection_modifyitems(config, items):
    """`postgres_only` tests run in the PostgreSQL pass of scripts/test.sh and are skipped on SQLite."""
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with TEST_DATABASE=postgresql")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)
