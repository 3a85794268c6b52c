import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.floor.defaults import ensure_services


@pytest.fixture
def services(db):
    return {s.code: s for s in ensure_services()}


@pytest.fixture
def branch(db):
    return UnitFactory(name_zh="朝阳支行", name_en="Chaoyang Branch")


@pytest.fixture
def other_branch(db):
    return UnitFactory(name_zh="浦东支行", name_en="Pudong Branch")


@pytest.fixture
def lobby(branch):
    """The branch's lobby manager (a user)."""
    return make_staff(Role.LOBBY_MANAGER, unit=branch, name="李娜").user


@pytest.fixture
def rm(branch):
    return make_staff(Role.RELATIONSHIP_MANAGER, unit=branch, name="刘洋").user


@pytest.fixture
def rm2(branch):
    return make_staff(Role.RELATIONSHIP_MANAGER, unit=branch, name="赵雪").user


@pytest.fixture
def teller(branch):
    return make_staff(Role.TELLER, unit=branch, name="张敏").user


@pytest.fixture
def manager(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch, name="王志强").user


@pytest.fixture
def other_rm(other_branch):
    return make_staff(Role.RELATIONSHIP_MANAGER, unit=other_branch, name="朱浩然").user


@pytest.fixture
def analyst(db):
    return make_staff(Role.MARKETING_ANALYST, unit=UnitFactory()).user
