"""The force's read-back dashboard: what the API read-back says, own force only, filters, CSV, no child names."""

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from bs4 import BeautifulSoup

from service.audit.models import AuditEvent
from service.audit.service import WORKER
from service.db import utcnow
from service.notifications import intake, lifecycle
from service.notifications.models import Notification
from service.notifications.schemas import IncidentSubmission
from service.policeportal import readback
from tests.builders import BRIMINGTON_JUNIOR, child_entry, incident_body


def rows_of(page) -> dict[str, dict[str, str]]:
    """Each row of the dashboard's table by notification id, as a reader sees it: column label -> text."""
    soup = BeautifulSoup(page.text, "html.parser")
    table = soup.find("table", id="notifications")
    if table is None:
        return {}
    found = {}
    for tr in table.find("tbody").find_all("tr"):
        cells = {td["data-label"]: td.get_text(" ", strip=True) for td in tr.find_all("td")}
        cells["reference"] = tr.find("th").get_text(" ", strip=True)
        found[tr["id"].removeprefix("row-")] = cells
    return found


@pytest.fixture
def received_days_ago(db, forces):
    """received_days_ago(days, *children) -> notification ids: force A's intake that many days ago."""
    from service.notifications.intake import receive_incident
    from service.police.service import AuthenticatedClient, create_client

    issued = create_client(db, force_id="derbyshire", name="Earlier system")
    db.commit()
    police = AuthenticatedClient(client_id=issued.client_id, force_id="derbyshire", scopes=frozenset())

    def receive(days: int, *children: dict) -> list[str]:
        when = utcnow() - timedelta(days=days)
        submission = IncidentSubmission.model_validate(incident_body(*children, occurred_at=when - timedelta(hours=2)))
        result = receive_incident(db, client=police, submission=submission, idempotency_key=None, now=when)
        db.commit()
        return [n["id"] for n in result.body["notifications"]]

    return receive


def test_each_row_says_what_the_api_read_back_says_with_references_and_no_names(hub, client, police_key, post_incident, onboard):
    onboard(BRIMINGTON_JUNIOR)
    notifications = post_incident(child_entry("C1", given_name="Zebedee", family_name="Quartermaine"),
                                  child_entry("C2", urn=None, education_status="missing_education", given_name="Xanthe"))
    page = hub.get("/police")
    assert page.status_code == 200
    rows = rows_of(page)
    assert set(rows) == {n["id"] for n in notifications}
    for notification in notifications:
        api = client.get(f"/api/v1/notifications/{notification['id']}", headers={"Authorization": f"Bearer {police_key}"}).json()
        row = rows[notification["id"]]
        assert row["Status"].startswith(readback.STATUS_WORDS[api["status"]])
        assert api["police_reference"] in row["reference"] and f"Child {api['child_reference']}" in row["reference"]
    by_child = {n["child_reference"]: rows[n["id"]] for n in notifications}
    assert "Brimington Junior" in by_child["C1"]["Who has it"] and "Held by the LA" not in by_child["C1"]["Who has it"]
    assert "Derbyshire (830) education service" in by_child["C2"]["Who has it"] and "Held by the LA" in by_child["C2"]["Who has it"]
    for name in ("Zebedee", "Quartermaine", "Xanthe", "Brookes"):
        assert name not in page.text


def test_staff_never_see_another_forces_notifications(hub, other_hub, post_incident):
    ours = post_incident()
    theirs = post_incident(force="nottinghamshire")
    assert set(rows_of(hub.get("/police"))) == {ours[0]["id"]}
    assert set(rows_of(other_hub.get("/police"))) == {theirs[0]["id"]}
    other_csv = other_hub.get("/police/dashboard.csv").text
    assert ours[0]["id"] not in other_csv and theirs[0]["id"] in other_csv


def test_filters_narrow_to_unacknowledged_past_deadline_escalated_and_one_la(hub, db, received_days_ago, onboard):
    onboard(BRIMINGTON_JUNIOR)
    acknowledged, = received_days_ago(5, child_entry("C1"))
    overdue, = received_days_ago(5, child_entry("C1"))
    escalated, = received_days_ago(6, child_entry("C1"))
    derby, = received_days_ago(0, child_entry("C1", urn=None, education_status="missing_education", home_la_code="831"))
    now = utcnow()
    lifecycle.acknowledge(db, db.get(Notification, acknowledged), actor=WORKER, now=now)
    lifecycle.escalate(db, db.get(Notification, escalated), actor=WORKER, now=now, due_at=now)
    db.commit()

    readbacks = [intake.status_for(db, db.get(Notification, n)) for n in (acknowledged, overdue, escalated, derby)]

    def shown(query: str) -> set[str]:
        on_page = set(rows_of(hub.get("/police?" + query)))
        # The database's narrowing and the same rule written over the API's read-back agree.
        params = parse_qs(query)
        choice = readback.parse_filter(params.get("show", []), params.get("la", [None])[0], ["830", "831"])
        assert on_page == {r["id"] for r in readbacks if choice.keeps(r, utcnow())}, query
        return on_page

    assert shown("") == {acknowledged, overdue, escalated, derby}
    assert shown("show=not_acknowledged") == {overdue, escalated, derby}
    assert shown("show=past_deadline") == {overdue, escalated}
    assert shown("show=escalated") == {escalated}
    assert shown("la=831") == {derby}
    assert shown("show=not_acknowledged&la=830") == {overdue, escalated}
    assert "Past deadline" in rows_of(hub.get("/police"))[overdue]["Status"]


def test_the_period_leaves_out_older_notifications(hub, received_days_ago):
    recent, = received_days_ago(2, child_entry("C1"))
    old, = received_days_ago(40, child_entry("C1"))
    assert set(rows_of(hub.get("/police"))) == {recent}  # the last 30 days by default
    today = utcnow().date()
    assert old in set(rows_of(hub.get(f"/police?from={(today - timedelta(days=60)).isoformat()}&to={today.isoformat()}")))


def test_the_csv_has_the_same_rows_without_names_and_with_formulas_defused(hub, post_incident, db):
    shown = post_incident(child_entry("=HYPERLINK(\"http://x\")", given_name="Zebedee"), child_entry("C2"),
                          reference="DC-CSV-1")
    download = hub.get("/police/dashboard.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {row["notification_id"] for row in rows} == set(rows_of(hub.get("/police"))) == {n["id"] for n in shown}
    assert "Zebedee" not in download.text and "Brookes" not in download.text
    assert {row["child_reference"] for row in rows} == {"'=HYPERLINK(\"http://x\")", "C2"}
    assert all(row["police_reference"] == "DC-CSV-1" for row in rows)


def test_every_view_and_export_is_audited(hub, db, post_incident):
    post_incident()
    hub.get("/police?show=escalated")
    hub.get("/police/dashboard.csv")
    events = db.exec(AuditEvent.__table__.select().where(AuditEvent.action.like("police_dashboard.%"))).all()
    assert [(e.action, e.actor_id, e.detail["filters"]) for e in events] == [
        ("police_dashboard.viewed", str(hub.user.id), ["escalated"]),
        ("police_dashboard.exported", str(hub.user.id), []),
    ]


def test_other_roles_cannot_open_the_dashboard(app, make_user, sign_in):
    from fastapi.testclient import TestClient

    officer = make_user("la_officer", la_codes=("830",))
    with TestClient(app, base_url="https://encompass.test") as browser:
        sign_in(browser, officer)
        assert browser.get("/police").status_code == 404
        assert browser.get("/police/dashboard.csv").status_code == 404


def test_status_words_cover_every_read_back_value_and_new_ones_still_show():
    from service.notifications.lifecycle import NotificationStatus

    for status in NotificationStatus:
        words = readback.status_words({"status": status.value, "routing": {"outcome": "setting"}})
        assert words == readback.STATUS_WORDS[status.value]
    assert readback.status_words({"status": "sent", "routing": {"outcome": "setting"}}) == "Sent"
    assert readback.status_words({"status": "received", "routing": {"outcome": "not_routed"}}) == "Not routed"
    assert readback.status_words({"status": "held_somewhere", "routing": {"outcome": "setting"}}) == "Held somewhere"


def test_more_rows_than_one_download_holds_says_so_instead_of_cutting_them_off(hub, post_incident, monkeypatch):
    """Found in review: a download held the newest 10,000 rows and said nothing of the rest. Now the page says how
    to get them all (a shorter period or a filter), and a download that would be cut short is not offered."""
    from service.policeportal import service as police_service

    monkeypatch.setattr(police_service, "MAX_CSV_ROWS", 2)
    post_incident(child_entry("C1"), child_entry("C2"), child_entry("C3"), reference="DC-CSV-MANY")
    page = hub.get("/police")
    count = BeautifulSoup(page.text, "html.parser").find(id="result-count")
    assert "3 notifications" in count.get_text(" ", strip=True)
    assert count.find("a", href=lambda href: href and href.startswith("/police/dashboard.csv")) is None
    assert "more than the 2 one download can hold" in count.get_text(" ", strip=True)

    cut_short = hub.get("/police/dashboard.csv", follow_redirects=False)
    assert cut_short.status_code == 303 and cut_short.headers["location"].startswith("/police")

    monkeypatch.setattr(police_service, "MAX_CSV_ROWS", 3)
    assert len(list(csv.DictReader(io.StringIO(hub.get("/police/dashboard.csv").text)))) == 3
    count = BeautifulSoup(hub.get("/police").text, "html.parser").find(id="result-count")
    assert count.find("a", href=lambda href: href and href.startswith("/police/dashboard.csv")) is not None


def test_the_alert_is_worded_by_how_far_it_got():
    sent, arrived = utcnow() - timedelta(minutes=20), utcnow() - timedelta(minutes=19)

    def alert(status="received", outcome="setting", **times):
        return readback.alert_words({"status": status, "routing": {"outcome": outcome}, "sent_at": None,
                                     "delivered_at": None, **times})

    assert alert() == "Not sent yet"
    # A bounce is a final receipt: "no receipt yet" would promise one that never comes.
    assert alert(sent_at=sent) == f"Sent {readback.when(sent)}, delivery not confirmed"
    assert alert(sent_at=sent, delivered_at=arrived) == f"Delivered {readback.when(arrived)}"
    bounced = arrived
    assert alert(sent_at=sent, key_adult_not_reached_at=bounced) == (
        f"Sent {readback.when(sent)}; the Key Adult's email bounced {readback.when(bounced)}, so their deputies "
        "and the local authority were told")
    # Another Key Adult's email arrived: the setting was reached.
    assert alert(sent_at=sent, delivered_at=arrived, key_adult_not_reached_at=bounced).startswith("Delivered ")
    assert alert(delivered_at=arrived) == f"Delivered {readback.when(arrived)}"  # a webhook's 2xx, no email
    assert alert(outcome="not_routed") == "None: outside the scheme"
    assert alert(status="withdrawn") == "None: withdrawn before it was sent"
    assert alert(status="withdrawn", sent_at=sent).startswith("Sent ")


def test_a_viewed_notification_never_reads_as_not_delivered(hub, post_incident, onboard, db):
    """The Key Adult opened it before Notify's receipt came back: the row says the alert's own state, not
    "Delivered: Not yet" beside "First viewed"."""
    onboard(BRIMINGTON_JUNIOR)
    [sent] = post_incident(child_entry("C1"))
    now = utcnow()
    lifecycle.record_send(db, sent["id"], now=now, worker_id="w", outbox_id=1)
    db.commit()
    notification = db.get(Notification, sent["id"])
    lifecycle.record_view(db, notification, actor=WORKER, now=now + timedelta(minutes=1), by_owner=True,
                          la_code=notification.recipient_la_code, source_page="test")
    db.commit()
    progress = rows_of(hub.get("/police"))[sent["id"]]["Progress"]
    assert "Delivered: Not yet" not in progress
    assert "Alert: Sent " in progress and "delivery not confirmed" in progress and "First viewed: " in progress

    lifecycle.record_delivery(db, sent["id"], now=now + timedelta(minutes=2), worker_id="w", channel="email",
                              outbox_id=1)
    db.commit()
    assert "Alert: Delivered " in rows_of(hub.get("/police"))[sent["id"]]["Progress"]


def test_the_csv_gives_when_the_alert_was_sent_and_bounced_in_columns_after_the_earlier_ones(hub, post_incident, db):
    [sent] = post_incident(child_entry("C1"))
    lifecycle.record_send(db, sent["id"], now=utcnow(), worker_id="w", outbox_id=1)
    lifecycle.record_not_reached(db, sent["id"], now=utcnow(), outbox_id=1, for_owner_since=None)
    db.commit()
    text = hub.get("/police/dashboard.csv").text
    assert text.splitlines()[0].endswith(",escalated_at,sent_at,key_adult_not_reached_at")
    [row] = list(csv.DictReader(io.StringIO(text)))
    stored = db.get(Notification, sent["id"])
    assert row["sent_at"] == stored.sent_at.isoformat()
    assert row["key_adult_not_reached_at"] == stored.key_adult_not_reached_at.isoformat()
    assert row["delivered_at"] == ""
    progress = rows_of(hub.get("/police"))[sent["id"]]["Progress"]
    assert "the Key Adult's email bounced" in progress and "deputies and the local authority were told" in progress


def test_references_do_not_break_across_lines(hub, post_incident):
    [sent] = post_incident(child_entry("C1"), reference="DC-2026-000777")
    soup = BeautifulSoup(hub.get("/police").text, "html.parser")
    reference = soup.find("tr", id=f"row-{sent['id']}").find("th").find(string=lambda s: "DC-2026-000777" in s)
    assert {"app-nowrap-from-tablet", "app-wrap-anywhere"} <= set(reference.parent.get("class", []))


def test_a_status_is_coloured_as_on_every_other_portal(hub, post_incident):
    from service import wording

    [sent] = post_incident(child_entry("C1"))
    soup = BeautifulSoup(hub.get("/police").text, "html.parser")
    tag = soup.find("tr", id=f"row-{sent['id']}").select_one("td[data-label='Status'] .govuk-tag")
    assert tag["class"] == ["govuk-tag", *filter(None, [wording.STATUS_TAG_CLASSES[tag.get_text(strip=True)]])]
