import json

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def _client(client, role):
    staff = make_staff(role)
    client.login(username=staff.user.username, password=PASSWORD)
    return client


def test_supervisor_sees_the_sample_day_planned(client):
    response = _client(client, Role.CC_SUPERVISOR).get(reverse("staffing:planner"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="planner-table"' in html
    assert html.count("<tr data-start=") == 24
    assert 'id="staffing-chart"' in html
    assert "08:00,95,240" in html  # the pasteable sample forecast


def test_submitting_a_forecast_plans_it(client):
    c = _client(client, Role.CC_SUPERVISOR)
    response = c.post(
        reverse("staffing:planner"),
        {
            "service_level": "80",
            "answer_s": "20",
            "patience_s": "90",
            "max_occupancy": "",
            "forecast": "start,calls,aht\n09:00,360,240\n09:30,300,240",
        },
    )
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [r.interval.calls for r in plan.rows] == [360, 300]
    assert plan.rows[0].erlang_c.agents == 54  # 48 Erlangs, 80% in 20 s
    html = response.content.decode()
    assert html.count("<tr data-start=") == 2
    assert 'data-col="agents_c">54<' in html


def test_bad_row_is_reported_and_nothing_planned(client):
    c = _client(client, Role.CC_SUPERVISOR)
    response = c.post(
        reverse("staffing:planner"),
        {
            "service_level": "90",
            "answer_s": "15",
            "patience_s": "120",
            "forecast": "08:00,100,180\n08:30,lots,180",
        },
    )
    assert response.status_code == 200
    assert response.context["plan"] is None
    assert "Row 2, column “calls”" in response.content.decode()


def test_bad_target_is_reported(client):
    c = _client(client, Role.CC_SUPERVISOR)
    response = c.post(
        reverse("staffing:planner"),
        {"service_level": "100", "answer_s": "-3", "patience_s": "120", "forecast": "08:00,1,1"},
    )
    assert response.context["plan"] is None
    assert set(response.context["form"].errors) == {"service_level", "answer_s"}


@pytest.mark.parametrize("role", [Role.BRANCH_MANAGER, Role.MARKETING_ANALYST])
def test_other_insight_readers_may_plan(client, role):
    assert _client(client, role).get(reverse("staffing:planner")).status_code == 200


@pytest.mark.parametrize("role", [Role.CC_AGENT, Role.TELLER, Role.ADMINISTRATOR])
def test_roles_without_insight_view_are_refused(client, role):
    assert _client(client, role).get(reverse("staffing:planner")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("staffing:planner"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_page_in_chinese(client):
    staff = make_staff(Role.CC_SUPERVISOR, ui_language="zh-hans")
    client.login(username=staff.user.username, password=PASSWORD)
    html = client.get(reverse("staffing:planner")).content.decode()
    assert "坐席人力测算" in html
    assert "服务水平" in html
    # the chart's title (plotly writes its figure as ASCII JSON)
    assert json.dumps("全天各时段所需坐席")[1:-1] in html
