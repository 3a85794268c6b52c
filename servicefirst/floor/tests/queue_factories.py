"""Test helpers for the queue: a branch with its floor settings and the standard services,
counters, and tickets written straight to the database (for history and queue states)."""

import datetime

from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Counter, Service, Ticket
from servicefirst.floor.selectors import floor_settings


def make_branch(**fields):
    """A branch offering every standard service (default floor settings)."""
    ensure_services()
    branch = UnitFactory(**fields)
    floor_settings(branch.pk)
    return branch


def make_counter(branch, number: int, services=("cash",), *, staff=None, is_open=True):
    """A counter handling `services` (codes); with a teller signed in when `staff` is given
    (`staff=True` makes one)."""
    if staff is True:
        staff = make_staff(Role.TELLER, unit=branch)
    counter = Counter.objects.create(branch=branch, number=number, staff=staff, is_open=is_open)
    counter.services.set(Service.objects.filter(code__in=services))
    return counter


def service(code: str) -> Service:
    return Service.objects.get(code=code)


def local(day: datetime.date, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    """An aware datetime at that local (branch) time."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute, second), tzinfo=timezone.get_current_timezone()
    )


_n = iter(range(1, 10**9))


def make_ticket(branch, service_code: str = "cash", **fields) -> Ticket:
    """A ticket written directly (no numbering rules, no events)."""
    svc = service(service_code)
    issued = fields.pop("issued_at", None) or timezone.now()
    fields.setdefault("number", f"{svc.letter}{next(_n) % 1000:03d}")
    return Ticket.objects.create(
        branch=branch,
        service=svc,
        day=timezone.localdate(issued),
        issued_at=issued,
        **fields,
    )
