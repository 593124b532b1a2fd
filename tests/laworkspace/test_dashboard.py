"""Oversight figures checked against a small data set computed by hand, the charts' accessibility, and the CSV export."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from service.audit.models import AuditEvent
from service.dates import months_before
from service.laworkspace import dashboard
from service.laworkspace import item as la_item
from service.laworkspace import oversight as la_oversight
from tests.laworkspace.conftest import BRIMINGTON_JUNIOR, child_entry

# The GOV.UK date input's parts; GMT, so London days are UTC days.
PERIOD = {"from-day": "2", "from-month": "11", "from-year": "2026", "to-day": "6", "to-month": "11", "to-year": "2026"}


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def small_area(db, receive_at, as_officer, onboard):
    """Six notifications whose figures are worked out by hand in the test below."""
    officer, _ = as_officer("830", name="Dashboard officer")
    onboard(BRIMINGTON_JUNIOR)
    ellie = child_entry("C1", given_name="Zephyrine", family_name="Quillfeather")
    # N1: police took 2 hours; acknowledged 30 minutes after receipt, well before the 10:00 deadline next day.
    [n1] = receive_at(at(2, 10), at(2, 8), ellie)
    # N2: same child; police took 30 hours; acknowledged 24 hours later, after its deadline (4 Nov 10:00).
    [n2] = receive_at(at(3, 12), at(2, 6), ellie)
    # N3: another child; police took 1 hour; never acknowledged.
    receive_at(at(4, 10), at(4, 9), child_entry("C1", given_name="Barnaby", family_name="Thistlewood"))
    # N4: a Nottinghamshire child, received in the period: never counted for 830.
    receive_at(at(4, 11), at(4, 10), child_entry("C1", given_name="Ottoline", family_name="Marchbanks", home_la_code="891"))
    # N5: the first child again, before the period but within three months of its end; never acknowledged.
    receive_at(at(20, 10, month=10), at(20, 9, month=10), ellie)
    # N6: at an onboarded school; police took 2 hours; never acknowledged.
    receive_at(at(5, 9), at(5, 7), child_entry("C1", given_name="Cosmo", family_name="Fairweather",
                                               education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR))
    la_item.acknowledge(db, officer, n1, now=at(2, 10) + timedelta(minutes=30))
    la_item.acknowledge(db, officer, n2, now=at(4, 12))
    la_item.record_outcome(db, officer, n1, la_item.OutcomeForm("missing_education_enquiries_started", "", False), now=at(4, 13))
    la_item.record_outcome(db, officer, n2, la_item.OutcomeForm("no_further_action", "", False), now=at(4, 14))
    db.commit()
    return officer


def test_figures_match_the_hand_computed_values(db, small_area):
    period = dashboard.Period(date(2026, 11, 2), date(2026, 11, 6))
    rows = la_oversight.oversight_rows(db, small_area, period)
    figures = dashboard.oversight_figures(rows, period, outcome_label=la_item.action_label)
    assert figures.total == 4
    assert {(bar.label, bar.value) for bar in figures.by_outcome} == {
        ("No outcome recorded yet", 2), ("Children missing education enquiries started", 1), ("No further action", 1)}
    assert [(bar.label, bar.value) for bar in figures.by_setting] == [("Brimington Junior School (URN 112517)", 1)]
    assert figures.held_by_la == 3
    assert figures.police_count == 4
    assert figures.police_median_seconds == pytest.approx(2 * 3600, abs=1)  # 1h, 2h, 2h, 30h
    assert (figures.police_within_24h, figures.police_within_24h_share) == (3, 0.75)
    assert figures.acknowledged_count == 2
    assert figures.acknowledge_median_seconds == pytest.approx((30 * 60 + 24 * 3600) / 2, abs=1)
    assert (figures.due, figures.met, figures.met_share) == (4, 1, 0.25)
    assert figures.overdue_now == 3  # N3, N5 and N6; N4 is another LA's
    assert figures.repeat_children == 1  # N1, N2 and N5 are one child
    assert figures.repeat_window_start == date(2026, 8, 6)


def test_dashboard_page_shows_the_figures_with_accessible_charts_and_tables(db, small_area, client, sign_in, check_page):
    from service.accounts.models import User

    sign_in(client, db.get(User, small_area.id))
    soup = check_page(client.get("/la/dashboard", params=PERIOD))
    figure = {row["id"]: row.find("td").get_text(" ", strip=True) for row in soup.select("#headline-figures tbody tr")}
    assert figure["figure-total"] == "4"
    assert figure["figure-police-median"] == "2 hours"
    assert figure["figure-police-24h"] == "75% (3 of 4)"
    assert figure["figure-ack-median"].startswith("12 hours 15 minutes")
    assert figure["figure-deadline"] == "25% (1 of 4 due)"
    assert figure["figure-overdue"] == "3"
    assert figure["figure-repeat"] == "1"

    charts = soup.find_all("svg", class_="la-chart")
    assert len(charts) == 5
    for chart in charts:
        assert chart["role"] == "img"
        for label_id in chart["aria-labelledby"].split():
            assert chart.find(id=label_id) is not None
    outcome_table = {row.th.get_text(strip=True): row.td.get_text(strip=True) for row in soup.select("#table-outcome tbody tr")}
    assert outcome_table == {"No outcome recorded yet": "2", "Children missing education enquiries started": "1", "No further action": "1",
                             "Total": "4"}
    assert "Quillfeather" not in soup.get_text() and "Marchbanks" not in soup.get_text()
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "oversight.viewed")).first()


def test_csv_export_has_the_same_figures_and_no_names(db, small_area, client, sign_in):
    from service.accounts.models import User

    sign_in(client, db.get(User, small_area.id))
    response = client.get("/la/dashboard.csv", params=PERIOD)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    for name in ("Zephyrine", "Quillfeather", "Barnaby", "Thistlewood", "Ottoline", "Marchbanks", "Cosmo", "Fairweather"):
        assert name not in response.text
    rows = {(section, item): value for section, item, value in list(csv.reader(io.StringIO(response.text)))[1:]}
    assert rows[("notifications", "received in the period")] == "4"
    assert rows[("police timeliness", "median minutes from incident to receipt")] == "120"
    assert rows[("acknowledgement", "share acknowledged by the deadline (%)")] == "25.0"
    assert rows[("now", "overdue now")] == "3"
    assert rows[("by setting", "Brimington Junior School (URN 112517)")] == "1"
    [export] = db.exec(select(AuditEvent).where(AuditEvent.action == "oversight.exported")).all()
    assert export.actor_id == str(small_area.id) and export.detail["first_day"] == "2026-11-02"


def test_a_bad_period_is_explained_and_the_default_period_shown(officer_client, check_page):
    client, _ = officer_client("830")
    response = client.get("/la/dashboard", params={"from-day": "9", "from-month": "11", "from-year": "2026",
                                                   "to-day": "2", "to-month": "11", "to-year": "2026"})
    assert response.status_code == 400
    soup = check_page(response)
    assert soup.select_one(".govuk-error-summary a[href='#to-day']").get_text(strip=True) == (
        "The end date must be the same as or after the start date")
    # What was typed stays in the boxes, outlined in red.
    assert soup.find("input", id="from-day")["value"] == "9"
    assert "govuk-input--error" in soup.find("input", id="to-month")["class"]


def _typed(from_day: str, to_day: str) -> dict[str, str]:
    """A period as typed into the two date inputs: 'd/m/yyyy' each, or '' for an empty input."""
    typed = {}
    for name, text in (("from", from_day), ("to", to_day)):
        parts = text.split("/") if text else ["", "", ""]
        typed.update(dict(zip((f"{name}-day", f"{name}-month", f"{name}-year"), parts, strict=True)))
    return typed


@pytest.mark.parametrize("from_day, to_day, field, message", [
    ("30/2/2026", "1/3/2026", "from-day", "The start date must be a real date"),
    ("1/13/2026", "1/3/2026", "from-day", "The start date must be a real date"),
    ("x/11/2026", "", "from-day", "The start date must be a real date"),
    ("1/11/2026", "1/1/2030", "to-day", "The end date must be today or in the past"),
    ("1/1/1999", "1/11/2026", "from-day", "The start date must be in 2000 or later"),
    ("1/1/2020", "1/11/2026", "to-day", "Choose a period of 2 years or less"),
    ("1/11/", "", "from-year", "The start date must include a year"),
])
def test_period_checks(from_day, to_day, field, message):
    _, form = dashboard.parse_period(_typed(from_day, to_day), date(2026, 11, 23))
    assert form.errors[field] == message


def test_period_reads_the_date_input_and_old_bookmarks_and_defaults_to_the_last_30_days():
    today = date(2026, 11, 23)
    period, form = dashboard.parse_period(_typed("2/11/2026", "6/11/2026"), today)
    assert (period, form.errors) == (dashboard.Period(date(2026, 11, 2), date(2026, 11, 6)), {})
    assert dashboard.parse_period({"from": "2026-11-02", "to": "6/11/2026"}, today)[0] == period
    period, form = dashboard.parse_period({}, today)
    assert (period.start, period.end, form.errors) == (date(2026, 10, 25), date(2026, 11, 23), {})
    assert (form.values["from-day"], form.values["from-month"], form.values["from-year"]) == ("25", "10", "2026")


def test_months_before_keeps_to_real_days():
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 3) == date(2025, 10, 15)


def test_durations_read_the_way_people_say_them():
    assert dashboard.duration_text(None) == "No data"
    assert dashboard.duration_text(45 * 60) == "45 minutes"
    assert dashboard.duration_text(3600) == "1 hour"
    assert dashboard.duration_text(26 * 3600 + 60) == "1 day 2 hours"


def test_chart_text_is_escaped_and_csv_cells_cannot_become_formulas():
    svg = dashboard.bar_chart_svg("c", "Settings", [dashboard.Bar("<script>St Ann's & Co</script>", 3)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert BeautifulSoup(str(svg), "html.parser").svg["aria-labelledby"] == "c-title c-desc"
    figures = dashboard.oversight_figures(dashboard.DashboardRows(
        total=1, by_outcome=[], by_setting=[("100000", "=HYPERLINK(\"x\")", 1)], held_by_la=0,
        police=dashboard.DurationSummary(0, None), acknowledgement=dashboard.DurationSummary(0, None), due=0, met=0,
        overdue_now=0, repeat_children=0, repeat_window_start=date(2026, 8, 1)),
        dashboard.Period(date(2026, 11, 1), date(2026, 11, 2)), outcome_label=str)
    text = dashboard.csv_text(figures, ["830"])
    assert "'=HYPERLINK" in text


def _table(soup, table_id: str) -> dict[str, str]:
    return {row.th.get_text(strip=True): row.td.get_text(strip=True) for row in soup.select(f"#{table_id} tbody tr")}


def _chart_labels(soup, chart_id: str) -> list[str]:
    """Each bar's label as the chart draws it, its wrapped lines joined again."""
    return [" ".join(t.get_text(strip=True) for t in label.find_all("tspan"))
            for label in soup.find(id=chart_id).select("text.la-chart__label")]


@pytest.fixture
def busy_area(db, receive_at, as_officer, onboard, post_incident):
    """Received on 3 Nov: a child at a school, one the LA holds, one 18-year-old outside the scheme, and one the LA
    re-routed to the school (so its latest action is a re-route reason, not an outcome)."""
    from service.laworkspace import reroute

    officer, user = as_officer("830", name="Busy officer")
    onboard(BRIMINGTON_JUNIOR)
    receive_at(at(3, 9), at(3, 8),
               child_entry("C1", given_name="Ada", education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR),
               child_entry("C2", given_name="Bea"), child_entry("C3", given_name="Cal", age=18))
    [moved] = receive_at(at(3, 10), at(3, 8), child_entry("C1", given_name="Dot"))
    reroute.reroute(db, officer, moved, target="setting", urn=BRIMINGTON_JUNIOR, la_code=None,
                    reason="The school office confirmed she is on roll.", now=at(3, 11))
    db.commit()
    return officer, user


def test_who_holds_them_adds_up_to_the_total_with_not_routed_children_and_matches_its_chart(db, busy_area, client, sign_in, check_page):
    _, user = busy_area
    sign_in(client, user)
    soup = check_page(client.get("/la/dashboard", params={**PERIOD}))
    holders = _table(soup, "table-setting")
    assert holders == {"Brimington Junior School (URN 112517)": "2", "Held by the local authority": "1",
                       "Not routed: outside the scheme (18 or over)": "1", "Total": "4"}
    assert sum(int(v) for k, v in holders.items() if k != "Total") == int(soup.select_one("#figure-total td").get_text(strip=True))
    # The chart draws the same categories as its table (the table adds only the total), each label whole.
    assert _chart_labels(soup, "chart-setting") == [k for k in holders if k != "Total"]
    assert _chart_labels(soup, "chart-outcome") == [k for k in _table(soup, "table-outcome") if k != "Total"]


def test_a_re_route_is_a_hand_over_not_an_outcome(db, busy_area, client, sign_in, check_page):
    _, user = busy_area
    sign_in(client, user)
    soup = check_page(client.get("/la/dashboard", params=PERIOD))
    assert _table(soup, "table-outcome") == {"No outcome recorded yet": "4", "Total": "4"}
    assert _table(soup, "table-hand-overs") == {"Re-routed by an officer": "1"}
    assert _chart_labels(soup, "chart-hand-overs") == ["Re-routed by an officer"]


def test_long_chart_labels_wrap_instead_of_being_cut_off():
    label = "The Elizabethan Academy and Sixth Form Centre of Excellence for Science (URN 123456)"
    svg = BeautifulSoup(str(dashboard.bar_chart_svg("c", "Settings", [dashboard.Bar(label, 3)])), "html.parser")
    lines = [t.get_text() for t in svg.select("text.la-chart__label tspan")]
    assert len(lines) > 1 and " ".join(lines) == label and "…" not in svg.get_text()
    assert all(len(line) <= dashboard.LABEL_CHARS for line in lines)


def test_overdue_now_and_repeat_children_link_to_the_children_they_count(db, small_area, client, sign_in, check_page):
    from service.accounts.models import User

    sign_in(client, db.get(User, small_area.id))
    soup = check_page(client.get("/la/dashboard", params=PERIOD))
    overdue_link = soup.find("a", id="link-overdue")
    assert overdue_link.get_text(strip=True) == "3"
    overdue = check_page(client.get(overdue_link["href"]))
    names = sorted(row.find("a").get_text(strip=True) for row in overdue.select("#counted tr.counted-notification"))
    assert names == ["Barnaby Thistlewood", "Cosmo Fairweather", "Zephyrine Quillfeather"]  # N3, N6 and N5; never N4
    for row in overdue.select("#counted tr.counted-notification"):
        assert client.get(row.find("a")["href"]).status_code == 200

    repeat_link = soup.find("a", id="link-repeat")
    assert repeat_link.get_text(strip=True) == "1"
    repeat = check_page(client.get(repeat_link["href"]))
    [child] = repeat.select("table.repeat-child")
    assert child.caption.get_text(strip=True) == "Zephyrine Quillfeather: 3 incidents"
    assert len(child.select("tr.counted-notification")) == 3
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "oversight.repeat_children_listed")).first()
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "oversight.overdue_listed")).first()


def test_the_period_uses_the_gov_uk_date_input(officer_client, check_page):
    client, _ = officer_client("830")
    soup = check_page(client.get("/la/dashboard", params=PERIOD))
    form = soup.find("form", id="period-form")
    assert not form.find("input", attrs={"type": "date"})
    for name in ("from", "to"):
        fieldset = form.find(id=name).find_parent("fieldset")
        assert [i["name"] for i in fieldset.find_all("input")] == [f"{name}-day", f"{name}-month", f"{name}-year"]
    assert [form.find("input", attrs={"name": n})["value"] for n in ("from-day", "from-month", "from-year")] == ["2", "11", "2026"]


def test_a_repeat_child_has_three_incidents_not_three_notifications_and_withdrawn_ones_do_not_count(
        db, receive_at, as_officer, onboard):
    """Found in review: repeat children were counted by notifications, so one incident naming three settings made
    a child a "repeat", and so did incidents police withdrew as the wrong child."""
    from service.notifications.schemas import WithdrawalRequest
    from service.notifications.withdrawal import withdraw_notification
    from service.police.service import AuthenticatedClient
    from tests.builders import ASHOVER_PRIMARY, SWANWICK_PRIMARY

    officer, _ = as_officer("830", name="Repeat officer")
    for urn in (BRIMINGTON_JUNIOR, ASHOVER_PRIMARY, SWANWICK_PRIMARY):
        onboard(urn)
    child = dict(given_name="Marigold", family_name="Featherstonehaugh")
    three_settings = receive_at(at(2, 10), at(2, 8), child_entry(
        "C1", urn=BRIMINGTON_JUNIOR, other_settings=[{"setting_urn": ASHOVER_PRIMARY}, {"setting_urn": SWANWICK_PRIMARY}],
        **child))
    assert len(three_settings) == 3
    wrong_child = receive_at(at(3, 10), at(3, 8), child_entry("C1", urn=BRIMINGTON_JUNIOR, **child))
    police = AuthenticatedClient(client_id=1, force_id="derbyshire", scopes=frozenset({"incidents:write"}))
    withdraw_notification(db, client=police, notification_id=wrong_child[0], request=WithdrawalRequest(reason="wrong_child"),
                          now=at(3, 11))
    db.commit()
    receive_at(at(4, 10), at(4, 8), child_entry("C1", urn=BRIMINGTON_JUNIOR, **child))

    period = dashboard.Period(date(2026, 11, 2), date(2026, 11, 6))
    assert la_oversight.oversight_rows(db, officer, period).repeat_children == 0  # two incidents, however counted
    assert la_oversight.repeat_children_notifications(db, officer, period) == []

    receive_at(at(5, 10), at(5, 8), child_entry("C1", urn=SWANWICK_PRIMARY, **child))
    assert la_oversight.oversight_rows(db, officer, period).repeat_children == 1  # the third incident
    [listed] = la_oversight.repeat_children_notifications(db, officer, period)
    assert wrong_child[0] not in {n.id for n in listed.notifications}
