"""The baseline intake is measured against: a bare FastAPI endpoint that stores each body as one row, nothing else."""

import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.db import engine_for  # noqa: E402  the service's own engine: same pool, same SQLite pragmas

metadata = sa.MetaData()
baseline_receipt = sa.Table(
    "bench_baseline_receipt", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

engine = engine_for(os.environ["DATABASE_URL"])
metadata.create_all(engine)
app = FastAPI()


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@app.post("/baseline", status_code=201)
def receive(body: dict = Body(...)) -> JSONResponse:
    receipt_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(sa.insert(baseline_receipt).values(
            id=receipt_id, received_at=datetime.now(UTC), body=json.dumps(body)))
    return JSONResponse({"id": receipt_id}, status_code=201)
