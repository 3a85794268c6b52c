from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from servicefirst.accounts.models import Role, Staff, StaffRole, Unit
from servicefirst.core.demo import AUM_RANGES, DEMO_PASSWORD, STAFF
from servicefirst.customers.models import (
    Consent,
    Customer,
    CustomerTask,
    Holding,
    HouseholdLink,
    Interaction,
    Product,
)

pytestmark = pytest.mark.django_db

SAVINGS = {"deposit", "fund", "wealth", "insurance"}


def _counts():
    return {
        "customers": Customer.objects.count(),
        "staff": Staff.objects.count(),
        "units": Unit.objects.count(),
        "products": Product.objects.count(),
        "holdings": Holding.objects.count(),
        "consents": Consent.objects.count(),
        "links": HouseholdLink.objects.count(),
        "interactions": Interaction.objects.count(),
        "tasks": CustomerTask.objects.count(),
    }


@pytest.fixture
def demo(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", customers=150, uci_rows=40, stdout=out)
    return out.getvalue()


def test_demo_creates_the_bank_and_prints_every_login(demo):
    for username, *_rest in STAFF:
        assert username in demo
    assert DEMO_PASSWORD in demo
    held = set(StaffRole.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert {"branch", "care_center", "operations", "cards", "loans", "it", "wealth"} <= kinds
    assert set(Unit.objects.filter(kind="branch").values_list("code", flat=True)) == {
        "bj-cy",
        "sh-pd",
        "gz-th",
    }
    assert Unit.objects.get(code="ccc").line == Unit.Line.FIRST
    assert Unit.objects.get(code="ops").line == Unit.Line.SECOND
    languages = {lang for s in Staff.objects.all() for lang in s.languages}
    assert {"zh", "en", "yue", "ja"} <= languages
    ui = list(Staff.objects.values_list("preferred_ui_language", flat=True))
    assert ui.count("en") == 1
    assert set(ui) == {"zh-hans", "en"}


def test_demo_staff_can_log_in(demo, client):
    assert client.login(username="teller.bj", password=DEMO_PASSWORD)


def test_demo_customers_come_through_the_importer(demo):
    assert Customer.objects.filter(source="import", source_key__startswith="demo-").count() == 150
    assert Customer.objects.filter(source="uci-bank-marketing").count() == 40
    synthetic = Customer.objects.filter(source="import")
    assert synthetic.exclude(home_branch=None).exists()
    assert synthetic.exclude(relationship_manager=None).exists()
    assert all(c.pinyin_initials for c in synthetic if c.name_zh)


def test_demo_products_and_consistent_holdings(demo):
    categories = set(Product.objects.values_list("category", flat=True))
    assert categories == set(Product.Category.values)
    assert Product.objects.filter(is_flagship=True).count() >= 3
    assert set(Product.objects.values_list("risk_level", flat=True)) >= {1, 2, 3, 4, 5}
    current = Customer.objects.filter(source="import", lifecycle="current")
    checked = 0
    for customer in current.prefetch_related("holdings__product"):
        active = [h for h in customer.holdings.all() if h.status == "active"]
        assert active, customer
        total = sum((h.balance for h in active if h.product.category in SAVINGS), Decimal(0))
        low, high = AUM_RANGES[customer.aum_band]
        assert low <= total <= high, (customer.aum_band, total)
        appetite = int(customer.risk_appetite[1]) if customer.risk_appetite else 1
        for h in active:
            if h.product.category in ("fund", "wealth", "insurance") and h.product.risk_level > 1:
                assert h.product.risk_level <= appetite
        checked += 1
    assert checked > 50


def test_demo_consents_households_timeline_tasks(demo):
    assert Consent.objects.exists()
    assert not Consent.objects.filter(source="").exists()
    for link in HouseholdLink.objects.select_related("customer", "relative"):
        assert link.customer.home_address == link.relative.home_address
        inverse = HouseholdLink.INVERSE[link.relation]
        assert HouseholdLink.objects.filter(
            customer=link.relative, relative=link.customer, relation=inverse
        ).exists()
    kinds = set(Interaction.objects.values_list("kind", flat=True))
    assert {"visit", "call", "note", "campaign_call"} <= kinds
    assert CustomerTask.objects.filter(status="open").exists()
    # A do-not-call customer never has an open phone consent.
    assert not Consent.objects.filter(
        kind="phone", withdrawn_at__isnull=True, customer__do_not_call=True
    ).exists()


def test_second_run_reuses_the_bank(demo, settings):
    before = _counts()
    out = StringIO()
    call_command("demo", customers=150, uci_rows=40, stdout=out)
    assert _counts() == before
    text = out.getvalue()
    assert "already loaded" in text
    assert "teller.bj" in text
    assert DEMO_PASSWORD in text


def test_skip_uci(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("demo", customers=30, skip_uci=True, stdout=StringIO())
    # 30 imported; the lobby's demo adds the prospects its walk-ins left their details for.
    assert Customer.objects.exclude(source="lobby-demo").count() == 30
    assert set(Customer.objects.values_list("source", flat=True)) <= {"import", "lobby-demo"}
    assert not Customer.objects.filter(source="uci-bank-marketing").exists()
