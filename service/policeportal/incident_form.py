"""The notification form: posted fields to the API's incident body, and the API's problems back to field ids. Pure."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from service.notifications.schemas import IncidentSubmission
from service.policeportal.submission import Location, Problem, check_incident

LONDON = ZoneInfo("Europe/London")
MAX_CHILDREN = 20
CHILD_TEXT_FIELDS = ("child_reference", "given_name", "family_name", "upn", "home_la_code", "home_postcode",
                     "education_status", "setting_urn", "setting_name", "child_voice")
CHILD_YES_NO_FIELDS = ("present_at_incident", "spoken_to")
YES_NO = {"yes": True, "no": False}
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def child_field_id(index: int, name: str) -> str:
    return f"child-{index}-{name.replace('_', '-')}"


def field_id(location: Location) -> str:
    """The id of the input a problem is about, for the error summary's link and the message beside the field."""
    if location and location[0] == "children" and len(location) == 3:
        index, name = int(location[1]), str(location[2])
        return child_field_id(index, name) + ("-day" if name == "date_of_birth" else "")
    if location == ("occurred_at",):
        return "occurred-day"
    if location == ("children",):
        return "child-0-child-reference"
    return str(location[0]).replace("_", "-") if location else "police-reference"


def child_count(posted: Mapping[str, str]) -> int:
    try:
        count = int(posted.get("child_count", "1"))
    except ValueError:
        count = 1
    return max(1, min(MAX_CHILDREN, count))


def _iso_date(posted: Mapping[str, str], prefix: str) -> str | None:
    parts = [posted.get(f"{prefix}-{part}", "").strip() for part in ("year", "month", "day")]
    if not any(parts):
        return None
    year, month, day = parts
    if re.fullmatch(r"[0-9]{4}", year) and re.fullmatch(r"[0-9]{1,2}", month) and re.fullmatch(r"[0-9]{1,2}", day):
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return "-".join(parts)  # not a date: the schema refuses it with the field's message


def _occurred_at(posted: Mapping[str, str]) -> str | None:
    day = _iso_date(posted, "occurred")
    time_text = posted.get("occurred-time", "").strip()
    if day is None and not time_text:
        return None
    match = _TIME.match(time_text)
    try:
        when = datetime.fromisoformat(day or "")
        if match is None:
            raise ValueError
        local = when.replace(hour=int(match[1]), minute=int(match[2]), tzinfo=LONDON)
    except ValueError:
        return "not a date and time"
    return local.isoformat()


def _text(posted: Mapping[str, str], name: str) -> str | None:
    value = posted.get(name, "")
    return value if value.strip() else None


def incident_body(posted: Mapping[str, str]) -> dict:
    """The body the API would have been sent for these answers: blank optional answers are left out."""
    body: dict = {
        "police_reference": posted.get("police_reference", ""),
        "risk_level": posted.get("risk_level", ""),
        "summary": posted.get("summary", ""),
        "police_actions": [line.strip() for line in posted.get("police_actions", "").splitlines() if line.strip()],
        "children": [],
    }
    occurred = _occurred_at(posted)
    if occurred is not None:
        body["occurred_at"] = occurred
    for index in range(child_count(posted)):
        child: dict = {}
        for name in CHILD_TEXT_FIELDS:
            value = _text(posted, child_field_id(index, name))
            if value is not None:
                child[name] = value.strip().upper() if name in ("upn", "home_postcode") else value
        born = _iso_date(posted, child_field_id(index, "date_of_birth"))
        if born is not None:
            child["date_of_birth"] = born
        for name in CHILD_YES_NO_FIELDS:
            answer = posted.get(child_field_id(index, name), "")
            if answer in YES_NO:
                child[name] = YES_NO[answer]
        body["children"].append(child)
    return body


@dataclass(frozen=True)
class FormCheck:
    submission: IncidentSubmission | None
    errors: dict[str, str] = field(default_factory=dict)  # field id -> message, in the page's order


SUMMARY_NEEDED = "Enter what happened"
# The incident's fields after the summary, on the page as in the schema: a summary problem goes before theirs.
_AFTER_SUMMARY = ("police_actions", "children")


def check_form(posted: Mapping[str, str]) -> FormCheck:
    """The API's checks, and one of the form's own: the API takes a blank summary from a records system with none
    to give, but a person filling in the form is asked what happened, or the school's Key Adult learns nothing."""
    submission, problems = check_incident(incident_body(posted))
    if not posted.get("summary", "").strip() and not any(p.location == ("summary",) for p in problems):
        at = next((i for i, p in enumerate(problems) if p.location and p.location[0] in _AFTER_SUMMARY), len(problems))
        problems = [*problems[:at], Problem(("summary",), SUMMARY_NEEDED), *problems[at:]]
        submission = None
    return FormCheck(submission, errors_by_field(problems))


def errors_by_field(problems: list[Problem]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(field_id(problem.location), problem.message)
    return errors
