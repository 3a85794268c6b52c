"""The demo's prompt history: raised for past served tickets, resolved, created once."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.care.demo import demo_care
from servicefirst.care.models import CarePrompt
from servicefirst.care.tests.helpers import customer, floor_branch, rules_only, ticket, years_ago
from servicefirst.floor.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_history_is_created_once():
    branch = floor_branch()
    rules_only("elderly")
    teller = make_staff(Role.TELLER, unit=branch)
    old = customer(name_zh="老人", birth_date=years_ago(80))
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    t = ticket(
        branch,
        old,
        status=Ticket.Status.DONE,
        issued_at=two_days_ago,
        called_at=two_days_ago + datetime.timedelta(minutes=5),
        finished_at=two_days_ago + datetime.timedelta(minutes=9),
    )
    Ticket.objects.filter(pk=t.pk).update(served_by=teller)
    assert demo_care(days=7) == 1
    assert demo_care(days=7) == 0
    prompt = CarePrompt.objects.get()
    assert prompt.day == t.day
    assert prompt.status in ("done", "skipped")
    assert prompt.resolved_by == teller
