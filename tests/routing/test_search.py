"""The LA officer's register search: routing's index and normaliser, age-filtered, ranked, home LA first."""

from service.register.records import SettingRecord
from service.routing import RegisterIndex
from service.routing.search import ENGLAND, FORCE_LA, HOME_LA, search_register

HOME, NEIGHBOUR, FAR = "830", "831", "840"


def setting(urn, name, la_code=HOME, ages=(4, 11), town="Chesterfield", postcode="S40 1AA", status="Open"):
    return SettingRecord(urn=urn, name=name, la_code=la_code, la_name=f"LA {la_code}", type_name="Community school",
                         status=status, phase="Primary", low_age=ages[0], high_age=ages[1], postcode=postcode,
                         open_date=None, close_date=None, town=town)


INDEX = RegisterIndex.build([
    setting("1", "St Anne's CofE Primary School", town="Baslow", postcode="DE45 1RZ"),
    setting("2", "St Anne's Catholic Primary School", town="Buxton", postcode="SK17 6BA"),
    setting("3", "St Anne's Infant School", ages=(4, 7), town="Buxton"),
    setting("4", "St Anne's Primary School", la_code=NEIGHBOUR, town="Derby"),
    setting("5", "St Anne's Primary School", la_code=FAR, town="Leeds"),
    setting("6", "St Anne's Old School", status="Closed"),
    setting("7", "Oakfield Primary School"),
], [])


def search(text, age=10):
    return search_register(INDEX, text, child_age=age, home_la=HOME, force_la_codes=(HOME, NEIGHBOUR))


def test_a_name_and_a_town_finds_that_towns_school_only():
    hits = search("St Anne's Baslow")
    assert [hit.setting.urn for hit in hits] == ["1"]
    assert (hits[0].setting.town, hits[0].postcode_district, hits[0].age_range) == ("Baslow", "DE45", "4 to 11")


def test_results_go_home_la_then_the_forces_other_las_then_england_and_only_those_taking_the_child():
    hits = search("St Anne's")
    assert [hit.where for hit in hits] == [HOME_LA, HOME_LA, FORCE_LA, ENGLAND]
    assert {hit.setting.urn for hit in hits[:2]} == {"1", "2"}
    assert "3" not in {hit.setting.urn for hit in hits}  # an infant school cannot take a 10-year-old
    assert "6" not in {hit.setting.urn for hit in hits}  # closed


def test_the_infant_school_is_found_for_a_child_it_takes():
    assert "3" in {hit.setting.urn for hit in search("St Anne's Infant", age=6)}


def test_within_one_place_the_better_match_comes_first():
    hits = search("St Annes Catholic")
    assert hits[0].setting.urn == "2"
    assert hits[0].score > hits[1].score


def test_the_search_reads_names_as_routing_does():
    assert search("Saint Annes C of E")[0].setting.urn == "1"
    assert search("Okfield Primery")[0].setting.urn == "7"


def test_a_urn_finds_its_setting_whatever_the_age():
    [hit] = search("3", age=15)
    assert hit.setting.urn == "3"


def test_nothing_useful_typed_finds_nothing():
    assert search("") == [] and search("a") == [] and search("School") == []
