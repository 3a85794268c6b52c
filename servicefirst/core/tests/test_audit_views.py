"""The compliance auditor's audit log page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.core.selectors import AUDIT_PAGE_SIZE
from servicefirst.core.services import audit_record
from servicefirst.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

AUDIT = reverse("audit:list")


@pytest.fixture
def auditor(client):
    client.force_login(make_staff(Role.COMPLIANCE_AUDITOR).user)
    return client


@pytest.fixture
def history():
    """Some events by two members of staff on two customers."""
    zhang, li = make_customer(name_zh="张三丰"), make_customer(name_zh="李四")
    teller = make_staff(Role.TELLER, username="teller_wang")
    manager = make_staff(Role.BRANCH_MANAGER, username="manager_li")
    for actor, action, customer, detail in (
        (teller, AuditEvent.Action.CUSTOMER_VIEW, zhang, {}),
        (manager, AuditEvent.Action.CUSTOMER_VIEW, zhang, {}),
        (manager, AuditEvent.Action.CUSTOMER_REVEAL, zhang, {"field": "id_number"}),
        (manager, AuditEvent.Action.CUSTOMER_UPDATE, li, {"fields": ["occupation", "phones"]}),
    ):
        audit_record(
            actor=actor.user,
            action=action,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
            detail=detail,
        )
    return {"zhang": zhang, "li": li}


def rows(response):
    return list(response.context["events"])


@pytest.mark.parametrize(
    "role",
    [r for r in Role.values if r != Role.COMPLIANCE_AUDITOR],
)
def test_roles_without_audit_view_get_404(client, role):
    client.force_login(make_staff(role).user)
    assert client.get(AUDIT).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(AUDIT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_auditor_sees_the_log_with_customer_numbers_and_readable_detail(auditor, history):
    response = auditor.get(AUDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert history["zhang"].number in html
    assert history["li"].number in html
    assert "Revealed masked field" in html
    assert "identity number" in html
    assert "occupation, phones" in html
    assert "All actions" in html
    assert 'name="since"' in html
    assert 'name="until"' in html


def test_filters_by_user_action_customer_and_dates(auditor, history):
    assert {e.actor_username for e in rows(auditor.get(AUDIT, {"user": "teller"}))} == {
        "teller_wang"
    }
    reveal = rows(auditor.get(AUDIT, {"action": AuditEvent.Action.CUSTOMER_REVEAL}))
    assert [e.detail for e in reveal] == [{"field": "id_number"}]
    by_number = rows(auditor.get(AUDIT, {"customer": history["li"].number.lower()}))
    assert [e.action for e in by_number] == [AuditEvent.Action.CUSTOMER_UPDATE]
    today = timezone.localdate()
    assert len(rows(auditor.get(AUDIT, {"since": today.isoformat()}))) >= 4
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    response = auditor.get(AUDIT, {"since": tomorrow})
    assert rows(response) == []
    assert "No events match." in response.content.decode()
    # a nonsense date is ignored rather than an error
    assert auditor.get(AUDIT, {"until": "soon"}).status_code == 200


def test_paginated_and_links_keep_the_filters(auditor):
    customer = make_customer(name_zh="王五")
    for _ in range(AUDIT_PAGE_SIZE + 5):
        audit_record(
            actor=None,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
        )
    first = auditor.get(AUDIT, {"action": AuditEvent.Action.CUSTOMER_VIEW})
    assert len(rows(first)) == AUDIT_PAGE_SIZE
    html = first.content.decode()
    assert "action=customer.view&amp;page=2" in html
    second = auditor.get(AUDIT, {"action": AuditEvent.Action.CUSTOMER_VIEW, "page": 2})
    assert len(rows(second)) == 5
    # a page number past the end shows the last page
    assert len(rows(auditor.get(AUDIT, {"action": "customer.view", "page": 99}))) == 5


def test_audit_page_is_in_chinese_for_a_chinese_speaking_auditor(client, history):
    client.force_login(make_staff(Role.COMPLIANCE_AUDITOR, ui_language="zh-hans").user)
    html = client.get(AUDIT).content.decode()
    assert "审计日志" in html
    assert "查看脱敏信息" in html
    assert "Audit log" not in html
