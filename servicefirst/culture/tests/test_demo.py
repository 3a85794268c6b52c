"""The demo's culture data: built on the demo bank's units and staff, idempotent."""

import pytest

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.culture import selectors
from servicefirst.culture.demo import demo_culture
from servicefirst.culture.models import CommitmentConfirmation, Response
from servicefirst.culture.tests.helpers import commitment

pytestmark = pytest.mark.django_db


def test_demo_culture_is_realistic_and_idempotent():
    bank = BankFactory()
    hq = UnitFactory(bank=bank, code="hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND)
    branches = {
        code: UnitFactory(bank=bank, code=code, parent=hq) for code in ("bj-cy", "sh-pd", "gz-th")
    }
    ccc = UnitFactory(bank=bank, code="ccc", parent=hq, kind=Unit.Kind.CARE_CENTER)
    for unit in branches.values():
        make_staff(Role.BRANCH_MANAGER, unit=unit)
        for _ in range(3):
            make_staff(Role.TELLER, unit=unit)
    make_staff(Role.CC_SUPERVISOR, unit=ccc)
    for _ in range(4):
        make_staff(Role.CC_AGENT, unit=ccc)
    admin = make_staff(Role.ADMINISTRATOR, unit=hq)
    commitment(hq)
    commitment(ccc)

    counts = demo_culture()

    assert counts["questionnaires"] == 2
    assert counts["training_assignments"] == 4
    assert 10 <= counts["training_completed"] <= 21
    assert counts["candidates"] == 5
    assert counts["commitment_confirmations"] > 0
    rows = {u.unit.code: u for u in selectors.completion_report(admin.user)}
    assert rows["gz-th"].overdue > 0 or rows["gz-th"].completed == rows["gz-th"].assigned
    assert sum(u.candidates_submitted for u in rows.values()) == 4
    again = demo_culture()
    assert again["training_assignments"] == again["training_completed"] == 0
    assert again["candidates"] == again["commitment_confirmations"] == 0
    assert Response.objects.filter(staff__isnull=True).count() == 5
    assert CommitmentConfirmation.objects.count() == counts["commitment_confirmations"]
