"""A Key Adult's whole morning with the keyboard alone: sign in and set up the code app, open, acknowledge, record, sign out."""

import pyotp
import pytest
from sqlmodel import Session, select

from tests.browser.conftest import PASSWORD, watch

pytestmark = pytest.mark.browser

# True when the focused control shows a focus indicator (WCAG 2.4.7): GOV.UK draws a yellow outline, background or
# shadow; a radio's ring is drawn on its label, because the input itself is invisible.
FOCUS_IS_VISIBLE = """el => {
  const shows = s => (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== 'rgba(0, 0, 0, 0)')
    || s.boxShadow !== 'none' || s.backgroundColor === 'rgb(255, 221, 0)';
  if (el.matches('input[type=radio], input[type=checkbox]')) {
    const label = el.labels && el.labels[0];
    return !!label && (shows(getComputedStyle(label, '::before')) || shows(getComputedStyle(label, '::after')));
  }
  return shows(getComputedStyle(el));
}"""


def focused_matches(page, selector: str) -> bool:
    return page.evaluate("selector => !!document.activeElement && document.activeElement.matches(selector)", selector)


def describe_focus(page) -> str:
    return page.evaluate("() => { const el = document.activeElement; return el ? el.outerHTML.slice(0, 160) : 'nothing'; }")


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 80) -> int:
    """Presses Tab (or Shift+Tab) until the control matching selector has focus; fails if it never does."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if focused_matches(page, selector):
            assert page.evaluate(FOCUS_IS_VISIBLE, page.evaluate_handle("document.activeElement")), \
                f"{selector} has focus but no visible focus indicator"
            return presses
    raise AssertionError(f"{selector} never had focus after {limit} presses of {key}; last: {describe_focus(page)}")


def press_and_wait(page, key: str, url_glob: str) -> None:
    with page.expect_navigation(url=url_glob):
        page.keyboard.press(key)


def test_key_adult_journey_with_the_keyboard_alone(browser, live_server, portal_world, engine):
    from service.notifications.models import Notification, NotificationAction

    account, notification_id = portal_world.journey_key_adult, portal_world.journey_id
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    problems = watch(page)
    page.goto("/sign-in")

    # The first Tab reaches the skip link; Enter moves focus past the header to the main content.
    page.keyboard.press("Tab")
    assert focused_matches(page, "a.govuk-skip-link[href='#main-content']"), describe_focus(page)
    page.keyboard.press("Enter")
    assert focused_matches(page, "#main-content"), describe_focus(page)

    tab_to(page, "#email")
    page.keyboard.type(account.email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#sign-in-form button:not([type=button])")
    # Back and forth: Shift+Tab returns to the password, whose text the keyboard put there.
    tab_to(page, "#password", backwards=True)
    assert page.input_value("#password") == PASSWORD
    tab_to(page, "#sign-in-form button:not([type=button])")
    press_and_wait(page, "Enter", "**/sign-in/set-up-two-factor")

    # First sign-in: the key for the authenticator app is on the page, to be typed into the app by hand.
    secret = "".join(page.inner_text("#totp-secret").split())
    tab_to(page, "#code")
    page.keyboard.type(pyotp.TOTP(secret).now())
    tab_to(page, "#set-up-two-factor-form button")
    press_and_wait(page, "Enter", "**/notifications")

    tab_to(page, f"#inbox a[href='/notifications/{notification_id}']")
    press_and_wait(page, "Enter", f"**/notifications/{notification_id}")
    assert page.inner_text("#child-name") == "Ruby Hale"
    assert page.locator("#guidance").is_visible()

    tab_to(page, "#acknowledge")
    press_and_wait(page, "Enter", f"**/notifications/{notification_id}")
    assert "Notification acknowledged" in page.inner_text("main")
    assert page.locator("#acknowledged-at").is_visible()

    # Radios: Tab lands on the group, Space chooses the focused option.
    tab_to(page, "#action")
    page.keyboard.press("Space")
    assert page.is_checked("#action")
    tab_to(page, "#note")
    page.keyboard.type("Checked in with Ruby at lunchtime; settled and eating well.")
    tab_to(page, "#action-form button")
    press_and_wait(page, "Enter", f"**/notifications/{notification_id}")
    assert "Action recorded: Observed, no concerns." in page.inner_text("main")
    assert "Checked in with Ruby at lunchtime" in page.inner_text("main")

    # The success message takes focus; the header's sign-out link is behind it.
    tab_to(page, "a[href='/sign-out']", backwards=True)
    press_and_wait(page, "Enter", "**/sign-in?notice=signed_out")
    assert "You have signed out." in page.inner_text("main")
    page.goto(f"/notifications/{notification_id}")
    assert "/sign-in" in page.url, "the session must be gone after signing out"
    problems.assert_none()
    context.close()

    with Session(engine) as session:
        notification = session.get(Notification, notification_id)
        assert notification.acknowledged_at is not None
        [action] = session.exec(select(NotificationAction).where(NotificationAction.notification_id == notification_id)).all()
        assert action.action == "observed_no_concerns"
        assert action.note == "Checked in with Ruby at lunchtime; settled and eating well."
