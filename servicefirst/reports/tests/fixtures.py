"""A hand-computed branch fortnight in miniature: two days of tickets whose figures are worked
out by hand in the tests (commitment 15 minutes).

Day 1 (2026-03-02), waits in minutes and service times:
  1 cash     wait 5   service 4   served
  2 cash     wait 10  service 6   served
  3 cash     wait 20  service 5   served     private-banking customer (VIP)
  4 account  wait 12  service 15  served
  5 account  wait 30              no-show
  6 cash                          cancelled, never called
  7 cash     wait 8   service 2   transferred to account →
  7b account wait 4   service 10  served     (continues ticket 7: not a new arrival)
Day 2 (2026-03-03):
  8 cash     wait 2   service 3   served     VIP priority (anonymous)
  9 cash                          still waiting
"""

import datetime

from django.utils import timezone

from servicefirst.care.defaults import ensure_rules
from servicefirst.care.models import CarePrompt, CarePromptRule
from servicefirst.care.tests.helpers import customer, floor_branch, ticket
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import FloorSettings, Ticket

DAY1 = datetime.date(2026, 3, 2)
DAY2 = datetime.date(2026, 3, 3)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def served(branch, day, hour, wait, service_min, *, service="cash", status="done", **kw):
    issued = at(day, hour)
    called = issued + datetime.timedelta(minutes=wait) if wait is not None else None
    finished = (
        called + datetime.timedelta(minutes=service_min)
        if called is not None and service_min is not None
        else None
    )
    return ticket(
        branch,
        kw.pop("customer", None),
        service=service,
        status=status,
        issued_at=issued,
        called_at=called,
        finished_at=finished,
        day=day,
        **kw,
    )


def report_branch(branch=None):
    """The fixture's tickets and prompts at a new branch (or at `branch`, given its floor
    settings here)."""
    if branch is None:
        branch = floor_branch(commitment_minutes=15)
    else:
        ensure_services()
        ensure_rules()
        FloorSettings.objects.update_or_create(branch=branch, defaults={"commitment_minutes": 15})
    vip = customer(name_zh="贵宾", value_tier="private")
    mass = customer(name_zh="大众", value_tier="mass")
    S = Ticket.Status
    served(branch, DAY1, 9, 5, 4, customer=mass)
    served(branch, DAY1, 9, 10, 6)
    served(branch, DAY1, 10, 20, 5, customer=vip)
    served(branch, DAY1, 10, 12, 15, service="account")
    served(branch, DAY1, 11, 30, None, service="account", status=S.NO_SHOW)
    served(branch, DAY1, 11, None, None, status=S.CANCELLED)
    seven = served(branch, DAY1, 12, 8, 2, status=S.TRANSFERRED)
    ticket(
        branch,
        None,
        service="account",
        status=S.DONE,
        issued_at=seven.finished_at,
        called_at=seven.finished_at + datetime.timedelta(minutes=4),
        finished_at=seven.finished_at + datetime.timedelta(minutes=14),
        day=DAY1,
        transferred_from=seven,
    )
    served(branch, DAY2, 9, 2, 3, reason=Ticket.Reason.VIP)
    served(branch, DAY2, 10, None, None, status=S.WAITING)
    # care prompts: day 1, three raised, two done, one skipped
    rule = CarePromptRule.objects.get(code="umbrella")
    for c, status in ((vip, "done"), (mass, "done"), (customer(name_zh="路人"), "skipped")):
        CarePrompt.objects.create(
            rule=rule,
            customer=c,
            branch=branch,
            day=DAY1,
            audience="both",
            text_zh="伞",
            text_en="umbrella",
            status=status,
        )
    return branch
