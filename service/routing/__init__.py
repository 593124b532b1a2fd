"""Deciding who owns each child's notification: a setting, a local authority, or no one (outside the scheme)."""

from service.dates import age_on
from service.routing.candidate import Candidate
from service.routing.decisions import EDUCATION_STATUSES, ChildFacts, RoutingContext, RoutingDecision
from service.routing.register_index import NameMatch, RegisterIndex
from service.routing.rules import home_la_code, route_child

__all__ = [
    "EDUCATION_STATUSES", "Candidate", "ChildFacts", "NameMatch", "RegisterIndex", "RoutingContext",
    "RoutingDecision", "age_on", "home_la_code", "route_child",
]
