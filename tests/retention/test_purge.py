"""Retention: child data goes once a notification has been closed longer than the retention period; the timings stay."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.cli import main
from service.db import utcnow
from service.notifications.models import Incident, Notification, NotificationAction
from service.retention.service import (
    NotificationLifetime,
    notifications_past_retention,
    purge_past_retention,
    retention_cutoff,
)

OPERATOR = Actor(type="operator", id="dpo", source="cli")
RETENTION_DAYS = 730
BRIMINGTON_JUNIOR = "112517"
# Words that appear nowhere but in these incidents, so finding one anywhere in the database means it was kept.
CHILD_WORDS = ("Zephyrine", "Quillfeather", "Ignatia", "Pemberthwaite", "Obsidianfox", "Marzipanwhistle", "Lanternbrook")


def _dob(age: int) -> str:
    return date(date.today().year - age, 2, 2).isoformat()


def incident(reference: str, **changes) -> dict:
    body = {
        "police_reference": reference,
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0).isoformat(),
        "risk_level": "high",
        "summary": "Shouting heard at the Marzipanwhistle address.",
        "police_actions": ["Spoke to Lanternbrook family members"],
        "children": [
            {"child_reference": "C1", "given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": _dob(9),
             "upn": "A123456789012", "education_status": "attends_setting", "setting_urn": BRIMINGTON_JUNIOR,
             "setting_name": "Brimington Junior", "home_la_code": "830", "home_postcode": "S43 1AA",
             "present_at_incident": True, "spoken_to": True, "child_voice": "Talked about the Obsidianfox game"},
            {"child_reference": "C2", "given_name": "Ignatia", "family_name": "Pemberthwaite", "date_of_birth": _dob(13),
             "education_status": "elective_home_education", "home_la_code": "830"},
        ],
    }
    body.update(changes)
    return body


def post_incident(client, key, body) -> dict[str, str]:
    response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code in (200, 201), response.text
    return {n["child_reference"]: n["id"] for n in response.json()["notifications"]}


def close(db, notification_id: str, closed_at: datetime) -> None:
    notification = db.get(Notification, notification_id)
    notification.status = "closed"
    notification.delivered_at = notification.received_at
    notification.acknowledged_at = closed_at - timedelta(hours=1)
    notification.closed_at = closed_at
    db.add(notification)
    db.commit()


def purge(db, **options):
    report = purge_past_retention(db, retention_days=RETENTION_DAYS, actor=OPERATOR, **options)
    db.commit()
    db.expire_all()
    return report


def words_kept_anywhere(db) -> set[str]:
    """Every row of every table but the register, searched for the children's details."""
    found = set()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in {"setting", "setting_link", "register_import"}:
            continue
        for row in db.connection().execute(sa.select(table)).mappings():
            text = json.dumps(dict(row), default=str)
            found.update(word for word in CHILD_WORDS if word in text)
    return found


def test_child_data_past_retention_is_blanked_and_the_timings_are_kept(client, police_key, onboard, db):
    staff = onboard(BRIMINGTON_JUNIOR)
    ids = post_incident(client, police_key, incident("DC-RET-1"))
    db.add(NotificationAction(notification_id=ids["C1"], action="support_in_school",
                              note="Zephyrine seemed tired; spoke with Quillfeather aunt", recorded_by=staff.id))
    db.commit()
    now = utcnow()
    close(db, ids["C1"], now - timedelta(days=RETENTION_DAYS + 1))
    close(db, ids["C2"], now - timedelta(days=RETENTION_DAYS - 1))
    before = db.get(Notification, ids["C1"]).model_copy()

    report = purge(db, now=now)

    assert report.notification_ids == (ids["C1"],)
    purged = db.get(Notification, ids["C1"])
    for field in ("given_name", "family_name", "date_of_birth", "upn", "home_postcode", "setting_name_given",
                  "child_voice", "child_key"):
        assert getattr(purged, field) is None, field
    assert purged.routing_candidates == []
    assert purged.purged_at == now
    # What stays: a record that it existed, who it went to and how long each step took.
    for field in ("id", "incident_id", "status", "received_at", "delivered_at", "acknowledged_at", "closed_at",
                  "acknowledge_by", "routing_outcome", "routing_method", "recipient_urn", "recipient_la_code",
                  "education_status", "age_at_incident"):
        assert getattr(purged, field) == getattr(before, field), field
    [action] = db.exec(select(NotificationAction)).all()
    assert (action.action, action.note) == ("support_in_school", "")

    inside = db.get(Notification, ids["C2"])
    assert (inside.given_name, inside.family_name, inside.purged_at) == ("Ignatia", "Pemberthwaite", None)
    # The other child's notification is still held, so the incident's circumstances stay for now.
    assert db.get(Incident, purged.incident_id).summary.startswith("Shouting heard")

    audit = {(e.action, e.object_id): e for e in db.exec(select(AuditEvent)).all()}
    assert ("notification.purged", ids["C1"]) in audit
    assert ("notification.purged", ids["C2"]) not in audit
    [summary] = [e for (action_name, _), e in audit.items() if action_name == "retention.purged"]
    assert summary.detail["notifications"] == 1 and summary.detail["incidents"] == 0
    assert summary.actor_type == "operator"


def test_nothing_past_retention_keeps_a_name_anywhere_in_the_database(client, police_key, onboard, db):
    staff = onboard(BRIMINGTON_JUNIOR)
    ids = post_incident(client, police_key, incident("DC-RET-2"))
    db.add(NotificationAction(notification_id=ids["C1"], action="other", note="Obsidianfox mentioned again",
                              recorded_by=staff.id))
    db.commit()
    now = utcnow()
    for notification_id in ids.values():
        close(db, notification_id, now - timedelta(days=RETENTION_DAYS, seconds=1))
    assert words_kept_anywhere(db) == set(CHILD_WORDS)

    report = purge(db, now=now)

    assert set(report.notification_ids) == set(ids.values())
    assert len(report.incident_ids) == 1
    assert words_kept_anywhere(db) == set()
    purged_incident = db.get(Incident, report.incident_ids[0])
    assert (purged_incident.summary, purged_incident.police_actions, purged_incident.purged_at) == (None, [], now)
    assert purged_incident.police_reference == "DC-RET-2"


def test_a_version_replaced_by_a_correction_goes_with_the_correction(client, police_key, onboard, db):
    onboard(BRIMINGTON_JUNIOR)
    first = post_incident(client, police_key, incident("DC-RET-3"))
    corrected = post_incident(client, police_key, incident("DC-RET-3", risk_level="medium"))
    assert db.get(Notification, first["C1"]).superseded_by_id == corrected["C1"]
    now = utcnow()
    for notification_id in corrected.values():
        close(db, notification_id, now - timedelta(days=RETENTION_DAYS + 3))

    report = purge(db, now=now)

    assert set(report.notification_ids) == set(first.values()) | set(corrected.values())
    assert len(report.incident_ids) == 2
    assert words_kept_anywhere(db) == set()


def test_nothing_inside_retention_or_still_open_is_touched(client, police_key, onboard, db):
    onboard(BRIMINGTON_JUNIOR)
    ids = post_incident(client, police_key, incident("DC-RET-4"))
    now = utcnow()
    close(db, ids["C1"], now - timedelta(days=RETENTION_DAYS) + timedelta(minutes=1))  # one minute inside
    before = {n.id: n.model_dump() for n in db.exec(select(Notification)).all()}

    report = purge(db, now=now)

    assert report.notification_ids == ()
    assert {n.id: n.model_dump() for n in db.exec(select(Notification)).all()} == before
    assert db.exec(select(AuditEvent).where(AuditEvent.action.like("%purged"))).all() == []


def test_running_the_purge_again_changes_nothing(client, police_key, onboard, db):
    onboard(BRIMINGTON_JUNIOR)
    ids = post_incident(client, police_key, incident("DC-RET-5"))
    now = utcnow()
    close(db, ids["C1"], now - timedelta(days=RETENTION_DAYS + 10))
    purge(db, now=now)
    after_first = {n.id: n.model_dump() for n in db.exec(select(Notification)).all()}
    audit_rows = len(db.exec(select(AuditEvent)).all())

    again = purge(db, now=now + timedelta(days=1))

    assert again.notification_ids == () and again.incident_ids == ()
    assert {n.id: n.model_dump() for n in db.exec(select(Notification)).all()} == after_first
    assert len(db.exec(select(AuditEvent)).all()) == audit_rows


def test_the_command_counts_first_with_dry_run_then_purges(client, police_key, onboard, db, capsys):
    onboard(BRIMINGTON_JUNIOR)
    ids = post_incident(client, police_key, incident("DC-RET-6"))
    close(db, ids["C1"], utcnow() - timedelta(days=RETENTION_DAYS + 30))  # RETENTION_DAYS is also the default setting
    capsys.readouterr()

    assert main(["retention", "purge", "--dry-run"]) == 0
    assert "Would purge the child data of 1 notifications" in capsys.readouterr().out
    db.expire_all()
    assert db.get(Notification, ids["C1"]).given_name == "Zephyrine"

    assert main(["retention", "purge"]) == 0
    assert "Purged the child data of 1 notifications" in capsys.readouterr().out
    db.expire_all()
    assert db.get(Notification, ids["C1"]).given_name is None
    assert db.get(Notification, ids["C2"]).given_name == "Ignatia"


# The choice itself, over plain data.

CUTOFF = datetime(2026, 1, 1, tzinfo=UTC)


def test_closed_at_or_before_the_cutoff_is_past_retention():
    lifetimes = [
        NotificationLifetime("at-cutoff", "i1", closed_at=CUTOFF),
        NotificationLifetime("just-after", "i1", closed_at=CUTOFF + timedelta(seconds=1)),
        NotificationLifetime("still-open", "i2", closed_at=None),
        NotificationLifetime("already-purged", "i3", closed_at=CUTOFF - timedelta(days=9), purged_at=CUTOFF),
    ]
    assert notifications_past_retention(lifetimes, CUTOFF) == {"at-cutoff"}


def test_replaced_versions_follow_their_replacement_down_the_chain():
    lifetimes = [
        NotificationLifetime("v1", "i1", closed_at=None, superseded_by_id="v2"),
        NotificationLifetime("v2", "i2", closed_at=None, superseded_by_id="v3"),
        NotificationLifetime("v3", "i3", closed_at=CUTOFF - timedelta(days=1)),
        NotificationLifetime("w1", "i4", closed_at=None, superseded_by_id="w2"),
        NotificationLifetime("w2", "i5", closed_at=None),
    ]
    assert notifications_past_retention(lifetimes, CUTOFF) == {"v1", "v2", "v3"}


def test_retention_of_less_than_a_day_is_refused():
    with pytest.raises(ValueError, match="at least one day"):
        retention_cutoff(CUTOFF, 0)


def test_an_officers_reason_for_sending_a_child_outside_a_settings_ages_goes_with_the_rest(
        client, police_key, onboard, make_user, db):
    """The reason is a note about the child. The audit trail, which is never purged, points to it; it keeps no copy."""
    from service.laworkspace import reroute as la_reroute
    from service.laworkspace.officer import Officer

    onboard(BRIMINGTON_JUNIOR)
    bolsover_infant = "112511"  # ages 2 to 7; the home-educated child is 13
    onboard(bolsover_infant)
    officer_user = make_user("la_officer", la_codes=["830"])
    ids = post_incident(client, police_key, incident("DC-RET-5"))
    la_reroute.reroute(db, Officer(id=officer_user.id, la_codes=frozenset({"830"})), ids["C2"], target="setting",
                       urn=bolsover_infant, reason="Ignatia is in the nursery class with her Lanternbrook cousin",
                       age_override=True, now=utcnow())
    db.commit()
    [override] = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.reroute_age_override")).all()
    reason = db.get(NotificationAction, override.detail["reason_action_id"])
    assert reason.note.startswith("Ignatia is in the nursery class")
    now = utcnow()
    for notification_id in ids.values():
        close(db, notification_id, now - timedelta(days=RETENTION_DAYS, seconds=1))

    purge(db, now=now)

    assert words_kept_anywhere(db) == set()
