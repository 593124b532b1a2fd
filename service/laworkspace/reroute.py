"""Re-routing a notification to a setting from the register or to another LA, with the register search for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from service.accounts.onboarded import active_key_adult_urns
from service.db import utcnow
from service.laworkspace.item import la_label, locked, require_open, setting_label
from service.laworkspace.officer import Officer
from service.laworkspace.queues import NOT_IN_SCHOOL_STATUSES
from service.localauthorities import service as la_service
from service.localauthorities.models import LocalAuthority
from service.notifications import lifecycle
from service.notifications.models import (
    Notification,
)
from service.problems import FormInvalid
from service.register.models import Setting
from service.register.service import search_settings

REROUTE_ACTION = lifecycle.HAND_OVER_REASON
REASON_MAX = 1000


@dataclass(frozen=True)
class SettingChoice:
    urn: str
    name: str
    la_code: str
    la_name: str
    type_name: str
    status: str
    age_range: str
    is_open: bool
    onboarded: bool


def setting_choices(session: Session, text: str, *, limit: int = 20) -> list[SettingChoice]:
    """Settings matching a name or URN typed by the officer, saying which can receive a notification now."""
    text = (text or "").strip()[:100]
    if len(text) < 2:
        return []
    settings = search_settings(session, text, limit=limit)
    onboarded = active_key_adult_urns(session, [s.urn for s in settings])
    return [
        SettingChoice(
            urn=s.urn, name=s.name, la_code=s.la_code, la_name=s.la_name, type_name=s.type_name, status=s.status,
            age_range=f"{s.low_age} to {s.high_age}" if s.low_age is not None and s.high_age is not None else "",
            is_open=s.is_open, onboarded=s.urn in onboarded,
        )
        for s in settings
    ]


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
    la_code: str | None = None, reason: str, now: datetime | None = None,
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
    lifecycle.hand_over(session, notification, to=new_owner, because=lifecycle.HandOver.REROUTED, actor=officer.actor,
                        now=now, reason_action_id=reason_row.id)
    return RerouteResult(
        notification_id=notification.id, to_urn=notification.recipient_urn, to_la_code=notification.recipient_la_code,
        owner_label=setting_label(session, notification.recipient_urn) or la_label(session, notification.recipient_la_code),
        from_queue=from_queue, still_visible=notification.recipient_la_code in officer.la_codes,
    )
