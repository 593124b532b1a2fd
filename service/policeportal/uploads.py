"""A CSV extract from checking to summary: held sealed for its preview, then each incident through the intake alone.

Processing runs after the confirming request has answered (a background task), one incident per transaction. The
upload row's `incidents_done` moves on in the same transaction as each incident, so a step is done exactly once
whoever runs it: if the process dies part-way, the worker's next pass (or "Continue" on the progress page, whichever
comes first) starts a new runner that carries on from the next incident; incidents already stored are exact
repeats in any case.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from service import wording
from service.audit import service as audit_service
from service.audit.service import Actor
from service.crypto import at_rest_keyring, decrypt_secret, encrypt_secret
from service.db import unit_of_work, utcnow
from service.notifications import intake
from service.notifications.models import Incident
from service.notifications.schemas import IncidentSubmission
from service.policeportal.extract import Extract, read_extract
from service.policeportal.models import PoliceUpload
from service.policeportal.service import PoliceStaffMember, force_of, send_incident
from service.problems import NotFound
from service.routing import ChildFacts, route_child

UPLOADS_LABEL = b"encompass/police-uploads/v1"
PREVIEW_LIFETIME = timedelta(hours=24)
STALLED_AFTER = timedelta(minutes=2)
log = logging.getLogger(__name__)


def _keys():
    return at_rest_keyring(UPLOADS_LABEL)


def _seal(incidents: list[IncidentSubmission]) -> str:
    return encrypt_secret(json.dumps([i.model_dump(mode="json") for i in incidents]), _keys())


def _unseal(upload: PoliceUpload) -> list[IncidentSubmission]:
    if upload.sealed_incidents is None:
        return []
    return [IncidentSubmission.model_validate(i) for i in json.loads(decrypt_secret(upload.sealed_incidents, _keys()))]


@dataclass(frozen=True)
class Checked:
    extract: Extract
    upload_id: str | None  # set when the file passed and is waiting for its preview to be confirmed


def check_upload(session: Session, staff: PoliceStaffMember, raw: bytes, *, now: datetime) -> Checked:
    """Every row checked; a file that passes is held (sealed) for its preview. Nothing is sent to anyone yet."""
    digest = hashlib.sha256(raw).hexdigest()
    extract = read_extract(raw)
    delete_abandoned_previews(session, now=now)
    if extract.problems:
        audit_service.record(session, staff.actor, "police_upload.refused", "police_force", staff.force_id,
                             file_sha256=digest, problems=len(extract.problems))
        return Checked(extract, None)
    upload = PoliceUpload(id=uuid.uuid4().hex, user_id=staff.user_id, force_id=staff.force_id, state="previewed",
                          sealed_incidents=_seal([i.submission for i in extract.incidents]), file_sha256=digest,
                          incidents_total=len(extract.incidents), children_total=extract.children, created_at=now)
    session.add(upload)
    audit_service.record(session, staff.actor, "police_upload.checked", "police_upload", upload.id, file_sha256=digest,
                         incidents=upload.incidents_total, children=upload.children_total)
    return Checked(extract, upload.id)


def _abandoned(now: datetime):
    return sa.and_(PoliceUpload.state == "previewed", PoliceUpload.created_at < now - PREVIEW_LIFETIME)


def delete_abandoned_previews(session: Session, *, now: datetime, dry_run: bool = False) -> int:
    """Deletes the previews nobody confirmed within PREVIEW_LIFETIME (with the children's details they hold, sealed);
    returns how many (with `dry_run`, how many it would). Each upload and the daily retention run call it, so a
    force that uploads nothing more still loses them within a day."""
    if dry_run:
        return session.exec(select(sa.func.count()).select_from(PoliceUpload).where(_abandoned(now))).one()
    return session.execute(delete(PoliceUpload).where(_abandoned(now)).execution_options(synchronize_session=False)).rowcount


def own_upload(session: Session, staff: PoliceStaffMember, upload_id: str) -> PoliceUpload:
    """The staff member's own upload; a preview past PREVIEW_LIFETIME is gone, whether or not it is deleted yet."""
    upload = session.exec(select(PoliceUpload).where(PoliceUpload.id == upload_id, PoliceUpload.user_id == staff.user_id,
                                                     PoliceUpload.force_id == staff.force_id, ~_abandoned(utcnow()))
                          .execution_options(populate_existing=True)).first()
    if upload is None:
        raise NotFound("No upload with that id.")
    return upload


@dataclass(frozen=True)
class PreviewChild:
    police_reference: str
    child_reference: str
    outcome: str  # setting, local_authority, not_routed
    destination: str
    reason: str


@dataclass(frozen=True)
class Preview:
    upload: PoliceUpload
    children: list[PreviewChild]
    new: int
    corrections: int
    unchanged: int

    def count(self, outcome: str) -> int:
        return sum(1 for child in self.children if child.outcome == outcome)


def preview(session: Session, staff: PoliceStaffMember, upload: PoliceUpload) -> Preview:
    """Where each child would go, routed as the intake will route them, and which incidents are new, corrections or
    exact repeats of what the force already sent. Reads only."""
    from service.register.models import Setting

    context = intake.routing_context(session, force_of(session, staff))
    children, new, corrections, unchanged = [], 0, 0, 0
    for submission in _unseal(upload):
        current = session.exec(select(Incident.body_hash).where(
            Incident.force_id == staff.force_id, Incident.police_reference == submission.police_reference,
            col(Incident.is_current).is_(True))).first()
        if current is None:
            new += 1
        elif current == intake.request_hash(submission):
            unchanged += 1
        else:
            corrections += 1
        for child in submission.children:
            decision = route_child(ChildFacts(
                child_reference=child.child_reference, date_of_birth=child.date_of_birth,
                education_status=child.education_status, setting_urn=child.setting_urn, setting_name=child.setting_name,
                home_la_code=child.home_la_code, home_postcode=child.home_postcode), submission.occurred_at, context)
            if decision.outcome == "setting":
                setting = session.get(Setting, decision.urn)
                destination = wording.setting_label(setting.name if setting else None, decision.urn)
            elif decision.outcome == "local_authority":
                destination = f"LA {decision.la_code} education service"
            else:
                destination = "Nobody: outside the scheme"
            children.append(PreviewChild(submission.police_reference, child.child_reference, decision.outcome,
                                         destination, decision.reason))
    audit_service.record(session, staff.actor, "police_upload.previewed", "police_upload", upload.id)
    return Preview(upload, children, new, corrections, unchanged)


def confirm(session: Session, staff: PoliceStaffMember, upload_id: str, *, now: datetime) -> bool:
    """Starts processing a previewed upload. False when it was already started (a second press of the button)."""
    upload = own_upload(session, staff, upload_id)
    # One conditional UPDATE: a second press, or the preview's day running out (and the daily purge deleting it)
    # since the line above, starts nothing.
    started = session.execute(
        sa.update(PoliceUpload).where(PoliceUpload.id == upload.id, ~_abandoned(now), PoliceUpload.state == "previewed")
        .values(state="processing", heartbeat_at=now).execution_options(synchronize_session=False)).rowcount
    if not started:
        return False
    audit_service.record(session, staff.actor, "police_upload.confirmed", "police_upload", upload.id,
                         incidents=upload.incidents_total)
    return True


def stalled(upload: PoliceUpload, now: datetime) -> bool:
    """Processing, and no step taken for STALLED_AFTER (the same rule as _stalled_since, for a row already read)."""
    return upload.state == "processing" and (upload.heartbeat_at is None or now - upload.heartbeat_at > STALLED_AFTER)


def _stalled_since(now: datetime):
    return sa.and_(PoliceUpload.state == "processing",
                   sa.or_(PoliceUpload.heartbeat_at.is_(None), PoliceUpload.heartbeat_at < now - STALLED_AFTER))


def _take_stalled(session: Session, upload_id: str, now: datetime) -> bool:
    """One conditional UPDATE: the uploader's button and each worker take a stalled upload once between them."""
    return session.execute(
        sa.update(PoliceUpload).where(PoliceUpload.id == upload_id, _stalled_since(now))
        .values(heartbeat_at=now).execution_options(synchronize_session=False)).rowcount == 1


def carry_on_stalled(*, now: datetime, actor: Actor) -> int:
    """Uploads whose processing stopped part-way (their web process restarted, say) carry on from the next incident,
    as the uploader's Continue does, so the children's settings hear without anyone coming back to the page. Each
    is taken with one conditional UPDATE, so another worker, or the uploader's button, does not take it again;
    two runners at once would still send each incident once (steps are claimed). Returns how many it carried on."""
    with unit_of_work() as session:
        stalled_ids = session.exec(select(PoliceUpload.id).where(_stalled_since(now))).all()
    carried = 0
    for upload_id in stalled_ids:
        with unit_of_work() as session:
            if not _take_stalled(session, upload_id, now):
                continue
            upload = session.get(PoliceUpload, upload_id)
            staff = PoliceStaffMember(user_id=upload.user_id, force_id=upload.force_id)
            audit_service.record(session, actor, "police_upload.resumed", "police_upload", upload_id,
                                 from_incident=upload.incidents_done)
        carried += 1
        try:
            process_upload(upload_id, staff)
        except Exception as error:  # this upload only: it is taken again after STALLED_AFTER, and the pass goes on
            log.warning("Upload %s: carrying on failed (%s); trying again later", upload_id, type(error).__name__)
    return carried


def resume(session: Session, staff: PoliceStaffMember, upload_id: str, *, now: datetime) -> bool:
    """The uploader's "Continue sending": False when the upload is not stalled (or a worker has just taken it)."""
    upload = own_upload(session, staff, upload_id)
    if not _take_stalled(session, upload.id, now):
        return False
    audit_service.record(session, staff.actor, "police_upload.resumed", "police_upload", upload.id, from_incident=upload.incidents_done)
    return True


def _claim_step(session: Session, upload_id: str, index: int) -> bool:
    """Takes the upload's next step (the row stays locked until this transaction ends); False if another runner did."""
    claimed = session.execute(
        sa.update(PoliceUpload).where(PoliceUpload.id == upload_id, PoliceUpload.state == "processing",
                                      PoliceUpload.incidents_done == index).values(heartbeat_at=utcnow()))
    return claimed.rowcount == 1


def _count(session: Session, upload_id: str, reference: str, outcome: str) -> None:
    upload = session.get(PoliceUpload, upload_id, populate_existing=True)
    upload.incidents_done += 1
    column = {"new": "new_count", "corrected": "corrected_count", "unchanged": "unchanged_count", "failed": "failed_count"}[outcome]
    setattr(upload, column, getattr(upload, column) + 1)
    upload.outcomes = [*upload.outcomes, {"police_reference": reference, "outcome": outcome}]
    session.add(upload)


def process_upload(upload_id: str, staff: PoliceStaffMember) -> None:
    """Sends each incident not yet sent, each in its own transaction, then forgets the incidents. Run after the
    confirming request has answered; safe to run twice at once (each step is claimed)."""
    with unit_of_work() as session:
        upload = session.get(PoliceUpload, upload_id)
        if upload is None or upload.state != "processing":
            return
        incidents, start = _unseal(upload), upload.incidents_done
    for index in range(start, len(incidents)):
        submission = incidents[index]
        try:
            with unit_of_work() as session:
                if not _claim_step(session, upload_id, index):
                    return
                sent = send_incident(session, staff, submission, via="upload")
                _count(session, upload_id, submission.police_reference, sent.outcome)
        except Exception as error:  # this incident only: it rolled back alone, and the rest still go
            log.warning("Upload %s: incident %d of %d not stored (%s)", upload_id, index + 1, len(incidents), type(error).__name__)
            with unit_of_work() as session:
                if not _claim_step(session, upload_id, index):
                    return
                _count(session, upload_id, submission.police_reference, "failed")
    with unit_of_work() as session:
        upload = session.get(PoliceUpload, upload_id)
        if upload is None or upload.state != "processing" or upload.incidents_done < upload.incidents_total:
            return
        upload.state, upload.finished_at, upload.sealed_incidents = "done", utcnow(), None
        session.add(upload)
        audit_service.record(session, staff.actor, "police_upload.completed", "police_upload", upload.id,
                             new=upload.new_count, corrected=upload.corrected_count, unchanged=upload.unchanged_count,
                             failed=upload.failed_count)
