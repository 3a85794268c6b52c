"""No lost update on a customer edited from two places at once (optimistic locking).

Every write through customers.services moves the customer's `version` on; an edit made from a
version that is no longer current (the edit form's hidden field, the API's `version`) is
refused with who changed the customer and when, and changes nothing. The browser variant (two
pages open on one customer) is tests/e2e/test_customer_conflict_browser.py; many editors at
the same moment, tests/concurrency/test_parallel_clients.py."""

import pytest
from django.urls import reverse
from django.utils import translation

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers import services
from servicefirst.customers.models import Customer, Interaction
from servicefirst.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def branch():
    return UnitFactory()


@pytest.fixture
def zhang(branch):
    return make_customer(name_zh="张三丰", occupation="工程师", home_branch=branch)


@pytest.fixture
def first(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch, name="李建国")


@pytest.fixture
def second(branch):
    return make_staff(Role.TELLER, unit=branch, name="陈静")


def updates(customer) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_UPDATE, customer_id=customer.pk
    ).count()


# --- the service --------------------------------------------------------------------------------


def test_every_write_through_the_service_moves_the_version_on(zhang, first):
    assert zhang.version == 1
    services.customer_update(actor=first.user, customer_id=zhang.pk, data={"occupation": "教师"})
    assert Customer.objects.get(pk=zhang.pk).version == 2
    # nothing changed, nothing written: the version stays
    services.customer_update(actor=first.user, customer_id=zhang.pk, data={"occupation": "教师"})
    assert Customer.objects.get(pk=zhang.pk).version == 2
    services.consent_set(
        actor=first.user, customer_id=zhang.pk, kind="phone", granted=False, source="电话"
    )
    assert Customer.objects.get(pk=zhang.pk).version == 3  # do-not-call set


def test_two_edits_from_the_same_version_the_second_is_refused_and_changes_nothing(
    zhang, first, second
):
    read = Customer.objects.get(pk=zhang.pk).version  # both editors opened version 1
    services.customer_update(
        actor=first.user, customer_id=zhang.pk, data={"occupation": "教师"}, version=read
    )
    with pytest.raises(services.StaleCustomer) as refused:
        services.customer_update(
            actor=second.user,
            customer_id=zhang.pk,
            data={"occupation": "医生", "employer": "协和医院"},
            version=read,
        )
    message = str(refused.value)
    assert "This customer was changed by someone else (by 李建国 at " in message
    assert "reload to see their changes" in message
    after = Customer.objects.get(pk=zhang.pk)
    assert (after.occupation, after.employer, after.version) == ("教师", "", read + 1)
    assert updates(zhang) == 1
    assert Interaction.objects.filter(customer=zhang, kind=Interaction.Kind.CHANGE).count() == 1
    # read again, the second editor's change goes through
    services.customer_update(
        actor=second.user,
        customer_id=zhang.pk,
        data={"employer": "协和医院"},
        version=after.version,
    )
    assert Customer.objects.get(pk=zhang.pk).employer == "协和医院"


def test_a_refused_edit_leaves_the_phones_alone_too(zhang, first, second):
    services.customer_update(actor=first.user, customer_id=zhang.pk, data={"occupation": "教师"})
    with pytest.raises(services.StaleCustomer):
        services.customer_update(
            actor=second.user, customer_id=zhang.pk, data={"phones": ["13900139000"]}, version=1
        )
    assert not zhang.phones.exists()


def test_the_message_is_in_the_editors_language(zhang, first, second):
    services.customer_update(
        actor=first.user, customer_id=zhang.pk, data={"occupation": "教师"}, version=1
    )
    with translation.override("zh-hans"), pytest.raises(services.StaleCustomer) as refused:
        services.customer_update(
            actor=second.user, customer_id=zhang.pk, data={"occupation": "医生"}, version=1
        )
    assert "李建国" in str(refused.value)


# --- the API ------------------------------------------------------------------------------------


def bearer(staff) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=staff, name='t')}"}


def test_api_answers_409_with_the_message_and_changes_nothing(client, zhang, first, second):
    a, b = bearer(first), bearer(second)
    read = client.get(f"/api/customers/{zhang.pk}", **a).json()["version"]
    assert read == client.get(f"/api/customers/{zhang.pk}", **b).json()["version"] == 1

    ok = client.patch(
        f"/api/customers/{zhang.pk}",
        {"occupation": "教师", "version": read},
        content_type="application/json",
        **a,
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["version"] == read + 1

    refused = client.patch(
        f"/api/customers/{zhang.pk}",
        {"occupation": "医生", "version": read},
        content_type="application/json",
        **b,
    )
    assert refused.status_code == 409
    body = refused.json()
    assert "This customer was changed by someone else (by 李建国 at " in body["detail"]
    assert body["errors"][0]["field"] == "version"
    assert Customer.objects.get(pk=zhang.pk).occupation == "教师"
    assert updates(zhang) == 1


def test_api_schema_documents_the_version(client):
    schema = client.get("/api/openapi.json").json()
    patch = schema["paths"]["/api/customers/{customer_id}"]["patch"]
    assert "409" in patch["responses"]
    assert "version" in str(schema["components"]["schemas"]["CustomerUpdateIn"]["properties"])


# --- the edit form ------------------------------------------------------------------------------


def section_url(customer, name="work"):
    return reverse("customers:section", args=[customer.pk, name])


def test_edit_form_carries_the_version_and_a_stale_save_shows_the_conflict(
    client, zhang, first, second
):
    client.force_login(second.user)
    form = client.get(section_url(zhang) + "?edit=1", **HTMX).content.decode()
    assert 'name="version" value="1"' in form
    # meanwhile someone else saves
    services.customer_update(
        actor=first.user, customer_id=zhang.pk, data={"occupation": "教师"}, version=1
    )
    response = client.post(
        section_url(zhang), {"version": "1", "occupation": "医生", "employer": "协和医院"}, **HTMX
    )
    assert response.status_code == 200  # htmx swaps the form back in with the message
    html = response.content.decode()
    assert "This customer was changed by someone else (by 李建国 at " in html
    assert 'value="医生"' in html  # what was typed is kept
    assert Customer.objects.get(pk=zhang.pk).occupation == "教师"
    # without htmx: 409 and the full page
    response = client.post(section_url(zhang), {"version": "1", "occupation": "医生"})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    # a fresh form (version 2) saves
    form = client.get(section_url(zhang) + "?edit=1", **HTMX).content.decode()
    assert 'name="version" value="2"' in form
    response = client.post(section_url(zhang), {"version": "2", "occupation": "医生"}, **HTMX)
    assert "Saved" in response.content.decode()
    assert Customer.objects.get(pk=zhang.pk).occupation == "医生"
