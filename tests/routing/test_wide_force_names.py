"""Routing by name across a force of many LAs: scoring only the names that can matter changes no decision."""

from datetime import date, datetime, timezone

import pytest

from service.register.records import SettingRecord
from service.routing import ChildFacts, RegisterIndex, RoutingContext, route_child
from service.routing import rules
from service.routing.names import CEILING_ROUNDING, CoverTest, compare
from tests.routing.test_name_eval import load_cases

INCIDENT_AT = datetime(2025, 11, 20, 21, 30, tzinfo=timezone.utc)
# The Metropolitan Police's 32 London boroughs: the widest search a force makes.
LONDON_LAS = ("202", "203", "204", "205", "206", "207", "208", "209", "210", "211", "212", "213",
              *(str(code) for code in range(301, 321)))


class EverySettingOnboarded:
    def __contains__(self, urn: object) -> bool:
        return True


def route_by_name(index: RegisterIndex, name: str, home: str, force: tuple[str, ...], age: int = 8):
    context = RoutingContext(index=index, default_la_code=home, force_la_codes=force,
                             onboarded_urns=EverySettingOnboarded(), early_years_la_codes=())
    child = ChildFacts(child_reference="C1", date_of_birth=date(INCIDENT_AT.year - age - 1, 12, 31),
                       education_status="attends_setting", setting_urn=None, setting_name=name, home_la_code=home,
                       home_postcode=None)
    return route_child(child, INCIDENT_AT, context)


def school(urn: str, name: str, la_code: str) -> SettingRecord:
    return SettingRecord(urn=urn, name=name, la_code=la_code, la_name=f"LA {la_code}", type_name="Community school",
                         status="Open", phase="Primary", low_age=4, high_age=11, postcode=None, open_date=None,
                         close_date=None)


def oakfields_across_a_wide_force() -> tuple[RegisterIndex, tuple[str, ...]]:
    """An Oakfield Primary in every LA of a 12-LA force, and in the home LA a long name that contains "Oakfield"."""
    force = tuple(str(code) for code in range(301, 313))
    settings = [school(f"2000{i:02d}", "Oakfield Primary School", la) for i, la in enumerate(force)]
    settings += [school(f"2001{i:02d}", f"Oakfield {word} Academy", la)
                 for i, (word, la) in enumerate(zip(("Meadows", "Park", "Lane", "Green", "Vale", "Road"), force[1:]))]
    settings.append(school("200200", "Oakfield Lodge Specialist Centre for Deaf Children", force[0]))
    return RegisterIndex.build(settings, []), force


def test_a_long_name_containing_the_name_given_still_stops_a_route_however_many_names_score_higher():
    index, force = oakfields_across_a_wide_force()
    decision = route_by_name(index, "Oakfield Primary", force[0], force)
    # The home LA has two settings a family could mean by "Oakfield": an officer must choose, as before.
    assert decision.method == "name_ambiguous"
    assert decision.outcome == "local_authority"
    assert decision.candidates[0].urn == "200000"


def test_without_a_rival_at_home_the_home_las_oakfield_is_routed_to():
    index, force = oakfields_across_a_wide_force()
    decision = route_by_name(index, "Oakfield Primary", force[9], force)
    assert (decision.outcome, decision.urn, decision.method) == ("setting", "200009", "name")


@pytest.fixture
def every_name_scored(monkeypatch):
    """Routing as it was before names were pruned: every name sharing enough words is scored."""
    def route(*arguments, **keywords):
        with monkeypatch.context() as patch:
            patch.setattr(rules, "SCORE_ALL_UP_TO", 10**9)
            return route_by_name(*arguments, **keywords)
    return route


def test_across_all_london_the_decisions_score_and_candidates_are_those_from_scoring_every_name(
        full_register, every_name_scored):
    compared = 0
    for case in load_cases():
        home = case["home_la_code"] if case["home_la_code"] in LONDON_LAS else LONDON_LAS[compared % len(LONDON_LAS)]
        age = int(case["child_age"])
        pruned = route_by_name(full_register, case["given_name"], home, LONDON_LAS, age)
        assert pruned == every_name_scored(full_register, case["given_name"], home, LONDON_LAS, age), case["case_id"]
        compared += 1
    assert compared == len(load_cases())


def test_a_names_ceiling_is_never_below_its_score_and_covering_agrees_with_compare(full_register):
    for case in load_cases()[::3]:
        found = full_register.name_hits(case["given_name"], LONDON_LAS + (case["home_la_code"],))
        covering = set(found.covering(range(len(found))))
        test = CoverTest(found.form)
        for at, ceiling in enumerate(found.ceilings()):
            comparison = compare(found.form, found.entries[at].form, full_register.known_words)
            assert comparison.score <= ceiling + CEILING_ROUNDING
            assert (at in covering) == comparison.covers == test(found.entries[at].form)
