"""Domain errors and their RFC 9457 problem+json rendering, in one place for the whole API."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    pointer: str
    detail: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


class DomainError(Exception):
    status = 400
    title = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str | None = None, *, errors: list[FieldProblem] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors


class FormInvalid(DomainError):
    """A portal form the user must correct: {field id: message}, in page order, for the GOV.UK error summary.

    Services raise it; the request's transaction rolls back, and the portal's one handler (service.web.errors)
    shows the form again with the errors, through the page the route registered with service.web.forms.on_invalid."""

    status = 400
    title = "There is a problem"

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


class NotAuthenticated(DomainError):
    status = 401
    title = "Not authenticated"
    headers = {"WWW-Authenticate": 'Bearer realm="encompass"'}


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Request body too large"


class Unprocessable(DomainError):
    status = 422
    title = "The request could not be processed"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None):
        super().__init__(detail or f"Try again in {retry_after} seconds.")
        self.headers = {"Retry-After": str(retry_after)}


def problem_response(status: int, title: str, detail: str | None = None, errors=None, headers=None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [e.model_dump() if isinstance(e, FieldProblem) else e for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def pointer_for(location: tuple | list) -> str:
    """('body', 'children', 0, 'date_of_birth') -> '/children/0/date_of_birth' (RFC 6901)."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""


def _pointer_for_error(error: dict) -> str:
    # A JSON syntax error's location is a character offset, not a field: point at the whole body.
    if error.get("type") == "json_invalid":
        return ""
    return pointer_for(error.get("loc", ()))


def _validation_detail(error: dict) -> str:
    if error.get("type") == "json_invalid":
        position = error.get("loc", (None, None))[-1]
        return f"The body is not valid JSON ({error.get('ctx', {}).get('error', 'syntax error')} at character {position})."
    if error.get("type") == "extra_forbidden":
        return "This field is not part of the contract."
    if error.get("type") == "missing":
        return "This field is required."
    return str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")


def problem_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses` entries declaring problem+json bodies."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for status in statuses
    }


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError):
        return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [FieldProblem(pointer=_pointer_for_error(e), detail=_validation_detail(e)) for e in exc.errors()]
        return problem_response(422, "The request could not be processed", "Check the fields listed in errors.", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        # Portal paths get HTML pages instead: service/web/errors.py wraps this handler.
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, _TITLES.get(exc.status_code, "Error"), detail, headers=getattr(exc, "headers", None))


_TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 413: "Request body too large", 415: "Unsupported media type", 422: "The request could not be processed", 429: "Too many requests"}
