"""Builders for the campaign tests: staff who run and work campaigns, customers who may (or may
not) be called, campaigns, and calls in a customer's history."""

import datetime as dt
import itertools
import uuid
from zoneinfo import ZoneInfo

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.customers.models import Consent
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dialer import campaigns
from servicefirst.dialer.models import Call, Campaign

SHANGHAI = ZoneInfo("Asia/Shanghai")
_phones = itertools.count(10_000_000)


def sh(*args) -> dt.datetime:
    """A wall-clock time in Shanghai. 2026-12-01 is an ordinary Tuesday."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


TUESDAY_NOON = sh(2026, 12, 1, 12, 0)
# When the tests' call lists are made (services that read the clock are given this time, so
# that the tests do not depend on today's date).
ADDED = sh(2026, 11, 30, 12, 0)


def care_center() -> Unit:
    return UnitFactory(kind=Unit.Kind.CARE_CENTER, name_en="Care centre", name_zh="客服中心")


def supervisor(unit: Unit | None = None, **kwargs):
    """A contact-centre supervisor (a user): manages campaigns, works calls."""
    return make_staff(Role.CC_SUPERVISOR, unit=unit or care_center(), **kwargs).user


def agent(unit: Unit | None = None, **kwargs):
    """A contact-centre agent (a Staff)."""
    return make_staff(Role.CC_AGENT, unit=unit or care_center(), **kwargs)


def new_phone() -> str:
    return f"+86139{next(_phones):08d}"


def customer(
    name: str = "王五",
    *,
    phones: list[str] | None = None,
    consents=(Consent.Kind.PHONE, Consent.Kind.MARKETING),
    **data,
):
    """A customer with a phone and (by default) consent to phone calls and marketing."""
    c = make_customer(name_zh=name, phones=[new_phone()] if phones is None else phones, **data)
    for kind in consents:
        Consent.objects.create(customer=c, kind=kind, source="开户表格")
    return c


def campaign(actor, *, status: str = Campaign.Status.ACTIVE, agents=(), **data) -> Campaign:
    """A campaign made through the service (draft, then started when `status` says so)."""
    data.setdefault("name", "Deposit renewal")
    data.setdefault("mode", Campaign.Mode.PROGRESSIVE)
    data["agents"] = [a.pk for a in agents]
    c = campaigns.campaign_create(actor=actor, data=data)
    if status != Campaign.Status.DRAFT:
        Campaign.objects.filter(pk=c.pk).update(status=status)
        c.refresh_from_db()
    return c


def call(
    customer,
    *,
    at: dt.datetime,
    outcome: str = Call.Outcome.NO_ANSWER,
    campaign: Campaign | None = None,
    entry=None,
    answered: bool | None = None,
    state: str = Call.State.ENDED,
    agent=None,
    disposition=None,
    phone: str | None = None,
):
    """An outbound call to the customer at `at` (dialled then; ended a minute later)."""
    if answered is None:
        answered = outcome in (
            Call.Outcome.ANSWERED,
            Call.Outcome.ABANDONED,
            Call.Outcome.MACHINE,
            Call.Outcome.REFUSED,
            Call.Outcome.WRONG_NUMBER,
        )
    return Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.PROGRESSIVE,
        campaign=campaign,
        entry=entry,
        customer=customer,
        phone=phone or (entry.phone if entry else customer.phones.first().e164),
        state=state,
        outcome=outcome if state == Call.State.ENDED else "",
        dial_key=uuid.uuid4().hex,
        created_at=at,
        dialed_at=at,
        answered_at=at + dt.timedelta(seconds=10) if answered else None,
        ended_at=at + dt.timedelta(minutes=1) if state == Call.State.ENDED else None,
        agent=agent,
        disposition=disposition,
    )
