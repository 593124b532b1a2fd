"""What routing works from (a child's facts, the deployment's context) and what it decides."""

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date
from typing import Literal

from service.routing.candidate import Candidate
from service.routing.register_index import RegisterIndex

EDUCATION_STATUSES = (
    "attends_setting",
    "elective_home_education",
    "missing_education",
    "no_school_place",
    "not_in_education_employment_training",
    "below_school_age",
    "unknown",
)

Outcome = Literal["setting", "local_authority", "not_routed"]


@dataclass(frozen=True)
class ChildFacts:
    child_reference: str
    date_of_birth: date
    education_status: str
    setting_urn: str | None
    setting_name: str | None
    home_la_code: str | None
    home_postcode: str | None


@dataclass(frozen=True)
class RoutingContext:
    index: RegisterIndex
    default_la_code: str
    force_la_codes: tuple[str, ...]
    onboarded_urns: Container[str]  # settings with an active Key Adult
    early_years_la_codes: Container[str]  # LAs that take notifications for under-5s
    postcode_to_la: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class RoutingDecision:
    outcome: Outcome
    urn: str | None
    la_code: str | None
    method: str
    reason: str
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()
    needs_resolution: bool = False
    intended_urn: str | None = None

    def as_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "urn": self.urn,
            "la_code": self.la_code,
            "method": self.method,
            "reason": self.reason,
            "score": self.score,
            "candidates": [c.as_dict() for c in self.candidates],
            "needs_resolution": self.needs_resolution,
            "intended_urn": self.intended_urn,
        }

