"""The lobby's reports against hand-computed fixtures: customers known and offers per member of
staff, the advertising effect per channel, campaign and week, and the per-day counts."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.models import Campaign, Holding
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.insights.models import OfferEvent
from servicefirst.lobby import selectors
from servicefirst.lobby.models import Handoff, Recognition, WalkIn

pytestmark = pytest.mark.django_db

D0, D1, D2, D3 = (datetime.date(2026, 3, d) for d in (1, 2, 3, 4))


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_customers_known_report(branch, other_branch):
    # given staff of the branch and one of another branch
    teller = make_staff(Role.TELLER, unit=branch, name="T")
    lobby = make_staff(Role.LOBBY_MANAGER, unit=branch, name="L")
    rm = make_staff(Role.RELATIONSHIP_MANAGER, unit=branch, name="R")
    elsewhere = make_staff(Role.TELLER, unit=other_branch, name="O")
    c1, c2, c3, c4 = (make_customer(name_zh=n, home_branch=branch) for n in "甲乙丙丁")
    p1, p2 = ProductFactory(code="p1"), ProductFactory(code="p2")

    def recognise(staff, customer, day):
        Recognition.objects.create(
            staff=staff, customer=customer, branch=staff.unit, day=day, at=at(day)
        )

    recognise(teller, c1, D1)
    recognise(teller, c1, D2)  # the same customer again: still one known
    recognise(teller, c2, D2)
    recognise(teller, c3, D0)  # before the period
    recognise(lobby, c1, D1)
    recognise(elsewhere, c1, D1)  # another branch

    def offer(staff, customer, product, stage, day, hour=10):
        OfferEvent.objects.create(
            staff=staff, customer=customer, product=product, stage=stage, occurred_at=at(day, hour)
        )

    offer(teller, c1, p1, "offered", D1)
    offer(None, c1, p1, "bought", D3)  # bought after the teller's offer: succeeded
    offer(teller, c1, p1, "offered", D2)  # the same offer again: one pair
    offer(teller, c2, p1, "offered", D1)  # never bought
    offer(None, c3, p2, "bought", D0)  # bought before the offer: not the teller's success
    offer(teller, c3, p2, "offered", D2)
    offer(teller, c4, p2, "bought", D2)  # sold by the teller: an offer that succeeded
    offer(teller, c2, p2, "offered", D0)  # before the period
    offer(lobby, c2, p2, "offered", D2)
    offer(rm, c2, p2, "bought", D3)  # the RM closed the lobby manager's offer
    offer(elsewhere, c1, p2, "offered", D2)

    # when
    rows = selectors.customers_known_report(branch.pk, D1, D3)

    # then
    table = {r.staff.name: (r.known, r.offers, r.succeeded) for r in rows}
    assert table == {"T": (2, 4, 2), "L": (1, 1, 1), "R": (0, 1, 1)}
    assert [r.staff.name for r in rows] == ["T", "L", "R"]
    assert rows[0].success_rate == 0.5
    everywhere = {r.staff.name: r.known for r in selectors.customers_known_report(None, D1, D3)}
    assert everywhere["O"] == 1


def test_advertising_effect(branch, other_branch):
    # given two weeks of walk-ins (weeks start on Monday 2 and 9 March 2026)
    a = Campaign.objects.create(code="a", name="Flyer A")
    b = Campaign.objects.create(code="b", name="Referral B")
    product = ProductFactory(code="dep")

    def walk_in(day, channel, campaign=None, prospect=None, existing=None, where=branch):
        customer = existing
        if prospect is not None:
            customer = make_customer(name_zh="潜客", lifecycle=prospect, home_branch=where)
        return WalkIn.objects.create(
            branch=where,
            day=day,
            at=at(day),
            channel=channel,
            campaign=campaign,
            customer=customer,
            created_prospect=prospect is not None,
        )

    walk_in(D1, "flyer", a, prospect="current")  # became a customer
    w2 = walk_in(D1, "flyer", a, prospect="potential")
    Holding.objects.create(
        customer=w2.customer, product=product, opened_on=datetime.date(2026, 3, 10)
    )
    walk_in(D2, "window", prospect="potential")  # not (yet) a customer
    walk_in(D2, "window", existing=make_customer(name_zh="老客户", home_branch=branch))
    walk_in(datetime.date(2026, 3, 9), "passing")  # left no details
    w6 = walk_in(datetime.date(2026, 3, 10), "flyer", a, prospect="potential")
    Holding.objects.create(customer=w6.customer, product=product, opened_on=D0)  # before
    walk_in(datetime.date(2026, 3, 11), "referral", b, prospect="current")
    walk_in(datetime.date(2026, 3, 16), "flyer", a, prospect="current")  # after the period
    walk_in(D1, "flyer", a, prospect="current", where=other_branch)

    # when
    effect = selectors.advertising_effect(branch.pk, D1, datetime.date(2026, 3, 15))

    # then
    def t(totals):
        return (totals.walk_ins, totals.prospects, totals.new_customers)

    assert effect.weeks == [datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)]
    assert {k: t(v) for k, v in effect.channel_totals.items()} == {
        "window": (2, 1, 0),
        "flyer": (3, 3, 2),
        "referral": (1, 1, 1),
        "passing": (1, 0, 0),
    }
    assert {k: t(v) for k, v in effect.campaign_totals.items()} == {
        "Flyer A": (3, 3, 2),
        "": (3, 1, 0),
        "Referral B": (1, 1, 1),
    }
    assert t(effect.total) == (7, 5, 3)
    flyer = effect.by_channel["flyer"]
    assert [flyer[w].walk_ins for w in effect.weeks] == [2, 1]
    assert [flyer[w].new_customers for w in effect.weeks] == [2, 0]
    assert effect.campaign_totals["Flyer A"].conversion == pytest.approx(2 / 3)
    # every branch
    assert t(selectors.advertising_effect(None, D1, datetime.date(2026, 3, 15)).total) == (8, 6, 4)


def test_daily_counts(branch, other_branch, rm):
    customer = make_customer(name_zh="甲", home_branch=branch)
    for day, prospect in ((D1, True), (D1, False), (D3, True)):
        WalkIn.objects.create(
            branch=branch, day=day, at=at(day), channel="flyer", created_prospect=prospect
        )
    WalkIn.objects.create(branch=other_branch, day=D1, at=at(D1), channel="flyer")
    # a hand-off made late in the evening local time counts on that local day
    Handoff.objects.create(
        branch=branch, customer=customer, assigned_to=rm.staff, due_on=D3, created_at=at(D2, 23)
    )
    counts = selectors.daily_counts(branch.pk, D1, D3)
    assert counts == {
        D1: {"walk_ins": 2, "prospects": 1, "handoffs": 0},
        D2: {"walk_ins": 0, "prospects": 0, "handoffs": 1},
        D3: {"walk_ins": 1, "prospects": 1, "handoffs": 0},
    }
    assert selectors.daily_counts(None, D1, D1)[D1]["walk_ins"] == 3
