"""Test data for the care tests: a branch with floor settings and counters, customers,
tickets."""

import datetime

from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.care.defaults import ensure_rules
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Counter, FloorSettings, Service, Ticket

_numbers = iter(range(1, 10**6))


def years_ago(years: int, days: int = 0) -> datetime.date:
    """A birth date `years` years before today, shifted by `days` (negative: later)."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:
        born = today.replace(year=today.year - years, day=28)
    return born - datetime.timedelta(days=days)


def floor_branch(**settings):
    """A branch with its floor settings, the standard services and care rules."""
    ensure_services()
    ensure_rules()
    branch = UnitFactory()
    FloorSettings.objects.create(branch=branch, **settings)
    return branch


def teller_at(branch, number: int, *, languages=("zh",), name=None, is_open=True, paused=False):
    staff = make_staff(Role.TELLER, unit=branch, name=name)
    staff.languages = list(languages)
    staff.save(update_fields=["languages"])
    counter = Counter.objects.create(
        branch=branch, number=number, staff=staff, is_open=is_open, paused=paused
    )
    return counter


def customer(**fields):
    """A customer; `birth_date`, `preferred_language`, `value_tier` set directly."""
    direct = {
        key: fields.pop(key)
        for key in ("birth_date", "preferred_language", "value_tier")
        if key in fields
    }
    c = make_customer(**fields)
    for key, value in direct.items():
        setattr(c, key, value)
    if direct:
        c.save()
    return c


def ticket(
    branch,
    customer=None,
    *,
    service="cash",
    status=Ticket.Status.WAITING,
    issued_at=None,
    day=None,
    reason="",
    language="",
    transferred_from=None,
    called_at=None,
    finished_at=None,
):
    svc = Service.objects.get(code=service)
    issued_at = issued_at or timezone.now()
    return Ticket.objects.create(
        branch=branch,
        service=svc,
        day=day or timezone.localdate(issued_at),
        number=f"{svc.letter}{next(_numbers):03d}",
        customer=customer,
        status=status,
        issued_at=issued_at,
        called_at=called_at,
        finished_at=finished_at,
        priority_reason=reason,
        language=language,
        transferred_from=transferred_from,
    )


def rules_only(*codes):
    """Switch off every standard rule except these."""
    from servicefirst.care.models import CarePromptRule

    CarePromptRule.objects.exclude(code__in=codes).update(is_active=False)
    CarePromptRule.objects.filter(code__in=codes).update(is_active=True)
