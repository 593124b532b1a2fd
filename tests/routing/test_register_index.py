"""The register index: successor chains, and name lookups limited to the LAs asked for and the child's age."""

from service.routing import RegisterIndex
from tests.routing.registers import FORCE_NEIGHBOUR_LA, HOME_LA, OUTSIDE_FORCE_LA, setting, small_register, successor

INDEX = small_register()


def test_open_successor_follows_links_to_the_one_open_setting():
    assert INDEX.open_successor("100007").urn == "100008"
    assert INDEX.open_successor("100013").urn == "100015"  # closed -> closed -> open


def test_open_successor_is_none_when_there_is_no_single_answer():
    assert INDEX.open_successor("100010") is None  # split in two
    assert INDEX.open_successor("100009") is None  # only a predecessor link
    assert INDEX.open_successor("100025") is None  # a loop of closed settings
    assert INDEX.open_successor("424242") is None


def test_successor_chains_longer_than_a_few_hops_are_not_followed():
    chain = [setting(str(200000 + i), f"Step {i} School", status="Closed") for i in range(8)]
    chain.append(setting("200008", "Far End Academy"))
    links = [successor(str(200000 + i), str(200001 + i)) for i in range(8)]

    index = RegisterIndex.build(chain, links)

    assert index.open_successor("200005").urn == "200008"
    assert index.open_successor("200000") is None


def test_match_name_looks_only_in_the_las_asked_for():
    home_only = INDEX.match_name("Oakfield Primary", [HOME_LA], child_age=8)
    elsewhere = INDEX.match_name("Oakfield Primary", [OUTSIDE_FORCE_LA], child_age=8)

    assert [c.urn for c in home_only] == ["100001"]
    assert [c.urn for c in elsewhere] == ["100017"]
    assert INDEX.match_name("Riverside", [HOME_LA], child_age=8) == []
    assert [c.urn for c in INDEX.match_name("Riverside", [HOME_LA, FORCE_NEIGHBOUR_LA], child_age=8)] == ["100016"]


def test_match_name_keeps_only_settings_that_take_the_childs_age():
    assert [c.urn for c in INDEX.match_name("Meadow", [HOME_LA], child_age=5)] == ["100002"]
    assert [c.urn for c in INDEX.match_name("Meadow", [HOME_LA], child_age=9)] == ["100003"]
    assert {c.urn for c in INDEX.match_name("Meadow", [HOME_LA], child_age=7)} == {"100002", "100003"}
    assert {c.urn for c in INDEX.match_name("Meadow", [HOME_LA], child_age=None)} == {"100002", "100003"}


def test_match_name_reaches_an_open_setting_through_its_old_name_and_never_a_closed_one():
    candidates = INDEX.match_name("Old Mill Infant School", [HOME_LA], child_age=6)

    assert candidates[0].urn == "100008"
    assert candidates[0].name == "Brookside Primary Academy"
    assert INDEX.match_name("Ashdown", [HOME_LA], child_age=6) == []


def test_match_name_finds_a_typo_through_the_index_and_ranks_best_first():
    candidates = INDEX.match_name("Thornbuyr", [HOME_LA], child_age=8)

    assert candidates[0].urn == "100024"
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)


def test_match_name_returns_at_most_the_limit():
    assert len(INDEX.match_name("St Mary's", [HOME_LA], child_age=8, limit=1)) == 1


def test_an_index_nobody_holds_is_freed_at_once_without_the_garbage_collector():
    """Found in review: the index's name cache held the index itself (a cache of a bound method), a reference cycle
    only the collector frees. Web processes freeze the index out of the collector, so every register import would
    have kept the old index, tens of MiB, for good."""
    import gc
    import weakref

    index = small_register()
    index.match_name("Thornbuyr", [HOME_LA], child_age=8)  # the name cache in use
    assert index.given_form.cache_info().currsize > 0
    held = weakref.ref(index)
    gc.disable()
    try:
        del index
        assert held() is None
    finally:
        gc.enable()
