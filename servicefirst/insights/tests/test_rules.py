"""Classification rules: the defaults give the expected class, tier and reason; editing a rule
changes the results; bad rules are refused naming the field; suitability reads the rules."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.customers.models import Consent, Customer, Holding, Interaction, Product
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.insights import selectors, services
from servicefirst.insights.models import ClassificationJob, ClassificationRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    return {
        "deposit": ProductFactory(code="dep", category=Product.Category.DEPOSIT),
        "fund": ProductFactory(code="fund", category=Product.Category.FUND),
        "loan": ProductFactory(code="loan", category=Product.Category.LOAN),
    }


def hold(customer, product, balance, status=Holding.Status.ACTIVE):
    return Holding.objects.create(
        customer=customer, product=product, balance=Decimal(balance), status=status
    )


def reload(customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def test_default_rules_give_class_tier_and_reason(rules, products, analyst):
    rich = make_customer(name_zh="钱多多")
    hold(rich, products["deposit"], "5000000")
    hold(rich, products["fund"], "1500000")
    hold(rich, products["loan"], "9000000")  # a loan is not an asset
    affluent = make_customer(name_zh="李小康")
    hold(affluent, products["deposit"], "60000")
    former = make_customer(name_zh="王旧")
    hold(former, products["deposit"], "0", status=Holding.Status.CLOSED)
    potential = make_customer(name_zh="赵潜")
    Interaction.objects.create(customer=potential, kind=Interaction.Kind.CALL)
    Consent.objects.create(customer=potential, kind=Consent.Kind.MARKETING, source="form")
    never = make_customer(name_zh="孙拒", do_not_call=True)
    competitor = make_customer(name_zh="周他", lifecycle=Customer.Lifecycle.COMPETITOR)
    untouched = make_customer(name_zh="吴无", lifecycle=Customer.Lifecycle.POTENTIAL)

    result = services.classification_run(actor=analyst)
    assert result["processed"] == 7

    rich = reload(rich)
    assert (rich.lifecycle, rich.value_tier) == ("current", "private")
    assert rich.lifecycle_reason == (
        "Holds an active product · Assets with the bank of ¥6,000,000 or more"
    )
    assert (reload(affluent).lifecycle, reload(affluent).value_tier) == ("current", "affluent")
    assert reload(former).lifecycle == "former"
    assert reload(former).value_tier == "mass"
    assert reload(potential).lifecycle == "potential"
    assert reload(potential).lifecycle_reason.startswith("Contacted, never bought")
    assert reload(never).lifecycle == "never"
    assert reload(competitor).lifecycle == "competitor"
    assert reload(competitor).lifecycle_reason.startswith("Marked by staff")
    assert reload(untouched).lifecycle == "potential"  # no rule applies: left as set
    assert reload(untouched).lifecycle_reason.startswith("No lifecycle rule applies")


def test_a_competitor_who_buys_becomes_current(rules, products):
    customer = make_customer(lifecycle=Customer.Lifecycle.COMPETITOR)
    services.classify_customer(customer.pk)
    assert reload(customer).lifecycle == "competitor"
    hold(customer, products["deposit"], "1000")
    services.classify_customer(customer.pk)
    assert reload(customer).lifecycle == "current"


def test_editing_a_rule_changes_the_results(rules, products, analyst):
    customer = make_customer()
    hold(customer, products["deposit"], "300000")
    services.classification_run(actor=analyst)
    assert reload(customer).value_tier == "affluent"

    wealth = ClassificationRule.objects.get(target="value_tier", outcome="wealth")
    services.rule_save(
        actor=analyst,
        rule_id=wealth.pk,
        data={
            "target": "value_tier",
            "outcome": "wealth",
            "conditions": [{"field": "aum", "op": "gte", "value": 200000}],
            "reason_zh": "在我行资产不低于20万元",
            "reason_en": "Assets with the bank of ¥200,000 or more",
        },
    )
    effects = {e.rule.pk: e for e in selectors.rules_dry_run()}
    assert effects[wealth.pk].moves == 1
    services.classification_run(actor=analyst)
    customer = reload(customer)
    assert customer.value_tier == "wealth"
    assert "¥200,000" in customer.lifecycle_reason


def test_reordering_rules_changes_which_wins(rules, products, analyst):
    customer = make_customer(lifecycle=Customer.Lifecycle.COMPETITOR)
    hold(customer, products["deposit"], "10")
    competitor = ClassificationRule.objects.get(target="lifecycle", outcome="competitor")
    services.rule_move(actor=analyst, rule_id=competitor.pk, direction="up")
    order = list(
        ClassificationRule.objects.filter(target="lifecycle").values_list("outcome", flat=True)
    )
    assert order[:2] == ["competitor", "current"]
    services.classify_customer(customer.pk)
    assert reload(customer).lifecycle == "competitor"


def test_bad_rules_are_refused_naming_the_field(rules, analyst):
    with pytest.raises(ValidationFailed) as exc:
        services.rule_save(
            actor=analyst,
            data={
                "target": "lifecycle",
                "outcome": "private",
                "conditions": [
                    {"field": "aum", "op": "gte", "value": "lots"},
                    {"field": "__import__", "op": "eq", "value": 1},
                    {"field": "consent", "op": "gt", "value": "sms"},
                ],
                "reason_zh": "",
                "reason_en": "x",
            },
        )
    errors = exc.value.errors
    assert set(errors) == {
        "outcome",
        "reason_zh",
        "conditions.0.value",
        "conditions.1.field",
        "conditions.2.op",
    }
    assert ClassificationRule.objects.count() == 10


def test_only_rule_managers_change_rules(rules, teller):
    rule = ClassificationRule.objects.first()
    with pytest.raises(PermissionDenied):
        services.rule_move(actor=teller, rule_id=rule.pk, direction="down")
    with pytest.raises(PermissionDenied):
        services.classification_job_start(actor=teller)


def test_suitability_rule_keeps_small_depositors_off_funds(rules, products):
    small = make_customer()
    hold(small, products["deposit"], "49999.99")
    big = make_customer()
    hold(big, products["deposit"], "50000")
    assert not selectors.is_suitable(small, products["fund"])
    assert selectors.unsuitability_reasons(small, products["fund"]) == [
        "Deposits below ¥50,000: not a fund target"
    ]
    assert selectors.is_suitable(big, products["fund"])
    assert selectors.is_suitable(small, products["deposit"])
    # set-wise (call lists, next best offer) the balances come from the last refresh
    services.metrics_refresh()
    ids = set(
        selectors.suitable_customers(Customer.objects.all(), products["fund"]).values_list(
            "pk", flat=True
        )
    )
    assert ids == {big.pk}


def test_classification_job_reports_progress(rules, analyst, django_capture_on_commit_callbacks):
    for _ in range(3):
        make_customer()
    with django_capture_on_commit_callbacks(execute=False):
        job = services.classification_job_start(actor=analyst)
    services.classification_run(actor=analyst, job=job)
    job.refresh_from_db()
    assert job.status == ClassificationJob.Status.DONE
    assert (job.processed, job.total) == (3, 3)


def test_conditions_over_age_contact_and_counts(rules):
    from servicefirst.insights import conditions as cond

    today = timezone.localdate()
    old = make_customer(birth_date=today.replace(year=today.year - 70) - datetime.timedelta(1))
    young = make_customer(birth_date=today.replace(year=today.year - 30))
    Interaction.objects.create(customer=young, kind=Interaction.Kind.CALL)

    def ids(conditions):
        assert cond.validate(conditions) == {}
        return set(Customer.objects.filter(cond.compile_q(conditions)).values_list("pk", flat=True))

    assert ids([{"field": "age", "op": "gte", "value": 70}]) == {old.pk}
    assert ids([{"field": "age", "op": "eq", "value": 30}]) == {young.pk}
    assert ids([{"field": "age", "op": "lt", "value": 30}]) == set()
    assert ids([{"field": "days_since_contact", "op": "lte", "value": 7}]) == {young.pk}
    assert ids([{"field": "days_since_contact", "op": "gt", "value": 7}]) == {old.pk}
    assert ids([{"field": "interactions", "op": "gte", "value": 1}]) == {young.pk}
    assert ids([{"field": "interactions", "op": "eq", "value": 0}]) == {old.pk}


def test_other_staff_do_not_see_rule_changes_as_theirs():
    admin = make_staff(Role.ADMINISTRATOR, unit=UnitFactory()).user
    from servicefirst.accounts.permissions import Action, scope_for

    assert scope_for(admin, Action.RULE_MANAGE) > 0
    assert scope_for(admin, Action.SEGMENT_MANAGE) == 0


def test_classify_customer_sees_a_new_balance_at_once(rules, products):
    customer = make_customer()
    services.classify_customer(customer.pk)
    assert reload(customer).value_tier == "mass"
    hold(customer, products["deposit"], "600000")
    services.classify_customer(customer.pk)
    assert reload(customer).value_tier == "wealth"
    from servicefirst.insights.models import CustomerMetrics

    assert CustomerMetrics.objects.get(customer=customer).deposit_balance == Decimal("600000")


def test_the_background_worker_runs_the_classification(transactional_db, analyst):
    from django.core.management import call_command

    from servicefirst.insights.defaults import seed

    seed(ClassificationRule)
    customer = make_customer(lifecycle=Customer.Lifecycle.POTENTIAL)
    job = services.classification_job_start(actor=analyst)  # enqueued on commit (autocommit)
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == ClassificationJob.Status.DONE
    assert (job.processed, job.total) == (1, 1)
    assert reload(customer).lifecycle_reason.startswith("No lifecycle rule applies")
