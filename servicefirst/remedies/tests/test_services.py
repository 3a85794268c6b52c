"""Remedies as staff and customers notice them: a missed commitment to a customer opens one
remedy (only for customers, only when the commitment asks for it); the reason, an apology in
the customer's language on the timeline, one gift per breach from a stock that never goes
below zero, over-budget gifts waiting for a manager, closing, and the report."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.remedies import selectors, services
from servicefirst.remedies.models import GiftGrant, GiftStock, RemedyCase
from servicefirst.remedies.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    f.setup_catalogue()
    branch = UnitFactory(name_zh="朝阳支行", name_en="Chaoyang Branch")
    other = UnitFactory()
    return {
        "branch": branch,
        "other": other,
        "lobby": make_staff(Role.LOBBY_MANAGER, unit=branch, name="大堂经理"),
        "manager": make_staff(Role.BRANCH_MANAGER, unit=branch, name="行长"),
        "outsider": make_staff(Role.LOBBY_MANAGER, unit=other),
        "teller": make_staff(Role.TELLER, unit=branch),
        "version": f.version(branch),
    }


def remedy_for(bank, customer=None, **kw) -> RemedyCase:
    customer = customer or make_customer(name_zh="张三丰", gender="M")
    case = f.breach(bank["version"], unit=bank["branch"], customer=customer, **kw)
    (remedy,) = services.open_for_breach([case.pk])
    return remedy


# --- opening ---------------------------------------------------------------------------------


def test_a_breach_to_a_customer_opens_one_remedy_for_the_unit_that_missed(bank):
    customer = make_customer(name_zh="李四")
    case = f.breach(bank["version"], unit=bank["branch"], customer=customer)
    (remedy,) = services.open_for_breach([case.pk])
    assert (remedy.unit, remedy.customer, remedy.status) == (bank["branch"], customer, "open")
    assert remedy.breached_at == case.breached_at
    assert services.open_for_breach([case.pk]) == []  # a replayed signal: still one
    assert RemedyCase.objects.count() == 1


def test_no_remedy_without_a_customer_a_remedy_flag_or_a_customer_beneficiary(bank):
    anonymous = f.breach(bank["version"], unit=bank["branch"])
    no_remedy = f.breach(f.version(bank["branch"], remedy=False), unit=bank["branch"])
    internal = f.breach(
        f.version(bank["branch"], beneficiary="unit"),
        unit=bank["branch"],
        customer=make_customer(),
    )
    met = f.breach(bank["version"], unit=bank["branch"], customer=make_customer(), state="met")
    assert services.open_for_breach([anonymous.pk, no_remedy.pk, internal.pk, met.pk]) == []


def test_the_engines_breach_signal_opens_the_remedy(bank):
    signals = pytest.importorskip("servicefirst.commitments.signals")
    case = f.breach(bank["version"], unit=bank["branch"], customer=make_customer())
    signals.case_breached.send(sender=None, case_ids=[case.pk])
    assert RemedyCase.objects.filter(case=case).exists()


def test_remedies_for_cases_breached_before_remedies_listened(bank):
    for _i in range(3):
        f.breach(bank["version"], unit=bank["branch"], customer=make_customer())
    assert services.open_for_breached_cases() == 3
    assert services.open_for_breached_cases() == 0


# --- reason and apology ----------------------------------------------------------------------


def test_the_reason_names_the_field_when_missing_and_only_the_unit_may_record_it(bank):
    remedy = remedy_for(bank)
    with pytest.raises(ValidationFailed) as exc:
        services.record_reason(
            actor=bank["lobby"].user, remedy_id=remedy.pk, reason_kind="maybe", reason=""
        )
    assert set(exc.value.errors) == {"reason_kind", "reason"}
    with pytest.raises(NotFound):
        services.record_reason(
            actor=bank["outsider"].user,
            remedy_id=remedy.pk,
            reason_kind="subjective",
            reason="x",
        )
    with pytest.raises(NotFound):  # a teller does not work remedies
        services.record_reason(
            actor=bank["teller"].user, remedy_id=remedy.pk, reason_kind="subjective", reason="x"
        )
    services.record_reason(
        actor=bank["lobby"].user,
        remedy_id=remedy.pk,
        reason_kind="subjective",
        reason="午间只开了一个现金窗口",
    )
    remedy.refresh_from_db()
    assert (remedy.reason_kind, remedy.handled_by) == ("subjective", bank["lobby"])


def test_the_apology_is_in_the_customers_language_and_lands_on_the_timeline(bank):
    zh = remedy_for(bank, make_customer(name_zh="张三丰", gender="M"))
    apology = services.apologise(actor=bank["lobby"].user, remedy_id=zh.pk, channel="sms")
    assert apology.language == "zh"
    assert "张先生" in apology.text
    assert "排队等候不超过15分钟" in apology.text
    assert "朝阳支行" in apology.text
    entry = Interaction.objects.get(customer=zh.customer)
    assert entry.kind == "apology"
    assert entry.channel == "sms"
    assert entry.detail["apology"] == apology.pk
    assert entry.staff == bank["lobby"]
    zh.refresh_from_db()
    assert zh.status == "explained"
    assert zh.apologised_at == apology.sent_at

    en = remedy_for(
        bank,
        make_customer(name_zh="", name_latin="SMITH JOHN", gender="M", preferred_language="en"),
    )
    letter = services.apologise(actor=bank["lobby"].user, remedy_id=en.pk, channel="letter")
    assert letter.language == "en"
    assert letter.text.startswith("Dear Mr SMITH JOHN,")
    assert "You wait no more than 15 minutes" in letter.text
    assert "Chaoyang Branch" in letter.text


def test_an_objective_reason_gets_its_own_wording(bank):
    remedy = remedy_for(bank)
    services.record_reason(
        actor=bank["lobby"].user,
        remedy_id=remedy.pk,
        reason_kind="objective",
        reason="全市系统故障",
    )
    apology = services.apologise(actor=bank["lobby"].user, remedy_id=remedy.pk, channel="sms")
    assert "不可预见" in apology.text


def test_an_unknown_channel_is_refused(bank):
    remedy = remedy_for(bank)
    with pytest.raises(ValidationFailed) as exc:
        services.apologise(actor=bank["lobby"].user, remedy_id=remedy.pk, channel="pigeon")
    assert "channel" in exc.value.errors
    assert not Interaction.objects.exists()


# --- gifts -----------------------------------------------------------------------------------


def test_a_gift_within_budget_takes_the_stock_and_cannot_be_given_twice(bank):
    f.stock(bank["branch"], "umbrella", 2)
    f.budget(bank["branch"], 100)
    remedy = remedy_for(bank)
    umbrella = GiftStock.objects.get(unit=bank["branch"], gift__code="umbrella").gift
    grant = services.give_gift(actor=bank["lobby"].user, remedy_id=remedy.pk, gift_id=umbrella.pk)
    assert (grant.approval_status, grant.cost) == ("not_needed", Decimal("35.00"))
    assert GiftStock.objects.get(unit=bank["branch"], gift=umbrella).quantity == 1
    with pytest.raises(ValidationFailed) as exc:
        services.give_gift(actor=bank["lobby"].user, remedy_id=remedy.pk, gift_id=umbrella.pk)
    assert "gift" in exc.value.errors
    assert GiftStock.objects.get(unit=bank["branch"], gift=umbrella).quantity == 1


def test_out_of_stock_is_a_clear_error(bank):
    f.stock(bank["branch"], "thermos", 0)
    f.budget(bank["branch"], 1000)
    remedy = remedy_for(bank)
    thermos = GiftStock.objects.get(unit=bank["branch"], gift__code="thermos").gift
    with pytest.raises(ValidationFailed) as exc:
        services.give_gift(actor=bank["lobby"].user, remedy_id=remedy.pk, gift_id=thermos.pk)
    assert "out of stock" in exc.value.errors["gift"][0]
    assert not GiftGrant.objects.exists()


def test_over_budget_waits_for_the_manager_and_takes_stock_only_when_approved(bank):
    f.stock(bank["branch"], "powerbank", 3)
    f.budget(bank["branch"], 100)
    first, second = remedy_for(bank), remedy_for(bank)
    power = GiftStock.objects.get(unit=bank["branch"], gift__code="powerbank").gift
    lobby = bank["lobby"].user
    assert (
        services.give_gift(actor=lobby, remedy_id=first.pk, gift_id=power.pk).approval_status
        == "not_needed"
    )
    pending = services.give_gift(actor=lobby, remedy_id=second.pk, gift_id=power.pk)
    assert pending.approval_status == "pending"  # 60 + 60 > 100
    assert GiftStock.objects.get(gift=power, unit=bank["branch"]).quantity == 2
    assert selectors.pending_grants(bank["manager"].user) == [pending]
    with pytest.raises(PermissionDenied):  # a lobby manager may not approve
        services.grant_approve(actor=lobby, grant_id=pending.pk)
    with pytest.raises(ValidationFailed) as exc:  # nor close while it waits
        services.remedy_close(actor=lobby, remedy_id=second.pk)
    assert "gift" in exc.value.errors
    services.grant_approve(actor=bank["manager"].user, grant_id=pending.pk)
    assert GiftStock.objects.get(gift=power, unit=bank["branch"]).quantity == 1
    status = selectors.budget_status(bank["branch"])
    assert (status.spent, status.left) == (Decimal(120), Decimal(-20))


def test_a_declined_gift_can_be_replaced_by_another(bank):
    f.stock(bank["branch"], "powerbank", 1)
    f.stock(bank["branch"], "tissues", 1)
    remedy = remedy_for(bank)  # no budget this month: every gift needs approval
    gifts = {s.gift.code: s.gift for s in GiftStock.objects.filter(unit=bank["branch"])}
    grant = services.give_gift(
        actor=bank["lobby"].user, remedy_id=remedy.pk, gift_id=gifts["powerbank"].pk
    )
    services.grant_reject(actor=bank["manager"].user, grant_id=grant.pk, note="太贵")
    again = services.give_gift(
        actor=bank["lobby"].user, remedy_id=remedy.pk, gift_id=gifts["tissues"].pk
    )
    assert (again.pk, again.gift, again.approval_status) == (grant.pk, gifts["tissues"], "pending")


def test_closing_needs_the_reason_and_an_apology(bank):
    remedy = remedy_for(bank)
    lobby = bank["lobby"].user
    with pytest.raises(ValidationFailed) as exc:
        services.remedy_close(actor=lobby, remedy_id=remedy.pk)
    assert set(exc.value.errors) == {"reason_kind", "channel"}
    services.record_reason(actor=lobby, remedy_id=remedy.pk, reason_kind="subjective", reason="x")
    services.apologise(actor=lobby, remedy_id=remedy.pk, channel="counter")
    closed = services.remedy_close(actor=lobby, remedy_id=remedy.pk, note="客户表示理解")
    assert closed.status == "closed"
    with pytest.raises(ValidationFailed):
        services.apologise(actor=lobby, remedy_id=remedy.pk, channel="sms")


# --- stock and budgets -----------------------------------------------------------------------


def test_stock_and_budget_are_managed_per_unit_with_clear_errors(bank):
    manager = bank["manager"].user
    umbrella = f.stock(bank["branch"], "umbrella", 0).gift
    assert (
        services.stock_add(
            actor=manager, unit_id=bank["branch"].pk, gift_id=umbrella.pk, quantity="20"
        ).quantity
        == 20
    )
    with pytest.raises(ValidationFailed) as exc:
        services.stock_add(
            actor=manager, unit_id=bank["branch"].pk, gift_id=umbrella.pk, quantity="-21"
        )
    assert "quantity" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.stock_add(
            actor=manager, unit_id=bank["branch"].pk, gift_id=umbrella.pk, quantity="lots"
        )
    assert "quantity" in exc.value.errors
    with pytest.raises(PermissionDenied):
        services.stock_add(
            actor=manager, unit_id=bank["other"].pk, gift_id=umbrella.pk, quantity="1"
        )
    with pytest.raises(PermissionDenied):
        services.stock_add(
            actor=bank["lobby"].user, unit_id=bank["branch"].pk, gift_id=umbrella.pk, quantity=1
        )
    budget = services.budget_set(
        actor=manager, unit_id=bank["branch"].pk, month="2027-03", amount="500"
    )
    assert (budget.month, budget.amount) == (datetime.date(2027, 3, 1), Decimal(500))
    with pytest.raises(ValidationFailed) as exc:
        services.budget_set(actor=manager, unit_id=bank["branch"].pk, month="March", amount="-1")
    assert set(exc.value.errors) == {"month", "amount"}


# --- queue and report ------------------------------------------------------------------------


def test_the_queue_shows_the_units_open_remedies_oldest_first_masked(bank):
    now = timezone.now()
    newer = remedy_for(bank, at=now - datetime.timedelta(hours=1))
    older = remedy_for(bank, at=now - datetime.timedelta(hours=5))
    rows = selectors.remedy_queue(bank["lobby"].user, bank["branch"])
    assert [r.remedy for r in rows] == [older, newer]
    assert "张三丰" not in rows[0].customer
    assert rows[0].customer.startswith("张")
    assert rows[0].late == "7 min"
    assert selectors.remedy_queue(bank["outsider"].user, bank["branch"]) == []


def test_the_report_counts_breaches_apologies_speed_and_cost(bank):
    f.stock(bank["branch"], "umbrella", 5)
    f.budget(bank["branch"], 300)
    lobby = bank["lobby"].user
    now = timezone.now()
    umbrella = GiftStock.objects.get(unit=bank["branch"], gift__code="umbrella").gift
    for hours, apologise_after in ((10, 1), (8, 3), (6, None)):
        remedy = remedy_for(bank, at=now - datetime.timedelta(hours=hours))
        services.record_reason(
            actor=lobby, remedy_id=remedy.pk, reason_kind="subjective", reason="人手不足"
        )
        if apologise_after is not None:
            services.apologise(
                actor=lobby,
                remedy_id=remedy.pk,
                channel="phone",
                now=remedy.breached_at + datetime.timedelta(hours=apologise_after),
            )
            services.give_gift(actor=lobby, remedy_id=remedy.pk, gift_id=umbrella.pk)
    f.breach(bank["version"], unit=bank["branch"])  # no customer: not a breach to a customer
    report = selectors.remedy_report(
        lobby, timezone.localdate() - datetime.timedelta(days=1), timezone.localdate()
    )
    (line,) = report.units
    assert (line.breaches, line.remedies, line.apologised, line.gifts) == (3, 3, 2, 2)
    assert line.cost == Decimal(70)
    assert line.budget == Decimal(300)
    assert line.median_h == pytest.approx(2.0)
    assert line.p90_h == pytest.approx(2.8)
    (subjective,) = report.reasons
    assert (subjective.kind, subjective.remedies, subjective.cost) == ("subjective", 3, Decimal(70))
