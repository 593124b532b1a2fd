"""Reliability test plumbing: PostgreSQL-only marking and real uvicorn servers on free ports."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
# Every httpx client builds a TLS context unless given one, reading the whole CA bundle (28 ms), even for the plain
# http of these loopback servers: the many short clients below share this one instead.
TLS = httpx.create_ssl_context()
REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    """`postgres_only` tests run in the PostgreSQL pass of scripts/test.sh and are skipped on SQLite."""
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with TEST_DATABASE=postgresql")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    """A real uvicorn process serving the app on 127.0.0.1 against the test database."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hooks, no flushing, like a host losing power."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test", "BASE_URL": "https://encompass.test",
        "LOG_LEVEL": "WARNING", "API_RATE_PER_MINUTE": "1000000",
    }


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1, verify=TLS).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start in {timeout} s:\n{log_path.read_text(errors='replace')[-3000:]}")


def launch_server(database_url: str, log_dir: Path, *, workers: int = 1, port: int | None = None) -> RunningServer:
    port = port or free_port()
    log_path = log_dir / f"server-{port}-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "uvicorn", "service.main:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-access-log"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=server_environment(database_url), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = RunningServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        wait_until_up(server.url, process, log_path)
    except BaseException:
        server.kill()
        raise
    return server


@pytest.fixture
def start_server(engine, database_url, tmp_path) -> Iterator:
    """start_server(workers=1, port=None) -> RunningServer; every server still running is stopped after the test."""
    started: list[RunningServer] = []

    def start(*, workers: int = 1, port: int | None = None) -> RunningServer:
        started.append(launch_server(database_url, tmp_path, workers=workers, port=port))
        return started[-1]

    yield start
    for server in started:
        server.stop()
