"""The police API v1 contract: request and response bodies (keep stable: agreed with police partners)."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from service.notifications.models import WITHDRAWAL_REASONS
from service.routing import EDUCATION_STATUSES

RiskLevel = Literal["standard", "medium", "high", "not_assessed"]
EducationStatus = Literal[EDUCATION_STATUSES]  # type: ignore[valid-type]
# Surrounding whitespace is stripped, so a required text must hold something else: the pattern says so in OpenAPI.
# Python also strips \x1c-\x1f and \x85 (NEL), which ECMA-262 regexes (as OpenAPI clients read them)
# do not count as \s, hence the explicit characters.
HAS_TEXT = r"[^\s\x1c-\x1f\x85]"
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=HAS_TEXT)]
LaCode = Annotated[str, StringConstraints(pattern=r"^\d{3}$")]


def _iso_text(pattern: str, expected: str):
    """Dates only as ISO 8601 text: pydantic would otherwise read 0 or "1420070400" as a Unix time."""
    def check(value: object) -> object:
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise ValueError(f"Give {expected}.")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _iso_text(r"\d{4}-\d{2}-\d{2}", "a date as YYYY-MM-DD")]
IsoDateTime = Annotated[AwareDatetime, _iso_text(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*", "a date and time in ISO 8601 with an offset")]


def refuse_nul(value: object) -> object:
    """PostgreSQL cannot store NUL in text, so a NUL anywhere is refused up front as a field error, never a 500."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise ValueError("Text must not contain NUL (U+0000) characters.")
    return value


class OtherSetting(BaseModel):
    """Another setting the child attends (dual registration, a college part of the week): a URN, a name, or both."""

    # At least one of the two, as text: said in the schema too, so clients (and fuzzers) know {} is refused.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["setting_urn"], "properties": {"setting_urn": {"type": "string"}}},
        {"required": ["setting_name"], "properties": {"setting_name": {"type": "string"}}}]})
    _no_nul = field_validator("*", mode="before")(refuse_nul)

    setting_urn: Annotated[str, StringConstraints(pattern=r"^\d{5,7}$")] | None = None
    setting_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=HAS_TEXT)] | None = None

    @model_validator(mode="after")
    def names_a_setting(self) -> "OtherSetting":
        if self.setting_urn is None and self.setting_name is None:
            raise ValueError("Give setting_urn, setting_name or both.")
        return self


class ChildSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    _no_nul = field_validator("*", mode="before")(refuse_nul)

    child_reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=HAS_TEXT)]
    given_name: Name
    family_name: Name
    date_of_birth: IsoDate
    upn: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{11}[0-9A-Z]$")] | None = None
    home_la_code: LaCode | None = None
    home_postcode: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$")] | None = None
    education_status: EducationStatus
    setting_urn: Annotated[str, StringConstraints(pattern=r"^\d{5,7}$")] | None = None
    setting_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=HAS_TEXT)] | None = None
    present_at_incident: StrictBool | None = None  # not 0, "no" or "false": a yes/no must be said as one
    spoken_to: StrictBool | None = None
    child_voice: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    other_settings: list[OtherSetting] = Field(
        default_factory=list, max_length=3,
        description="Other settings the child attends (optional, up to 3). Each becomes its own notification, routed "
                    "by the same rules, with its own owner, deadline and acknowledgement; two that resolve to the same "
                    "setting are merged, with the reason in the receipt.")

    @field_validator("date_of_birth")
    @classmethod
    def not_in_future(cls, value: date) -> date:
        if value > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError("Date of birth is in the future.")
        return value


class IncidentSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    _no_nul = field_validator("*", mode="before")(refuse_nul)

    police_reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.:-]*$")]
    occurred_at: IsoDateTime
    risk_level: RiskLevel
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
    police_actions: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=HAS_TEXT)]] = Field(default_factory=list, max_length=20)
    children: list[ChildSubmission] = Field(min_length=1, max_length=20)

    @field_validator("occurred_at")
    @classmethod
    def not_more_than_a_day_ahead(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + timedelta(days=1):
            raise ValueError("occurred_at is more than a day in the future.")
        return value


def cross_field_problems(submission: IncidentSubmission) -> list[tuple[str, str]]:
    """(pointer, detail) for rules spanning fields, so each error points at the child it is about."""
    problems = []
    seen: set[str] = set()
    for position, child in enumerate(submission.children):
        if child.child_reference in seen:
            problems.append((f"/children/{position}/child_reference", "child_reference must be unique within the incident."))
        seen.add(child.child_reference)
        if child.date_of_birth > submission.occurred_at.date():
            problems.append((f"/children/{position}/date_of_birth", "Date of birth is after the incident."))
    return problems


class RoutingOut(BaseModel):
    outcome: Literal["setting", "local_authority", "not_routed"]
    urn: str | None
    la_code: str | None
    method: str
    reason: str


class MergedHint(BaseModel):
    other_setting: int = Field(description="Index into the child's other_settings.")
    reason: str


class NotificationReceipt(BaseModel):
    id: str
    child_reference: str
    status: str
    acknowledge_by: datetime | None
    routing: RoutingOut
    other_setting: int | None = Field(
        default=None, description="Null for the child's main setting; else the index into their other_settings.")
    merged: list[MergedHint] = Field(
        default_factory=list, description="Other settings that resolved to this same setting, merged into this one.")


class IncidentReceipt(BaseModel):
    incident_id: str
    version: int
    notifications: list[NotificationReceipt]


class OwnerOut(BaseModel):
    kind: Literal["setting", "local_authority"]
    urn: str | None
    la_code: str | None


class EarlierOwner(BaseModel):
    """An owner that held the notification before a hand-over, with the times of its own time as owner."""

    owner: OwnerOut
    from_: datetime = Field(alias="from")
    until: datetime
    handed_over_because: Literal["sent_back", "rerouted", "onboarded"]
    acknowledge_by: datetime | None
    sent_at: datetime | None = None
    delivered_at: datetime | None
    first_viewed_at: datetime | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    key_adult_not_reached_at: datetime | None = Field(default=None, description=(
        "When GOV.UK Notify said the email to one of this owner's Key Adults could never arrive (the address does not "
        "exist or refuses mail), so the setting's deputies and the local authority were told at once."))


ReadBackStatus = Literal["received", "sent", "delivered", "viewed", "acknowledged", "escalated", "rerouted", "closed",
                         "withdrawn"]


class NotificationStatus(BaseModel):
    id: str
    incident_id: str
    police_reference: str
    child_reference: str
    other_setting: int | None = Field(
        default=None, description="Null for the child's main setting; else the index into their other_settings.")
    status: ReadBackStatus = Field(description=(
        "`sent`: GOV.UK Notify accepted the owner's email but no receipt has said it arrived. `delivered`: a receipt "
        "said it arrived, or the owner's webhook answered 2xx. `withdrawn`: police withdrew it."))
    superseded: bool
    routing: RoutingOut
    received_at: datetime
    acknowledge_by: datetime | None
    sent_at: datetime | None = None
    delivered_at: datetime | None
    first_viewed_at: datetime | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    key_adult_not_reached_at: datetime | None = Field(default=None, description=(
        "When GOV.UK Notify said the email to one of this owner's Key Adults could never arrive (the address does not "
        "exist or refuses mail), so the setting's deputies and the local authority were told at once."))
    closed_at: datetime | None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    owner: OwnerOut | None = Field(description="Who holds it now; the times above are this owner's.")
    owner_since: datetime | None
    earlier_owners: list[EarlierOwner] = Field(
        default_factory=list, description="Owners before a hand-over (send-back, re-route, onboarding), oldest first.")


WithdrawalReason = Literal[WITHDRAWAL_REASONS]  # type: ignore[valid-type]


class WithdrawalRequest(BaseModel):
    """Why police withdraw it, as a code; `note` is optional and is purged with the child's details."""

    model_config = ConfigDict(extra="forbid")
    _no_nul = field_validator("*", mode="before")(refuse_nul)

    reason: WithdrawalReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class WithdrawnNotification(BaseModel):
    id: str
    child_reference: str
    setting_position: int
    status: ReadBackStatus
    withdrawn_at: datetime | None
    withdrawal_reason: str | None


class WithdrawalReceipt(BaseModel):
    incident_id: str
    police_reference: str
    notifications: list[WithdrawnNotification]
