"""Every routing rule of DESIGN.md, one row per situation, against a small hand-built register."""

import json
from datetime import date, datetime, timezone

import pytest

from service.routing import ChildFacts, RoutingContext, age_on, route_child
from tests.routing.registers import FORCE_NEIGHBOUR_LA, HOME_LA, small_register

INCIDENT_AT = datetime(2025, 11, 20, 21, 30, tzinfo=timezone.utc)
DEFAULT_LA = "999"
NOT_ONBOARDED = {"100019"}
INDEX = small_register()


class Onboarded:
    def __contains__(self, urn: object) -> bool:
        return urn not in NOT_ONBOARDED


def context(early_years=(), postcode_to_la=None) -> RoutingContext:
    return RoutingContext(index=INDEX, default_la_code=DEFAULT_LA, force_la_codes=(HOME_LA, FORCE_NEIGHBOUR_LA),
                          onboarded_urns=Onboarded(), early_years_la_codes=set(early_years),
                          postcode_to_la=postcode_to_la)


def child(age=8, status="attends_setting", urn=None, name=None, home_la=HOME_LA, postcode=None) -> ChildFacts:
    born = date(INCIDENT_AT.year - age, 1, 15)  # birthday already passed by 20 November
    return ChildFacts(child_reference="C1", date_of_birth=born, education_status=status, setting_urn=urn,
                      setting_name=name, home_la_code=home_la, home_postcode=postcode)


def route(facts: ChildFacts, **context_options):
    return route_child(facts, INCIDENT_AT, context(**context_options))


# (what the police sent, expected outcome, expected urn, expected la, expected method, needs resolution)
ROWS = [
    # 1. Age and the scheme's edges
    ("18-year-old", child(age=18, urn="100006"), "not_routed", None, HOME_LA, "over_age", False),
    ("17-year-old", child(age=17, urn="100006"), "setting", "100006", HOME_LA, "urn", False),
    ("3-year-old, LA without early years", child(age=3, urn="100018"), "not_routed", None, HOME_LA, "below_school_age", False),
    ("below school age status, LA without early years", child(age=4, status="below_school_age"),
     "not_routed", None, HOME_LA, "below_school_age", False),
    ("4-year-old in reception", child(age=4, urn="100001"), "setting", "100001", HOME_LA, "urn", False),
    ("4-year-old, status unknown, school named", child(age=4, status="unknown", name="Oakfield"),
     "setting", "100001", HOME_LA, "name", False),
    ("4-year-old, status unknown, nothing named", child(age=4, status="unknown"),
     "not_routed", None, HOME_LA, "below_school_age", False),
    ("7-year-old wrongly marked below school age", child(age=7, status="below_school_age"),
     "local_authority", None, HOME_LA, "no_hint", True),
    # 2. Children not in school go to the home LA's education service
    ("home educated", child(status="elective_home_education", urn="100001"), "local_authority", None, HOME_LA,
     "education_status", False),
    ("missing education", child(status="missing_education"), "local_authority", None, HOME_LA, "education_status", False),
    ("no school place", child(status="no_school_place"), "local_authority", None, HOME_LA, "education_status", False),
    ("NEET 16-year-old", child(age=16, status="not_in_education_employment_training"), "local_authority", None,
     HOME_LA, "education_status", False),
    ("no home LA: force default", child(status="missing_education", home_la=None), "local_authority", None,
     DEFAULT_LA, "education_status", False),
    # 3. URN given
    ("open URN", child(urn="100001"), "setting", "100001", HOME_LA, "urn", False),
    ("URN with spaces", child(urn=" 100001 "), "setting", "100001", HOME_LA, "urn", False),
    ("closed URN, one successor", child(urn="100007"), "setting", "100008", HOME_LA, "urn_successor", False),
    ("closed URN, successor chain", child(urn="100013"), "setting", "100015", HOME_LA, "urn_successor", False),
    ("closed URN split in two", child(urn="100010"), "local_authority", None, HOME_LA, "urn_unresolved", True),
    ("closed URN, no successor", child(urn="100009"), "local_authority", None, HOME_LA, "urn_unresolved", True),
    ("closed URN, successor loop", child(urn="100025"), "local_authority", None, HOME_LA, "urn_unresolved", True),
    ("URN not in the register", child(urn="999999"), "local_authority", None, HOME_LA, "urn_unresolved", True),
    ("URN wins over name", child(urn="100020", name="Oakfield"), "setting", "100020", HOME_LA, "urn", False),
    ("URN in the force's other LA", child(urn="100016"), "setting", "100016", FORCE_NEIGHBOUR_LA, "urn", False),
    # 4. Only a name given
    ("full name", child(name="Oakfield Primary School"), "setting", "100001", HOME_LA, "name", False),
    ("casual name", child(name="oakfield"), "setting", "100001", HOME_LA, "name", False),
    ("punctuation and case", child(name="OAKFIELD PRIMARY!!"), "setting", "100001", HOME_LA, "name", False),
    ("typo in a long name", child(name="Thornbuyr Primary"), "setting", "100024", HOME_LA, "name", False),
    ("St Mary's: CE and RC both fit", child(name="St Mary's"), "local_authority", None, HOME_LA, "name_ambiguous", True),
    ("St Mary's C of E", child(name="St Marys C of E"), "setting", "100004", HOME_LA, "name", False),
    ("Saint Mary's Church of England", child(name="Saint Mary's Church of England Primary"), "setting", "100004",
     HOME_LA, "name", False),
    ("St Mary's RC", child(name="St. Mary's R.C."), "setting", "100005", HOME_LA, "name", False),
    ("St Mary's Roman Catholic", child(name="Saint Marys Roman Catholic Prim Sch"), "setting", "100005", HOME_LA,
     "name", False),
    ("Meadow, age 5: only the infant school fits", child(age=5, name="Meadow"), "setting", "100002", HOME_LA, "name", False),
    ("Meadow, age 9: only the junior school fits", child(age=9, name="Meadow"), "setting", "100003", HOME_LA, "name", False),
    ("Meadow, age 7: both fit", child(age=7, name="Meadow School"), "local_authority", None, HOME_LA, "name_ambiguous", True),
    ("Meadow Jnr, age 7", child(age=7, name="Meadow Jnr"), "setting", "100003", HOME_LA, "name", False),
    ("Meadow Inf, age 7", child(age=7, name="Meadow Inf"), "setting", "100002", HOME_LA, "name", False),
    ("Meadow Infants but age 9", child(age=9, name="Meadow Infants"), "local_authority", None, HOME_LA,
     "name_ambiguous", True),
    ("Oakfield but age 14: primary cannot take them", child(age=14, name="Oakfield"), "local_authority", None, HOME_LA,
     "name_no_match", True),
    ("Highfield, age 12", child(age=12, name="Highfield"), "setting", "100006", HOME_LA, "name", False),
    ("old name of a converted school", child(age=6, name="Old Mill Infants"), "setting", "100008", HOME_LA,
     "name_successor", False),
    ("old name of a split school", child(name="Twin Oaks"), "local_authority", None, HOME_LA, "name_ambiguous", True),
    ("name in the force's other LA", child(name="Riverside"), "setting", "100016", FORCE_NEIGHBOUR_LA, "name", False),
    ("same name in home and neighbouring LA: home first", child(name="Kingsway Primary"), "setting", "100020",
     HOME_LA, "name", False),
    ("real name from outside the force, one letter off a home school", child(name="Redhill Primary"),
     "local_authority", None, HOME_LA, "name_ambiguous", True),
    ("two schools told apart only by town", child(name="Westfield Primary"), "local_authority", None, HOME_LA,
     "name_ambiguous", True),
    ("town given too", child(name="Westfield Primary, Dale End"), "setting", "100028", HOME_LA, "name", False),
    ("unknown name", child(name="Nowhere Grange"), "local_authority", None, HOME_LA, "name_no_match", True),
    ("only generic words", child(name="the primary school"), "local_authority", None, HOME_LA, "name_no_match", True),
    # 5. Nothing usable
    ("nothing given", child(), "local_authority", None, HOME_LA, "no_hint", True),
    ("blank hints", child(urn="  ", name=" "), "local_authority", None, HOME_LA, "no_hint", True),
    # 6. Setting found but not onboarded
    ("not onboarded, by URN", child(urn="100019"), "local_authority", None, HOME_LA, "not_onboarded", False),
    ("not onboarded, by name", child(name="Hillcrest"), "local_authority", None, HOME_LA, "not_onboarded", False),
]


@pytest.mark.parametrize(("facts", "outcome", "urn", "la_code", "method", "needs_resolution"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_routing_rule(facts, outcome, urn, la_code, method, needs_resolution):
    decision = route(facts)

    assert (decision.outcome, decision.urn, decision.la_code, decision.method, decision.needs_resolution) == (
        outcome, urn, la_code, method, needs_resolution)
    # 7. every decision explains itself in one sentence and can be stored as JSON
    assert decision.reason and decision.reason.endswith(".") and "\n" not in decision.reason
    assert json.loads(json.dumps(decision.as_dict()))["method"] == method


def test_under_fives_route_normally_where_the_la_takes_early_years():
    by_urn = route(child(age=3, urn="100018"), early_years=[HOME_LA])
    nothing_named = route(child(age=2, status="below_school_age"), early_years=[HOME_LA])

    assert (by_urn.outcome, by_urn.urn, by_urn.method) == ("setting", "100018", "urn")
    assert (nothing_named.outcome, nothing_named.la_code, nothing_named.method) == (
        "local_authority", HOME_LA, "education_status")
    assert not nothing_named.needs_resolution


def test_not_routed_reasons_point_police_to_another_pathway():
    adult = route(child(age=18))
    infant = route(child(age=2))

    assert "health and social care" in adult.reason
    assert "health visiting" in infant.reason or "early-years" in infant.reason


def test_age_is_taken_on_the_london_date_of_the_incident():
    born = date(2007, 11, 21)
    # 00:30 on 21 November in London during GMT is 00:30 UTC; 23:30 UTC on 20 November is still the 20th.
    before_midnight = datetime(2025, 11, 20, 23, 30, tzinfo=timezone.utc)
    # In summer London is an hour ahead: 23:30 UTC on 20 June is already 21 June there.
    summer_born = date(2007, 6, 21)
    summer_incident = datetime(2025, 6, 20, 23, 30, tzinfo=timezone.utc)
    facts = dict(child_reference="C1", education_status="attends_setting", setting_urn="100006", setting_name=None,
                 home_la_code=HOME_LA, home_postcode=None)

    winter = route_child(ChildFacts(date_of_birth=born, **facts), before_midnight, context())
    summer = route_child(ChildFacts(date_of_birth=summer_born, **facts), summer_incident, context())

    assert winter.outcome == "setting"  # still 17
    assert summer.outcome == "not_routed"  # 18 on the London date


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(2010, 5, 1), date(2025, 4, 30), 14),
    (date(2010, 5, 1), date(2025, 5, 1), 15),
    (date(2012, 2, 29), date(2025, 2, 28), 12),
    (date(2012, 2, 29), date(2025, 3, 1), 13),
])
def test_age_on(born, on, age):
    assert age_on(born, on) == age


def test_home_la_comes_from_the_postcode_lookup_before_the_force_default():
    looked_up = route(child(status="no_school_place", home_la=None, postcode="DE1 1AA"),
                      postcode_to_la=lambda postcode: "831" if postcode.startswith("DE") else None)
    not_found = route(child(status="no_school_place", home_la=None, postcode="ZZ1 1ZZ"),
                      postcode_to_la=lambda postcode: None)

    assert looked_up.la_code == "831"
    assert not_found.la_code == DEFAULT_LA


def test_not_onboarded_setting_is_recorded_as_the_intended_recipient():
    decision = route(child(urn="100019"))

    assert decision.intended_urn == "100019"
    assert decision.urn is None
    assert "Key Adult" in decision.reason


def test_a_split_school_lists_its_successors_for_the_officer():
    decision = route(child(urn="100010"))

    assert {c.urn for c in decision.candidates} == {"100011", "100012"}


def test_an_ambiguous_name_lists_the_candidates_with_scores():
    decision = route(child(name="St Mary's"))

    assert {c.urn for c in decision.candidates[:2]} == {"100004", "100005"}
    assert all(0 <= c.score <= 100 for c in decision.candidates)
    assert decision.score == max(c.score for c in decision.candidates)


def test_a_name_routed_to_a_successor_says_which_old_setting_it_matched():
    decision = route(child(age=6, name="Old Mill Infant School"))

    assert "Old Mill Infant School" in decision.reason and "closed" in decision.reason
    assert decision.score == 100


def test_an_unknown_urn_with_a_name_still_gives_the_officer_candidates():
    decision = route(child(urn="123456", name="Kingsway"))

    assert decision.method == "urn_unresolved"
    assert "100020" in {c.urn for c in decision.candidates}


def test_reasons_never_carry_the_date_of_birth():
    facts = child(age=9, name="Meadow")
    decision = route(facts)

    assert facts.date_of_birth.isoformat() not in decision.reason
    assert str(facts.date_of_birth.year) not in decision.reason


def test_a_naive_incident_time_is_read_as_utc():
    facts = child(age=17, urn="100006")
    aware = route_child(facts, INCIDENT_AT, context())
    naive = route_child(facts, INCIDENT_AT.replace(tzinfo=None), context())

    assert aware == naive


def test_a_home_la_match_tied_with_another_of_the_forces_las_says_home_is_preferred_and_lists_the_tie():
    decision = route(child(name="Kingsway Primary"))

    assert decision.urn == "100020"
    assert "well ahead" not in decision.reason
    assert "home local authority, which is preferred" in decision.reason
    assert {"100020", "100021"} <= {c.urn for c in decision.candidates}


def test_a_match_with_no_close_rival_says_it_is_well_ahead():
    decision = route(child(name="Riverside Primary"))

    assert decision.urn == "100016"
    assert "well ahead of any other setting" in decision.reason
