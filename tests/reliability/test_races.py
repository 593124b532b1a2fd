"""Duplicates and races: real concurrent clients against a real server process and the real database."""

import threading
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from tests.reliability.conftest import BACKEND, TLS, launch_server
from tests.builders import child_entry, incident_body
from tests.reliability.incidents import StoredCounts, stored_counts

CALLERS = 20
# Several server processes on PostgreSQL, so the race is between processes as well as threads; SQLite runs one.
SERVER_PROCESSES = 3 if BACKEND == "postgresql" else 1


@pytest.fixture(scope="module")
def server(engine, database_url, tmp_path_factory):
    """One server for the module: each process loads the register on its first incident, which takes seconds."""
    running = launch_server(database_url, tmp_path_factory.mktemp("races"), workers=SERVER_PROCESSES)
    yield running
    running.stop()


def all_at_once(count: int, request: Callable[[int, httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """Runs `count` requests from `count` threads, each with its own connection, released together by a barrier."""
    barrier = threading.Barrier(count)
    responses: list[httpx.Response | BaseException | None] = [None] * count

    def caller(position: int) -> None:
        with httpx.Client(timeout=60, verify=TLS) as client:
            barrier.wait()
            try:
                responses[position] = request(position, client)
            except BaseException as error:  # noqa: BLE001 - reported below with the others
                responses[position] = error

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in responses if not isinstance(r, httpx.Response)]
    assert not failures, failures
    return responses  # type: ignore[return-value]


def test_same_incident_with_the_same_idempotency_key_is_stored_once(server, police_key, engine):
    body = incident_body(child_entry("C1"), child_entry("C2", education_status="missing_education"), reference="DC-RACE-1")

    responses = all_at_once(CALLERS, lambda _, client: client.post(
        f"{server.url}/api/v1/incidents", json=body,
        headers={"Authorization": f"Bearer {police_key}", "Idempotency-Key": "race-key-1"}))

    assert {r.status_code for r in responses} == {201}, server.log()[-4000:]
    assert len({r.text for r in responses}) == 1, "every caller gets the same answer"
    counts = stored_counts(engine)
    assert (counts.incidents, counts.notifications, counts.idempotency) == (1, 2, 1)
    assert counts.outbox == 2, "one alert per child, not one per caller"


def test_concurrent_corrections_of_one_reference_never_make_two_current_versions(server, police_key, engine):
    def correction(position: int, client: httpx.Client) -> httpx.Response:
        body = incident_body(reference="DC-RACE-2", summary=f"Account number {position} of the same incident.")
        return client.post(f"{server.url}/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})

    responses = all_at_once(CALLERS, correction)

    assert {r.status_code for r in responses} == {201}, server.log()[-4000:]
    with engine.connect() as connection:
        versions = connection.execute(sa.text(
            "SELECT version, is_current FROM incident WHERE police_reference = 'DC-RACE-2' ORDER BY version")).all()
        superseded = connection.execute(sa.text(
            "SELECT count(*) FROM notification WHERE superseded_by_id IS NOT NULL")).scalar_one()
    assert [v for v, _ in versions] == list(range(1, CALLERS + 1)), server.log()[-3000:]
    assert [v for v, current in versions if current] == [CALLERS], "exactly one current version: the newest"
    assert sorted(r.json()["version"] for r in responses) == list(range(1, CALLERS + 1))
    assert superseded == CALLERS - 1, "each older notification points at the one that replaced it"


def test_exact_repeats_without_a_key_store_one_incident(server, police_key, engine):
    body = incident_body(reference="DC-RACE-3")

    responses = all_at_once(CALLERS, lambda _, client: client.post(
        f"{server.url}/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"}))

    assert sorted(r.status_code for r in responses) == [200] * (CALLERS - 1) + [201], [r.text[:200] for r in responses]
    assert len({r.json()["incident_id"] for r in responses}) == 1
    counts = stored_counts(engine)
    assert (counts.incidents, counts.notifications, counts.outbox) == (1, 1, 1)


def _chunked(total: int):
    yield b'{"summary": "'
    for _ in range(total // 8192):
        yield b"x" * 8192
    yield b'"}'


@pytest.mark.parametrize(("name", "content", "status"), [
    ("oversize, honest Content-Length", b'{"summary": "' + b"x" * 70_000 + b'"}', 413),
    ("oversize, chunked without Content-Length", None, 413),
    ("nested 20,000 deep", b"[" * 20_000 + b"]" * 20_000, 400),
    ("invalid UTF-8", b'{"police_reference": "\xff\xfe"}', 400),
], ids=lambda value: value if isinstance(value, str) else "")
def test_hostile_bodies_over_a_real_socket_get_a_problem_and_store_nothing(server, police_key, engine, name, content, status):
    """The same refusals as through the test client, through uvicorn's own HTTP parsing."""
    response = httpx.post(f"{server.url}/api/v1/incidents", content=content if content is not None else _chunked(200_000),
                          headers={"Authorization": f"Bearer {police_key}", "Content-Type": "application/json"}, timeout=30,
                          verify=TLS)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert stored_counts(engine) == StoredCounts(incidents=0, notifications=0, outbox=0, idempotency=0)
    assert server.process.poll() is None, "the server is still up"
