"""Police API v1: post an incident, read back a notification's status."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from service.db import SessionDep, run_and_commit
from service.notifications import intake, withdrawal
from service.notifications.schemas import (
    IncidentReceipt,
    IncidentSubmission,
    NotificationStatus,
    WithdrawalReceipt,
    WithdrawalRequest,
)
from service.notifications.scope import Scope, get_notification
from service.police.auth import IncidentWriter, StatusReader
from service.problems import UnsupportedMediaType, problem_responses

router = APIRouter(prefix="/api/v1", tags=["Police API v1"])


async def require_json(request: Request) -> None:
    """A body sent as anything but JSON is refused as such, rather than as a body with every field missing."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (media_type.startswith("application/") and media_type.endswith("+json")):
        raise UnsupportedMediaType("Send the incident as JSON with `Content-Type: application/json`.")


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentReceipt,
    summary="Notify about an incident and the children it affected",
    responses={200: {"model": IncidentReceipt, "description": "An exact repeat of an incident already received."}}
    | problem_responses(400, 401, 403, 413, 415, 422, 429),
)
async def post_incident(
    submission: IncidentSubmission,
    client: IncidentWriter,
    _json: Annotated[None, Depends(require_json)],
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$", description="Makes retries safe: the same key and body replay the first answer.")] = None,
):
    result = await run_and_commit(session, intake.receive_incident, client=client, submission=submission,
                                  idempotency_key=idempotency_key)
    return JSONResponse(result.body, status_code=result.status_code)


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationStatus,
    summary="Whether a notification was delivered, viewed and acknowledged",
    responses=problem_responses(401, 403, 404, 429),
)
def get_notification_status(notification_id: str, client: StatusReader, session: SessionDep, response: Response):
    notification = get_notification(session, Scope(force_id=client.force_id), notification_id)
    response.headers["Cache-Control"] = "no-store"
    return intake.status_for(session, notification)


@router.post(
    "/incidents/{incident_id}/withdrawal",
    response_model=WithdrawalReceipt,
    summary="Withdraw an incident sent in error (every child's notification)",
    description="Idempotent: a repeat answers the same and changes nothing. Owners then see only that police withdrew "
                "it; the child's details are purged after WITHDRAWN_RETENTION_DAYS. Another force's incident is 404.",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422, 429),
)
def withdraw_incident(incident_id: str, request: WithdrawalRequest, client: IncidentWriter, session: SessionDep,
                      _json: Annotated[None, Depends(require_json)]):
    return withdrawal.withdraw_incident(session, client=client, incident_id=incident_id, request=request)


@router.post(
    "/notifications/{notification_id}/withdrawal",
    response_model=WithdrawalReceipt,
    summary="Withdraw one notification sent in error (one child, or one of a child's settings)",
    description="Idempotent, as for an incident. Another force's notification is 404.",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422, 429),
)
def withdraw_notification(notification_id: str, request: WithdrawalRequest, client: IncidentWriter,
                          session: SessionDep, _json: Annotated[None, Depends(require_json)]):
    return withdrawal.withdraw_notification(session, client=client, notification_id=notification_id, request=request)
