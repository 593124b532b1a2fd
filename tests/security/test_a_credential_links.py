"""Invitation and reset links are credentials: never in the log, never usable from the outbox, gone once finished with."""

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from service.accounts import administration
from service.accounts.models import User
from service.alerts.models import OutboxMessage
from service.alerts.outbox import enqueue_alert
from service.alerts.senders import LoggingEmailSender
from service.audit.service import Actor
from service.cli import main as cli
from service.migrations import alembic_config, upgrade_to_head
from tests.alerts.conftest import clock, make_worker  # noqa: F401  (the alert tests' worker with a settable clock)

OPERATOR = Actor("operator", "cli", "cli")
BRIMINGTON_JUNIOR = "112517"


def _invite(db, email: str = "new.dsl@school.example.sch.uk"):
    invitation = administration.invite_user(db, email=email, display_name="New DSL", kind="admin",
                                            now=datetime.now(UTC), by=OPERATOR)
    db.commit()
    return invitation, invitation.link.rsplit("/", 1)[1]


def _outbox_text(db) -> str:
    """Every column of every outbox row, as the database holds it (what a dump or a backup would show)."""
    db.expire_all()
    rows = db.execute(sa.select(OutboxMessage.__table__)).all()
    return "\n".join(" | ".join(str(value) for value in row) for row in rows)


def test_an_invitation_sent_by_the_logging_sender_leaves_no_token_in_the_log(db, make_worker, caplog):
    _invitation, token = _invite(db)
    worker = make_worker(email_sender=LoggingEmailSender())
    with caplog.at_level(logging.DEBUG):
        worker.run_once()

    [email] = worker.email_sender.sent
    assert email.template == "invitation" and token in email.link  # it was "sent"
    assert any("invitation" in record.getMessage() for record in caplog.records)
    assert token not in caplog.text
    assert "/invitation/" not in caplog.text


def test_the_outbox_never_holds_a_usable_token_yet_the_email_carries_the_working_link(db, client, make_worker):
    invitation, token = _invite(db)
    assert token not in _outbox_text(db), "a waiting invitation must be sealed"

    worker = make_worker(email_sender=LoggingEmailSender())
    worker.run_once()

    [email] = worker.email_sender.sent
    assert email.link == invitation.link
    assert client.get(email.link.removeprefix("https://encompass.test")).status_code == 200  # the link works
    assert token not in _outbox_text(db), "nor a sent one"


def test_a_credential_alert_to_a_group_stays_sealed_in_each_person_s_message(db, onboard, make_worker):
    onboard(BRIMINGTON_JUNIOR)
    onboard(BRIMINGTON_JUNIOR, role="deputy")
    secret_link = "https://encompass.test/invitation/group-token-abcdefghijklmnopqrstuvwxyz"
    enqueue_alert(db, template="invitation", audience="setting", audience_ref=BRIMINGTON_JUNIOR, link=secret_link)
    db.commit()
    worker = make_worker(email_sender=LoggingEmailSender())
    worker.send_due(max_batches=1)  # the group fans out; the two messages are claimed in the next batch

    db.expire_all()
    people = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "user")).all()
    assert len(people) == 2
    assert "group-token" not in _outbox_text(db)
    worker.run_once()
    assert [email.link for email in worker.email_sender.sent] == [secret_link, secret_link]


def test_once_sent_or_dead_a_credential_link_is_blanked(db, make_user, make_worker):
    _invitation, _token = _invite(db, "sent@school.example.sch.uk")
    _leaver_invitation, _ = _invite(db, "leaver@school.example.sch.uk")
    leaver = db.exec(select(User).where(User.email == "leaver@school.example.sch.uk")).one()
    leaver.is_active = False  # left before the invitation went out: a dead letter
    db.add(leaver)
    db.commit()

    make_worker(email_sender=LoggingEmailSender()).run_once()

    db.expire_all()
    finished = {m.state: m.link for m in db.exec(select(OutboxMessage))}
    assert finished == {"sent": "", "dead": ""}


def test_a_dead_letter_whose_link_was_blanked_is_not_sent_again_without_a_link(db, make_worker):
    from service.alerts import service as alerts_service

    _invite(db, "leaver@school.example.sch.uk")
    leaver = db.exec(select(User)).one()
    leaver.is_active = False
    db.add(leaver)
    db.commit()
    make_worker(email_sender=LoggingEmailSender()).run_once()
    [dead] = alerts_service.list_dead_letters(db)

    with pytest.raises(ValueError, match="send a new invitation"):
        alerts_service.retry_dead_letter(db, dead.id, OPERATOR)
    assert alerts_service.retry_all_dead_letters(db, OPERATOR) == 0


def test_a_link_the_keys_cannot_open_waits_sealed_for_the_key_to_come_back(db, make_worker, encryption_keys):
    from service.alerts import service as alerts_service

    encryption_keys("the-key-the-invitation-was-sealed-with-0123456789")
    invitation, token = _invite(db)
    encryption_keys("a-different-key-that-cannot-open-it-0123456789")
    worker = make_worker(email_sender=LoggingEmailSender())
    worker.run_once()
    [dead] = alerts_service.list_dead_letters(db)
    assert "cannot be decrypted" in dead.last_error and dead.link.startswith("sealed:")

    encryption_keys("the-key-the-invitation-was-sealed-with-0123456789")
    alerts_service.retry_dead_letter(db, dead.id, OPERATOR, now=worker.clock())
    db.commit()
    worker.run_once()
    assert [email.link for email in worker.email_sender.sent] == [invitation.link]
    assert token not in _outbox_text(db)


def test_neither_the_admin_page_nor_outbox_list_shows_a_token(db, client, make_user, sign_in, make_worker, capsys,
                                                              encryption_keys):
    encryption_keys("the-key-the-invitation-was-sealed-with-0123456789")
    _invite(db, "waiting@school.example.sch.uk")
    _waiting, waiting_token = _invite(db, "waiting@school.example.sch.uk")  # replaces the first: two rows, one live
    encryption_keys("a-different-key-that-cannot-open-it-0123456789")
    make_worker(email_sender=LoggingEmailSender()).run_once()  # both die, still sealed
    encryption_keys("the-key-the-invitation-was-sealed-with-0123456789")

    admin = make_user("admin")
    sign_in(client, admin)
    page = client.get("/admin/outbox")
    assert page.status_code == 200 and page.text.count('id="dead-letter-') == 2
    assert waiting_token not in page.text and "sealed:" not in page.text

    assert cli(["outbox", "list", "--state", "dead"]) == 0
    listed = capsys.readouterr().out
    assert "2 dead alert(s)" in listed
    assert waiting_token not in listed and "sealed:" not in listed


def test_secrets_reencrypt_reseals_waiting_links_so_the_old_key_can_go(db, make_worker, encryption_keys, capsys):
    old_key, new_key = "the-old-key-that-is-being-retired-0123456789", "the-new-key-taking-over-now-0123456789"
    encryption_keys(old_key)
    invitation, _token = _invite(db)
    encryption_keys(new_key, old_key)
    assert cli(["secrets", "reencrypt"]) == 0
    assert "1 waiting invitation or reset link(s)" in capsys.readouterr().out

    encryption_keys(new_key)
    worker = make_worker(email_sender=LoggingEmailSender())
    worker.run_once()
    assert [email.link for email in worker.email_sender.sent] == [invitation.link]


# ---------------------------------------------------------------- migration 0009

BEFORE_SEALING = "0008_notification_owners"
OUTBOX = sa.table("outbox_message", sa.column("id", sa.Integer), sa.column("template", sa.String),
                  sa.column("audience", sa.String), sa.column("audience_ref", sa.String), sa.column("link", sa.String),
                  sa.column("state", sa.String), sa.column("attempts", sa.Integer),
                  sa.column("next_attempt_at", sa.DateTime), sa.column("created_at", sa.DateTime))
WAITING_LINK = "https://encompass.test/invitation/waiting-token-0123456789abcdefghijklmnopqrstuv"
SENT_LINK = "https://encompass.test/reset-password/sent-token-0123456789abcdefghijklmnopqrstuv"
NOTIFICATION_LINK = "https://encompass.test/notifications/6f1c2b9e-1d2a-4c43-9e57-2f4f0e8d1a11"


def _migrate(engine, step, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def _links(engine) -> dict[int, str]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(OUTBOX.c.id, OUTBOX.c.link)).all())


def test_the_migration_seals_waiting_links_blanks_finished_ones_and_the_downgrade_opens_them(fresh_engine):
    from service.alerts.outbox import open_link

    _migrate(fresh_engine, command.upgrade, BEFORE_SEALING)
    now = datetime.now(UTC)
    rows = [(1, "invitation", WAITING_LINK, "pending"), (2, "password_reset", SENT_LINK, "sent"),
            (3, "invitation", WAITING_LINK.replace("waiting", "dead"), "dead"),
            (4, "notification_waiting", NOTIFICATION_LINK, "pending")]
    with fresh_engine.begin() as connection:
        for message_id, template, link, state in rows:
            connection.execute(OUTBOX.insert().values(id=message_id, template=template, audience="user", audience_ref="1",
                                                      link=link, state=state, attempts=0, next_attempt_at=now,
                                                      created_at=now))

    upgrade_to_head(fresh_engine)
    links = _links(fresh_engine)
    assert links[1].startswith("sealed:") and "waiting-token" not in links[1] and open_link(links[1]) == WAITING_LINK
    assert (links[2], links[3]) == ("", "")
    assert links[4] == NOTIFICATION_LINK, "notification links carry no token and stay as they are"

    _migrate(fresh_engine, command.downgrade, BEFORE_SEALING)
    assert _links(fresh_engine) == {1: WAITING_LINK, 2: "", 3: "", 4: NOTIFICATION_LINK}
