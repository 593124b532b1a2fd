"""Incident bodies and stored-row counts shared by the reliability tests."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

BRIMINGTON_JUNIOR = "112517"  # open Derbyshire (830) junior school, ages 7-11


def years_ago(age: int) -> str:
    """A date of birth that makes the child `age` today, well away from a birthday."""
    today = date.today()
    born = date(today.year - age, 1, 15) if today.month > 1 else date(today.year - age - 1, 6, 15)
    return born.isoformat()


def child_entry(reference: str = "C1", **overrides) -> dict:
    entry = {
        "child_reference": reference, "given_name": "Ellie", "family_name": "Brookes", "date_of_birth": years_ago(9),
        "education_status": "attends_setting", "setting_urn": BRIMINGTON_JUNIOR, "home_la_code": "830",
        "present_at_incident": True, "spoken_to": False,
    }
    entry.update(overrides)
    return entry


def incident_body(reference: str | None = None, *, children: list[dict] | None = None, **overrides) -> dict:
    body = {
        "police_reference": reference or f"DC-{uuid.uuid4().hex[:10]}",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=8)).replace(microsecond=0).isoformat(),
        "risk_level": "medium",
        "summary": "Argument between adults; police attended.",
        "police_actions": ["DASH completed"],
        "children": children if children is not None else [child_entry()],
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class StoredCounts:
    incidents: int
    notifications: int
    outbox: int
    idempotency: int


def stored_counts(engine) -> StoredCounts:
    """What is durably stored, read on a fresh connection so nothing in a test's session hides it."""
    with engine.connect() as connection:
        def count(table: str) -> int:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

        return StoredCounts(count("incident"), count("notification"), count("outbox_message"), count("idempotency_record"))
