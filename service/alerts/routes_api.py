"""GOV.UK Notify's delivery-receipt callback (not part of the police API)."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from service.alerts import receipts
from service.db import SessionDep, utcnow
from service.problems import FieldProblem, NotAuthenticated, PayloadTooLarge, TooManyRequests, Unprocessable, pointer_for
from service.ratelimit import TokenBucket

router = APIRouter(prefix="/api/notify", include_in_schema=False)
_bearer = HTTPBearer(auto_error=False)
# Twice the rate the worker sends at: Notify's receipts never outrun our emails. Wrong tokens have a far lower one.
RECEIPTS_PER_MINUTE = 6_000
WRONG_TOKENS_PER_MINUTE = 20
receipt_limiter = TokenBucket(RECEIPTS_PER_MINUTE, 60.0)
wrong_token_limiter = TokenBucket(WRONG_TOKENS_PER_MINUTE, 60.0)


async def _body_within_limit(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > receipts.MAX_BODY_BYTES:
        raise PayloadTooLarge(f"A delivery receipt is at most {receipts.MAX_BODY_BYTES // 1024} KB.")
    body = await request.body()
    if len(body) > receipts.MAX_BODY_BYTES:
        raise PayloadTooLarge(f"A delivery receipt is at most {receipts.MAX_BODY_BYTES // 1024} KB.")
    return body


@router.post("/delivery-receipts", status_code=204)
def delivery_receipt(
    request: Request, session: SessionDep, body: Annotated[bytes, Depends(_body_within_limit)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    client = request.client.host if request.client else "unknown"
    if credentials is None or not receipts.callback_token_valid(session, credentials.credentials):
        wait = wrong_token_limiter.take(f"wrong:{client}")
        if wait:
            raise TooManyRequests(wait)
        raise NotAuthenticated("Send the callback token as `Authorization: Bearer <token>`.")
    wait = receipt_limiter.take("notify")
    if wait:
        raise TooManyRequests(wait)
    try:
        receipt = receipts.DeliveryReceipt.model_validate_json(body)
    except ValidationError as error:
        raise Unprocessable("Check the fields listed in errors.", errors=[
            FieldProblem(pointer="" if e["type"] == "json_invalid" else pointer_for(e["loc"]), detail=e["msg"])
            for e in error.errors()[:20]]) from None
    except json.JSONDecodeError:
        raise Unprocessable("The body is not JSON.") from None
    receipts.record_receipt(session, receipt, now=utcnow())
    return Response(status_code=204)
