"""A web request from someone we could not identify is linked to the customer afterwards: the
link is in the request's notes, on the customer's timeline and in the audit log, and a request
already linked is refused."""

import pytest
from django.urls import reverse

from servicefirst.accounts.tests.factories import PASSWORD
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.servicedesk import services
from servicefirst.servicedesk.models import RequestNote, ServiceRequest

pytestmark = pytest.mark.django_db


def _web(**kw):
    data = {
        "kind": "complaint",
        "category_code": "fee-dispute",
        "name": "张先生",
        "phone": "13800138000",
        "subject": "年费重复扣收",
        "description": "我的信用卡年费扣了两次。",
    }
    data.update(kw)
    return services.open_web_request(**data)


def _login(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)
    return client


def test_an_agent_links_a_web_complaint_to_the_customer(org):
    # given a complaint from the web form, nobody identified
    req = _web()
    assert not Interaction.objects.exists()
    # when
    services.link_customer(
        actor=org.staff.agent.user, request_id=req.pk, customer_id=str(org.customer.pk)
    )
    # then the request is the customer's
    req.refresh_from_db()
    assert req.customer == org.customer
    assert req.contact_name == "张先生"  # what the person wrote is kept
    # ... its history says who linked it, to whom
    note = RequestNote.objects.get(request=req)
    assert note.by == org.staff.agent
    assert org.customer.number in note.body
    # ... the customer's timeline has it, as a complaint from the web
    entry = Interaction.objects.get(customer=org.customer)
    assert (entry.kind, entry.channel, entry.outcome) == ("complaint", "web", "linked")
    assert entry.get_channel_display() == "Web"
    assert req.number in entry.summary
    assert entry.staff == org.staff.agent
    # ... and the audit log records the change to the customer's data
    audit = AuditEvent.objects.get(action="customer.update")
    assert (audit.object_type, audit.object_id, audit.customer_id) == (
        "service_request",
        str(req.pk),
        org.customer.pk,
    )
    assert audit.actor == org.staff.agent.user


def test_an_enquiry_goes_on_the_timeline_as_a_service_request(org):
    req = _web(kind="enquiry", category_code="card-lost")
    services.link_customer(
        actor=org.staff.agent.user, request_id=req.pk, customer_id=org.customer.pk
    )
    assert Interaction.objects.get(customer=org.customer).kind == "request"


def test_a_request_already_linked_is_refused_and_nothing_changes(org):
    req = _web()
    services.link_customer(
        actor=org.staff.agent.user, request_id=req.pk, customer_id=org.customer.pk
    )
    other = make_customer(name_zh="李四", phones=["13900139000"])

    with pytest.raises(ValidationFailed) as exc:
        services.link_customer(actor=org.staff.agent.user, request_id=req.pk, customer_id=other.pk)

    assert "customer" in exc.value.errors
    req.refresh_from_db()
    assert req.customer == org.customer
    assert RequestNote.objects.filter(request=req).count() == 1
    assert not Interaction.objects.filter(customer=other).exists()
    assert AuditEvent.objects.filter(action="customer.update").count() == 1


@pytest.mark.parametrize("customer_id", ["", None, "abc", "999999"])
def test_no_customer_or_an_unknown_one_names_the_field(org, customer_id):
    req = _web()
    with pytest.raises(ValidationFailed) as exc:
        services.link_customer(
            actor=org.staff.agent.user, request_id=req.pk, customer_id=customer_id
        )
    assert list(exc.value.errors) == ["customer"]
    req.refresh_from_db()
    assert req.customer is None
    assert not RequestNote.objects.exists()


def test_only_staff_who_work_on_the_request_link_it(org):
    req = _web()  # owned by the Care Center
    with pytest.raises(NotFound):  # a Beijing teller does not see the Care Center's requests
        services.link_customer(
            actor=org.staff.teller_bj.user, request_id=req.pk, customer_id=org.customer.pk
        )
    assert ServiceRequest.objects.get(pk=req.pk).customer is None


def test_the_request_page_offers_the_link_with_a_masked_search(client, org):
    req = _web()
    _login(client, org.staff.agent)
    page = client.get(reverse("servicedesk:detail", args=[req.pk])).content.decode()
    assert 'id="link-form"' in page

    found = client.get(
        reverse("servicedesk:customer_pick"), {"for": "link", "customer_q": "张三丰"}
    ).content.decode()
    assert f'value="{org.customer.pk}"' in found
    assert "13800138000" not in found  # the phone is masked
    assert "8000" in found
    none = client.get(
        reverse("servicedesk:customer_pick"), {"for": "link", "customer_q": "无此人"}
    ).content.decode()
    assert "give the name of the person" not in none

    bad = client.post(reverse("servicedesk:act", args=[req.pk, "link"]), {"customer_q": "张"})
    assert bad.status_code == 422
    assert "Choose the customer" in bad.content.decode()

    done = client.post(
        reverse("servicedesk:act", args=[req.pk, "link"]), {"customer_id": org.customer.pk}
    )
    assert done.status_code == 302
    page = client.get(reverse("servicedesk:detail", args=[req.pk])).content.decode()
    assert org.customer.number in page
    assert 'id="link-form"' not in page  # linked: nothing more to link


def test_a_broken_promise_to_a_web_enquirer_gets_its_remedy_once_the_customer_is_known(
    org, django_capture_on_commit_callbacks
):
    from servicefirst.remedies.models import RemedyCase
    from servicefirst.servicedesk.tests.helpers import measure

    # given a web complaint nobody could identify, whose first-response clock has run out
    req = _web()
    case = measure(req, statement_en="We answer within 2 hours")
    case.state = "breached"
    case.breached_at = case.due_at
    case.save()
    assert case.customer_id is None
    assert not RemedyCase.objects.exists()  # no customer: nobody to apologise to yet
    # when the agent finds the customer behind it
    with django_capture_on_commit_callbacks(execute=True):
        services.link_customer(
            actor=org.staff.agent.user, request_id=req.pk, customer_id=org.customer.pk
        )
    # then the broken promise is hers, and its remedy (apology, gift) is opened for her
    case.refresh_from_db()
    assert case.customer_id == org.customer.pk
    remedy = RemedyCase.objects.get(case=case)
    assert remedy.customer == org.customer
