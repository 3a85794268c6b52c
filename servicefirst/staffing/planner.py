"""The staffing planner: from a forecast of calls per half-hour and their handle times, the
agents each interval needs to meet a service level, by Erlang C and by Erlang A (callers who
hang up), with what those agents achieve. Pure: no database, no HTTP."""

import csv
import datetime
import io
import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from servicefirst.core.errors import ValidationFailed
from servicefirst.core.tabular import shown
from servicefirst.staffing import erlang

MAX_ROWS = 96


@dataclass(frozen=True)
class Interval:
    start: datetime.time
    calls: float
    aht_s: float


@dataclass(frozen=True)
class Target:
    service_level: float = 0.9  # share answered within `answer_s`
    answer_s: float = 15.0  # "three rings"
    patience_s: float = 120.0  # mean patience of callers (Erlang A)
    interval_minutes: int = 30
    max_occupancy: float | None = None


@dataclass(frozen=True)
class Staffing:
    agents: int
    service_level: float
    asa_s: float
    occupancy: float
    abandon: float


@dataclass(frozen=True)
class IntervalPlan:
    interval: Interval
    traffic: float  # Erlangs offered
    erlang_c: Staffing
    erlang_a: Staffing


@dataclass(frozen=True)
class Plan:
    target: Target
    rows: list[IntervalPlan]
    calls: float
    agent_hours_c: float
    agent_hours_a: float
    peak_c: int
    peak_a: int


def _staffing_c(rate: float, aht: float, target: Target) -> Staffing:
    n = erlang.agents_for_service_level(
        rate, aht, target.service_level, target.answer_s, max_occupancy=target.max_occupancy
    )
    return Staffing(
        agents=n,
        service_level=erlang.service_level_c(rate, aht, n, target.answer_s),
        asa_s=erlang.asa_c(rate, aht, n),
        occupancy=erlang.occupancy(rate, aht, n),
        abandon=0.0,
    )


def _staffing_a(rate: float, aht: float, target: Target) -> Staffing:
    patience = target.patience_s
    n = erlang.agents_for_service_level_a(
        rate,
        aht,
        patience,
        target.service_level,
        target.answer_s,
        max_occupancy=target.max_occupancy,
    )
    abandon = erlang.abandonment_a(rate, aht, patience, n)
    return Staffing(
        agents=n,
        service_level=erlang.service_level_a(rate, aht, patience, n, target.answer_s),
        asa_s=erlang.asa_a(rate, aht, patience, n),
        occupancy=erlang.occupancy(rate, aht, n, abandon=abandon),
        abandon=abandon,
    )


def plan(forecast: list[Interval], target: Target) -> Plan:
    """Agents needed per interval by Erlang C and Erlang A, and the total agent-hours."""
    seconds = target.interval_minutes * 60
    rows = []
    for interval in forecast:
        rate = interval.calls / seconds
        rows.append(
            IntervalPlan(
                interval=interval,
                traffic=rate * interval.aht_s,
                erlang_c=_staffing_c(rate, interval.aht_s, target),
                erlang_a=_staffing_a(rate, interval.aht_s, target),
            )
        )
    hours = target.interval_minutes / 60
    return Plan(
        target=target,
        rows=rows,
        calls=sum(i.calls for i in forecast),
        agent_hours_c=sum(r.erlang_c.agents for r in rows) * hours,
        agent_hours_a=sum(r.erlang_a.agents for r in rows) * hours,
        peak_c=max((r.erlang_c.agents for r in rows), default=0),
        peak_a=max((r.erlang_a.agents for r in rows), default=0),
    )


# --- input ------------------------------------------------------------------------------------


def _number(text: str, row: int, column: str, *, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or math.isinf(value) or value < 0 or (positive and value == 0):
        message = (
            _("Row %(row)d, column “%(column)s”: “%(value)s” is not a number greater than 0.")
            if positive
            else _("Row %(row)d, column “%(column)s”: “%(value)s” is not a number of 0 or more.")
        )
        raise ValidationFailed(
            {"forecast": [message % {"row": row, "column": column, "value": shown(text)}]}
        )
    return value


def _records(reader):
    """The reader's rows; a line the csv module refuses (a cell over its 128 KiB limit) is a
    ValidationFailed naming the row."""
    try:
        yield from reader
    except csv.Error:
        raise ValidationFailed(
            {
                "forecast": [
                    _("Row %(row)d cannot be read: a cell is far too long.")
                    % {"row": reader.line_num}
                ]
            }
        ) from None


def parse_forecast(text: str) -> list[Interval]:
    """Parse the pasted forecast: one interval a line, `start,calls,aht` (start as HH:MM,
    calls offered in the interval, average handle time in seconds); an optional header line;
    commas, semicolons or tabs. Errors name the row and the column."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise ValidationFailed({"forecast": [_("Paste at least one interval: start,calls,aht.")]})
    first = lines[0]
    delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    intervals: list[Interval] = []
    seen: set[datetime.time] = set()
    for row_no, cells in enumerate(_records(reader), start=1):
        cells = [c.strip() for c in cells]
        if row_no == 1 and cells and cells[0].lower() in {"start", "time", "开始", "时段"}:
            continue
        if len(cells) != 3:
            raise ValidationFailed(
                {
                    "forecast": [
                        _("Row %(row)d: expected 3 columns (start, calls, aht), found %(n)d.")
                        % {"row": row_no, "n": len(cells)}
                    ]
                }
            )
        try:
            hour, minute = (int(part) for part in cells[0].split(":"))
            start = datetime.time(hour, minute)
        except ValueError:
            raise ValidationFailed(
                {
                    "forecast": [
                        _("Row %(row)d, column “start”: “%(value)s” is not a time like 08:30.")
                        % {"row": row_no, "value": shown(cells[0])}
                    ]
                }
            ) from None
        if start in seen:
            raise ValidationFailed(
                {
                    "forecast": [
                        _("Row %(row)d, column “start”: %(value)s appears twice.")
                        % {"row": row_no, "value": shown(cells[0])}
                    ]
                }
            )
        seen.add(start)
        calls = _number(cells[1], row_no, "calls", positive=False)
        aht = _number(cells[2], row_no, "aht", positive=True)
        intervals.append(Interval(start=start, calls=calls, aht_s=aht))
        if len(intervals) > MAX_ROWS:
            raise ValidationFailed({"forecast": [_("At most %(n)d intervals.") % {"n": MAX_ROWS}]})
    if not intervals:
        raise ValidationFailed({"forecast": [_("Paste at least one interval: start,calls,aht.")]})
    return sorted(intervals, key=lambda i: i.start)


# A bank's inbound day, 08:00–20:00: a morning peak after opening, a lunch bump and a quieter
# evening; handle times a little longer in the evening (more complex enquiries).
SAMPLE_DAY = [
    ("08:00", 95, 240),
    ("08:30", 160, 235),
    ("09:00", 245, 230),
    ("09:30", 290, 225),
    ("10:00", 310, 225),
    ("10:30", 300, 225),
    ("11:00", 285, 230),
    ("11:30", 260, 230),
    ("12:00", 230, 235),
    ("12:30", 240, 235),
    ("13:00", 255, 230),
    ("13:30", 270, 230),
    ("14:00", 280, 225),
    ("14:30", 275, 225),
    ("15:00", 265, 225),
    ("15:30", 250, 230),
    ("16:00", 235, 230),
    ("16:30", 215, 235),
    ("17:00", 190, 240),
    ("17:30", 165, 245),
    ("18:00", 140, 250),
    ("18:30", 115, 255),
    ("19:00", 90, 260),
    ("19:30", 70, 265),
]


def sample_forecast_text() -> str:
    lines = ["start,calls,aht"] + [f"{s},{c},{a}" for s, c, a in SAMPLE_DAY]
    return "\n".join(lines)
