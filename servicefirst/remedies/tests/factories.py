"""Test data for remedies: a published commitment to customers and its breached cases."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from servicefirst.accounts.models import Unit
from servicefirst.commitments.models import BusinessCalendar, Case, Commitment, CommitmentVersion
from servicefirst.remedies.defaults import ensure_gifts, ensure_templates
from servicefirst.remedies.models import Gift, GiftBudget, GiftStock
from servicefirst.remedies.services import first_of_month

_n = itertools.count(1)


def calendar() -> BusinessCalendar:
    cal, _made = BusinessCalendar.objects.get_or_create(
        code="always", defaults={"name_zh": "全天", "name_en": "24/7", "always_open": True}
    )
    return cal


def version(
    owner: Unit, *, beneficiary: str = "customers", remedy: bool = True, **fields
) -> CommitmentVersion:
    n = next(_n)
    commitment = Commitment.objects.create(
        code=f"wait-{n}", area="counters", owner=owner, beneficiary=beneficiary
    )
    fields.setdefault("statement_zh", "排队等候不超过15分钟")
    fields.setdefault("statement_en", "You wait no more than 15 minutes")
    return CommitmentVersion.objects.create(
        commitment=commitment,
        number=1,
        status="published",
        measure="duration",
        start_event="floor.ticket.issued",
        stop_event="floor.ticket.called",
        target_value=15,
        target_unit="minutes",
        calendar=calendar(),
        remedy=remedy,
        **fields,
    )


def breach(v: CommitmentVersion, *, unit: Unit, customer=None, at=None, state="breached") -> Case:
    at = at or timezone.now() - datetime.timedelta(hours=2)
    return Case.objects.create(
        version=v,
        commitment=v.commitment,
        subject=f"ticket:{next(_n)}",
        unit=unit,
        customer_id=customer.pk if customer is not None else None,
        state=state,
        started_at=at - datetime.timedelta(minutes=15),
        due_at=at,
        stopped_at=at + datetime.timedelta(minutes=7),
        breached_at=at,
        value=22 * 60,
    )


def stock(unit: Unit, code: str, quantity: int) -> GiftStock:
    ensure_gifts()
    row, _made = GiftStock.objects.update_or_create(
        unit=unit, gift=Gift.objects.get(code=code), defaults={"quantity": quantity}
    )
    return row


def budget(unit: Unit, amount, month=None) -> GiftBudget:
    month = month or first_of_month(timezone.localdate())
    row, _made = GiftBudget.objects.update_or_create(
        unit=unit, month=month, defaults={"amount": Decimal(str(amount))}
    )
    return row


def setup_catalogue() -> None:
    ensure_templates()
    ensure_gifts()
