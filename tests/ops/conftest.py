"""A fresh, empty database beside the shared test one, for health checks against an unmigrated schema."""

import os
import uuid

import pytest
import sqlalchemy as sa

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")


def _driver_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def fresh_engine(tmp_path, database_url):
    """An engine on a new empty database (a file on SQLite, a throwaway database on PostgreSQL)."""
    if BACKEND == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    admin_url = os.environ["TEST_POSTGRES_URL"]
    name = f"encompass_fresh_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_driver_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(_driver_url(admin_url.rsplit("/", 1)[0] + f"/{name}"))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
