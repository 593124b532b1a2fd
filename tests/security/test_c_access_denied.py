"""Denied access leaves a trace: each 403 or 404 on a notification, LA or admin URL by a signed-in user is audited as
`access.denied` (user, route template, object id), at most 20 times per user in 10 minutes; portal access-log lines
carry the user id."""

import logging

from sqlmodel import select

from service.audit.models import AuditEvent
from tests.builders import BRIMINGTON_JUNIOR
from tests.security.c_portal import csrf_for


def denials(db, user) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.actor_id == str(user.id),
                                                 AuditEvent.action.in_(("access.denied", "access.denied_limited")))
                        .order_by(AuditEvent.id)))


def test_a_denied_notification_la_or_admin_url_is_audited_with_user_route_and_object(client, db, forces, make_user, sign_in):
    key_adult = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,))
    sign_in(client, key_adult)

    assert client.get("/notifications/not-a-real-id").status_code == 404
    assert client.get("/la/notifications/someone-elses").status_code == 404
    assert client.post("/admin/outbox/7/send-again", data={"csrf_token": csrf_for(client)}).status_code == 404
    assert client.post("/la/key-adults/invite", data={"csrf_token": "forged"}).status_code in (400, 403)

    rows = denials(db, key_adult)
    got = [(e.action, e.object_type, e.object_id, e.detail["route"]) for e in rows]
    assert got[:3] == [
        ("access.denied", "notification", "not-a-real-id", "/notifications/{notification_id}"),
        ("access.denied", "notification", "someone-elses", "/la/notifications/{notification_id}"),
        ("access.denied", "outbox_message", "7", "/admin/outbox/{message_id}/send-again"),
    ]
    assert all(e.actor_type == "user" and e.detail["status"] == 404 for e in rows[:3])


def test_denials_are_not_audited_for_someone_signed_out(client, db, forces):
    assert client.get("/la/notifications/x", follow_redirects=False).status_code == 303  # sent to sign in, not denied
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all() == []


def test_a_scan_cannot_flood_the_audit_trail(client, db, forces, make_user, sign_in):
    officer = make_user("la_officer", la_codes=("830",))
    sign_in(client, officer)
    for number in range(35):
        assert client.get(f"/la/notifications/guess-{number}").status_code == 404

    rows = denials(db, officer)
    assert [e.action for e in rows] == ["access.denied"] * 20 + ["access.denied_limited"]
    assert [e.object_id for e in rows[:20]] == [f"guess-{n}" for n in range(20)]
    assert rows[-1].detail["limit"] == 20 and rows[-1].detail["window_minutes"] == 10


def test_a_notification_handed_over_is_still_audited_as_access_refused_and_nothing_else(
        client, db, post_incident, make_user, sign_in):
    from service.db import utcnow
    from service.keyadult import service as keyadult_service
    from service.keyadult.service import StaffMember
    from tests.builders import child_entry

    key_adult = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,))
    [sent] = post_incident(child_entry("C1"))
    keyadult_service.record_action(db, staff=StaffMember(user_id=key_adult.id, urns=frozenset({BRIMINGTON_JUNIOR})),
                                   notification_id=sent["id"], action="not_on_roll", note="Not ours.", now=utcnow())
    db.commit()
    sign_in(client, key_adult)
    assert client.get(f"/notifications/{sent['id']}").status_code == 404
    db.expire_all()
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.actor_id == str(key_adult.id),
                                                                  AuditEvent.action.like("%access%")))]
    assert actions == ["notification.access_refused"]


def test_portal_access_log_lines_carry_the_user_id(client, db, forces, make_user, sign_in, caplog):
    key_adult = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,))
    sign_in(client, key_adult)
    caplog.set_level(logging.INFO, logger="encompass.access")
    caplog.clear()  # the sign-in pages' lines
    assert client.get("/notifications").status_code == 200
    assert client.get("/la").status_code == 404
    lines = [r.fields for r in caplog.records if r.name == "encompass.access"]
    assert [(line["path"], line.get("actor")) for line in lines] == [
        ("/notifications", f"user:{key_adult.id}"), ("/la", f"user:{key_adult.id}")]
