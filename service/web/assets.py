"""Serves the GOV.UK Frontend build (npm govuk-frontend, never committed) at /assets, and our own static/ at /static."""

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from service.config import REPO_ROOT

GOVUK_FRONTEND_DIST = REPO_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
APP_STATIC = REPO_ROOT / "static"  # the service's own small stylesheet, committed
log = logging.getLogger(__name__)


class GovukFrontendFiles(StaticFiles):
    """dist/govuk/ at /assets, with its assets/ folder also at /assets, because the compiled CSS asks for /assets/fonts/…."""

    def get_directories(self, directory=None, packages=None):
        root = Path(directory)
        return [root / "assets", root]


def mount_assets(app: FastAPI, dist: Path = GOVUK_FRONTEND_DIST) -> None:
    app.mount("/static", StaticFiles(directory=APP_STATIC), name="static")
    if not (dist / "govuk-frontend.min.css").exists():
        log.warning("GOV.UK Frontend not found at %s: run `npm ci`; pages will be unstyled.", dist)
        return
    app.mount("/assets", GovukFrontendFiles(directory=dist), name="assets")
