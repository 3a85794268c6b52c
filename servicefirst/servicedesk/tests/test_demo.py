"""The demo's month of requests: every state, transfers, events and timelines, created once."""

import pytest
from django.utils import timezone

from servicefirst.commitments.models import ServiceEvent
from servicefirst.core.demo import _organisation, _staff
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.servicedesk.demo import demo_servicedesk
from servicefirst.servicedesk.models import RequestCategory, RequestTransfer, ServiceRequest

pytestmark = pytest.mark.django_db


def test_demo_requests_are_played_through_the_services_once():
    _bank, units = _organisation()
    _staff(units)
    for i, branch in enumerate(("bj-cy", "sh-pd", "gz-th") * 4):
        make_customer(name_zh=f"客户{i}", phones=[f"1380013{i:04d}"], home_branch=units[branch])
    # when
    counts = demo_servicedesk(requests=300)
    # then
    assert counts["request_categories"] == RequestCategory.objects.count() >= 15
    assert RequestCategory.objects.count() >= 15
    assert counts["service_requests"] == ServiceRequest.objects.count() == 300
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert statuses == {"new", "open", "waiting_customer", "resolved", "closed", "cancelled"}
    assert RequestTransfer.objects.filter(answered_at__isnull=False).exists()
    assert {t.to_unit.line for t in RequestTransfer.objects.select_related("to_unit")} == {"second"}
    # around the clock, with historic times
    hours = {timezone.localtime(r.opened_at).hour for r in ServiceRequest.objects.all()}
    assert hours & {0, 1, 2, 3, 4, 5}
    assert hours & {22, 23}
    weekend = [
        r for r in ServiceRequest.objects.all() if timezone.localtime(r.opened_at).weekday() >= 5
    ]
    assert weekend
    opened = ServiceEvent.objects.filter(kind="request.opened")
    assert opened.count() == 300
    first = ServiceRequest.objects.order_by("opened_at").first()
    assert opened.get(subject=f"request:{first.pk}").occurred_at == first.opened_at
    assert ServiceEvent.objects.filter(kind="request.transfer.answered").exists()
    assert Interaction.objects.filter(detail__has_key="request").exists()
    # idempotent
    again = demo_servicedesk()
    assert again["service_requests"] == 300
    assert ServiceEvent.objects.filter(kind="request.opened").count() == 300
