"""Reads of the measurement: attainment by commitment, unit, branch and period; a subject's
clocks; cases near their breach."""

import datetime as dt

import pytest

from servicefirst.accounts.tests.factories import UnitFactory
from servicefirst.commitments import engine, selectors
from servicefirst.commitments.tests.test_engine_support import T0, Org, event, minutes, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return Org()


def day(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_attainment_by_commitment_unit_branch_and_period(org):
    # given a head-office commitment (goal 75 %) measured in two branches over two weeks;
    # branch a has a counter desk below it
    desk = UnitFactory(code="t-a-desk", parent=org.a, kind="operations", line="second")
    version = publish(owner=org.hq, goal=75)
    n = 0
    for unit, waits in ((org.a, [5, 20, 5, 5]), (org.b, [5, 20]), (desk, [5])):
        for week in (0, 7):
            for wait in waits:
                n += 1
                start = T0 + day(week)
                event("floor.ticket.issued", f"ticket:{n}", start, unit=unit)
                event("floor.ticket.called", f"ticket:{n}", start + minutes(wait), unit=unit)
    engine.run_until_caught_up(now=T0 + day(20))
    # by commitment
    (row,) = selectors.attainment()
    assert (row.commitment, row.total, row.met, row.breached) == (version.commitment, 14, 10, 4)
    assert row.percent == pytest.approx(71.43)
    assert (row.goal, row.goal_met) == (75.0, False)
    assert row.mean_value == pytest.approx((5 * 5 + 20 * 2) * 60 * 2 / 14)
    # by unit
    by_unit = {r.unit.code: (r.total, r.met) for r in selectors.attainment(group_by=["unit"])}
    assert by_unit == {"t-a": (8, 6), "t-b": (4, 2), "t-a-desk": (2, 2)}
    # by branch: the desk counts for branch a
    by_branch = {
        r.unit.code: (r.total, r.met, r.goal_met)
        for r in selectors.attainment(group_by=["commitment", "branch"])
    }
    assert by_branch == {"t-a": (10, 8, True), "t-b": (4, 2, False)}
    # by week and by day, within dates
    weeks = selectors.attainment(period="week")
    assert [(r.period, r.total) for r in weeks] == [
        (dt.date(2026, 3, 9), 7),
        (dt.date(2026, 3, 16), 7),
    ]
    days = selectors.attainment(period="day", since=dt.date(2026, 3, 10))
    assert [(r.period, r.total) for r in days] == [(dt.date(2026, 3, 16), 7)]
    (month,) = selectors.attainment(period="month", unit_ids=[org.b.pk])
    assert (month.period, month.total, month.met) == (dt.date(2026, 3, 1), 4, 2)
    with pytest.raises(ValueError, match="period"):
        selectors.attainment(period="year")


def test_a_request_page_shows_its_clocks(org):
    publish(
        owner=org.ccc,
        start="request.opened",
        stop="request.first_response",
        target=30,
        unit="minutes",
    )
    resolution = publish(
        owner=org.ccc,
        start="request.opened",
        stop="request.resolved",
        pause="request.waiting_customer",
        resume="request.customer_replied",
        target=2,
        unit="hours",
    )
    event("request.opened", "request:1", T0, unit=org.ccc)
    event("request.first_response", "request:1", T0 + minutes(10), unit=org.ccc)
    event("request.waiting_customer", "request:1", T0 + minutes(30), unit=org.ccc)
    engine.run_until_caught_up(now=T0 + minutes(45))
    clocks = selectors.cases_for_subject("request:1", now=T0 + minutes(45))
    running, done = clocks
    assert (running.version, running.paused, running.running) == (resolution, True, True)
    assert running.remaining_s == 90 * 60  # frozen while paused
    assert (done.state, done.value, done.remaining_s) == ("met", 600.0, None)
    event("request.customer_replied", "request:1", T0 + minutes(60), unit=org.ccc)
    engine.run_until_caught_up(now=T0 + minutes(61))
    (running, _) = selectors.cases_for_subject("request:1", now=T0 + minutes(70))
    assert (running.paused, running.remaining_s, running.due_at) == (
        False,
        80 * 60,
        T0 + minutes(150),
    )
    (running, _) = selectors.cases_for_subject("request:1", now=T0 + minutes(160))
    assert running.overdue
    assert running.remaining_s == -600


def test_cases_near_their_breach(org):
    publish(owner=org.east)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.issued", "ticket:2", T0 + minutes(5), unit=org.a)
    event("floor.ticket.issued", "ticket:3", T0, unit=org.b)
    engine.run_until_caught_up(now=T0 + minutes(13))
    near = selectors.open_cases_near_breach(now=T0 + minutes(13))
    assert [c.case.subject for c in near] == ["ticket:1", "ticket:3"]
    near = selectors.open_cases_near_breach(now=T0 + minutes(13), unit_ids=[org.a.pk])
    assert [c.case.subject for c in near] == ["ticket:1"]
    soon = selectors.open_cases_near_breach(now=T0 + minutes(13), within_s=10 * 60)
    assert [c.case.subject for c in soon] == ["ticket:1", "ticket:3", "ticket:2"]
    assert soon[0].remaining_s == 120
