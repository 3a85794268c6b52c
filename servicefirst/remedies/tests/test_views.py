"""The remedy pages: who may open them, the queue, the case page (reason, apology preview in
the customer's language, gift picker with stock and budget), approvals, stock and budget,
the report with its chart, and the demo data."""

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.remedies import services
from servicefirst.remedies.demo import demo_remedies, demo_remedies_catch_up
from servicefirst.remedies.models import GiftBudget, GiftGrant, GiftStock, RemedyCase
from servicefirst.remedies.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    f.setup_catalogue()
    branch = UnitFactory(name_zh="朝阳支行", name_en="Chaoyang Branch")
    version = f.version(branch)
    customer = make_customer(name_zh="王小明", gender="M")
    case = f.breach(version, unit=branch, customer=customer)
    (remedy,) = services.open_for_breach([case.pk])
    f.stock(branch, "umbrella", 4)
    f.budget(branch, 100)
    return {
        "branch": branch,
        "remedy": remedy,
        "lobby": make_staff(Role.LOBBY_MANAGER, unit=branch, ui_language="zh-hans"),
        "manager": make_staff(Role.BRANCH_MANAGER, unit=branch),
        "teller": make_staff(Role.TELLER, unit=branch),
    }


def test_tellers_may_not_open_the_remedy_pages(client, bank):
    client.force_login(bank["teller"].user)
    for name in ("remedies:queue", "remedies:report", "remedies:gifts", "remedies:approvals"):
        assert client.get(reverse(name)).status_code == 403


def test_the_queue_and_the_case_page_for_the_lobby_manager(client, bank):
    remedy = bank["remedy"]
    client.force_login(bank["lobby"].user)
    page = client.get(reverse("remedies:queue")).content.decode()
    assert "排队等候不超过15分钟" in page
    assert "王小明" not in page  # masked in the queue
    page = client.get(reverse("remedies:detail", args=[remedy.pk])).content.decode()
    assert "王先生" in page  # the apology preview greets the customer
    assert "朝阳支行" in page
    assert 'data-gift="umbrella"' in page
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CUSTOMER_VIEW, customer_id=remedy.customer_id
        ).count()
        == 1
    )


def test_working_a_remedy_through_the_pages(client, bank):
    remedy = bank["remedy"]
    client.force_login(bank["lobby"].user)
    url = reverse("remedies:reason", args=[remedy.pk])
    response = client.post(url, {"reason_kind": "", "reason": ""}, follow=True)
    assert "请说明" in response.content.decode() or "objective" in response.content.decode()
    client.post(url, {"reason_kind": "subjective", "reason": "午间只开一个窗口"})
    client.post(reverse("remedies:apologise", args=[remedy.pk]), {"channel": "counter"})
    umbrella = GiftStock.objects.get(unit=bank["branch"]).gift
    client.post(reverse("remedies:gift", args=[remedy.pk]), {"gift": umbrella.pk})
    response = client.post(reverse("remedies:close", args=[remedy.pk]), follow=True)
    remedy.refresh_from_db()
    assert remedy.status == "closed"
    assert Interaction.objects.filter(customer=remedy.customer, outcome="apology").exists()
    assert GiftStock.objects.get(unit=bank["branch"]).quantity == 3
    assert response.status_code == 200


def test_managers_approve_and_manage_stock_and_budget(client, bank):
    remedy = bank["remedy"]
    powerbank = f.stock(bank["branch"], "powerbank", 2).gift
    f.budget(bank["branch"], 10)
    grant = services.give_gift(actor=bank["lobby"].user, remedy_id=remedy.pk, gift_id=powerbank.pk)
    client.force_login(bank["manager"].user)
    assert f'data-grant="{grant.pk}"' in client.get(reverse("remedies:approvals")).content.decode()
    client.post(reverse("remedies:decide", args=[grant.pk]), {"decision": "approve"})
    grant.refresh_from_db()
    assert grant.approval_status == GiftGrant.Approval.APPROVED
    assert GiftStock.objects.get(unit=bank["branch"], gift=powerbank).quantity == 1

    client.post(
        reverse("remedies:stock_add"),
        {"unit": bank["branch"].pk, "gift": powerbank.pk, "quantity": "10"},
    )
    assert GiftStock.objects.get(unit=bank["branch"], gift=powerbank).quantity == 11
    client.post(
        reverse("remedies:budget_set"),
        {"unit": bank["branch"].pk, "month": "2027-05", "amount": "650"},
    )
    assert GiftBudget.objects.get(unit=bank["branch"], month="2027-05-01").amount == 650
    page = client.get(reverse("remedies:gifts")).content.decode()
    assert 'id="gift-stock"' in page


def test_the_report_page_has_its_table_and_chart(client, bank):
    services.apologise(actor=bank["lobby"].user, remedy_id=bank["remedy"].pk, channel="sms")
    client.force_login(bank["manager"].user)
    page = client.get(reverse("remedies:report")).content.decode()
    assert 'id="remedy-report"' in page
    assert 'id="remedied-chart"' in page
    assert "plotly/plotly.min.js" in page


def test_the_demo_is_idempotent_and_works_a_share_of_the_breaches(bank):
    ccc = UnitFactory(kind="care_center", code="ccc")
    first = demo_remedies()
    assert first["apology_templates"] == 0  # already there from the fixture
    assert GiftStock.objects.filter(unit=ccc).count() == 5
    assert demo_remedies()["gift_stock"] == 0
    make_staff(Role.LOBBY_MANAGER, unit=bank["branch"])
    version = bank["remedy"].case.version
    for _i in range(30):
        f.breach(version, unit=bank["branch"], customer=make_customer())
    counts = demo_remedies_catch_up()
    assert counts["remedies_opened"] == 30
    assert counts["apologies"] > 5
    assert RemedyCase.objects.exclude(reason_kind="").count() > 5
    assert demo_remedies_catch_up()["remedies_opened"] == 0
