"""Recording that a member of staff knows a customer: once per staff, customer and day."""

import pytest

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.tests.factories import make_customer
from servicefirst.lobby.models import Recognition
from servicefirst.lobby.services import recognition_record

pytestmark = pytest.mark.django_db


def test_recognition_is_idempotent_per_day(teller, lobby, branch):
    customer = make_customer(name_zh="张三丰", home_branch=branch)
    first = recognition_record(actor=teller, customer_id=customer.pk)
    again = recognition_record(actor=teller, customer_id=customer.pk)
    assert first == again
    assert first.branch == branch
    recognition_record(actor=lobby, customer_id=customer.pk)
    assert Recognition.objects.count() == 2


def test_recognition_rules(teller, rm, branch, other_branch, services):
    from servicefirst.floor.models import Ticket

    customer = make_customer(name_zh="张三丰", home_branch=branch)
    with pytest.raises(PermissionDenied):
        recognition_record(actor=rm, customer_id=customer.pk)
    with pytest.raises(NotFound):
        recognition_record(actor=teller, customer_id=999999)
    elsewhere = Ticket.objects.create(
        branch=other_branch, service=services["cash"], day="2026-01-05", number="A001"
    )
    with pytest.raises(ValidationFailed) as exc:
        recognition_record(actor=teller, customer_id=customer.pk, ticket_id=elsewhere.pk)
    assert "ticket_id" in exc.value.errors
    here = Ticket.objects.create(
        branch=branch, service=services["cash"], day="2026-01-05", number="A002", customer=customer
    )
    assert (
        recognition_record(actor=teller, customer_id=customer.pk, ticket_id=here.pk).ticket == here
    )
