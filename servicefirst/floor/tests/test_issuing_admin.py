"""The floor's admin pages open for the administrator; tickets are read-only there apart from
cancelling waiting ones (logged like any floor action)."""

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.floor import issuing
from servicefirst.floor.models import FloorEvent, Ticket
from servicefirst.floor.tests.queue_factories import make_branch, make_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    staff = make_staff(Role.ADMINISTRATOR)
    client.login(username=staff.user.username, password=PASSWORD)
    return client


def test_every_floor_admin_page_opens(admin_client):
    branch = make_branch()
    make_counter(branch, 1, ["cash"])
    ticket = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    for model in (
        "service",
        "floorsettings",
        "counter",
        "appointment",
        "ticket",
        "floorevent",
        "servicetimestat",
    ):
        response = admin_client.get(reverse(f"admin:floor_{model}_changelist"))
        assert response.status_code == 200, model
    response = admin_client.get(reverse("admin:floor_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    assert b'name="status"' not in response.content  # read-only


def test_cancelling_waiting_tickets_from_the_admin_is_logged(admin_client):
    branch = make_branch()
    ticket = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    response = admin_client.post(
        reverse("admin:floor_ticket_changelist"),
        {"action": "cancel_waiting", "_selected_action": [ticket.pk]},
        follow=True,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    assert FloorEvent.objects.filter(kind=FloorEvent.Kind.CANCEL, ticket=ticket).exists()


def test_tellers_have_no_floor_admin(client):
    teller = make_staff(Role.TELLER)
    client.login(username=teller.user.username, password=PASSWORD)
    assert client.get(reverse("admin:floor_ticket_changelist")).status_code == 302
