"""Settings come from the environment, and production refuses to start with unsafe ones, in one clear line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.config import DEFAULT_SECRET, REPO_ROOT, Settings
from tests.alerts.fakes import NOTIFY_SETTINGS

SAFE_PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://encompass@db.internal:5432/encompass",
    "secret_key": "k3T9-long-random-production-secret-value-0001",
    "base_url": "https://encompass.example.gov.uk",
    "cookie_secure": True,
    **NOTIFY_SETTINGS,
}


def test_safe_production_settings_are_accepted():
    settings = Settings(**SAFE_PRODUCTION)
    assert settings.environment == "production"
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("unsafe", "reason"),
    [
        ({"secret_key": DEFAULT_SECRET}, "SECRET_KEY"),
        ({"secret_key": "too-short"}, "SECRET_KEY"),
        ({"database_url": "sqlite:////srv/encompass.db"}, "DATABASE_URL must point at PostgreSQL"),
        ({"cookie_secure": False}, "COOKIE_SECURE must be true"),
        ({"base_url": "http://encompass.example.gov.uk"}, "BASE_URL must be an https:// address"),
    ],
)
def test_production_refuses_each_unsafe_setting(unsafe, reason):
    with pytest.raises(ValidationError) as refused:
        Settings(**{**SAFE_PRODUCTION, **unsafe})
    assert "Refusing to start in production" in str(refused.value)
    assert reason in str(refused.value)


def test_the_embedded_default_runs_with_sqlite_and_the_development_secret():
    settings = Settings(environment="development", database_url="sqlite:///encompass.db", secret_key=DEFAULT_SECRET)
    assert settings.is_sqlite


def test_settings_are_read_from_the_environment(monkeypatch):
    for name, value in SAFE_PRODUCTION.items():
        monkeypatch.setenv(name.upper(), json.dumps(value) if isinstance(value, dict) else str(value))
    monkeypatch.setenv("RETENTION_DAYS", "400")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.database_url == SAFE_PRODUCTION["database_url"]
    assert settings.retention_days == 400
    assert settings.log_level == "DEBUG"

    monkeypatch.setenv("COOKIE_SECURE", "false")
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        Settings()


def _production_env(tmp_path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DATABASE_URL", "BASE_URL"}}
    env.update(ENVIRONMENT="production", SECRET_KEY="short-leaky-secret", DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",
               BASE_URL="http://encompass.example.gov.uk", COOKIE_SECURE="false")
    return env


def _entry_points() -> list[list[str]]:
    script = Path(sys.executable).parent / "encompass"
    return [[sys.executable, "-m", "service.cli"], [str(script)]]


@pytest.mark.parametrize("entry_point", _entry_points(), ids=["python -m service.cli", "encompass"])
@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve", "--port", "8977"]], ids=["db upgrade", "serve"])
def test_the_command_line_refuses_unsafe_production_settings_in_one_line(tmp_path, entry_point, command):
    # A timeout turns a regression (the server starting anyway) into a failure rather than a hang.
    finished = subprocess.run([*entry_point, *command], env=_production_env(tmp_path), cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("error: Refusing to start in production:")
    for reason in ("SECRET_KEY", "DATABASE_URL", "COOKIE_SECURE", "BASE_URL"):
        assert reason in lines[0]
    assert "short-leaky-secret" not in finished.stderr + finished.stdout
    assert not (tmp_path / "prod.db").exists(), "nothing may touch the database before the settings are accepted"
