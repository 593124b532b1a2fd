"""The LA officer's pages in real Chromium at desktop and phone widths: no WCAG failure, no sideways scrolling, the
case page headed with the child, the sent-back queue saying who, when and why, and a dashboard that is worked with
the GOV.UK date input and links to the children it counts."""

import re

import pytest

from tests.browser.conftest import PortalWorld, assert_no_axe_violations, watch

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 320}


def _case_page(world: PortalWorld, query: str = "") -> str:
    return f"/la/notifications/{world.to_resolve_id}{query}"


LA_PAGES = {
    "workspace": "/la",
    "queue-not-in-school": "/la/queues/not_in_school",
    "queue-to-resolve": "/la/queues/to_resolve",
    "queue-not-onboarded": "/la/queues/not_onboarded",
    "queue-sent-back": "/la/queues/sent_back",
    "queue-escalated": "/la/queues/escalated",
    "case-page": _case_page,
    "case-page-register-search": lambda world: _case_page(world, "?setting_search=Brimington"),
    "dashboard": "/la/dashboard",
    "dashboard-overdue": "/la/dashboard/overdue",
    "dashboard-repeat-children": "/la/dashboard/repeat-children",
    "configuration": "/la/authorities/830/configuration",
    "key-adults": "/la/key-adults?setting_search=Brimington",
}


def _open(context, width: int):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def page_width(page) -> int:
    """How wide the page is laid out: more than the window means the reader must scroll sideways."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


@pytest.mark.parametrize("width_name", list(WIDTHS))
@pytest.mark.parametrize("page_name", list(LA_PAGES))
def test_every_la_page_passes_axe_and_fits_the_screen(page_name, width_name, signed_in, portal_world):
    width = WIDTHS[width_name]
    page = _open(signed_in("officer"), width)
    try:
        problems = watch(page)
        path = LA_PAGES[page_name]
        response = page.goto(path(portal_world) if callable(path) else path)
        assert response is not None and response.status == 200, response and response.status
        assert page_width(page) <= width, f"{page_name} is {page_width(page)} px wide in a {width} px window"
        assert_no_axe_violations(page)
        problems.assert_none()
    finally:
        page.close()


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_the_case_page_is_headed_with_the_child_and_lists_the_other_children(width_name, signed_in, portal_world):
    page = _open(signed_in("officer"), WIDTHS[width_name])
    try:
        page.goto(f"/la/notifications/{portal_world.to_resolve_id}")
        assert page.inner_text("h1") == "Ava Hale"
        others = page.locator("#other-children-table tr.other-child")
        assert others.count() == 6  # the incident's six other children, every one held in Derbyshire
        ellie = page.locator("#other-children-table tr.other-child", has_text="Ellie Brookes")
        assert "Brimington Junior School" in ellie.inner_text()
        with page.expect_navigation():
            ellie.get_by_role("link", name="Ellie Brookes").click()
        assert page.inner_text("h1") == "Ellie Brookes"
    finally:
        page.close()


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_the_sent_back_queue_says_who_sent_it_back_when_and_why(width_name, signed_in):
    page = _open(signed_in("officer"), WIDTHS[width_name])
    try:
        page.goto("/la/queues/sent_back")
        row = page.locator("tr.queue-item", has_text="Isla Hale")
        why = row.locator(".routing-reason")
        assert why.locator(".hand-over-who").inner_text() == "Sent back by Brimington Junior School"
        assert re.search(r"\d", why.locator(".hand-over-when").inner_text())
        assert "Left in July." in why.locator(".hand-over-why").inner_text()
        assert why.is_visible()
        box = why.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[width_name]  # on screen, not off to the side
    finally:
        page.close()


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_the_dashboard_period_uses_the_date_input_and_its_counts_link_to_the_children(width_name, signed_in):
    page = _open(signed_in("officer"), WIDTHS[width_name])
    try:
        page.goto("/la/dashboard")
        assert page.locator("#period-form input[type=date]").count() == 0
        for part in ("day", "month", "year"):
            assert page.locator(f"#from-{part}").is_visible() and page.locator(f"#to-{part}").is_visible()
        year = page.input_value("#to-year")
        page.fill("#from-day", "1")
        page.fill("#from-month", "1")
        page.fill("#from-year", year)
        with page.expect_navigation():
            page.get_by_role("button", name="Show this period").click()
        assert "from-day=1" in page.url and "from-month=1" in page.url
        assert page.inner_text("#period").startswith("Notifications received from 1 January")

        overdue = int(page.inner_text("#link-overdue"))
        with page.expect_navigation():
            page.click("#link-overdue")
        assert page.inner_text("h1") == "Overdue now"
        assert page.locator("#counted tr.counted-notification").count() == overdue > 0
        assert page_width(page) <= WIDTHS[width_name]

        page.go_back()
        with page.expect_navigation():
            page.click("#link-repeat")
        assert page.inner_text("h1") == "Children with 3 or more incidents"
    finally:
        page.close()


def test_a_period_typed_wrongly_is_explained_beside_the_date_input(signed_in):
    page = _open(signed_in("officer"), WIDTHS["phone"])
    try:
        page.goto("/la/dashboard")
        page.fill("#from-month", "13")
        with page.expect_navigation():
            page.get_by_role("button", name="Show this period").click()
        assert page.title().startswith("Error:")
        assert page.locator(".govuk-error-summary a[href='#from-day']").inner_text() == "The start date must be a real date"
        assert page_width(page) <= WIDTHS["phone"]
        assert_no_axe_violations(page)
    finally:
        page.close()
