"""Routing one child to a setting, a local authority, or outside the scheme (DESIGN.md "Routing rules")."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.register.records import SettingRecord
from service.dates import age_on, london_date
from service.routing.candidate import Candidate
from service.routing.decisions import ChildFacts, RoutingContext, RoutingDecision
from service.routing.names import CEILING_ROUNDING
from service.wording import setting_label
from service.routing.register_index import NameHits, NameMatch, sort_matches

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
    return setting_label(setting.name, setting.urn)


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


# Up to this many names sharing words with the name given are simply all scored; pruning only pays beyond it.
SCORE_ALL_UP_TO = 12


def _score_that_matters(best_by_setting: dict[str, float], best: float | None, home_best: float | None) -> float:
    """The score below which a match no longer changes the decision, unless it covers the name given.

    Below it a match cannot reach the candidates shown (five settings already score higher, or it is under the
    floor), cannot come within the margin of a confident best match, and cannot hide a confident one.
    """
    shown = [score for score in best_by_setting.values() if score >= CANDIDATE_FLOOR]
    if len(shown) >= CANDIDATES_SHOWN:
        shown.sort(reverse=True)
        threshold = min(shown[CANDIDATES_SHOWN - 1], CONFIDENT_SCORE)
    else:
        threshold = CANDIDATE_FLOOR
    for leader in (best, home_best):
        if leader is not None and leader >= CONFIDENT_SCORE:
            threshold = min(threshold, leader - CLEAR_MARGIN)
    return threshold


def _score_every_name(found: NameHits) -> tuple[dict[int, NameMatch], list[int], float]:
    return {at: found.match(at) for at in range(len(found))}, [], CANDIDATE_FLOOR


def _score_names(found: NameHits, age: int, home: str) -> tuple[dict[int, NameMatch], list[int], float]:
    """Scores from the highest ceiling down until the rest fall below _score_that_matters().

    Returns the matches by hit, the hits left unscored and that threshold. A setting with a name scored has all its
    names scored, as its best-scoring name speaks for it. When no fitting name clears the threshold, all are scored.
    """
    if len(found) <= SCORE_ALL_UP_TO:
        return _score_every_name(found)
    ceilings = found.ceilings()
    by_ceiling = sorted(range(len(found)), key=ceilings.__getitem__, reverse=True)
    scored: dict[int, NameMatch] = {}
    best_by_setting: dict[str, float] = {}  # settings that take the child's age
    best = home_best = None
    threshold = _score_that_matters(best_by_setting, best, home_best)
    next_up = 0
    while next_up < len(by_ceiling) and ceilings[by_ceiling[next_up]] + CEILING_ROUNDING >= threshold:
        at = by_ceiling[next_up]
        match = scored[at] = found.match(at)
        next_up += 1
        if not match.target.takes_age(age):
            continue
        if match.score > best_by_setting.get(match.target.urn, -1.0):
            best_by_setting[match.target.urn] = match.score
        if best is None or match.score > best:
            best = match.score
        if match.named_la_code == home and (home_best is None or match.score > home_best):
            home_best = match.score
        threshold = _score_that_matters(best_by_setting, best, home_best)
    if best is None or best < threshold:
        return _score_every_name(found)
    settings_in_play = {match.target.urn for match in scored.values()}
    unscored = []
    for at in by_ceiling[next_up:]:
        if found.entries[at].target.urn in settings_in_play:
            scored[at] = found.match(at)
        else:
            unscored.append(at)
    return scored, unscored, threshold


@dataclass(frozen=True, slots=True)
class _NameWeighing:
    fitting: list[NameMatch]  # the best match for each setting that takes the child's age, best first
    winner: NameMatch | None
    won_at_home: bool  # the winner stood out among the names known in the home LA


def _weigh_names(matches: list[NameMatch], age: int, home: str) -> _NameWeighing:
    fitting_names = [m for m in matches if m.target.takes_age(age)]
    fitting = _best_per_setting(fitting_names)
    too_old_or_young = [m for m in matches if not m.target.takes_age(age)]
    # "Home LA first" goes by where the name is known, even when a closed setting's successor sits over the border.
    in_home = _best_per_setting([m for m in fitting_names if m.named_la_code == home])
    elsewhere = _best_per_setting([m for m in fitting_names if m.named_la_code != home])

    winner = _clear_winner(in_home, elsewhere, too_old_or_young)
    if winner is not None:
        return _NameWeighing(fitting, winner, True)
    if elsewhere:
        winner = _clear_winner(fitting, [], too_old_or_young)
    return _NameWeighing(fitting, winner, False)


def _weigh_found_names(found: NameHits, age: int, home: str) -> _NameWeighing:
    """_weigh_names over every name found, scoring only the names that can change the outcome.

    A London force searches 32 LAs, where a common word ("Park") brings hundreds of names. An unscored name scores
    under _score_that_matters(), so it changes nothing unless it covers the name given, for a setting that takes the
    child's age, and then only by joining too few candidates or by stopping a winner (a winner found among home-LA
    names, only by being known in the home LA too). Those are looked for, and weighed again with their settings.
    """
    scored, unscored, threshold = _score_names(found, age, home)
    weighing = _weigh_names(sort_matches([scored[at] for at in sorted(scored)]), age, home)
    if not unscored or (weighing.winner is None and threshold > CANDIDATE_FLOOR):
        return weighing
    entries = found.entries
    if threshold > CANDIDATE_FLOOR and weighing.won_at_home:
        unscored_here = [at for at in unscored if entries[at].la_code == home]
    else:
        unscored_here = unscored
    covering = {entries[at].target.urn for at in found.covering(unscored_here) if entries[at].target.takes_age(age)}
    if not covering:
        return weighing
    for at in unscored:
        if entries[at].target.urn in covering:
            scored[at] = found.match(at)
    return _weigh_names(sort_matches([scored[at] for at in sorted(scored)]), age, home)


def _route_by_name(name: str, age: int, home: str, context: RoutingContext) -> RoutingDecision:
    if not context.index.given_form(name).core:
        return _to_la(home, "name_no_match",
                      "The setting name given has no distinctive words to match, so the home local authority must "
                      "find where the child is educated.", needs_resolution=True)
    weighing = _weigh_found_names(context.index.name_hits(name, _search_las(home, context)), age, home)
    fitting, winner = weighing.fitting, weighing.winner
    candidates = _candidates(fitting)

    if winner is not None:
        if winner.via_old_name:
            reason = (f"The name given matches {winner.named} (URN {winner.named_urn}), which has closed; "
                      f"{_label(winner.target)} took it over.")
            return _to_setting(winner.target, "name_successor", reason, context, score=winner.score, candidates=candidates)
        close_elsewhere = weighing.won_at_home and any(
            m.target.urn != winner.target.urn and m.named_la_code != home and m.score > winner.score - CLEAR_MARGIN
            for m in fitting)
        if close_elsewhere:
            reason = (f"The name given matches {_label(winner.target)} (score {winner.score:.0f}) in the child's home "
                      "local authority, which is preferred; a setting in another of the force's local authorities "
                      "matches as well or nearly as well and is listed among the candidates.")
        else:
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
