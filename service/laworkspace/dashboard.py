"""Oversight figures for an LA: pure functions from aggregate query results to figures, inline SVG charts and CSV rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from markupsafe import Markup, escape

from service.dates import london_days
from service.wording import short_date

MAX_PERIOD_DAYS = 731
DEFAULT_PERIOD_DAYS = 30
TOP_SETTINGS = 10


@dataclass(frozen=True)
class Period:
    """Whole days in Europe/London, both ends included."""

    start: date
    end: date

    def utc_bounds(self) -> tuple[datetime, datetime]:
        return london_days(self.start, self.end)

    @property
    def label(self) -> str:
        return f"{short_date(self.start)} to {short_date(self.end)}"




def default_period(today: date) -> Period:
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


# The service's figures start long after this; earlier years only break the date arithmetic (year 0001 minus three
# months is no date at all), so they are refused like any other impossible date.
EARLIEST_DAY = date(2000, 1, 1)
_ISO_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_UK_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_day(text: str) -> date | None:
    text = text.strip()
    try:
        if _ISO_DAY.match(text):
            year, month, day = (int(part) for part in text.split("-"))
            return date(year, month, day)
        match = _UK_DAY.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def _parse_day_in_range(text: str) -> date | None:
    day = _parse_day(text)
    return day if day is not None and day >= EARLIEST_DAY else None


def parse_period(from_text: str | None, to_text: str | None, today: date) -> tuple[Period, dict[str, str]]:
    """The period asked for in the query string; with errors keyed by field id, and the default period to fall back on."""
    fallback = default_period(today)
    if not from_text and not to_text:
        return fallback, {}
    errors: dict[str, str] = {}
    start = _parse_day_in_range(from_text) if from_text else fallback.start
    end = _parse_day_in_range(to_text) if to_text else today
    if start is None:
        errors["from"] = "Enter the start date as a real date from 2000 onwards, for example 2026-09-01"
    if end is None:
        errors["to"] = "Enter the end date as a real date from 2000 onwards, for example 2026-09-30"
    if start and end:
        if end > today:
            errors["to"] = "The end date must be today or in the past"
        elif start > end:
            errors["from"] = "The start date must be the same as or before the end date"
        elif (end - start).days >= MAX_PERIOD_DAYS:
            errors["from"] = "Choose a period of 2 years or less"
    if errors:
        return fallback, errors
    return Period(start, end), {}


def median_of_middle(middle: Sequence[float]) -> float | None:
    """The median from the one (odd count) or two (even count) middle values of a sorted set."""
    values = [float(v) for v in middle if v is not None]
    if not values:
        return None
    return sum(values) / len(values)


@dataclass(frozen=True)
class DurationSummary:
    count: int
    median_seconds: float | None
    within: int = 0  # how many were within the limit asked for


@dataclass(frozen=True)
class DashboardRows:
    """What the aggregate queries return, before any wording."""

    total: int
    by_outcome: list[tuple[str | None, int]]
    by_setting: list[tuple[str, str | None, int]]  # urn, name, count
    held_by_la: int
    police: DurationSummary
    acknowledgement: DurationSummary
    due: int
    met: int
    overdue_now: int
    repeat_children: int
    repeat_window_start: date


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class Figures:
    period: Period
    total: int
    by_outcome: list[Bar]
    by_setting: list[Bar]
    held_by_la: int
    police_count: int
    police_median_seconds: float | None
    police_within_24h: int
    police_within_24h_share: float | None
    acknowledged_count: int
    acknowledge_median_seconds: float | None
    due: int
    met: int
    met_share: float | None
    overdue_now: int
    repeat_children: int
    repeat_window_start: date


NO_OUTCOME = "No outcome recorded yet"


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def oversight_figures(rows: DashboardRows, period: Period, *, outcome_label: Callable[[str], str]) -> Figures:
    """Figures in the reader's words, largest first; no outcome recorded is its own bar."""
    by_outcome: dict[str, int] = {}
    for action, count in rows.by_outcome:
        label = outcome_label(action) if action else NO_OUTCOME
        by_outcome[label] = by_outcome.get(label, 0) + count
    return Figures(
        period=period, total=rows.total,
        by_outcome=[Bar(label, count) for label, count in sorted(by_outcome.items(), key=lambda item: (-item[1], item[0]))],
        by_setting=[Bar(f"{name or 'Unknown setting'} (URN {urn})", count) for urn, name, count in rows.by_setting],
        held_by_la=rows.held_by_la,
        police_count=rows.police.count, police_median_seconds=rows.police.median_seconds,
        police_within_24h=rows.police.within, police_within_24h_share=share(rows.police.within, rows.police.count),
        acknowledged_count=rows.acknowledgement.count, acknowledge_median_seconds=rows.acknowledgement.median_seconds,
        due=rows.due, met=rows.met, met_share=share(rows.met, rows.due),
        overdue_now=rows.overdue_now, repeat_children=rows.repeat_children, repeat_window_start=rows.repeat_window_start,
    )


def percent_text(value: float | None) -> str:
    return "No data" if value is None else f"{round(value * 100)}%"


def duration_text(seconds: float | None) -> str:
    """A duration as people say it: '2 days 3 hours', '4 hours 10 minutes', '25 minutes'."""
    if seconds is None:
        return "No data"
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if days:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f" {unit(minutes, 'minute')}" if minutes else "")
    return unit(minutes, "minute")


# ---------------------------------------------------------------- charts

CHART_WIDTH = 680
LABEL_WIDTH = 270
BAR_AREA = 330
ROW_HEIGHT = 34
BAR_HEIGHT = 22
LABEL_CHARS = 34
TEXT = "#0b0c0c"
BLUE = "#1d70b8"
GREY = "#b1b4b6"
FONT = 'font-family="GDS Transport, arial, sans-serif" font-size="16"'


def _short(label: str) -> str:
    # The table under the chart carries the full label; the chart only has room for the start of it.
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _frame(chart_id: str, title: str, description: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="la-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" focusable="false">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>{body}</svg>'
    )


def bar_chart_svg(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one a row, with the count written at the end of each so no axis needs reading."""
    description = "; ".join(f"{bar.label}: {bar.value}" for bar in bars) or "No notifications in this period."
    if not bars:
        body = f'<text x="0" y="24" fill="{TEXT}" {FONT}>No notifications in this period</text>'
        return _frame(chart_id, title, description, 40, body)
    largest = max(bar.value for bar in bars) or 1
    parts = []
    for row, bar in enumerate(bars):
        top = 8 + row * ROW_HEIGHT
        width = max(2, round(BAR_AREA * bar.value / largest)) if bar.value else 0
        middle = top + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 10}" y="{middle}" text-anchor="end" fill="{TEXT}" {FONT}>{escape(_short(bar.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{width}" height="{BAR_HEIGHT}" fill="{BLUE}"/>'
            f'<text x="{LABEL_WIDTH + width + 8}" y="{middle}" fill="{TEXT}" {FONT} font-weight="bold">{bar.value}</text>'
        )
    return _frame(chart_id, title, description, 16 + len(bars) * ROW_HEIGHT, "".join(parts))


def proportion_chart_svg(chart_id: str, title: str, part: Bar, rest: Bar) -> Markup:
    """One full-width bar split in two (e.g. on time / late), each side labelled with its count and share."""
    whole = part.value + rest.value
    description = (f"{part.label}: {part.value} of {whole} ({percent_text(share(part.value, whole))}); "
                   f"{rest.label}: {rest.value} of {whole}." if whole else "No notifications in this period.")
    if not whole:
        body = f'<text x="0" y="24" fill="{TEXT}" {FONT}>No notifications in this period</text>'
        return _frame(chart_id, title, description, 40, body)
    width = CHART_WIDTH - 2
    filled = round(width * part.value / whole)
    body = (
        f'<rect x="1" y="8" width="{width}" height="28" fill="{GREY}"/>'
        f'<rect x="1" y="8" width="{filled}" height="28" fill="{BLUE}"/>'
        f'<rect x="1" y="50" width="16" height="16" fill="{BLUE}"/>'
        f'<text x="24" y="64" fill="{TEXT}" {FONT}>{escape(part.label)}: {part.value} '
        f'({percent_text(share(part.value, whole))})</text>'
        f'<rect x="1" y="78" width="16" height="16" fill="{GREY}"/>'
        f'<text x="24" y="92" fill="{TEXT}" {FONT}>{escape(rest.label)}: {rest.value} '
        f'({percent_text(share(rest.value, whole))})</text>'
    )
    return _frame(chart_id, title, description, 104, body)


# ---------------------------------------------------------------- CSV

CSV_HEADER = ["section", "item", "value"]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(figures: Figures, la_codes: Sequence[str]) -> list[list[str]]:
    """The dashboard's figures, one a row. Counts, codes and setting names only: nothing that names a child."""
    rows = [
        ["period", "first day", figures.period.start.isoformat()],
        ["period", "last day", figures.period.end.isoformat()],
        ["period", "local authorities", " ".join(la_codes)],
        ["notifications", "received in the period", figures.total],
    ]
    rows += [["by outcome", bar.label, bar.value] for bar in figures.by_outcome]
    rows += [["by setting", bar.label, bar.value] for bar in figures.by_setting]
    rows += [
        ["by setting", "held by the local authority", figures.held_by_la],
        ["police timeliness", "notifications", figures.police_count],
        ["police timeliness", "median minutes from incident to receipt", _minutes(figures.police_median_seconds)],
        ["police timeliness", "received within 24 hours", figures.police_within_24h],
        ["police timeliness", "share received within 24 hours (%)", _percent(figures.police_within_24h_share)],
        ["acknowledgement", "acknowledged", figures.acknowledged_count],
        ["acknowledgement", "median minutes from receipt to acknowledgement", _minutes(figures.acknowledge_median_seconds)],
        ["acknowledgement", "deadline passed or acknowledged", figures.due],
        ["acknowledgement", "acknowledged by the deadline", figures.met],
        ["acknowledgement", "share acknowledged by the deadline (%)", _percent(figures.met_share)],
        ["now", "overdue now", figures.overdue_now],
        ["children", f"with 3 or more notifications since {figures.repeat_window_start.isoformat()}", figures.repeat_children],
    ]
    return [[_cell(value) for value in row] for row in rows]


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else str(round(seconds / 60))


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def csv_text(figures: Figures, la_codes: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(figures, la_codes))
    return buffer.getvalue()
