"""The guidance shown beside every notification: our own plain words, plus the local contacts from the LA's configuration."""

from dataclasses import dataclass

from service.localauthorities.local_guidance import LocalService, local_services
from service.localauthorities.models import LocalAuthority

EMERGENCY_NUMBER = "999"
HELPLINE_PHONE = "0204 513 9990"
HELPLINE_HOURS = "weekday mornings"
TRAINING_URL = "https://www.operationencompass.org/"
TRAINING_SITE = "operationencompass.org"


@dataclass(frozen=True)
class Advice:
    """One piece of advice: a short heading and the points under it."""

    heading: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class LocalContact:
    """A local service a Key Adult may need; any part can be missing when the LA has not configured it."""

    name: str
    phone: str | None = None
    url: str | None = None
    configured: bool = True


@dataclass(frozen=True)
class Guidance:
    do_not_ask: Advice
    watch_for: Advice
    support: Advice
    local_authority_name: str | None
    threshold_document: LocalContact
    front_door: LocalContact
    out_of_hours_phone: str | None
    # The LA's own practice, shown under its name after the national points above; never instead of them.
    local_advice: tuple[str, ...] = ()
    local_services: tuple[LocalService, ...] = ()
    helpline_phone: str = HELPLINE_PHONE
    helpline_hours: str = HELPLINE_HOURS
    training_url: str = TRAINING_URL
    training_site: str = TRAINING_SITE
    emergency_number: str = EMERGENCY_NUMBER


# Written for a busy teacher reading on a school morning. Kept here, not in the template, so the content is
# reviewed in one place and the tests can check that every item reaches the page.
DO_NOT_ASK = Advice(
    heading="Do not ask about the incident",
    points=(
        "Do not ask the child, or their parents or carers, about what happened. Asking can put the child or a parent at more risk.",
        "Treat the child as you normally would, and keep this information to the people who need it.",
        "If the child brings it up themselves, listen, stay calm and follow your usual safeguarding procedure.",
    ),
)

WATCH_FOR = Advice(
    heading="What to look out for over the next few days",
    points=(
        "Changes in behaviour, such as being more aggressive, quieter than usual or seeking attention.",
        "Emotional signs, such as seeming withdrawn, anxious, fearful or low.",
        "Attendance and punctuality: missed days, arriving late or being collected by someone unexpected.",
        "Trouble concentrating or keeping up with work.",
        "Tiredness, or seeming hungry or unwell.",
        "Some children show no signs at all. That does not mean they are not affected.",
    ),
)

SUPPORT = Advice(
    heading="How to help",
    points=(
        "Make sure the child has a trusted adult in school they can go to.",
        "Offer a calm, quiet space if the child needs time out.",
        "Check in with a general question like \u201chow are you doing today?\u201d, without mentioning the incident.",
        "Make reasonable allowances, for example for missing homework or being tired.",
        "Record what you notice and what you do, here and in your usual safeguarding records.",
    ),
)


def guidance_for(authority: LocalAuthority | None) -> Guidance:
    """The guidance panel for a notification owned by a setting in this LA. Missing contacts fall back to safe wording."""
    la_name = authority.name if authority else None
    council = f"{la_name} council" if la_name else "your local council"
    threshold_url = authority.threshold_document_url if authority else None
    threshold = LocalContact(
        name=f"{la_name} threshold document" if la_name else "Local threshold document",
        url=threshold_url,
        configured=bool(threshold_url),
    )
    if authority is not None and (authority.social_care_front_door_name or authority.social_care_front_door_phone
                                  or authority.social_care_front_door_url):
        front_door = LocalContact(
            name=authority.social_care_front_door_name or f"{council.capitalize()} children's social care",
            phone=authority.social_care_front_door_phone,
            url=authority.social_care_front_door_url,
        )
    else:
        front_door = LocalContact(name=f"Children's social care at {council}", configured=False)
    return Guidance(
        do_not_ask=DO_NOT_ASK,
        watch_for=WATCH_FOR,
        support=SUPPORT,
        local_authority_name=la_name,
        threshold_document=threshold,
        front_door=front_door,
        out_of_hours_phone=authority.social_care_out_of_hours_phone if authority else None,
        local_advice=tuple(authority.local_guidance or ()) if authority else (),
        local_services=local_services(authority.local_services or ()) if authority else (),
    )
