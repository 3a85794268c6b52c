"""Segments: previews count what the filters say, bad filters are named, and outreach lists
leave out everyone without the needed consent or on the do-not-call list, saying why."""

from decimal import Decimal

import pytest

from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Consent, Holding, Interaction, Product
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.insights import selectors, services
from servicefirst.insights.models import OutreachMember

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def consent(customer, *kinds):
    for kind in kinds:
        Consent.objects.create(customer=customer, kind=kind, source="form")


@pytest.fixture
def people(branch):
    fund = ProductFactory(code="fund-a", category=Product.Category.FUND)
    ok = make_customer(name_zh="甲", phones=[PHONE], home_branch=branch)
    consent(ok, "marketing", "phone", "sms")
    dnc = make_customer(name_zh="乙", phones=["13800138001"], do_not_call=True)
    consent(dnc, "marketing", "phone")
    no_marketing = make_customer(name_zh="丙", phones=["13800138002"])
    consent(no_marketing, "phone", "sms")
    no_phone_consent = make_customer(name_zh="丁", phones=["13800138003"])
    consent(no_phone_consent, "marketing")
    no_number = make_customer(name_zh="戊")
    consent(no_number, "marketing", "phone")
    other = make_customer(name_zh="己", lifecycle="competitor")
    Holding.objects.create(customer=ok, product=fund, balance=Decimal("80000"))
    Interaction.objects.create(customer=dnc, kind="campaign_call", outcome="no")
    return {
        "ok": ok,
        "dnc": dnc,
        "no_marketing": no_marketing,
        "no_phone_consent": no_phone_consent,
        "no_number": no_number,
        "other": other,
    }


CURRENT = [{"field": "lifecycle", "op": "eq", "value": "current"}]


def test_preview_counts_and_masks(people, analyst, branch):
    preview = selectors.segment_preview(actor=analyst, definition=CURRENT)
    assert preview.count == 5
    assert {row["name"] for row in preview.sample} == {"甲", "乙", "丙", "丁", "戊"}
    preview = selectors.segment_preview(
        actor=analyst,
        definition=CURRENT
        + [
            {"field": "holding", "op": "has", "value": {"category": "fund", "min_balance": 50000}},
            {"field": "consent", "op": "has", "value": "sms"},
            {"field": "home_branch", "op": "eq", "value": str(branch.pk)},
        ],
    )
    assert preview.count == 1
    assert preview.sample[0]["number"] == people["ok"].number
    assert (
        selectors.segment_preview(
            actor=analyst,
            definition=[{"field": "interaction", "op": "has", "value": {"kind": "campaign_call"}}],
        ).count
        == 1
    )
    assert (
        selectors.segment_preview(
            actor=analyst, definition=[{"field": "lifecycle", "op": "in", "value": ["competitor"]}]
        ).count
        == 1
    )


def test_masked_sample_hides_full_names(analyst):
    make_customer(name_zh="张三丰")
    preview = selectors.segment_preview(actor=analyst, definition=[])
    assert preview.sample[0]["name"] == "张**"


def test_bad_filters_are_named(analyst):
    with pytest.raises(ValidationFailed) as exc:
        selectors.segment_preview(
            actor=analyst,
            definition=[
                {"field": "lifecycle", "op": "eq", "value": "royalty"},
                {"field": "holding", "op": "has", "value": {"product": "nope"}},
            ],
        )
    assert set(exc.value.errors) == {"definition.0.value", "definition.1.value.product"}
    with pytest.raises(ValidationFailed) as exc:
        services.segment_save(actor=analyst, data={"name": "", "definition": CURRENT})
    assert set(exc.value.errors) == {"name"}


def test_only_segment_builders_preview(teller):
    with pytest.raises(PermissionDenied):
        selectors.segment_preview(actor=teller, definition=CURRENT)
    with pytest.raises(PermissionDenied):
        services.segment_save(actor=teller, data={"name": "x", "definition": CURRENT})


def test_call_list_leaves_out_no_consent_and_do_not_call(people, analyst):
    segment = services.segment_save(
        actor=analyst, data={"name": "All current", "definition": CURRENT}
    )
    assert segment.last_count == 5
    calls = services.outreach_create(
        actor=analyst, segment_id=segment.pk, purpose="campaign", channel="phone"
    )
    assert calls.segment_count == 5
    assert calls.member_count == 1
    assert calls.excluded == {
        "do_not_call": 1,
        "no_marketing_consent": 1,
        "no_phone_consent": 1,
        "no_address": 1,
    }
    members = set(OutreachMember.objects.filter(outreach=calls).values_list("customer", flat=True))
    assert members == {people["ok"].pk}
    assert AuditEvent.objects.filter(object_type="outreach_list", object_id=str(calls.pk)).exists()


def test_greeting_list_needs_only_the_channel_consent(people, analyst):
    segment = services.segment_save(actor=analyst, data={"name": "All", "definition": CURRENT})
    greetings = services.outreach_create(
        actor=analyst, segment_id=segment.pk, purpose="greeting", channel="sms"
    )
    # ok and no_marketing have SMS consent; nobody needs marketing consent for a greeting.
    assert greetings.member_count == 2
    assert greetings.excluded == {"do_not_call": 1, "no_sms_consent": 2, "no_address": 0}


def test_outreach_input_is_checked(people, analyst):
    segment = services.segment_save(actor=analyst, data={"name": "All", "definition": CURRENT})
    with pytest.raises(ValidationFailed) as exc:
        services.outreach_create(
            actor=analyst, segment_id=segment.pk, purpose="spam", channel="fax"
        )
    assert set(exc.value.errors) == {"purpose", "channel"}


def test_members_are_listed_masked_and_audited(people, analyst):
    segment = services.segment_save(actor=analyst, data={"name": "All", "definition": CURRENT})
    _segment, total, rows = selectors.segment_members(actor=analyst, segment_id=segment.pk)
    assert total == 5
    assert len(rows) == 5
    assert AuditEvent.objects.filter(action="customer.export", customer_id=people["ok"].pk).exists()


def test_score_filter(people, analyst):
    from django.utils import timezone

    from servicefirst.insights.conditions import score_model

    score = score_model()
    if score is None:
        pytest.skip("the scoring app has no Score model yet")
    product = ProductFactory(code="dep-score")
    for customer, p in ((people["ok"], 0.8), (people["dnc"], 0.2)):
        score.objects.create(
            customer=customer,
            product=product,
            model_version=1,
            probability=p,
            reasons=[],
            scored_at=timezone.now(),
        )
    definition = [{"field": "score", "op": "has", "value": {"product": "dep-score", "min": 0.5}}]
    preview = selectors.segment_preview(actor=analyst, definition=definition)
    assert [r["number"] for r in preview.sample] == [people["ok"].number]


def test_campaign_call_list_is_ordered_by_score(branch, analyst):
    # given three reachable customers and a campaign for a product with stored scores
    from django.utils import timezone

    from servicefirst.customers.models import Campaign
    from servicefirst.scoring.models import Score

    deposit = ProductFactory(code="td-1y", category=Product.Category.DEPOSIT)
    Campaign.objects.create(code="td-spring", name="春季定存", product=deposit)
    people = [
        make_customer(name_zh=n, phones=[f"1380013810{i}"], home_branch=branch)
        for i, n in enumerate("甲乙丙")
    ]
    for p in people:
        consent(p, "marketing", "phone")
    for p, probability in zip(people[:2], (0.12, 0.64), strict=True):
        Score.objects.create(
            customer=p,
            product=deposit,
            model_version=1,
            probability=probability,
            scored_at=timezone.now(),
        )
    segment = services.segment_save(actor=analyst, data={"name": "Spring", "definition": CURRENT})
    # when the call list is built for the campaign
    calls = services.outreach_create(
        actor=analyst,
        segment_id=segment.pk,
        purpose="campaign",
        channel="phone",
        campaign_code="td-spring",
    )
    # then the best-scored customer is called first and the unscored one last
    order = list(
        OutreachMember.objects.filter(outreach=calls).values_list("customer_id", "probability")
    )
    assert order == [(people[1].pk, 0.64), (people[0].pk, 0.12), (people[2].pk, None)]
