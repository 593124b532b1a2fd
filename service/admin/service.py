"""What the admin's outbox and audit-export pages show and accept: outbox counts, dead letters, the export date range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from service.alerts import service as alerts_service
from service.alerts.models import OUTBOX_STATES, OutboxMessage
from service.audit.export import export_audit_csv
from service.audit.service import Actor
from service.dates import london_days
from service.wording import short_day_at_time

DEAD_LETTERS_SHOWN = 200
# A year and a day, so "1 January to 1 January next year" still fits; longer exports belong to the CLI.
LONGEST_EXPORT_DAYS = 366
DEFAULT_EXPORT_DAYS = 7

# Who an alert was for, by kind and reference. Deliberately never the email address the reference leads to.
AUDIENCE_LABELS = {
    "setting": "Setting's Key Adults and deputies",
    "setting_deputies": "Setting's deputies",
    "local_authority": "Local authority officers",
    "user": "One person",
    "la_team": "Local authority team mailbox",
    "webhook": "Setting's webhook",
    "reset_request": "Password reset request",
}
AUDIENCE_REF_LABELS = {
    "setting": "URN", "setting_deputies": "URN", "webhook": "URN",
    "local_authority": "LA code", "la_team": "LA code", "user": "User id", "reset_request": "User id",
}
TEMPLATE_LABELS = {"notification_waiting": "A notification is waiting",
                   "notification_withdrawn": "Police withdrew a notification",
                   "key_adult_not_reached": "A Key Adult could not be reached"}
# What GOV.UK Notify's delivery receipt said, for an email it accepted but could not deliver.
RECEIPT_LABELS = {"permanent-failure": "Address does not exist or refuses email",
                  "temporary-failure": "Inbox full or not accepting email for now",
                  "technical-failure": "GOV.UK Notify could not send it"}
NOT_DELIVERED_SHOWN = 200


@dataclass(frozen=True)
class DeadLetter:
    """One alert nobody received, as the outbox page lists it."""

    id: int
    template: str
    audience: str
    audience_ref: str
    attempts: int
    last_error: str
    created_at: datetime

    @property
    def template_label(self) -> str:
        return TEMPLATE_LABELS.get(self.template, self.template)

    @property
    def audience_label(self) -> str:
        return AUDIENCE_LABELS.get(self.audience, self.audience)

    @property
    def created_text(self) -> str:
        return short_day_at_time(self.created_at)  # Europe/London, e.g. '24 November 2026 at 10:00am'

    @property
    def audience_ref_label(self) -> str:
        return f"{AUDIENCE_REF_LABELS.get(self.audience, 'Reference')} {self.audience_ref}".strip()


@dataclass(frozen=True)
class NotDelivered:
    """An email Notify accepted and then reported it could not deliver."""

    id: int
    template: str
    audience: str
    audience_ref: str
    receipt_status: str
    receipt_at: datetime | None

    @property
    def template_label(self) -> str:
        return TEMPLATE_LABELS.get(self.template, self.template)

    @property
    def receipt_label(self) -> str:
        return RECEIPT_LABELS.get(self.receipt_status, self.receipt_status)

    @property
    def audience_ref_label(self) -> str:
        return f"{AUDIENCE_REF_LABELS.get(self.audience, 'Reference')} {self.audience_ref}".strip()

    @property
    def receipt_text(self) -> str:
        return short_day_at_time(self.receipt_at) if self.receipt_at else "Not recorded"


@dataclass(frozen=True)
class OutboxOverview:
    counts: Mapping[str, int]  # every state in OUTBOX_STATES, zero included
    dead_letters: list[DeadLetter]
    not_delivered: list[NotDelivered] = field(default_factory=list)  # newest first

    @property
    def dead_letters_not_shown(self) -> int:
        return max(0, self.counts.get("dead", 0) - len(self.dead_letters))


def outbox_overview(session: Session, *, limit: int = DEAD_LETTERS_SHOWN) -> OutboxOverview:
    """How many alerts are in each state, and the oldest dead letters for an admin to send again."""
    rows = session.exec(select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state))
    found = dict(rows.all())
    counts = {state: int(found.get(state, 0)) for state in OUTBOX_STATES}
    dead = [
        DeadLetter(id=m.id, template=m.template, audience=m.audience, audience_ref=m.audience_ref, attempts=m.attempts,
                   last_error=m.last_error or "", created_at=m.created_at)
        for m in alerts_service.list_dead_letters(session, limit=limit)
    ]
    failed = session.exec(select(OutboxMessage).where(OutboxMessage.receipt_status.in_(tuple(RECEIPT_LABELS)))
                          .order_by(OutboxMessage.receipt_at.desc(), OutboxMessage.id.desc()).limit(NOT_DELIVERED_SHOWN))
    not_delivered = [NotDelivered(id=m.id, template=m.template, audience=m.audience, audience_ref=m.audience_ref,
                                  receipt_status=m.receipt_status, receipt_at=m.receipt_at) for m in failed]
    return OutboxOverview(counts=counts, dead_letters=dead, not_delivered=not_delivered)


def send_again(session: Session, message_id: int, actor: Actor) -> str | None:
    """Puts one dead letter back in the queue (audited by the alerts service). None when it is, else why not."""
    message = session.get(OutboxMessage, message_id)
    if message is not None and message.state == "dead" and alerts_service.link_was_blanked(message):
        return (f"Alert {message_id} held a one-time link, removed when it failed. Send a new invitation or offer, or "
                "ask the person to reset their password again.")
    try:
        alerts_service.retry_dead_letter(session, message_id, actor)
    except ValueError:
        return f"Alert {message_id} is no longer in the failed list. Someone may have sent it again already."
    return None


def send_all_again(session: Session, actor: Actor) -> int:
    return alerts_service.retry_all_dead_letters(session, actor)


# ---------------------------------------------------------------- the audit export's date range

DATE_PARTS = ("day", "month", "year")
DATE_FIELDS = {"from": "start date", "to": "end date"}


@dataclass(frozen=True)
class ExportRange:
    """Whole days in Europe/London, both ends included."""

    first_day: date
    last_day: date

    def utc_bounds(self) -> tuple[datetime, datetime]:
        return london_days(self.first_day, self.last_day)

    @property
    def filename(self) -> str:
        return f"audit-{self.first_day.isoformat()}-to-{self.last_day.isoformat()}.csv"


@dataclass(frozen=True)
class ExportForm:
    """The date fields as typed, and what is wrong with them: {field id: message} in page order."""

    values: Mapping[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    wrong_fields: frozenset[str] = frozenset()  # every part to outline in red, e.g. {"to-day", "to-month", "to-year"}
    export_range: ExportRange | None = None


def default_export_form(today: date) -> ExportForm:
    first = today - timedelta(days=DEFAULT_EXPORT_DAYS - 1)
    values = {}
    for name, day in (("from", first), ("to", today)):
        values.update({f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)})
    return ExportForm(values=values)


def _read_date(form: Mapping[str, str], name: str) -> tuple[date | None, str | None, list[str]]:
    """(the date, or an error message and the parts it concerns), GOV.UK date input rules."""
    what = DATE_FIELDS[name]
    parts = {part: (form.get(f"{name}-{part}") or "").strip() for part in DATE_PARTS}
    every = [f"{name}-{part}" for part in DATE_PARTS]
    missing = [part for part in DATE_PARTS if not parts[part]]
    if len(missing) == 3:
        return None, f"Enter the {what}", every
    if missing:
        return None, f"The {what} must include a {' and a '.join(missing)}", [f"{name}-{part}" for part in missing]
    if not all(parts[part].isdigit() for part in DATE_PARTS) or len(parts["year"]) != 4:
        wrong = [f"{name}-{part}" for part in DATE_PARTS if not parts[part].isdigit()] or [f"{name}-year"]
        return None, f"The {what} must be a real date", wrong
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None, []
    except (ValueError, OverflowError):  # a day or month past C's int is an OverflowError, not a ValueError
        return None, f"The {what} must be a real date", every


def read_export_form(form: Mapping[str, str], *, today: date) -> ExportForm:
    """Checks the two dates: real, not in the future, from before or on to, and at most LONGEST_EXPORT_DAYS apart."""
    values = {f"{name}-{part}": (form.get(f"{name}-{part}") or "").strip()[:10] for name in DATE_FIELDS for part in DATE_PARTS}
    errors: dict[str, str] = {}
    wrong: set[str] = set()
    days: dict[str, date] = {}
    for name in DATE_FIELDS:
        day, message, parts = _read_date(values, name)
        if message:
            errors[parts[0]] = message
            wrong.update(parts)
        elif day > today:
            errors[f"{name}-day"] = f"The {DATE_FIELDS[name]} must be today or in the past"
            wrong.update(f"{name}-{part}" for part in DATE_PARTS)
        else:
            days[name] = day
    if not errors:
        to_every = {f"to-{part}" for part in DATE_PARTS}
        if days["to"] < days["from"]:
            errors["to-day"] = "The end date must be the same as or after the start date"
            wrong.update(to_every)
        elif (days["to"] - days["from"]).days + 1 > LONGEST_EXPORT_DAYS:
            errors["to-day"] = f"The dates must be at most {LONGEST_EXPORT_DAYS} days apart"
            wrong.update(to_every)
    if errors:
        return ExportForm(values=values, errors=errors, wrong_fields=frozenset(wrong))
    return ExportForm(values=values, export_range=ExportRange(days["from"], days["to"]))


def export_audit(session: Session, export_range: ExportRange, actor: Actor) -> str:
    """The audit trail for those London days as CSV; the export is written to the trail by export_audit_csv."""
    start, end = export_range.utc_bounds()
    return export_audit_csv(session, start, end, actor)


# ---------------------------------------------------------------- inviting police staff


def police_forces(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every police force, for choosing the one a police staff member works for."""
    from service.police.models import PoliceForce

    return [(force.id, force.name) for force in session.exec(select(PoliceForce).order_by(PoliceForce.name))]


def police_staff_invite_problems(posted: Mapping[str, str], force_ids: set[str]) -> dict[str, str]:
    """Errors for the invite form, by field id in the page's order. The email's own check is the accounts layer's."""
    errors = {}
    if not posted.get("name", "").strip():
        errors["name"] = "Enter their name"
    if not posted.get("email", "").strip():
        errors["email"] = "Enter their work email address"
    if posted.get("force", "") not in force_ids:
        errors["force"] = "Select the force they work for"
    return errors
