"""Routing one child to a setting, a local authority, or outside the scheme (DESIGN.md "Routing rules")."""

from collections.abc import Sequence
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from service.register.records import SettingRecord
from service.routing.decisions import Candidate, ChildFacts, RoutingContext, RoutingDecision, age_on
from service.routing.names import given_name_form
from service.routing.register_index import NameMatch

LONDON = ZoneInfo("Europe/London")

ADULT_AGE = 18
SCHOOL_AGE = 5
RECEPTION_AGE = 4
STATUSES_FOR_LA = frozenset({
    "elective_home_education", "missing_education", "no_school_place", "not_in_education_employment_training",
})
STATUS_WORDS = {
    "elective_home_education": "is electively home educated",
    "missing_education": "is missing education",
    "no_school_place": "has no school place",
    "not_in_education_employment_training": "is not in education, employment or training",
    "below_school_age": "is below school age",
}

# Name routing thresholds, set with tests/routing/name_eval_cases.csv so that no case goes to a wrong setting.
# A name must fit this well to be routed at all ...
CONFIDENT_SCORE = 88.0
# ... and beat every other setting that fits the child's age by this much.
CLEAR_MARGIN = 10.0
# Below this a candidate is not worth an officer's attention.
CANDIDATE_FLOOR = 50.0
CANDIDATES_SHOWN = 5


def london_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LONDON).date()


def home_la_code(child: ChildFacts, context: RoutingContext) -> str:
    """home_la_code, else the postcode's LA when a lookup is configured, else the force's default LA."""
    if child.home_la_code:
        return child.home_la_code
    if child.home_postcode and context.postcode_to_la is not None:
        found = context.postcode_to_la(child.home_postcode)
        if found:
            return found
    return context.default_la_code


def _label(setting: SettingRecord) -> str:
    return f"{setting.name} (URN {setting.urn})"


def _to_la(la_code: str, method: str, reason: str, *, needs_resolution: bool, score: float | None = None,
           candidates: Sequence[Candidate] = (), intended_urn: str | None = None) -> RoutingDecision:
    return RoutingDecision(outcome="local_authority", urn=None, la_code=la_code, method=method, reason=reason,
                           score=score, candidates=tuple(candidates), needs_resolution=needs_resolution,
                           intended_urn=intended_urn)


def _to_setting(setting: SettingRecord, method: str, reason: str, context: RoutingContext, *,
                score: float | None = None, candidates: Sequence[Candidate] = ()) -> RoutingDecision:
    if setting.urn not in context.onboarded_urns:
        return _to_la(
            setting.la_code, "not_onboarded",
            f"{reason[:-1]}, but it has no active Key Adult yet, so its local authority receives this to pass on.",
            needs_resolution=False, score=score, candidates=candidates, intended_urn=setting.urn,
        )
    return RoutingDecision(outcome="setting", urn=setting.urn, la_code=setting.la_code, method=method, reason=reason,
                           score=score, candidates=tuple(candidates), needs_resolution=False, intended_urn=None)


def route_child(child: ChildFacts, occurred_at: datetime, context: RoutingContext) -> RoutingDecision:
    age = age_on(child.date_of_birth, london_date(occurred_at))
    home = home_la_code(child, context)
    status = child.education_status

    if age >= ADULT_AGE:
        return RoutingDecision(
            outcome="not_routed", urn=None, la_code=home, method="over_age",
            reason="The child was 18 or over on the day of the incident, which is outside Operation Encompass; "
                   "use the police health and social care pathway for adults instead.",
            score=None, candidates=(), needs_resolution=False, intended_urn=None)

    # A child of school age cannot be below school age: the age wins and routing goes on from what else was given.
    below_school_age = age < SCHOOL_AGE
    if below_school_age:
        hint_given = bool(child.setting_urn or child.setting_name)
        in_reception = age == RECEPTION_AGE and (
            status == "attends_setting" or (status == "unknown" and hint_given))
        if not in_reception and home not in context.early_years_la_codes:
            return RoutingDecision(
                outcome="not_routed", urn=None, la_code=home, method="below_school_age",
                reason=f"The child was below school age and local authority {home} does not take early-years "
                       "notifications; share this through the health visiting or early-years pathway instead.",
                score=None, candidates=(), needs_resolution=False, intended_urn=None)

    if status in STATUSES_FOR_LA:
        return _to_la(home, "education_status",
                      f"The child {STATUS_WORDS[status]}, so the home local authority's education service owns this.",
                      needs_resolution=False)

    if child.setting_urn and child.setting_urn.strip():
        return _route_by_urn(child.setting_urn.strip(), child, age, home, context)
    if child.setting_name and child.setting_name.strip():
        return _route_by_name(child.setting_name.strip(), age, home, context)

    if below_school_age and status == "below_school_age":
        return _to_la(home, "education_status",
                      f"The child is below school age and local authority {home} takes early-years notifications, "
                      "so its early-years team owns this.", needs_resolution=False)
    return _to_la(home, "no_hint",
                  "No setting URN or name was given, so the home local authority must find where the child is educated.",
                  needs_resolution=True)


def _route_by_urn(urn: str, child: ChildFacts, age: int, home: str, context: RoutingContext) -> RoutingDecision:
    setting = context.index.get(urn)
    if setting is None:
        candidates = _name_candidates(child.setting_name, age, home, context)
        return _to_la(home, "urn_unresolved",
                      f"URN {urn} is not in the register, so the home local authority must identify the setting.",
                      needs_resolution=True, candidates=candidates)
    if setting.is_open:
        return _to_setting(setting, "urn", f"The URN given is {_label(setting)}, an open setting.", context)
    successors = context.index.open_successors(urn)
    if len(successors) == 1:
        successor = successors[0]
        return _to_setting(successor, "urn_successor",
                           f"The URN given is {_label(setting)}, which has closed; {_label(successor)} took it over.",
                           context)
    if successors:
        candidates = [Candidate(s.urn, s.name, s.la_code, 100.0) for s in successors if s.takes_age(age)] or [
            Candidate(s.urn, s.name, s.la_code, 100.0) for s in successors]
        why = f"has closed and {len(successors)} open settings took it over"
    else:
        candidates = _name_candidates(child.setting_name, age, home, context)
        why = "has closed with no open successor in the register"
    return _to_la(setting.la_code, "urn_unresolved",
                  f"The URN given is {_label(setting)}, which {why}, so its local authority must decide.",
                  needs_resolution=True, candidates=candidates[:CANDIDATES_SHOWN])


def _best_per_setting(matches: Sequence[NameMatch]) -> list[NameMatch]:
    best: dict[str, NameMatch] = {}
    for match in matches:  # already best first
        best.setdefault(match.target.urn, match)
    return list(best.values())


def _clear_winner(pool: list[NameMatch], rivals_elsewhere: list[NameMatch], too_old_or_young: list[NameMatch]) -> NameMatch | None:
    """The best match when it is confident and nothing else could be the setting the family meant."""
    if not pool:
        return None
    best = pool[0]
    if best.score < CONFIDENT_SCORE:
        return None
    others = [m for m in pool[1:] if m.target.urn != best.target.urn]
    if any(other.score > best.score - CLEAR_MARGIN or other.covers for other in others):
        return None
    # A setting elsewhere, or one the age rules out, that fits the words better means the name is not clearly this one.
    if any(other.score > best.score for other in rivals_elsewhere + too_old_or_young if other.target.urn != best.target.urn):
        return None
    return best


def _candidates(matches: Sequence[NameMatch]) -> list[Candidate]:
    return [Candidate(m.target.urn, m.target.name, m.target.la_code, m.score)
            for m in matches if m.score >= CANDIDATE_FLOOR or m.covers][:CANDIDATES_SHOWN]


def _search_las(home: str, context: RoutingContext) -> list[str]:
    return [home] + [la for la in dict.fromkeys(context.force_la_codes) if la != home]


def _name_candidates(name: str | None, age: int, home: str, context: RoutingContext) -> list[Candidate]:
    if not name or not name.strip():
        return []
    matches = context.index.score_name(name, _search_las(home, context))
    return _candidates(_best_per_setting([m for m in matches if m.target.takes_age(age)]))


def _route_by_name(name: str, age: int, home: str, context: RoutingContext) -> RoutingDecision:
    if not given_name_form(name).core:
        return _to_la(home, "name_no_match",
                      "The setting name given has no distinctive words to match, so the home local authority must "
                      "find where the child is educated.", needs_resolution=True)
    matches = context.index.score_name(name, _search_las(home, context))
    fitting_names = [m for m in matches if m.target.takes_age(age)]
    fitting = _best_per_setting(fitting_names)
    too_old_or_young = [m for m in matches if not m.target.takes_age(age)]
    # "Home LA first" goes by where the name is known, even when a closed setting's successor sits over the border.
    in_home = _best_per_setting([m for m in fitting_names if m.named_la_code == home])
    elsewhere = _best_per_setting([m for m in fitting_names if m.named_la_code != home])

    winner = _clear_winner(in_home, elsewhere, too_old_or_young)
    if winner is None and elsewhere:
        winner = _clear_winner(fitting, [], too_old_or_young)
    candidates = _candidates(fitting)

    if winner is not None:
        if winner.via_old_name:
            reason = (f"The name given matches {winner.named} (URN {winner.named_urn}), which has closed; "
                      f"{_label(winner.target)} took it over.")
            return _to_setting(winner.target, "name_successor", reason, context, score=winner.score, candidates=candidates)
        reason = (f"The name given matches {_label(winner.target)} (score {winner.score:.0f}), "
                  "well ahead of any other setting for a child of this age.")
        return _to_setting(winner.target, "name", reason, context, score=winner.score, candidates=candidates)

    best_score = fitting[0].score if fitting else None
    if candidates:
        return _to_la(home, "name_ambiguous",
                      f"The name given could be more than one setting, or is not a clear match ({len(candidates)} "
                      "listed), so the home local authority must choose.",
                      needs_resolution=True, score=best_score, candidates=candidates)
    return _to_la(home, "name_no_match",
                  "No open setting in the area matches the name given for a child of this age, so the home "
                  "local authority must find where the child is educated.",
                  needs_resolution=True, score=best_score)
