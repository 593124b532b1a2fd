"""/healthz says the process is up; /readyz says whether it can serve: database reachable and schema at head."""

import sqlalchemy as sa

from service.migrations import upgrade_to_head
from service.ops.health import readiness_engine


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_the_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "reachable", "migrations": "at head"}


def test_readyz_refuses_traffic_until_the_migrations_have_run(app, client, fresh_engine):
    app.dependency_overrides[readiness_engine] = lambda: fresh_engine
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.json() == {"status": "not ready", "database": "reachable", "migrations": "not at head"}

    upgrade_to_head(fresh_engine)
    after = client.get("/readyz")
    assert after.status_code == 200
    assert after.json()["status"] == "ready"


def test_readyz_refuses_traffic_when_the_database_cannot_be_reached(app, client, tmp_path):
    unreachable = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'encompass.db'}")
    app.dependency_overrides[readiness_engine] = lambda: unreachable
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    # The process itself is still up: an orchestrator should wait, not restart it.
    assert client.get("/healthz").status_code == 200
