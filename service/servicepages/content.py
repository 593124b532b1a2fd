"""The facts the shared page furniture and the service pages state, worked out from settings (pure: no request, no database)."""

from collections.abc import Mapping
from dataclasses import dataclass

from service.config import Settings
from service.wording import days_in_words

SERVICE_NAME = "Operation Encompass"
# When the accessibility statement was last checked against the pages, and how.
ACCESSIBILITY_CHECKED_ON = "1 December 2026"
FOOTER_LINKS = (("/accessibility", "Accessibility statement"), ("/privacy", "Privacy notice"), ("/cookies", "Cookies"))
ADMIN_DESCRIPTION = "service administrator"


@dataclass(frozen=True)
class Branding:
    """GOV.UK's crown, logotype and crown copyright are for services on GOV.UK only (SERVICE_ON_GOVUK)."""

    on_govuk: bool
    feedback_url: str
    contact_email: str = ""  # help with the portal: where someone locked out of it can ask
    footer_links: tuple[tuple[str, str], ...] = FOOTER_LINKS

    def page_title(self, page: str, *, has_errors: bool = False) -> str:
        """'[Error: ]Page – Operation Encompass[ – GOV.UK]': screen reader users hear 'Error:' first."""
        return f"{'Error: ' if has_errors else ''}{page} – {SERVICE_NAME}{' – GOV.UK' if self.on_govuk else ''}"


def branding(settings: Settings) -> Branding:
    return Branding(on_govuk=settings.service_on_govuk, feedback_url=settings.feedback_url,
                    contact_email=settings.contact_email)


@dataclass(frozen=True)
class ServiceFacts:
    """What the privacy notice, cookies page and accessibility statement say, from the running configuration."""

    operator: str
    contact_email: str
    data_protection_email: str
    child_data_kept_for: str  # after the notification is closed
    police_retries_kept_for: str
    idle_minutes: int
    session_hours: int
    feedback_url: str
    accessibility_checked_on: str = ACCESSIBILITY_CHECKED_ON


def service_facts(settings: Settings) -> ServiceFacts:
    return ServiceFacts(
        operator=settings.service_operator, contact_email=settings.contact_email,
        data_protection_email=settings.data_protection_email,
        child_data_kept_for=days_in_words(settings.retention_days),
        police_retries_kept_for=days_in_words(settings.idempotency_replay_days),
        idle_minutes=settings.session_idle_minutes, session_hours=settings.session_absolute_hours,
        feedback_url=settings.feedback_url,
    )


@dataclass(frozen=True)
class SignedInAs:
    """The header's 'Signed in as Sam Patel, Brimington Junior School'."""

    name: str
    acting_for: str  # the setting(s) or LA(s) by name; empty when there is nothing to say


def places_in_words(names: list[str], *, noun: str) -> str:
    """'A', 'A and B', 'A, B and 3 other settings' (a long list would push the page content down on a phone)."""
    if len(names) <= 2:
        return " and ".join(names)
    others = len(names) - 2
    return f"{names[0]}, {names[1]} and {others} other {noun}{'s' if others != 1 else ''}"


def signed_in_as(*, display_name: str, kind: str, setting_names: Mapping[str, str], la_names: Mapping[str, str]) -> SignedInAs:
    """Who is signed in and for whom, by name. A setting or LA missing from the register is shown by its code."""
    if kind == "setting_staff":
        acting_for = places_in_words(sorted(setting_names.values()), noun="setting")
    elif kind == "la_officer":
        acting_for = places_in_words(sorted(la_names.values()), noun="local authority")
    elif kind == "admin":
        acting_for = ADMIN_DESCRIPTION
    else:
        acting_for = ""
    if acting_for.casefold() == display_name.casefold():  # "Service administrator, service administrator"
        acting_for = ""
    return SignedInAs(name=display_name, acting_for=acting_for)
