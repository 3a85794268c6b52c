"""Shared fixtures: a small bank (two branches, the Care Center, operations and cards), staff
in each role that works on requests, a few categories and a customer of the first branch."""

from types import SimpleNamespace

import pytest

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.customers.tests.factories import make_customer
from servicefirst.servicedesk.models import RequestCategory


@pytest.fixture
def org(db):
    bank = BankFactory()

    def unit(code, kind, line, parent=None):
        return UnitFactory(
            bank=bank,
            code=code,
            name_zh=code,
            name_en=code.upper(),
            kind=kind,
            line=line,
            parent=parent,
        )

    hq = unit("hq", Unit.Kind.HEAD_OFFICE, Unit.Line.SECOND)
    units = SimpleNamespace(
        hq=hq,
        bj=unit("bj", Unit.Kind.BRANCH, Unit.Line.FIRST, hq),
        sh=unit("sh", Unit.Kind.BRANCH, Unit.Line.FIRST, hq),
        ccc=unit("ccc", Unit.Kind.CARE_CENTER, Unit.Line.FIRST, hq),
        ops=unit("ops", Unit.Kind.OPERATIONS, Unit.Line.SECOND, hq),
        cards=unit("cards", Unit.Kind.CARDS, Unit.Line.SECOND, hq),
    )
    staff = SimpleNamespace(
        agent=make_staff(Role.CC_AGENT, unit=units.ccc, username="agent"),
        agent2=make_staff(Role.CC_AGENT, unit=units.ccc, username="agent2"),
        supervisor=make_staff(Role.CC_SUPERVISOR, unit=units.ccc, username="supervisor"),
        teller_bj=make_staff(Role.TELLER, unit=units.bj, username="teller.bj"),
        teller_sh=make_staff(Role.TELLER, unit=units.sh, username="teller.sh"),
        bm_bj=make_staff(Role.BRANCH_MANAGER, unit=units.bj, username="bm.bj"),
        ops=make_staff(Role.BACK_OFFICE, unit=units.ops, username="ops"),
        cards=make_staff(Role.BACK_OFFICE, unit=units.cards, username="cards"),
        analyst=make_staff(Role.MARKETING_ANALYST, unit=units.hq, username="analyst"),
    )
    cats = SimpleNamespace(
        card_lost=RequestCategory.objects.create(
            code="card-lost",
            name_zh="银行卡挂失补办",
            name_en="Card lost or replaced",
            default_unit=units.cards,
        ),
        fee=RequestCategory.objects.create(
            code="fee-dispute",
            name_zh="费用争议",
            name_en="Fee dispute",
            kind="complaint",
            default_unit=units.ccc,
            complexity="complex",
        ),
        counter=RequestCategory.objects.create(
            code="counter-service",
            name_zh="柜面服务投诉",
            name_en="Counter service complaint",
            kind="complaint",
            default_unit=units.ccc,
            to_home_branch=True,
        ),
        internal=RequestCategory.objects.create(
            code="internal",
            name_zh="内部",
            name_en="Internal",
            default_unit=units.ops,
            public=False,
        ),
        retired=RequestCategory.objects.create(
            code="retired",
            name_zh="停用",
            name_en="Retired",
            default_unit=units.ccc,
            is_active=False,
        ),
    )
    customer = make_customer(name_zh="张三丰", phones=["13800138000"], home_branch=units.bj)
    return SimpleNamespace(units=units, staff=staff, cats=cats, customer=customer)


def user(staff):
    return staff.user
