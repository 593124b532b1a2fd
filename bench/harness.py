"""What every benchmark shares: throwaway databases, servers on loopback, latency statistics and printed tables."""

import functools
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

REGISTER_DIR = Path(os.environ.get("REGISTER_DIR", REPO_ROOT.parent / "shared" / "data" / "register"))
# Its own port, so a test run stopping the test server on 55432 cannot pull the database from under a benchmark.
BENCH_PG_PORT = int(os.environ.get("BENCH_PGPORT", "55442"))
BENCH_SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"


# --- Statistics and tables ------------------------------------------------------------------------------------------

def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the sample below which `fraction` of the samples fall."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict:
    """p50/p95/p99/max in milliseconds over the samples given in seconds."""
    return {
        "n": len(seconds),
        "p50_ms": percentile(seconds, 0.50) * 1000,
        "p95_ms": percentile(seconds, 0.95) * 1000,
        "p99_ms": percentile(seconds, 0.99) * 1000,
        "max_ms": max(seconds) * 1000 if seconds else float("nan"),
    }


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "-+-".join("-" * w for w in widths)
    print(f"\n{title}")
    print(" | ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    print(line)
    for row in cells:
        print(" | ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
    sys.stdout.flush()


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gib": memory_gib, "cpu": cpu, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


# --- Databases --------------------------------------------------------------------------------------------------

def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


class PostgresServer:
    """The throwaway server from scripts/postgres.sh (on the bench port), or one given by URL; fresh databases in it."""

    def __init__(self, admin_url: str | None = None):
        self.started_here = False
        if admin_url is None:
            admin_url = self._start()
        self.admin_url = admin_url
        self._created: list[str] = []

    def _start(self) -> str:
        env = dict(os.environ, PGPORT=str(BENCH_PG_PORT), PGDATA=f"/tmp/encompass-bench-pg-{BENCH_PG_PORT}")
        already = _port_open("127.0.0.1", BENCH_PG_PORT)
        result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "postgres.sh"), "start"], env=env, check=True,
                                capture_output=True, text=True)
        self.started_here = not already
        self._env = env
        return result.stdout.strip().splitlines()[-1]

    def version(self) -> str:
        engine = sa.create_engine(sqlalchemy_url(self.admin_url))
        with engine.connect() as connection:
            text = connection.execute(sa.text("SHOW server_version")).scalar_one()
        engine.dispose()
        return text

    def create_database(self, label: str) -> str:
        name = f"encompass_bench_{label}_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(sqlalchemy_url(self.admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop_databases(self) -> None:
        admin = sa.create_engine(sqlalchemy_url(self.admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self._created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        self._created.clear()

    def stop(self) -> None:
        self.drop_databases()
        if self.started_here:
            subprocess.run(["bash", str(REPO_ROOT / "scripts" / "postgres.sh"), "stop"], env=self._env, check=False)


@contextmanager
def postgres(admin_url: str | None = None):
    server = PostgresServer(admin_url)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def scratch_dir():
    path = Path(tempfile.mkdtemp(prefix="encompass-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def use_database(url: str) -> None:
    """Points this process's service settings at `url` (the CLI-style code paths read DATABASE_URL)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    os.environ["ENVIRONMENT"] = "development"
    from service.config import get_settings

    get_settings.cache_clear()


# --- Servers ----------------------------------------------------------------------------------------------------

def _port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    base_url: str
    pid: int
    popen: subprocess.Popen

    def peak_rss_mib(self) -> float | None:
        return read_status_kib(self.pid, "VmHWM") / 1024 if read_status_kib(self.pid, "VmHWM") else None

    def rss_mib(self) -> float | None:
        return read_status_kib(self.pid, "VmRSS") / 1024 if read_status_kib(self.pid, "VmRSS") else None


def read_status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def server_env(database_url: str) -> dict:
    return dict(
        os.environ, DATABASE_URL=database_url, SECRET_KEY=BENCH_SECRET_KEY, ENVIRONMENT="development",
        LOG_LEVEL="WARNING", API_RATE_PER_MINUTE="10000000", BASE_URL="http://127.0.0.1",
    )


@functools.cache
def _probe_tls():
    """One TLS context for the readiness probes: each httpx call would otherwise read the CA bundle (28 ms of CPU,
    ten times a second, taken from the server starting up)."""
    return httpx.create_ssl_context()


@contextmanager
def serve(command: list[str], database_url: str, *, health_path: str = "/healthz", log: Path | None = None,
          ready_timeout: float = 180.0):
    """Starts a web server as a child process on a free loopback port and stops it afterwards."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    log_handle = open(log, "w") if log else subprocess.DEVNULL
    popen = subprocess.Popen(argv, env=server_env(database_url), cwd=REPO_ROOT, stdout=log_handle, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if popen.poll() is not None:
                raise RuntimeError(f"server exited with {popen.returncode}: {' '.join(argv)}" + (f" (see {log})" if log else ""))
            try:
                if httpx.get(base_url + health_path, timeout=1.0, verify=_probe_tls()).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer {health_path} within {ready_timeout:.0f} s")
            time.sleep(0.1)
        yield RunningServer(base_url=base_url, pid=popen.pid, popen=popen)
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
        if log:
            log_handle.close()


def service_command(*, workers: int = 1) -> list[str]:
    """The production web process, `encompass serve --no-worker`, on the given port. Run as `python -m service.cli`
    from this checkout (cwd is REPO_ROOT), so a worktree measures its own code, not whichever checkout the venv's
    `encompass` script was installed from."""
    return [sys.executable, "-m", "service.cli", "serve", "--no-worker", "--host", "127.0.0.1", "--port", "{port}",
            "--workers", str(workers)]


def baseline_command() -> list[str]:
    return [sys.executable, "-m", "uvicorn", "baseline_app:app", "--app-dir", str(REPO_ROOT / "bench"), "--host", "127.0.0.1",
            "--port", "{port}", "--no-access-log", "--log-level", "warning"]


# --- Results ----------------------------------------------------------------------------------------------------

def write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def elapsed(start: float) -> float:
    return time.perf_counter() - start


# --- Load -------------------------------------------------------------------------------------------------------

@dataclass
class LoadRun:
    latencies: list[float]  # seconds, successful requests only
    statuses: dict[int, int]
    wall_s: float
    stopped_early: bool

    @property
    def succeeded(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @classmethod
    def combined(cls, runs: list["LoadRun"]) -> "LoadRun":
        statuses: dict[int, int] = {}
        for run in runs:
            for status, n in run.statuses.items():
                statuses[status] = statuses.get(status, 0) + n
        return cls([s for run in runs for s in run.latencies], statuses, sum(run.wall_s for run in runs),
                   any(run.stopped_early for run in runs))

    @property
    def per_second(self) -> float:
        return self.succeeded / self.wall_s if self.wall_s else float("nan")


def drive(base_url: str, path: str, requests: list[tuple[dict, bytes]], *, concurrency: int, time_limit_s: float) -> LoadRun:
    """POSTs every (headers, body) with `concurrency` clients on keep-alive connections; stops at the time limit."""
    import asyncio

    async def run() -> LoadRun:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        position = 0
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        started = time.perf_counter()
        deadline = started + time_limit_s
        stopped_early = False

        async def client(http: httpx.AsyncClient) -> None:
            nonlocal position, stopped_early
            while position < len(requests):
                if time.perf_counter() > deadline:
                    stopped_early = True
                    return
                headers, body = requests[position]
                position += 1
                sent = time.perf_counter()
                try:
                    response = await http.post(path, content=body, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                statuses[status] = statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    latencies.append(time.perf_counter() - sent)

        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as http:
            await asyncio.gather(*(client(http) for _ in range(concurrency)))
        return LoadRun(latencies, statuses, time.perf_counter() - started, stopped_early)

    return asyncio.run(run())
