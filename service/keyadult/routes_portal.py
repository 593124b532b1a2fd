"""The Key Adult's portal pages: inbox, notification with guidance, acknowledge, record actions, close, print."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from service.accounts.deps import CsrfChecked, PortalUser, SettingStaff
from service.dates import london_date
from service.wording import child_name
from service.db import SessionDep, utcnow
from service.keyadult import inbox as keyadult_inbox
from service.keyadult import service as keyadult_service
from service.keyadult import wording
from service.keyadult.inbox import STATUS_FILTERS, InboxCriteria
from service.keyadult.service import OFFERED_ACTIONS, StaffMember
from service.web.flash import flash
from service.web.forms import on_invalid
from service.web.templates import render

router = APIRouter(include_in_schema=False)


def staff_member(user: PortalUser) -> StaffMember:
    return StaffMember(user_id=user.id, urns=user.urns)


def pagination_items(current: int, page_count: int) -> list[int | None]:
    """Page numbers to link, with None where the GOV.UK pattern shows an ellipsis: first, last and current ±1."""
    wanted = {1, page_count, current - 1, current, current + 1}
    pages = sorted(p for p in wanted if 1 <= p <= page_count)
    items: list[int | None] = []
    for page in pages:
        if items and page - items[-1] > 1:
            items.append(None)
        items.append(page)
    return items


def _inbox_href(criteria: InboxCriteria, page: int) -> str:
    query = {"status": criteria.status} if criteria.status != "all" else {}
    if criteria.urn:
        query["setting"] = criteria.urn
    if page > 1:
        query["page"] = str(page)
    return "/notifications" + (f"?{urlencode(query)}" if query else "")


def _pagination(criteria: InboxCriteria, page_count: int) -> dict | None:
    if page_count <= 1:
        return None
    current = min(criteria.page, page_count)
    items = [
        {"ellipsis": True} if page is None else
        {"number": page, "href": _inbox_href(criteria, page), "current": page == current}
        for page in pagination_items(current, page_count)
    ]
    pagination: dict = {"items": items, "landmarkLabel": "Pages of notifications"}
    if current > 1:
        pagination["previous"] = {"href": _inbox_href(criteria, current - 1)}
    if current < page_count:
        pagination["next"] = {"href": _inbox_href(criteria, current + 1)}
    return pagination


@router.get("/notifications")
def inbox_page(request: Request, session: SessionDep, user: SettingStaff,
               status: str | None = None, setting: str | None = None, page: str | None = None) -> Response:
    criteria = InboxCriteria.from_query(status=status, urn=setting, page=page, urns=user.urns)
    inbox = keyadult_inbox.inbox(session, staff=staff_member(user), criteria=criteria, now=utcnow())
    return render(request, "keyadult/inbox.html", {
        "inbox": inbox, "status_filters": STATUS_FILTERS, "pagination": _pagination(criteria, inbox.page_count),
        "wording": wording, "several_settings": len(user.urns) > 1,
    })


def _notification_response(request: Request, session, user: PortalUser, notification_id: str, *,
                           errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Response:
    now = utcnow()
    staff = staff_member(user)
    if errors:
        page = keyadult_service.form_page(session, staff=staff, notification_id=notification_id, now=now)
    else:
        page = keyadult_service.open_notification(session, staff=staff, notification_id=notification_id, now=now)
    return render(request, "keyadult/notification.html", {
        "page": page, "wording": wording, "actions": OFFERED_ACTIONS, "errors": errors or {},
        "form": form or {}, "today": london_date(now), "several_settings": len(user.urns) > 1,
    }, status_code=400 if errors else 200)


def _on_invalid(request: Request, user: PortalUser, notification_id: str, form: dict[str, str] | None = None) -> None:
    on_invalid(request, lambda session, errors: _notification_response(request, session, user, notification_id,
                                                                       errors=errors, form=form))


@router.get("/notifications/{notification_id}")
def notification_page(request: Request, notification_id: str, session: SessionDep, user: SettingStaff) -> Response:
    return _notification_response(request, session, user, notification_id)


@router.get("/notifications/{notification_id}/print")
def print_page(request: Request, notification_id: str, session: SessionDep, user: SettingStaff) -> Response:
    now = utcnow()
    page = keyadult_service.print_notification(session, staff=staff_member(user), notification_id=notification_id, now=now)
    return render(request, "keyadult/print.html", {
        "page": page, "wording": wording, "today": london_date(now), "printed_at": now,
        "printed_by": user.display_name, "several_settings": len(user.urns) > 1,
    })


def _back_to(notification_id: str) -> RedirectResponse:
    return RedirectResponse(f"/notifications/{notification_id}", status_code=303)


@router.post("/notifications/{notification_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge(request: Request, notification_id: str, session: SessionDep, user: SettingStaff) -> Response:
    _on_invalid(request, user, notification_id)
    newly = keyadult_service.acknowledge(session, staff=staff_member(user), notification_id=notification_id, now=utcnow())
    if newly:
        flash(request, "Notification acknowledged.", link=("#action-form", "Now record what you do"))
    else:
        flash(request, "This notification was already acknowledged.")
    return _back_to(notification_id)


@router.post("/notifications/{notification_id}/actions", dependencies=[CsrfChecked])
def record_action(request: Request, notification_id: str, session: SessionDep, user: SettingStaff,
                  action: Annotated[str | None, Form()] = None, note: Annotated[str, Form()] = "") -> Response:
    _on_invalid(request, user, notification_id, form={"action": action or "", "note": note})
    keyadult_service.record_action(session, staff=staff_member(user), notification_id=notification_id,
                                   action=action if action in OFFERED_ACTIONS else None, note=note, now=utcnow())
    flash(request, f"Action recorded: {OFFERED_ACTIONS[action]}.")
    return _back_to(notification_id)


def _not_on_roll_response(request: Request, session, user: PortalUser, notification_id: str, *,
                          errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Response:
    page = keyadult_service.confirm_send_back(session, staff=staff_member(user), notification_id=notification_id,
                                              now=utcnow(), record_as_view=not errors)
    return render(request, "keyadult/not_on_roll.html", {"page": page, "errors": errors or {}, "form": form or {}},
                  status_code=400 if errors else 200)


@router.get("/notifications/{notification_id}/not-on-roll")
def not_on_roll_page(request: Request, notification_id: str, session: SessionDep, user: SettingStaff) -> Response:
    return _not_on_roll_response(request, session, user, notification_id)


@router.post("/notifications/{notification_id}/not-on-roll", dependencies=[CsrfChecked])
def send_back(request: Request, notification_id: str, session: SessionDep, user: SettingStaff,
              reason: Annotated[str, Form()] = "") -> Response:
    on_invalid(request, lambda session, errors: _not_on_roll_response(request, session, user, notification_id,
                                                                       errors=errors, form={"reason": reason}))
    sent = keyadult_service.send_back(session, staff=staff_member(user), notification_id=notification_id, reason=reason,
                                      now=utcnow())
    flash(request, f"{child_name(sent.given_name, sent.family_name)} has been sent back to the local authority. "
                   "You can no longer see this notification.")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/close", dependencies=[CsrfChecked])
def close(request: Request, notification_id: str, session: SessionDep, user: SettingStaff) -> Response:
    _on_invalid(request, user, notification_id)
    newly = keyadult_service.close(session, staff=staff_member(user), notification_id=notification_id, now=utcnow())
    flash(request, "Notification closed." if newly else "This notification was already closed.")
    return _back_to(notification_id)
