"""Re-routing a notification to a setting from the register or to another LA, with the register search for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from service.accounts.onboarded import active_key_adult_urns
from service.audit import service as audit_service
from service.db import utcnow
from service.laworkspace.item import la_label, locked, require_open, setting_label
from service.laworkspace.officer import Officer
from service.laworkspace.queues import NOT_IN_SCHOOL_STATUSES
from service.localauthorities import service as la_service
from service.localauthorities.models import LocalAuthority
from service.notifications import lifecycle, onboarding
from service.notifications.models import (
    Notification,
)
from service.notifications.scope import get_notification
from service.police.models import PoliceForce
from service.problems import FormInvalid, NotFound
from service.register.models import Setting
from service.register.service import index_cache
from service.routing.search import search_register

REROUTE_ACTION = lifecycle.HAND_OVER_REASON
AGE_OVERRIDE_FIELD = "reroute-age-override"
REASON_MAX = 1000


@dataclass(frozen=True)
class SettingChoice:
    urn: str
    name: str
    la_code: str
    la_name: str
    type_name: str
    status: str
    phase: str
    town: str
    postcode_district: str
    age_range: str
    is_open: bool
    onboarded: bool
    takes_child: bool  # the statutory age range includes the child's age at the incident
    score: float | None = None
    where: str = ""

    @property
    def can_take_it(self) -> bool:
        """Open, with a Key Adult who can sign in: the re-route's own checks (reroute) refuse anything else."""
        return self.is_open and self.onboarded


def _choice(setting, *, onboarded: set[str], child_age: int | None, score: float | None = None,
            where: str = "") -> SettingChoice:
    low, high = setting.low_age, setting.high_age
    return SettingChoice(
        urn=setting.urn, name=setting.name, la_code=setting.la_code, la_name=setting.la_name,
        type_name=setting.type_name, status=setting.status, phase=setting.phase or "", town=setting.town or "",
        postcode_district=(setting.postcode or "").split(" ")[0],
        age_range=f"{low} to {high}" if low is not None and high is not None else "Not recorded",
        is_open=setting.is_open, onboarded=setting.urn in onboarded, takes_child=_takes_age(setting, child_age),
        score=score, where=where,
    )


def _takes_age(setting, age: int | None) -> bool:
    if age is None:
        return True
    return not ((setting.low_age is not None and age < setting.low_age)
                or (setting.high_age is not None and age > setting.high_age))


def _force_la_codes(session: Session, notification: Notification) -> tuple[str, ...]:
    force = session.get(PoliceForce, notification.force_id)
    return tuple(force.la_codes) if force is not None else ()


def setting_choices(session: Session, officer: Officer, notification_id: str, text: str) -> list[SettingChoice]:
    """The register searched as routing reads names: for this child's age, home LA first, then the force's, then England."""
    notification = get_notification(session, officer.scope, notification_id)
    hits = search_register(index_cache.get(session), text, child_age=notification.age_at_incident,
                           home_la=notification.home_la_code or notification.recipient_la_code,
                           force_la_codes=_force_la_codes(session, notification))
    onboarded = active_key_adult_urns(session, [hit.setting.urn for hit in hits])
    return [_choice(hit.setting, onboarded=onboarded, child_age=notification.age_at_incident, score=hit.score,
                    where=hit.where_text) for hit in hits]


@dataclass(frozen=True)
class ReroutePreview:
    notification: Notification
    setting: SettingChoice
    child_age: int | None
    goes_when_onboarded: bool  # held for this setting only until it has a Key Adult: it then goes there by itself


def reroute_preview(session: Session, officer: Officer, notification_id: str, urn: str) -> ReroutePreview:
    """What the confirmation page shows before a re-route to a setting: the setting, and whether it takes the child."""
    notification = get_notification(session, officer.scope, notification_id)
    setting = session.get(Setting, (urn or "").strip())
    if setting is None:
        raise NotFound()
    onboarded = active_key_adult_urns(session, [setting.urn])
    return ReroutePreview(notification, _choice(setting, onboarded=onboarded, child_age=notification.age_at_incident),
                          notification.age_at_incident, onboarding.goes_when_onboarded(session, notification, setting.urn))


@dataclass(frozen=True)
class RerouteResult:
    notification_id: str
    to_urn: str | None
    to_la_code: str
    owner_label: str
    from_queue: str | None
    still_visible: bool  # False when the new owner is outside the officer's LAs


def _queue_for_another_la(notification: Notification) -> str:
    return "not_in_school" if notification.education_status in NOT_IN_SCHOOL_STATUSES else "to_resolve"


def reroute(
    session: Session, officer: Officer, notification_id: str, *, target: str, urn: str | None = None,
    la_code: str | None = None, reason: str, age_override: bool = False, now: datetime | None = None,
) -> RerouteResult:
    """Gives the notification a new owner: a setting from the register, or another LA's education service.

    The original routing decision is left as made. The new owner gets a fresh deadline from their own calendar and
    an alert in this same transaction; the reason is kept as a note, and the audit trail records who and when.
    """
    now = now or utcnow()
    prefix = "reroute-setting" if target == "setting" else "reroute-la"
    notification = locked(session, officer, notification_id)
    require_open(notification, f"{prefix}-reason")
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    setting: Setting | None = None
    authority: LocalAuthority | None = None
    if target == "setting":
        setting = session.get(Setting, (urn or "").strip()) if urn else None
        if setting is None:
            errors["reroute-setting-urn"] = "Choose the setting to send this notification to"
        elif not setting.is_open:
            errors["reroute-setting-urn"] = "Choose an open setting: this one is closed"
        elif setting.urn == notification.recipient_urn:
            errors["reroute-setting-urn"] = "Choose a different setting: this notification is already with this one"
        elif not _takes_age(setting, notification.age_at_incident) and not age_override:
            errors[AGE_OVERRIDE_FIELD] = (
                f"This setting takes children aged {setting.low_age} to {setting.high_age}, and the child was "
                f"{notification.age_at_incident}. Choose another setting, or tick the box to send it anyway and say "
                "why in the reason")
        elif setting.urn not in active_key_adult_urns(session, [setting.urn]):
            errors["reroute-setting-urn"] = ("This setting has no active Key Adult, so nobody there could read it. "
                                             "Invite a Key Adult first, or keep the notification with the local authority")
    elif target == "la":
        authority = la_service.get_local_authority(session, la_code)
        if authority is None:
            errors["reroute-la-code"] = "Choose the local authority to send this notification to"
        elif notification.recipient_urn is None and authority.code == notification.recipient_la_code:
            errors["reroute-la-code"] = "Choose a different local authority: this notification is already with this one"
    else:
        raise FormInvalid({"reroute-setting-urn": "Choose where to send this notification"})
    if not reason:
        errors[f"{prefix}-reason"] = "Enter why you are re-routing this notification"
    elif len(reason) > REASON_MAX:
        errors[f"{prefix}-reason"] = f"The reason must be {REASON_MAX} characters or fewer"
    if errors:
        raise FormInvalid(errors)

    if setting is not None:
        new_owner = lifecycle.NewOwner(urn=setting.urn, la_code=setting.la_code)
    else:
        # Another LA must still see it in a queue, or the child would be waiting on nobody.
        new_owner = lifecycle.NewOwner(urn=None, la_code=authority.code, la_queue=_queue_for_another_la(notification))
    from_queue = notification.la_queue
    reason_row = lifecycle.record_action(session, notification, action=REROUTE_ACTION, note=reason, recorded_by=officer.id,
                                         now=now, by_setting=False, for_owner=new_owner)
    if setting is not None and not _takes_age(setting, notification.age_at_incident):
        # Sending a child outside a setting's statutory ages is allowed only knowingly: who and when is audited, and
        # why is the reason's action row, which retention blanks with the rest (the audit trail is never purged).
        audit_service.record(session, officer.actor, "notification.reroute_age_override", "notification",
                             notification.id, urn=setting.urn, low_age=setting.low_age, high_age=setting.high_age,
                             child_age=notification.age_at_incident, reason_action_id=reason_row.id)
    lifecycle.hand_over(session, notification, to=new_owner, because=lifecycle.HandOver.REROUTED, actor=officer.actor,
                        now=now, reason_action_id=reason_row.id)
    return RerouteResult(
        notification_id=notification.id, to_urn=notification.recipient_urn, to_la_code=notification.recipient_la_code,
        owner_label=setting_label(session, notification.recipient_urn) or la_label(session, notification.recipient_la_code),
        from_queue=from_queue, still_visible=notification.recipient_la_code in officer.la_codes,
    )
