"""A small bank where customers stand at each point of retention:

- `gone`: withdrew every consent 60 days ago, a closed service request, holdings, a task;
- `recent`: withdrew every consent 10 days ago (inside the 30-day grace);
- `consenting`: still consents to something;
- `never`: never gave consent;
- `held`: withdrew 60 days ago, under a legal hold;
- `open_request`: withdrew 60 days ago, a service request still open.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.customers.models import Consent, CustomerTask, Holding
from servicefirst.customers.services import interaction_record
from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id
from servicefirst.privacy.models import LegalHold
from servicefirst.servicedesk import services as desk
from servicefirst.servicedesk.models import RequestCategory, ServiceRequest

GONE_ID = resident_id(datetime.date(1980, 5, 17))


def _consents(customer, *, withdrawn_days_ago: int | None, kinds=("marketing", "sms")):
    now = timezone.now()
    for kind in kinds:
        Consent.objects.create(
            customer=customer,
            kind=kind,
            granted_at=now - datetime.timedelta(days=400),
            source="branch form",
            withdrawn_at=None
            if withdrawn_days_ago is None
            else now - datetime.timedelta(days=withdrawn_days_ago),
            withdrawal_source="" if withdrawn_days_ago is None else "letter",
        )


@pytest.fixture
def bank(db):
    the_bank = BankFactory()
    hq = UnitFactory(bank=the_bank, code="hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND)
    bj = UnitFactory(bank=the_bank, code="bj", parent=hq)
    sh = UnitFactory(bank=the_bank, code="sh", parent=hq)
    ccc = UnitFactory(bank=the_bank, code="ccc", kind=Unit.Kind.CARE_CENTER, parent=hq)
    staff = SimpleNamespace(
        auditor=make_staff(Role.COMPLIANCE_AUDITOR, unit=hq, username="auditor"),
        admin=make_staff(Role.ADMINISTRATOR, unit=hq, username="admin"),
        teller=make_staff(Role.TELLER, unit=bj, username="teller"),
        bm=make_staff(Role.BRANCH_MANAGER, unit=bj, username="bm"),
        agent=make_staff(Role.CC_AGENT, unit=ccc, username="agent"),
    )
    deposit = ProductFactory(code="dep1y", category="deposit")
    card = ProductFactory(code="card", category="card")
    category = RequestCategory.objects.create(
        code="fee", name_zh="费用争议", name_en="Fee dispute", default_unit=ccc
    )

    def customer(name, phone, branch, **extra):
        return make_customer(name_zh=name, phones=[phone], home_branch=branch, **extra)

    gone = customer(
        "张三丰",
        "13800138000",
        bj,
        id_type="resident",
        id_number=GONE_ID,
        email="zhang.sanfeng@example.com",
        home_address="北京市朝阳区建国路88号",
        employer="武当实业",
        value_tier="affluent",
    )
    recent = customer("李秀英", "13900139000", bj)
    consenting = customer("王小明", "13700137000", sh)
    never = customer("赵六", "13600136000", sh)
    held = customer("孙七", "13500135000", bj)
    open_request = customer("周八", "13400134000", sh)

    _consents(gone, withdrawn_days_ago=60)
    _consents(recent, withdrawn_days_ago=10)
    _consents(consenting, withdrawn_days_ago=None)
    _consents(held, withdrawn_days_ago=60)
    _consents(open_request, withdrawn_days_ago=60)

    for c, product, balance in (
        (gone, deposit, "50000.00"),
        (gone, card, "0"),
        (recent, deposit, "1200.50"),
        (held, card, "0"),
    ):
        Holding.objects.create(customer=c, product=product, balance=Decimal(balance))
    interaction_record(
        customer=gone, kind="visit", channel="branch", summary="张先生来行咨询定期存款，住朝阳区"
    )
    interaction_record(customer=gone, kind="call", channel="phone", summary="回电 13800138000")
    CustomerTask.objects.create(customer=gone, title="给张三丰回电话")

    closed = desk.open_request(
        actor=staff.agent.user,
        kind="complaint",
        category_code="fee",
        channel="phone",
        subject="张三丰投诉年费",
        description="客户张三丰(电话13800138000)投诉信用卡年费",
        customer_id=gone.pk,
    )
    desk.add_note(actor=staff.agent.user, request_id=closed.pk, body="已联系张先生，住址已核实")
    ServiceRequest.objects.filter(pk=closed.pk).update(status="closed", resolution="退还年费")
    desk.open_request(
        actor=staff.agent.user,
        kind="request",
        category_code="fee",
        channel="phone",
        subject="周八的请求",
        customer_id=open_request.pk,
    )
    LegalHold.objects.create(customer=held, reason="诉讼 2026-17", placed_by=staff.auditor)
    return SimpleNamespace(
        staff=staff,
        units=SimpleNamespace(hq=hq, bj=bj, sh=sh, ccc=ccc),
        products=SimpleNamespace(deposit=deposit, card=card),
        category=category,
        gone=gone,
        recent=recent,
        consenting=consenting,
        never=never,
        held=held,
        open_request=open_request,
        closed_request=closed,
    )
