import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.tests.factories import PASSWORD
from servicefirst.commitments.models import ServiceEvent
from servicefirst.core.models import AuditEvent
from servicefirst.servicedesk import services
from servicefirst.servicedesk.models import RequestTransfer, ServiceRequest
from servicefirst.servicedesk.tests.helpers import measure

pytestmark = pytest.mark.django_db


def _login(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)
    return client


def _open(org, actor=None, **kw):
    data = {
        "kind": "complaint",
        "category_code": "fee-dispute",
        "channel": "phone",
        "subject": "年费重复扣收",
        "customer_id": org.customer.pk,
    }
    data.update(kw)
    return services.open_request(actor=(actor or org.staff.agent).user, **data)


def test_the_queue_lists_and_filters(client, org):
    mine = _open(org)
    services.assign(actor=org.staff.agent.user, request_id=mine.pk, assignee_id=org.staff.agent.pk)
    other = _open(org, subject="卡片未收到", kind="request", category_code="card-lost")
    _login(client, org.staff.agent)
    page = client.get(reverse("servicedesk:list")).content.decode()
    assert mine.number in page
    assert other.number not in page
    page = client.get(
        reverse("servicedesk:list"), {"queue": "all", "kind": "request"}
    ).content.decode()
    assert other.number in page
    assert mine.number not in page
    fragment = client.get(
        reverse("servicedesk:list"),
        {"queue": "all", "q": other.number},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="sd-results",
    )
    assert b"<html" not in fragment.content
    assert other.number.encode() in fragment.content


def test_staff_without_request_work_are_refused(client, org):
    _login(client, org.staff.analyst)
    assert client.get(reverse("servicedesk:list")).status_code == 403


def test_a_teller_of_another_branch_cannot_open_a_branch_request(client, org):
    req = _open(org, org.staff.teller_bj, channel="counter")
    _login(client, org.staff.teller_sh)
    assert client.get(reverse("servicedesk:detail", args=[req.pk])).status_code == 404
    assert (
        client.post(reverse("servicedesk:act", args=[req.pk, "reply"]), {"body": "x"}).status_code
        == 404
    )
    _login(client, org.staff.teller_bj)
    assert client.get(reverse("servicedesk:detail", args=[req.pk])).status_code == 200


def test_new_request_form_opens_a_request(client, org):
    _login(client, org.staff.agent)
    picked = client.get(reverse("servicedesk:customer_pick"), {"customer_q": "张三丰"})
    assert f'value="{org.customer.pk}"' in picked.content.decode()
    assert "138****8000" in picked.content.decode()
    response = client.post(
        reverse("servicedesk:new"),
        {
            "customer_id": org.customer.pk,
            "kind": "complaint",
            "channel": "phone",
            "category": "fee-dispute",
            "subject": "年费重复扣收",
            "description": "客户称本月被扣两次年费",
            "language": "zh",
            "assign_to_me": "1",
        },
    )
    req = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/requests/{req.pk}/")
    assert req.assignee == org.staff.agent
    assert req.status == "open"


def test_new_request_errors_are_shown_on_their_fields(client, org):
    _login(client, org.staff.agent)
    response = client.post(
        reverse("servicedesk:new"), {"kind": "complaint", "channel": "phone", "category": ""}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'name="subject" id="subject"' in page
    assert "is-invalid" in page
    assert not ServiceRequest.objects.exists()


def test_detail_is_masked_and_audit_logged(client, org):
    req = _open(org)
    _login(client, org.staff.agent)
    page = client.get(reverse("servicedesk:detail", args=[req.pk])).content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page
    assert req.public_token in page
    audit = AuditEvent.objects.get(action="customer.view", object_type="service_request")
    assert audit.customer_id == org.customer.pk
    assert audit.actor == org.staff.agent.user


def test_actions_from_the_page(client, org):
    req = _open(org)
    _login(client, org.staff.agent)
    url = lambda action: reverse("servicedesk:act", args=[req.pk, action])  # noqa: E731
    assert client.post(url("assign"), {"assignee": "me"}).status_code == 302
    assert client.post(url("reply"), {"body": "您好，我们正在核查"}).status_code == 302
    assert client.post(url("note"), {"note": "已联系卡中心"}).status_code == 302
    empty = client.post(url("reply"), {"body": ""})
    assert empty.status_code == 422
    assert b"is-invalid" in empty.content
    assert client.post(url("wait"), {"message": "请提供扣款截图"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "waiting_customer"
    assert req.assignee == org.staff.agent
    assert client.post(url("resolve"), {"resolution": "已退还重复扣收的年费"}).status_code == 302
    assert client.post(url("close")).status_code == 302
    req.refresh_from_db()
    assert req.status == "closed"
    assert client.post(url("fly")).status_code == 404


def test_transfer_accept_and_answer_from_the_pages(client, org):
    req = _open(org)
    _login(client, org.staff.agent)
    response = client.post(
        reverse("servicedesk:act", args=[req.pk, "transfer"]),
        {"to_unit": org.units.ops.pk, "reason": "请核查扣费流水"},
    )
    assert response.status_code == 302
    moved = RequestTransfer.objects.get()
    _login(client, org.staff.ops)
    page = client.get(reverse("servicedesk:list"), {"queue": "transfers"}).content.decode()
    assert req.number in page
    page = client.get(reverse("servicedesk:detail", args=[req.pk])).content.decode()
    assert 'id="accept-transfer"' in page
    act = lambda action, data=None: client.post(  # noqa: E731
        reverse("servicedesk:transfer_act", args=[moved.pk, action]), data or {}
    )
    assert act("accept").status_code == 302
    assert act("answer", {"answer": ""}).status_code == 422
    assert act("answer", {"answer": "扣费系统重复，已冲正"}).status_code == 302
    moved.refresh_from_db()
    req.refresh_from_db()
    assert moved.returned
    assert req.unit == org.units.ccc
    # a unit that received nothing cannot answer
    _login(client, org.staff.cards)
    assert act("accept").status_code in (403, 404)


def test_clock_panel_shows_the_cases(client, org):
    req = _open(org)
    measure(req, statement_en="Complaints get a first response within 2 hours")
    _login(client, org.staff.agent)
    panel = client.get(reverse("servicedesk:clocks", args=[req.pk])).content.decode()
    assert "Complaints get a first response within 2 hours" in panel
    assert "data-due=" in panel
    assert "Running" in panel
    assert "every 30s" in panel


def test_events_are_recorded_once_through_the_pages(client, org):
    req = _open(org)
    _login(client, org.staff.agent)
    for _ in range(2):
        client.post(reverse("servicedesk:act", args=[req.pk, "reply"]), {"body": "收到"})
    assert ServiceEvent.objects.filter(kind="request.first_response").count() == 1


def test_pages_render_in_chinese(client, org):
    req = _open(org)
    _login(client, org.staff.agent)
    client.cookies["django_language"] = "zh-hans"
    for url in (
        reverse("servicedesk:list"),
        reverse("servicedesk:new"),
        reverse("servicedesk:detail", args=[req.pk]),
        reverse("servicedesk:public_new"),
        reverse("servicedesk:public_status", args=[req.public_token]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode()


def test_overdue_filter_finds_requests_whose_clock_ran_out(client, org):
    late = _open(org, subject="已超时")
    on_time = _open(org, subject="未超时")
    case = measure(late, statement_en="First response within 2 hours")
    case.due_at = timezone.now() - datetime.timedelta(minutes=5)
    case.save(update_fields=["due_at"])
    measure(on_time, statement_en="First response within 2 hours")
    moved = services.transfer(
        actor=org.staff.agent.user, request_id=on_time.pk, to_unit_id=org.units.ops.pk, reason="x"
    )
    _login(client, org.staff.agent)
    page = client.get(
        reverse("servicedesk:list"), {"queue": "all", "overdue": "1"}
    ).content.decode()
    assert late.number in page
    assert on_time.number not in page
    # a transfer whose clock was missed makes its request overdue too
    transfer_case = measure(on_time, subject=f"transfer:{moved.pk}", statement_en="Ops in 1 day")
    transfer_case.state = "breached"
    transfer_case.save(update_fields=["state"])
    page = client.get(
        reverse("servicedesk:list"), {"queue": "all", "overdue": "1"}
    ).content.decode()
    assert on_time.number in page
    detail = client.get(reverse("servicedesk:detail", args=[on_time.pk])).content.decode()
    assert "Ops in 1 day" in detail
    assert "Missed" in detail
