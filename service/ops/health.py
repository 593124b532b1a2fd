"""Health endpoints for load balancers and orchestrators: /healthz (the process is up) and /readyz (it can serve)."""

import logging
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from service.db import get_engine
from service.migrations import is_at_head

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    database_reachable: bool
    migrations_at_head: bool

    @property
    def ready(self) -> bool:
        return self.database_reachable and self.migrations_at_head


def check_readiness(engine: Engine) -> Readiness:
    """Ready means the database answers and its schema is the one this code expects."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure to reach the database means not ready, whatever the driver raises
        logger.warning("readiness: database unreachable (%s)", type(error).__name__)
        return Readiness(database_reachable=False, migrations_at_head=False)
    try:
        at_head = is_at_head(engine)
    except Exception as error:
        logger.warning("readiness: cannot read the migration version (%s)", type(error).__name__)
        at_head = False
    return Readiness(database_reachable=True, migrations_at_head=at_head)


def readiness_engine() -> Engine:
    return get_engine()


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
def readyz(engine: Annotated[Engine, Depends(readiness_engine)]) -> JSONResponse:
    readiness = check_readiness(engine)
    body = {
        "status": "ready" if readiness.ready else "not ready",
        "database": "reachable" if readiness.database_reachable else "unreachable",
        "migrations": "at head" if readiness.migrations_at_head else "not at head",
    }
    return JSONResponse(body, status_code=200 if readiness.ready else 503, headers={"Cache-Control": "no-store"})
