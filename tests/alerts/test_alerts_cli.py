"""Operator commands: dead letters listed and retried, webhooks set and rotated, a worker pass from the command line."""

from sqlmodel import select

from service.alerts.models import OutboxMessage, SettingWebhook
from service.alerts.outbox import enqueue_alert
from service.alerts.service import webhook_keys
from service.audit.models import AuditEvent
from service.cli import main
from service.crypto import decrypt_secret

BRIMINGTON_JUNIOR = "112517"


def test_dead_letters_are_listed_and_retried_from_the_command_line(db, onboard, capsys):
    user = onboard(BRIMINGTON_JUNIOR)
    for state in ("dead", "dead", "sent"):
        message = enqueue_alert(db, template="deadline_missed_deputies", audience="user", audience_ref=str(user.id),
                                link="https://encompass.test/notifications/n-1")
        message.state, message.attempts, message.last_error = state, 8, "GOV.UK Notify answered HTTP 400" if state == "dead" else None
    db.commit()

    assert main(["outbox", "list"]) == 0
    listing = capsys.readouterr().out
    assert "2 dead alert(s)" in listing and "HTTP 400" in listing
    assert user.email not in listing

    [first_dead, _, sent] = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert main(["outbox", "retry", str(sent.id)]) == 2
    assert "not dead" in capsys.readouterr().err
    assert main(["outbox", "retry", str(first_dead.id)]) == 0
    assert main(["outbox", "retry", "--all-dead"]) == 0
    assert "1 dead alert(s) queued" in capsys.readouterr().out.splitlines()[-1]

    assert main(["worker", "run", "--once", "--id", "ops-check"]) == 0
    assert "sent 2" in capsys.readouterr().out
    db.expire_all()
    assert [m.state for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id))] == ["sent", "sent", "sent"]
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all()) == 2


def test_webhook_secret_is_shown_once_and_rotation_keeps_the_old_one_for_the_overlap(db, capsys):
    assert main(["webhooks", "set", "--urn", BRIMINGTON_JUNIOR, "--url", "http://hooks.example/encompass"]) == 2
    assert "https" in capsys.readouterr().err

    assert main(["webhooks", "set", "--urn", BRIMINGTON_JUNIOR, "--url", "https://hooks.example/encompass"]) == 0
    first = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("whsec_")]
    assert main(["webhooks", "rotate", "--urn", BRIMINGTON_JUNIOR]) == 0
    second = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("whsec_")]
    assert len(first) == len(second) == 1 and first != second
    db.expire_all()
    hook = db.get(SettingWebhook, BRIMINGTON_JUNIOR)
    assert [decrypt_secret(entry["secret_encrypted"], webhook_keys()) for entry in hook.secrets] == [second[0], first[0]]
    assert hook.secrets[0]["expires_at"] is None and hook.secrets[1]["expires_at"] is not None
    # The audit trail names the host, never the secret.
    for event in db.exec(select(AuditEvent).where(AuditEvent.object_id == BRIMINGTON_JUNIOR)):
        assert first[0] not in repr(event.detail) and second[0] not in repr(event.detail)
