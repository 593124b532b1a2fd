"""Logs are JSON lines on stdout, each request's lines share its request id, and no line carries a child's details."""

import json
import logging
from datetime import UTC, date, datetime, timedelta

from service.ops.logging import JsonLineFormatter

# Words that appear nowhere but in this test's incident, so any log line containing one has leaked it.
DISTINCTIVE = ("Zephyrine", "Quillfeather", "Marzipanwhistle", "Brackenmoor", "Thistledown", "Obsidianfox", "ZX9 4QQ")


def _dob(age: int) -> str:
    return date(date.today().year - age, 3, 3).isoformat()


def distinctive_incident() -> dict:
    return {
        "police_reference": "DC-LOG-0001",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0).isoformat(),
        "risk_level": "high",
        "summary": "Neighbours heard shouting; the Marzipanwhistle household was visited.",
        "police_actions": ["Officers spoke to Brackenmoor relatives"],
        "children": [
            {"child_reference": "C1", "given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": _dob(10),
             "education_status": "attends_setting", "setting_name": "Thistledown Primary", "home_la_code": "830",
             "home_postcode": "ZX9 4QQ", "present_at_incident": True, "spoken_to": True,
             "child_voice": "Said the Obsidianfox toy keeps them safe"},
            {"child_reference": "C2", "given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": _dob(6),
             "education_status": "missing_education", "home_la_code": "830"},
        ],
    }


def stdout_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_an_incident_leaves_no_child_details_in_any_log_line(client, police_key, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, at its most talkative
    capsys.readouterr()
    headers = {"Authorization": f"Bearer {police_key}"}
    response = client.post("/api/v1/incidents", json=distinctive_incident(), headers=headers)
    assert response.status_code == 201
    for notification in response.json()["notifications"]:
        # A query string is never logged either, whatever a caller puts in it.
        status = client.get(f"/api/v1/notifications/{notification['id']}?name=Zephyrine+Quillfeather", headers=headers)
        assert status.status_code == 200
    bad = client.post("/api/v1/incidents", json={**distinctive_incident(), "favourite_colour": "Zephyrine"}, headers=headers)
    assert bad.status_code == 422

    lines = stdout_lines(capsys)
    formatter = JsonLineFormatter()
    written = [json.dumps(line) for line in lines] + [formatter.format(record) for record in caplog.records]
    assert written
    for text in written:
        for word in DISTINCTIVE:
            assert word not in text, f"log line leaks {word!r}: {text}"

    access = [line for line in lines if line["logger"] == "encompass.access"]
    assert [(line["method"], line["path"], line["status"]) for line in access] == [
        ("POST", "/api/v1/incidents", 201),
        ("GET", "/api/v1/notifications/{notification_id}", 200),
        ("GET", "/api/v1/notifications/{notification_id}", 200),
        ("POST", "/api/v1/incidents", 422),
    ]
    assert all(line["request_id"] and isinstance(line["duration_ms"], float) for line in access)
    assert len({line["request_id"] for line in access}) == 4


def test_a_sane_request_id_is_kept_and_echoed_and_ties_the_request_lines_together(app, client, capsys):
    def look_up_something():
        logging.getLogger("service.example").info("looked something up")
        return {"done": True}

    app.add_api_route("/ops-test/look-up", look_up_something)
    capsys.readouterr()
    response = client.get("/ops-test/look-up", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21-0001"

    lines = stdout_lines(capsys)
    from_handler = [line for line in lines if line["logger"] == "service.example"]
    access = [line for line in lines if line["logger"] == "encompass.access"]
    assert [line["request_id"] for line in from_handler] == ["lb-7f3a9c21-0001"]
    assert [line["request_id"] for line in access] == ["lb-7f3a9c21-0001"]


def test_a_request_id_that_is_not_an_id_is_replaced(client, capsys):
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "Zephyrine Quillfeather, year 5"})
    echoed = response.headers["X-Request-ID"]
    assert echoed != "Zephyrine Quillfeather, year 5"
    assert len(echoed) == 32
    assert "Zephyrine" not in capsys.readouterr().out


def test_each_request_without_an_id_gets_its_own(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def test_an_unmatched_path_is_not_logged_as_typed(client, capsys):
    capsys.readouterr()
    client.get("/children/Zephyrine-Quillfeather")
    out = capsys.readouterr().out
    assert "Zephyrine" not in out
    [access] = [json.loads(line) for line in out.splitlines() if '"encompass.access"' in line]
    assert access["path"] == "(unmatched)"
    assert access["status"] == 404


def test_an_exception_is_logged_by_type_and_place_not_by_its_message():
    try:
        raise ValueError("duplicate key (given_name)=(Zephyrine)")
    except ValueError:
        record = logging.getLogger("service.example").makeRecord(
            "service.example", logging.ERROR, __file__, 1, "could not store the notification", (), __import__("sys").exc_info())
    line = json.loads(JsonLineFormatter().format(record))
    assert line["message"] == "could not store the notification"
    assert line["exception"]["type"] == "builtins.ValueError"
    assert line["exception"]["at"]
    assert "Zephyrine" not in json.dumps(line)


def test_no_child_detail_reaches_an_opentelemetry_exporter_someone_configures(client, police_key, monkeypatch):
    """FastAPI records spans, and logs validation failures with the input and exceptions with their messages, to
    whatever OpenTelemetry providers the process has: an operator's auto-instrumentation would set them up. The
    service keeps that off, so a child's details go to no exporter."""
    import opentelemetry._logs._internal as otel_logs
    import opentelemetry.trace as otel_trace
    from opentelemetry._logs import LoggerProvider, NoOpLogger
    from opentelemetry.trace import NoOpTracer, TracerProvider

    asked_for = []

    class RecordingTracerProvider(TracerProvider):
        def get_tracer(self, *args, **kwargs):
            asked_for.append(("tracer", args))
            return NoOpTracer()

    class RecordingLoggerProvider(LoggerProvider):
        def get_logger(self, *args, **kwargs):
            asked_for.append(("logger", args))
            return NoOpLogger(*args[:1] or ("x",))

    monkeypatch.setattr(otel_trace, "_TRACER_PROVIDER", RecordingTracerProvider())
    monkeypatch.setattr(otel_logs, "_LOGGER_PROVIDER", RecordingLoggerProvider())
    headers = {"Authorization": f"Bearer {police_key}"}
    assert client.post("/api/v1/incidents", json=distinctive_incident(), headers=headers).status_code == 201
    bad = client.post("/api/v1/incidents", json={**distinctive_incident(), "favourite_colour": "Zephyrine"}, headers=headers)
    assert bad.status_code == 422
    assert asked_for == []
