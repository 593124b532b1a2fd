"""Demo data for the embedded default: register, LA configuration, forces, a police client, users and incidents."""

import hashlib
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select
from tqdm import tqdm

from service.accounts.models import LaMembership, PoliceStaffMembership, SettingMembership, User
from service.accounts.passwords import hash_password
from service.config import REPO_ROOT, get_settings
from service.db import get_engine, unit_of_work
from service.localauthorities.service import load_config
from service.migrations import upgrade_to_head
from service.police.models import ApiKey
from service.police.service import create_client, upsert_force
from service.register import service as register_service
from service.register.models import Setting

DEMO_API_KEY = "oe_demo00000001_derbyshire-demo-key-for-local-use-only"
DEMO_PASSWORD = "demo-password-please-change"
DEMO_FORCES = (
    ("derbyshire", "Derbyshire Constabulary", "830", ["831"]),
    ("nottinghamshire", "Nottinghamshire Police", "891", ["892"]),
    ("northamptonshire", "Northamptonshire Police", "928", []),
)
# (email, name, kind, urn, la code or force, role)
DEMO_USERS = (
    ("dsl@brimington-junior.example.sch.uk", "Alex Morgan (DSL)", "setting_staff", "112517", "key_adult"),
    ("deputy@brimington-junior.example.sch.uk", "Sam Patel (deputy DSL)", "setting_staff", "112517", "deputy"),
    ("dsl@brimington-manor-infant.example.sch.uk", "Jo Evans (DSL)", "setting_staff", "112518", "key_adult"),
    ("officer@derbyshire.example.gov.uk", "Chris Taylor (LA education officer)", "la_officer", "830", None),
    ("officer@derby.example.gov.uk", "Priya Shah (LA education officer)", "la_officer", "831", None),
    ("admin@encompass.example.gov.uk", "Service administrator", "admin", None, None),
    ("hub@derbyshire.police.example.uk", "Jordan Reid (Derbyshire safeguarding hub)", "police_staff", "derbyshire", None),
)


def ensure_demo_client(session: Session) -> str:
    """The fixed demo key, so the README's curl example works as written. Development only."""
    prefix = DEMO_API_KEY.split("_")[1]
    if session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first() is None:
        issued = create_client(session, force_id="derbyshire", name="Derbyshire demo system")
        key = session.exec(select(ApiKey).where(ApiKey.client_id == issued.client_id)).one()
        key.prefix, key.key_hash = prefix, hashlib.sha256(DEMO_API_KEY.encode()).hexdigest()
        session.add(key)
    return DEMO_API_KEY


def ensure_demo_users(session: Session) -> None:
    for email, name, kind, target, role in DEMO_USERS:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(email=email, display_name=name, kind=kind, password_hash=hash_password(DEMO_PASSWORD))
            session.add(user)
            session.flush()
        if kind == "setting_staff" and session.get(SettingMembership, (user.id, target)) is None:
            session.add(SettingMembership(user_id=user.id, urn=target, role=role))
        if kind == "la_officer" and session.get(LaMembership, (user.id, target)) is None:
            session.add(LaMembership(user_id=user.id, la_code=target))
        if kind == "police_staff" and session.get(PoliceStaffMembership, user.id) is None:
            session.add(PoliceStaffMembership(user_id=user.id, force_id=target))
    session.flush()


def set_up_demo(*, register_dir: Path | None = None, with_incidents: bool = True) -> str:
    settings = get_settings()
    if settings.environment == "production":
        raise ValueError("Demo data is refused in production.")
    upgrade_to_head(get_engine())
    register_dir = register_dir or settings.register_dir
    establishments, links = register_dir / "establishments.csv", register_dir / "links.csv"
    if not establishments.exists():
        raise ValueError(f"No register at {establishments}. Set REGISTER_DIR to the folder holding establishments.csv.")
    with unit_of_work() as session:
        already = session.exec(select(Setting.urn).limit(1)).first() is not None
    if not already:
        total = register_service.rows_to_import(establishments, links)
        with unit_of_work() as session, tqdm(total=total, unit="rows", desc="Importing register", file=sys.stderr) as bar:
            register_service.import_register(session, establishments=establishments, links=links, on_progress=bar.update)
    with unit_of_work() as session:
        load_config(session, REPO_ROOT / "config" / "east_midlands.toml")
        for force_id, name, default_la, others in DEMO_FORCES:
            upsert_force(session, force_id=force_id, name=name, default_la_code=default_la, la_codes=others)
        key = ensure_demo_client(session)
        ensure_demo_users(session)
    if with_incidents:
        with unit_of_work() as session:
            post_demo_incidents(session)
    return key


def post_demo_incidents(session: Session) -> int:
    """A morning's worth of notifications for the demo accounts, posted through the real intake path."""
    from service.notifications.intake import receive_incident
    from service.notifications.models import Incident
    from service.notifications.schemas import IncidentSubmission
    from service.police.service import authenticate

    client = authenticate(session, DEMO_API_KEY)
    if session.exec(select(Incident).where(Incident.force_id == "derbyshire")).first() is not None:
        return 0
    now = datetime.now(UTC)
    today = now.date()
    incidents = [
        {
            "police_reference": "DC-2026-000101", "occurred_at": (now - timedelta(hours=9)).isoformat(), "risk_level": "medium",
            "summary": "Verbal argument between adults escalated to damage to property. Police attended; one adult arrested.",
            "police_actions": ["Adult arrested", "DASH risk assessment completed"],
            "children": [
                {"child_reference": "C1", "given_name": "Ellie", "family_name": "Brookes", "date_of_birth": _birthday(today, 9),
                 "education_status": "attends_setting", "setting_name": "Brimington Junior", "home_la_code": "830",
                 "present_at_incident": True, "spoken_to": True, "child_voice": "Said she hid upstairs with her brother and was scared."},
                {"child_reference": "C2", "given_name": "Jack", "family_name": "Brookes", "date_of_birth": _birthday(today, 6),
                 "education_status": "attends_setting", "setting_urn": "112518", "home_la_code": "830",
                 "present_at_incident": True, "spoken_to": False},
            ],
        },
        {
            "police_reference": "DC-2026-000102", "occurred_at": (now - timedelta(hours=7)).isoformat(), "risk_level": "standard",
            "summary": "Neighbour reported shouting. Adults separated on police arrival. No injuries seen.",
            "children": [
                {"child_reference": "C1", "given_name": "Noah", "family_name": "Wilson", "date_of_birth": _birthday(today, 14),
                 "education_status": "elective_home_education", "home_la_code": "830", "present_at_incident": False},
                {"child_reference": "C2", "given_name": "Mia", "family_name": "Wilson", "date_of_birth": _birthday(today, 10),
                 "education_status": "attends_setting", "setting_name": "St Mary's", "home_la_code": "830", "present_at_incident": True},
            ],
        },
    ]
    for body in incidents:
        receive_incident(session, client=client, submission=IncidentSubmission.model_validate(body), idempotency_key=None)
    return len(incidents)


def _birthday(today: date, age: int) -> str:
    return today.replace(year=today.year - age, day=min(today.day, 28)).isoformat() if today.month != 2 else date(today.year - age, 1, 15).isoformat()


def cmd_demo(args) -> int:
    key = set_up_demo(with_incidents=not args.no_incidents)
    print("Demo data is ready.")
    print(f"  Police API key (Derbyshire demo system): {key}")
    print(f"  Portal accounts (password for each: {DEMO_PASSWORD}):")
    for email, name, *_ in DEMO_USERS:
        print(f"    {email:<48} {name}")
    print("  The first sign-in of each account sets up its authenticator app, as for a real user.")
    print("  No phone to hand? `encompass users totp-code --email <email>` prints the code (development only).")
    return 0


def register_commands(areas, area, command) -> None:
    demo = area("demo", "demonstration data for the embedded default")
    sub = command(demo, "load", cmd_demo, "migrate, import the register and create demo forces, accounts and incidents")
    sub.add_argument("--no-incidents", action="store_true", help="skip the sample incidents")
