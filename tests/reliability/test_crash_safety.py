"""Crash safety: an answered incident is a stored incident, whatever fails or is killed, and its alerts are queued."""

import pytest
import sqlalchemy as sa

from tests.builders import child_entry, incident_body
from tests.reliability.conftest import TLS
from tests.reliability.incidents import stored_counts


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


INCIDENTS = 48
STREAMS = 4


def post_stream(server_url: str, police_key: str, bodies: dict[str, dict], keys: list[str], answers: dict[str, dict],
                on_answer=None) -> None:
    """Posts each incident once from STREAMS threads; a request the server never answered is left for a retry."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    def post_one(key: str) -> None:
        try:
            response = httpx.post(f"{server_url}/api/v1/incidents", json=bodies[key], timeout=30, verify=TLS,
                                  headers={"Authorization": f"Bearer {police_key}", "Idempotency-Key": key})
        except httpx.TransportError:
            return  # no answer: the police system must send it again
        if response.status_code in (200, 201):
            answers[key] = response.json()
            if on_answer is not None:
                on_answer(len(answers))
        else:
            assert response.status_code >= 500, response.text  # only a dying server may fail a good request

    with ThreadPoolExecutor(STREAMS) as pool:
        list(pool.map(post_one, keys))


def test_server_killed_mid_stream_loses_and_duplicates_nothing(start_server, police_key, engine):
    """SIGKILL the server twice while four police streams post; after each restart the streams resend what
    was not answered. Every incident ends up stored once, with its alert queued, and every answer given is true."""
    import threading

    server = start_server()
    bodies = {f"crash-{i:03d}": incident_body(reference=f"DC-CRASH-{i:03d}", children=[
        child_entry("C1", education_status="missing_education"),  # owned by the LA at once, so always an alert
        child_entry("C2")]) for i in range(INCIDENTS)}
    answers: dict[str, dict] = {}
    given_before_kill: dict[str, dict] = {}

    for kill_after in (INCIDENTS // 4, INCIDENTS // 2):
        killed = threading.Event()

        def kill_when(count: int, kill_after=kill_after, killed=killed) -> None:
            if count >= kill_after and not killed.is_set():
                killed.set()
                server.kill()

        unanswered = [key for key in bodies if key not in answers]
        post_stream(server.url, police_key, bodies, unanswered, answers, on_answer=kill_when)
        assert killed.is_set(), "the server was never killed: the test proved nothing"
        given_before_kill.update(answers)
        server = start_server(port=int(server.url.rsplit(":", 1)[1]))

    for _ in range(3):  # the police system keeps resending until every incident is answered
        post_stream(server.url, police_key, bodies, [key for key in bodies if key not in answers], answers)
    assert len(answers) == INCIDENTS

    # Resending an answered incident replays the same answer: nothing said before a crash was untrue.
    replayed: dict[str, dict] = {}
    post_stream(server.url, police_key, bodies, list(given_before_kill), replayed)
    assert replayed == given_before_kill

    with engine.connect() as connection:
        stored = connection.execute(sa.text(
            "SELECT police_reference, count(*), min(id) FROM incident GROUP BY police_reference")).all()
        notifications = connection.execute(sa.text(
            "SELECT n.id, count(o.id) FROM notification n LEFT JOIN outbox_message o ON o.notification_id = n.id "
            "GROUP BY n.id")).all()
    assert {reference: count for reference, count, _ in stored} == {body["police_reference"]: 1 for body in bodies.values()}
    assert {answer["incident_id"] for answer in answers.values()} == {incident_id for _, _, incident_id in stored}
    assert len(notifications) == 2 * INCIDENTS
    assert all(alerts == 1 for _, alerts in notifications), "every notification has exactly one alert queued"
    assert stored_counts(engine).idempotency == INCIDENTS


@pytest.mark.postgres_only
def test_database_connections_cut_mid_stream_lose_and_duplicate_nothing(start_server, police_key, engine):
    """PostgreSQL restarts or a failover cut every connection the server holds; the police system retries
    what failed, and each incident is still stored exactly once."""
    import threading

    import httpx

    server = start_server(workers=2)
    bodies = {f"cut-{i:03d}": incident_body(reference=f"DC-CUT-{i:03d}") for i in range(24)}
    answers: dict[str, dict] = {}
    cuts = 0

    def cut_connections(count: int) -> None:
        nonlocal cuts
        if count % 6 == 0 and cuts < 3:
            cuts += 1
            with engine.connect() as connection:
                connection.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))

    lock = threading.Lock()

    def on_answer(count: int) -> None:
        with lock:
            cut_connections(count)

    for _ in range(6):
        post_stream(server.url, police_key, bodies, [key for key in bodies if key not in answers], answers, on_answer=on_answer)
        if len(answers) == len(bodies):
            break
    assert len(answers) == len(bodies) and cuts == 3
    assert httpx.get(f"{server.url}/readyz", verify=TLS).status_code == 200
    with engine.connect() as connection:
        per_reference = connection.execute(sa.text("SELECT police_reference, count(*) FROM incident GROUP BY police_reference")).all()
    assert dict(per_reference) == {body["police_reference"]: 1 for body in bodies.values()}
    assert stored_counts(engine).outbox == len(bodies)
