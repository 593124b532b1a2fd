"""Oversight figures for an LA: pure functions from aggregate query results to figures, inline SVG charts and CSV rows."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from markupsafe import Markup, escape

from service.dates import london_days, months_before
from service import wording
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




def repeat_window_start(period: Period) -> date:
    """The first day of the three months, to the period's end, in which three incidents make a repeat child."""
    return months_before(period.end, 3)


def default_period(today: date) -> Period:
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


# The service's figures start long after this; earlier years only break the date arithmetic (year 0001 minus three
# months is no date at all), so they are refused like any other impossible date.
EARLIEST_DAY = date(2000, 1, 1)
_ISO_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_UK_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
DATE_PARTS = ("day", "month", "year")
PERIOD_ENDS = {"from": "start date", "to": "end date"}


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


@dataclass(frozen=True)
class PeriodForm:
    """The period's two GOV.UK date inputs as typed, what is wrong with them (by the id of the part to link to, in page
    order) and every part to outline in red."""

    values: dict[str, str]
    errors: dict[str, str]
    wrong_fields: frozenset[str] = frozenset()



def period_query(period: Period) -> str:
    """The period as the dashboard's query string, for links that keep it (the CSV, the children counted)."""
    return urlencode(period_values(period))


def period_values(period: Period) -> dict[str, str]:
    values = {}
    for name, day in (("from", period.start), ("to", period.end)):
        values.update({f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)})
    return values


def _typed_day(params: Mapping[str, str], name: str) -> tuple[date | None, str | None, list[str], bool]:
    """(the date, an error message, the parts it concerns, whether anything was typed), GOV.UK date input rules.
    An old-style bookmark (?from=2026-09-01) is read too."""
    what = PERIOD_ENDS[name]
    every = [f"{name}-{part}" for part in DATE_PARTS]
    parts = {part: (params.get(f"{name}-{part}") or "").strip()[:10] for part in DATE_PARTS}
    if not any(parts.values()):
        legacy = (params.get(name) or "").strip()
        if not legacy:
            return None, None, [], False
        day = _parse_day(legacy[:20])
        if day is None:
            return None, f"The {what} must be a real date", every, True
        return day, None, [], True
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        return None, f"The {what} must include a {' and a '.join(missing)}", [f"{name}-{part}" for part in missing], True
    if not all(parts[part].isdigit() for part in DATE_PARTS) or len(parts["year"]) != 4:
        wrong = [f"{name}-{part}" for part in DATE_PARTS if not parts[part].isdigit()] or [f"{name}-year"]
        return None, f"The {what} must be a real date", wrong, True
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None, [], True
    except (ValueError, OverflowError):
        return None, f"The {what} must be a real date", every, True


def parse_period(params: Mapping[str, str], today: date) -> tuple[Period, PeriodForm]:
    """The period asked for in the query string, and the form to show again. With errors, the default period is
    shown beside them. Nothing typed at all is the default period. Pure."""
    fallback = default_period(today)
    errors: dict[str, str] = {}
    wrong: set[str] = set()
    days: dict[str, date] = {}
    typed_any = False
    for name, default in (("from", fallback.start), ("to", today)):
        day, message, parts, typed = _typed_day(params, name)
        typed_any = typed_any or typed
        if message:
            errors[parts[0]] = message
            wrong.update(parts)
        elif day is not None and day < EARLIEST_DAY:
            errors[f"{name}-day"] = f"The {PERIOD_ENDS[name]} must be in 2000 or later"
            wrong.update(f"{name}-{part}" for part in DATE_PARTS)
        elif day is not None and day > today:
            errors[f"{name}-day"] = f"The {PERIOD_ENDS[name]} must be today or in the past"
            wrong.update(f"{name}-{part}" for part in DATE_PARTS)
        else:
            days[name] = day or default
    if not typed_any:
        return fallback, PeriodForm(values=period_values(fallback), errors={})
    if not errors:
        to_every = {f"to-{part}" for part in DATE_PARTS}
        if days["from"] > days["to"]:
            errors["to-day"] = "The end date must be the same as or after the start date"
            wrong.update(to_every)
        elif (days["to"] - days["from"]).days >= MAX_PERIOD_DAYS:
            errors["to-day"] = "Choose a period of 2 years or less"
            wrong.update(to_every)
    if errors:
        typed_values = {f"{name}-{part}": (params.get(f"{name}-{part}") or "").strip()[:10]
                        for name in PERIOD_ENDS for part in DATE_PARTS}
        if not any(typed_values.values()):
            typed_values = period_values(fallback)
        return fallback, PeriodForm(values=typed_values, errors=errors, wrong_fields=frozenset(wrong))
    period = Period(days["from"], days["to"])
    return period, PeriodForm(values=period_values(period), errors={})


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
    by_setting: list[tuple[str, str | None, int]]  # urn, name, count: the top settings only
    held_by_la: int
    police: DurationSummary
    acknowledgement: DurationSummary
    due: int
    met: int
    overdue_now: int
    repeat_children: int
    repeat_window_start: date
    other_settings: int = 0  # notifications at settings beyond the top ones
    not_routed: int = 0  # outside the scheme (18 or over): in the total, held by nobody
    hand_overs: list[tuple[str, int]] = field(default_factory=list)  # (sent_back / rerouted / onboarded, how many)


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
    by_holder: list[Bar] = field(default_factory=list)  # every notification once: top settings, other settings, LA, nobody
    other_settings: int = 0
    not_routed: int = 0
    hand_overs: list[Bar] = field(default_factory=list)


NO_OUTCOME = "No outcome recorded yet"


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


OTHER_SETTINGS = "Other settings"
HELD_BY_LA = "Held by the local authority"
NOT_ROUTED = "Not routed: outside the scheme (18 or over)"
HAND_OVER_LABELS = {"sent_back": "Sent back by a setting", "rerouted": "Re-routed by an officer",
                    "onboarded": "Handed to a setting's new Key Adult"}


def oversight_figures(rows: DashboardRows, period: Period, *, outcome_label: Callable[[str], str]) -> Figures:
    """Figures in the reader's words, largest first; no outcome recorded is its own bar. Who holds them adds up to
    the total: the top settings, then the rest of the settings, the LA, and those outside the scheme."""
    by_outcome: dict[str, int] = {}
    for action, count in rows.by_outcome:
        label = outcome_label(action) if action else NO_OUTCOME
        by_outcome[label] = by_outcome.get(label, 0) + count
    by_setting = [Bar(wording.setting_label(name, urn), count) for urn, name, count in rows.by_setting]
    by_holder = [*by_setting]
    for label, count in ((OTHER_SETTINGS, rows.other_settings), (HELD_BY_LA, rows.held_by_la), (NOT_ROUTED, rows.not_routed)):
        if count or label == HELD_BY_LA:
            by_holder.append(Bar(label, count))
    return Figures(
        period=period, total=rows.total,
        by_outcome=[Bar(label, count) for label, count in sorted(by_outcome.items(), key=lambda item: (-item[1], item[0]))],
        by_setting=by_setting, held_by_la=rows.held_by_la, by_holder=by_holder,
        other_settings=rows.other_settings, not_routed=rows.not_routed,
        hand_overs=[Bar(HAND_OVER_LABELS.get(kind, kind), count) for kind, count in sorted(
            rows.hand_overs, key=lambda item: list(HAND_OVER_LABELS).index(item[0]) if item[0] in HAND_OVER_LABELS else 99)],
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

CHART_WIDTH = 480  # narrow, so the text stays readable when a phone shrinks the chart to fit
BAR_AREA = 420  # room left after the bar for its count
LINE_HEIGHT = 20
BAR_HEIGHT = 22
ROW_GAP = 14
LABEL_CHARS = 46  # a line of label at 16px in the chart's width; longer labels wrap, never cut
TEXT = "#0b0c0c"
BLUE = "#1d70b8"
GREY = "#b1b4b6"
FONT = 'font-family="GDS Transport, arial, sans-serif" font-size="16"'


def label_lines(label: str, width: int = LABEL_CHARS) -> list[str]:
    """A label wrapped at spaces into lines of at most `width` characters; a longer word is split. Pure."""
    lines: list[str] = []
    line = ""
    for word in label.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def _frame(chart_id: str, title: str, description: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="la-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" focusable="false">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>{body}</svg>'
    )


def bar_chart_svg(chart_id: str, title: str, bars: Sequence[Bar], *, empty: str = "No notifications in this period") -> Markup:
    """Horizontal bars, each under its whole label (wrapped, never cut off), with the count written at the end of
    the bar so no axis needs reading."""
    description = "; ".join(f"{bar.label}: {bar.value}" for bar in bars) or f"{empty}."
    if not bars:
        body = f'<text x="0" y="24" fill="{TEXT}" {FONT}>{escape(empty)}</text>'
        return _frame(chart_id, title, description, 40, body)
    largest = max(bar.value for bar in bars) or 1
    parts = []
    top = 4
    for bar in bars:
        lines = label_lines(bar.label)
        tspans = "".join(f'<tspan x="0" dy="{0 if i == 0 else LINE_HEIGHT}">{escape(line)}</tspan>'
                         for i, line in enumerate(lines))
        parts.append(f'<text class="la-chart__label" x="0" y="{top + 15}" fill="{TEXT}" {FONT}>{tspans}</text>')
        bar_top = top + len(lines) * LINE_HEIGHT + 2
        width = max(2, round(BAR_AREA * bar.value / largest)) if bar.value else 0
        parts.append(
            f'<rect x="0" y="{bar_top}" width="{width}" height="{BAR_HEIGHT}" fill="{BLUE}"/>'
            f'<text x="{width + 8}" y="{bar_top + BAR_HEIGHT / 2 + 5}" fill="{TEXT}" {FONT} font-weight="bold">{bar.value}</text>'
        )
        top = bar_top + BAR_HEIGHT + ROW_GAP
    return _frame(chart_id, title, description, top, "".join(parts))


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
        ["by setting", "other settings", figures.other_settings],
        ["by setting", "held by the local authority", figures.held_by_la],
        ["by setting", "not routed: outside the scheme", figures.not_routed],
        ["police timeliness", "notifications", figures.police_count],
        ["police timeliness", "median minutes from incident to receipt", _minutes(figures.police_median_seconds)],
        ["police timeliness", "received within 24 hours", figures.police_within_24h],
        ["police timeliness", "share received within 24 hours (%)", _percent(figures.police_within_24h_share)],
        ["acknowledgement", "acknowledged", figures.acknowledged_count],
        ["acknowledgement", "median minutes from receipt to acknowledgement", _minutes(figures.acknowledge_median_seconds)],
        ["acknowledgement", "deadline passed or acknowledged", figures.due],
        ["acknowledgement", "acknowledged by the deadline", figures.met],
        ["acknowledgement", "share acknowledged by the deadline (%)", _percent(figures.met_share)],
        *(["hand-overs", bar.label, bar.value] for bar in figures.hand_overs),
        ["now", "overdue now", figures.overdue_now],
        ["children", f"with 3 or more incidents since {figures.repeat_window_start.isoformat()}", figures.repeat_children],
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
