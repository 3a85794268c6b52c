"""A branch with counters, tellers and a manager, for the dispatching board's tests."""

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.floor.tests.queue_factories import make_branch, make_counter


def with_languages(staff, *languages):
    staff.languages = list(languages)
    staff.save(update_fields=["languages"])
    return staff


@pytest.fixture
def branch(db):
    return make_branch(code="bj-board", name_en="Board Branch")


@pytest.fixture
def other_branch(db):
    return make_branch(code="sh-board", name_en="Other Branch")


@pytest.fixture
def manager(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch, name="Manager Li").user


@pytest.fixture
def other_manager(other_branch):
    return make_staff(Role.BRANCH_MANAGER, unit=other_branch).user


@pytest.fixture
def teller_user(branch):
    return make_staff(Role.TELLER, unit=branch).user


@pytest.fixture
def tellers(branch):
    """Two tellers of the branch who speak Chinese only."""
    return [
        with_languages(make_staff(Role.TELLER, unit=branch, name=name), "zh")
        for name in ("Wang", "Zhao")
    ]


@pytest.fixture
def counters(branch, tellers):
    """Counter 1 (cash, Wang) and counter 2 (loans, Zhao) open; counter 3 (cards) closed."""
    return [
        make_counter(branch, 1, ("cash",), staff=tellers[0]),
        make_counter(branch, 2, ("loans",), staff=tellers[1]),
        make_counter(branch, 3, ("cards",), is_open=False),
    ]
