"""The acting LA officer, as plain data: every workspace query is narrowed by their scope."""

from __future__ import annotations

from dataclasses import dataclass

from service.audit.service import Actor
from service.notifications.scope import Scope


@dataclass(frozen=True)
class Officer:
    """The acting LA officer as plain data; every query below is narrowed by their scope."""

    id: int
    la_codes: frozenset[str]
    source: str = "la_portal"

    @property
    def scope(self) -> Scope:
        return Scope(la_codes=self.la_codes)

    @property
    def actor(self) -> Actor:
        return Actor(type="user", id=str(self.id), source=self.source)
