"""The branch report's figures against a hand-computed fixture (see fixtures.py)."""

import datetime

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.reports import selectors
from servicefirst.reports.selectors import percentile
from servicefirst.reports.tables import day_table, service_table
from servicefirst.reports.tests.fixtures import DAY1, DAY2, at, report_branch

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return report_branch()


@pytest.fixture
def manager(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch).user


def report(actor, branch, day_from=DAY1, day_to=DAY2):
    return selectors.branch_report(
        actor=actor, branch_id=branch.pk, day_from=day_from, day_to=day_to
    )


def test_percentile_interpolates_between_ranks():
    assert percentile([], 90) is None
    assert percentile([7], 90) == 7
    assert percentile([4, 5, 8, 10, 12, 20, 30], 90) == pytest.approx(24.0)
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)


def test_day_one_figures(manager, branch):
    day1 = report(manager, branch).days[0]
    assert day1.day == DAY1
    assert day1.tickets == 7  # 7b continues ticket 7
    assert day1.served == 5
    assert day1.no_shows == 1
    # waits 4, 5, 8, 10, 12, 20, 30 minutes
    assert day1.mean_wait_s == pytest.approx(89 / 7 * 60)
    assert day1.p90_wait_s == pytest.approx(24 * 60)
    assert day1.within_commitment == pytest.approx(5 / 7)
    assert day1.vip_tickets == 1
    assert day1.vip_mean_wait_s == pytest.approx(20 * 60)
    assert (day1.prompts_raised, day1.prompts_done) == (3, 2)


def test_day_two_and_the_totals(manager, branch):
    result = report(manager, branch)
    day2, total = result.days[1], result.total
    assert (day2.tickets, day2.served, day2.no_shows) == (2, 1, 0)
    assert day2.mean_wait_s == pytest.approx(120)
    assert day2.within_commitment == 1
    assert (day2.vip_tickets, day2.vip_mean_wait_s) == (1, pytest.approx(120))
    # totals: waits 2, 4, 5, 8, 10, 12, 20, 30
    assert (total.tickets, total.served, total.no_shows) == (9, 6, 1)
    assert total.mean_wait_s == pytest.approx(91 / 8 * 60)
    assert total.p90_wait_s == pytest.approx(23 * 60)
    assert total.within_commitment == pytest.approx(6 / 8)
    assert total.vip_tickets == 2
    assert total.vip_mean_wait_s == pytest.approx(11 * 60)
    assert result.commitment_minutes == 15


def test_service_times_per_service(manager, branch):
    services = {s.service.code: s for s in report(manager, branch).services}
    cash, account = services["cash"], services["account"]
    assert (cash.tickets, cash.served) == (7, 4)
    assert cash.mean_service_s == pytest.approx(4.5 * 60)  # 3, 4, 5, 6
    assert cash.p90_service_s == pytest.approx(5.7 * 60)
    assert cash.mean_wait_s == pytest.approx(9 * 60)  # 5, 10, 20, 8, 2
    assert (account.tickets, account.served) == (3, 2)
    assert account.mean_service_s == pytest.approx(12.5 * 60)  # 15, 10
    assert account.p90_service_s == pytest.approx(14.5 * 60)


def test_tables_in_minutes_and_percent(manager, branch):
    result = report(manager, branch)
    days = day_table(result)
    assert days.headers[:7] == [
        "Day",
        "Tickets",
        "Served",
        "No-shows",
        "Mean wait (min)",
        "90th percentile wait (min)",
        "Within 15 min (%)",
    ]
    assert days.rows[0][:11] == ["2026-03-02", 7, 5, 1, 12.7, 24.0, 71.4, 1, 20.0, 3, 2]
    assert days.footer[:11] == ["Total", 9, 6, 1, 11.4, 23.0, 75.0, 2, 11.0, 3, 2]
    services = service_table(result)
    assert services.rows[0] == ["Cash", 7, 4, 9.0, 4.5, 5.7]
    assert services.rows[1] == ["Account opening", 3, 2, 15.3, 12.5, 14.5]


def test_a_day_without_tickets_has_no_wait_figures(manager, branch):
    quiet = DAY2 + datetime.timedelta(days=1)
    result = report(manager, branch, day_from=quiet, day_to=quiet)
    day = result.days[0]
    assert (day.tickets, day.mean_wait_s, day.p90_wait_s, day.within_commitment) == (
        0,
        None,
        None,
        None,
    )
    assert day_table(result).rows[0][4:7] == [None, None, None]


def test_walk_ins_and_handoffs_come_from_the_lobby(manager, branch):
    from servicefirst.lobby.models import WalkIn

    WalkIn.objects.create(branch=branch, at=at(DAY1, 9), day=DAY1, created_prospect=True)
    WalkIn.objects.create(branch=branch, at=at(DAY1, 10), day=DAY1)
    WalkIn.objects.create(branch=branch, at=at(DAY2, 10), day=DAY2)
    result = report(manager, branch)
    assert result.lobby
    assert [(d.walk_ins, d.prospects) for d in result.days] == [(2, 1), (1, 0)]
    assert (result.total.walk_ins, result.total.prospects) == (3, 1)


def test_a_branch_manager_reports_only_on_their_branch(manager, branch):
    other = report_branch()
    with pytest.raises(NotFound):
        report(manager, other)
    analyst = make_staff(Role.MARKETING_ANALYST).user  # bank-wide reports
    assert report(analyst, other).total.tickets == 9
    teller = make_staff(Role.TELLER, unit=branch).user
    with pytest.raises(NotFound):
        report(teller, branch)


def test_report_params_default_and_errors(manager, branch):
    chosen, day_from, day_to = selectors.report_params(manager, {})
    assert chosen == branch
    assert (day_to - day_from).days == 6
    with pytest.raises(ValidationFailed) as exc:
        selectors.report_params(manager, {"from": "2026-03-09", "to": "2026-03-01"})
    assert exc.value.errors == {"from": ["The first day must not be after the last."]}
    with pytest.raises(ValidationFailed) as exc:
        selectors.report_params(manager, {"from": "yesterday"})
    assert exc.value.errors == {"from": ["Enter a date as YYYY-MM-DD."]}
    with pytest.raises(ValidationFailed) as exc:
        selectors.report_params(manager, {"from": "2024-01-01", "to": "2026-03-01"})
    assert "from" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        selectors.report_params(manager, {"branch": str(report_branch().pk)})
    assert "branch" in exc.value.errors
