"""Police staff's pages under /police: the read-back dashboard and its CSV, the notification form and the upload."""

from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from service.accounts.deps import CsrfChecked, PoliceStaff, PortalUser
from service.dates import london_date
from service.db import SessionDep, utcnow
from service.keyadult.routes_portal import pagination_items
from service.laworkspace.dashboard import parse_period, period_values
from service.policeportal import extract, incident_form, readback, uploads
from service.policeportal import service as police_service
from service.policeportal.service import PoliceStaffMember
from service.routing import EDUCATION_STATUSES
from service.web.flash import flash
from service.web.templates import render

# Authenticated by each route's PoliceStaff dependency (anyone else gets 404); CSRF checked on every POST.
router = APIRouter(prefix="/police", include_in_schema=False, dependencies=[CsrfChecked])

EDUCATION_LABELS = {
    "attends_setting": "Attends a school, college or nursery", "elective_home_education": "Educated at home by parents",
    "missing_education": "Missing education", "no_school_place": "No school place",
    "not_in_education_employment_training": "16 or 17 and not in education, employment or training",
    "below_school_age": "Below school age", "unknown": "Not known",
}
# Bodies above this are refused unread (413); between the extract's own limit and this, the page explains.
UPLOAD_BODY_LIMIT = 10 * 1024 * 1024
RISK_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High", "not_assessed": "Not assessed"}


def _staff(user: PortalUser) -> PoliceStaffMember:
    return PoliceStaffMember(user_id=user.id, force_id=user.force_id)


def _common(session, user: PortalUser, **context) -> dict:
    force = police_service.force_of(session, _staff(user))
    return {"force": force, **context}


# ---------------------------------------------------------------- the read-back dashboard


def _dashboard_choice(request: Request, session, user: PortalUser):
    today = london_date(utcnow())
    period, period_form = parse_period(request.query_params, today)
    force = police_service.force_of(session, _staff(user))
    choice = readback.parse_filter(request.query_params.getlist("show"), request.query_params.get("la"), force.la_codes)
    return force, period, period_form, choice


def _dashboard_query(period, choice, page: int | None = None) -> str:
    query = list(period_values(period).items())
    query += [("show", name) for name in readback.FILTERS if name in choice.shown]
    if choice.la_code:
        query.append(("la", choice.la_code))
    if page and page > 1:
        query.append(("page", str(page)))
    return urlencode(query)


@router.get("")
def dashboard(request: Request, session: SessionDep, user: PoliceStaff) -> Response:
    force, period, period_form, choice = _dashboard_choice(request, session, user)
    errors = period_form.errors
    try:
        page_number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_number = 1
    now = utcnow()
    page = police_service.dashboard_page(session, _staff(user), period, choice, page=page_number, now=now)
    police_service.record_dashboard(session, _staff(user), period, choice, export=False, rows=len(page.rows))
    pagination = None
    if page.page_count > 1:
        pagination = {"landmarkLabel": "Pages of notifications", "items": [
            {"ellipsis": True} if number is None else
            {"number": number, "href": "/police?" + _dashboard_query(period, choice, number), "current": number == page.page}
            for number in pagination_items(page.page, page.page_count)]}
        if page.page > 1:
            pagination["previous"] = {"href": "/police?" + _dashboard_query(period, choice, page.page - 1)}
        if page.page < page.page_count:
            pagination["next"] = {"href": "/police?" + _dashboard_query(period, choice, page.page + 1)}
    return render(request, "police/dashboard.html", {
        "force": force, "period": period, "errors": errors, "choice": choice, "page": page, "period_form": period_form,
        "filters": readback.FILTERS, "pagination": pagination, "csv_query": _dashboard_query(period, choice),
        "when": readback.when, "past_deadline_class": readback.STATUS_TAG_CLASSES["Past deadline"], "held_by_la_words": readback.HELD_BY_LA,
    }, status_code=400 if errors else 200)


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, session: SessionDep, user: PoliceStaff) -> Response:
    force, period, period_form, choice = _dashboard_choice(request, session, user)
    if period_form.errors:
        return RedirectResponse("/police?" + str(request.query_params), status_code=303)
    made = police_service.dashboard_csv(session, _staff(user), period, choice, now=utcnow())
    if made is None:  # more than one download holds: the dashboard says so, and how to narrow it
        return RedirectResponse("/police?" + _dashboard_query(period, choice), status_code=303)
    text, rows = made
    police_service.record_dashboard(session, _staff(user), period, choice, export=True, rows=rows)
    filename = f"notifications-{force.id}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# ---------------------------------------------------------------- the notification form


def _form_page(request: Request, session, user: PortalUser, posted: dict[str, str], errors: dict[str, str],
               *, status_code: int = 200) -> Response:
    return render(request, "police/notify.html", _common(
        session, user, form=posted, errors=errors, child_count=incident_form.child_count(posted),
        max_children=incident_form.MAX_CHILDREN, child_id=incident_form.child_field_id,
        education_labels=EDUCATION_LABELS, education_statuses=EDUCATION_STATUSES, risk_labels=RISK_LABELS,
    ), status_code=status_code)


@router.get("/incidents/new")
def new_incident(request: Request, session: SessionDep, user: PoliceStaff) -> Response:
    return _form_page(request, session, user, {"child_count": "1"}, {})


@router.post("/incidents/new")
async def send_incident(request: Request, session: SessionDep, user: PoliceStaff) -> Response:
    posted = {key: value for key, value in (await request.form()).multi_items() if isinstance(value, str)}
    if posted.get("action") == "add-child":
        count = incident_form.child_count(posted)
        if count < incident_form.MAX_CHILDREN:
            posted["child_count"] = str(count + 1)
            return _form_page(request, session, user, posted, {})
        return _form_page(request, session, user, posted, {
            incident_form.child_field_id(count - 1, "child_reference"): "You can add up to 20 children to one incident"},
            status_code=400)
    check = incident_form.check_form(posted)
    if check.submission is None:
        return _form_page(request, session, user, posted, check.errors, status_code=400)
    sent = police_service.send_incident(session, _staff(user), check.submission, via="form")
    if sent.outcome == "unchanged":
        flash(request, "This incident was already sent exactly as it is, so nothing new was sent.", kind="information")
    return RedirectResponse(f"/police/incidents/{sent.incident_id}", status_code=303)


@router.get("/incidents/{incident_id}")
def incident_confirmation(request: Request, session: SessionDep, user: PoliceStaff, incident_id: str) -> Response:
    confirmation = police_service.confirmation(session, _staff(user), incident_id)
    return render(request, "police/confirmation.html", _common(session, user, confirmation=confirmation, when=readback.when))


# ---------------------------------------------------------------- uploading an extract


def _upload_page(request: Request, session, user: PortalUser, problems=None, *, status_code: int = 200) -> Response:
    problems = problems or []
    shown = problems[:extract.MAX_PROBLEMS_SHOWN]
    # The error summary lists every problem by row and column; each links to its line below the file input.
    errors = {"file" if problem.row == 0 else f"problem-{number}": problem.text for number, problem in enumerate(shown, start=1)}
    return render(request, "police/upload.html", _common(
        session, user, problems=shown, more_problems=max(0, len(problems) - extract.MAX_PROBLEMS_SHOWN),
        errors=errors, columns=extract.COLUMNS, required=extract.REQUIRED_COLUMNS, max_rows=extract.MAX_ROWS,
        max_megabytes=extract.MAX_BYTES // (1024 * 1024), education_statuses=EDUCATION_STATUSES,
    ), status_code=status_code)


@router.get("/upload")
def upload_page(request: Request, session: SessionDep, user: PoliceStaff) -> Response:
    return _upload_page(request, session, user)


@router.get("/upload/template.csv")
def upload_template(user: PoliceStaff) -> Response:
    return Response(extract.template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="encompass-extract-template.csv"'})


@router.post("/upload")
async def upload_file(request: Request, session: SessionDep, user: PoliceStaff) -> Response:
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_page(request, session, user, [extract.RowProblem(0, None, "Choose a CSV file to upload")], status_code=400)
    raw = await file.read(extract.MAX_BYTES + 1)
    await file.close()
    checked = uploads.check_upload(session, _staff(user), raw, now=utcnow())
    del raw
    if checked.upload_id is None:
        return _upload_page(request, session, user, checked.extract.problems, status_code=400)
    return RedirectResponse(f"/police/upload/{checked.upload_id}", status_code=303)


@router.get("/upload/{upload_id}")
def upload_status(request: Request, session: SessionDep, user: PoliceStaff, upload_id: str) -> Response:
    upload = uploads.own_upload(session, _staff(user), upload_id)
    now = utcnow()
    if upload.state == "previewed":
        return render(request, "police/preview.html", _common(
            session, user, preview=uploads.preview(session, _staff(user), upload)))
    response = render(request, "police/progress.html", _common(
        session, user, upload=upload, stalled=uploads.stalled(upload, now)))
    if upload.state == "processing":
        response.headers["Refresh"] = "5"
    return response


@router.post("/upload/{upload_id}/confirm")
def confirm_upload(request: Request, session: SessionDep, user: PoliceStaff, upload_id: str,
                   background: BackgroundTasks) -> Response:
    if uploads.confirm(session, _staff(user), upload_id, now=utcnow()):
        background.add_task(uploads.process_upload, upload_id, _staff(user))
    return RedirectResponse(f"/police/upload/{upload_id}", status_code=303)


@router.post("/upload/{upload_id}/continue")
def continue_upload(request: Request, session: SessionDep, user: PoliceStaff, upload_id: str,
                    background: BackgroundTasks) -> Response:
    if uploads.resume(session, _staff(user), upload_id, now=utcnow()):
        background.add_task(uploads.process_upload, upload_id, _staff(user))
    return RedirectResponse(f"/police/upload/{upload_id}", status_code=303)
