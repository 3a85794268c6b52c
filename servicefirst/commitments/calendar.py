"""The business clock a service commitment runs on.

A `BusinessCalendar` (or a `CalendarSpec`, the same fields without the ORM) says when a
commitment's clock runs; `clock_for(calendar)` turns it into a `Clock` that answers "is it
open now", "when will N seconds of open time have run", "how much open time lies between two
instants" and "what is N working days after this".

Rules
-----
- Chinese working days (`is_working_day`): Monday to Friday unless a public holiday or a day
  off moved to make a long weekend, plus the Saturdays and Sundays the State Council makes
  working days (调休上班, "make-up working days"). Both come from the `holidays` package:
  the holidays from `holidays.country_holidays("CN")`, the make-up days from
  `ChinaStaticHolidays.special_public_holidays` (the weekend day a day off was moved from).
  The package knows each year's arrangement once the State Council has published it
  (usually in November); keep it up to date.
- `always_open`: the clock runs all the time; everything else is ignored (except that
  working days still follow the rules above and `extra_closed_days`).
- `weekly_hours`: seven lists (Monday … Sunday) of ["HH:MM", "HH:MM"] periods, local time
  (settings.TIME_ZONE, Asia/Shanghai). "24:00" is the end of the day. A period whose end is
  not after its start runs past midnight into the next day: ["20:00", "08:00"] on Friday
  runs from Friday 20:00 to Saturday 08:00; ["00:00", "00:00"] is a whole day.
- A period belongs to the day it STARTS on: that day's kind decides whether it runs. Friday's
  night shift runs into a Saturday public holiday; the night before a holiday, which starts
  on the holiday eve, runs too, and a night period starting on a holiday is governed by
  `holiday_hours`.
- `observe_holidays`: a public holiday (or a day off moved from a weekend) takes
  `holiday_hours` (empty: closed); a make-up working day takes `makeup_day_hours` (empty:
  Monday's hours). Without it every day takes its weekday's hours.
- `extra_closed_days`: ISO dates on which no period starts.
- Open periods are half-open intervals [start, end); periods that overlap (an overnight
  period running into the next morning's) simply merge.

Working days (`Clock.add_working_days`, the `working_days` target unit)
---------------------------------------------------------------------
A working day is a Chinese working day (above) when the calendar observes holidays, Monday
to Friday when it does not, and never one of `extra_closed_days`. "N working days after"
an instant is the same local wall-clock time N working days later, counted from the
*business day* of the instant:

1. Counting starts at the first open instant at or after the start (`next_open`).
2. That instant belongs to the business day its open period started on (02:00 on Saturday
   in Friday's 20:00–08:00 period belongs to Friday). If that day is not a working day
   (a branch open on Saturdays, a holiday duty desk), counting starts at the first opening
   of the next working day instead, as if the request had arrived then.
3. The answer is the same wall-clock offset from midnight, on the N-th working day after
   that business day. It may fall outside business hours (it is a deadline, not an
   appointment). N = 0 gives the start of counting.

Fractional working days are rounded up to whole days.

Target units (`Clock.due_at`)
-----------------------------
seconds / minutes / hours: open time (`add`); days: calendar days, 24 hours each, whatever
the hours (a regulator's "15 days"); working_days: `add_working_days`; rings / times: None
(a count has no deadline).

Instants
--------
Every input is an aware datetime (naive ones are refused); every datetime returned is in
UTC. Internally the clock works on POSIX timestamps over per-day open intervals built from
local wall-clock times, so it is right in any time zone, daylight saving included (China has
none today, but had it in 1986–1991). Each year's days are built once per clock (intervals
plus running totals), so `add` and `elapsed` cost a binary search, however long the span.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.china import ChinaStaticHolidays

from servicefirst.core.errors import ValidationFailed

UTC = dt.UTC
DEFAULT_TIME_ZONE = "Asia/Shanghai"
_ONE_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0, 0)
# How far ahead a search for open time goes before deciding the calendar never opens.
_SEARCH_DAYS = 800
_SEARCH_YEARS = 3

__all__ = [
    "ALWAYS_OPEN",
    "CalendarSpec",
    "Clock",
    "clock_for",
    "holiday_name",
    "is_holiday",
    "is_makeup_day",
    "is_working_day",
    "validate_calendar_fields",
    "weekday_hours",
]


# --------------------------------------------------------------------------------------------
# Chinese working days


def _entries(value: Any) -> tuple:
    """special_public_holidays values are one tuple or a tuple of tuples."""
    if not value:
        return ()
    return value if isinstance(value[0], tuple) else (value,)


@functools.lru_cache(maxsize=128)
def _cn_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(public holidays and days off, make-up working days) of one year."""
    days_off = frozenset(holidays.country_holidays("CN", years=year))
    makeup = set()
    special = ChinaStaticHolidays.special_public_holidays
    # A substitution is listed under the year of the day off; the working day it was moved
    # from can lie in the year before (2002's New Year took 2001-12-29 and 30).
    for listed in (year - 1, year, year + 1):
        for data in _entries(special.get(listed, ())):
            # (to_month, to_day, from_month, from_day[, from_year]); 3-tuples (month, day,
            # label) are extra holidays, already among the days off.
            if len(data) < 4 or not all(isinstance(x, int) for x in data):
                continue
            from_year = data[4] if len(data) > 4 else listed
            moved_from = dt.date(from_year, data[2], data[3])
            if moved_from.year == year and moved_from.weekday() >= 5 and moved_from not in days_off:
                makeup.add(moved_from)
    return days_off, frozenset(makeup)


def is_holiday(day: dt.date) -> bool:
    """A Chinese public holiday, or a day off moved from a weekend to make a long holiday."""
    return day in _cn_year(day.year)[0]


def is_makeup_day(day: dt.date) -> bool:
    """A Saturday or Sunday the State Council makes a working day (调休上班)."""
    return day in _cn_year(day.year)[1]


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday and not a public holiday, or a make-up working day."""
    days_off, makeup = _cn_year(day.year)
    if day.weekday() < 5:
        return day not in days_off
    return day in makeup


def holiday_name(day: dt.date) -> str:
    """The holiday's name from the `holidays` package (English), or ""."""
    if not is_holiday(day):
        return ""
    return _holiday_names(day.year).get(day, "")


@functools.lru_cache(maxsize=16)
def _holiday_names(year: int):
    return holidays.country_holidays("CN", years=year)


# --------------------------------------------------------------------------------------------
# Calendars without the ORM


@dataclass
class CalendarSpec:
    """The fields of `BusinessCalendar` a clock reads, for code and tests without the ORM."""

    always_open: bool = False
    weekly_hours: list = field(default_factory=list)
    observe_holidays: bool = True
    makeup_day_hours: list = field(default_factory=list)
    holiday_hours: list = field(default_factory=list)
    extra_closed_days: list = field(default_factory=list)
    pk: int | None = None


ALWAYS_OPEN = CalendarSpec(always_open=True)


def weekday_hours(
    periods: Sequence[Sequence[str]],
    *,
    saturday: Sequence[Sequence[str]] = (),
    sunday: Sequence[Sequence[str]] = (),
) -> list[list[list[str]]]:
    """`weekly_hours` with the same periods Monday to Friday, e.g.
    weekday_hours([["09:00", "12:00"], ["13:00", "17:00"]], saturday=[["09:00", "12:00"]])."""
    week = [[list(p) for p in periods] for _ in range(5)]
    return [*week, [list(p) for p in saturday], [list(p) for p in sunday]]


# --------------------------------------------------------------------------------------------
# Parsing and validation

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
Period = tuple[int, int]  # (start minute, end minute after the start day's midnight)


def _minute(value: Any) -> int | None:
    """Minutes after midnight of "HH:MM" (1440 for "24:00"), or None."""
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0:
        return 1440
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _parse_periods(value: Any, where: str, errors: list[str]) -> tuple[Period, ...]:
    """Periods of one day as (start, end) minutes, end > start (overnight: end > 1440).
    Problems are appended to `errors`, each prefixed by `where` ("Tuesday, " or "")."""
    from django.utils.translation import gettext as _

    if value in (None, ""):
        return ()
    if not isinstance(value, list | tuple):
        errors.append(_("%(where)snot a list of periods") % {"where": where})
        return ()
    out: list[Period] = []
    for n, period in enumerate(value, start=1):
        row = {"where": where, "n": n}
        if not isinstance(period, list | tuple) or len(period) != 2:
            errors.append(_("%(where)speriod %(n)d: give a start and an end") % row)
            continue
        start, end = _minute(period[0]), _minute(period[1])
        bad = False
        for raw, parsed in ((period[0], start), (period[1], end)):
            if parsed is None:
                errors.append(
                    _("%(where)speriod %(n)d: '%(value)s' is not a time") % {**row, "value": raw}
                )
                bad = True
        if bad:
            continue
        if start == 1440:
            errors.append(_("%(where)speriod %(n)d: '24:00' can only end a period") % row)
            continue
        out.append((start, end if end > start else end + 1440))
    for i, (s1, e1) in enumerate(out):
        for j in range(i + 1, len(out)):
            s2, e2 = out[j]
            if s1 < e2 and s2 < e1:
                errors.append(
                    _("%(where)speriods %(a)d and %(b)d overlap")
                    % {"where": where, "a": i + 1, "b": j + 1}
                )
    return tuple(sorted(out))


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _parse_calendar(
    weekly_hours: Any,
    makeup_day_hours: Any,
    holiday_hours: Any,
    extra_closed_days: Any,
) -> tuple[dict[str, list[str]], tuple]:
    """(errors by field, (weekly, makeup, holiday, closed)) — parsed as far as possible."""
    from django.utils.dates import WEEKDAYS
    from django.utils.translation import gettext as _

    errors: dict[str, list[str]] = {}
    weekly: list[tuple[Period, ...]] = [()] * 7
    found: list[str] = []
    if weekly_hours in (None, ""):
        weekly_hours = []
    if not isinstance(weekly_hours, list | tuple) or len(weekly_hours) not in (0, 7):
        found.append(_("give seven days of hours, Monday to Sunday"))
    else:
        for i, day in enumerate(weekly_hours):
            weekly[i] = _parse_periods(day, f"{WEEKDAYS[i]}, ", found)
    if found:
        errors["weekly_hours"] = found
    parsed = {}
    for name, value in (("makeup_day_hours", makeup_day_hours), ("holiday_hours", holiday_hours)):
        found = []
        parsed[name] = _parse_periods(value, "", found)
        if found:
            errors[name] = found
    closed: set[dt.date] = set()
    found = []
    if extra_closed_days in (None, ""):
        extra_closed_days = []
    if not isinstance(extra_closed_days, list | tuple | set | frozenset):
        found.append(_("give a list of dates (YYYY-MM-DD)"))
    else:
        for n, value in enumerate(extra_closed_days, start=1):
            day = _parse_date(value)
            if day is None:
                found.append(
                    _("row %(n)d: '%(value)s' is not a date (YYYY-MM-DD)")
                    % {"n": n, "value": value}
                )
            else:
                closed.add(day)
    if found:
        errors["extra_closed_days"] = found
    return errors, (
        tuple(weekly),
        parsed["makeup_day_hours"],
        parsed["holiday_hours"],
        frozenset(closed),
    )


def validate_calendar_fields(
    weekly_hours: Any,
    makeup_day_hours: Any,
    holiday_hours: Any,
    extra_closed_days: Any,
    *,
    always_open: bool = False,
) -> None:
    """Raise ValidationFailed naming the field and the row of every problem, e.g.
    {"weekly_hours": ["Tuesday, period 2: '25:00' is not a time"]}. A calendar that is not
    around the clock must have some open time in its week."""
    from django.utils.translation import gettext as _

    errors, (weekly, *_rest) = _parse_calendar(
        weekly_hours, makeup_day_hours, holiday_hours, extra_closed_days
    )
    if not always_open and "weekly_hours" not in errors and not any(weekly):
        errors["weekly_hours"] = [
            _("the calendar is never open: give some hours, or make it around the clock")
        ]
    if errors:
        raise ValidationFailed(errors)


# --------------------------------------------------------------------------------------------
# The clock


class _Year:
    """One local calendar year of a clock: per day, the merged open intervals clipped to
    the day (POSIX seconds) and running totals of open seconds from the year's start."""

    __slots__ = ("cum", "days", "first", "mids", "raw", "total", "year")

    def __init__(self, year, mids, days, raw, cum):
        self.year = year
        self.first = dt.date(year, 1, 1)
        self.mids = mids  # local midnights, len n + 1 (the last is next year's first)
        self.days = days  # per day: tuple of (start, end) within [mids[i], mids[i + 1])
        self.raw = raw  # per day: the periods starting that day, unclipped
        self.cum = cum  # open seconds from mids[0] to mids[i], len n + 1
        self.total = cum[-1]


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC)


def _check_aware(value: dt.datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("The clock needs aware datetimes.")


class Clock:
    """Open time of one calendar. Build with `clock_for`; immutable once built."""

    def __init__(
        self,
        *,
        always_open: bool,
        weekly: tuple[tuple[Period, ...], ...],
        observe_holidays: bool,
        makeup: tuple[Period, ...],
        holiday: tuple[Period, ...],
        closed: frozenset[dt.date],
        tz: dt.tzinfo,
    ):
        self.always_open = always_open
        self.weekly = weekly
        self.observe_holidays = observe_holidays
        self.makeup = makeup or weekly[0]
        self.holiday = holiday
        self.closed = closed
        self.tz = tz
        self._years: dict[int, _Year] = {}
        self._wd: dict[int, list[int]] = {}

    def __repr__(self) -> str:
        kind = "24/7" if self.always_open else "business hours"
        return f"<Clock {kind} tz={self.tz}>"

    # -- days --------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """A working day for `working_days` targets (see the module docstring)."""
        if day in self.closed:
            return False
        if self.observe_holidays:
            return is_working_day(day)
        return day.weekday() < 5

    def periods(self, day: dt.date) -> tuple[Period, ...]:
        """The periods (start, end minutes; end > 1440 runs into the next day) starting on
        `day`, after holidays, make-up days and closed days."""
        if self.always_open:
            return ((0, 1440),)
        if day in self.closed:
            return ()
        if self.observe_holidays:
            days_off, makeup = _cn_year(day.year)
            if day in days_off:
                return self.holiday
            if day in makeup:
                return self.makeup
        return self.weekly[day.weekday()]

    def _local(self, day: dt.date, minute: int) -> float:
        extra, minute = divmod(minute, 1440)
        if extra:
            day = day + dt.timedelta(days=extra)
        wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.tz)
        return wall.timestamp()

    def _periods_of(self, day: dt.date) -> tuple[tuple[float, float], ...]:
        """The periods starting on `day` as POSIX seconds (cached with the year)."""
        year = self._year(day.year)
        return year.raw[(day - year.first).days]

    def _raw(self, day: dt.date) -> tuple[tuple[float, float], ...]:
        return tuple((self._local(day, s), self._local(day, e)) for s, e in self.periods(day))

    def _year(self, year: int) -> _Year:
        built = self._years.get(year)
        if built is None:
            built = self._years[year] = self._build_year(year)
        return built

    def _build_year(self, year: int) -> _Year:
        first = dt.date(year, 1, 1)
        n = (dt.date(year + 1, 1, 1) - first).days
        dates = [first + dt.timedelta(days=i) for i in range(n + 1)]
        mids = [self._local(d, 0) for d in dates]
        days: list[tuple[tuple[float, float], ...]] = []
        raws: list[tuple[tuple[float, float], ...]] = []
        cum = [0.0]
        before = self._raw(first - _ONE_DAY)
        for i in range(n):
            raw = self._raw(dates[i])
            lo, hi = mids[i], mids[i + 1]
            clipped = sorted(
                (max(s, lo), min(e, hi)) for s, e in (*before, *raw) if min(e, hi) > max(s, lo)
            )
            merged: list[list[float]] = []
            for s, e in clipped:
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            day = tuple((s, e) for s, e in merged)
            days.append(day)
            raws.append(raw)
            cum.append(cum[-1] + sum(e - s for s, e in day))
            before = raw
        return _Year(year, mids, days, raws, cum)

    def _locate(self, ts: float, year_hint: int) -> tuple[_Year, int]:
        year = self._year(year_hint)
        if ts < year.mids[0]:
            return self._locate(ts, year_hint - 1)
        if ts >= year.mids[-1]:
            return self._locate(ts, year_hint + 1)
        return year, bisect.bisect_right(year.mids, ts) - 1

    @staticmethod
    def _before(year: _Year, i: int, ts: float) -> float:
        """Open seconds from the year's start to `ts` (which lies in day i)."""
        done = year.cum[i]
        for s, e in year.days[i]:
            if s >= ts:
                break
            done += (e if e < ts else ts) - s
        return done

    def open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open periods belonging to (starting on) `day`, as UTC datetimes; an overnight
        period ends on the next day."""
        return [(_utc(s), _utc(e)) for s, e in self._periods_of(day)]

    def open_seconds(self, day: dt.date) -> float:
        """Open seconds within the local day `day` (midnight to midnight)."""
        if self.always_open:
            return (self._local(day + _ONE_DAY, 0) - self._local(day, 0)) * 1.0
        year = self._year(day.year)
        i = (day - year.first).days
        return year.cum[i + 1] - year.cum[i]

    # -- instants ----------------------------------------------------------------------------

    def is_open(self, at: dt.datetime) -> bool:
        _check_aware(at)
        if self.always_open:
            return True
        ts = at.timestamp()
        year, i = self._locate(ts, at.year)
        return any(s <= ts < e for s, e in year.days[i])

    def next_open(self, at: dt.datetime) -> dt.datetime:
        """`at` (in UTC) if the clock runs then, else the next opening."""
        _check_aware(at)
        if self.always_open:
            return at.astimezone(UTC)
        ts = at.timestamp()
        year, i = self._locate(ts, at.year)
        for _step in range(_SEARCH_DAYS):
            for s, e in year.days[i]:
                if e > ts:
                    return at.astimezone(UTC) if s <= ts else _utc(s)
            i += 1
            if i == len(year.days):
                year, i = self._year(year.year + 1), 0
        raise ValueError("This calendar is never open.")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open seconds between `start` and `end` (0 if end <= start)."""
        _check_aware(start)
        _check_aware(end)
        if self.always_open:
            return max((end - start).total_seconds(), 0.0)
        ta, tb = start.timestamp(), end.timestamp()
        if tb <= ta:
            return 0.0
        ya, i = self._locate(ta, start.year)
        yb, j = self._locate(tb, end.year)
        before_a = self._before(ya, i, ta)
        before_b = self._before(yb, j, tb)
        if ya is yb:
            return before_b - before_a
        total = ya.total - before_a + before_b
        for year in range(ya.year + 1, yb.year):
            total += self._year(year).total
        return total

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The earliest instant (UTC) by which `seconds` of open time have run from `start`;
        counting begins at the next opening when `start` is outside hours. add(start, 0) is
        start."""
        _check_aware(start)
        seconds = float(seconds)
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("Cannot add a negative duration.")
        if self.always_open:
            return (start + dt.timedelta(seconds=seconds)).astimezone(UTC)
        if seconds == 0:
            return start.astimezone(UTC)
        ts = start.timestamp()
        year, i = self._locate(ts, start.year)
        target = self._before(year, i, ts) + seconds
        empty = 0
        while target > year.total:
            target -= year.total
            empty = empty + 1 if year.total == 0 else 0
            if empty >= _SEARCH_YEARS:
                raise ValueError("This calendar is never open.")
            year = self._year(year.year + 1)
        day = bisect.bisect_left(year.cum, target) - 1
        left = target - year.cum[day]
        intervals = year.days[day]
        found = intervals[-1][1]  # unless rounding used the day's open time up
        for s, e in intervals:
            if left <= e - s:
                found = s + left
                break
            left -= e - s
        # A duration lost to rounding (1e-300 s) can land on the close before `start`.
        return _utc(found) if found > ts else start.astimezone(UTC)

    # -- working days ------------------------------------------------------------------------

    def _business_day(self, at: dt.datetime) -> dt.date:
        """The day whose period `at` falls in (for an overnight period, the day it started);
        the local date when no period holds it (24/7 or outside hours)."""
        local = at.astimezone(self.tz).date()
        if self.always_open:
            return local
        ts = at.timestamp()
        if any(s <= ts < e for s, e in self._periods_of(local)):
            return local
        if any(s <= ts < e for s, e in self._periods_of(local - _ONE_DAY)):
            return local - _ONE_DAY
        return local

    def _working_days(self, year: int) -> list[int]:
        """Ordinals of the year's working days, ascending."""
        days = self._wd.get(year)
        if days is None:
            first = dt.date(year, 1, 1).toordinal()
            last = dt.date(year, 12, 31).toordinal()
            days = self._wd[year] = [
                o for o in range(first, last + 1) if self.is_working_day(dt.date.fromordinal(o))
            ]
        return days

    def _next_working_day(self, day: dt.date, n: int = 1) -> dt.date:
        """The n-th working day after `day`."""
        ordinal, year, barren = day.toordinal(), day.year, 0
        while True:
            days = self._working_days(year)
            k = bisect.bisect_right(days, ordinal)
            if k + n - 1 < len(days):
                return dt.date.fromordinal(days[k + n - 1])
            n -= len(days) - k
            barren = 0 if days else barren + 1
            if barren >= _SEARCH_YEARS:
                raise ValueError("This calendar has no working days.")
            year += 1

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """The same local wall-clock time `n` working days later, counted from the next
        opening (see the module docstring). UTC."""
        _check_aware(start)
        n = int(n)
        if n < 0:
            raise ValueError("Cannot add a negative number of working days.")
        anchor = self.next_open(start)
        day = self._business_day(anchor)
        if not self.is_working_day(day):
            day = self._next_working_day(day)
            if self.always_open:
                anchor = _utc(self._local(day, 0))
            else:
                first = day
                while not self._periods_of(first):
                    first = self._next_working_day(first)
                anchor = _utc(self._periods_of(first)[0][0])
                day = first
        if n == 0:
            return anchor
        offset = anchor.astimezone(self.tz).replace(tzinfo=None) - dt.datetime.combine(
            day, _MIDNIGHT
        )
        day = self._next_working_day(day, n)
        wall = dt.datetime.combine(day, _MIDNIGHT) + offset
        return wall.replace(tzinfo=self.tz).astimezone(UTC)

    # -- targets -----------------------------------------------------------------------------

    def due_at(
        self, target_value: Decimal | float | int, target_unit: str, start: dt.datetime
    ) -> dt.datetime | None:
        """When a target of `target_value` `target_unit` started at `start` falls due (UTC);
        None for count units (rings, times)."""
        unit = str(target_unit)
        value = float(target_value)
        if unit in ("rings", "times"):
            return None
        if unit in _SECONDS_PER:
            return self.add(start, value * _SECONDS_PER[unit])
        if unit == "days":
            _check_aware(start)
            return (start + dt.timedelta(days=value)).astimezone(UTC)
        if unit == "working_days":
            return self.add_working_days(start, math.ceil(value))
        raise ValueError(f"Unknown target unit {unit!r}.")

    def due_for(self, version: Any, start: dt.datetime) -> dt.datetime | None:
        """`due_at` with a CommitmentVersion-like object's target_value and target_unit."""
        return self.due_at(version.target_value, version.target_unit, start)


_SECONDS_PER = {"seconds": 1, "minutes": 60, "hours": 3600}


# --------------------------------------------------------------------------------------------
# Building clocks

_CLOCKS: dict[tuple, Clock] = {}
_CLOCKS_MAX = 256


def _default_tz() -> str:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return settings.TIME_ZONE or DEFAULT_TIME_ZONE
    except ImproperlyConfigured:
        return DEFAULT_TIME_ZONE


def _fingerprint(calendar: Any) -> str:
    fields = [
        bool(calendar.always_open),
        calendar.weekly_hours,
        bool(calendar.observe_holidays),
        calendar.makeup_day_hours,
        calendar.holiday_hours,
        calendar.extra_closed_days,
    ]
    return json.dumps(fields, sort_keys=True, default=str)


def clock_for(calendar: Any, *, tz: str | dt.tzinfo | None = None) -> Clock:
    """The clock of a BusinessCalendar (or CalendarSpec). Cached by the calendar's pk and
    fields, so an edited calendar gets a new clock. Malformed fields raise ValidationFailed;
    a calendar that is never open builds, but `add` and `next_open` on it raise ValueError."""
    tz = tz or _default_tz()
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    key = (getattr(calendar, "pk", None), _fingerprint(calendar), str(zone))
    clock = _CLOCKS.get(key)
    if clock is None:
        errors, (weekly, makeup, holiday, closed) = _parse_calendar(
            calendar.weekly_hours,
            calendar.makeup_day_hours,
            calendar.holiday_hours,
            calendar.extra_closed_days,
        )
        if errors and not calendar.always_open:
            raise ValidationFailed(errors)
        clock = Clock(
            always_open=bool(calendar.always_open),
            weekly=weekly,
            observe_holidays=bool(calendar.observe_holidays),
            makeup=makeup,
            holiday=holiday,
            closed=closed,
            tz=zone,
        )
        if len(_CLOCKS) >= _CLOCKS_MAX:
            _CLOCKS.clear()
        _CLOCKS[key] = clock
    return clock


def clocks_for(calendars: Iterable[Any]) -> dict[Any, Clock]:
    """Clocks by calendar pk, for code that evaluates many versions at once."""
    return {calendar.pk: clock_for(calendar) for calendar in calendars}
