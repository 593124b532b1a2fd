"""ASGI middleware that must see raw requests: the API body-size limit, and HEAD answered as GET."""

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import PROBLEM_MEDIA_TYPE


class _TooLarge(HTTPException):
    """An HTTPException, because FastAPI turns any other error while reading the body into a 400."""

    def __init__(self, detail: str):
        super().__init__(413, detail)


async def _send_problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuses API bodies over the limit with 413, whether or not Content-Length is honest."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, path_prefix: str = "/api/"):
        self.app, self.max_bytes, self.path_prefix = app, max_bytes, path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefix):
            await self.app(scope, receive, send)
            return
        detail = f"The body must be at most {self.max_bytes // 1024} KB."
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_problem(send, 413, "Request body too large", detail)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(detail)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_problem(send, 413, "Request body too large", detail)


class HeadAsGet:
    """Answers HEAD exactly as GET (status and headers, Content-Length included) but without the body.

    FastAPI routes declared with GET refuse HEAD with 405; monitors, link checkers and mail scanners use HEAD. The
    request reaches the app as a GET on a copy of the scope, so the server still knows it was HEAD.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
