"""Police staff's reads and writes: the force's read-back rows, and incidents sent through the API's own intake."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from service.audit import service as audit_service
from service.audit.service import Actor
from service.laworkspace.dashboard import Period
from service.localauthorities.models import LocalAuthority
from service.notifications import intake
from service.notifications.models import Incident, Notification
from service.notifications.schemas import IncidentSubmission
from service.notifications.scope import Scope, scoped_notifications
from service.police.models import ApiClient, PoliceForce
from service.police.service import AuthenticatedClient
from service.policeportal import readback
from service.problems import NotFound
from service.register.models import Setting

PAGE_SIZE = 50
MAX_CSV_ROWS = 10_000
# The API client the portal's incidents are stored under, one per force. It has no key and no scopes, so nothing
# can call the API as it: it exists because every incident records the system that sent it.
PORTAL_CLIENT_NAME = "Encompass portal (police staff)"


@dataclass(frozen=True)
class PoliceStaffMember:
    user_id: int
    force_id: str

    @property
    def actor(self) -> Actor:
        return Actor(type="user", id=str(self.user_id), source="portal")

    @property
    def scope(self) -> Scope:
        return Scope(force_id=self.force_id)


def force_of(session: Session, staff: PoliceStaffMember) -> PoliceForce:
    return session.get(PoliceForce, staff.force_id)


# ---------------------------------------------------------------- the read-back dashboard


def _filtered(staff: PoliceStaffMember, period: Period, choice: readback.DashboardFilter, now: datetime):
    """The force's current notifications received in the period, narrowed in SQL exactly as DashboardFilter.keeps
    narrows the read-back: the read-back's times are these columns."""
    start, end = period.utc_bounds()
    query = scoped_notifications(staff.scope).where(
        Notification.received_at >= start, Notification.received_at < end, col(Notification.superseded_by_id).is_(None))
    if "not_acknowledged" in choice.shown:
        query = query.where(col(Notification.acknowledged_at).is_(None), Notification.routing_outcome != "not_routed")
    if "past_deadline" in choice.shown:
        query = query.where(col(Notification.acknowledged_at).is_(None), Notification.acknowledge_by < now)
    if "escalated" in choice.shown:
        query = query.where(col(Notification.escalated_at).is_not(None))
    if choice.la_code is not None:
        query = query.where(Notification.recipient_la_code == choice.la_code, Notification.routing_outcome != "not_routed")
    return query


@dataclass(frozen=True)
class DashboardPage:
    rows: list[readback.DashboardRow]
    total: int
    page: int
    page_count: int
    max_download_rows: int

    @property
    def downloadable(self) -> bool:
        return self.total <= self.max_download_rows


def _rows(session: Session, notifications: list[Notification], now: datetime) -> list[readback.DashboardRow]:
    incident_ids = sorted({n.incident_id for n in notifications})
    if incident_ids:  # one query: status_for then finds each incident in the session
        list(session.exec(select(Incident).where(col(Incident.id).in_(incident_ids))))
    readbacks = [intake.status_for(session, n) for n in notifications]
    urns = sorted({r["owner"]["urn"] for r in readbacks if r.get("owner") and r["owner"]["urn"]})
    codes = sorted({r["owner"]["la_code"] for r in readbacks if r.get("owner") and r["owner"]["la_code"]})
    setting_names = {urn: name for urn, name in session.exec(select(Setting.urn, Setting.name).where(col(Setting.urn).in_(urns)))} if urns else {}
    la_names = {code: name for code, name in session.exec(select(LocalAuthority.code, LocalAuthority.name).where(col(LocalAuthority.code).in_(codes)))} if codes else {}
    return [readback.dashboard_row(r, setting_names=setting_names, la_names=la_names, now=now) for r in readbacks]


def dashboard_page(session: Session, staff: PoliceStaffMember, period: Period, choice: readback.DashboardFilter,
                   *, page: int, now: datetime) -> DashboardPage:
    query = _filtered(staff, period, choice, now)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page_count = max(1, -(-total // PAGE_SIZE))
    page = max(1, min(page, page_count))
    notifications = list(session.exec(query.order_by(col(Notification.received_at).desc(), Notification.id)
                                      .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return DashboardPage(_rows(session, notifications, now), total, page, page_count, MAX_CSV_ROWS)


def dashboard_csv(session: Session, staff: PoliceStaffMember, period: Period, choice: readback.DashboardFilter,
                  *, now: datetime) -> tuple[str, int] | None:
    """Every row the dashboard shows for this choice, as CSV, and how many; None when there are more than one
    download holds (MAX_CSV_ROWS): a download cut short would look complete."""
    query = _filtered(staff, period, choice, now)
    if session.exec(select(func.count()).select_from(query.subquery())).one() > MAX_CSV_ROWS:
        return None
    notifications = list(session.exec(query.order_by(col(Notification.received_at).desc(), Notification.id)))
    rows = _rows(session, notifications, now)
    return readback.csv_text(rows), len(rows)


def record_dashboard(session: Session, staff: PoliceStaffMember, period: Period, choice: readback.DashboardFilter,
                     *, export: bool, rows: int) -> None:
    audit_service.record(session, staff.actor, "police_dashboard.exported" if export else "police_dashboard.viewed",
                         "police_force", staff.force_id, first_day=period.start.isoformat(), last_day=period.end.isoformat(),
                         filters=sorted(choice.shown), la_code=choice.la_code, rows=rows)


# ---------------------------------------------------------------- incidents sent from the portal


def portal_client(session: Session, force_id: str) -> AuthenticatedClient:
    client = session.exec(select(ApiClient).where(ApiClient.force_id == force_id, ApiClient.name == PORTAL_CLIENT_NAME)
                          .order_by(ApiClient.id)).first()
    if client is None:
        client = ApiClient(force_id=force_id, name=PORTAL_CLIENT_NAME, scopes=[])
        session.add(client)
        session.flush()
    return AuthenticatedClient(client_id=client.id, force_id=force_id, scopes=frozenset())


@dataclass(frozen=True)
class Sent:
    incident_id: str
    outcome: str  # "new", "corrected" or "unchanged"


def send_incident(session: Session, staff: PoliceStaffMember, submission: IncidentSubmission, *, via: str) -> Sent:
    """Through the API's intake: the same police reference again is an exact repeat (nothing new) or a correction
    (a new version). `via` is "form" or "upload", for the audit trail. The caller's transaction commits it."""
    result = intake.receive_incident(session, client=portal_client(session, staff.force_id), submission=submission,
                                     idempotency_key=None)
    body = result.body
    outcome = "unchanged" if result.status_code == 200 else "corrected" if body["version"] > 1 else "new"
    audit_service.record(session, staff.actor, "police_portal.incident_sent", "incident", body["incident_id"], via=via,
                         outcome=outcome, version=body["version"], children=len(body["notifications"]))
    return Sent(body["incident_id"], outcome)


@dataclass(frozen=True)
class ChildRoute:
    child_reference: str
    notification_id: str
    outcome: str  # setting, local_authority, not_routed
    owner: str
    reason: str
    acknowledge_by: datetime | None


@dataclass(frozen=True)
class Confirmation:
    police_reference: str
    version: int
    corrected_at_version: int | None
    children: list[ChildRoute]


def confirmation(session: Session, staff: PoliceStaffMember, incident_id: str) -> Confirmation:
    """Where each child of one of the force's incidents went, and why, from the read-back. NotFound otherwise."""
    incident = session.exec(select(Incident).where(Incident.id == incident_id, Incident.force_id == staff.force_id)).first()
    if incident is None:
        raise NotFound("No incident with that id.")
    notifications = list(session.exec(scoped_notifications(staff.scope).where(Notification.incident_id == incident.id)
                                      .order_by(Notification.child_reference)))
    rows = _rows(session, notifications, incident.received_at)
    by_id = {n.id: n for n in notifications}
    children = [ChildRoute(r.child_reference, r.notification_id, by_id[r.notification_id].routing_outcome, r.owner,
                           r.routing_reason, r.acknowledge_by) for r in rows]
    audit_service.record(session, staff.actor, "police_portal.confirmation_viewed", "incident", incident.id)
    return Confirmation(incident.police_reference, incident.version, incident.version - 1 if incident.version > 1 else None,
                        children)

