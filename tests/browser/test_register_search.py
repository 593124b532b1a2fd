"""An LA officer finds the setting in the register and sends the notification there, in real Chromium, at 1280 and
320 px: search, "Send to this setting", the confirmation, and the refusal of a setting that does not take the child."""

import pytest

from tests.browser.conftest import BOLSOVER_INFANT, assert_no_axe_violations, watch

pytestmark = pytest.mark.browser

WIDTHS = (1280, 320)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide at {page.viewport_size['width']} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_officer_searches_and_sends_from_a_result_to_its_confirmation(signed_in, portal_world, width):
    page = signed_in("officer").new_page()
    page.set_viewport_size({"width": width, "height": 900})
    problems = watch(page)
    page.goto(f"/la/notifications/{portal_world.to_resolve_id}")
    page.fill("#setting_search", "St Anne's Baslow")
    with page.expect_navigation():
        page.get_by_role("button", name="Search the register").click()

    rows = page.locator("#setting-results tbody tr")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert "St Anne's CofE Primary School" in first and "Baslow, DE45" in first and "4 to 11" in first
    no_sideways_scroll(page)
    assert_no_axe_violations(page)

    send = rows.first.locator('a[data-urn="112800"]')
    assert send.inner_text().startswith("Send to this setting")
    with page.expect_navigation():
        send.click()
    assert page.locator("h1").inner_text().startswith("Send this notification to St Anne's CofE Primary School")
    assert page.locator("#reroute-setting-reason").is_visible()
    no_sideways_scroll(page)
    assert_no_axe_violations(page)
    problems.assert_none()
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_candidates_table_sends_to_a_confirmation(signed_in, portal_world, width):
    page = signed_in("officer").new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/la/notifications/{portal_world.to_resolve_id}")
    buttons = page.locator("#original-candidates a[data-urn]")
    assert buttons.count() >= 2
    no_sideways_scroll(page)
    with page.expect_navigation():
        buttons.first.click()
    assert "/reroute/" in page.url and page.locator("#reroute-confirm-form").is_visible()
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_setting_that_does_not_take_the_child_is_refused_with_an_error_summary(signed_in, portal_world, width):
    page = signed_in("officer").new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/la/notifications/{portal_world.to_resolve_id}")
    page.fill("#setting_search", BOLSOVER_INFANT)  # a URN finds the setting whatever its ages
    with page.expect_navigation():
        page.get_by_role("button", name="Search the register").click()
    with page.expect_navigation():
        page.locator(f'#setting-results a[data-urn="{BOLSOVER_INFANT}"]').click()
    assert "does not take children of this age" in page.inner_text("main")

    page.fill("#reroute-setting-reason", "The office said so.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send to this setting").click()

    assert page.title().startswith("Error:")
    summary = page.locator(".govuk-error-summary")
    assert "takes children aged 2 to 7, and the child was 9" in summary.inner_text()
    assert page.locator("#reroute-age-override").is_visible()
    no_sideways_scroll(page)
    assert_no_axe_violations(page)
    page.close()
