"""Checking an incident typed into the form or read from an extract with the API's own schema, worded for people."""

from dataclasses import dataclass

from pydantic import ValidationError

from service.notifications.schemas import IncidentSubmission, cross_field_problems

# Where a problem is: ("summary",) for the incident, ("children", 2, "given_name") for a child's field.
Location = tuple[str | int, ...]

FIELD_MESSAGES = {
    "police_reference": "Enter the police reference, in letters, numbers and / _ . : - only (up to 64 characters)",
    "occurred_at": "Enter when the incident happened as a real date and time, no more than a day from now",
    "risk_level": "Select the risk level: standard, medium, high or not assessed",
    "summary": "Enter the circumstances in 2,000 characters or fewer",
    "police_actions": "Give up to 20 police actions, each in 200 characters or fewer",
    "children": "Give at least 1 child and no more than 20 for one incident",
    "child_reference": "Enter the child's reference (up to 64 characters)",
    "given_name": "Enter the child's first name (up to 100 characters)",
    "family_name": "Enter the child's last name (up to 100 characters)",
    "date_of_birth": "Enter the child's date of birth as a real date",
    "upn": "Enter the UPN as a capital letter, 11 numbers and a last letter or number, or leave it blank",
    "home_la_code": "Enter the home LA as a 3-digit code, for example 830, or leave it blank",
    "home_postcode": "Enter a real postcode, for example S43 3BB, or leave it blank",
    "education_status": "Select the child's education",
    "setting_urn": "Enter the school's URN as 5 to 7 numbers, or leave it blank",
    "setting_name": "Enter the school's name in 200 characters or fewer, or leave it blank",
    "present_at_incident": "Say whether the child was present: yes, no, or leave it blank if not known",
    "spoken_to": "Say whether the child was spoken to: yes, no, or leave it blank if not known",
    "child_voice": "Enter what the child said in 2,000 characters or fewer",
}
FUTURE_MESSAGES = {
    "date_of_birth": "The date of birth must be today or in the past",
    "occurred_at": "The incident cannot be more than a day from now",
}
NUL_MESSAGE = "Remove the hidden control characters from this text"
DUPLICATE_CHILD = "Each child in one incident needs a different child reference"
BORN_AFTER = "The date of birth must be on or before the day of the incident"


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str


def _message(location: Location, error: dict) -> str:
    field = str(location[-1]) if location else ""
    text = str(error.get("msg", ""))
    if "NUL" in text:
        return NUL_MESSAGE
    if "future" in text and field in FUTURE_MESSAGES:
        return FUTURE_MESSAGES[field]
    return FIELD_MESSAGES.get(field, "Check this answer")


def _location(raw: tuple) -> Location:
    """The field a pydantic error is about: a list item's index inside police_actions is dropped."""
    if raw and raw[0] == "police_actions":
        return ("police_actions",)
    if len(raw) >= 3 and raw[0] == "children":
        return ("children", raw[1], raw[2])
    return tuple(raw[:1]) if raw else ()


def check_incident(body: dict) -> tuple[IncidentSubmission | None, list[Problem]]:
    """The API's validation of an incident body, field by field, then its cross-field rules. Pure."""
    try:
        submission = IncidentSubmission.model_validate(body)
    except ValidationError as error:
        problems: dict[Location, Problem] = {}
        for item in error.errors():
            location = _location(tuple(item["loc"]))
            problems.setdefault(location, Problem(location, _message(location, item)))
        return None, list(problems.values())
    problems = []
    for pointer, detail in cross_field_problems(submission):
        _, _, index, field = pointer.split("/")
        message = DUPLICATE_CHILD if field == "child_reference" else BORN_AFTER
        problems.append(Problem(("children", int(index), field), message))
    return (None, problems) if problems else (submission, [])
