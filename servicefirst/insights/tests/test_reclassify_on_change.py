import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers import services
from servicefirst.customers.tests.factories import ProductFactory, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_opening_a_holding_reclassifies_the_customer(rules):
    # given a potential customer with no products
    clerk = make_staff(Role.BACK_OFFICE)
    customer = make_customer(name_zh="周杰", lifecycle="potential")
    product = ProductFactory(code="dep-demo", category="deposit")
    # when the bank opens a large deposit for them
    services.holding_open(
        actor=clerk.user, customer_id=customer.pk, product_code=product.code, balance=800_000
    )
    # then the default rules make them a current customer in the wealth tier, with the reason
    customer.refresh_from_db()
    assert customer.lifecycle == "current"
    assert customer.value_tier == "wealth"
    assert customer.lifecycle_reason
