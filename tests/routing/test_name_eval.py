"""Name routing against the real register: no child ever goes to a wrong setting, and most go straight to theirs.

The cases (tests/routing/name_eval_cases.csv) are made by scripts/build_name_eval.py from the register, with the true
answer worked out there, not by the router.
"""

import csv
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

from service.routing import ChildFacts, RoutingContext, route_child

CASES = Path(__file__).with_name("name_eval_cases.csv")
REPO_ROOT = Path(__file__).resolve().parents[2]
INCIDENT_AT = datetime(2025, 11, 20, 21, 30, tzinfo=timezone.utc)
# Of the cases whose answer is a setting: measured 98.3% (353 of 359) on the committed set and 97.1% over ten fresh
# seeds; issue 16 asks for at least 93%.
AUTOMATIC_RATE_FLOOR = 0.93


class EverySettingOnboarded:
    def __contains__(self, urn: object) -> bool:
        return True


def load_cases() -> list[dict]:
    with CASES.open(newline="") as f:
        return list(csv.DictReader(f))


def born_for_age(age: int) -> date:
    return date(INCIDENT_AT.year - age - 1, 12, 31)


def route_case(case: dict, index):
    context = RoutingContext(index=index, default_la_code=case["home_la_code"], force_la_codes=(),
                             onboarded_urns=EverySettingOnboarded(), early_years_la_codes=())
    child = ChildFacts(child_reference=case["case_id"], date_of_birth=born_for_age(int(case["child_age"])),
                       education_status="attends_setting", setting_urn=None, setting_name=case["given_name"],
                       home_la_code=case["home_la_code"], home_postcode=None)
    return route_child(child, INCIDENT_AT, context)


def test_the_case_set_is_big_and_covers_every_kind_of_name():
    cases = load_cases()
    kinds = Counter(c["kind"] for c in cases)
    assert len(cases) >= 200
    assert {"casual", "typo", "abbreviation", "saint", "church", "infant_junior", "shared_name", "old_name",
            "near_miss", "exact_full_name", "long_typo", "short_form"} <= set(kinds)
    assert kinds["exact_full_name"] + kinds["long_typo"] + kinds["short_form"] >= 150
    assert all(c["expected"] == "LA" for c in cases if c["kind"] in {"shared_name", "near_miss"})


def test_no_name_ever_routes_a_child_to_a_wrong_setting_and_most_route_automatically(full_register):
    cases = load_cases()
    routed, wrong, by_kind = Counter(), [], Counter()
    for case in cases:
        decision = route_case(case, full_register)
        by_kind[case["kind"]] += 1
        if decision.outcome == "setting":
            if decision.urn == case["expected"]:
                routed[case["kind"]] += 1
            else:
                wrong.append((case["case_id"], case["given_name"], case["expected"], decision.urn))
        else:
            assert decision.outcome == "local_authority" and decision.la_code == case["home_la_code"]
            assert decision.needs_resolution

    print("\nautomatic routing by kind of name:")
    for kind in sorted(by_kind):
        print(f"  {kind:15} {routed[kind]:3} of {by_kind[kind]:3}  {routed[kind] / by_kind[kind]:5.0%}")
    rate = sum(routed.values()) / len(cases)
    answerable = sum(1 for c in cases if c["expected"] != "LA")
    answerable_rate = sum(routed.values()) / answerable
    print(f"  {'overall':15} {sum(routed.values()):3} of {len(cases):3}  {rate:5.1%}   wrong settings: {len(wrong)}")
    print(f"  of the {answerable} cases whose answer is a setting, {sum(routed.values()) / answerable:.1%} routed automatically")

    assert wrong == []
    assert answerable_rate >= AUTOMATIC_RATE_FLOOR


def test_every_case_whose_answer_is_a_setting_points_at_an_open_setting_that_takes_the_child(full_register):
    for case in load_cases():
        if case["expected"] == "LA":
            continue
        setting = full_register.get(case["expected"])
        assert setting is not None and setting.is_open, case
        assert setting.takes_age(int(case["child_age"])), case


def test_the_committed_cases_are_what_the_script_builds():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "build_name_eval.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
