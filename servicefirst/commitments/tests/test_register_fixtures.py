"""Shared test data for the register's tests (imported by test_register, test_views,
test_public): a small bank — head office above a branch and the Customer Care Center — its
staff, a calendar, and a helper to draft a valid commitment."""

import pytest

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.commitments import services
from servicefirst.commitments.models import BusinessCalendar


@pytest.fixture
def org(db):
    bank = BankFactory()
    hq = UnitFactory(
        bank=bank, code="t-hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND, parent=None
    )

    def unit(code, kind, line=Unit.Line.FIRST):
        return UnitFactory(bank=bank, code=code, kind=kind, line=line, parent=hq)

    return {
        "hq": hq,
        "branch": unit("t-bj", Unit.Kind.BRANCH),
        "other_branch": unit("t-sh", Unit.Kind.BRANCH),
        "ccc": unit("t-ccc", Unit.Kind.CARE_CENTER),
        "ops": unit("t-ops", Unit.Kind.OPERATIONS, Unit.Line.SECOND),
        "it": unit("t-it", Unit.Kind.IT, Unit.Line.SECOND),
    }


@pytest.fixture
def people(org):
    return {
        "supervisor": make_staff(Role.CC_SUPERVISOR, unit=org["ccc"], name="杨帆"),
        "agent": make_staff(Role.CC_AGENT, unit=org["ccc"], name="吴婷"),
        "agent2": make_staff(Role.CC_AGENT, unit=org["ccc"], name="郑凯"),
        "agent3": make_staff(Role.CC_AGENT, unit=org["ccc"], name="高桥"),
        "teller": make_staff(Role.TELLER, unit=org["branch"], name="张敏"),
        "manager": make_staff(Role.BRANCH_MANAGER, unit=org["branch"], name="王志强"),
        "other_teller": make_staff(Role.TELLER, unit=org["other_branch"], name="孙丽"),
        "backoffice": make_staff(Role.BACK_OFFICE, unit=org["ops"], name="马军"),
        "admin": make_staff(Role.ADMINISTRATOR, unit=org["it"], name="周建华"),
    }


@pytest.fixture
def calendar(db):
    return BusinessCalendar.objects.create(
        code="t-24x7", name_zh="全天候", name_en="Around the clock", always_open=True
    )


def draft_data(calendar, owner, /, **over) -> dict:
    data = {
        "code": "cc-answer-20s",
        "area": "contact_centre",
        "owner": owner.pk,
        "beneficiary": "customers",
        "basis": "own",
        "statement_zh": "来电20秒内接听",
        "statement_en": "Calls are answered within 20 seconds",
        "measure": "duration",
        "start_event": "contact.call.offered",
        "stop_event": "contact.call.answered",
        "target_value": "20",
        "target_unit": "seconds",
        "goal_percent": "80",
        "warn_percent": 80,
        "calendar": calendar.pk,
        "remedy": False,
    }
    data.update(over)
    return data


def draft(people, calendar, org, /, **over):
    """A draft made by the CC supervisor for the Customer Care Center."""
    return services.commitment_create(
        actor=people["supervisor"].user, data=draft_data(calendar, org["ccc"], **over)
    )


def published(people, calendar, org, /, **over):
    """A commitment taken through discussion to publication."""
    version = draft(people, calendar, org, **over)
    sup = people["supervisor"].user
    services.discussion_open(actor=sup, version_id=version.pk)
    services.comment_add(actor=people["agent"].user, version_id=version.pk, agrees=True)
    services.version_approve(actor=sup, version_id=version.pk)
    return services.version_publish(actor=sup, version_id=version.pk)
