"""The force's read-back dashboard as pure functions: the API read-back's values in words, filters and CSV rows.

Every row starts as the dict the API read-back returns (`intake.status_for`), so police staff see exactly what
their records system would read. Only references appear here, never a child's name.
"""

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from service.deadlines import is_overdue
from service.wording import STATUS_TAG_CLASSES, short_day_at_time

# The read-back's status values in the words police staff see: the one place they are worded. A value added to
# the read-back later still shows (capitalised) until it is worded here.
STATUS_WORDS = {
    "received": "Received",
    "sent": "Sent",
    "delivered": "Delivered",
    "viewed": "Viewed",
    "acknowledged": "Acknowledged",
    "escalated": "Escalated",
    "rerouted": "Passed to a new owner",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
}
NOT_ROUTED = "Not routed"
HELD_BY_LA = "Held by the LA"

FILTERS = {
    "not_acknowledged": "Not yet acknowledged",
    "past_deadline": "Past its acknowledge-by deadline",
    "escalated": "Escalated",
}

CSV_COLUMNS = ("police_reference", "child_reference", "notification_id", "status", "owner", "owner_la_code",
               "owner_urn", "routing_reason", "received_at", "acknowledge_by", "delivered_at", "first_viewed_at",
               "acknowledged_at", "escalated_at", "sent_at", "key_adult_not_reached_at")  # new columns go last: a force's macro may read by position
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def status_words(readback: Mapping) -> str:
    """What the read-back says, in words: 'Not routed' for a child outside the scheme, else its status."""
    if readback["routing"]["outcome"] == "not_routed":
        return NOT_ROUTED
    status = str(readback["status"])
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def held_by_la(readback: Mapping) -> bool:
    owner = readback.get("owner")
    return owner is not None and owner["kind"] == "local_authority"


def owner_words(readback: Mapping, setting_names: Mapping[str, str], la_names: Mapping[str, str]) -> str:
    """The owner as police staff would say it: the setting's name, or the LA's education service."""
    owner = readback.get("owner")
    if owner is None:
        return "Nobody: outside the scheme"
    if owner["kind"] == "setting":
        name = setting_names.get(owner["urn"] or "", "")
        return f"{name} (URN {owner['urn']})" if name else f"Setting URN {owner['urn']}"
    code = owner["la_code"] or ""
    name = la_names.get(code, "")
    return f"{name} ({code}) education service" if name else f"LA {code} education service"


def past_deadline(readback: Mapping, now: datetime) -> bool:
    return is_overdue(readback.get("acknowledge_by"), readback.get("acknowledged_at"), now)


@dataclass(frozen=True)
class DashboardFilter:
    """What the staff member chose to see: any of FILTERS, and one LA (or all)."""

    shown: frozenset[str] = frozenset()
    la_code: str | None = None

    def keeps(self, readback: Mapping, now: datetime) -> bool:
        """Whether a row passes: the same rule the database query applies, written over the read-back. Pure."""
        if "not_acknowledged" in self.shown and (readback.get("acknowledged_at") is not None
                                                 or readback["routing"]["outcome"] == "not_routed"):
            return False
        if "past_deadline" in self.shown and not past_deadline(readback, now):
            return False
        if "escalated" in self.shown and readback.get("escalated_at") is None:
            return False
        if self.la_code is not None and (readback.get("owner") or {}).get("la_code") != self.la_code:
            return False
        return True


def parse_filter(shown: Iterable[str], la_code: str | None, force_la_codes: Iterable[str]) -> DashboardFilter:
    """The query string's choices; anything unknown is ignored rather than shown as an error."""
    la_code = (la_code or "").strip()
    return DashboardFilter(shown=frozenset(s for s in shown if s in FILTERS),
                           la_code=la_code if la_code in set(force_la_codes) else None)


@dataclass(frozen=True)
class DashboardRow:
    notification_id: str
    police_reference: str
    child_reference: str
    status: str
    tag_class: str
    owner: str
    held_by_la: bool
    routing_reason: str
    received_at: datetime
    acknowledge_by: datetime | None
    alert: str  # alert_words
    sent_at: datetime | None
    delivered_at: datetime | None
    first_viewed_at: datetime | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    key_adult_not_reached_at: datetime | None
    past_deadline: bool
    owner_la_code: str | None
    owner_urn: str | None


def dashboard_row(readback: Mapping, *, setting_names: Mapping[str, str], la_names: Mapping[str, str],
                  now: datetime) -> DashboardRow:
    status = status_words(readback)
    owner = readback.get("owner") or {}
    return DashboardRow(
        notification_id=readback["id"], police_reference=readback["police_reference"],
        child_reference=readback["child_reference"], status=status, tag_class=STATUS_TAG_CLASSES.get(status, ""),
        owner=owner_words(readback, setting_names, la_names), held_by_la=held_by_la(readback),
        routing_reason=readback["routing"]["reason"], received_at=readback["received_at"],
        acknowledge_by=readback.get("acknowledge_by"), alert=alert_words(readback), sent_at=readback.get("sent_at"),
        delivered_at=readback.get("delivered_at"),
        first_viewed_at=readback.get("first_viewed_at"), acknowledged_at=readback.get("acknowledged_at"),
        escalated_at=readback.get("escalated_at"), key_adult_not_reached_at=readback.get("key_adult_not_reached_at"),
        past_deadline=past_deadline(readback, now),
        owner_la_code=owner.get("la_code"), owner_urn=owner.get("urn"),
    )


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs: a leading formula character is escaped with an apostrophe."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(rows: Iterable[DashboardRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        status = f"{row.status} ({HELD_BY_LA.lower()})" if row.held_by_la and row.status != NOT_ROUTED else row.status
        writer.writerow([safe_cell(value) for value in (
            row.police_reference, row.child_reference, row.notification_id, status, row.owner, row.owner_la_code,
            row.owner_urn, row.routing_reason, row.received_at, row.acknowledge_by, row.delivered_at,
            row.first_viewed_at, row.acknowledged_at, row.escalated_at, row.sent_at, row.key_adult_not_reached_at)])
    return buffer.getvalue()


def when(moment: datetime | None) -> str:
    return short_day_at_time(moment) if moment else "Not yet"


def alert_words(readback: Mapping) -> str:
    """How far the owner's alert got, in words that never predict: someone may open a notification before Notify's
    receipt comes back, and a failed receipt is final, so an accepted email with no delivery says only that."""
    if readback.get("delivered_at") is not None:
        return f"Delivered {when(readback['delivered_at'])}"
    if readback.get("sent_at") is not None and readback.get("key_adult_not_reached_at") is not None:
        return (f"Sent {when(readback['sent_at'])}; the Key Adult's email bounced {when(readback['key_adult_not_reached_at'])}, "
                "so their deputies and the local authority were told")
    if readback.get("sent_at") is not None:
        return f"Sent {when(readback['sent_at'])}, delivery not confirmed"
    if readback["routing"]["outcome"] == "not_routed":
        return "None: outside the scheme"
    if readback["status"] == "withdrawn":
        return "None: withdrawn before it was sent"
    return "Not sent yet"
