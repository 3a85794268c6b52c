"""The business clock: Chinese working days (weekends, public holidays, make-up working days),
business hours (lunch breaks, overnight periods), 24/7, working-day deadlines, validation.

Most tests need no database: they build `CalendarSpec`s, the same fields as BusinessCalendar."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicefirst.commitments.calendar import (
    ALWAYS_OPEN,
    CalendarSpec,
    clock_for,
    is_holiday,
    is_makeup_day,
    is_working_day,
    validate_calendar_fields,
    weekday_hours,
)
from servicefirst.core.errors import ValidationFailed

SH = ZoneInfo("Asia/Shanghai")
D = dt.date
HOUR = 3600

# A branch: 09:00–12:00 and 13:00–17:00 on weekdays.
BRANCH = CalendarSpec(weekly_hours=weekday_hours([["09:00", "12:00"], ["13:00", "17:00"]]))
# A night desk open only from Friday 20:00 to Saturday 08:00.
FRIDAY_NIGHT = CalendarSpec(weekly_hours=[[], [], [], [], [["20:00", "08:00"]], [], []])
# Night shifts every weekday, 20:00 to 08:00 the next morning.
NIGHTS = CalendarSpec(weekly_hours=weekday_hours([["20:00", "08:00"]]))


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def wall(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SH).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Chinese working days


def test_weekends_are_not_working_days():
    assert is_working_day(D(2026, 3, 6))  # Friday
    assert not is_working_day(D(2026, 3, 7))  # Saturday
    assert not is_working_day(D(2026, 3, 8))  # Sunday
    assert is_working_day(D(2026, 3, 9))  # Monday


def test_spring_festival_2026_is_off_from_15_to_23_february():
    for day in range(15, 24):
        assert not is_working_day(D(2026, 2, day)), day
    assert is_holiday(D(2026, 2, 17))
    assert is_working_day(D(2026, 2, 13))
    assert is_working_day(D(2026, 2, 24))


def test_national_day_2026_is_off_from_1_to_7_october():
    for day in range(1, 8):
        assert not is_working_day(D(2026, 10, day)), day
    assert is_working_day(D(2026, 9, 30))
    assert is_working_day(D(2026, 10, 8))  # Thursday: back at work


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
)
def test_make_up_working_days_2026(day):
    assert day.weekday() >= 5
    assert is_makeup_day(day)
    assert is_working_day(day)
    assert not is_holiday(day)


def test_make_up_day_listed_under_the_next_year():
    # 2002's New Year holiday was made up on Saturday 29 and Sunday 30 December 2001.
    assert is_working_day(D(2001, 12, 29))
    assert is_working_day(D(2001, 12, 30))
    assert not is_working_day(D(2002, 1, 2))


def test_make_up_days_agree_with_the_holidays_package():
    years = list(range(2001, 2027))
    package = holidays.country_holidays("CN", years=years)
    expected = {d for d in package.weekend_workdays if d.year in years}
    ours = {
        D(y, 1, 1) + dt.timedelta(days=i)
        for y in years
        for i in range(366)
        if (D(y, 1, 1) + dt.timedelta(days=i)).year == y
        and is_makeup_day(D(y, 1, 1) + dt.timedelta(days=i))
    }
    assert ours == expected


# --------------------------------------------------------------------------------------------
# Business hours


def test_business_hours_skip_the_lunch_break_and_the_weekend():
    clock = clock_for(BRANCH)
    assert clock.is_open(local(2026, 3, 6, 11, 59))
    assert not clock.is_open(local(2026, 3, 6, 12, 30))
    assert not clock.is_open(local(2026, 3, 6, 17, 0))  # periods end before their end time
    assert not clock.is_open(local(2026, 3, 7, 10, 0))  # Saturday
    # Friday 16:00 + 2 hours: one hour on Friday, one on Monday morning.
    assert clock.add(local(2026, 3, 6, 16, 0), 2 * HOUR) == local(2026, 3, 9, 10, 0)
    assert clock.elapsed(local(2026, 3, 6, 16, 0), local(2026, 3, 9, 10, 0)) == 2 * HOUR
    assert clock.elapsed(local(2026, 3, 9, 11, 0), local(2026, 3, 9, 14, 0)) == 2 * HOUR


def test_counting_starts_at_the_next_opening():
    clock = clock_for(BRANCH)
    saturday = local(2026, 3, 7, 22, 0)
    assert clock.next_open(saturday) == local(2026, 3, 9, 9, 0)
    assert clock.add(saturday, 30 * 60) == local(2026, 3, 9, 9, 30)
    # An open instant is its own next opening; a whole day's work ends at the close.
    assert clock.next_open(local(2026, 3, 9, 10, 0)) == local(2026, 3, 9, 10, 0)
    assert clock.add(local(2026, 3, 9, 9, 0), 7 * HOUR) == local(2026, 3, 9, 17, 0)


def test_elapsed_is_zero_backwards_and_add_zero_is_the_start():
    clock = clock_for(BRANCH)
    start = local(2026, 3, 9, 10, 0)
    assert clock.elapsed(start, start - dt.timedelta(hours=5)) == 0
    assert clock.add(start, 0) == start
    with pytest.raises(ValueError, match="negative"):
        clock.add(start, -1)


def test_results_are_utc_and_naive_datetimes_are_refused():
    clock = clock_for(BRANCH)
    due = clock.add(local(2026, 3, 9, 10, 0), 60)
    assert due.tzinfo == dt.UTC
    assert due == dt.datetime(2026, 3, 9, 2, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="aware"):
        clock.add(dt.datetime(2026, 3, 9, 10, 0), 60)  # noqa: DTZ001


def test_spring_festival_stops_the_clock_and_make_up_days_run_it():
    clock = clock_for(BRANCH)
    # Friday 13 February 16:00 + 2 hours: Saturday 14 February is a make-up working day,
    # with Monday's hours.
    assert clock.add(local(2026, 2, 13, 16, 0), 2 * HOUR) == local(2026, 2, 14, 10)
    # Saturday 14 February 16:00 + 2 hours: the holiday runs to Monday 23 February.
    assert clock.add(local(2026, 2, 14, 16, 0), 2 * HOUR) == local(2026, 2, 24, 10)
    assert clock.elapsed(local(2026, 2, 14, 16, 0), local(2026, 2, 24, 10, 0)) == 2 * HOUR
    assert clock.open_seconds(D(2026, 2, 17)) == 0
    assert clock.open_seconds(D(2026, 2, 28)) == 7 * HOUR  # Saturday, make-up working day


def test_make_up_and_holiday_hours_and_extra_closed_days():
    calendar = CalendarSpec(
        weekly_hours=weekday_hours([["09:00", "17:00"]], saturday=[["10:00", "16:00"]]),
        makeup_day_hours=[["09:00", "12:00"]],
        holiday_hours=[["10:00", "15:00"]],
        extra_closed_days=["2026-03-10"],
    )
    clock = clock_for(calendar)
    assert clock.open_seconds(D(2026, 2, 14)) == 3 * HOUR  # make-up day
    assert clock.open_seconds(D(2026, 2, 17)) == 5 * HOUR  # Spring Festival duty hours
    assert clock.open_seconds(D(2026, 10, 3)) == 5 * HOUR  # a holiday on a Saturday
    assert clock.open_seconds(D(2026, 3, 7)) == 6 * HOUR  # an ordinary Saturday
    assert clock.open_seconds(D(2026, 3, 10)) == 0  # the bank's own closed day
    assert not clock.is_working_day(D(2026, 3, 10))


def test_calendar_ignoring_holidays_runs_on_weekday_hours():
    calendar = CalendarSpec(
        weekly_hours=weekday_hours([["09:00", "17:00"]]), observe_holidays=False
    )
    clock = clock_for(calendar)
    assert clock.open_seconds(D(2026, 2, 17)) == 8 * HOUR  # Spring Festival, Tuesday
    assert clock.open_seconds(D(2026, 2, 14)) == 0  # a make-up Saturday is just a Saturday


# --------------------------------------------------------------------------------------------
# Overnight hours


def test_overnight_period_runs_from_friday_evening_to_saturday_morning():
    clock = clock_for(FRIDAY_NIGHT)
    assert not clock.is_open(local(2026, 3, 6, 19, 59))
    assert clock.is_open(local(2026, 3, 6, 20, 0))
    assert clock.is_open(local(2026, 3, 7, 0, 0))
    assert clock.is_open(local(2026, 3, 7, 7, 59))
    assert not clock.is_open(local(2026, 3, 7, 8, 0))
    assert not clock.is_open(local(2026, 3, 9, 2, 0))  # Sunday's night is not open


def test_elapsed_across_midnight_and_add_landing_next_morning():
    clock = clock_for(FRIDAY_NIGHT)
    assert clock.elapsed(local(2026, 3, 6, 23, 0), local(2026, 3, 7, 1, 0)) == 2 * HOUR
    assert clock.elapsed(local(2026, 3, 6, 12, 0), local(2026, 3, 7, 12, 0)) == 12 * HOUR
    assert clock.add(local(2026, 3, 6, 22, 0), 9 * HOUR) == local(2026, 3, 7, 7, 0)
    # 10 hours remain on this shift; the 11th runs next Friday night.
    assert clock.add(local(2026, 3, 6, 22, 0), 11 * HOUR) == local(2026, 3, 13, 21)


def test_holiday_rule_applies_to_the_day_a_night_period_starts():
    clock = clock_for(NIGHTS)
    # Wednesday 30 September is a working day: its night runs into National Day morning.
    assert clock.is_open(local(2026, 10, 1, 7, 0))
    # The nights starting on the holidays are closed.
    assert not clock.is_open(local(2026, 10, 1, 21, 0))
    assert not clock.is_open(local(2026, 10, 8, 3, 0))  # the night that started 7 October
    assert clock.is_open(local(2026, 10, 8, 21, 0))
    # Saturday 10 October is a make-up working day and takes Monday's night hours.
    assert clock.is_open(local(2026, 10, 10, 21, 0))
    assert clock.is_open(local(2026, 10, 11, 3, 0))
    assert not clock.is_open(local(2026, 10, 11, 21, 0))  # Sunday


def test_end_of_day_and_next_morning_periods_join():
    calendar = CalendarSpec(
        weekly_hours=[[["08:00", "24:00"]], [["00:00", "02:00"], ["08:00", "12:00"]], *[[]] * 5],
        observe_holidays=False,
    )
    clock = clock_for(calendar)
    monday_late = local(2026, 3, 9, 23, 0)
    assert clock.elapsed(monday_late, local(2026, 3, 10, 1, 0)) == 2 * HOUR
    assert clock.add(monday_late, 4 * HOUR) == local(2026, 3, 10, 9, 0)


# --------------------------------------------------------------------------------------------
# add and elapsed agree, on every kind of calendar

CALENDARS = {
    "branch": BRANCH,
    "friday night": FRIDAY_NIGHT,
    "nights": NIGHTS,
    "always open": ALWAYS_OPEN,
    "split with holiday hours": CalendarSpec(
        weekly_hours=weekday_hours(
            [["08:30", "11:45"], ["22:00", "01:30"]], saturday=[["09:00", "12:00"]]
        ),
        holiday_hours=[["10:00", "14:00"]],
        makeup_day_hours=[["07:00", "09:00"]],
    ),
}
starts = st.datetimes(
    min_value=dt.datetime(2025, 11, 1),  # noqa: DTZ001
    max_value=dt.datetime(2027, 2, 1),  # noqa: DTZ001
    timezones=st.just(SH),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    start=starts,
    seconds=st.floats(min_value=0, max_value=70 * 8 * HOUR, allow_nan=False),
    more=st.floats(min_value=0, max_value=30 * HOUR, allow_nan=False),
)
def test_add_and_elapsed_are_inverse_and_add_is_monotone(name, start, seconds, more):
    clock = clock_for(CALENDARS[name])
    due = clock.add(start, seconds)
    assert due >= start
    assert clock.elapsed(start, due) == pytest.approx(seconds, abs=1e-6)
    assert clock.add(start, seconds + more) >= due
    # Elapsed open time adds up piece by piece.
    later = due + dt.timedelta(seconds=more)
    total = clock.elapsed(start, later)
    assert total == pytest.approx(clock.elapsed(start, due) + clock.elapsed(due, later), abs=1e-6)


def _open_by_the_rules(calendar: CalendarSpec, at: dt.datetime) -> bool:
    """A slow, literal reading of the rules, independent of the clock's interval tables."""
    at = at.astimezone(SH)
    for day in (at.date(), at.date() - dt.timedelta(days=1)):
        if calendar.observe_holidays and is_holiday(day):
            periods = calendar.holiday_hours
        elif calendar.observe_holidays and is_makeup_day(day):
            periods = calendar.makeup_day_hours or calendar.weekly_hours[0]
        else:
            periods = calendar.weekly_hours[day.weekday()]
        for start_text, end_text in periods:
            start = dt.datetime.combine(day, dt.time.fromisoformat(start_text), tzinfo=SH)
            end = (
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=SH)
                if end_text == "24:00"
                else dt.datetime.combine(day, dt.time.fromisoformat(end_text), tzinfo=SH)
            )
            if end <= start:
                end += dt.timedelta(days=1)
            if start <= at < end:
                return True
    return False


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["branch", "friday night", "nights", "split with holiday hours"]),
    start=starts,
    minutes=st.integers(min_value=0, max_value=3 * 24 * 60),
)
def test_elapsed_matches_minute_by_minute_counting(name, start, minutes):
    calendar = CALENDARS[name]
    clock = clock_for(calendar)
    start = start.replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=minutes)
    counted = sum(
        60 for m in range(minutes) if _open_by_the_rules(calendar, start + dt.timedelta(minutes=m))
    )
    assert clock.elapsed(start, end) == counted
    assert clock.is_open(start) == _open_by_the_rules(calendar, start)


def test_long_spans_stay_exact():
    clock = clock_for(BRANCH)
    start = local(2026, 1, 5, 9, 0)  # Monday
    working = [
        D(2026, 1, 5) + dt.timedelta(days=i)
        for i in range(400)
        if is_working_day(D(2026, 1, 5) + dt.timedelta(days=i))
    ]
    # 60 working days of 7 hours end at the close of the 60th working day.
    due = clock.add(start, 60 * 7 * HOUR)
    assert due == dt.datetime.combine(working[59], dt.time(17, 0), tzinfo=SH)
    # Across the turn of the year: a year of working days.
    end = local(2027, 1, 5, 9, 0)
    days = sum(1 for d in working if d < D(2027, 1, 5))
    assert clock.elapsed(start, end) == days * 7 * HOUR


# --------------------------------------------------------------------------------------------
# Working days


def test_one_working_day_across_national_day():
    clock = clock_for(BRANCH)
    # A request on Wednesday 30 September 2026 at 15:00: 1–7 October are off, Thursday
    # 8 October is the next working day.
    due = clock.add_working_days(local(2026, 9, 30, 15, 0), 1)
    assert due == local(2026, 10, 8, 15, 0)
    # Two working days: Friday 9 October; three: Saturday 10 October, a make-up working day.
    assert wall(clock.add_working_days(local(2026, 9, 30, 15, 0), 2)).date() == D(2026, 10, 9)
    assert wall(clock.add_working_days(local(2026, 9, 30, 15, 0), 3)).date() == D(2026, 10, 10)


def test_one_working_day_before_spring_festival_lands_on_the_make_up_saturday():
    clock = clock_for(BRANCH)
    due = clock.add_working_days(local(2026, 2, 13, 10, 0), 1)
    assert due == local(2026, 2, 14, 10, 0)
    due = clock.add_working_days(local(2026, 2, 13, 10, 0), 2)
    assert due == local(2026, 2, 24, 10, 0)


def test_working_days_outside_hours_count_from_the_next_opening():
    clock = clock_for(BRANCH)
    # Friday evening: counting starts Monday 09:00.
    assert clock.add_working_days(local(2026, 3, 6, 18, 30), 1) == local(2026, 3, 10, 9, 0)
    assert clock.add_working_days(local(2026, 3, 6, 18, 30), 0) == local(2026, 3, 9, 9, 0)


def test_working_days_from_a_saturday_opening_start_on_monday():
    saturday_branch = CalendarSpec(
        weekly_hours=weekday_hours([["09:00", "17:00"]], saturday=[["10:00", "15:00"]])
    )
    clock = clock_for(saturday_branch)
    # Received on Saturday, handled as if received at Monday's opening.
    assert clock.add_working_days(local(2026, 3, 7, 11, 0), 1) == local(2026, 3, 10, 9, 0)


def test_working_days_on_a_night_shift_count_from_the_night_it_started():
    clock = clock_for(FRIDAY_NIGHT)
    # Saturday 02:00 belongs to Friday's night: one working day later is Monday, same
    # offset from midnight: Tuesday 02:00.
    assert clock.add_working_days(local(2026, 3, 7, 2, 0), 1) == local(2026, 3, 10, 2, 0)
    assert clock.add_working_days(local(2026, 3, 6, 23, 0), 1) == local(2026, 3, 9, 23, 0)


def test_sixty_working_days():
    clock = clock_for(BRANCH)
    start = local(2026, 1, 5, 10, 0)
    day, count = D(2026, 1, 5), 0
    while count < 60:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    assert clock.add_working_days(start, 60) == dt.datetime.combine(day, dt.time(10, 0), tzinfo=SH)


# --------------------------------------------------------------------------------------------
# 24/7 and targets


def test_always_open_is_plain_time_arithmetic():
    clock = clock_for(ALWAYS_OPEN)
    start = local(2026, 2, 17, 3, 0)  # Spring Festival, at night
    assert clock.is_open(start)
    assert clock.add(start, 5 * HOUR) == start + dt.timedelta(hours=5)
    assert clock.elapsed(start, start + dt.timedelta(days=3)) == 3 * 24 * HOUR
    # Working days still follow the Chinese calendar.
    due = clock.add_working_days(local(2026, 9, 30, 15, 0), 1)
    assert due == local(2026, 10, 8, 15, 0)
    # Received on a Sunday: counting starts on Monday at midnight.
    assert clock.add_working_days(local(2026, 3, 8, 15, 0), 1) == local(2026, 3, 10, 0, 0)


def test_due_at_maps_target_units():
    clock = clock_for(BRANCH)
    start = local(2026, 3, 6, 16, 30)  # Friday
    assert clock.due_at(Decimal("15.00"), "minutes", start) == local(2026, 3, 6, 16, 45)
    assert clock.due_at(Decimal("2"), "hours", start) == local(2026, 3, 9, 10, 30)
    assert clock.due_at(90, "seconds", start) == local(2026, 3, 6, 16, 31, 30)
    # A regulator's "15 days" is calendar days, whatever the hours.
    assert clock.due_at(Decimal("15"), "days", start) == local(2026, 3, 21, 16, 30)
    assert clock.due_at(Decimal("1"), "working_days", start) == local(2026, 3, 9, 16, 30)
    assert clock.due_at(Decimal("3"), "rings", start) is None
    assert clock.due_at(Decimal("2"), "times", start) is None


# --------------------------------------------------------------------------------------------
# Time zones and daylight saving


def test_daylight_saving_is_counted_in_real_seconds():
    # China has no DST now but had it in 1986–1991: 17 April 1988 had 23 hours.
    around_the_clock = CalendarSpec(weekly_hours=[[["00:00", "00:00"]]] * 7)
    clock = clock_for(around_the_clock)
    assert clock.open_seconds(D(1988, 4, 17)) == 23 * HOUR
    start = local(1988, 4, 16, 12, 0)
    due = clock.add(start, 24 * HOUR)
    assert due - start == dt.timedelta(hours=24)


def test_business_hours_in_a_zone_with_daylight_saving():
    calendar = CalendarSpec(
        weekly_hours=weekday_hours([["09:00", "17:00"]], saturday=[["20:00", "08:00"]]),
        observe_holidays=False,
    )
    ny = ZoneInfo("America/New_York")
    clock = clock_for(calendar, tz="America/New_York")
    # Clocks go forward at 02:00 on Sunday 8 March 2026. Saturday 21:00 + 12 hours: 10 real
    # hours to Sunday 08:00, then 2 on Monday: 11:00 local, 15:00 UTC (16:00 before).
    due = clock.add(dt.datetime(2026, 3, 7, 21, 0, tzinfo=ny), 12 * HOUR)
    assert due == dt.datetime(2026, 3, 9, 11, 0, tzinfo=ny)
    assert due == dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC)
    # The Saturday night across the change lasts 11 real hours.
    saturday = dt.datetime(2026, 3, 7, 12, 0, tzinfo=ny)
    assert clock.elapsed(saturday, saturday + dt.timedelta(days=1)) == 11 * HOUR


# --------------------------------------------------------------------------------------------
# Validation


def _errors(**fields) -> dict[str, list[str]]:
    values = {
        "weekly_hours": weekday_hours([["09:00", "17:00"]]),
        "makeup_day_hours": [],
        "holiday_hours": [],
        "extra_closed_days": [],
        **fields,
    }
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        validate_calendar_fields(
            values["weekly_hours"],
            values["makeup_day_hours"],
            values["holiday_hours"],
            values["extra_closed_days"],
            always_open=values.get("always_open", False),
        )
    return caught.value.errors


def test_validation_names_the_field_day_and_period():
    week = weekday_hours([["09:00", "12:00"], ["13:00", "17:00"]])
    week[1] = [["09:00", "12:00"], ["13:00", "25:00"]]
    errors = _errors(weekly_hours=week)
    assert errors == {"weekly_hours": ["Tuesday, period 2: '25:00' is not a time"]}
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        validate_calendar_fields(week, [], [], [])
    assert "weekly_hours: Tuesday, period 2: '25:00' is not a time" in str(caught.value)


def test_validation_of_every_field():
    assert _errors(weekly_hours=[[["09:00", "17:00"]]] * 6) == {
        "weekly_hours": ["give seven days of hours, Monday to Sunday"]
    }
    assert _errors(makeup_day_hours=[["24:00", "08:00"]]) == {
        "makeup_day_hours": ["period 1: '24:00' can only end a period"]
    }
    assert _errors(holiday_hours=[["10:00"]]) == {
        "holiday_hours": ["period 1: give a start and an end"]
    }
    assert _errors(extra_closed_days=["2026-03-10", "2026-02-30"]) == {
        "extra_closed_days": ["row 2: '2026-02-30' is not a date (YYYY-MM-DD)"]
    }
    week = weekday_hours([["09:00", "12:00"], ["11:00", "17:00"]])
    assert _errors(weekly_hours=week)["weekly_hours"][0] == "Monday, periods 1 and 2 overlap"


def test_a_calendar_never_open_is_invalid_unless_around_the_clock():
    errors = _errors(weekly_hours=[[]] * 7)
    assert list(errors) == ["weekly_hours"]
    assert "never open" in errors["weekly_hours"][0]
    validate_calendar_fields([], [], [], [], always_open=True)
    validate_calendar_fields(
        weekday_hours([["20:00", "08:00"]]), [["09:00", "12:00"]], [], ["2026-03-10"]
    )


def test_clock_for_refuses_malformed_hours():
    with pytest.raises(ValidationFailed) as caught:
        clock_for(CalendarSpec(weekly_hours=[[["9am", "5pm"]]] * 7))
    assert "weekly_hours" in caught.value.errors


# --------------------------------------------------------------------------------------------
# The ORM model


@pytest.mark.django_db
def test_business_calendar_model_and_edits_take_effect():
    from servicefirst.commitments.models import BusinessCalendar

    calendar = BusinessCalendar.objects.create(
        code="branch-test",
        name_zh="网点营业时间",
        name_en="Branch hours",
        weekly_hours=weekday_hours([["09:00", "17:00"]]),
    )
    friday = local(2026, 3, 6, 16, 0)
    assert clock_for(calendar).add(friday, 2 * HOUR) == local(2026, 3, 9, 10, 0)
    assert clock_for(calendar) is clock_for(calendar)

    calendar.weekly_hours = weekday_hours([["09:00", "17:00"]], saturday=[["09:00", "12:00"]])
    calendar.save()
    calendar.refresh_from_db()
    assert clock_for(calendar).add(friday, 2 * HOUR) == local(2026, 3, 7, 10, 0)
