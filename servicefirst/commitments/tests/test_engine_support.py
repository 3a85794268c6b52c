"""Helpers for the engine, alert and selector tests: a small unit tree with managers,
calendars, published versions written straight to the database, and events."""

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.commitments import events
from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion

_keys = itertools.count(1)
_codes = itertools.count(1)

# A fixed past instant (a Monday, 10:00 Beijing time) the tests' events start from.
T0 = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


class Org:
    """hq (head office, an administrator) → east (a region run like a branch, its manager)
    → branch a (manager, teller) and branch b (manager); ccc under hq (a supervisor)."""

    def __init__(self) -> None:
        bank = BankFactory()
        self.hq = UnitFactory(
            bank=bank, code="t-hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND
        )
        self.east = UnitFactory(bank=bank, code="t-east", parent=self.hq)
        self.a = UnitFactory(bank=bank, code="t-a", parent=self.east)
        self.b = UnitFactory(bank=bank, code="t-b", parent=self.east)
        self.ccc = UnitFactory(bank=bank, code="t-ccc", parent=self.hq, kind=Unit.Kind.CARE_CENTER)
        self.admin = make_staff(Role.ADMINISTRATOR, unit=self.hq)
        self.east_manager = make_staff(Role.BRANCH_MANAGER, unit=self.east)
        self.a_manager = make_staff(Role.BRANCH_MANAGER, unit=self.a)
        self.teller = make_staff(Role.TELLER, unit=self.a)
        self.b_manager = make_staff(Role.BRANCH_MANAGER, unit=self.b)
        self.supervisor = make_staff(Role.CC_SUPERVISOR, unit=self.ccc)
        self.agent = make_staff(Role.CC_AGENT, unit=self.ccc)


def always_open() -> BusinessCalendar:
    return BusinessCalendar.objects.get_or_create(
        code="t-24x7",
        defaults={"name_zh": "全天候", "name_en": "24/7", "always_open": True},
    )[0]


def business_hours() -> BusinessCalendar:
    """Monday to Friday 09:00–17:00, closed on Chinese public holidays."""
    week = [[["09:00", "17:00"]]] * 5 + [[], []]
    return BusinessCalendar.objects.get_or_create(
        code="t-office",
        defaults={
            "name_zh": "营业时间",
            "name_en": "Business hours",
            "always_open": False,
            "weekly_hours": week,
            "observe_holidays": True,
        },
    )[0]


def publish(
    *,
    owner: Unit,
    start: str = "floor.ticket.issued",
    stop: str = "floor.ticket.called",
    measure: str = "duration",
    target: float = 15,
    unit: str = "minutes",
    cancel: tuple = (),
    pause: str = "",
    resume: str = "",
    event_filter: dict | None = None,
    calendar: BusinessCalendar | None = None,
    warn: int = 80,
    goal: float = 95,
    status: str = CommitmentVersion.Status.PUBLISHED,
    commitment: Commitment | None = None,
    number: int = 1,
) -> CommitmentVersion:
    """A version written straight to the database (the register's lifecycle is tested
    elsewhere)."""
    if commitment is None:
        commitment = Commitment.objects.create(
            code=f"t-c{next(_codes)}", area=Commitment.Area.COUNTERS, owner=owner
        )
    return CommitmentVersion.objects.create(
        commitment=commitment,
        number=number,
        status=status,
        statement_zh="承诺",
        statement_en=f"Promise {commitment.code}",
        measure=measure,
        start_event=start,
        stop_event=stop if measure == "duration" else "",
        cancel_events=list(cancel),
        pause_event=pause,
        resume_event=resume,
        event_filter=event_filter or {},
        target_value=Decimal(str(target)),
        target_unit=unit,
        goal_percent=Decimal(str(goal)),
        warn_percent=warn,
        calendar=calendar or always_open(),
        published_at=timezone.now() if status == CommitmentVersion.Status.PUBLISHED else None,
    )


def event(kind: str, subject: str, at: dt.datetime, *, unit=None, staff=None, **extra):
    """Record an event the way producers do."""
    return events.record(
        kind,
        subject=subject,
        occurred_at=at,
        source_key=f"t-{next(_keys)}",
        unit_id=getattr(unit, "pk", unit),
        staff_id=getattr(staff, "pk", staff),
        customer_id=extra.pop("customer_id", None),
        value=extra.pop("value", None),
        attrs=extra.pop("attrs", None) or extra or None,
    )
