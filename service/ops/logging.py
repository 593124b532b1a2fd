"""Structured JSON log lines on stdout, the request id that ties a request's lines together, and the access log."""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is reused only when it looks like an id: it goes into every log line, so no free text.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# Libraries that log SQL parameters, form fields, request bodies or full URLs with query strings at INFO or DEBUG:
# held at WARNING whatever the service's level, so turning on debug logging can never write a child's name.
QUIET_LOGGERS = ("sqlalchemy", "multipart", "python_multipart", "httpx", "httpcore", "hpack", "uvicorn.access")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
access_logger = logging.getLogger("encompass.access")


def current_request_id() -> str | None:
    return request_id_var.get()


def request_id_from(header_value: str | None) -> str:
    if header_value and _SANE_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


class JsonLineFormatter(logging.Formatter):
    """One JSON object a line. Structured fields come from `extra={"fields": {...}}`.

    An exception is written as its type and where it was raised, never its message: database and validation errors
    quote the values they were given, and those can be a child's details.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, trace = record.exc_info
            line["exception"] = {
                "type": f"{kind.__module__}.{kind.__qualname__}",
                "at": [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(trace)[-8:]],
            }
        return json.dumps(line, default=str, ensure_ascii=False)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time, so a redirected or captured stdout still gets the lines."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines. Safe to call again: it replaces its own handler only."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StdoutHandler)]:
        root.removeHandler(handler)
    handler = _StdoutHandler()
    handler.setFormatter(JsonLineFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own handlers would write the same records again in plain text.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def route_template(scope: Scope) -> str:
    """The matched route's path with its placeholders ("/api/v1/notifications/{notification_id}").

    An unmatched path is not logged as typed: it could be anything, including a name.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "(unmatched)"


def actor_of(state: dict) -> str | None:
    """Who made the request, as an id: a police client ("police_client:…", set by its key) or a portal user
    ("user:42", from the session the portal's dependencies loaded). Never a name or an email address."""
    if state.get("actor_id"):
        return state["actor_id"]
    user = state.get("portal_user")
    user_id = getattr(user, "id", None)
    return f"user:{user_id}" if user_id is not None else None


class RequestLogging:
    """Gives each request an id (the caller's X-Request-ID if it is sane), echoes it, and writes one access line.

    The access line has the method, route template, status and duration: never the query string, headers or body.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value.decode("latin-1") for key, value in scope["headers"] if key == b"x-request-id"), None)
        request_id = request_id_from(given)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields = {
                "method": scope["method"], "path": route_template(scope), "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }
            actor = actor_of(scope.get("state") or {})
            if actor:
                fields["actor"] = actor
            access_logger.info("%s %s %s", fields["method"], fields["path"], status, extra={"fields": fields})
            request_id_var.reset(token)
