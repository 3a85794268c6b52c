"""The product funnel against a hand-computed fixture, its filters, the classification matrix,
offer recording on the timeline, and the audit row of every drill-down."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Campaign, Holding, Interaction
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.insights import selectors, services
from servicefirst.insights.models import OfferEvent
from servicefirst.insights.selectors import FunnelFilters, funnel_filters

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(branch):
    a = ProductFactory(code="prod-a", is_flagship=True)
    b = ProductFactory(code="prod-b")
    c = ProductFactory(code="prod-c")  # never offered: not listed
    other_branch = UnitFactory()
    cs = {i: make_customer(name_zh=f"客户{i}", home_branch=branch) for i in (1, 2)}
    cs.update(
        {i: make_customer(name_zh=f"客户{i}", home_branch=other_branch) for i in (3, 4, 5, 6)}
    )

    def event(n, stage, channel, when=None):
        OfferEvent.objects.create(
            customer=cs[n],
            product=a,
            stage=stage,
            channel=channel,
            occurred_at=when or timezone.now(),
        )

    # 1: offered, interested, applied by phone, then opened the product -> bought
    for stage in ("offered", "interested", "applied"):
        event(1, stage, "phone")
    Holding.objects.create(customer=cs[1], product=a, balance=Decimal("1000"))
    # 2: offered at the branch, long ago
    event(2, "offered", "branch", datetime.datetime(2020, 1, 1, 10, tzinfo=datetime.UTC))
    # 3: offered and interested by phone
    event(3, "offered", "phone")
    event(3, "interested", "phone")
    # 4: bought B at the counter without any offer
    Holding.objects.create(customer=cs[4], product=b, balance=Decimal("500"))
    # 5 and 6: campaign calls for A, "no" and "yes"
    campaign = Campaign.objects.create(code="camp-a", name="A drive", product=a)
    for n, outcome in ((5, "no"), (6, "yes")):
        Interaction.objects.create(
            customer=cs[n],
            kind="campaign_call",
            campaign=campaign,
            outcome=outcome,
            channel="phone",
        )
    return {"a": a, "b": b, "c": c, "customers": cs, "branch": branch}


@pytest.fixture
def viewer(db):
    return make_staff(Role.CC_SUPERVISOR, unit=UnitFactory()).user


def table(rows):
    return {r.product.code: r.counts for r in rows}


def test_funnel_matches_hand_count(world, viewer):
    rows = selectors.funnel(actor=viewer, filters=FunnelFilters())
    assert table(rows) == {"prod-a": [5, 3, 2, 2], "prod-b": [1, 1, 1, 1]}
    a = rows[0]
    assert a.product.code == "prod-a"  # flagship first
    assert a.rates == [0.6, 2 / 3, 1.0]
    assert a.overall == 0.4


def test_funnel_filters(world, viewer):
    by_phone = selectors.funnel(actor=viewer, filters=funnel_filters({"channel": "phone"}))
    # holdings say nothing of a channel: 1 reached "applied" by phone, 6 bought on a call
    assert table(by_phone) == {"prod-a": [4, 3, 2, 1]}
    branch = selectors.funnel(actor=viewer, filters=funnel_filters({"branch": world["branch"].pk}))
    assert table(branch) == {"prod-a": [2, 1, 1, 1]}
    recent = selectors.funnel(actor=viewer, filters=funnel_filters({"date_from": "2024-01-01"}))
    assert table(recent)["prod-a"] == [4, 3, 2, 2]


def test_funnel_by_segment(world, viewer, analyst):
    segment = services.segment_save(
        actor=analyst,
        data={
            "name": "Called",
            "definition": [
                {"field": "interaction", "op": "has", "value": {"kind": "campaign_call"}}
            ],
        },
    )
    rows = selectors.funnel(actor=viewer, filters=funnel_filters({"segment": segment.pk}))
    assert table(rows) == {"prod-a": [2, 1, 1, 1]}


def test_branch_manager_sees_own_branch(world):
    manager = make_staff(Role.BRANCH_MANAGER, unit=world["branch"]).user
    assert table(selectors.funnel(actor=manager, filters=FunnelFilters())) == {
        "prod-a": [2, 1, 1, 1]
    }
    teller = make_staff(Role.TELLER, unit=world["branch"]).user
    with pytest.raises(PermissionDenied):
        selectors.funnel(actor=teller, filters=FunnelFilters())


def test_bad_filters_are_named(world):
    with pytest.raises(ValidationFailed) as exc:
        funnel_filters({"channel": "pigeon", "date_from": "2024-13-01", "branch": "999999"})
    assert set(exc.value.errors) == {"channel", "date_from", "branch"}


def test_classification_matrix(world, viewer):
    products, rows = selectors.class_matrix(actor=viewer, filters=FunnelFilters())
    assert [p.code for p in products] == ["prod-a", "prod-b"]
    current = next(r for r in rows if r[0] == "current")
    assert current[2] == [1, 1]


def test_drill_down_lists_masked_customers_and_is_audited(world, viewer):
    cs = world["customers"]
    drill = selectors.drill_down(
        actor=viewer, filters=FunnelFilters(), figure="funnel", product_code="prod-a", key="bought"
    )
    assert drill.total == 2
    assert [r["number"] for r in drill.rows] == [cs[1].number, cs[6].number]
    assert drill.rows[0]["name"] == "客**"
    events = AuditEvent.objects.filter(action="customer.export", detail__drilldown="funnel")
    assert sorted(events.values_list("customer_id", flat=True)) == sorted([cs[1].pk, cs[6].pk])
    assert events.first().detail["key"] == "bought"

    matrix = selectors.drill_down(
        actor=viewer, filters=FunnelFilters(), figure="matrix", product_code="prod-b", key="current"
    )
    assert [r["number"] for r in matrix.rows] == [cs[4].number]
    assert AuditEvent.objects.filter(detail__drilldown="matrix", customer_id=cs[4].pk).exists()


def test_offer_record_appends_to_timeline(world):
    agent = make_staff(Role.CC_AGENT, unit=UnitFactory()).user
    customer = world["customers"][2]
    event = services.offer_record(
        actor=agent,
        customer_id=customer.pk,
        product_code="prod-b",
        stage="interested",
        channel="phone",
    )
    assert event.unit_id == agent.staff.unit_id
    entry = customer.interactions.get(detail__offer=event.pk)
    assert entry.kind == "note"
    assert "Interested" in entry.summary
    with pytest.raises(ValidationFailed) as exc:
        services.offer_record(
            actor=agent, customer_id=customer.pk, product_code="nope", stage="maybe"
        )
    assert set(exc.value.errors) == {"product", "stage"}
