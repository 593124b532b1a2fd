"""Receiving an incident from police: idempotency, versioning, routing each child and queuing its alert."""

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.accounts.onboarded import ACTIVE_KEY_ADULT_URNS, active_key_adult_urns
from service.alerts.outbox import ACTIVE_WEBHOOK_URNS, webhook_urns
from service.audit import service as audit_service
from service.audit.service import Actor
from service.config import get_settings
from service.dates import age_on, london_date
from service.db import execute_core, insert_rows, utcnow, write_pending
from service.localauthorities import service as la_service
from service.notifications import lifecycle
from service.notifications.models import LEFT_OUT_OF_CORRECTION, IdempotencyRecord, Incident, Notification, new_id
from service.notifications.schemas import ChildSubmission, IncidentSubmission, cross_field_problems
from service.police import service as police_service
from service.police.service import AuthenticatedClient, RoutingArea
from service.problems import FieldProblem, Unprocessable
from service.register.service import NEWEST_FINISHED_IMPORT, UNREAD, Unread, index_cache
from service.routing import ChildFacts, RoutingContext, RoutingDecision, route_child

LA_QUEUE_FOR_METHOD = {
    "education_status": "not_in_school",
    "not_onboarded": "not_onboarded",
}


@dataclass(frozen=True)
class IntakeResult:
    status_code: int  # 201 new or corrected, 200 an exact repeat
    body: dict


def request_hash(submission: IncidentSubmission) -> str:
    body = submission.model_dump(mode="json")
    for child in body["children"]:
        if not child["other_settings"]:
            del child["other_settings"]  # so a body without other settings hashes as it did before they existed
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def child_key(given_name: str, family_name: str, date_of_birth) -> str:
    """A keyed hash that links one child's notifications without storing a searchable name."""
    def fold(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if c.isalnum())

    message = f"{fold(given_name)}|{fold(family_name)}|{date_of_birth.isoformat()}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


# Of the settings police named: which have an active Key Adult (routing asks) and which an active webhook (their
# alerts need to know), in one round trip.
_KEY_ADULTS_AND_WEBHOOKS = sa.union_all(
    sa.select(sa.literal_column("'key_adult'").label("kind"), ACTIVE_KEY_ADULT_URNS.subquery("key_adults").c.urn),
    sa.select(sa.literal_column("'webhook'").label("kind"), ACTIVE_WEBHOOK_URNS.subquery("webhooks").c.urn),
)


class _Onboarded:
    """Container view of "this setting has an active Key Adult". The first question also asks about every URN police
    gave for the incident's children, and which of them have an active webhook, in the same query: routing by URN
    asks about those, so an incident of several children at known settings needs one read, not one per child, and
    none more for its alerts. Other URNs (successors, names) are read as asked."""

    def __init__(self, session: Session, given_urns: Iterable[str] = ()):
        self._session, self._cache, self._given = session, {}, {urn for urn in given_urns if urn}
        self._webhooks_known: set[str] = set()  # URNs whose webhook answer is in self._webhooks
        self._webhooks: set[str] = set()

    def __contains__(self, urn: object) -> bool:
        if not isinstance(urn, str):
            return False
        if urn not in self._cache:
            asked = (self._given | {urn}) - self._cache.keys()
            if self._webhooks_known:
                onboarded = active_key_adult_urns(self._session, asked)
            else:
                rows = execute_core(self._session, _KEY_ADULTS_AND_WEBHOOKS, {"urns": sorted(asked)}).all()
                onboarded = {row.urn for row in rows if row.kind == "key_adult"}
                self._webhooks |= {row.urn for row in rows if row.kind == "webhook"}
                self._webhooks_known |= asked
            self._cache.update((each, each in onboarded) for each in asked)
        return self._cache[urn]

    def with_webhook(self, urns: Iterable[str]) -> set[str]:
        """Which of these settings have an active webhook: read here only for those not asked about already."""
        urns = set(urns)
        unknown = urns - self._webhooks_known
        if unknown:
            self._webhooks |= webhook_urns(self._session, unknown)
            self._webhooks_known |= unknown
        return self._webhooks & urns


class _ReadWhenAsked:
    """A set read from the database the first time routing asks about it (most incidents never do)."""

    def __init__(self, read):
        self._read, self._members = read, None

    def __contains__(self, item: object) -> bool:
        if self._members is None:
            self._members = self._read()
        return item in self._members


def routing_context(session: Session, force: RoutingArea, given_urns: Iterable[str] = (),
                    newest_import: int | None | Unread = UNREAD, onboarded: _Onboarded | None = None) -> RoutingContext:
    """`newest_import`, when the caller has read it (NEWEST_FINISHED_IMPORT) in this transaction, saves reading it
    again; `onboarded`, when given, is the caller's view of the settings asked about (else one for `given_urns`)."""
    return RoutingContext(
        index=index_cache.get(session, newest_import=newest_import),
        default_la_code=force.default_la_code,
        force_la_codes=tuple(force.la_codes),
        onboarded_urns=onboarded if onboarded is not None else _Onboarded(session, given_urns),
        early_years_la_codes=_ReadWhenAsked(lambda: la_service.early_years_la_codes(session)),
    )


class _Calendars:
    """Each recipient LA's deadline calendar, read once per incident however many of its children go there."""

    def __init__(self, session: Session):
        self._session, self._by_code = session, {}

    def for_la(self, la_code: str | None):
        if la_code not in self._by_code:
            self._by_code[la_code] = la_service.calendar_for(self._session, la_code)
        return self._by_code[la_code]


def receive_incident(
    session: Session, *, client: AuthenticatedClient, submission: IncidentSubmission,
    idempotency_key: str | None, now: datetime | None = None,
) -> IntakeResult:
    """Stores the incident and one routed notification per child. The caller's transaction commits it all."""
    problems = cross_field_problems(submission)
    if problems:
        raise Unprocessable("Check the fields listed in errors.", errors=[FieldProblem(pointer=p, detail=d) for p, d in problems])
    now = now or utcnow()
    body_hash = request_hash(submission)
    for attempt in range(3):
        try:
            return _receive_once(session, client, submission, idempotency_key, body_hash, now)
        except IntegrityError:
            # A concurrent request with the same key or reference won the race: start again and see its result.
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# Statements built once: every incident runs them.
_ADVISORY_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:reference, 0))")
_SQLITE_WRITE_LOCK = sa.text("UPDATE incident SET is_current = is_current WHERE 0")
_RECORDS, _INCIDENTS = IdempotencyRecord.__table__.c, Incident.__table__.c
# Everything intake reads once it holds the reference's lock, in one round trip: the idempotency record for the key
# (none without a key), the current version of the reference, and the newest register import. One row always: each
# join finds at most one (primary key; one current version), and a miss leaves its columns null.
_ONE_ROW = sa.select(sa.literal(1).label("one")).subquery("one_row")
_BEFORE_STORING = (
    sa.select(_RECORDS.request_hash, _RECORDS.status_code, _RECORDS.response_body, _INCIDENTS.id, _INCIDENTS.version,
              _INCIDENTS.body_hash, NEWEST_FINISHED_IMPORT.scalar_subquery().label("newest_import"))
    .select_from(_ONE_ROW)
    .outerjoin(IdempotencyRecord.__table__,
               sa.and_(_RECORDS.force_id == sa.bindparam("force_id"), _RECORDS.key == sa.bindparam("key")))
    .outerjoin(Incident.__table__,
               sa.and_(_INCIDENTS.force_id == sa.bindparam("force_id"),
                       _INCIDENTS.police_reference == sa.bindparam("reference"), _INCIDENTS.is_current))
)


def _queue_behind_same_reference(session: Session, force_id: str, police_reference: str) -> None:
    """One intake at a time per police reference, until commit, so each reads the newest current version.
    Without it, concurrent corrections collide on the one-current-version index faster than a few retries
    can absorb (20 at once gave 500s, on both databases)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        execute_core(session, _ADVISORY_LOCK, {"reference": f"incident:{force_id}:{police_reference}"})
    elif dialect == "sqlite":
        # A write that changes nothing takes SQLite's single write lock now, waiting out busy_timeout, so the
        # reads below cannot be stale (a lock taken only at the first real INSERT comes too late).
        execute_core(session, _SQLITE_WRITE_LOCK)


def _receive_once(session, client, submission, idempotency_key, body_hash, now) -> IntakeResult:
    _queue_behind_same_reference(session, client.force_id, submission.police_reference)
    # Columns, not ORM objects: this runs for every incident and changes none of them.
    found = execute_core(session, _BEFORE_STORING, {"force_id": client.force_id, "key": idempotency_key,
                                                    "reference": submission.police_reference}).one()
    if found.request_hash is not None:
        return _replay(found, body_hash)

    current = SimpleNamespace(id=found.id, version=found.version) if found.id is not None else None
    if current is not None and found.body_hash == body_hash:
        result = IntakeResult(200, receipt_for(session, current))
    else:
        result = IntakeResult(201, _store_incident(session, client, submission, body_hash, current, now,
                                                   newest_import=found.newest_import))

    if idempotency_key is not None:
        # Written with the rest, or after a correction's hand-overs: a concurrent request with the same key fails
        # on the primary key, rolls back everything it stored and, on its retry, replays this answer.
        insert_rows(session, IdempotencyRecord.__table__, [{
            "force_id": client.force_id, "key": idempotency_key, "request_hash": body_hash,
            "status_code": result.status_code, "response_body": result.body}])
    write_pending(session)  # here, so a conflict is an IntegrityError the retry loop above sees
    session.flush()
    return result


def _replay(record, body_hash: str) -> IntakeResult:
    """`record` is the stored idempotency record's request_hash, status_code and response_body."""
    if record.request_hash != body_hash:
        raise Unprocessable(
            "This Idempotency-Key was used before with a different body. Use a new key for a new or corrected incident.",
            errors=[FieldProblem(pointer="", detail="Idempotency-Key reused with a different body.")],
        )
    if record.status_code is None:
        raise AssertionError("idempotency record without a stored response")
    return IntakeResult(record.status_code, record.response_body)


def _store_incident(session, client, submission, body_hash, previous, now, *, newest_import) -> dict:
    """The new incident (version) and its notifications; `previous` is the current version's id and version, when
    this corrects one. Every read comes first; then the new rows wait in the session (insert_rows) and reach the
    database together, in one statement on PostgreSQL. Nothing reads them back as ORM objects, so none are built."""
    force = client.area or police_service.routing_area(session, client.force_id)
    incident = SimpleNamespace(
        id=new_id(), force_id=client.force_id, api_client_id=client.client_id, police_reference=submission.police_reference,
        version=(previous.version + 1) if previous else 1, is_current=True, supersedes_id=previous.id if previous else None,
        body_hash=body_hash, occurred_at=submission.occurred_at, received_at=now, risk_level=submission.risk_level,
        summary=submission.summary, police_actions=list(submission.police_actions),
    )
    actor = Actor(type="police_client", id=str(client.client_id), source="api")
    earlier: list[Notification] = []
    if previous is not None:
        # Frees the "one current version" slot before the new version takes it.
        session.execute(sa.update(Incident.__table__).where(Incident.__table__.c.id == previous.id).values(is_current=False))
        earlier = list(session.exec(select(Notification).where(Notification.incident_id == previous.id)
                                    .order_by(Notification.child_reference, Notification.setting_position)))

    given_urns = [urn for child in submission.children
                  for urn in (child.setting_urn, *(other.setting_urn for other in child.other_settings))]
    onboarded = _Onboarded(session, given_urns)
    context = routing_context(session, force, newest_import=newest_import, onboarded=onboarded)
    calendars = _Calendars(session)
    notifications = [notification for child in submission.children
                     for notification in _notifications_for(incident, child, context, calendars, now)]
    pairs: list[tuple[Notification, SimpleNamespace]] = []  # (earlier version, the notification replacing it)
    put_back_pairs: list[tuple[Notification, SimpleNamespace]] = []  # (left out before, the one putting it back)
    if previous is not None:
        replaces = match_versions(earlier, notifications)
        put_back = _put_back(session, client.force_id, submission.police_reference, notifications, replaces)
        _owners_people_chose(session, client.force_id, submission.police_reference, [*earlier, *put_back.values()],
                             notifications, {**put_back, **replaces}, context, calendars, now)
        notifications, merged_into = _one_per_setting(notifications)
        by_id = {notification.id: notification for notification in notifications}
        pairs = [(old, merged_into.get(new) or by_id[new]) for new, old in replaces.items()]
        put_back_pairs = [(old, merged_into.get(new) or by_id[new]) for new, old in put_back.items()]
    with_webhook = onboarded.with_webhook(n.recipient_urn for n in notifications if n.recipient_urn)

    insert_rows(session, Incident.__table__, [vars(incident)])
    insert_rows(session, Notification.__table__, [vars(n) for n in notifications])
    lifecycle.record_arrivals(session, notifications, actor=actor, with_webhook=with_webhook)
    audit_service.record_now(session, actor, "incident.corrected" if previous else "incident.received", "incident",
                             incident.id, version=incident.version, children=len(submission.children))
    for replaced, notification in (*pairs, *put_back_pairs):
        lifecycle.supersede(session, replaced, by=notification, actor=actor, now=now)
    matched = {replaced.id for replaced, _ in pairs}
    for left_out in (n for n in earlier if n.id not in matched):
        # The correction no longer names this child (or this setting of theirs): nobody should still hold it, be
        # chased about it, or read it. Its owner, if told, hears only that it was withdrawn.
        lifecycle.withdraw(session, left_out, reason=LEFT_OUT_OF_CORRECTION, note=None, actor=actor, now=now)
    return receipt(incident, notifications)


def match_versions(earlier: Sequence, notifications: Sequence) -> dict[str, object]:
    """{new notification id: the earlier version's notification it replaces}. Pure.

    A child's main setting replaces their main setting. Another setting replaces the earlier one with the same hint
    police gave (URN and name), else the one that went to the same setting: positions alone would pair different
    settings once police drop one from the middle of the list. What is left unpaired was left out."""
    unpaired = list(earlier)
    matched = {}

    def take(notification, same) -> None:
        for candidate in unpaired:
            if candidate.child_reference == notification.child_reference and same(candidate):
                matched[notification.id] = candidate
                unpaired.remove(candidate)
                return

    for notification in notifications:
        if notification.setting_position == 0:
            take(notification, lambda old: old.setting_position == 0)
    for notification in notifications:
        if notification.setting_position == 0:
            continue
        hint = (notification.setting_urn_given, notification.setting_name_given)
        take(notification, lambda old: old.setting_position > 0 and (old.setting_urn_given, old.setting_name_given) == hint)
    for notification in notifications:
        setting = _setting_of(notification)
        if notification.setting_position == 0 or notification.id in matched or setting is None:
            continue
        take(notification, lambda old: old.setting_position > 0 and setting in (
            old.intended_urn, old.recipient_urn if old.routing_outcome == "setting" else None))
    return matched


def _put_back(session, force_id: str, police_reference: str, notifications: Sequence,
              replaces: dict) -> dict[str, Notification]:
    """{new notification id: the notification an earlier correction withdrew because it left this child (or this
    setting of theirs) out}, for the ones this correction names again: they keep the owner a person chose, as if
    never left out, and the left-out one points to them (so a withdrawal by its id reaches them). None from before
    police withdrew the incident (lifecycle.left_out_earlier)."""
    new = [n for n in notifications if n.id not in replaces]
    left_out = lifecycle.left_out_earlier(session, force_id=force_id, police_reference=police_reference,
                                          child_references=[n.child_reference for n in new])
    return match_versions(left_out, new) if left_out else {}


def _owners_people_chose(session, force_id: str, police_reference: str, earlier: Sequence, notifications: Sequence,
                         replaces: dict, context: RoutingContext, calendars: _Calendars, now: datetime) -> None:
    """A correction's notifications keep the owner a person chose for the version they replace, if police changed
    none of the child's routing facts; and one routed to a setting that sent the child back goes to its LA."""
    kept = lifecycle.owners_people_chose(session, earlier)
    refused = lifecycle.settings_that_sent_back(session, force_id=force_id, police_reference=police_reference)
    for notification in notifications:
        if notification.routing_outcome == "not_routed":
            continue  # outside the scheme (18 or over, say), whoever held it before
        replaced = replaces.get(notification.id)
        if (replaced is not None and replaced.id in kept
                and all(getattr(replaced, fact) == getattr(notification, fact) for fact in lifecycle.ROUTING_FACTS)):
            owner = kept[replaced.id]
            if lifecycle.refused_since(owner, refused.get(notification.child_reference, {})):
                # Chosen once, but that setting has since said this child is not on its roll: not back to it.
                owner = lifecycle.refused_by(owner.owner.urn, la_code=owner.owner.la_code)
            _keep_owner(notification, owner, context, calendars, now)
        elif notification.recipient_urn in refused.get(notification.child_reference, {}):
            _keep_owner(notification, lifecycle.refused_by(notification.recipient_urn,
                                                           la_code=notification.recipient_la_code),
                        context, calendars, now)


def _setting_of(notification) -> str | None:
    """The setting a notification is for: the one it went to, or the one meant while its LA holds it."""
    return notification.recipient_urn or notification.intended_urn


def _one_per_setting(notifications: list) -> tuple[list, dict]:
    """After owners were kept, a child may have two notifications for one setting (kept there, and named again as
    another setting): one is kept, the other merged into it with the reason, as intake merges hints. Returns the
    notifications left and {merged one's id: the notification it was merged into} (which replaces what it did)."""
    kept_for: dict[tuple[str, str], object] = {}
    result, merged_into = [], {}
    for notification in sorted(notifications, key=lambda n: (n.routing_method != lifecycle.KEPT_BY_CORRECTION,
                                                             n.setting_position)):
        setting = _setting_of(notification)
        first = kept_for.get((notification.child_reference, setting)) if setting else None
        if first is None or notification.setting_position == 0:
            if setting:
                kept_for.setdefault((notification.child_reference, setting), notification)
            result.append(notification)
            continue
        first.merged_hints = [*(first.merged_hints or []), {
            "other_setting": notification.setting_position - 1,
            "reason": f"Resolved to the same setting (URN {setting}) as the notification kept there, so it is one notification."}]
        merged_into[notification.id] = first
    return sorted(result, key=lambda n: (n.child_reference, n.setting_position)), merged_into


def _keep_owner(notification: SimpleNamespace, kept: lifecycle.KeptOwner, context: RoutingContext,
                calendars: _Calendars, now: datetime) -> None:
    """A correction's notification stays with the owner a person chose for the version it replaces (see
    lifecycle.owners_people_chose), or with the LA when it names a setting that refused the child: police's fresh
    routing decision gives way, its candidates kept for the LA."""
    urn = kept.owner.urn
    setting = context.index.get(urn) if urn else None
    fields = lifecycle.kept_owner_fields(
        kept, onboarded=urn is None or urn in context.onboarded_urns, setting_la_code=setting.la_code if setting else None,
        now=now, calendar=calendars.for_la(kept.owner.la_code))
    vars(notification).update(_NOT_YET, **fields)


def _same_setting(decision: RoutingDecision) -> str | None:
    """The setting a decision is about (the one it goes to, or the one meant but not onboarded): two hints with the
    same one are one notification. An LA decision about no particular setting is never merged."""
    if decision.outcome == "setting":
        return decision.urn
    return decision.intended_urn


def _notifications_for(incident, child: ChildSubmission, context: RoutingContext, calendars: _Calendars,
                       now: datetime) -> list[SimpleNamespace]:
    """The child's notification for their main setting, and one for each other setting police named that resolves
    somewhere new; a hint resolving to a setting already chosen is merged into that notification, with the reason."""
    decision = _route(incident, child, context, urn=child.setting_urn, name=child.setting_name,
                      education_status=child.education_status)
    made = [_notification_for(incident, child, decision, context, calendars, now, position=0)]
    if decision.outcome == "not_routed":
        return made  # outside the scheme (18 or over, say): no other setting changes that
    chosen = {_same_setting(decision): made[0]} if _same_setting(decision) else {}
    for index, other in enumerate(child.other_settings):
        other_decision = _route(incident, child, context, urn=other.setting_urn, name=other.setting_name,
                                education_status="attends_setting")
        same = _same_setting(other_decision)
        if same in chosen:
            kept = chosen[same]
            where = "the main setting" if kept.setting_position == 0 else f"other setting {kept.setting_position - 1}"
            kept.merged_hints = [*(kept.merged_hints or []), {
                "other_setting": index, "reason": f"Resolved to the same setting (URN {same}) as {where}, so it is one notification."}]
            continue
        notification = _notification_for(incident, child, other_decision, context, calendars, now, position=index + 1)
        made.append(notification)
        if same:
            chosen[same] = notification
    return made


def _route(incident, child: ChildSubmission, context: RoutingContext, *, urn: str | None, name: str | None,
           education_status: str) -> RoutingDecision:
    facts = ChildFacts(
        child_reference=child.child_reference, date_of_birth=child.date_of_birth, education_status=education_status,
        setting_urn=urn, setting_name=name, home_la_code=child.home_la_code, home_postcode=child.home_postcode,
    )
    return route_child(facts, incident.occurred_at, context)


# Owner fields arrival_fields sets for some notifications only: every row has them, so one INSERT takes them all.
_NOT_YET = {"acknowledge_by": None, "covered_by": None, "closed_at": None}


def _notification_for(incident, child: ChildSubmission, decision: RoutingDecision, context: RoutingContext,
                      calendars: _Calendars, now: datetime, *, position: int = 0) -> SimpleNamespace:
    """One child's notification for one setting hint, routed, with its acknowledge-by deadline: the row to insert
    (every column it sets, as attributes, so the receipt and record_arrivals read it as they read a Notification)."""
    other = child.other_settings[position - 1] if position else None
    routing = decision_fields(decision, _setting_la(context, decision))
    routed = decision.outcome != "not_routed"
    arrival = lifecycle.arrival_fields(
        routed=routed, la_code=routing["recipient_la_code"], recipient_urn=routing["recipient_urn"], now=now,
        calendar=calendars.for_la(routing["recipient_la_code"]) if routed else None,
    )
    return SimpleNamespace(
        id=new_id(), incident_id=incident.id, force_id=incident.force_id, child_reference=child.child_reference,
        setting_position=position, merged_hints=None, given_name=child.given_name, family_name=child.family_name,
        date_of_birth=child.date_of_birth, upn=child.upn, home_la_code=child.home_la_code,
        home_postcode=child.home_postcode, education_status=child.education_status,
        setting_urn_given=other.setting_urn if other else child.setting_urn,
        setting_name_given=other.setting_name if other else child.setting_name,
        present_at_incident=child.present_at_incident, spoken_to=child.spoken_to, child_voice=child.child_voice,
        child_key=child_key(child.given_name, child.family_name, child.date_of_birth),
        age_at_incident=age_on(child.date_of_birth, london_date(incident.occurred_at)),
        received_at=now, **{**_NOT_YET, **routing, **arrival},
    )


def decision_fields(decision: RoutingDecision, setting_la_code: str | None) -> dict:
    """The Notification columns a routing decision sets: what was decided and who owns it now."""
    to_setting = decision.outcome == "setting"
    la_queue = None
    if decision.outcome == "local_authority":
        la_queue = LA_QUEUE_FOR_METHOD.get(decision.method, "to_resolve")
    return {
        "routing_outcome": decision.outcome, "routing_method": decision.method, "routing_reason": decision.reason[:500],
        "routing_score": decision.score,
        "routing_candidates": [{"urn": c.urn, "name": c.name, "la_code": c.la_code, "score": c.score} for c in decision.candidates],
        "intended_urn": decision.intended_urn,
        "recipient_urn": decision.urn if to_setting else None,
        # A setting's notifications stay visible to its LA for oversight, so the LA is always recorded.
        "recipient_la_code": setting_la_code if to_setting and setting_la_code else decision.la_code,
        "la_queue": la_queue,
    }


def _setting_la(context: RoutingContext, decision: RoutingDecision) -> str | None:
    setting = context.index.get(decision.urn) if decision.urn else None
    return setting.la_code if setting else None


def routing_summary(notification: Notification) -> dict:
    return {
        "outcome": notification.routing_outcome, "urn": notification.recipient_urn if notification.routing_outcome == "setting" else None,
        "la_code": notification.recipient_la_code, "method": notification.routing_method, "reason": notification.routing_reason,
    }


def receipt_for(session: Session, incident) -> dict:
    """The receipt of a stored incident (an Incident, or a row with its id and version)."""
    return receipt(incident, session.exec(select(Notification).where(Notification.incident_id == incident.id)).all())


def receipt(incident: Incident, notifications: list[Notification]) -> dict:
    """What police get back for an incident: each child's notification, in child_reference order."""
    return {
        "incident_id": incident.id,
        "version": incident.version,
        "notifications": [
            {
                "id": n.id, "child_reference": n.child_reference, "status": n.status,
                "acknowledge_by": n.acknowledge_by.isoformat() if n.acknowledge_by else None,
                "routing": routing_summary(n), "other_setting": other_setting_index(n),
                "merged": [{"other_setting": m["other_setting"], "reason": m["reason"]} for m in n.merged_hints or []],
            }
            for n in sorted(notifications, key=lambda n: (n.child_reference, n.setting_position))
        ],
    }


def status_for(session: Session, notification: Notification) -> dict:
    incident = session.get(Incident, notification.incident_id)
    return {
        "id": notification.id, "incident_id": incident.id, "police_reference": incident.police_reference,
        "child_reference": notification.child_reference, "other_setting": other_setting_index(notification),
        "status": notification.status,
        "superseded": notification.superseded_by_id is not None, "routing": routing_summary(notification),
        "received_at": notification.received_at, "acknowledge_by": notification.acknowledge_by,
        "sent_at": notification.sent_at, "delivered_at": notification.delivered_at, "first_viewed_at": notification.first_viewed_at,
        "acknowledged_at": notification.acknowledged_at, "escalated_at": notification.escalated_at,
        "key_adult_not_reached_at": notification.key_adult_not_reached_at,
        "closed_at": notification.closed_at, "withdrawn_at": notification.withdrawn_at,
        "withdrawal_reason": notification.withdrawal_reason,
        "owner": owner_summary(notification.recipient_urn, notification.recipient_la_code)
        if notification.routing_outcome != "not_routed" else None,
        "owner_since": notification.owner_since,
        "earlier_owners": [
            {"owner": owner_summary(p.recipient_urn, p.recipient_la_code), "from": p.started_at, "until": p.ended_at,
             "handed_over_because": p.ended_by, "acknowledge_by": p.acknowledge_by, "sent_at": p.sent_at,
             "delivered_at": p.delivered_at,
             "first_viewed_at": p.first_viewed_at, "acknowledged_at": p.acknowledged_at, "escalated_at": p.escalated_at,
             "key_adult_not_reached_at": p.key_adult_not_reached_at}
            for p in lifecycle.earlier_owners(session, notification.id)
        ],
    }


def other_setting_index(notification: Notification) -> int | None:
    """Null for the child's main setting, else the index into the other_settings police gave."""
    return notification.setting_position - 1 if notification.setting_position else None


def owner_summary(urn: str | None, la_code: str | None) -> dict:
    return {"kind": "setting" if urn else "local_authority", "urn": urn, "la_code": la_code}
