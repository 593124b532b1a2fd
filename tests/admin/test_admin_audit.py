"""The audit trail download: London days both included, the export audited, and date errors shown GOV.UK style."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from service.admin.service import LONGEST_EXPORT_DAYS, read_export_form
from service.audit.models import AuditEvent


def _dates(start: date, end: date) -> dict[str, str]:
    return {"from-day": str(start.day), "from-month": str(start.month), "from-year": str(start.year),
            "to-day": str(end.day), "to-month": str(end.month), "to-year": str(end.year)}


def _event(db, action: str, at: datetime) -> AuditEvent:
    event = AuditEvent(actor_type="user", actor_id="7", action=action, object_type="notification", object_id="n-1", at=at)
    db.add(event)
    db.commit()
    return event


def test_page_offers_a_date_range_form(admin_client, check_page):
    soup = check_page(admin_client.get("/admin/audit"))
    form = soup.find("form", id="audit-export")
    assert form["method"] == "post" and form["action"] == "/admin/audit"
    names = {field["name"] for field in form.find_all("input") if field["type"] != "hidden"}
    assert names == {f"{side}-{part}" for side in ("from", "to") for part in ("day", "month", "year")}


def test_download_has_only_events_on_the_chosen_london_days_and_is_audited(admin_client, admin, db, csrf_from):
    # 1 to 3 July 2025 in London (BST) is 30 June 23:00 UTC to 3 July 23:00 UTC.
    before = _event(db, "notification.viewed", datetime(2025, 6, 30, 22, 59, tzinfo=UTC))
    first = _event(db, "notification.viewed", datetime(2025, 6, 30, 23, 0, tzinfo=UTC))
    last = _event(db, "notification.acknowledged", datetime(2025, 7, 3, 22, 59, tzinfo=UTC))
    after = _event(db, "notification.closed", datetime(2025, 7, 3, 23, 0, tzinfo=UTC))
    token = csrf_from(admin_client.get("/admin/audit"))
    response = admin_client.post("/admin/audit", data={"csrf_token": token, **_dates(date(2025, 7, 1), date(2025, 7, 3))})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="audit-2025-07-01-to-2025-07-03.csv"'
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == [str(first.id), str(last.id)]
    assert str(before.id) not in {row["id"] for row in rows} and str(after.id) not in {row["id"] for row in rows}

    exported = db.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
    assert len(exported) == 1
    assert exported[0].actor_id == str(admin.id) and exported[0].detail["events"] == 2


@pytest.mark.parametrize("fields, field_id, message", [
    ({"from-day": "", "from-month": "", "from-year": ""}, "from-day", "Enter the start date"),
    ({"from-month": ""}, "from-month", "The start date must include a month"),
    ({"to-day": "31", "to-month": "2"}, "to-day", "The end date must be a real date"),
    ({"to-year": "25"}, "to-year", "The end date must be a real date"),
    ({"from-day": "4"}, "to-day", "The end date must be the same as or after the start date"),
    ({"from-year": "2023"}, "to-day", f"The dates must be at most {LONGEST_EXPORT_DAYS} days apart"),
    ({"to-year": "2999"}, "to-day", "The end date must be today or in the past"),
])
def test_wrong_dates_show_the_error_summary_linking_to_the_field(admin_client, db, csrf_from, check_page, fields, field_id, message):
    token = csrf_from(admin_client.get("/admin/audit"))
    response = admin_client.post("/admin/audit", data={"csrf_token": token, **_dates(date(2025, 7, 1), date(2025, 7, 3)), **fields})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    soup = check_page(response)
    assert soup.find("title").get_text().startswith("Error: ")
    summary_links = soup.select(".govuk-error-summary a")
    assert [(a["href"], a.get_text(strip=True)) for a in summary_links] == [(f"#{field_id}", message)]
    assert soup.find(id=field_id) is not None and "govuk-input--error" in soup.find(id=field_id)["class"]
    side = field_id.split("-")[0]
    assert message in soup.find(id=f"{side}-error").get_text()
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all() == []


def test_a_range_of_exactly_the_longest_allowed_is_accepted():
    form = read_export_form(_dates(date(2024, 1, 1), date(2024, 12, 31)), today=date(2025, 7, 1))  # 366 days, a leap year
    assert form.errors == {} and form.export_range.first_day == date(2024, 1, 1)
    form = read_export_form(_dates(date(2024, 1, 1), date(2025, 1, 1)), today=date(2025, 7, 1))
    assert list(form.errors) == ["to-day"]
