import datetime

import pytest

from servicefirst.core.errors import ValidationFailed
from servicefirst.staffing import erlang, planner


def test_sample_day_is_planned_by_both_models():
    forecast = planner.parse_forecast(planner.sample_forecast_text())
    assert forecast[0].start == datetime.time(8, 0)
    assert forecast[-1].start == datetime.time(19, 30)
    assert len(forecast) == 24  # 08:00–20:00 in half-hours
    result = planner.plan(forecast, planner.Target(0.9, 15, 120))
    assert result.calls == sum(c for _s, c, _a in planner.SAMPLE_DAY)
    for row in result.rows:
        assert row.erlang_c.service_level >= 0.9
        assert row.erlang_a.service_level >= 0.9
        assert row.erlang_c.agents > row.traffic  # Erlang C needs more agents than Erlangs
        assert 0 < row.erlang_a.abandon < 0.1
        assert row.erlang_c.abandon == 0
        assert 0 < row.erlang_c.occupancy < 1
        # callers who hang up lighten the queue: Erlang A never asks for more here
        assert row.erlang_a.agents <= row.erlang_c.agents
    assert result.agent_hours_c == sum(r.erlang_c.agents for r in result.rows) / 2
    assert result.agent_hours_a == sum(r.erlang_a.agents for r in result.rows) / 2
    assert result.agent_hours_a < result.agent_hours_c
    peak = max(result.rows, key=lambda r: r.interval.calls)
    assert peak.interval.start == datetime.time(10, 0)
    assert result.peak_c == peak.erlang_c.agents


def test_a_row_matches_the_formulas():
    forecast = [planner.Interval(datetime.time(9), 360, 240)]
    row = planner.plan(forecast, planner.Target(0.8, 20, 90, max_occupancy=0.85)).rows[0]
    rate = 360 / 1800
    assert row.traffic == pytest.approx(48)
    n = erlang.agents_for_service_level(rate, 240, 0.8, 20, max_occupancy=0.85)
    assert row.erlang_c.agents == n
    assert row.erlang_c.asa_s == pytest.approx(erlang.asa_c(rate, 240, n))
    assert row.erlang_c.occupancy <= 0.85
    na = erlang.agents_for_service_level_a(rate, 240, 90, 0.8, 20, max_occupancy=0.85)
    assert row.erlang_a.agents == na
    assert row.erlang_a.abandon == pytest.approx(erlang.abandonment_a(rate, 240, 90, na))


def test_quiet_interval_needs_nobody():
    result = planner.plan([planner.Interval(datetime.time(20), 0, 200)], planner.Target())
    assert result.rows[0].erlang_c.agents == 0
    assert result.rows[0].erlang_a.agents == 0
    assert result.agent_hours_c == 0


def test_parse_accepts_tabs_semicolons_no_header_and_sorts():
    text = "09:00\t100\t180\n8:30\t80\t200\n"
    assert [i.start.hour for i in planner.parse_forecast(text)] == [8, 9]
    assert planner.parse_forecast("08:00;10;200")[0].calls == 10
    assert planner.parse_forecast("start,calls,aht\n\n08:00, 12.5 ,200\n")[0].calls == 12.5


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "at least one interval"),
        ("start,calls,aht\n", "at least one interval"),
        ("08:00,10", "Row 1: expected 3 columns"),
        ("08:00,10,200\n8h30,10,200", "Row 2, column “start”"),
        ("08:00,10,200\n25:00,10,200", "Row 2, column “start”"),
        ("08:00,10,200\n08:30,many,200", "Row 2, column “calls”"),
        ("08:00,10,200\n08:30,-4,200", "Row 2, column “calls”"),
        ("start,calls,aht\n08:00,10,0", "Row 2, column “aht”"),
        ("08:00,10,200\n08:00,12,200", "appears twice"),
    ],
)
def test_bad_forecast_names_the_row_and_column(text, fragment):
    with pytest.raises(ValidationFailed) as exc:
        planner.parse_forecast(text)
    assert fragment in exc.value.errors["forecast"][0]
