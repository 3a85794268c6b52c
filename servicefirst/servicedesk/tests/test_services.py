import datetime
import re

import pytest
from django.utils import timezone

from servicefirst.commitments.models import ServiceEvent
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Interaction
from servicefirst.servicedesk import selectors, services
from servicefirst.servicedesk.models import RequestMessage, RequestTransfer, ServiceRequest

pytestmark = pytest.mark.django_db


def _open(org, actor=None, **kw):
    data = {
        "kind": "request",
        "category_code": "card-lost",
        "channel": "phone",
        "subject": "卡片丢失",
        "description": "客户来电称借记卡丢失",
        "customer_id": org.customer.pk,
    }
    data.update(kw)
    return services.open_request(actor=(actor or org.staff.agent).user, **data)


def _kinds(subject):
    return list(
        ServiceEvent.objects.filter(subject=subject).order_by("id").values_list("kind", flat=True)
    )


def test_open_request_numbers_it_records_the_event_and_the_timeline(org):
    # when
    req = _open(org)
    # then
    assert re.fullmatch(r"SR\d{8}\d{5}", req.number)
    assert req.number[2:10] == f"{timezone.localdate():%Y%m%d}"
    assert req.status == "new"
    assert req.unit == org.units.cards
    assert req.severity == "simple"
    assert len(req.public_token) >= 40
    event = ServiceEvent.objects.get(subject=f"request:{req.pk}")
    assert event.kind == "request.opened"
    assert event.unit_id == org.units.cards.pk
    assert event.customer_id == org.customer.pk
    assert event.staff_id == org.staff.agent.pk
    assert event.source_key == f"request:{req.pk}:opened"
    assert event.attrs == {
        "category": "card-lost",
        "channel": "phone",
        "kind": "request",
        "severity": "simple",
    }
    entry = Interaction.objects.get(customer=org.customer)
    assert req.number in entry.summary
    assert entry.channel == "phone"
    assert entry.kind == "request"
    assert entry.get_kind_display() == "Service request"


def test_numbers_follow_each_other_within_a_day(org):
    first, second = _open(org), _open(org)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_unit_staff_open_requests_for_their_own_unit(org):
    req = _open(org, org.staff.teller_bj, channel="counter")
    assert req.unit == org.units.bj


def test_home_branch_categories_go_to_the_customers_branch(org):
    req = _open(org, category_code="counter-service", kind="complaint")
    assert req.unit == org.units.bj
    assert Interaction.objects.get(customer=org.customer).kind == "complaint"


def test_an_unidentified_person_needs_a_name(org):
    with pytest.raises(ValidationFailed) as exc:
        _open(org, customer_id=None)
    assert "customer" in exc.value.errors
    req = _open(org, customer_id=None, contact_name="王先生", contact_phone="13900001111")
    assert req.customer is None
    assert req.requester_name == "王先生"


def test_invalid_openings_name_the_fields_and_change_nothing(org):
    with pytest.raises(ValidationFailed) as exc:
        _open(org, kind="wish", category_code="retired", channel="fax", subject=" ", language="fr")
    assert set(exc.value.errors) >= {"kind", "category", "channel", "subject", "language"}
    with pytest.raises(ValidationFailed) as exc:
        _open(org, customer_id=999999)
    assert list(exc.value.errors) == ["customer"]
    assert not ServiceRequest.objects.exists()
    assert not ServiceEvent.objects.exists()
    assert not Interaction.objects.exists()


def test_staff_without_request_work_cannot_open(org):
    with pytest.raises(PermissionDenied):
        _open(org, org.staff.analyst)


def test_first_reply_is_the_first_response_once(org):
    req = _open(org, category_code="fee-dispute", kind="complaint")
    agent = org.staff.agent.user
    t1 = timezone.now() + datetime.timedelta(minutes=5)
    services.reply_to_customer(actor=agent, request_id=req.pk, body="我们已收到", at=t1)
    services.reply_to_customer(actor=agent, request_id=req.pk, body="正在核查")
    req.refresh_from_db()
    assert req.first_response_at == t1
    assert req.status == "open"
    assert req.assignee == org.staff.agent
    assert _kinds(f"request:{req.pk}") == ["request.opened", "request.first_response"]
    assert req.messages.filter(direction="out").count() == 2
    assert Interaction.objects.filter(customer=org.customer).count() == 3


def test_an_empty_reply_is_refused(org):
    req = _open(org)
    with pytest.raises(ValidationFailed) as exc:
        services.reply_to_customer(actor=org.staff.agent.user, request_id=req.pk, body="  ")
    assert list(exc.value.errors) == ["body"]
    req.refresh_from_db()
    assert req.first_response_at is None
    assert not req.messages.exists()


def test_waiting_for_the_customer_and_their_reply(org):
    req = _open(org)
    agent = org.staff.agent.user
    services.wait_for_customer(actor=agent, request_id=req.pk, message="请提供卡号后四位")
    req.refresh_from_db()
    assert req.status == "waiting_customer"
    services.customer_reply(token=req.public_token, body="后四位是1234")
    req.refresh_from_db()
    assert req.status == "open"
    services.wait_for_customer(actor=agent, request_id=req.pk)
    assert _kinds(f"request:{req.pk}") == [
        "request.opened",
        "request.first_response",
        "request.waiting_customer",
        "request.customer_replied",
        "request.waiting_customer",
    ]
    assert RequestMessage.objects.filter(request=req, direction="in").count() == 1
    assert Interaction.objects.filter(customer=org.customer, outcome="customer_replied").exists()


def test_customer_reply_with_a_wrong_token_is_not_found(org):
    _open(org)
    with pytest.raises(NotFound):
        services.customer_reply(token="nope", body="hello")


def test_resolve_close_and_a_reply_after_closing(org):
    req = _open(org)
    agent = org.staff.agent.user
    with pytest.raises(ValidationFailed) as exc:
        services.resolve(actor=agent, request_id=req.pk, resolution="")
    assert list(exc.value.errors) == ["resolution"]
    services.resolve(actor=agent, request_id=req.pk, resolution="已补办新卡，寄往网点")
    req.refresh_from_db()
    assert req.status == "resolved"
    assert req.resolved_at
    assert req.first_response_at
    services.close(actor=agent, request_id=req.pk)
    req.refresh_from_db()
    assert req.status == "closed"
    assert req.closed_at
    with pytest.raises(ValidationFailed) as exc:
        services.customer_reply(token=req.public_token, body="谢谢")
    assert list(exc.value.errors) == ["body"]
    kinds = _kinds(f"request:{req.pk}")
    assert kinds == [
        "request.opened",
        "request.first_response",
        "request.resolved",
        "request.closed",
    ]
    resolved = ServiceEvent.objects.get(subject=f"request:{req.pk}", kind="request.resolved")
    assert resolved.attrs == {"category": "card-lost", "kind": "request", "severity": "simple"}
    assert Interaction.objects.filter(customer=org.customer, outcome="resolved").count() == 1


def test_a_customer_reply_reopens_a_resolved_request(org):
    req = _open(org)
    services.resolve(actor=org.staff.agent.user, request_id=req.pk, resolution="done")
    services.customer_reply(token=req.public_token, body="还没收到卡")
    req.refresh_from_db()
    assert req.status == "open"
    assert req.reopens == 1
    assert req.resolved_at is None
    services.resolve(actor=org.staff.agent.user, request_id=req.pk, resolution="已重新寄出")
    assert _kinds(f"request:{req.pk}").count("request.resolved") == 2


def test_cancel_only_an_active_request(org):
    req = _open(org)
    services.cancel(actor=org.staff.agent.user, request_id=req.pk, reason="客户已找到卡片")
    req.refresh_from_db()
    assert req.status == "cancelled"
    assert req.notes.count() == 1
    with pytest.raises(ValidationFailed) as exc:
        services.cancel(actor=org.staff.agent.user, request_id=req.pk, reason="again")
    assert "reason" in exc.value.errors
    assert _kinds(f"request:{req.pk}") == ["request.opened", "request.cancelled"]


def test_notes_are_internal(org):
    req = _open(org)
    note = services.add_note(actor=org.staff.agent.user, request_id=req.pk, body="客户情绪激动")
    assert note.by == org.staff.agent
    assert selectors.public_messages(req) == []
    with pytest.raises(ValidationFailed):
        services.add_note(actor=org.staff.agent.user, request_id=req.pk, body="")


def test_assign_self_others_and_who_may_be_given_it(org):
    req = _open(org, category_code="fee-dispute", kind="complaint")  # owned by ccc
    s = org.staff
    services.assign(actor=s.agent.user, request_id=req.pk, assignee_id=s.agent.pk)
    req.refresh_from_db()
    assert req.assignee == s.agent
    assert req.status == "open"
    with pytest.raises(PermissionDenied):
        services.assign(actor=s.agent.user, request_id=req.pk, assignee_id=s.agent2.pk)
    services.assign(actor=s.supervisor.user, request_id=req.pk, assignee_id=s.agent2.pk)
    req.refresh_from_db()
    assert req.assignee == s.agent2
    with pytest.raises(ValidationFailed) as exc:
        services.assign(actor=s.supervisor.user, request_id=req.pk, assignee_id=s.teller_sh.pk)
    assert list(exc.value.errors) == ["assignee"]
    req.refresh_from_db()
    assert req.assignee == s.agent2


def test_transfer_accept_and_answer_back(org):
    s = org.staff
    req = _open(org, category_code="fee-dispute", kind="complaint")
    services.assign(actor=s.agent.user, request_id=req.pk, assignee_id=s.agent.pk)
    # when the agent sends it to operations
    moved = services.transfer(
        actor=s.agent.user, request_id=req.pk, to_unit_id=org.units.ops.pk, reason="需核查扣费流水"
    )
    req.refresh_from_db()
    assert req.unit == org.units.ops
    assert req.assignee is None
    # a second transfer waits for the answer
    with pytest.raises(ValidationFailed) as exc:
        services.transfer(
            actor=s.agent.user, request_id=req.pk, to_unit_id=org.units.cards.pk, reason="x"
        )
    assert list(exc.value.errors) == ["to_unit"]
    # another second-line unit may not answer for operations
    with pytest.raises((NotFound, PermissionDenied)):
        services.accept_transfer(actor=s.cards.user, transfer_id=moved.pk)
    services.accept_transfer(actor=s.ops.user, transfer_id=moved.pk)
    req.refresh_from_db()
    assert req.assignee == s.ops
    services.answer_transfer(actor=s.ops.user, transfer_id=moved.pk, answer="扣费有误，已退回")
    moved.refresh_from_db()
    req.refresh_from_db()
    assert moved.returned
    assert moved.answered_by == s.ops
    assert req.unit == org.units.ccc
    assert req.assignee == s.agent
    # then: the transfer's events, on the receiving unit, each once
    events = list(ServiceEvent.objects.filter(subject=f"transfer:{moved.pk}").order_by("id"))
    assert [e.kind for e in events] == [
        "request.transfer.sent",
        "request.transfer.accepted",
        "request.transfer.answered",
    ]
    assert {e.unit_id for e in events} == {org.units.ops.pk}
    assert events[0].attrs == {"category": "fee-dispute", "from_unit": "ccc"}
    # operations still sees the request it worked on
    assert selectors.request_get(actor=s.ops.user, request_id=req.pk) == req


def test_answer_and_keep(org):
    s = org.staff
    req = _open(org, category_code="fee-dispute", kind="complaint")
    moved = services.transfer(
        actor=s.agent.user, request_id=req.pk, to_unit_id=org.units.cards.pk, reason="卡中心处理"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.answer_transfer(actor=s.cards.user, transfer_id=moved.pk, answer="")
    assert list(exc.value.errors) == ["answer"]
    assert not RequestTransfer.objects.get(pk=moved.pk).accepted_at
    services.answer_transfer(
        actor=s.cards.user, transfer_id=moved.pk, answer="由卡中心跟进", keep=True
    )
    req.refresh_from_db()
    assert req.unit == org.units.cards
    assert req.assignee == s.cards
    # answering implied accepting: both recorded
    assert _kinds(f"transfer:{moved.pk}") == [
        "request.transfer.sent",
        "request.transfer.accepted",
        "request.transfer.answered",
    ]


def test_resolving_answers_a_pending_transfer(org):
    s = org.staff
    req = _open(org, category_code="fee-dispute", kind="complaint")
    moved = services.transfer(
        actor=s.agent.user, request_id=req.pk, to_unit_id=org.units.ops.pk, reason="核查"
    )
    services.resolve(actor=s.ops.user, request_id=req.pk, resolution="已退费")
    moved.refresh_from_db()
    assert moved.answered_at
    assert not moved.returned


def test_visibility_by_scope(org):
    s = org.staff
    bj_request = _open(org, s.teller_bj, channel="counter")
    ccc_request = _open(org, category_code="fee-dispute", kind="complaint")
    assert selectors.request_get(actor=s.teller_bj.user, request_id=bj_request.pk)
    for outsider in (s.teller_sh, s.ops, s.analyst):
        with pytest.raises(NotFound):
            selectors.request_get(actor=outsider.user, request_id=bj_request.pk)
    with pytest.raises(NotFound):
        services.reply_to_customer(actor=s.teller_sh.user, request_id=bj_request.pk, body="hi")
    assert set(selectors.visible_requests(s.agent.user)) == {bj_request, ccc_request}
    assert set(selectors.visible_requests(s.teller_bj.user)) == {bj_request}
    assert set(selectors.visible_requests(s.bm_bj.user)) == {bj_request}
