"""Production never pretends to send: it will not start without Notify, and the logging sender never makes a
notification "delivered"."""

import json
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError
from sqlmodel import select

from service.alerts.senders import TEMPLATE_SUBJECTS, LoggingEmailSender
from service.config import REPO_ROOT, Settings
from tests.alerts.conftest import clock, make_worker  # noqa: F401  (the alert tests' worker with a settable clock)

NOTIFY_KEY = "encompass-test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
TEMPLATES = {name: f"00000000-0000-4000-8000-{i:012d}" for i, name in enumerate(TEMPLATE_SUBJECTS)}
# Safe in every way but Notify's.
PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://encompass@127.0.0.1:9/encompass",
    "secret_key": "k3T9-long-random-production-secret-value-0001",
    "base_url": "https://encompass.example.gov.uk",
    "cookie_secure": True,
}


@pytest.mark.parametrize(
    ("notify", "reason"),
    [
        ({}, "NOTIFY_API_KEY must be set"),
        ({"notify_templates": TEMPLATES}, "NOTIFY_API_KEY must be set"),
        ({"notify_api_key": NOTIFY_KEY}, "NOTIFY_TEMPLATES must give a Notify template id for each of"),
        ({"notify_api_key": NOTIFY_KEY, "notify_templates": {k: v for k, v in TEMPLATES.items() if k != "password_reset"}},
         "for each of password_reset"),
        ({"notify_api_key": "not-a-notify-key", "notify_templates": TEMPLATES}, "NOTIFY_API_KEY is not usable"),
    ],
    ids=["nothing", "no key", "no templates", "a template missing", "a malformed key"],
)
def test_production_refuses_to_start_without_notify_for_every_template(notify, reason):
    with pytest.raises(ValidationError) as refused:
        Settings(**PRODUCTION, **notify)
    assert "Refusing to start in production" in str(refused.value)
    assert reason in str(refused.value)
    assert NOTIFY_KEY not in str(refused.value)


def test_production_starts_with_notify_for_every_template():
    settings = Settings(**PRODUCTION, notify_api_key=NOTIFY_KEY, notify_templates=TEMPLATES)
    assert settings.notify_api_key == NOTIFY_KEY


@pytest.mark.parametrize("command", [["db", "upgrade"], ["worker", "run", "--once"]], ids=["db upgrade", "worker run"])
def test_the_command_line_refuses_production_without_notify_in_one_line_with_status_2(tmp_path, command):
    env = {key: value for key, value in os.environ.items() if not key.startswith("NOTIFY_")}
    env.update({name.upper(): str(value) for name, value in PRODUCTION.items()})
    # Nothing else is wrong, so nothing but Notify can be the reason; the database is never reached.
    finished = subprocess.run([sys.executable, "-m", "service.cli", *command], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2, finished.stderr[-2000:]
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("error: Refusing to start in production:") and "NOTIFY_API_KEY" in lines[0]

    env.update(NOTIFY_API_KEY=NOTIFY_KEY, NOTIFY_TEMPLATES=json.dumps({"invitation": TEMPLATES["invitation"]}))
    finished = subprocess.run([sys.executable, "-m", "service.cli", *command], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2 and "NOTIFY_TEMPLATES" in finished.stderr and "password_reset" in finished.stderr


def test_the_logging_sender_settles_the_alert_but_police_still_see_received(db, client, police_key, onboard,
                                                                             post_incident, make_worker):
    from service.alerts.models import OutboxMessage
    from service.notifications.models import Notification

    onboard("112517")
    [notification] = post_incident()
    worker = make_worker(email_sender=LoggingEmailSender())
    worker.run_once()

    assert [email.template for email in worker.email_sender.sent] == ["notification_waiting"]  # "sent", to the log
    db.expire_all()
    assert {m.state for m in db.exec(select(OutboxMessage))} == {"sent"}
    stored = db.get(Notification, notification["id"])
    assert (stored.status, stored.delivered_at) == ("received", None)
    status = client.get(f"/api/v1/notifications/{stored.id}", headers={"Authorization": f"Bearer {police_key}"}).json()
    assert (status["status"], status["delivered_at"]) == ("received", None)
