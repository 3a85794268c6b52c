"""The branch report page: pickers, tables, charts, and who may open it."""

import json

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.reports.tests.fixtures import report_branch

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return report_branch()


def test_manager_sees_figures_and_charts(client, branch):
    manager = make_staff(Role.BRANCH_MANAGER, unit=branch).user
    client.force_login(manager)
    response = client.get(reverse("reports:branch"), {"from": "2026-03-02", "to": "2026-03-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kpi="tickets">9<' in html
    assert 'data-kpi="p90_wait">23.0<' in html
    assert 'data-kpi="within">75.0%<' in html
    assert 'id="waits-chart"' in html
    assert 'id="service-chart"' in html
    assert "plotly/plotly.min.js" in html
    assert "cdn" not in html.lower()
    assert 'id="table-services"' in html
    assert "format=csv" in html


def test_bad_dates_say_so_and_show_the_default_week(client, branch):
    manager = make_staff(Role.BRANCH_MANAGER, unit=branch).user
    client.force_login(manager)
    response = client.get(reverse("reports:branch"), {"from": "2026-13-01"})
    assert response.status_code == 200
    assert 'data-error-for="from"' in response.content.decode()


def test_roles_without_reports_are_refused(client, branch):
    teller = make_staff(Role.TELLER, unit=branch).user
    client.force_login(teller)
    assert client.get(reverse("reports:branch")).status_code == 403
    assert client.get(reverse("reports:export")).status_code == 403


def test_bank_wide_roles_pick_any_branch(client, branch):
    other = report_branch()
    auditor = make_staff(Role.COMPLIANCE_AUDITOR).user
    client.force_login(auditor)
    response = client.get(
        reverse("reports:branch"), {"branch": other.pk, "from": "2026-03-02", "to": "2026-03-03"}
    )
    html = response.content.decode()
    assert f'<option value="{other.pk}" selected>' in html
    assert f'<option value="{branch.pk}"' in html


def test_the_report_in_chinese(client, branch):
    manager = make_staff(Role.BRANCH_MANAGER, unit=branch, ui_language="zh-hans").user
    client.force_login(manager)
    html = client.get(
        reverse("reports:branch"), {"from": "2026-03-02", "to": "2026-03-03"}
    ).content.decode()
    assert "网点报表" in html
    assert "90 分位等候（分钟）" in html
    assert "开始日期" in html
    chart_title = json.dumps("每日等候时间（分钟）")[1:-1]  # plotly's JSON escapes it
    assert chart_title in html
