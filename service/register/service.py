"""Saving the GIAS register into the database and serving a per-process name index built from it."""

import enum
import gc
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from service.db import execute_core, utcnow
from service.register.gias import count_data_rows, read_establishments, read_links
from service.register.models import RegisterImport, Setting, SettingLinkRow
from service.register.records import OPEN_STATUS_PREFIX, RowProblem, SettingLink, SettingRecord, is_open_status
from service.routing import RegisterIndex
from service.wording import setting_label

BATCH_SIZE = 1000


@dataclass
class ImportReport:
    rows_read: int = 0
    rows_saved: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    links_removed: int = 0  # stored links of the imported settings that the links file no longer has


def _upsert(session: Session, model, rows: list[dict], keys: list[str]) -> None:
    """Insert or update in place, as one executemany (re-importing the register updates rows, never duplicates)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model.__table__)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    statement = statement.on_conflict_do_update(index_elements=keys, set_=updates) if updates else statement.on_conflict_do_nothing(index_elements=keys)
    session.connection().execute(statement, rows)


def _setting_row(record: SettingRecord, now) -> dict:
    return {
        "urn": record.urn, "name": record.name, "la_code": record.la_code, "la_name": record.la_name,
        "type_name": record.type_name, "status": record.status, "phase": record.phase,
        "low_age": record.low_age, "high_age": record.high_age, "postcode": record.postcode, "town": record.town,
        "open_date": record.open_date, "close_date": record.close_date, "updated_at": now,
    }


def import_register(
    session: Session,
    *,
    establishments: Path,
    links: Path | None,
    on_progress: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    """Creates or updates every setting (and link) in place; bad rows are reported and skipped."""
    report = ImportReport()
    run = RegisterImport(source=str(establishments))
    session.add(run)
    now = utcnow()
    seen: dict[str, dict] = {}
    imported: set[str] = set()

    def flush_settings() -> None:
        imported.update(seen)
        _upsert(session, Setting, list(seen.values()), ["urn"])
        report.rows_saved += len(seen)
        seen.clear()

    for item in read_establishments(establishments):
        report.rows_read += 1
        on_progress(1)
        if isinstance(item, RowProblem):
            report.problems.append(item)
            continue
        seen[item.urn] = _setting_row(item, now)
        if len(seen) >= BATCH_SIZE:
            flush_settings()
    flush_settings()

    if links is not None:
        known = set(session.exec(select(Setting.urn)))
        batch: dict[tuple, dict] = {}
        in_file: set[tuple] = set()
        rejected: set[str] = set()
        for item in read_links(links):
            report.rows_read += 1
            on_progress(1)
            if isinstance(item, RowProblem):
                report.problems.append(item)
                rejected.add(item.urn or "")
                continue
            in_file.add((item.urn, item.link_urn, item.link_type))
            if item.urn not in known or item.link_urn not in known:
                report.problems.append(RowProblem(line=0, urn=item.urn, message=f"link to {item.link_urn} names a setting not in the register"))
                continue
            batch[(item.urn, item.link_urn, item.link_type)] = {
                "urn": item.urn, "link_urn": item.link_urn, "link_type": item.link_type, "established": item.established,
            }
            if len(batch) >= BATCH_SIZE:
                _upsert(session, SettingLinkRow, list(batch.values()), ["urn", "link_urn", "link_type"])
                batch.clear()
        _upsert(session, SettingLinkRow, list(batch.values()), ["urn", "link_urn", "link_type"])
        report.links_removed = _remove_links_not_in(session, imported, in_file, keep_for=rejected)

    run.finished_at = utcnow()
    run.rows_read, run.rows_saved, run.rows_rejected = report.rows_read, report.rows_saved, len(report.problems)
    session.add(run)
    session.flush()
    return report


def _remove_links_not_in(session: Session, imported: set[str], in_file: set[tuple], *, keep_for: set[str]) -> int:
    """GIAS's links file is a whole snapshot: a stored link of an imported setting that it no longer has was
    withdrawn (a successor recorded in error, say), and would keep routing children given the closed URN to the
    wrong school. Links of settings with a rejected row in the file stay, until a good row says otherwise."""
    stale = [key for key in session.exec(select(SettingLinkRow.urn, SettingLinkRow.link_urn, SettingLinkRow.link_type))
             if key[0] in imported and tuple(key) not in in_file and key[0] not in keep_for]
    for urn, link_urn, link_type in stale:
        session.exec(sa.delete(SettingLinkRow).where(SettingLinkRow.urn == urn, SettingLinkRow.link_urn == link_urn,
                                                     SettingLinkRow.link_type == link_type))
    return len(stale)


def rows_to_import(establishments: Path, links: Path | None) -> int:
    return count_data_rows(establishments) + (count_data_rows(links) if links else 0)


def load_index(session: Session) -> RegisterIndex:
    """Reads the register as plain rows (no ORM objects: 30,000 of them cost seconds) and indexes it."""
    connection = session.connection()
    settings = (
        SettingRecord(
            urn=r.urn, name=r.name, la_code=r.la_code, la_name=r.la_name, type_name=r.type_name, status=r.status,
            phase=r.phase, low_age=r.low_age, high_age=r.high_age, postcode=r.postcode, open_date=r.open_date,
            close_date=r.close_date, town=r.town,
        )
        for r in connection.execute(sa.select(Setting.__table__).where(sa.true()))
    )
    links = (
        SettingLink(urn=r.urn, link_urn=r.link_urn, link_type=r.link_type, established=r.established)
        for r in connection.execute(sa.select(SettingLinkRow.__table__))
    )
    return RegisterIndex.build(settings, links)


_IMPORTS = RegisterImport.__table__.c
# A column read built once, with no ORM entity to set up: it runs for every incident.
# The register's version: the newest finished import (None before the first). Public so a caller can read it
# together with its own columns and hand it to IndexCache.get.
NEWEST_FINISHED_IMPORT = sa.select(sa.func.max(_IMPORTS.id)).where(_IMPORTS.finished_at.is_not(None))


class Unread(enum.Enum):
    UNREAD = "unread"


UNREAD = Unread.UNREAD  # IndexCache.get's newest_import when the caller has not read it


class IndexCache:
    """One RegisterIndex per process, rebuilt only when a newer import has finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = -1
        self._index: RegisterIndex | None = None

    def get(self, session: Session, *, newest_import: int | None | Unread = UNREAD) -> RegisterIndex:
        """The index of the register as of the newest finished import: `newest_import` if the caller read it in
        this transaction, else read here."""
        version = execute_core(session, NEWEST_FINISHED_IMPORT).scalar_one() if newest_import is UNREAD else newest_import
        if self._index is not None and version == self._version:
            return self._index
        with self._lock:
            if self._index is None or version != self._version:
                self._index = load_index(session)
                self._version = version
                _exempt_from_garbage_collection()
        return self._index


def _exempt_from_garbage_collection() -> None:
    """Moves what the process holds now, the new index above all, out of the collector's sight.

    The index is a few hundred thousand objects that live as long as the process. Left in the oldest generation,
    every full collection walks them all (measured: 230-250 ms each, once or twice in 1,636 intake requests, a stall
    each time). Frozen, a full collection walks only what requests made. What an earlier freeze kept goes back to
    the collector first, and garbage is collected before freezing, so nothing unreachable stays frozen for good. The
    index an import replaces is freed when its last reference goes: it holds no reference cycles (a test says so)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


index_cache = IndexCache()


def search_settings(session: Session, text: str, *, la_codes: Iterable[str] | None = None, limit: int = 20) -> list[Setting]:
    """Register search for people (re-routing, invitations): by URN or part of the name, open settings first."""
    text = text.strip()
    query = select(Setting)
    if text.isdigit():
        query = query.where(Setting.urn == text)
    else:
        for word in text.split()[:6]:
            query = query.where(Setting.name.ilike(f"%{word}%"))
    if la_codes is not None:
        query = query.where(Setting.la_code.in_(list(la_codes)))
    query = query.order_by(sa.case((Setting.status.like(f"{OPEN_STATUS_PREFIX}%"), 0), else_=1), Setting.name).limit(limit)
    return list(session.exec(query))


def setting_labels(session: Session, urns: Iterable[str]) -> dict[str, str]:
    """Each URN as people read it, "Name (URN 123456)", in one query; a URN not in the register is "URN 123456"."""
    wanted = sorted({urn for urn in urns if urn})
    names = dict(session.exec(select(Setting.urn, Setting.name).where(Setting.urn.in_(wanted))).all()) if wanted else {}
    return {urn: setting_label(names.get(urn), urn) for urn in wanted}


def closed_settings(session: Session, urns: Iterable[str]) -> frozenset[str]:
    """Those of these URNs whose setting has closed, in one query."""
    wanted = sorted({urn for urn in urns if urn})
    if not wanted:
        return frozenset()
    return frozenset(urn for urn, status in session.exec(select(Setting.urn, Setting.status).where(Setting.urn.in_(wanted)))
                     if not is_open_status(status))
