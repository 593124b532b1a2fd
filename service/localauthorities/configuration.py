"""An LA officer editing their own LA's configuration (contacts, thresholds, school day, holidays)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from service.audit import service as audit_service
from service.laworkspace.officer import Officer
from service.localauthorities import local_guidance
from service.localauthorities import service as la_service
from service.localauthorities.models import LocalAuthority
from service.problems import FormInvalid, NotFound


def editable_authority(session: Session, officer: Officer, la_code: str) -> LocalAuthority:
    """One of the officer's own LAs, configured or not; any other code is not found."""
    if la_code not in officer.la_codes:
        raise NotFound("No such local authority.")
    authority = la_service.get_local_authority(session, la_code)
    if authority is None:
        raise NotFound("This local authority has not been set up yet.")
    return authority


def update_configuration(session: Session, officer: Officer, la_code: str, form: Mapping[str, str]) -> list[str]:
    """Checks and saves the officer's edit of their LA's configuration. Returns the fields changed; audited."""
    authority = editable_authority(session, officer, la_code)
    values, errors = la_service.parse_config_form(form)
    if errors:
        raise FormInvalid(errors)
    changed = la_service.apply_configuration(session, authority, values)
    if changed:
        audit_service.record(session, officer.actor, "local_authority.configured", "local_authority", la_code, fields=changed)
    return changed


def update_local_guidance(session: Session, officer: Officer, la_code: str, form: Mapping[str, str]) -> list[str]:
    """Checks and saves the officer's local guidance and local services. Returns the fields changed; audited."""
    authority = editable_authority(session, officer, la_code)
    paragraphs, services, errors = local_guidance.parse_form(form)
    if errors:
        raise FormInvalid(errors)
    changed = la_service.apply_configuration(session, authority, {"local_guidance": paragraphs,
                                                                  "local_services": services})
    if changed:
        audit_service.record(session, officer.actor, "local_authority.configured", "local_authority", la_code, fields=changed)
    return changed
