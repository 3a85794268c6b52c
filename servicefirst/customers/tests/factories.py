import datetime

import factory

from servicefirst.customers.models import Product
from servicefirst.customers.services import apply_cleaned, customer_numbers
from servicefirst.customers.validation import clean_customer


def resident_id(birth: datetime.date, seq: int = 123, region: str = "110105") -> str:
    """A checksum-valid PRC resident identity number (Beijing Chaoyang by default)."""
    from servicefirst.customers.synthetic import resident_id_for

    return resident_id_for(region, birth, seq)


def make_customer(**data):
    """A saved customer built through the real validator (no permission check)."""
    from servicefirst.customers.models import Customer, CustomerPhone

    phones = data.pop("phones", [])
    unit = data.pop("home_branch", None)
    rm = data.pop("relationship_manager", None)
    data.setdefault("name_zh", "张三丰")
    cleaned, errors = clean_customer({**data, "phones": phones})
    assert not errors, errors
    customer = Customer(number=customer_numbers(1)[0], home_branch=unit, relationship_manager=rm)
    apply_cleaned(customer, cleaned)
    customer.save()
    for i, e164 in enumerate(cleaned.get("phones", [])):
        CustomerPhone.objects.create(customer=customer, e164=e164, is_primary=i == 0)
    return customer


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"prod{n}")
    name_zh = factory.Sequence(lambda n: f"产品{n}")
    name_en = factory.Sequence(lambda n: f"Product {n}")
    category = Product.Category.DEPOSIT
