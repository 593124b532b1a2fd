"""Test database built once per run by the migrations, on SQLite or PostgreSQL (TEST_DATABASE), emptied after each test.

Tests run the real app against the real database. Isolation is by emptying the tables a test wrote to, rather than a
rolled-back transaction, because several tests use real servers, threads and processes that need committed data.
"""

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
REGISTER_TABLES = {"setting", "setting_link", "register_import", "alembic_version"}


def _create_database(tmp_dir: Path) -> str:
    if BACKEND == "sqlite":
        return f"sqlite:///{tmp_dir / 'test.db'}"
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.exit("TEST_DATABASE=postgresql needs TEST_POSTGRES_URL (scripts/test.sh starts a server).", returncode=2)
    name = f"encompass_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(url: str) -> None:
    if BACKEND == "sqlite":
        return
    admin_url, name = os.environ["TEST_POSTGRES_URL"], url.rsplit("/", 1)[1]
    admin = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only", action="store_true",
        help="run only the tests whose result can depend on the database (scripts/test.sh's PostgreSQL run): "
             "tests that never open it, and the browser tests, already ran on SQLite in the same run")


def _needs_this_database(item) -> bool:
    """A test that uses the test database (directly, or through a server on it), or says it depends on which one
    runs (`database_aware`). Browser tests use it too, but what they check is what Chromium draws and reads: the
    queries behind each page run on both databases in the portal tests (tests/keyadult, tests/laworkspace, ...)."""
    if item.get_closest_marker("browser"):
        return False
    return "database_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker("database_aware") is not None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    if config.getoption("--database-tests-only"):
        kept = [item for item in items if _needs_this_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if not _needs_this_database(item)])
        items[:] = kept


# Files whose tests are one page each at one screen width, and share nothing but package fixtures every worker
# builds anyway: the browser pass (--dist loadfile) sends out each width's tests as a unit of its own, so the longest
# file is not one worker's alone. Measured: test_accessibility.py (97 tests, 136 s) on one worker while the other
# ran the six other files in 113 s and then waited.
SPLIT_BY_WIDTH = ("tests/browser/test_accessibility.py",)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: a run without xdist (-p no:xdist) does not know it
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesAndWidths(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            width = nodeid.rsplit("-", 1)[-1] if nodeid.endswith(("-desktop]", "-phone]")) else None
            return f"{scope}[{width}" if scope in SPLIT_BY_WIDTH and width else scope

    return FilesAndWidths(config, log)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url = _create_database(tmp_path_factory.mktemp("db"))
    os.environ["DATABASE_URL"] = url
    os.environ["ENVIRONMENT"] = "test"
    os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    os.environ["BASE_URL"] = "https://encompass.test"
    from service.config import get_settings

    get_settings.cache_clear()
    yield url
    from service.db import engine_for

    engine_for(url).dispose()
    _drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    """The migrated test database with the whole register imported once."""
    from service.db import engine_for
    from service.migrations import upgrade_to_head
    from service.register import service as register_service
    from service.config import get_settings
    from sqlmodel import Session

    engine = engine_for(database_url)
    upgrade_to_head(engine)
    register_dir = get_settings().register_dir
    with Session(engine) as session:
        register_service.import_register(
            session, establishments=register_dir / "establishments.csv", links=register_dir / "links.csv"
        )
        session.commit()
    return engine


def _emptied_tables(engine) -> list[sa.Table]:
    """Every table the tests write to (all but the register), children before their parents."""
    from sqlmodel import SQLModel

    import service.models  # noqa: F401

    return [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in REGISTER_TABLES]


_DIRTY_PROBES: dict[str, sa.TextClause] = {}


def _dirty_probe(engine) -> sa.TextClause:
    """One query naming each table that has rows, or (PostgreSQL) whose id sequence has been used since the last reset.

    A test touches a handful of the tables, so clean-up empties only those: one round trip to find them instead of
    truncating all twenty (TRUNCATE rewrites every table's files, about 70 ms a test on PostgreSQL, more under load).
    """
    key = str(engine.url)
    if key not in _DIRTY_PROBES:
        sequences: dict[str, str] = {}
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                sequences = dict(connection.execute(sa.text(
                    "SELECT t.relname, s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                    "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i')")).all())
        probes = []
        for table in _emptied_tables(engine):
            used = f' OR (SELECT is_called FROM "{sequences[table.name]}")' if table.name in sequences else ""
            probes.append(f"SELECT '{table.name}' AS name WHERE EXISTS (SELECT 1 FROM \"{table.name}\"){used}")
        _DIRTY_PROBES[key] = sa.text(" UNION ALL ".join(probes))
    return _DIRTY_PROBES[key]


def _empty_tables(engine) -> None:
    """Empties every table but the register, as if new (ids start again at 1), whoever wrote to it: this process,
    a server process or a thread."""
    with engine.begin() as connection:
        dirty = set(connection.execute(_dirty_probe(engine)).scalars())
        tables = [t for t in _emptied_tables(engine) if t.name in dirty]
        if not tables:
            return
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def db(engine):
    """A session on the test database; every table but the register is emptied after the test."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session
    _empty_tables(engine)


_BUILT_APP: list = [None, None, 0]  # [the settings it was built with, the app, how many routes it had]


@pytest.fixture
def app(db):
    """The service's app, built once for as long as the settings stay the same object: a test that changes them
    (environment, then `get_settings.cache_clear()`) gets a new one, and so does the test after one that added
    routes. Building is cheap, but each new app works out its routes again on its first request, about a tenth of a
    portal test's time."""
    from service.config import get_settings
    from service.main import create_app

    settings = get_settings()
    if _BUILT_APP[0] is not settings:
        built = create_app()
        _BUILT_APP[:] = [settings, built, len(built.router.routes)]
    app = _BUILT_APP[1]
    yield app
    app.dependency_overrides.clear()
    if len(app.router.routes) != _BUILT_APP[2]:
        _BUILT_APP[:] = [None, None, 0]


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://encompass.test") as test_client:
        yield test_client


@pytest.fixture
def forces(db):
    """Two forces for scope tests: Derbyshire (830, 831) and Nottinghamshire (891, 892), with East Midlands LA config."""
    from service.config import REPO_ROOT
    from service.localauthorities.service import load_config
    from service.police.service import upsert_force
    from tests.school_holidays import term_time_all_year

    load_config(db, REPO_ROOT / "config" / "east_midlands.toml")
    term_time_all_year(db)
    upsert_force(db, force_id="derbyshire", name="Derbyshire Constabulary", default_la_code="830", la_codes=["831"])
    upsert_force(db, force_id="nottinghamshire", name="Nottinghamshire Police", default_la_code="891", la_codes=["892"])
    db.commit()
    return ("derbyshire", "nottinghamshire")


@pytest.fixture
def police_key(db, forces):
    """A bearer key for force A (Derbyshire) with both scopes."""
    from service.police.service import create_client

    issued = create_client(db, force_id="derbyshire", name="Derbyshire test system")
    db.commit()
    return issued.key


@pytest.fixture
def other_force_key(db, forces):
    """A bearer key for force B (Nottinghamshire)."""
    from service.police.service import create_client

    issued = create_client(db, force_id="nottinghamshire", name="Nottinghamshire test system")
    db.commit()
    return issued.key


@pytest.fixture
def post_incident(client, police_key, db, request):
    """post_incident(*children, force="derbyshire", reference=..., occurred_at=..., ...) -> the notifications as the
    police API answered; the options are tests.builders.incident_body's."""
    from tests.builders import incident_body

    def post(*children: dict, force: str = "derbyshire", **body_options) -> list[dict]:
        # Only a cross-force test pays for a second force's key.
        key = police_key if force == "derbyshire" else request.getfixturevalue("other_force_key")
        response = client.post("/api/v1/incidents", json=incident_body(*children, **body_options),
                               headers={"Authorization": f"Bearer {key}"})
        assert response.status_code in (200, 201), response.text
        db.expire_all()
        return response.json()["notifications"]

    return post


@pytest.fixture
def onboard(db):
    """Give a setting an active Key Adult (one with a password, who can sign in), so notifications route to it
    rather than to the LA."""
    from service.accounts.models import SettingMembership, User

    def make(urn: str, *, role: str = "key_adult", email: str | None = None) -> User:
        user = User(email=email or f"{role}.{urn}.{uuid.uuid4().hex[:6]}@example.sch.uk", display_name=f"{role} {urn}",
                    kind="setting_staff", password_hash=_portal_password_hash())
        db.add(user)
        db.flush()
        db.add(SettingMembership(user_id=user.id, urn=urn, role=role))
        db.commit()
        return user

    return make


# --- Portal: accounts, signing in, and checks every page should pass ---------------------------------------------

PORTAL_PASSWORD = "correct horse battery staple"


@functools.cache
def _portal_password_hash() -> str:
    """PORTAL_PASSWORD's argon2 hash, made once a process: argon2 is slow on purpose, and a hash records its own cost."""
    from service.accounts.passwords import hash_password

    return hash_password(PORTAL_PASSWORD)


@pytest.fixture
def make_user(db):
    """make_user(kind, urns=..., role=..., la_codes=...) -> User with password PORTAL_PASSWORD and a TOTP secret set up."""
    import pyotp

    from service.accounts.models import LaMembership, SettingMembership, User
    from service.accounts.service import sealed_totp_secret

    password_hash = _portal_password_hash()

    def make(kind: str = "setting_staff", *, urns=(), role: str = "key_adult", la_codes=(), email: str | None = None,
             display_name: str | None = None, two_factor: bool = True, is_active: bool = True) -> User:
        user = User(email=email or f"{kind}.{uuid.uuid4().hex[:8]}@example.gov.uk", display_name=display_name or f"Test {kind}",
                    kind=kind, password_hash=password_hash, totp_secret=sealed_totp_secret(pyotp.random_base32()) if two_factor else None,
                    is_active=is_active)
        db.add(user)
        db.flush()
        for urn in urns:
            db.add(SettingMembership(user_id=user.id, urn=urn, role=role))
        for code in la_codes:
            db.add(LaMembership(user_id=user.id, la_code=code))
        db.commit()
        return user

    return make


def csrf_token_in(html: str) -> str:
    from bs4 import BeautifulSoup

    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None, "no CSRF input on the page"
    return field["value"]


@pytest.fixture
def csrf_from():
    """csrf_from(response) -> the CSRF token of the (first) form on that page."""
    return lambda response: csrf_token_in(response.text)


def _unused_code(db, user) -> str:
    """A valid code the user has not used yet (codes are single-use), even when a test signs in twice in 30 seconds."""
    import pyotp

    from service.accounts.models import User
    from service.accounts.service import totp_secret_of
    from service.db import utcnow

    db.expire_all()
    last = db.get(User, user.id).totp_last_step
    now = int(utcnow().timestamp()) // 30
    # The current step first: a code from the step before can expire between choosing it and the server checking it.
    step = next((s for s in (now, now + 1, now - 1) if last is None or s > last), None)
    assert step is not None, "three sign-ins within a minute for one user: use another user"
    return pyotp.TOTP(totp_secret_of(user)).at(step * 30)


@pytest.fixture
def sign_in(db):
    """sign_in(client, user): password then TOTP code, through the real pages; leaves the client signed in."""

    def do(client, user, *, password: str = PORTAL_PASSWORD) -> None:
        page = client.get("/sign-in")
        response = client.post("/sign-in", data={"email": user.email, "password": password, "csrf_token": csrf_token_in(page.text)},
                               follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/sign-in/two-factor", response.text[:500]
        page = client.get("/sign-in/two-factor")
        response = client.post("/sign-in/two-factor", data={"code": _unused_code(db, user), "csrf_token": csrf_token_in(page.text)},
                               follow_redirects=False)
        assert response.status_code == 303, response.text[:500]

    return do


@pytest.fixture
def check_page():
    """check_page(response) -> BeautifulSoup, after asserting what every portal page owes its users:
    a GOV.UK-style <title> (for a service not on GOV.UK), one <h1>, unique ids, a CSRF input in every POST form, and labels for every field."""
    from bs4 import BeautifulSoup

    def check(response):
        soup = BeautifulSoup(response.text, "html.parser")
        title = soup.find("title")
        # "– GOV.UK" follows only when the service is on GOV.UK (SERVICE_ON_GOVUK), which tests/web checks both ways.
        assert title is not None and title.get_text(strip=True).endswith("– Operation Encompass"), title
        assert len(soup.find_all("h1")) == 1, "a page has exactly one h1"
        ids = [tag["id"] for tag in soup.find_all(id=True)]
        assert len(ids) == len(set(ids)), f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}"
        for form in soup.find_all("form"):
            if form.get("method", "get").lower() == "post":
                assert form.find("input", attrs={"name": "csrf_token", "type": "hidden"}), f"POST form without CSRF: {form.get('action')}"
        for field in soup.find_all(["input", "select", "textarea"]):
            if field.get("type") in ("hidden", "submit", "button"):
                continue
            assert field.get("id") and soup.find("label", attrs={"for": field["id"]}), f"field without a label: {field}"
        assert soup.find("a", class_="govuk-skip-link", href="#main-content"), "skip link"
        return soup

    return check


@pytest.fixture
def fresh_engine(tmp_path, database_url):
    """An engine on a new, empty database beside the shared one (a file on SQLite, a throwaway database on PostgreSQL)."""
    url = _create_database(tmp_path)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()
    _drop_database(url)


@pytest.fixture
def encryption_keys():
    """Sets ENCRYPTION_KEYS for the service as an operator would, and puts the test run's settings back after."""
    from service.config import get_settings

    before = os.environ.get("ENCRYPTION_KEYS")

    def use(*keys: str) -> None:
        os.environ["ENCRYPTION_KEYS"] = ",".join(keys)
        get_settings.cache_clear()

    yield use
    if before is None:
        os.environ.pop("ENCRYPTION_KEYS", None)
    else:
        os.environ["ENCRYPTION_KEYS"] = before
    get_settings.cache_clear()
