"""The demo floor: counters and tellers at every demo branch, weeks of queue history through
the real dispatching rule, learned service times; a second run changes nothing."""

import datetime

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count, F
from django.utils import timezone

from servicefirst.accounts.models import Bank, Role, Staff, Unit
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.demo import BANK_CODE, DEMO_PASSWORD
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import issuing, prediction
from servicefirst.floor.demo import demo_floor
from servicefirst.floor.models import Counter, FloorEvent, ServiceTimeStat, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_bank():
    bank = Bank.objects.create(code=BANK_CODE, name_zh="先服银行", name_en="ServiceFirst Bank")
    bj = UnitFactory(bank=bank, code="bj-cy", kind=Unit.Kind.BRANCH)
    sh = UnitFactory(bank=bank, code="sh-pd", kind=Unit.Kind.BRANCH)
    UnitFactory(bank=bank, code="ccc", kind=Unit.Kind.CARE_CENTER)
    make_staff(Role.TELLER, unit=bj, username="teller.bj")
    for i in range(12):
        make_customer(
            name_zh=f"客户{i}",
            home_branch=bj if i % 2 else sh,
            value_tier=("mass", "affluent", "wealth", "private")[i % 4],
            birth_date="1945-01-01" if i % 3 == 0 else "1985-01-01",
        )
    return {"bj": bj, "sh": sh}


def test_demo_floor_sets_up_counters_tellers_and_history(demo_bank):
    result = demo_floor(days=6)
    bj, sh = demo_bank["bj"], demo_bank["sh"]
    # counters and tellers
    assert result["branches"] == 2
    assert sorted(result["logins"]) == sorted(
        [f"teller{n}.{key}" for n in (2, 3, 4, 5) for key in ("bj", "sh")]
    )
    counters = {c.number: c for c in Counter.objects.filter(branch=bj)}
    assert sorted(counters) == [1, 2, 3, 4, 5]
    assert all(c.is_open and c.staff_id for c in counters.values())
    assert counters[1].staff.user.username == "teller.bj"
    assert {s.code for s in counters[5].services.all()} >= {"cash", "cards", "fx"}
    assert "en" in Staff.objects.get(user__username="teller3.bj").languages
    assert authenticate(username="teller2.sh", password=DEMO_PASSWORD) is not None
    assert bj.floor_settings.services.count() == 6
    # history: every day (no holidays in between) with tickets, numbered per letter and day
    past = Ticket.objects.filter(branch=bj, day__lt=timezone.localdate())
    assert past.values("day").distinct().count() >= 5
    assert not past.filter(status__in=["waiting", "called"]).exists()
    dupes = past.values("day", "number").annotate(n=Count("id")).filter(n__gt=1)
    assert not dupes.exists()
    done = past.filter(status="done")
    assert not done.filter(called_at__lt=F("issued_at")).exists()
    assert not done.filter(finished_at__lt=F("called_at")).exists()
    assert past.filter(status="no_show").exists()
    assert past.exclude(priority_reason="").exists()
    assert past.filter(customer__isnull=False).exists()
    assert not done.filter(predicted_wait_s__isnull=True).exists()
    # the floor log and the customers' timelines
    ticket = done.first()
    kinds = set(FloorEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == {"issue", "call", "finish"}
    assert (
        Interaction.objects.filter(kind="visit", unit=bj).count()
        == past.filter(customer__isnull=False).count()
        + Ticket.objects.filter(branch=bj, day=timezone.localdate(), customer__isnull=False).count()
    )
    # learned service times and a measurable prediction error
    assert ServiceTimeStat.objects.filter(branch=bj).exists()
    report = prediction.error_report(bj.pk, days=7)
    assert report["tickets"] > 50
    assert report["mae_s"] is not None
    assert result["tickets"] == Ticket.objects.count()
    assert sh.tickets.exists()


def test_demo_floor_twice_changes_nothing_and_kiosk_numbers_continue(demo_bank):
    first = demo_floor(days=3)
    tickets, events = Ticket.objects.count(), FloorEvent.objects.count()
    again = demo_floor(days=3)
    assert again["logins"] == []
    assert again["tickets"] == 0
    assert sorted(again["skipped"]) == ["bj-cy", "sh-pd"]
    assert (Ticket.objects.count(), FloorEvent.objects.count()) == (tickets, events)
    assert first["tickets"] == tickets
    # today's next kiosk ticket follows the simulated ones
    bj = demo_bank["bj"]
    ticket = issuing.ticket_issue(branch_id=bj.pk, service_code="cash")
    assert Ticket.objects.filter(branch=bj, day=ticket.day, number=ticket.number).count() == 1


def test_holidays_have_no_history(demo_bank):
    demo_floor(days=20)
    from servicefirst.floor.appointments import holiday_name

    days = set(Ticket.objects.values_list("day", flat=True))
    today = timezone.localdate()
    assert not [d for d in days if d != today and holiday_name(d)]
    assert min(days) >= today - datetime.timedelta(days=20)
