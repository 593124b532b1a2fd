"""The Key Adult's morning in real Chromium, at desktop (1280 px) and phone (320 px) widths: urgent work first in the
inbox, the tags, the guidance before the acknowledge button on a phone, no sideways scrolling, the axe scan, and the
"not on our roll" confirmation."""

import pytest

from tests.browser.conftest import assert_no_axe_violations, watch

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 900), "phone": (320, 640)}
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def morning_page(request, morning_context):
    """A page of the signed-in Bamford Key Adult at each width; fails the test if the browser reported problems."""
    width, height = WIDTHS[request.param]
    page = morning_context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    problems = watch(page)
    page.width_name = request.param
    yield page
    problems.assert_none()
    page.close()


def _check(page) -> None:
    """What every Key Adult page owes its users at this width: no WCAG failure, and no sideways scroll."""
    assert_no_axe_violations(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL), (
        f"{page.url} scrolls sideways at {page.viewport_size['width']} px: "
        f"{page.evaluate('document.documentElement.scrollWidth')} px wide")


def _inbox_order(page, world) -> list[str]:
    """The inbox rows top to bottom, each by the name the world gave its notification ("Ivy", "Ivy-20", ...)."""
    by_id = {notification_id: name for name, notification_id in world.ids.items()}
    rows = page.locator("#inbox tbody tr").all()
    return [by_id[row.get_attribute("data-notification-id")] for row in rows]


def test_the_inbox_puts_urgent_work_first_with_tags_and_fits_the_screen(morning_page, morning_world):
    page = morning_page
    page.goto("/notifications")
    order = _inbox_order(page, morning_world)
    # Overdue, then the nearest deadline (Hana and Gail share one: high risk first), then later deadlines; the
    # not-on-roll test may already have sent Olly and Oona back.
    waiting = [name for name in morning_world.waiting_order if name in order]
    assert waiting[:4] == ["Ivy", "Hana", "Gail", "Finn"]
    assert order == waiting + ["Faye", "Dana", "Ivy-20", "Ivy-40"], "then the acknowledged ones, newest first"

    def row(name: str):
        return page.locator(f"#inbox tr[data-notification-id='{morning_world.ids[name]}']")

    assert row("Ivy").locator(".status-tag").inner_text() == "Overdue"
    assert "govuk-tag--red" in row("Hana").locator(".risk-tag").get_attribute("class")
    assert "govuk-tag--red" not in row("Gail").locator(".risk-tag").get_attribute("class")
    new, viewed = row("Hana").locator(".status-tag"), row("Gail").locator(".status-tag")
    assert (new.inner_text(), viewed.inner_text()) == ("New", "Viewed")
    colour = "el => getComputedStyle(el).backgroundColor"
    assert new.evaluate(colour) != viewed.evaluate(colour), "New and Viewed look different, not only read differently"
    assert row("Ivy").locator(".repeat-flag").inner_text() == "3 incidents in 3 months"
    assert row("Hana").locator(".repeat-flag").count() == 0

    # The Status of every row is on screen, not off to the right.
    width = page.viewport_size["width"]
    for box in [tag.bounding_box() for tag in page.locator("#inbox .status-tag").all()]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    _check(page)


def test_the_notification_page_puts_999_and_do_not_ask_before_the_acknowledge_button_on_a_phone(morning_page, morning_world):
    page = morning_page
    page.goto(f"/notifications/{morning_world.ids['Hana']}")
    assert page.locator("a.govuk-back-link").get_attribute("href") == "/notifications"
    assert page.inner_text("#risk-tag") == "High risk"
    acknowledge = page.locator("#acknowledge").bounding_box()
    emergency = page.locator("#emergency").bounding_box()
    do_not_ask = page.locator("#do-not-ask").bounding_box()
    assert emergency["y"] + emergency["height"] <= acknowledge["y"]
    assert do_not_ask["y"] + do_not_ask["height"] <= acknowledge["y"]
    more = page.locator("#more-guidance").bounding_box()
    if page.width_name == "phone":
        assert more["y"] > acknowledge["y"], "the rest of the guidance waits until after the notification"
    else:
        # The rest of the guidance is beside the notification, on the right, and the button is on the first screen.
        assert more["x"] > acknowledge["x"] + acknowledge["width"] and more["y"] < acknowledge["y"]
        assert acknowledge["y"] + acknowledge["height"] < page.viewport_size["height"]
    # Siblings at this setting: Hana's incident had no one else; Finn's had Faye.
    assert page.locator("#siblings").count() == 0
    _check(page)

    page.goto(f"/notifications/{morning_world.ids['Finn']}")
    assert page.locator("#siblings a").all_inner_texts() == ["Faye Morningside"]
    _check(page)


def test_the_repeat_warning_is_at_the_top_and_an_acknowledged_page_and_its_print_fit_too(morning_page, morning_world):
    page = morning_page
    page.goto(f"/notifications/{morning_world.ids['Ivy']}")
    warning, facts = page.locator("#repeat-warning").bounding_box(), page.locator("#facts").bounding_box()
    assert warning["y"] < facts["y"] and warning["y"] < page.locator("#acknowledge").bounding_box()["y"]
    _check(page)
    page.goto(f"/notifications/{morning_world.ids['Dana']}")
    assert "Acknowledged at" in page.inner_text("#acknowledged-at")
    _check(page)
    page.goto(f"/notifications/{morning_world.ids['Dana']}/print")
    assert page.inner_text("#marking") == "OFFICIAL-SENSITIVE"
    assert "by Morgan Dsl" in page.inner_text("#acknowledged")
    _check(page)


def test_not_on_our_roll_asks_first_names_the_child_and_needs_a_reason(morning_page, morning_world):
    page = morning_page
    name = "Olly" if page.width_name == "desktop" else "Oona"  # a child of its own for each width
    notification_id = morning_world.ids[name]
    page.goto(f"/notifications/{notification_id}")
    with page.expect_navigation():
        page.click("#not-on-roll-link")
    assert page.inner_text("h1") == f"Is {name} Morningside not on your roll?"
    _check(page)

    with page.expect_navigation():
        page.click("#send-back")
    assert page.title().startswith("Error:")
    assert page.locator(".govuk-error-summary a[href='#reason']").inner_text() == "Enter why the child is not on your roll"
    _check(page)

    page.fill("#reason", "Moved to a school in Sheffield at half term.")
    with page.expect_navigation(url="**/notifications"):
        page.click("#send-back")
    assert f"{name} Morningside has been sent back to the local authority" in page.inner_text(".govuk-notification-banner")
    assert notification_id not in page.content()
    assert page.goto(f"/notifications/{notification_id}").status == 404
