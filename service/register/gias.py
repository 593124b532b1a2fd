"""Reading the DfE GIAS establishments and links CSV downloads into plain records, row by row."""

import codecs
import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from service.register.records import RowProblem, SettingLink, SettingRecord

ESTABLISHMENT_COLUMNS = {
    "urn": "URN",
    "la_code": "LA (code)",
    "la_name": "LA (name)",
    "name": "EstablishmentName",
    "type_name": "TypeOfEstablishment (name)",
    "status": "EstablishmentStatus (name)",
    "open_date": "OpenDate",
    "close_date": "CloseDate",
    "phase": "PhaseOfEducation (name)",
    "low_age": "StatutoryLowAge",
    "high_age": "StatutoryHighAge",
    "postcode": "Postcode",
}
OPTIONAL_ESTABLISHMENT_COLUMNS = {"town": "Town"}
LINK_COLUMNS = {"urn": "URN", "link_urn": "LinkURN", "link_type": "LinkType"}
OPTIONAL_LINK_COLUMNS = {"established": "LinkEstablishedDate"}

_SNIFF_CHUNK = 1 << 20


def detect_encoding(path: Path | str) -> str:
    """utf-8-sig when every byte decodes as UTF-8 (our extract), else cp1252 (the real GIAS download)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as raw:
        try:
            while chunk := raw.read(_SNIFF_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _open_csv(path: Path | str):
    encoding = detect_encoding(path)
    # cp1252 leaves five byte values undefined; a stray one should cost a character, not the import.
    return open(path, encoding=encoding, errors="replace" if encoding == "cp1252" else "strict", newline="")


def _header_positions(header: list[str], wanted: dict[str, str], path: Path | str, *, required: bool) -> dict[str, int]:
    by_name = {name.strip().lstrip("\ufeff").casefold(): i for i, name in enumerate(header)}
    positions = {field: by_name.get(column.casefold()) for field, column in wanted.items()}
    missing = [wanted[field] for field, i in positions.items() if i is None]
    if missing and required:
        raise ValueError(f"{Path(path).name} is missing the column(s) {', '.join(missing)}; is it a GIAS download?")
    return {field: i for field, i in positions.items() if i is not None}


def _rows(path: Path | str, wanted: dict[str, str], optional: dict[str, str] | None = None):
    """Yields (line number, {field: text}) or (line number, problem text) for each data row."""
    with _open_csv(path) as text:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{Path(path).name} is empty; expected a GIAS CSV with a header row.")
        positions = _header_positions(header, wanted, path, required=True)
        positions |= _header_positions(header, optional or {}, path, required=False)
        needed = max(positions.values()) + 1
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) < needed:
                yield reader.line_num, None, f"has {len(values)} values but the header has {len(header)}"
                continue
            yield reader.line_num, {field: values[i].strip() for field, i in positions.items()}, None


class _BadValue(Exception):
    pass


def _whole_number(text: str, column: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise _BadValue(f"{column} '{text}' is not a number") from None


def _gias_date(text: str, column: str) -> date | None:
    if not text:
        return None
    for pattern in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _BadValue(f"{column} '{text}' is not a date like 31-08-2015")


def _urn(text: str, column: str = "URN") -> str:
    if not text.isdigit():
        raise _BadValue(f"{column} '{text}' is not a number" if text else f"{column} is empty")
    return text


def read_establishments(path: Path | str) -> Iterator[SettingRecord | RowProblem]:
    """One SettingRecord per good row, one RowProblem per row that cannot be trusted, in file order."""
    for line, row, problem in _rows(path, ESTABLISHMENT_COLUMNS, OPTIONAL_ESTABLISHMENT_COLUMNS):
        if row is None:
            yield RowProblem(line=line, urn=None, message=problem)
            continue
        urn_text = row["urn"] or None
        try:
            urn = _urn(row["urn"])
            if not row["name"]:
                raise _BadValue("EstablishmentName is empty")
            if not row["la_code"]:
                raise _BadValue("LA (code) is empty")
            if not row["status"]:
                raise _BadValue("EstablishmentStatus (name) is empty")
            low_age = _whole_number(row["low_age"], "StatutoryLowAge")
            high_age = _whole_number(row["high_age"], "StatutoryHighAge")
            if low_age is not None and high_age is not None and low_age > high_age:
                raise _BadValue(f"StatutoryLowAge {low_age} is above StatutoryHighAge {high_age}")
            record = SettingRecord(
                urn=urn,
                name=" ".join(row["name"].split()),
                la_code=row["la_code"],
                la_name=row["la_name"],
                type_name=row["type_name"],
                status=row["status"],
                phase=row["phase"],
                low_age=low_age,
                high_age=high_age,
                postcode=" ".join(row["postcode"].upper().split()) or None,
                open_date=_gias_date(row["open_date"], "OpenDate"),
                close_date=_gias_date(row["close_date"], "CloseDate"),
                town=" ".join(row.get("town", "").split()) or None,
            )
        except _BadValue as bad:
            yield RowProblem(line=line, urn=urn_text, message=str(bad))
            continue
        yield record


def read_links(path: Path | str) -> Iterator[SettingLink | RowProblem]:
    """One SettingLink per good row of a GIAS links file, one RowProblem per bad row."""
    for line, row, problem in _rows(path, LINK_COLUMNS, OPTIONAL_LINK_COLUMNS):
        if row is None:
            yield RowProblem(line=line, urn=None, message=problem)
            continue
        try:
            urn = _urn(row["urn"])
            link_urn = _urn(row["link_urn"], "LinkURN")
            if not row["link_type"]:
                raise _BadValue("LinkType is empty")
            link = SettingLink(
                urn=urn, link_urn=link_urn, link_type=row["link_type"],
                established=_gias_date(row.get("established", ""), "LinkEstablishedDate"),
            )
        except _BadValue as bad:
            yield RowProblem(line=line, urn=row["urn"] or None, message=str(bad))
            continue
        yield link


def count_data_rows(path: Path | str) -> int:
    """How many data rows read_* will look at, for a progress bar."""
    with _open_csv(path) as text:
        reader = csv.reader(text)
        next(reader, None)
        return sum(1 for values in reader if any(v.strip() for v in values))
