"""Properties of reading an extract and writing the dashboard's CSV, over generated (often hostile) input."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.policeportal import extract, readback
from tests.builders import BRIMINGTON_JUNIOR

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@SETTINGS
@given(st.binary(max_size=4000))
def test_any_bytes_give_incidents_or_problems_never_both_and_never_a_crash(raw):
    result = extract.read_extract(raw)
    assert bool(result.incidents) != bool(result.problems)
    assert all(problem.text for problem in result.problems)


@SETTINGS
@given(st.lists(st.fixed_dictionaries({name: cells for name in extract.COLUMNS}), min_size=1, max_size=8))
def test_generated_rows_either_pass_whole_or_are_refused_with_each_problem_on_a_real_row(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=extract.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    result = extract.read_extract(buffer.getvalue().encode())
    if result.problems:
        assert result.incidents == []
        assert all(0 <= problem.row <= len(rows) + 1 for problem in result.problems)
        assert all(problem.column is None or problem.column in extract.COLUMNS for problem in result.problems)
    else:
        non_blank = [r for r in rows if any(value.strip() for value in r.values())]
        assert result.children == len(non_blank)


@SETTINGS
@given(st.lists(st.sampled_from(["C1", "C2", "C3", "C4"]), min_size=1, max_size=6),
       st.sampled_from(["DC-1", "DC-2"]))
def test_children_stay_with_their_incident_and_a_repeated_reference_is_always_refused(child_refs, reference):
    rows = [{**extract.TEMPLATE_ROWS[0], "police_reference": reference, "child_reference": ref,
             "setting_urn": BRIMINGTON_JUNIOR, "setting_name": ""} for ref in child_refs]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=extract.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    result = extract.read_extract(buffer.getvalue().encode())
    if len(set(child_refs)) < len(child_refs):
        assert {p.column for p in result.problems} == {"child_reference"}
    else:
        assert [c.child_reference for c in result.incidents[0].submission.children] == child_refs


@SETTINGS
@given(st.one_of(st.none(), st.text(), st.integers()))
def test_no_exported_cell_can_start_a_formula(value):
    assert not readback.safe_cell(value).startswith(readback.FORMULA_START)
