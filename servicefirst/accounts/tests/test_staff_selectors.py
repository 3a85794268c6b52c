import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.selectors import staff_list
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import UnitFactory, make_staff

pytestmark = pytest.mark.django_db


def test_branch_manager_sees_only_their_branch_staff():
    north, south = UnitFactory(), UnitFactory()
    manager = make_staff(Role.BRANCH_MANAGER, unit=north)
    teller_north = make_staff(Role.TELLER, unit=north)
    make_staff(Role.TELLER, unit=south)
    assert set(staff_list(actor=manager.user)) == {manager, teller_north}


def test_auditor_sees_everyone_and_analyst_no_one():
    north, south = UnitFactory(), UnitFactory()
    auditor = make_staff(Role.COMPLIANCE_AUDITOR, unit=north)
    other = make_staff(Role.TELLER, unit=south)
    analyst = make_staff(Role.MARKETING_ANALYST, unit=south)
    assert {auditor, other, analyst} <= set(staff_list(actor=auditor.user))
    assert list(staff_list(actor=analyst.user)) == []


def test_staff_api_obeys_the_same_scope(client):
    north, south = UnitFactory(), UnitFactory()
    manager = make_staff(Role.BRANCH_MANAGER, unit=north)
    make_staff(Role.TELLER, unit=south)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=manager, name='t')}"}
    body = client.get("/api/staff", **headers).json()
    assert [s["unit"] for s in body] == [north.code]
