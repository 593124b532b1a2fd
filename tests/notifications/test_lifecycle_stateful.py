"""Random sequences of everything that happens to notifications, through the real service functions and database,
with the lifecycle's promises checked after every step (Hypothesis RuleBasedStateMachine).

A small model says who should own each police reference's current version and under which owner each note was
written; the database must agree with it, and with the invariants below, whatever order things happen in.
"""

import itertools
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlmodel import select

from service.accounts import administration
from service.accounts.models import SettingMembership
from service.alerts.models import OutboxMessage
from service.alerts.receipts import DeliveryReceipt, record_receipt
from service.alerts.webhooks import WebhookSender
from service.alerts.worker import OutboxWorker
from service.audit.service import Actor
from service.db import utcnow
from service.keyadult import service as keyadult_service
from service.keyadult.service import StaffMember
from service.laworkspace import item as la_item
from service.laworkspace import reroute as la_reroute
from service.laworkspace.item import OutcomeForm
from service.laworkspace.officer import Officer
from service.notifications.intake import receive_incident, status_for
from service.notifications.models import Notification, NotificationEvent
from service.notifications.schemas import IncidentSubmission, WithdrawalRequest
from service.notifications.withdrawal import withdraw_incident, withdraw_notification
from service.notifications.scope import Scope, get_notification
from service.police.service import AuthenticatedClient, create_client
from service.problems import NotFound
from service.retention.service import purge_past_retention
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry, incident_body

EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "200"))
# The examples are shared out over this many runs of the test, each with its own fresh world, so pytest-xdist can
# run them side by side: the same number of examples in all, in a quarter of the wall time.
SHARDS = 4
DERBYSHIRE, DERBY = "830", "831"
SCHOOLS = (BRIMINGTON_JUNIOR, ASHOVER_PRIMARY, SWANWICK_PRIMARY)
TARGETS = ("brimington", "ashover", "swanwick", "home_educated")
SYSTEM = Actor(type="system", id="stateful-test", source="test")


class Inboxes:
    def send(self, **_email) -> None:
        pass


@dataclass
class Case:
    """One police reference: its versions (oldest first) and who the model says owns the current one."""

    reference: str
    versions: list[str]
    owner: tuple[str | None, str]  # (urn, la_code) of the current version
    # Each version's owner when it was replaced; a replaced version changes hands no more.
    replaced_owners: list[tuple[str | None, str]] = field(default_factory=list)
    waiting_for_swanwick: bool = False
    acknowledged: bool = False
    closed: bool = False
    acted: bool = False
    withdrawn: bool = False  # the current version
    target: str = ""  # where police's details (setting, education status) last pointed
    # A person chose the owner since police sent it (a send-back, a re-route): a correction with the same details
    # keeps that owner.
    chosen_by_people: bool = False
    refused: set[str] = field(default_factory=set)  # the schools that sent the child back: never routed there again
    withdrawn_versions: set[str] = field(default_factory=set)  # every version police withdrew, current or replaced

    @property
    def current(self) -> str:
        return self.versions[-1]


@dataclass
class Note:
    token: str
    owner_urn: str | None
    owner_la: str
    for_urn: str | None = None
    for_la: str | None = None


@dataclass
class World:
    police: AuthenticatedClient
    key_adults: dict[str, int]  # urn -> user id (Swanwick's only once onboarded)
    officers: dict[str, int]  # la_code -> user id
    clock: list = field(default_factory=lambda: [utcnow()])
    references: itertools.count = field(default_factory=itertools.count)


@pytest.fixture
def world(db, forces, make_user):
    issued = create_client(db, force_id="derbyshire", name="Stateful test system")
    key_adults = {urn: make_user("setting_staff", urns=[urn], display_name=f"Key Adult {urn}").id
                  for urn in (BRIMINGTON_JUNIOR, ASHOVER_PRIMARY)}
    officers = {code: make_user("la_officer", la_codes=[code]).id for code in (DERBYSHIRE, DERBY)}
    db.commit()
    police = AuthenticatedClient(client_id=issued.client_id, force_id="derbyshire",
                                 scopes=frozenset({"incidents:write", "notifications:read"}))
    return World(police=police, key_adults=key_adults, officers=officers)


def _child(target: str, token: str) -> dict:
    if target == "home_educated":
        return child_entry("C1", urn=None, education_status="elective_home_education", child_voice=token)
    urn = {"brimington": BRIMINGTON_JUNIOR, "ashover": ASHOVER_PRIMARY, "swanwick": SWANWICK_PRIMARY}[target]
    return child_entry("C1", urn=urn, child_voice=token)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_the_lifecycle_keeps_its_promises_whatever_happens(db, world, make_user, shard):
    class Lifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.cases: list[Case] = []
            self.notes: list[Note] = []
            self.swanwick_onboarded = False
            self.key_adults = dict(world.key_adults)
            world.clock[0] += timedelta(minutes=1)  # time only moves forward, across examples too

        @property
        def now(self):
            return world.clock[0]

        def teardown(self):
            # Swanwick starts each example without a Key Adult again; the rows this example wrote stay, unread.
            for membership in db.exec(select(SettingMembership).where(SettingMembership.urn == SWANWICK_PRIMARY)):
                db.delete(membership)
            db.commit()

        # ---- helpers

        def _owner_of(self, target: str) -> tuple[str | None, str]:
            if target == "home_educated" or (target == "swanwick" and not self.swanwick_onboarded):
                return (None, DERBYSHIRE)
            return ({"brimington": BRIMINGTON_JUNIOR, "ashover": ASHOVER_PRIMARY, "swanwick": SWANWICK_PRIMARY}[target],
                    DERBYSHIRE)

        def _post(self, reference: str, target: str) -> str:
            body = incident_body(_child(target, f"voice-{next(world.references)}"), reference=reference)
            submission = IncidentSubmission.model_validate(body)
            result = receive_incident(db, client=world.police, submission=submission, idempotency_key=None, now=self.now)
            db.commit()
            [receipt] = result.body["notifications"]
            return receipt["id"]

        def _open(self, pick: int) -> Case | None:
            open_cases = [c for c in self.cases if not c.closed]
            return open_cases[pick % len(open_cases)] if open_cases else None

        def _staff(self, urn: str) -> StaffMember:
            return StaffMember(user_id=self.key_adults[urn], urns=frozenset({urn}))

        def _officer(self, la_code: str) -> Officer:
            return Officer(id=world.officers[la_code], la_codes=frozenset({la_code}))

        def _tick(self, minutes: int = 1) -> None:
            world.clock[0] += timedelta(minutes=minutes)

        def _note(self, case: Case, **addressed) -> str:
            token = f"NOTE-{next(world.references)}"
            self.notes.append(Note(token, case.owner[0], case.owner[1], **addressed))
            return token

        def _hand_to(self, case: Case, owner: tuple[str | None, str], *, by_a_person: bool) -> None:
            case.owner, case.acknowledged, case.acted, case.waiting_for_swanwick = owner, False, False, False
            case.chosen_by_people = case.chosen_by_people or by_a_person

        # ---- what happens

        @rule(where=st.sampled_from(TARGETS))
        def police_send_an_incident(self, where):
            self._tick()
            reference = f"SM-{next(world.references)}"
            self.cases.append(Case(reference, [self._post(reference, where)], self._owner_of(where),
                                   waiting_for_swanwick=where == "swanwick" and not self.swanwick_onboarded,
                                   target=where))

        @precondition(lambda self: self.cases)
        @rule(pick=st.integers(0, 99), where=st.sampled_from(TARGETS))
        def police_correct_it(self, pick, where):
            case = self.cases[pick % len(self.cases)]
            self._tick()
            case.versions.append(self._post(case.reference, where))
            case.replaced_owners.append(case.owner)
            if case.chosen_by_people and not case.withdrawn and where == case.target:
                case.waiting_for_swanwick = False  # the same details: the owner a person chose stays
            elif self._owner_of(where)[0] in case.refused:
                case.owner, case.waiting_for_swanwick = (None, DERBYSHIRE), False  # that school said not on our roll
                case.chosen_by_people = True
            else:
                case.owner = self._owner_of(where)
                case.waiting_for_swanwick = where == "swanwick" and not self.swanwick_onboarded
                case.chosen_by_people = False
            case.target = where
            case.acknowledged = case.closed = case.acted = case.withdrawn = False

        @precondition(lambda self: any(not c.withdrawn for c in self.cases))
        @rule(pick=st.integers(0, 99), whole_incident=st.booleans())
        def police_withdraw_it(self, pick, whole_incident):
            live = [c for c in self.cases if not c.withdrawn]
            case = live[pick % len(live)]
            self._tick()
            request = WithdrawalRequest(reason="sent_in_error")
            for _ in range(2):  # a repeat changes nothing
                if whole_incident:
                    incident_id = db.get(Notification, case.current).incident_id
                    withdraw_incident(db, client=world.police, incident_id=incident_id, request=request, now=self.now)
                else:
                    withdraw_notification(db, client=world.police, notification_id=case.current, request=request,
                                          now=self.now)
            db.commit()
            case.withdrawn = case.closed = True
            case.withdrawn_versions.add(case.current)
            case.waiting_for_swanwick = False

        @precondition(lambda self: self.cases)
        @rule(pick=st.integers(0, 999), outcome=st.sampled_from(
            ["delivered", "delivered", "permanent-failure", "temporary-failure", "technical-failure"]))
        def notify_reports_back(self, pick, outcome):
            """GOV.UK Notify's receipt for an email the worker sent, once or twice."""
            emails = db.exec(select(OutboxMessage).where(OutboxMessage.state == "sent",
                                                         OutboxMessage.audience.in_(("user", "la_team")))
                             .order_by(OutboxMessage.id)).all()
            if not emails:
                return
            email = emails[pick % len(emails)]
            self._tick()
            receipt = DeliveryReceipt(id=str(uuid.UUID(int=email.id)), reference=f"outbox-{email.id}", to="someone",
                                      status=outcome, notification_type="email")
            record_receipt(db, receipt, now=self.now)
            db.commit()

        @rule(minutes=st.sampled_from([1, 30, 6 * 60, 26 * 60, 4 * 24 * 60]))
        def the_worker_runs(self, minutes):
            """Alerts go out and the escalation ladder climbs, at a later moment."""
            self._tick(minutes)
            db.commit()
            webhooks = WebhookSender()
            try:
                OutboxWorker(worker_id="stateful", email_sender=Inboxes(), webhook_sender=webhooks, max_attempts=3,
                             escalate_after=timedelta(hours=2), clock=lambda: self.now, rng=lambda: 0.5).run_once()
            finally:
                webhooks.close()
            db.expire_all()

        @precondition(lambda self: any(not c.withdrawn for c in self.cases))
        @rule(pick=st.integers(0, 99))
        def the_owner_opens_it(self, pick):
            live = [c for c in self.cases if not c.withdrawn]
            case = live[pick % len(live)]
            self._tick()
            urn, la_code = case.owner
            if urn:
                keyadult_service.open_notification(db, staff=self._staff(urn), notification_id=case.current, now=self.now)
            else:
                la_item.view_item(db, self._officer(la_code), case.current, now=self.now)
            db.commit()

        @precondition(lambda self: any(not c.closed for c in self.cases))
        @rule(pick=st.integers(0, 99))
        def the_owner_acknowledges(self, pick):
            case = self._open(pick)
            self._tick()
            urn, la_code = case.owner
            if urn:
                keyadult_service.acknowledge(db, staff=self._staff(urn), notification_id=case.current, now=self.now)
            else:
                la_item.acknowledge(db, self._officer(la_code), case.current, now=self.now)
            case.acknowledged = True
            db.commit()

        @precondition(lambda self: any(c.acknowledged and not c.closed for c in self.cases))
        @rule(pick=st.integers(0, 99))
        def the_owner_records_what_they_did(self, pick):
            case = [c for c in self.cases if c.acknowledged and not c.closed][pick % sum(
                1 for c in self.cases if c.acknowledged and not c.closed)]
            self._tick()
            urn, la_code = case.owner
            token = self._note(case)
            if urn:
                keyadult_service.record_action(db, staff=self._staff(urn), notification_id=case.current,
                                               action="support_in_school", note=token, now=self.now)
            else:
                la_item.record_outcome(db, self._officer(la_code), case.current,
                                         OutcomeForm(outcome="other", note=token, close=False), now=self.now)
            case.acted = True
            db.commit()

        @precondition(lambda self: any(c.owner[0] and not c.closed for c in self.cases))
        @rule(pick=st.integers(0, 99))
        def the_school_says_not_on_our_roll(self, pick):
            held = [c for c in self.cases if c.owner[0] and not c.closed]
            case = held[pick % len(held)]
            self._tick()
            urn, la_code = case.owner
            token = self._note(case, for_la=la_code)
            keyadult_service.record_action(db, staff=self._staff(urn), notification_id=case.current,
                                           action="not_on_roll", note=token, now=self.now)
            case.refused.add(urn)
            self._hand_to(case, (None, la_code), by_a_person=True)
            db.commit()

        @precondition(lambda self: any(not c.closed for c in self.cases))
        @rule(pick=st.integers(0, 99), to=st.sampled_from([BRIMINGTON_JUNIOR, ASHOVER_PRIMARY, DERBY, DERBYSHIRE]))
        def the_la_reroutes_it(self, pick, to):
            case = self._open(pick)
            new_owner = (to, DERBYSHIRE) if to in SCHOOLS else (None, to)
            if new_owner == case.owner or (to in SCHOOLS and case.owner[0] == to):
                return
            self._tick()
            to_urn, to_la = new_owner
            token = self._note(case, for_urn=to_urn, for_la=to_la)
            if to_urn:
                la_reroute.reroute(db, self._officer(case.owner[1]), case.current, target="setting", urn=to_urn,
                                  reason=token, now=self.now)
            else:
                la_reroute.reroute(db, self._officer(case.owner[1]), case.current, target="la", la_code=to_la,
                                  reason=token, now=self.now)
            self._hand_to(case, new_owner, by_a_person=True)
            db.commit()

        @precondition(lambda self: not self.swanwick_onboarded)
        @rule()
        def swanwick_gets_its_first_key_adult(self):
            self._tick()
            user = make_user("setting_staff", email=f"dsl.{next(world.references)}@swanwick.example.sch.uk")
            administration.invite_user(db, email=user.email, display_name="Swanwick DSL", kind="setting_staff",
                                         urns=(SWANWICK_PRIMARY,), role="key_adult", now=self.now, by=SYSTEM)
            db.commit()
            self.key_adults[SWANWICK_PRIMARY] = user.id
            self.swanwick_onboarded = True
            for case in self.cases:
                if case.waiting_for_swanwick and not case.closed:
                    self._hand_to(case, (SWANWICK_PRIMARY, DERBYSHIRE), by_a_person=False)

        @precondition(lambda self: any(not c.closed for c in self.cases))
        @rule(pick=st.integers(0, 99))
        def the_owner_closes_it(self, pick):
            case = self._open(pick)
            self._tick()
            urn, la_code = case.owner
            if urn:
                staff = self._staff(urn)
                keyadult_service.acknowledge(db, staff=staff, notification_id=case.current, now=self.now)
                if not case.acted:
                    keyadult_service.record_action(db, staff=staff, notification_id=case.current,
                                                   action="observed_no_concerns", note=self._note(case), now=self.now)
                assert keyadult_service.close(db, staff=staff, notification_id=case.current, now=self.now)
            else:
                la_item.record_outcome(db, self._officer(la_code), case.current,
                                         OutcomeForm(outcome="no_further_action", note=self._note(case), close=True),
                                         now=self.now)
            case.closed = case.acknowledged = case.acted = True
            case.waiting_for_swanwick = False
            db.commit()

        @rule()
        def retention_runs_years_later(self):
            purge_past_retention(db, retention_days=1, actor=SYSTEM, now=self.now + timedelta(days=2))
            db.commit()
            # Purged notes are blank now, so the model forgets none: a blank note matches no token.

        # ---- what must always be true

        def _viewers(self):
            for urn, user_id in self.key_adults.items():
                yield StaffMember(user_id=user_id, urns=frozenset({urn})).scope, (urn, None)
            for code in world.officers:
                yield Scope(la_codes=frozenset({code})), (None, code)

        @invariant()
        def each_reference_has_one_current_version_with_the_owner_the_model_expects(self):
            db.expire_all()
            for case in self.cases:
                rows = [db.get(Notification, version) for version in case.versions]
                assert [r.superseded_by_id is None for r in rows] == [False] * (len(rows) - 1) + [True]
                current = rows[-1]
                assert (current.recipient_urn, current.recipient_la_code) == case.owner, case
                assert (current.closed_at is not None) == case.closed

        @invariant()
        def nobody_reads_what_they_do_not_own(self):
            for case in self.cases:
                for version, version_owner in zip(case.versions, [*case.replaced_owners, case.owner], strict=True):
                    for scope, (urn, la_code) in self._viewers():
                        # Only whoever holds both this version and the newest correction may read it, and nobody
                        # once police withdrew the newest.
                        if case.withdrawn or version in case.withdrawn_versions:
                            may = False
                        elif urn:
                            may = urn == version_owner[0] == case.owner[0]
                        else:
                            may = la_code == version_owner[1] == case.owner[1]
                        try:
                            get_notification(db, scope, version)
                            readable = True
                        except NotFound:
                            readable = False
                        assert readable == may, (case, version, urn, la_code)

        @invariant()
        def notes_stay_with_the_owner_they_were_written_under(self):
            by_token = {note.token: note for note in self.notes}
            for case in self.cases:
                if case.withdrawn:
                    continue  # nobody reads it any more (nobody_reads_what_they_do_not_own)
                for urn in self.key_adults:
                    if case.owner[0] != urn:
                        continue
                    staff = self._staff(urn)
                    for action in keyadult_service.recorded_actions(db, staff, case.current):
                        note = by_token.get(action.note)
                        assert note is None or urn in (note.owner_urn, note.for_urn), (note, urn)
                for code in world.officers:
                    if case.owner[1] != code:
                        continue
                    for entry in la_item.view_item(db, self._officer(code), case.current, now=self.now).outcomes:
                        note = by_token.get(entry.note)
                        assert note is None or code in (note.owner_la, note.for_la), (note, code)
                db.rollback()  # the views above were audited; the check itself changes nothing

        @invariant()
        def police_see_the_current_owners_times_and_each_earlier_owner_its_own(self):
            for case in self.cases:
                notification = db.get(Notification, case.current)
                seen = status_for(db, notification)
                since = seen["owner_since"]
                assert seen["owner"] == {"kind": "setting" if case.owner[0] else "local_authority",
                                         "urn": case.owner[0], "la_code": case.owner[1]}
                for name in ("delivered_at", "first_viewed_at", "acknowledged_at", "escalated_at",
                             "key_adult_not_reached_at"):
                    assert seen[name] is None or seen[name] >= since, (name, seen)
                # A new owner's deadline is after the moment it took over.
                assert seen["acknowledge_by"] > since
                previous_until = None
                for earlier in seen["earlier_owners"]:
                    assert earlier["from"] <= earlier["until"] <= since
                    assert previous_until is None or earlier["from"] >= previous_until
                    previous_until = earlier["until"]
                    for name in ("delivered_at", "first_viewed_at", "acknowledged_at", "escalated_at",
                                 "key_adult_not_reached_at"):
                        value = earlier[name]
                        assert value is None or earlier["from"] <= value <= earlier["until"], (name, earlier)

        @invariant()
        def police_hear_delivered_only_from_a_receipt_or_a_webhook_and_see_each_withdrawal(self):
            for case in self.cases:
                notification = db.get(Notification, case.current)
                assert (notification.status == "withdrawn") == case.withdrawn, case
                if notification.delivered_at is not None:
                    proof = db.exec(select(OutboxMessage.id).where(
                        OutboxMessage.notification_id == notification.id,
                        sa.or_(sa.and_(OutboxMessage.receipt_status == "delivered",
                                       OutboxMessage.audience.in_(("user", "la_team"))),
                               sa.and_(OutboxMessage.audience == "webhook", OutboxMessage.state == "sent")),
                        OutboxMessage.sent_at >= notification.owner_since)).first()
                    assert proof is not None, notification
                if notification.status == "sent":
                    assert notification.sent_at is not None and notification.delivered_at is None
                if case.withdrawn:
                    # Nothing about it is still waiting to go out, but the word that it was withdrawn.
                    waiting = db.exec(select(OutboxMessage.template).where(
                        OutboxMessage.notification_id == notification.id,
                        OutboxMessage.state.in_(("pending", "sending")))).all()
                    assert set(waiting) <= {"notification_withdrawn"}, waiting

        @invariant()
        def events_are_in_time_order(self):
            for case in self.cases:
                for version in case.versions:
                    moments = [e.at for e in db.exec(select(NotificationEvent).where(
                        NotificationEvent.notification_id == version).order_by(NotificationEvent.id))]
                    assert moments == sorted(moments)

    run_state_machine_as_test(Lifecycle, settings=settings(
        max_examples=-(-EXAMPLES // SHARDS), stateful_step_count=10, deadline=None, derandomize=False, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    ))
