"""The committed OpenAPI document is the contract police partners build against: it must match the app."""

import json
from pathlib import Path

from service.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app():
    generated = create_app().openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(generated)), "openapi/openapi.json is stale: run `.venv/bin/python scripts/export_openapi.py`"


def test_document_declares_bearer_auth_and_problem_responses():
    document = create_app().openapi()
    schemes = document["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    post = document["paths"]["/api/v1/incidents"]["post"]
    for status in ("401", "403", "413", "422", "429"):
        assert "application/problem+json" in post["responses"][status]["content"]
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
