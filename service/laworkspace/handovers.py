"""Why an item is with the LA now: its latest hand-over (who sent it back or re-routed it, when and why) as an officer sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from service.accounts.models import User
from service.localauthorities.models import LocalAuthority
from service.notifications import lifecycle
from service.notifications.models import NotificationAction, NotificationEvent, NotificationOwnerPeriod
from service.notifications.scope import Scope, action_visible
from service.register.models import Setting

HAND_OVER_EVENTS = frozenset(h.value for h in lifecycle.HandOver)

HAND_OVER_WORDS = {
    lifecycle.HandOver.SENT_BACK.value: "Sent back by",
    lifecycle.HandOver.REROUTED.value: "Re-routed from",
    lifecycle.HandOver.ONBOARDED.value: "Handed to the setting's new Key Adult from",
}


@dataclass(frozen=True)
class LatestHandOver:
    """The hand-over that gave the notification to its present owner."""

    kind: str  # sent_back, rerouted or onboarded (lifecycle.HandOver)
    at: datetime
    from_label: str  # the setting's or LA's name
    reason: str | None  # the setting's note or the officer's reason, when the officer may read it
    by: str | None  # who recorded the reason

    @property
    def summary(self) -> str:
        return f"{HAND_OVER_WORDS.get(self.kind, 'Handed over from')} {self.from_label}"


def latest_hand_overs(session: Session, scope: Scope, notification_ids: Iterable[str]) -> dict[str, LatestHandOver]:
    """For each notification that changed owner at least once, its latest hand-over: three queries for a page.

    The owner period says who held it before and when that ended; the hand-over event written with it names the
    action row carrying the reason, which is shown only under the same rule as every other note (visible_actions).
    """
    ids = sorted(set(notification_ids))
    if not ids:
        return {}
    latest: dict[str, NotificationOwnerPeriod] = {}
    for period in session.exec(
        select(NotificationOwnerPeriod).where(NotificationOwnerPeriod.notification_id.in_(ids))
        .order_by(NotificationOwnerPeriod.ended_at, NotificationOwnerPeriod.id)
    ):
        latest[period.notification_id] = period
    if not latest:
        return {}
    reason_ids: dict[str, int] = {}
    for event in session.exec(
        select(NotificationEvent).where(NotificationEvent.notification_id.in_(sorted(latest)),
                                        NotificationEvent.status == lifecycle.S.REROUTED.value)
        .order_by(NotificationEvent.at, NotificationEvent.id)
    ):
        if (event.detail or {}).get("event") not in HAND_OVER_EVENTS:
            continue  # at a moment it was "rerouted" but not a hand-over: deputies alerted, a bounce
        action_id = (event.detail or {}).get("reason_action_id")
        if action_id is None:
            reason_ids.pop(event.notification_id, None)  # a later hand-over without a reason (onboarding)
        else:
            reason_ids[event.notification_id] = int(action_id)
    reasons: dict[int, tuple[NotificationAction, str | None]] = {}
    if reason_ids:
        for action, name in session.exec(
            select(NotificationAction, User.display_name).outerjoin(User, User.id == NotificationAction.recorded_by)
            .where(NotificationAction.id.in_(sorted(set(reason_ids.values()))))
        ):
            if action_visible(scope, action):
                reasons[action.id] = (action, name)
    labels = _owner_labels(session, latest.values())
    result = {}
    for notification_id, period in latest.items():
        action, name = reasons.get(reason_ids.get(notification_id, -1), (None, None))
        result[notification_id] = LatestHandOver(
            kind=period.ended_by, at=period.ended_at,
            from_label=labels.get((period.recipient_urn, period.recipient_la_code), "an earlier owner"),
            reason=(action.note or None) if action else None, by=name if action else None,
        )
    return result


def _owner_labels(session: Session, periods: Iterable[NotificationOwnerPeriod]) -> dict[tuple, str]:
    periods = list(periods)
    urns = sorted({p.recipient_urn for p in periods if p.recipient_urn})
    codes = sorted({p.recipient_la_code for p in periods if p.recipient_la_code})
    settings = {s.urn: s.name for s in session.exec(select(Setting).where(Setting.urn.in_(urns)))} if urns else {}
    authorities = ({a.code: a.name for a in session.exec(select(LocalAuthority).where(LocalAuthority.code.in_(codes)))}
                   if codes else {})
    labels = {}
    for p in periods:
        if p.recipient_urn:
            labels[(p.recipient_urn, p.recipient_la_code)] = settings.get(p.recipient_urn) or f"the setting with URN {p.recipient_urn}"
        elif p.recipient_la_code:
            labels[(p.recipient_urn, p.recipient_la_code)] = authorities.get(p.recipient_la_code) or f"local authority {p.recipient_la_code}"
    return labels
