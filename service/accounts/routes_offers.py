"""The page where someone with an account accepts a role at a setting an LA offered them (/membership/{token})."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from service.accounts import offers
from service.accounts.deps import CsrfChecked, CurrentUser
from service.db import SessionDep, utcnow
from service.laworkspace.keyadults import ROLE_LABELS
from service.problems import NotFound
from service.web.flash import flash
from service.web.templates import render

# CurrentUser sends anyone not signed in to sign in first, and back here after; CSRF checked on the POST.
router = APIRouter(include_in_schema=False, dependencies=[CsrfChecked])


def _offer_or_not_found(session, token: str, user) -> offers.OpenOffer:
    found = offers.open_offer(session, token=token, user_id=user.id, now=utcnow())
    if found is None:  # unknown, used, expired, or someone else's: the same answer
        raise NotFound("No such offer.")
    return found


@router.get(offers.OFFER_PATH + "{token}")
def offer_page(request: Request, session: SessionDep, user: CurrentUser, token: str) -> Response:
    found = _offer_or_not_found(session, token, user)
    return render(request, "membership/offer.html", {
        "found": found, "role_label": ROLE_LABELS.get(found.offer.role, found.offer.role), "token": token})


@router.post(offers.OFFER_PATH + "{token}")
def accept(request: Request, session: SessionDep, user: CurrentUser, token: str) -> Response:
    found = _offer_or_not_found(session, token, user)
    if not offers.accept_offer(session, found, now=utcnow()):
        raise NotFound("No such offer.")  # withdrawn by the LA while this request was on its way
    flash(request, f"You are now {ROLE_LABELS.get(found.offer.role, found.offer.role)} at {found.setting_name}.")
    return RedirectResponse("/notifications", status_code=303)
