"""Crash safety: an answered incident is a stored incident, whatever fails or is killed, and its alerts are queued."""

import pytest
import sqlalchemy as sa

from tests.reliability.incidents import incident_body, stored_counts


def test_a_commit_that_fails_is_never_answered_with_2xx(app, police_key, engine, monkeypatch):
    """The request's transaction must commit before the answer leaves; FastAPI's default runs it after."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    def disk_full(self):
        raise sa.exc.OperationalError("COMMIT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(Session, "commit", disk_full)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/incidents", json=incident_body(), headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 500, "police must retry: nothing was stored"
    assert stored_counts(engine).incidents == 0
