import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.insights.defaults import seed
from servicefirst.insights.models import ClassificationRule


@pytest.fixture
def rules(db):
    """The default rules (seeded by migration; re-seeded if a transactional test flushed)."""
    seed(ClassificationRule)
    return ClassificationRule.objects.all()


@pytest.fixture
def branch(db):
    return UnitFactory()


@pytest.fixture
def analyst(db):
    return make_staff(Role.MARKETING_ANALYST, unit=UnitFactory()).user


@pytest.fixture
def teller(branch):
    return make_staff(Role.TELLER, unit=branch).user
