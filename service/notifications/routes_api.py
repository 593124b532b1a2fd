"""Police API v1: post an incident, read back a notification's status."""

from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from service.db import SessionDep
from service.notifications import intake
from service.notifications.schemas import IncidentReceipt, IncidentSubmission, NotificationStatus
from service.notifications.scope import Scope, get_notification
from service.police.auth import IncidentWriter, StatusReader
from service.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["Police API v1"])


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentReceipt,
    summary="Notify about an incident and the children it affected",
    responses={200: {"model": IncidentReceipt, "description": "An exact repeat of an incident already received."}}
    | problem_responses(401, 403, 413, 422, 429),
)
def post_incident(
    submission: IncidentSubmission,
    client: IncidentWriter,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$", description="Makes retries safe: the same key and body replay the first answer.")] = None,
):
    result = intake.receive_incident(session, client=client, submission=submission, idempotency_key=idempotency_key)
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
