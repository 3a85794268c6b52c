"""Walks the whole permission matrix: for every role and every customer action, the real
services and selectors allow exactly what the matrix says, for customers that are the actor's
own, in the actor's branch, and elsewhere."""

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.permissions import MATRIX, Action, Scope, role_scope, scope_for
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core import selectors as core_selectors
from servicefirst.core.errors import NotFound, PermissionDenied
from servicefirst.customers import selectors, services
from servicefirst.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

PLACES = ("assigned", "branch", "elsewhere")
EXPECTED = {
    Scope.ALL: {"assigned": True, "branch": True, "elsewhere": True},
    Scope.UNIT: {"assigned": True, "branch": True, "elsewhere": False},
    Scope.ASSIGNED: {"assigned": True, "branch": False, "elsewhere": False},
    Scope.NONE: {"assigned": False, "branch": False, "elsewhere": False},
}


@pytest.fixture
def world():
    home, other = UnitFactory(), UnitFactory()
    return home, other


def customers_for(staff, home, other):
    return {
        "assigned": make_customer(
            name_zh="王一",
            home_branch=home,
            relationship_manager=staff,
            phones=["13800138001"],
            email="a@example.com",
        ),
        "branch": make_customer(
            name_zh="王二", home_branch=home, phones=["13800138002"], email="b@example.com"
        ),
        "elsewhere": make_customer(
            name_zh="王三", home_branch=other, phones=["13800138003"], email="c@example.com"
        ),
    }


def attempt(action, user, customer, spare):
    """Run the real code path for `action`; True when it is allowed."""
    try:
        if action == Action.CUSTOMER_VIEW:
            selectors.customer_360(actor=user, customer_id=customer.pk)
        elif action == Action.CUSTOMER_REVEAL:
            services.customer_reveal(actor=user, customer_id=customer.pk, field="phones")
        elif action == Action.CUSTOMER_EDIT:
            services.customer_update(
                actor=user, customer_id=customer.pk, data={"occupation": "教师"}
            )
        elif action == Action.INTERACTION_ADD:
            services.interaction_add(
                actor=user, customer_id=customer.pk, kind="note", summary="来访咨询"
            )
        elif action == Action.CUSTOMER_MERGE:
            services.customer_merge(actor=user, survivor_id=customer.pk, duplicate_id=spare.pk)
        return True
    except (PermissionDenied, NotFound):
        return False


CUSTOMER_ACTIONS = (
    Action.CUSTOMER_VIEW,
    Action.CUSTOMER_REVEAL,
    Action.CUSTOMER_EDIT,
    Action.INTERACTION_ADD,
    Action.CUSTOMER_MERGE,
)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_customer_actions_follow_the_matrix(role, action, world):
    home, other = world
    staff = make_staff(role, unit=home)
    customers = customers_for(staff, home, other)
    scope = role_scope(role, action)
    for place in PLACES:
        spare = make_customer(
            name_zh="王备",
            home_branch=customers[place].home_branch,
            relationship_manager=customers[place].relationship_manager,
        )
        allowed = attempt(action, staff.user, customers[place], spare)
        assert allowed is EXPECTED[scope][place], (
            f"{role} {action} on {place}: matrix says {scope.name}"
        )


@pytest.mark.parametrize("role", Role.values)
def test_creating_customers_follows_the_matrix(role, world):
    staff = make_staff(role, unit=world[0])
    allowed = role_scope(role, Action.CUSTOMER_CREATE) > Scope.NONE
    try:
        services.customer_create(actor=staff.user, data={"name_zh": "赵新"})
        created = True
    except PermissionDenied:
        created = False
    assert created is allowed


@pytest.mark.parametrize("role", Role.values)
def test_audit_log_follows_the_matrix(role, world):
    staff = make_staff(role, unit=world[0])
    try:
        core_selectors.audit_events(actor=staff.user, filters={})
        allowed = True
    except PermissionDenied:
        allowed = False
    assert allowed is (role_scope(role, Action.AUDIT_VIEW) > Scope.NONE)


def test_every_role_and_action_is_declared():
    assert set(MATRIX) == set(Role.values)
    for role, grants in MATRIX.items():
        assert set(grants) <= set(Action.ALL), role


def test_widest_role_wins_for_staff_with_several_roles(world):
    staff = make_staff(Role.TELLER, Role.COMPLIANCE_AUDITOR, unit=world[0])
    assert scope_for(staff.user, Action.CUSTOMER_REVEAL) == Scope.ALL
    assert scope_for(staff.user, Action.AUDIT_VIEW) == Scope.ALL


def test_a_login_without_a_staff_record_may_do_nothing(django_user_model):
    user = django_user_model.objects.create_user("outsider", password="x")
    assert all(scope_for(user, a) == Scope.NONE for a in Action.ALL)
    assert selectors.customer_search(actor=user, query="王") == []
