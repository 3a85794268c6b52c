"""The demo lobby: walk-ins, prospects, hand-offs (some overdue), follow-ups, recognitions and
offers at the demo branches; a second run creates nothing more."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.customers.models import Customer
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.lobby import selectors
from servicefirst.lobby.demo import demo_lobby
from servicefirst.lobby.models import FollowUp, Handoff, Recognition, WalkIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_org(db):
    branches = {}
    for n, (code, key) in enumerate((("bj-cy", "bj"), ("sh-pd", "sh"))):
        branch = branches[key] = UnitFactory(code=code)
        make_staff(Role.LOBBY_MANAGER, unit=branch, username=f"lobby.{key}")
        make_staff(Role.TELLER, unit=branch, username=f"teller.{key}")
        make_staff(Role.RELATIONSHIP_MANAGER, unit=branch, username=f"rm.{key}")
        make_staff(Role.RELATIONSHIP_MANAGER, unit=branch, username=f"rm2.{key}")
        for i in range(30):
            make_customer(name_zh=f"老客户{i}", phones=[f"136{n}{i:07d}"], home_branch=branch)
    for code in ("dep-term-1y", "dep-large-cd", "fund-bond"):
        ProductFactory(code=code, category="deposit" if code.startswith("dep") else "fund")
    return branches


def test_demo_lobby(demo_org):
    steps = []
    counts = demo_lobby(days=21, progress=lambda *args: steps.append(args))
    assert not counts["reused"]
    assert steps
    for branch in demo_org.values():
        assert WalkIn.objects.filter(branch=branch).count() > 40
        assert WalkIn.objects.filter(branch=branch, day=timezone.localdate()).exists()
        assert Recognition.objects.filter(branch=branch).exists()
    assert counts["prospects"] == Customer.objects.filter(source="lobby-demo").count() > 0
    assert Handoff.objects.filter(status="open").exists()
    assert Handoff.objects.filter(status="done").exists()
    assert FollowUp.objects.exists()
    today = timezone.localdate()
    since = today - datetime.timedelta(days=20)
    effect = selectors.advertising_effect(None, since, today)
    assert effect.total.walk_ins == WalkIn.objects.filter(day__gte=since).count()
    assert effect.total.new_customers > 0
    rows = selectors.customers_known_report(demo_org["bj"].pk, since, today)
    assert any(r.known for r in rows)
    assert any(r.offers for r in rows)

    totals = (WalkIn.objects.count(), Customer.objects.count(), Handoff.objects.count())
    again = demo_lobby(days=21)
    assert again["reused"]
    assert (WalkIn.objects.count(), Customer.objects.count(), Handoff.objects.count()) == totals
