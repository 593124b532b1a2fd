"""An LA's own guidance for its Key Adults: a few paragraphs of local practice and the local services to call.

It is shown under the LA's name after the national points, which it can add to but never replace. It is plain text:
the portal escapes it, so a paragraph cannot carry markup, links or layout. Checked here once, for the TOML file
(`encompass la load`) and for the LA officer's form alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_PARAGRAPHS = 5
MAX_PARAGRAPH_CHARS = 600
MAX_SERVICES = 5
SERVICE_LIMITS = {"name": 100, "phone": 40, "url": 500}
SERVICE_FIELDS = tuple(SERVICE_LIMITS)
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,40}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class LocalService:
    """A local service a Key Adult can turn to, with a phone number, a web address or both."""

    name: str
    phone: str | None = None
    url: str | None = None


class LocalGuidanceInvalid(ValueError):
    """The local guidance breaks a rule; `errors` maps a form field id to its message, in the form's order."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _clean(text: object) -> str:
    """Text as it will be stored: no control characters, Windows line ends made plain, ends trimmed."""
    return _CONTROL.sub("", str(text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def paragraph_errors(paragraphs: Sequence[str]) -> dict[str, str]:
    if len(paragraphs) > MAX_PARAGRAPHS:
        return {"local_guidance": f"Write {MAX_PARAGRAPHS} paragraphs or fewer of local guidance"}
    for number, paragraph in enumerate(paragraphs, start=1):
        if len(paragraph) > MAX_PARAGRAPH_CHARS:
            return {"local_guidance": f"Paragraph {number} of the local guidance must be {MAX_PARAGRAPH_CHARS} "
                                      f"characters or fewer (it has {len(paragraph)})"}
    return {}


def service_errors(services: Sequence[Mapping[str, str | None]]) -> dict[str, str]:
    """Each service needs a name and a phone number or web address, within the length limits; ids are service-N-field."""
    errors: dict[str, str] = {}
    if len(services) > MAX_SERVICES:
        return {"service-1-name": f"List {MAX_SERVICES} local services or fewer"}
    for number, service in enumerate(services, start=1):
        name, phone, url = (service.get(field) or "" for field in SERVICE_FIELDS)
        for field, value in zip(SERVICE_FIELDS, (name, phone, url), strict=True):
            if len(value) > SERVICE_LIMITS[field]:
                errors[f"service-{number}-{field}"] = (
                    f"The {_FIELD_WORDS[field]} of local service {number} must be {SERVICE_LIMITS[field]} characters or fewer")
        if not name and f"service-{number}-name" not in errors:
            errors[f"service-{number}-name"] = f"Enter the name of local service {number}"
        if phone and f"service-{number}-phone" not in errors and not _PHONE.match(phone):
            errors[f"service-{number}-phone"] = f"Enter the phone number of local service {number} using numbers, spaces and brackets only"
        if url and f"service-{number}-url" not in errors and not url.startswith("https://"):
            errors[f"service-{number}-url"] = f"Enter the web address of local service {number} as a full address starting with https://"
        if name and not phone and not url:
            errors.setdefault(f"service-{number}-phone", f"Enter a phone number or a web address for {name}")
    return errors


_FIELD_WORDS = {"name": "name", "phone": "phone number", "url": "web address"}


def _service_record(raw: Mapping[str, object]) -> dict[str, str | None]:
    return {field: (_clean(raw.get(field)) or None) for field in SERVICE_FIELDS}


def checked(paragraphs: object, services: object) -> tuple[list[str], list[dict[str, str | None]]]:
    """Local guidance from a configuration file, cleaned and checked. Raises LocalGuidanceInvalid."""
    if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
        raise LocalGuidanceInvalid({"local_guidance": "local_guidance must be a list of paragraphs (strings)"})
    if not isinstance(services, list) or not all(isinstance(s, Mapping) for s in services):
        raise LocalGuidanceInvalid({"service-1-name": "local_services must be a list of tables with name, phone and url"})
    unknown = {key for service in services for key in service} - set(SERVICE_FIELDS)
    if unknown:
        raise LocalGuidanceInvalid({"service-1-name": f"local_services: unknown keys {', '.join(sorted(unknown))}"})
    cleaned_paragraphs = [text for text in (_clean(p) for p in paragraphs) if text]
    cleaned_services = [_service_record(s) for s in services]
    errors = paragraph_errors(cleaned_paragraphs) | service_errors(cleaned_services)
    if errors:
        raise LocalGuidanceInvalid(errors)
    return cleaned_paragraphs, cleaned_services


def parse_form(form: Mapping[str, str]) -> tuple[list[str], list[dict[str, str | None]], dict[str, str]]:
    """The LA officer's form: paragraphs separated by a blank line, and up to MAX_SERVICES rows of name, phone and
    web address (an empty row is skipped). Returns (paragraphs, services, errors by field id in the form's order)."""
    paragraphs = [text for text in (_clean(p) for p in _BLANK_LINES.split(_clean(form.get("local_guidance"))))
                  if text]
    rows = [(number, {field: form.get(f"service-{number}-{field}", "") for field in SERVICE_FIELDS})
            for number in range(1, MAX_SERVICES + 1)]
    kept = [(number, _service_record(raw)) for number, raw in rows if any(_clean(value) for value in raw.values())]
    errors = paragraph_errors(paragraphs)
    for number, service in kept:
        # Errors point at the row the officer typed in, whichever rows above it are empty.
        for key, message in service_errors([service]).items():
            errors[key.replace("service-1-", f"service-{number}-", 1)] = message.replace(
                "local service 1", f"local service {number}")
    services = [service for _number, service in kept]
    order = ["local_guidance"] + [f"service-{n}-{f}" for n in range(1, MAX_SERVICES + 1) for f in SERVICE_FIELDS]
    return paragraphs, services, {key: errors[key] for key in order if key in errors}


def form_values(paragraphs: Sequence[str], services: Sequence[Mapping[str, str | None]]) -> dict[str, str]:
    """What the form shows for the stored guidance."""
    values = {"local_guidance": "\n\n".join(paragraphs)}
    for number, service in enumerate(services, start=1):
        for field in SERVICE_FIELDS:
            values[f"service-{number}-{field}"] = service.get(field) or ""
    return values


def local_services(services: Sequence[Mapping[str, str | None]]) -> tuple[LocalService, ...]:
    return tuple(LocalService(name=s.get("name") or "", phone=s.get("phone"), url=s.get("url")) for s in services)
