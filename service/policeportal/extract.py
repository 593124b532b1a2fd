"""Reading a force's CSV extract: one row per child, decoded, checked row by row with the API's rules. Pure.

Nothing here touches the database: a file either becomes a list of checked incidents or a list of problems, each
with its spreadsheet row number and column, and never both.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from service.notifications.schemas import IncidentSubmission
from service.policeportal.submission import Location, Problem, check_incident

LONDON = ZoneInfo("Europe/London")
MAX_ROWS = 2000  # children (data rows) in one file
MAX_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 50
INCIDENT_COLUMNS = ("police_reference", "occurred_at", "risk_level", "summary", "police_actions")
CHILD_COLUMNS = ("child_reference", "given_name", "family_name", "date_of_birth", "upn", "home_la_code",
                 "home_postcode", "education_status", "setting_urn", "setting_name", "present_at_incident",
                 "spoken_to", "child_voice")
COLUMNS = INCIDENT_COLUMNS + CHILD_COLUMNS
REQUIRED_COLUMNS = ("police_reference", "occurred_at", "risk_level", "summary", "child_reference", "given_name",
                    "family_name", "date_of_birth", "education_status")
# The whole incident is given again on each of its children's rows, and must be the same on every one.
SHARED_COLUMNS = ("occurred_at", "risk_level", "summary", "police_actions")
ACTION_SEPARATOR = ";"
YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_LOCAL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_NUMBER = re.compile(r"^-\d[\d.,]*$")

TEMPLATE_ROWS = [
    {"police_reference": "DC-2026-000555", "occurred_at": "2026-11-22 21:40", "risk_level": "medium",
     "summary": "Argument between adults; one adult arrested.", "police_actions": "DASH risk assessment completed; Arrest",
     "child_reference": "C1", "given_name": "Ellie", "family_name": "Brookes", "date_of_birth": "2017-03-04",
     "upn": "", "home_la_code": "830", "home_postcode": "", "education_status": "attends_setting",
     "setting_urn": "", "setting_name": "Brimington Junior", "present_at_incident": "yes", "spoken_to": "no",
     "child_voice": ""},
    {"police_reference": "DC-2026-000555", "occurred_at": "2026-11-22 21:40", "risk_level": "medium",
     "summary": "Argument between adults; one adult arrested.", "police_actions": "DASH risk assessment completed; Arrest",
     "child_reference": "C2", "given_name": "Noah", "family_name": "Brookes", "date_of_birth": "2011-05-10",
     "upn": "", "home_la_code": "830", "home_postcode": "", "education_status": "elective_home_education",
     "setting_urn": "", "setting_name": "", "present_at_incident": "", "spoken_to": "", "child_voice": ""},
]


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str | None
    message: str

    @property
    def text(self) -> str:
        where = f"Row {self.row}" + (f", {self.column}" if self.column else "") if self.row else "The file"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ExtractIncident:
    submission: IncidentSubmission
    rows: tuple[int, ...]  # each child's row, in the children's order


@dataclass(frozen=True)
class Extract:
    incidents: list[ExtractIncident] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    blank_lines: int = 0

    @property
    def children(self) -> int:
        return sum(len(incident.submission.children) for incident in self.incidents)


def template_csv() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(TEMPLATE_ROWS)
    return buffer.getvalue()


def decode(raw: bytes) -> tuple[str | None, RowProblem | None]:
    """The file's text: UTF-8 (with or without a byte-order mark) or Windows-1252, as spreadsheets save them."""
    if len(raw) > MAX_BYTES:
        return None, RowProblem(0, None, f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        return None, RowProblem(0, None, "The file is not saved as CSV UTF-8 or Windows-1252 (it looks like UTF-16). "
                                         "Save it again as \u201cCSV UTF-8\u201d")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), None
    except UnicodeDecodeError:
        return None, RowProblem(0, None, "The file is not saved as CSV UTF-8 or Windows-1252. Save it again as \u201cCSV UTF-8\u201d")


def _formula_like(text: str) -> bool:
    if not text:
        return False
    if text[0] in "=+@\t\r":
        return True
    return text[0] == "-" and not _NUMBER.match(text)


def _occurred_at(text: str) -> str:
    """ISO 8601 with an offset as the API takes it, or a date and time without one, read as UK time."""
    match = _LOCAL_TIME.match(text.strip())
    if match is None:
        return text.strip()
    try:
        local = datetime.fromisoformat(match[1]).replace(hour=int(match[2]), minute=int(match[3]),
                                                          second=int(match[4] or 0), tzinfo=LONDON)
    except ValueError:
        return text.strip()
    return local.isoformat()


def _date(text: str) -> str:
    match = _UK_DATE.match(text.strip())
    return f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}" if match else text.strip()


def _child(row: dict[str, str]) -> dict:
    child: dict = {}
    for name in CHILD_COLUMNS:
        value = row.get(name, "")
        if not value.strip():
            continue
        if name == "date_of_birth":
            child[name] = _date(value)
        elif name in ("present_at_incident", "spoken_to"):
            child[name] = YES_NO.get(value.strip().lower(), value)  # anything else: the schema's yes/no message
        elif name in ("upn", "home_postcode"):
            child[name] = value.strip().upper()
        else:
            child[name] = value
    return child


def _incident(first: dict[str, str]) -> dict:
    body: dict = {
        "police_reference": first.get("police_reference", ""),
        "risk_level": first.get("risk_level", "").strip().lower().replace(" ", "_"),
        "summary": first.get("summary", ""),
        "police_actions": [a.strip() for a in first.get("police_actions", "").split(ACTION_SEPARATOR) if a.strip()],
        "children": [],
    }
    if first.get("occurred_at", "").strip():
        body["occurred_at"] = _occurred_at(first["occurred_at"])
    return body


def _header_problems(header: list[str]) -> list[RowProblem]:
    problems = []
    seen = set()
    for name in header:
        if name in seen:
            problems.append(RowProblem(1, name, "This column is in the file twice. Keep one"))
        elif name not in COLUMNS:
            shown = name if name else "(blank)"
            problems.append(RowProblem(1, shown, "This is not one of the template's columns. Remove it or rename it"))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(RowProblem(1, name, "This column is missing. Every file needs it: use the template's header row"))
    return problems


def read_extract(raw: bytes) -> Extract:
    """Every row checked, before anything is stored: the incidents, or every problem found by row and column."""
    text, problem = decode(raw)
    if problem is not None:
        return Extract(problems=[problem])
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:  # e.g. a quote mark opened and never closed, so the rest of the file became one huge cell
        return Extract(problems=[RowProblem(0, None, "A quote mark (\") in the file is not closed. Check the cells "
                                                     "that contain quote marks, or save the file again from the template")])
    numbered = [(number, record) for number, record in enumerate(records, start=1)]
    blank = [number for number, record in numbered if not any(cell.strip() for cell in record)]
    content = [(number, record) for number, record in numbered if number not in set(blank)]
    if not content:
        return Extract(problems=[RowProblem(0, None, "The file is empty. Use the template and add a row for each child")])
    header_row, header = content[0]
    header = [name.strip().lower() for name in header]
    problems = _header_problems(header)
    if problems:
        return Extract(problems=problems)
    data = content[1:]
    if not data:
        return Extract(problems=[RowProblem(0, None, "The file has a header row but no children. Add a row for each child")])
    if len(data) > MAX_ROWS:
        return Extract(problems=[RowProblem(0, None, f"The file has {len(data):,} rows of children; the most is "
                                                     f"{MAX_ROWS:,}. Split it into smaller files")])

    rows: list[tuple[int, dict[str, str]]] = []
    for number, record in data:
        if len(record) != len(header):
            problems.append(RowProblem(number, None, f"This row has {len(record)} cells but the header has "
                                                     f"{len(header)} columns. Check for a stray comma or a missing cell"))
            continue
        row = dict(zip(header, record, strict=True))
        for name in header:
            if _formula_like(row[name]):
                problems.append(RowProblem(number, name, "This starts with a character spreadsheets run as a formula "
                                                         "(= + - @). Remove it or start the text another way"))
        rows.append((number, row))
    if problems:
        return Extract(problems=problems)

    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        groups.setdefault(row["police_reference"].strip(), []).append((number, row))
    incidents = []
    for reference, members in groups.items():
        first_number, first = members[0]
        for number, row in members[1:]:
            for name in SHARED_COLUMNS:
                if name in header and row[name].strip() != first[name].strip():
                    problems.append(RowProblem(number, name, f"This is not the same as on row {first_number}, for the same "
                                                             "police reference. Give the incident's details the same on every row"))
        if len(members) > 20:
            problems.append(RowProblem(members[20][0], "police_reference",
                                       f"Incident {reference or '(blank)'} has {len(members)} children; the most for one incident is 20"))
            continue
        body = _incident(first)
        body["children"] = [_child(row) for _, row in members]
        submission, found = check_incident(body)
        problems += [_at_row(problem, members) for problem in found]
        if submission is not None:
            incidents.append(ExtractIncident(submission, tuple(number for number, _ in members)))
    if problems:
        return Extract(problems=sorted(problems, key=lambda p: p.row))
    return Extract(incidents=incidents, blank_lines=len(blank))


def _at_row(problem: Problem, members: list[tuple[int, dict[str, str]]]) -> RowProblem:
    location: Location = problem.location
    if len(location) == 3 and location[0] == "children":
        return RowProblem(members[int(location[1])][0], str(location[2]), problem.message)
    column = "child_reference" if location == ("children",) else str(location[0]) if location else None
    return RowProblem(members[0][0], column, problem.message)
