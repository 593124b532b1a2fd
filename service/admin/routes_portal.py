"""The admin's pages under /admin: failed alerts to send again, and the audit trail as a CSV download."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from service.accounts import administration
from service.accounts import service as accounts_service
from service.accounts.deps import Admin, CsrfChecked
from service.admin import service as admin_service
from service.dates import london_date
from service.db import SessionDep, utcnow
from service.web.flash import flash
from service.web.params import RowId
from service.web.templates import render

# Authenticated by each route's Admin dependency (anyone else gets 404); CSRF checked on every POST.
router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[CsrfChecked])


def _back_to_outbox() -> RedirectResponse:
    return RedirectResponse("/admin/outbox", status_code=303)


@router.get("/outbox")
def outbox(request: Request, session: SessionDep, user: Admin) -> Response:
    overview = admin_service.outbox_overview(session)
    return render(request, "admin/outbox.html", {"overview": overview})


@router.post("/outbox/send-all-again")
def send_all_again(request: Request, session: SessionDep, user: Admin) -> Response:
    count = admin_service.send_all_again(session, accounts_service.portal_actor(user.id))
    if count:
        flash(request, f"{count} failed alert{'s' if count != 1 else ''} will be sent again.")
    else:
        flash(request, "There were no failed alerts to send again.", kind="information")
    return _back_to_outbox()


@router.post("/outbox/{message_id}/send-again")
def send_again(request: Request, session: SessionDep, user: Admin, message_id: RowId) -> Response:
    problem = admin_service.send_again(session, message_id, accounts_service.portal_actor(user.id))
    if problem is None:
        flash(request, f"Alert {message_id} will be sent again.")
    else:
        flash(request, problem, kind="information")
    return _back_to_outbox()


@router.get("/audit")
def audit_page(request: Request, user: Admin) -> Response:
    form = admin_service.default_export_form(london_date(utcnow()))
    return render(request, "admin/audit.html", {"form": form, "longest_days": admin_service.LONGEST_EXPORT_DAYS})


@router.post("/audit")
async def audit_download(request: Request, session: SessionDep, user: Admin) -> Response:
    posted = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    form = admin_service.read_export_form(posted, today=london_date(utcnow()))
    if form.export_range is None:
        return render(request, "admin/audit.html", {"form": form, "errors": form.errors, "longest_days": admin_service.LONGEST_EXPORT_DAYS}, status_code=400)
    csv_text = admin_service.export_audit(session, form.export_range, accounts_service.portal_actor(user.id))
    return Response(csv_text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{form.export_range.filename}"',
        "Cache-Control": "no-store",
    })


# ---------------------------------------------------------------- inviting police staff


def _invite_page(request: Request, session, posted: dict[str, str], errors: dict[str, str], status_code: int = 200) -> Response:
    return render(request, "admin/invite_police_staff.html", {
        "form": posted, "errors": errors, "forces": admin_service.police_forces(session)}, status_code=status_code)


@router.get("/police-staff/invite")
def invite_police_staff_page(request: Request, session: SessionDep, user: Admin) -> Response:
    return _invite_page(request, session, {}, {})


@router.post("/police-staff/invite")
async def invite_police_staff(request: Request, session: SessionDep, user: Admin) -> Response:
    posted = {key: value for key, value in (await request.form()).items() if isinstance(value, str) and key != "csrf_token"}
    errors = admin_service.police_staff_invite_problems(posted, {force_id for force_id, _ in admin_service.police_forces(session)})
    if errors:
        return _invite_page(request, session, posted, errors, status_code=400)
    try:
        invitation = administration.invite_user(
            session, email=posted["email"], display_name=posted["name"], kind="police_staff", force_id=posted["force"],
            now=utcnow(), by=accounts_service.portal_actor(user.id))
    except ValueError as problem:
        return _invite_page(request, session, posted, {"email": str(problem).rstrip(".")}, status_code=400)
    if invitation.link is None:
        flash(request, f"{posted['email'].strip()} already had an account: they now see {posted['force']}'s notifications.")
    else:
        flash(request, f"Invitation emailed to {posted['email'].strip()}. The link works once, for 7 days.")
    return RedirectResponse("/admin", status_code=303)
