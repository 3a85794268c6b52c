"""The insight pages and API: who may open them, the live segment preview, saving and using a
segment, editing rules with errors on the named field, the dashboard and its drill-down."""

from decimal import Decimal

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, UnitFactory, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Consent, Holding
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.insights.models import (
    ClassificationJob,
    ClassificationRule,
    OutreachList,
    Segment,
)

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def data(branch):
    fund = ProductFactory(code="fund-x", name_en="Fund X", category="fund", is_flagship=True)
    a = make_customer(name_zh="王甲", phones=["13800138000"], home_branch=branch)
    for kind in ("marketing", "phone"):
        Consent.objects.create(customer=a, kind=kind, source="form")
    b = make_customer(name_zh="王乙", do_not_call=True, home_branch=branch)
    Holding.objects.create(customer=a, product=fund, balance=Decimal("100000"))
    return {"fund": fund, "a": a, "b": b}


@pytest.mark.parametrize(
    "name", ["insights:acceptance", "insights:segments", "insights:segment_new", "insights:rules"]
)
def test_pages_open_for_the_analyst(client, analyst, rules, data, name):
    response = client_for(client, analyst).get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name", ["insights:acceptance", "insights:segments", "insights:rules", "insights:rule_new"]
)
def test_pages_are_refused_to_a_teller(client, teller, name):
    assert client_for(client, teller).get(reverse(name)).status_code == 403


def test_nav_link_shows_for_insight_roles(client, analyst, teller):
    assert b'id="nav-insights"' in client_for(client, analyst).get(reverse("home")).content
    client.logout()
    assert b'id="nav-insights"' not in client_for(client, teller).get(reverse("home")).content


def test_dashboard_has_chart_table_and_flagship(client, analyst, data):
    html = client_for(client, analyst).get(reverse("insights:acceptance")).content.decode()
    assert 'id="funnel-table"' in html
    assert 'id="funnel-chart"' in html
    assert "plotly/plotly.min.js" in html
    assert html.count("plotly.min.js") == 1
    assert "★" in html
    assert 'id="matrix-table"' in html


def test_dashboard_filter_errors_name_the_field(client, analyst, data):
    html = (
        client_for(client, analyst)
        .get(reverse("insights:acceptance"), {"date_from": "not-a-date"})
        .content.decode()
    )
    assert "Enter a date as YYYY-MM-DD." in html or "Enter a valid date." in html


def test_drill_down_page_is_audited(client, analyst, data):
    c = client_for(client, analyst)
    response = c.get(
        reverse("insights:drill"),
        {"figure": "funnel", "product": "fund-x", "key": "bought"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert data["a"].number in response.content.decode()
    assert "王*<" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="customer.export", customer_id=data["a"].pk, detail__drilldown="funnel"
    ).exists()


def test_live_preview_and_save(client, analyst, data):
    c = client_for(client, analyst)
    response = c.post(
        reverse("insights:segment_preview"),
        {"lifecycle": ["current"], "consents": ["marketing"]},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-count="1"' in response.content.decode()
    response = c.post(reverse("insights:segment_preview"), {"extra": "[{"})
    assert "Not valid JSON" in response.content.decode()
    response = c.post(
        reverse("insights:segment_new"), {"name": "Marketable", "consents": ["marketing"]}
    )
    segment = Segment.objects.get(name="Marketable")
    assert response.status_code == 302
    assert segment.definition == [{"field": "consent", "op": "has", "value": "marketing"}]
    assert segment.last_count == 1
    page = c.get(reverse("insights:segment_edit", args=[segment.pk])).content.decode()
    assert 'data-count="1"' in page
    response = c.post(reverse("insights:segment_new"), {"name": ""})
    assert "Give the segment a name." in response.content.decode()


def test_outreach_from_the_page(client, analyst, data):
    c = client_for(client, analyst)
    c.post(reverse("insights:segment_new"), {"name": "Everyone"})
    segment = Segment.objects.get(name="Everyone")
    response = c.post(
        reverse("insights:outreach_create", args=[segment.pk]),
        {"purpose": "campaign", "channel": "phone"},
    )
    outreach = OutreachList.objects.get()
    assert response.url == reverse("insights:outreach", args=[outreach.pk])
    html = c.get(response.url).content.decode()
    assert outreach.member_count == 1
    assert 'data-reason="do_not_call"' in html
    assert "On the do-not-call list" in html


def test_rule_edit_names_the_bad_field(client, analyst, rules):
    rule = ClassificationRule.objects.get(target="value_tier", outcome="affluent")
    c = client_for(client, analyst)
    page = c.get(reverse("insights:rule_edit", args=[rule.pk])).content.decode()
    assert 'value="50000"' in page
    response = c.post(
        reverse("insights:rule_edit", args=[rule.pk]),
        {
            "target": "value_tier",
            "outcome": "affluent",
            "reason_zh": "",
            "reason_en": "x",
            "is_active": "on",
            "cond-0-field": "",
            "cond-0-op": "",
            "cond-0-value": "",
            "cond-1-field": "aum",
            "cond-1-op": "gte",
            "cond-1-value": "lots",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-error-for="cond-1-value"' in html
    assert 'data-error-for="reason_zh"' in html
    rule.refresh_from_db()
    assert rule.conditions == [{"field": "aum", "op": "gte", "value": 50000}]
    response = c.post(
        reverse("insights:rule_edit", args=[rule.pk]),
        {
            "target": "value_tier",
            "outcome": "affluent",
            "reason_zh": "资产不低于10万元",
            "reason_en": "Assets of ¥100,000 or more",
            "is_active": "on",
            "cond-0-field": "aum",
            "cond-0-op": "gte",
            "cond-0-value": "100,000",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.conditions == [{"field": "aum", "op": "gte", "value": 100000}]


def test_rules_dry_run_move_and_run(
    client, analyst, rules, data, django_capture_on_commit_callbacks
):
    c = client_for(client, analyst)
    html = c.get(reverse("insights:rule_dry_run"), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="dry-run-result"' in html
    rule = ClassificationRule.objects.get(target="lifecycle", outcome="former")
    c.post(reverse("insights:rule_move", args=[rule.pk]), {"direction": "up"})
    outcomes = list(
        ClassificationRule.objects.filter(target="lifecycle").values_list("outcome", flat=True)
    )
    assert outcomes.index("former") == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("insights:classification_start"))
    job = ClassificationJob.objects.get()
    assert response.url == reverse("insights:job", args=[job.pk])
    assert c.get(response.url).status_code == 200


def test_api_segments(client, analyst, data):
    c = client_for(client, analyst)
    body = {"definition": [{"field": "consent", "op": "has", "value": "phone"}]}
    r = c.post("/api/insights/segments/preview", body, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["count"] == 1
    r = c.post(
        "/api/insights/segments/preview",
        {"definition": [{"field": "lifecycle", "op": "eq", "value": "king"}]},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "definition.0.value"
    r = c.post("/api/insights/segments", {"name": "API", **body}, content_type="application/json")
    assert r.status_code == 201
    segment_id = r.json()["id"]
    assert [s["id"] for s in c.get("/api/insights/segments").json()] == [segment_id]
    members = c.get(f"/api/insights/segments/{segment_id}/members").json()
    assert members["count"] == 1
    assert members["members"][0]["number"] == data["a"].number
    r = c.post(
        f"/api/insights/segments/{segment_id}/outreach",
        {"purpose": "campaign", "channel": "phone"},
        content_type="application/json",
    )
    assert r.json()["member_count"] == 1


def test_api_funnel_and_permissions(client, analyst, teller, data):
    c = client_for(client, analyst)
    rows = c.get("/api/insights/funnel").json()
    assert rows[0]["product"] == "fund-x"
    assert rows[0]["bought"] == 1
    assert c.get("/api/insights/funnel", {"channel": "x"}).status_code == 422
    client.logout()
    c = client_for(client, teller)
    assert c.get("/api/insights/funnel").status_code == 403
    assert (
        c.post(
            "/api/insights/segments/preview", {"definition": []}, content_type="application/json"
        ).status_code
        == 403
    )


def test_api_offer(client, data):
    agent = make_staff(Role.CC_AGENT, unit=UnitFactory()).user
    c = client_for(client, agent)
    r = c.post(
        "/api/insights/offers",
        {"customer_id": data["a"].pk, "product": "fund-x", "stage": "offered", "channel": "phone"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert data["a"].interactions.filter(detail__stage="offered").exists()


def test_api_rules(client, analyst, teller, rules):
    c = client_for(client, analyst)
    assert len(c.get("/api/insights/rules").json()) == 10
    body = {
        "target": "lifecycle",
        "outcome": "never",
        "conditions": [{"field": "age", "op": "gte", "value": "old"}],
        "reason_zh": "过老",
        "reason_en": "Too old",
    }
    r = c.post("/api/insights/rules", body, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "conditions.0.value"
    body["conditions"][0]["value"] = 120
    assert c.post("/api/insights/rules", body, content_type="application/json").status_code == 201
    client.logout()
    c = client_for(client, teller)
    assert c.post("/api/insights/rules", body, content_type="application/json").status_code == 403


def test_pages_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Product acceptance") == "产品接受度"
        assert translation.gettext("On the do-not-call list") == "在免打扰名单中"
