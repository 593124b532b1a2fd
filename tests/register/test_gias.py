"""The GIAS importer reads our UTF-8 extract and the real Windows-1252 download alike, row by row."""

from datetime import date

import pytest

from service.register.gias import count_data_rows, read_establishments, read_links
from service.register.records import RowProblem, SettingLink, SettingRecord

HEADER = (
    "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
    "EstablishmentStatus (name),OpenDate,CloseDate,PhaseOfEducation (name),StatutoryLowAge,StatutoryHighAge,"
    "Street,Locality,Town,Postcode"
)


def write_csv(path, lines, encoding="utf-8"):
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def test_reads_a_utf8_extract_with_crlf_and_quoted_commas(tmp_path):
    path = write_csv(tmp_path / "establishments.csv", [
        HEADER,
        '100000,201,City of London,,"Sir John Cass\'s Foundation Primary School",Community school,Open,,,Primary,3,11,"St James\'s Passage, Aldgate",,London,ec3a  5de',
        "140001,830,Derbyshire,2001,Oakfield Infant School,Academy converter,Closed,01-09-1990,31-08-2014,Primary,4,7,,,,DE1 1AA",
    ])

    first, second = list(read_establishments(path))

    assert first == SettingRecord(
        urn="100000", name="Sir John Cass's Foundation Primary School", la_code="201", la_name="City of London",
        type_name="Community school", status="Open", phase="Primary", low_age=3, high_age=11, postcode="EC3A 5DE",
        open_date=None, close_date=None, town="London",
    )
    assert second.town is None
    assert first.is_open
    assert not second.is_open
    assert (second.open_date, second.close_date) == (date(1990, 9, 1), date(2014, 8, 31))


def test_reads_a_windows_1252_download_and_keeps_accented_names(tmp_path):
    path = write_csv(tmp_path / "edubase.csv", [
        HEADER,
        "123456,919,Hertfordshire,,École Française Jacques Prévert,Other independent school,"
        "\"Open, but proposed to close\",,,Primary,4,11,,,,WD1 1AA",
    ], encoding="cp1252")

    (record,) = list(read_establishments(path))

    assert record.name == "École Française Jacques Prévert"
    assert record.status == "Open, but proposed to close"
    assert record.is_open


def test_picks_columns_by_name_whatever_their_order_and_ignores_extra_ones(tmp_path):
    path = write_csv(tmp_path / "full_gias.csv", [
        "Postcode,StatutoryHighAge,StatutoryLowAge,PhaseOfEducation (name),CloseDate,OpenDate,EstablishmentStatus (name),"
        "TypeOfEstablishment (name),EstablishmentName,LA (name),LA (code),URN,Gender (name),SchoolCapacity",
        "NG1 1AA,11,7,Primary,,,Open,Community school,Meadow Junior School,Nottingham,892,200001,Mixed,240",
    ])

    (record,) = list(read_establishments(path))

    assert (record.urn, record.name, record.la_code, record.low_age, record.high_age, record.postcode) == (
        "200001", "Meadow Junior School", "892", 7, 11, "NG1 1AA")


def test_a_bad_row_is_reported_in_plain_english_and_the_rest_still_read(tmp_path):
    path = write_csv(tmp_path / "establishments.csv", [
        HEADER,
        "100001,201,City of London,,Good School,Community school,Open,,,Primary,4,11,,,,EC1 1AA",
        "100002,201,City of London,,Bad Age School,Community school,Open,,,Primary,x,11,,,,EC1 1AA",
        "100003,201,City of London,,Bad Date School,Community school,Closed,,2015-31-08,Primary,4,11,,,,EC1 1AA",
        "ABC,201,City of London,,No Urn School,Community school,Open,,,Primary,4,11,,,,EC1 1AA",
        "100005,201,City of London,,Short Row",
        "100006,201,City of London,,Upside Down School,Community school,Open,,,Primary,11,4,,,,EC1 1AA",
        "100007,201,City of London,,Last Good School,Community school,Open,,,Primary,4,11,,,,EC1 1AA",
    ])

    items = list(read_establishments(path))

    assert [i.urn for i in items if isinstance(i, SettingRecord)] == ["100001", "100007"]
    problems = [i for i in items if isinstance(i, RowProblem)]
    assert [(p.line, p.urn) for p in problems] == [(3, "100002"), (4, "100003"), (5, "ABC"), (6, None), (7, "100006")]
    assert problems[0].message == "StatutoryLowAge 'x' is not a number"
    assert "CloseDate '2015-31-08'" in problems[1].message
    assert problems[2].message == "URN 'ABC' is not a number"
    assert "header" in problems[3].message
    assert problems[4].message == "StatutoryLowAge 11 is above StatutoryHighAge 4"


def test_a_file_without_the_needed_columns_is_refused_naming_them(tmp_path):
    path = write_csv(tmp_path / "wrong.csv", ["URN,EstablishmentName,Town", "100001,Good School,London"])

    with pytest.raises(ValueError) as refused:
        list(read_establishments(path))

    message = str(refused.value)
    assert "LA (code)" in message and "StatutoryLowAge" in message and "EstablishmentStatus (name)" in message
    assert "EstablishmentName" not in message


def test_reads_links_and_knows_which_point_to_a_successor(tmp_path):
    path = write_csv(tmp_path / "links.csv", [
        "URN,LinkURN,LinkName,LinkType,LinkEstablishedDate",
        "100012,100021,Rhyl Community Primary School,Successor - merged,31-08-2021",
        "100021,100012,Carlton Primary School,Predecessor - merged,31-08-2021",
        "100016,132245,Kingsgate Primary School,Successor,",
        "100017,,Nowhere,Successor,",
    ])

    items = list(read_links(path))

    assert items[:3] == [
        SettingLink("100012", "100021", "Successor - merged", date(2021, 8, 31)),
        SettingLink("100021", "100012", "Predecessor - merged", date(2021, 8, 31)),
        SettingLink("100016", "132245", "Successor", None),
    ]
    assert [link.is_successor for link in items[:3]] == [True, False, True]
    assert items[3] == RowProblem(line=5, urn="100017", message="LinkURN is empty")


def test_counts_data_rows_for_the_progress_bar_including_quoted_line_breaks(tmp_path):
    path = write_csv(tmp_path / "establishments.csv", [
        HEADER,
        '100001,201,City of London,,"Two\r\nLine School",Community school,Open,,,Primary,4,11,,,,EC1 1AA',
        "100002,201,City of London,,Plain School,Community school,Open,,,Primary,4,11,,,,EC1 1AA",
        "",
    ])

    assert count_data_rows(path) == 2
    assert [r.name for r in read_establishments(path)] == ["Two Line School", "Plain School"]
