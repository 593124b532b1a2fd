"""axe-core finds no WCAG 2.2 A or AA failure on any portal page, for anyone signed out, Key Adults, LA officers and admins,
on a desktop screen (1280 px) and on a phone 320 px wide, where no page may scroll sideways either."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.browser.conftest import (PASSWORD, PortalWorld, assert_no_axe_violations, axe_violations, describe_violations,
                                    watch)
from tests.builders import ASHOVER_PRIMARY

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class PortalPage:
    name: str
    role: str | None  # None: nobody signed in
    open: Callable  # open(page, world): leaves the browser on the page to scan
    heading: str  # the page's h1 starts with this, so the scan is known to be of the page meant


def go(path: str | Callable[[PortalWorld], str]):
    def open_page(page, world: PortalWorld) -> None:
        response = page.goto(path(world) if callable(path) else path)
        assert response is not None and response.status < 500, response and response.status

    return open_page


def password_only(account_of: Callable[[PortalWorld], object]):
    """Signs in with the password alone and stops at whatever the service asks for next."""

    def open_page(page, world: PortalWorld) -> None:
        page.goto("/sign-in")
        page.fill("#email", account_of(world).email)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()

    return open_page


def submitted_wrongly(path: str | Callable[[PortalWorld], str], button: str, fill: dict[str, str] | None = None):
    """The page after sending its form with nothing (or the given wrong values) filled in: the error summary and
    field errors are scanned too."""

    def open_page(page, world: PortalWorld) -> None:
        go(path)(page, world)
        for selector, value in (fill or {}).items():
            page.fill(selector, value)
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()
        assert page.title().startswith("Error:"), page.title()

    return open_page


def item_search(page, world: PortalWorld) -> None:
    page.goto(f"/la/notifications/{world.to_resolve_id}")
    page.fill("#setting_search", "Ashover")
    with page.expect_navigation():
        page.get_by_role("button", name="Search the register").click()
    assert "setting_search=Ashover" in page.url


def first_reset_two_factor(page, world: PortalWorld) -> None:
    """The page that asks for the admin's own password, reached from the first account's link on /admin."""
    page.goto("/admin")
    with page.expect_navigation():
        page.locator("a[href$='/reset-two-factor']").first.click()


def first_remove_access(page, world: PortalWorld) -> None:
    """The confirmation reached from the first "Remove access" link on the officer's Key Adults page."""
    page.goto("/la/key-adults")
    with page.expect_navigation():
        page.locator("a[href$='/deactivate']").first.click()


def notification(which: str, suffix: str = "") -> Callable[[PortalWorld], str]:
    return lambda world: f"/notifications/{getattr(world, which)}{suffix}"


def la_item(world: PortalWorld) -> str:
    return f"/la/notifications/{world.to_resolve_id}"


PAGES = [
    # Signed out
    PortalPage("sign-in", None, go("/sign-in"), "Sign in to Operation Encompass"),
    PortalPage("sign-in-with-errors", None, submitted_wrongly("/sign-in", "Continue"), "Sign in to Operation Encompass"),
    PortalPage("sign-in-after-signing-out", None, go("/sign-in?notice=signed_out"), "Sign in to Operation Encompass"),
    PortalPage("two-factor-code", None, password_only(lambda world: world.waiting_for_code), "Enter your security code"),
    PortalPage("set-up-two-factor", None, password_only(lambda world: world.new_to_two_factor), "Set up your authenticator app"),
    PortalPage("forgot-password", None, go("/forgot-password"), "Reset your password"),
    PortalPage("forgot-password-with-errors", None, submitted_wrongly("/forgot-password", "Send the link"),
               "Reset your password"),
    PortalPage("forgot-password-sent", None, go("/forgot-password/sent"), "Check your email"),
    PortalPage("invitation-create-password", None, go(lambda world: world.invitation_path), "Create your password"),
    PortalPage("invitation-link-not-valid", None, go("/invitation/not-a-real-token"), "This link does not work"),
    PortalPage("session-ended", None, go("/session-ended"), "You have been signed out"),
    PortalPage("page-not-found", None, go("/no-such-page"), "Page not found"),
    PortalPage("accessibility-statement", None, go("/accessibility"), "Accessibility statement"),
    PortalPage("privacy-notice", None, go("/privacy"), "Privacy notice"),
    PortalPage("cookies", None, go("/cookies"), "Cookies"),
    # Key Adult
    PortalPage("inbox", "key_adult", go("/notifications"), "Notifications"),
    PortalPage("inbox-filtered", "key_adult", go("/notifications?status=overdue"), "Notifications"),
    PortalPage("inbox-filtered-empty", "key_adult", go("/notifications?status=closed"), "Notifications"),
    PortalPage("notification-unread", "key_adult", go(notification("unread_id")), "Ellie Brookes"),
    PortalPage("notification-acknowledged", "key_adult", go(notification("acknowledged_id")), "Noah Brookes"),
    PortalPage("notification-print", "key_adult", go(notification("acknowledged_id", "/print")), "Noah Brookes"),
    PortalPage("notification-action-with-errors", "key_adult", submitted_wrongly(notification("acknowledged_id"), "Save action"),
               "Noah Brookes"),
    PortalPage("notification-of-another-setting", "key_adult", go(notification("journey_id")), "Page not found"),
    PortalPage("change-password", "key_adult", go("/account/password"), "Change your password"),
    PortalPage("change-password-with-errors", "key_adult", submitted_wrongly("/account/password", "Change password"),
               "Change your password"),
    PortalPage("signed-in-sessions", "key_adult", go("/account/sessions"), "Where you are signed in"),
    PortalPage("privacy-notice-signed-in", "key_adult", go("/privacy"), "Privacy notice"),
    # LA officer
    PortalPage("la-home", "officer", go("/la"), "Local authority workspace"),
    PortalPage("la-queue-not-in-school", "officer", go("/la/queues/not_in_school"), "Children not in school"),
    PortalPage("la-queue-to-resolve", "officer", go("/la/queues/to_resolve"), "Setting to be resolved"),
    PortalPage("la-queue-not-onboarded", "officer", go("/la/queues/not_onboarded"), "Setting not onboarded"),
    PortalPage("la-queue-sent-back", "officer", go("/la/queues/sent_back"), "Sent back by a setting"),
    PortalPage("la-queue-escalated", "officer", go("/la/queues/escalated"), "Escalated"),
    PortalPage("la-item", "officer", go(la_item), "Ava Hale"),
    PortalPage("la-item-reroute-search", "officer", item_search, "Ava Hale"),
    PortalPage("la-item-reroute-with-errors", "officer", submitted_wrongly(la_item, "Re-route to this local authority"),
               "Ava Hale"),
    PortalPage("la-reroute-to-a-setting-nobody-can-sign-in-at", "officer",
               go(lambda world: f"{la_item(world)}/reroute/{ASHOVER_PRIMARY}"), "You cannot send this notification to"),
    PortalPage("la-dashboard", "officer", go("/la/dashboard"), "Oversight dashboard"),
    PortalPage("la-dashboard-bad-period", "officer", go("/la/dashboard?from=2026-13-40&to=yesterday"), "Oversight dashboard"),
    PortalPage("la-configuration", "officer", go("/la/authorities/830/configuration"), "Configuration for"),
    PortalPage("la-key-adults-and-invite", "officer", go("/la/key-adults"), "Key Adults in your area"),
    PortalPage("la-key-adults-setting-search", "officer", go("/la/key-adults?setting_search=Brimington"),
               "Key Adults in your area"),
    PortalPage("la-key-adults-invite-with-errors", "officer",
               submitted_wrongly("/la/key-adults?setting_search=Brimington", "Send invitation"), "Key Adults in your area"),
    PortalPage("la-remove-access", "officer", first_remove_access, "Remove"),
    # Administrator
    PortalPage("admin", "admin", go("/admin"), "Administration"),
    PortalPage("admin-reset-two-factor", "admin", first_reset_two_factor, "Reset security codes for"),
    PortalPage("admin-failed-alerts", "admin", go("/admin/outbox"), "Failed alerts"),
    PortalPage("admin-audit-download", "admin", go("/admin/audit"), "Download the audit trail"),
    PortalPage("admin-audit-download-with-errors", "admin",
               submitted_wrongly("/admin/audit", "Download CSV", {"#from-month": "13"}), "Download the audit trail"),
]


WIDTHS = {"desktop": 1280, "phone": 320}
# Key Adult and LA pages whose tables are still too wide at 320 px on this branch (their axe scans pass); their
# templates are made narrow on other branches. Remove an entry once its page fits.
def _cases():
    for portal_page in PAGES:
        for width_name, width in WIDTHS.items():
            yield pytest.param(portal_page, width, id=f"{portal_page.name}-{width_name}")


def assert_no_sideways_scrolling(page) -> None:
    """The page fits the window: nothing makes the whole page scroll left and right."""
    widths = page.evaluate("() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})")
    if widths["page"] > widths["window"]:
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined
              ? '.' + String(e.className).trim().split(/\\s+/).join('.') : ''))""")
        pytest.fail(f"{page.url} is {widths['page']} px wide in a {widths['window']} px window; too wide: {culprits}")


@pytest.mark.parametrize(("portal_page", "width"), list(_cases()))
def test_page_has_no_wcag_violations(portal_page, width, signed_in, signed_out, portal_world):
    context = signed_in(portal_page.role) if portal_page.role else signed_out
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        problems = watch(page)
        portal_page.open(page, portal_world)
        heading = page.inner_text("h1")
        assert heading.startswith(portal_page.heading), f"expected '{portal_page.heading}' at {page.url}, found '{heading}'"
        # GOV.UK Frontend marks the body once its scripts ran: proof the CSP nonce lets the page's own scripts through.
        assert "govuk-frontend-supported" in page.get_attribute("body", "class")
        assert_no_axe_violations(page)
        assert_no_sideways_scrolling(page)
        # A page whose scripts the CSP refused, or which failed to load a file, is broken for its users too.
        problems.assert_none()
    finally:
        page.close()


def test_the_scan_reports_what_it_finds(signed_out):
    """The scan itself can fail: a field without a label and an image without alt text are both reported."""
    page = signed_out.new_page()
    page.goto("/sign-in")
    page.evaluate("""() => {
        document.querySelector('main').insertAdjacentHTML('beforeend',
            '<input type="text" id="unlabelled"><img src="/assets/images/favicon.svg">');
    }""")
    violations = {v["id"]: v for v in axe_violations(page)}
    assert {"label", "image-alt"} <= set(violations)
    assert "#unlabelled" in describe_violations([violations["label"]])


@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS))
def test_every_page_shows_the_beta_banner_the_footer_links_and_who_is_signed_in(width, signed_in, signed_out):
    """What a Key Adult sees on a phone and a desktop: the banner, the footer's pages, and their own name and setting."""
    for context, path, identity in ((signed_in("key_adult"), "/notifications", "Brimington Junior School"),
                                    (signed_out, "/sign-in", None)):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        try:
            page.goto(path)
            banner = page.locator("#phase-banner")
            assert banner.is_visible() and banner.get_by_text("Beta").is_visible()
            assert banner.get_by_role("link", name="Tell us what you think").is_visible()
            footer = page.locator("footer")
            for name in ("Accessibility statement", "Privacy notice", "Cookies"):
                link = footer.get_by_role("link", name=name)
                box = link.bounding_box()
                assert link.is_visible() and box["x"] + box["width"] <= width, f"{name} is off the screen at {width} px"
            assert page.locator("header").get_by_text("Operation Encompass").first.is_visible()
            assert page.locator("header svg").count() == 0, "no crown or logotype for a service not on GOV.UK"
            if identity:
                line = page.locator("#signed-in-as")
                assert line.is_visible() and identity in line.inner_text() and "112517" not in line.inner_text()
            else:
                assert page.locator("#signed-in-as").count() == 0
            with page.expect_navigation():
                footer.get_by_role("link", name="Privacy notice").click()
            assert page.inner_text("h1") == "Privacy notice"
            assert_no_sideways_scrolling(page)
        finally:
            page.close()
