"""Police incident bodies for tests: the children police name, the incident around them, and the settings they attend."""

import uuid
from datetime import UTC, date, datetime, timedelta

BRIMINGTON_JUNIOR = "112517"  # open Derbyshire (830) junior school, ages 7-11
SWANWICK_PRIMARY = "112500"  # open Derbyshire (830) primary school, ages 4-11
ASHOVER_PRIMARY = "112501"  # open Derbyshire (830) primary school, ages 4-11


def dob(age: int) -> str:
    """The ISO date of birth of a child who is `age` today, well away from a birthday so the age cannot tip mid-run."""
    today = date.today()
    born = date(today.year - age, 1, 15) if today.month > 1 else date(today.year - age - 1, 6, 15)
    return born.isoformat()


def child_entry(reference: str = "C1", *, urn: str | None = BRIMINGTON_JUNIOR, given_name: str = "Ellie",
                family_name: str = "Brookes", age: int = 9, education_status: str = "attends_setting",
                **overrides) -> dict:
    """One child as police name them: by default a 9-year-old at Brimington Junior, present and not spoken to.

    `urn=None` names no setting; any other field of the police API (setting_name, child_voice, ...) goes in overrides.
    """
    entry = {
        "child_reference": reference, "given_name": given_name, "family_name": family_name, "date_of_birth": dob(age),
        "education_status": education_status, "home_la_code": "830", "present_at_incident": True, "spoken_to": False,
    }
    if urn is not None:
        entry["setting_urn"] = urn
    entry.update(overrides)
    return entry


def incident_body(*children: dict, reference: str | None = None, occurred_at: datetime | str | None = None,
                  risk_level: str = "medium", summary: str = "Argument between adults; police attended.",
                  police_actions: tuple[str, ...] | list[str] = ("DASH risk assessment completed",), **overrides) -> dict:
    """The body police post to /api/v1/incidents: a fresh reference, 8 hours ago, one child unless given others.

    `occurred_at` may be a string, so a test can send a time the API must refuse; overrides replace any field of the
    body as it is sent (`children=[]`, `police_reference=...`).
    """
    occurred_at = occurred_at or (datetime.now(UTC) - timedelta(hours=8)).replace(microsecond=0)
    body = {
        "police_reference": reference or f"DC-{uuid.uuid4().hex[:10]}",
        "occurred_at": occurred_at if isinstance(occurred_at, str) else occurred_at.isoformat(),
        "risk_level": risk_level, "summary": summary, "police_actions": list(police_actions),
        "children": list(children) or [child_entry()],
    }
    body.update(overrides)
    return body

