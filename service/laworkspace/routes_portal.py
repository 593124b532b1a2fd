"""The LA officer's pages under /la: landing page, queues, working an item, oversight, configuration and Key Adults."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from service import wording
from service.accounts.deps import CsrfChecked, LaOfficer, PortalUser
from service.dates import london_date
from service.db import SessionDep, utcnow
from service.laworkspace import dashboard, keyadults
from service.laworkspace import item as la_item
from service.laworkspace import officer as la_officer
from service.laworkspace import oversight as la_oversight
from service.laworkspace import queues as la_queues
from service.laworkspace import reroute as la_reroute
from service.localauthorities import configuration as la_configuration
from service.localauthorities import local_guidance
from service.localauthorities import service as la_service
from service.web.flash import flash
from service.web.forms import on_invalid
from service.web.params import RowId
from service.web.templates import render

# Authenticated by each route's LaOfficer dependency (anyone else gets 404); CSRF checked on every POST.
router = APIRouter(prefix="/la", include_in_schema=False, dependencies=[CsrfChecked])


def _officer(user: PortalUser) -> la_officer.Officer:
    return la_officer.Officer(id=user.id, la_codes=user.la_codes)


def _common(user: PortalUser, **context) -> dict:
    return {
        "queue_titles": la_queues.QUEUE_TITLES, "status_labels": la_queues.STATUS_LABELS,
        "education_status_labels": la_queues.EDUCATION_STATUS_LABELS, "method_labels": la_queues.ROUTING_METHOD_LABELS,
        "la_codes": sorted(user.la_codes), "why_headline": la_queues.why_headline,
        "status_tag_classes": wording.STATUS_TAG_CLASSES, **context,
    }


# ---------------------------------------------------------------- landing page and queues


@router.get("")
def home(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    counts = la_queues.queue_counts(session, _officer(user))
    return render(request, "la/home.html", _common(user, counts=counts, descriptions=la_queues.QUEUE_DESCRIPTIONS))


@router.get("/queues/{queue}")
def queue(request: Request, session: SessionDep, user: LaOfficer, queue: str) -> Response:
    officer = _officer(user)
    filters = la_queues.parse_queue_filters(request.query_params, officer)
    page = la_queues.queue_page(session, officer, queue, filters)
    return render(request, "la/queue.html", _common(
        user, page=page, title_text=la_queues.QUEUE_TITLES[queue], description=la_queues.QUEUE_DESCRIPTIONS[queue],
        assigned_filters=la_queues.ASSIGNED_FILTERS, la_names={la.code: la.name for la in la_item.la_choices(session)},
    ))


# ---------------------------------------------------------------- one item


def _item_page(request: Request, session, user: PortalUser, notification_id: str, *, errors: dict | None = None,
               form: dict | None = None, status_code: int = 200) -> Response:
    item = la_item.view_item(session, _officer(user), notification_id, record=not errors)
    search = (request.query_params.get("setting_search") or (form or {}).get("setting_search") or "").strip()
    choices = la_reroute.setting_choices(session, _officer(user), notification_id, search) if search else []
    return render(request, "la/item.html", _common(
        user, item=item, n=item.notification, setting_search=search, setting_choices=choices,
        errors=errors or {}, form=form or {},
    ), status_code=status_code)


@router.get("/notifications/{notification_id}")
def item(request: Request, session: SessionDep, user: LaOfficer, notification_id: str) -> Response:
    return _item_page(request, session, user, notification_id)


def _item_on_invalid(request: Request, user: PortalUser, notification_id: str, form: dict | None = None) -> None:
    on_invalid(request, lambda session, errors: _item_page(request, session, user, notification_id, errors=errors,
                                                           form=form, status_code=400))


def _back_to_item(notification_id: str) -> RedirectResponse:
    return RedirectResponse(f"/la/notifications/{notification_id}", status_code=303)


@router.post("/notifications/{notification_id}/assign")
def assign(request: Request, session: SessionDep, user: LaOfficer, notification_id: str,
           officer_id: str = Form("", alias="assigned-officer")) -> Response:
    _item_on_invalid(request, user, notification_id)
    la_item.assign(session, _officer(user), notification_id, officer_id or None)
    flash(request, "Assignment saved.")
    return _back_to_item(notification_id)


@router.post("/notifications/{notification_id}/reroute")
def reroute(request: Request, session: SessionDep, user: LaOfficer, notification_id: str,
            target: str = Form(""), urn: str = Form("", alias="reroute-setting-urn"), la_code: str = Form("", alias="reroute-la-code"),
            setting_reason: str = Form("", alias="reroute-setting-reason"), la_reason: str = Form("", alias="reroute-la-reason"),
            setting_search: str = Form("")) -> Response:
    reason = setting_reason if target == "setting" else la_reason
    _item_on_invalid(request, user, notification_id, form={
        "target": target, "reroute-setting-urn": urn, "reroute-la-code": la_code, "setting_search": setting_search,
        "reroute-setting-reason": setting_reason, "reroute-la-reason": la_reason})
    result = la_reroute.reroute(session, _officer(user), notification_id, target=target, urn=urn or None,
                               la_code=la_code or None, reason=reason)
    flash(request, f"Re-routed to {result.owner_label}. They have been alerted.")
    return RedirectResponse(f"/la/queues/{result.from_queue}" if result.from_queue else "/la", status_code=303)


@router.post("/notifications/{notification_id}/acknowledge")
def acknowledge(request: Request, session: SessionDep, user: LaOfficer, notification_id: str) -> Response:
    _item_on_invalid(request, user, notification_id)
    la_item.acknowledge(session, _officer(user), notification_id)
    flash(request, "Notification acknowledged.")
    return _back_to_item(notification_id)


@router.post("/notifications/{notification_id}/outcome")
def record_outcome(request: Request, session: SessionDep, user: LaOfficer, notification_id: str,
                   outcome: str = Form(""), note: str = Form("", alias="outcome-note"),
                   close: str = Form("", alias="outcome-close")) -> Response:
    form = la_item.OutcomeForm(outcome=outcome, note=note, close=close == "yes")
    _item_on_invalid(request, user, notification_id, form={"outcome": outcome, "outcome-note": note, "outcome-close": close})
    closed = la_item.record_outcome(session, _officer(user), notification_id, form)
    flash(request, "Outcome recorded. The notification has left the queue." if closed else "Outcome recorded.")
    return _back_to_item(notification_id)


# ---------------------------------------------------------------- oversight


def _figures(request: Request, session, user: PortalUser):
    officer = _officer(user)
    today = london_date(utcnow())
    period, period_form = dashboard.parse_period(request.query_params, today)
    rows = la_oversight.oversight_rows(session, officer, period, top_settings=dashboard.TOP_SETTINGS)
    figures = dashboard.oversight_figures(rows, period, outcome_label=la_item.action_label)
    return officer, period, period_form, figures


@router.get("/dashboard")
def oversight(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    officer, period, period_form, figures = _figures(request, session, user)
    la_oversight.record_dashboard_view(session, officer, period, export=False)
    charts = {
        "outcome": dashboard.bar_chart_svg("chart-outcome", "Notifications by latest recorded outcome", figures.by_outcome),
        "setting": dashboard.bar_chart_svg("chart-setting", "Who holds the notifications", figures.by_holder),
        "hand_overs": dashboard.bar_chart_svg("chart-hand-overs", "Hand-overs of notifications received in the period",
                                              figures.hand_overs, empty="No hand-overs in this period"),
        "police": dashboard.proportion_chart_svg(
            "chart-police", "Notifications police sent within 24 hours of the incident",
            dashboard.Bar("Within 24 hours", figures.police_within_24h),
            dashboard.Bar("Later than 24 hours", figures.police_count - figures.police_within_24h)),
        "deadline": dashboard.proportion_chart_svg(
            "chart-deadline", "Notifications acknowledged by the deadline",
            dashboard.Bar("By the deadline", figures.met), dashboard.Bar("Late or not yet", figures.due - figures.met)),
    }
    return render(request, "la/dashboard.html", _common(
        user, figures=figures, charts=charts, errors=period_form.errors, period_form=period_form,
        period_query=dashboard.period_query(period), top_settings=dashboard.TOP_SETTINGS,
        duration_text=dashboard.duration_text, percent_text=dashboard.percent_text,
    ), status_code=400 if period_form.errors else 200)


@router.get("/dashboard.csv")
def oversight_csv(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    officer, period, period_form, figures = _figures(request, session, user)
    if period_form.errors:
        return RedirectResponse("/la/dashboard?" + str(request.query_params), status_code=303)
    la_oversight.record_dashboard_view(session, officer, period, export=True)
    filename = f"oversight-{'-'.join(sorted(user.la_codes))}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return Response(dashboard.csv_text(figures, sorted(user.la_codes)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- the LA's configuration


@router.get("/authorities/{la_code}/configuration")
def configuration(request: Request, session: SessionDep, user: LaOfficer, la_code: str) -> Response:
    authority = la_configuration.editable_authority(session, _officer(user), la_code)
    return render(request, "la/configuration.html", _common(
        user, authority=authority, form=la_service.config_form_values(authority)))


async def posted_form(request: Request) -> dict[str, str]:
    """The posted form's text fields (already parsed by the CSRF check), for forms with many fields."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


@router.post("/authorities/{la_code}/configuration")
def save_configuration(request: Request, session: SessionDep, user: LaOfficer, la_code: str,
                       form: Annotated[dict[str, str], Depends(posted_form)]) -> Response:
    on_invalid(request, lambda session, errors: render(request, "la/configuration.html", _common(
        user, authority=la_configuration.editable_authority(session, _officer(user), la_code), form=form, errors=errors)))
    changed = la_configuration.update_configuration(session, _officer(user), la_code, form)
    flash(request, "Configuration saved." if changed else "Nothing was changed.")
    return RedirectResponse(f"/la/authorities/{la_code}/configuration", status_code=303)


# ---------------------------------------------------------------- Key Adults


def _key_adults_page(request: Request, session, user: PortalUser, *, errors: dict | None = None, form: dict | None = None,
                     status_code: int = 200) -> Response:
    officer = _officer(user)
    search = (request.query_params.get("setting_search") or (form or {}).get("setting_search") or "").strip()
    return render(request, "la/key_adults.html", _common(
        user, staff=keyadults.staff_in_area(session, officer),
        setting_search=search, setting_choices=keyadults.settings_in_area(session, officer, search) if search else [],
        errors=errors or {}, form=form or {},
    ), status_code=status_code)


@router.get("/key-adults")
def key_adults(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    return _key_adults_page(request, session, user)


@router.post("/key-adults/invite")
def invite_key_adult(request: Request, session: SessionDep, user: LaOfficer, urn: str = Form("", alias="invite-urn"),
                     email: str = Form("", alias="invite-email"), display_name: str = Form("", alias="invite-name"),
                     role: str = Form("", alias="invite-role"), setting_search: str = Form("")) -> Response:
    form = {"invite-urn": urn, "invite-email": email, "invite-name": display_name, "invite-role": role,
            "setting_search": setting_search}
    on_invalid(request, lambda session, errors: _key_adults_page(request, session, user, errors=errors, form=form))
    invited = keyadults.invite(session, _officer(user), urn=urn, email=email, display_name=display_name, role=role)
    # The same words whether or not the email has an account: the form must not tell who has one.
    flash(request, f"We have emailed {invited.email} a link to accept the role at {invited.setting_label}. "
                   "The link lasts 7 days.")
    return RedirectResponse("/la/key-adults", status_code=303)


@router.get("/key-adults/{user_id}/deactivate")
def confirm_deactivate_key_adult(request: Request, session: SessionDep, user: LaOfficer, user_id: RowId) -> Response:
    return render(request, "la/remove_access.html", {"removal": keyadults.removal(session, _officer(user), user_id)})


@router.post("/key-adults/{user_id}/deactivate")
def deactivate_key_adult(request: Request, session: SessionDep, user: LaOfficer, user_id: RowId) -> Response:
    on_invalid(request, lambda session, errors: _key_adults_page(request, session, user, errors=errors))
    email = keyadults.deactivate(session, _officer(user), user_id)
    flash(request, f"{email} no longer has access to settings in your area.")
    return RedirectResponse("/la/key-adults", status_code=303)


# ---------------------------------------------------------------- the LA's local guidance for Key Adults


def _local_guidance_page(request: Request, session, user: PortalUser, la_code: str, *, form: dict | None = None,
                         errors: dict | None = None) -> Response:
    authority = la_configuration.editable_authority(session, _officer(user), la_code)
    shown = form if form is not None else local_guidance.form_values(authority.local_guidance or [],
                                                                      authority.local_services or [])
    return render(request, "la/local_guidance.html", _common(
        user, authority=authority, form=shown, errors=errors or {}, limits=local_guidance))


@router.get("/authorities/{la_code}/local-guidance")
def local_guidance_form(request: Request, session: SessionDep, user: LaOfficer, la_code: str) -> Response:
    return _local_guidance_page(request, session, user, la_code)


@router.post("/authorities/{la_code}/local-guidance")
def save_local_guidance(request: Request, session: SessionDep, user: LaOfficer, la_code: str,
                        form: Annotated[dict[str, str], Depends(posted_form)]) -> Response:
    on_invalid(request, lambda session, errors: _local_guidance_page(request, session, user, la_code, form=form,
                                                                      errors=errors))
    changed = la_configuration.update_local_guidance(session, _officer(user), la_code, form)
    flash(request, "Local guidance saved. Key Adults see it beside every notification." if changed
          else "Nothing was changed.")
    return RedirectResponse(f"/la/authorities/{la_code}/local-guidance", status_code=303)


# ---------------------------------------------------------------- the children behind the dashboard's counts


@router.get("/dashboard/overdue")
def overdue_now(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    counted, total = la_oversight.overdue_notifications(session, _officer(user))
    return render(request, "la/counted.html", _common(user, kind="overdue", counted=counted, total=total))


@router.get("/dashboard/repeat-children")
def repeat_children(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    period, period_form = dashboard.parse_period(request.query_params, london_date(utcnow()))
    children = la_oversight.repeat_children_notifications(session, _officer(user), period)
    return render(request, "la/counted.html", _common(
        user, kind="repeat", children=children, period=period, period_query=dashboard.period_query(period),
        window_start=dashboard.repeat_window_start(period)))


# ---------------------------------------------------------------- re-route to a setting, confirmed


def _reroute_confirm_page(request: Request, session, user: PortalUser, notification_id: str, urn: str, *,
                          errors: dict | None = None, form: dict | None = None, status_code: int = 200) -> Response:
    preview = la_reroute.reroute_preview(session, _officer(user), notification_id, urn)
    return render(request, "la/reroute_confirm.html", _common(
        user, n=preview.notification, s=preview.setting, child_age=preview.child_age,
        goes_when_onboarded=preview.goes_when_onboarded, errors=errors or {}, form=form or {}), status_code=status_code)


@router.get("/notifications/{notification_id}/reroute/{urn}")
def reroute_confirm(request: Request, session: SessionDep, user: LaOfficer, notification_id: str, urn: str) -> Response:
    return _reroute_confirm_page(request, session, user, notification_id, urn)


@router.post("/notifications/{notification_id}/reroute/{urn}")
def reroute_confirmed(request: Request, session: SessionDep, user: LaOfficer, notification_id: str, urn: str,
                      reason: str = Form("", alias="reroute-setting-reason"),
                      age_override: str = Form("", alias=la_reroute.AGE_OVERRIDE_FIELD)) -> Response:
    form = {"reroute-setting-reason": reason, la_reroute.AGE_OVERRIDE_FIELD: age_override}
    on_invalid(request, lambda session, errors: _reroute_confirm_page(request, session, user, notification_id, urn,
                                                                      errors=errors, form=form, status_code=400))
    result = la_reroute.reroute(session, _officer(user), notification_id, target="setting", urn=urn, reason=reason,
                               age_override=age_override == "yes")
    flash(request, f"Re-routed to {result.owner_label}. They have been alerted.")
    return RedirectResponse(f"/la/queues/{result.from_queue}" if result.from_queue else "/la", status_code=303)


# ---------------------------------------------------------------- Key Adults email could not reach


@router.get("/not-reached")
def not_reached(request: Request, session: SessionDep, user: LaOfficer) -> Response:
    from service.laworkspace import not_reached as la_not_reached

    return render(request, "la/not_reached.html", _common(user, rows=la_not_reached.not_reached(session, _officer(user))))
