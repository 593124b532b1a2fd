"""Builds the web application: middleware, error handlers, routers and static assets."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from service.accounts.routes_offers import router as membership_offers_router
from service.accounts.routes_portal import router as accounts_router
from service.admin.routes_portal import router as admin_router
from service.alerts.routes_api import router as notify_receipts_router
from service.config import get_settings
from service.keyadult.routes_portal import router as keyadult_router
from service.laworkspace.routes_portal import router as la_workspace_router
from service.middleware import BodySizeLimit, HeadAsGet
from service.notifications.routes_api import router as police_api_router
from service.ops.health import router as health_router
from service.policeportal.routes_portal import UPLOAD_BODY_LIMIT
from service.policeportal.routes_portal import router as police_portal_router
from service.ops.logging import RequestLogging, configure_logging
from service.problems import Problem, install_problem_handlers
from service.servicepages.routes_portal import router as service_pages_router
from service.web.assets import mount_assets
from service.web.errors import install_html_errors
from service.web.security import SecurityHeaders

API_DESCRIPTION = """
The Operation Encompass notification service takes police notifications about domestic abuse incidents
and routes each child to their school or college, or to the local authority's education service.

Authenticate with `Authorization: Bearer <key>`. Send an `Idempotency-Key` header to make retries safe.
Errors are `application/problem+json` (RFC 9457); each field error has a JSON pointer.
"""


logger = logging.getLogger(__name__)


def warm_register_index() -> None:
    """Builds the register index now, so the first police request after a deploy does not wait for it."""
    from sqlmodel import Session

    from service.db import get_engine
    from service.register.service import index_cache

    try:
        with Session(get_engine()) as session:
            index = index_cache.get(session)
        logger.info("Register index ready: %d settings", len(index), extra={"fields": {"settings": len(index)}})
    except Exception:  # a missing or unmigrated database: /readyz says so; the first request tries again
        logger.warning("Register index not built at start; the first police request will build it", exc_info=True)


@asynccontextmanager
async def lifespan(_app: FastAPI):
    # Startup finishes before uvicorn accepts connections, so no request can race the build.
    if get_settings().warm_register_index:
        await run_in_threadpool(warm_register_index)
    yield


# FastAPI's built-in OpenTelemetry stays off: once anything in the process sets up a provider (an operator's
# auto-instrumentation, say), it would export spans, and log every validation failure with the input that failed and
# every exception with its message: a child's details, out of the service. With it off, no request reads the
# environment to ask whether a provider exists (3% of an intake request's CPU).
NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Operation Encompass notification service",
        version="1.0.0",
        description=API_DESCRIPTION,
        docs_url=None,  # Swagger UI would load scripts from a CDN; the committed document is in openapi/
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
        telemetry=NO_TELEMETRY,
    )
    app.add_middleware(HeadAsGet)  # innermost: the access log and security headers see the HEAD as it came
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # An extract over 2 MB gets the upload page's own error; far larger bodies are refused before they are read.
    app.add_middleware(BodySizeLimit, max_bytes=UPLOAD_BODY_LIMIT, path_prefix="/police/upload")
    app.add_middleware(SecurityHeaders)  # added last, so it wraps the rest and every answer gets the headers
    app.add_middleware(RequestLogging)  # outermost: the request id and access line cover every answer, 413s too
    install_problem_handlers(app)
    install_html_errors(app)
    app.include_router(police_api_router)
    app.include_router(notify_receipts_router)
    app.include_router(health_router)
    app.include_router(accounts_router)
    app.include_router(membership_offers_router)
    app.include_router(admin_router)
    app.include_router(keyadult_router)
    app.include_router(la_workspace_router)
    app.include_router(service_pages_router)
    app.include_router(police_portal_router)
    mount_assets(app)
    _declare_problem_schema(app)
    return app


def _declare_problem_schema(app: FastAPI) -> None:
    """Problem is referenced by the problem+json responses, so it must be in components even if no route returns it."""
    original = app.openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model_schema in Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items():
            components.setdefault(name, model_schema)
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        problem.pop("$defs", None)
        components.setdefault("Problem", problem)
        return schema

    app.openapi = openapi


app = create_app()
