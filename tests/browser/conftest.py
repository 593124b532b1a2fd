"""Real-browser fixtures: one uvicorn server and one Debian Chromium per run, a portal set up for every role, the axe scan.

The server is a separate process on the test database, so everything it must see is committed first. The populated
portal lives for the whole of tests/browser (one sign-in per role, not per test), so these tests do not use the
per-test `db` fixture: its clean-up would empty the tables under the other browser tests. The tables are emptied
once, when the last browser test has run.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from service.config import REPO_ROOT
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry, incident_body
from tests.reliability.conftest import launch_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct horse battery staple"

# Brimington Junior: the signed-in Key Adult's setting; Swanwick Primary: the keyboard journey's; Ashover: nobody onboarded.
AMBIGUOUS_NAME = "St Joseph's Catholic Primary"  # several Derbyshire and Derby settings match equally
ST_ANNES_BASLOW = "112800"
BOLSOVER_INFANT = "112511"  # ages 2 to 7; Ava, waiting to be placed, is 9


# ---------------------------------------------------------------- the server and the browser


@pytest.fixture(scope="session")
def live_server(engine, database_url, tmp_path_factory) -> Iterator[str]:
    """http://127.0.0.1:<port> of a real uvicorn process on the migrated test database.

    Plain http on a loopback address is enough: Chromium counts it as a secure context, so it keeps the `__Host-`
    Secure cookies exactly as production sends them, with no flag turned off for tests.
    """
    server = launch_server(database_url, tmp_path_factory.mktemp("portal-server"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`: CI uses the distribution's build)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# ---------------------------------------------------------------- the portal's people and notifications


@dataclass(frozen=True)
class Account:
    email: str
    totp_secret: str | None  # None: the authenticator app is set up at first sign-in

    def current_code(self) -> str:
        assert self.totp_secret, f"{self.email} has no authenticator app yet"
        return pyotp.TOTP(self.totp_secret).now()


@dataclass(frozen=True)
class PortalWorld:
    key_adult: Account  # Brimington Junior
    journey_key_adult: Account  # Swanwick Primary, first sign-in: sets up the authenticator app
    officer: Account  # Derbyshire (830)
    admin: Account
    waiting_for_code: Account  # signs in with a password only, to show the code page
    new_to_two_factor: Account  # signs in with a password only, to show the set-up page
    unread_id: str  # at Brimington Junior, not acknowledged
    acknowledged_id: str  # at Brimington Junior, acknowledged with one action
    journey_id: str  # at Swanwick Primary
    to_resolve_id: str  # in Derbyshire's "to be resolved" queue, with candidate settings
    invitation_path: str


def _child(reference: str, given_name: str, family_name: str, **overrides) -> dict:
    """A child police spoke to, so the pages carry the child's own words; no setting unless the test names one."""
    return child_entry(reference, given_name=given_name, family_name=family_name, urn=None,
                       child_voice="Said they were scared when the shouting started.", **overrides)


def _build_world(session) -> PortalWorld:
    from service.accounts import administration
    from service.accounts.models import LaMembership, SettingMembership, User
    from service.accounts.passwords import hash_password
    from service.accounts.service import sealed_totp_secret
    from service.alerts.models import OutboxMessage
    from service.audit.service import Actor
    from service.escalation.service import apply_ladder_step
    from service.keyadult import service as keyadult_service
    from service.localauthorities.service import load_config
    from service.notifications.intake import receive_incident
    from service.notifications.models import Notification
    from service.notifications.schemas import IncidentSubmission
    from service.police.service import AuthenticatedClient, create_client, upsert_force
    from sqlmodel import select

    load_config(session, REPO_ROOT / "config" / "east_midlands.toml")
    upsert_force(session, force_id="derbyshire", name="Derbyshire Constabulary", default_la_code="830", la_codes=["831"])
    issued = create_client(session, force_id="derbyshire", name="Derbyshire browser-test system")
    police = AuthenticatedClient(client_id=issued.client_id, force_id="derbyshire", scopes=frozenset({"incidents:write"}))

    password_hash = hash_password(PASSWORD)
    users: dict[str, User] = {}

    def person(name: str, kind: str, *, urns=(), role="key_adult", la_codes=(), two_factor=True) -> Account:
        secret = pyotp.random_base32() if two_factor else None
        user = User(email=f"{name}.{uuid.uuid4().hex[:6]}@example.gov.uk", display_name=name.replace("-", " ").title(), kind=kind,
                    password_hash=password_hash, totp_secret=sealed_totp_secret(secret) if secret else None)
        session.add(user)
        session.flush()
        session.add_all([SettingMembership(user_id=user.id, urn=urn, role=role) for urn in urns])
        session.add_all([LaMembership(user_id=user.id, la_code=code) for code in la_codes])
        users[name] = user
        return Account(user.email, secret)

    key_adult = person("sam-key-adult", "setting_staff", urns=[BRIMINGTON_JUNIOR])
    journey_key_adult = person("jo-key-adult", "setting_staff", urns=[SWANWICK_PRIMARY], two_factor=False)
    officer = person("priya-officer", "la_officer", la_codes=["830"])
    admin = person("alex-admin", "admin")
    waiting_for_code = person("dee-deputy", "setting_staff", urns=[BRIMINGTON_JUNIOR], role="deputy")
    new_to_two_factor = person("nat-new-deputy", "setting_staff", urns=[BRIMINGTON_JUNIOR], role="deputy", two_factor=False)
    session.commit()  # the Key Adults must exist before intake, or their settings count as not onboarded

    def receive(*children: dict, received_at: datetime) -> dict[str, str]:
        submission = IncidentSubmission.model_validate(incident_body(*children, occurred_at=received_at - timedelta(hours=8)))
        result = receive_incident(session, client=police, submission=submission, idempotency_key=None, now=received_at)
        return {n["child_reference"]: n["id"] for n in result.body["notifications"]}

    now = datetime.now(UTC)
    today = receive(
        _child("C1", "Ellie", "Brookes", setting_urn=BRIMINGTON_JUNIOR),
        _child("C2", "Noah", "Brookes", setting_urn=BRIMINGTON_JUNIOR),
        _child("C3", "Ruby", "Hale", setting_urn=SWANWICK_PRIMARY),
        _child("C4", "Mason", "Hale", education_status="missing_education"),
        _child("C5", "Ava", "Hale", setting_name=AMBIGUOUS_NAME),
        _child("C6", "Leo", "Hale", setting_urn=ASHOVER_PRIMARY),
        _child("C7", "Isla", "Hale", setting_urn=BRIMINGTON_JUNIOR),
        received_at=now - timedelta(minutes=30))
    earlier = receive(_child("C1", "Finley", "Ward", setting_urn=BRIMINGTON_JUNIOR), received_at=now - timedelta(days=6))
    # Key Adults, after intake, at the settings the officer sends Ava to: the name's candidates in Derbyshire, and the
    # register-search tests' St Anne's Baslow and Bolsover Infant (Ashover keeps nobody, for the refusal's page).
    candidates = session.get(Notification, today["C5"]).routing_candidates
    person("kim-key-adult", "setting_staff", urns=[c["urn"] for c in candidates if c["la_code"] == "830"]
           + [ST_ANNES_BASLOW, BOLSOVER_INFANT])

    key_adult_staff = keyadult_service.StaffMember(user_id=users["sam-key-adult"].id, urns=frozenset({BRIMINGTON_JUNIOR}))
    keyadult_service.acknowledge(session, staff=key_adult_staff, notification_id=today["C2"], now=now)
    keyadult_service.record_action(session, staff=key_adult_staff, notification_id=today["C2"], action="support_in_school",
                                   note="Daily check-in with the class teacher.", now=now)
    keyadult_service.record_action(session, staff=key_adult_staff, notification_id=today["C7"], action="not_on_roll",
                                   note="Left in July.", now=now)
    for _ in range(2):  # deputies alerted, then escalated to the LA
        apply_ladder_step(session, earlier["C1"], now=now, escalate_after=timedelta(hours=2))

    # One alert nobody could deliver, for the admin's failed-alerts page.
    undeliverable = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    undeliverable.state, undeliverable.attempts, undeliverable.last_error = "dead", 8, "550 mailbox unavailable"
    session.add(undeliverable)

    invitation = administration.invite_user(
        session, email=f"new-dsl.{uuid.uuid4().hex[:6]}@example.sch.uk", display_name="Robin New", kind="setting_staff", now=now,
        by=Actor(type="user", id=str(users["priya-officer"].id), source="portal"), urns=(SWANWICK_PRIMARY,), role="deputy")
    session.commit()
    return PortalWorld(
        key_adult=key_adult, journey_key_adult=journey_key_adult, officer=officer, admin=admin, waiting_for_code=waiting_for_code,
        new_to_two_factor=new_to_two_factor, unread_id=today["C1"], acknowledged_id=today["C2"], journey_id=today["C3"],
        to_resolve_id=today["C5"], invitation_path="/invitation/" + invitation.link.rsplit("/", 1)[1],
    )


@pytest.fixture(scope="package")
def portal_world(engine) -> Iterator[PortalWorld]:
    """The people and notifications every browser test shares, committed for the server to see.

    Package-scoped (tests/browser has an __init__.py), so even when pytest-xdist interleaves other tests with these,
    it is torn down before any other test runs and built again afterwards.
    """
    from sqlmodel import Session

    from tests.conftest import _empty_tables

    _empty_tables(engine)  # whatever earlier tests left behind would change what the pages show
    with Session(engine, expire_on_commit=False) as session:
        world = _build_world(session)
    yield world
    _empty_tables(engine)


# ---------------------------------------------------------------- signing in and pages


def sign_in(page, account: Account) -> None:
    """Email and password, then the current code from the account's authenticator secret, through the real pages."""
    page.goto("/sign-in")
    page.fill("#email", account.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/sign-in/two-factor"), f"{page.url}: {page.inner_text('main')[:500]}"
    page.fill("#code", account.current_code())
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert "/sign-in" not in page.url, f"{page.url}: {page.inner_text('main')[:500]}"


@pytest.fixture(scope="package")
def signed_in(browser, live_server, portal_world) -> Iterator[Callable[[str], object]]:
    """signed_in("key_adult" | "officer" | "admin") -> a browser context with that person signed in, once per run.

    Codes are single-use, so each account signs in only once; its context is then shared by the tests.
    """
    contexts = {}

    def context_for(role: str):
        if role not in contexts:
            context = browser.new_context(base_url=live_server)
            page = context.new_page()
            sign_in(page, getattr(portal_world, role))
            page.close()
            contexts[role] = context
        return contexts[role]

    yield context_for
    for context in contexts.values():
        context.close()


@pytest.fixture(scope="package")
def _signed_out_context(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server)
    yield context
    context.close()


@pytest.fixture
def signed_out(_signed_out_context) -> object:
    """A browser context with no cookies, as on a shared school computer after closing the browser."""
    _signed_out_context.clear_cookies()
    return _signed_out_context


@dataclass
class PageProblems:
    """What the browser complained about while a page was open: CSP refusals, script errors, files that failed to load."""

    console_errors: list[str]
    page_errors: list[str]
    failed_files: list[str]

    def assert_none(self) -> None:
        assert not self.console_errors, "the browser console reported errors:\n" + "\n".join(self.console_errors)
        assert not self.page_errors, "scripts on the page failed:\n" + "\n".join(self.page_errors)
        assert not self.failed_files, "files the page needs failed to load:\n" + "\n".join(self.failed_files)


def watch(page) -> PageProblems:
    problems = PageProblems([], [], [])

    def on_console(message) -> None:
        # Chromium logs every 4xx answer as "Failed to load resource", the page itself too (a 404 page is meant to be
        # one); the files the page needs are checked by status below instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.console_errors.append(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and not response.request.is_navigation_request():
            problems.failed_files.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", lambda request: problems.failed_files.append(f"{request.failure} {request.url}"))
    return problems


# ---------------------------------------------------------------- axe-core


def axe_violations(page) -> list[dict]:
    """Runs axe-core on the page for WCAG 2.0-2.2 A and AA; returns each violation with its id, help and nodes."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: scripts/setup.sh installs it with npm")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern; a <script> tag without the nonce
    # would rightly be refused.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    return page.evaluate(
        # resultTypes: only violations get full node details, which makes the run quicker.
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
           .then(result => result.violations.map(v => ({
             id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
             nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                       summary: n.failureSummary}))})))""",
        WCAG_TAGS,
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['id']}] ({violation['impact']}) {violation['help']} - {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html']}")
            lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_no_axe_violations(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{len(violations)} WCAG violation(s) on {page.url}:\n{describe_violations(violations)}"


# ---------------------------------------------------------------- the Key Adult's morning (tests/browser/test_keyadult_morning.py)

BAMFORD_PRIMARY = "112504"  # an open Derbyshire (830) primary nobody else's browser tests use


@dataclass(frozen=True)
class MorningWorld:
    """A Key Adult at Bamford Primary with a morning's mixed notifications, and a browser signed in as them."""

    key_adult: Account
    ids: dict[str, str]  # given name -> notification id
    waiting_order: tuple[str, ...]  # the given names of the waiting ones, most urgent first


@pytest.fixture(scope="package")
def morning_world(engine, portal_world) -> MorningWorld:
    """Built after portal_world (whose tear-down empties the tables) and on top of it, at a setting of its own."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from service.accounts.models import SettingMembership, User
    from service.accounts.passwords import hash_password
    from service.accounts.service import sealed_totp_secret
    from service.keyadult import service as keyadult_service
    from service.notifications.intake import receive_incident
    from service.notifications.models import Notification
    from service.notifications.schemas import IncidentSubmission
    from service.police.models import ApiClient
    from service.police.service import AuthenticatedClient

    with Session(engine, expire_on_commit=False) as session:
        client = session.exec(sa.select(ApiClient).where(ApiClient.force_id == "derbyshire")).scalars().first()
        police = AuthenticatedClient(client_id=client.id, force_id="derbyshire", scopes=frozenset({"incidents:write"}))
        secret = pyotp.random_base32()
        user = User(email=f"morning-dsl.{uuid.uuid4().hex[:6]}@example.sch.uk", display_name="Morgan Dsl", kind="setting_staff",
                    password_hash=hash_password(PASSWORD), totp_secret=sealed_totp_secret(secret))
        session.add(user)
        session.flush()
        session.add(SettingMembership(user_id=user.id, urn=BAMFORD_PRIMARY, role="key_adult"))
        session.commit()

        now = datetime.now(UTC)
        ids: dict[str, str] = {}

        def receive(*names: str, received_at: datetime, risk_level: str = "standard") -> None:
            children = [_child(f"C{i}", name, "Morningside", setting_urn=BAMFORD_PRIMARY) for i, name in enumerate(names, 1)]
            body = incident_body(*children, occurred_at=received_at - timedelta(hours=8), risk_level=risk_level)
            result = receive_incident(session, client=police, submission=IncidentSubmission.model_validate(body),
                                      idempotency_key=None, now=received_at)
            for name, notification in zip(names, result.body["notifications"], strict=True):
                ids.setdefault(name, notification["id"])

        receive("Ivy", received_at=now - timedelta(days=40))  # Ivy's earlier two: three in three months
        ids["Ivy-40"] = ids.pop("Ivy")
        receive("Ivy", received_at=now - timedelta(days=20))
        ids["Ivy-20"] = ids.pop("Ivy")
        receive("Dana", received_at=now - timedelta(days=2))
        receive("Ivy", received_at=now - timedelta(hours=20))
        receive("Finn", "Faye", received_at=now - timedelta(hours=3), risk_level="high")
        receive("Gail", received_at=now - timedelta(hours=2))
        receive("Hana", received_at=now - timedelta(hours=2), risk_level="high")
        receive("Olly", received_at=now - timedelta(hours=1))  # sent back at desktop width ...
        receive("Oona", received_at=now - timedelta(hours=1))  # ... and at phone width

        staff = keyadult_service.StaffMember(user_id=user.id, urns=frozenset({BAMFORD_PRIMARY}))
        for name in ("Ivy-40", "Ivy-20", "Dana", "Faye"):
            keyadult_service.acknowledge(session, staff=staff, notification_id=ids[name], now=now)
        soon = (now + timedelta(hours=2)).replace(microsecond=0)
        deadlines = {"Ivy": now - timedelta(hours=3), "Hana": soon, "Gail": soon, "Finn": now + timedelta(days=1),
                     "Olly": now + timedelta(days=3), "Oona": now + timedelta(days=4)}
        for name, deadline in deadlines.items():
            session.exec(sa.update(Notification).where(Notification.id == ids[name]).values(acknowledge_by=deadline))
        keyadult_service.open_notification(session, staff=staff, notification_id=ids["Gail"], now=now)  # Viewed
        session.commit()
    return MorningWorld(key_adult=Account(user.email, secret), ids=ids,
                        waiting_order=("Ivy", "Hana", "Gail", "Finn", "Olly", "Oona"))


@pytest.fixture(scope="package")
def morning_context(browser, live_server, morning_world) -> Iterator[object]:
    """A browser context signed in once as the Bamford Key Adult (codes are single use)."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    sign_in(page, morning_world.key_adult)
    page.close()
    yield context
    context.close()
