"""The operator's audit commands: `encompass audit export --from DATE --to DATE --out FILE.csv`."""

import csv
import getpass
import io
from datetime import date, datetime, time, timedelta
from pathlib import Path

from service.audit.service import Actor
from service.dates import LONDON
from service.db import unit_of_work


def operator_actor() -> Actor:
    """The person at the command line, as the operating system knows them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        name = "unknown"
    return Actor(type="operator", id=name[:64], source="cli")


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of the first day to the end of the last, as the days run in England."""
    if last < first:
        raise ValueError("--to must not be before --from.")
    start = datetime.combine(first, time(0), LONDON)
    end = datetime.combine(last + timedelta(days=1), time(0), LONDON)
    return start, end


def cmd_audit_export(args) -> int:
    from service.audit.export import export_audit_csv

    start, end = day_range(args.first, args.last)
    out = Path(args.out)
    with unit_of_work() as session:
        text = export_audit_csv(session, start, end, operator_actor())
        # Written before the transaction commits, so a failed write leaves no record of an export that did not happen.
        out.write_text(text, encoding="utf-8", newline="")
    rows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1
    print(f"Wrote {rows} audit events from {args.first} to {args.last} (inclusive, UK days) to {out}.")
    return 0


def register_commands(areas, area, command) -> None:
    audit = area("audit", "the audit trail")
    sub = command(audit, "export", cmd_audit_export, "export audit events for a range of days as CSV (the export is audited)")
    sub.add_argument("--from", dest="first", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    sub.add_argument("--to", dest="last", type=date.fromisoformat, required=True, help="last day, YYYY-MM-DD (included)")
    sub.add_argument("--out", required=True, help="CSV file to write")
