"""The register's name index is built as the process starts, so the first police request after a deploy is not slow."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.config import get_settings
from service.register import service as register_service
from service.register.models import Setting


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


@pytest.fixture
def cold_index(monkeypatch):
    """A process that has not built the index yet."""
    cold = register_service.IndexCache()
    monkeypatch.setattr(register_service, "index_cache", cold)
    return cold


def test_the_index_is_built_before_the_service_takes_requests(app, db, cold_index, capsys):
    settings_in_register = db.exec(select(func.count()).select_from(Setting)).one()
    capsys.readouterr()

    with TestClient(app):
        ready = [line for line in log_lines(capsys) if line["message"].startswith("Register index ready")]

    assert settings_in_register > 20_000
    assert [line["settings"] for line in ready] == [settings_in_register]


def test_warming_can_be_turned_off(app, db, cold_index, capsys, monkeypatch):
    monkeypatch.setattr(get_settings(), "warm_register_index", False)
    capsys.readouterr()

    with TestClient(app):
        messages = [line["message"] for line in log_lines(capsys)]

    assert not any(message.startswith("Register index") for message in messages)


def test_a_database_not_yet_migrated_does_not_stop_the_process_starting(app, cold_index, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(get_settings(), "database_url", f"sqlite:///{tmp_path / 'empty.db'}")
    capsys.readouterr()

    with TestClient(app) as client:
        health = client.get("/healthz")
        warnings = [line for line in log_lines(capsys) if line["level"] == "warning"]

    assert health.status_code == 200
    assert [line["message"] for line in warnings] == ["Register index not built at start; the first police request will build it"]
