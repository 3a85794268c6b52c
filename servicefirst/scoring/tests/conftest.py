"""Fixtures: a campaign history with a learnable signal, built straight into the tables."""

import datetime

import numpy as np
import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.models import Campaign, Customer, Interaction, Product
from servicefirst.customers.services import customer_numbers
from servicefirst.customers.tests.factories import ProductFactory

JOBS = ("admin.", "blue-collar", "retired", "student", "technician")
MONTHS = ("mar", "apr", "may", "jun")


def build_history(product: Product, n: int = 600, seed: int = 0) -> list[Customer]:
    """n customers, each with one campaign call for `product` (outcome yes/no). Success is
    far likelier after a successful earlier campaign, for the retired and the over-60s."""
    rng = np.random.default_rng(seed)
    campaign = Campaign.objects.create(code=f"camp-{product.code}", name="test", product=product)
    numbers = customer_numbers(n)
    customers = []
    for i in range(n):
        age = int(rng.integers(20, 80))
        customers.append(
            Customer(
                number=numbers[i],
                name_latin=f"Client {i}",
                birth_date=datetime.date(2009 - age, 7, 1),
                occupation=JOBS[i % len(JOBS)],
                marital_status=("married", "single")[i % 2],
                education="university.degree",
            )
        )
    customers = Customer.objects.bulk_create(customers)
    calls = []
    for i, c in enumerate(customers):
        month = MONTHS[min(i * len(MONTHS) // n, len(MONTHS) - 1)]
        poutcome = ("nonexistent", "failure", "success")[int(rng.choice(3, p=[0.7, 0.2, 0.1]))]
        logit = -2.2 + 2.5 * (poutcome == "success") + 1.2 * (c.occupation == "retired")
        logit += 0.8 * (2009 - c.birth_date.year >= 60)
        yes = rng.random() < 1 / (1 + np.exp(-logit))
        calls.append(
            Interaction(
                customer=c,
                kind=Interaction.Kind.CAMPAIGN_CALL,
                campaign=campaign,
                occurred_at=timezone.make_aware(
                    datetime.datetime(2009, 3 + MONTHS.index(month), 2, 10)  # noqa: DTZ001
                ),
                outcome="yes" if yes else "no",
                source_key=str(i),
                detail={
                    "month": month,
                    "day_of_week": "mon",
                    "contact": ("cellular", "telephone")[i % 2],
                    "campaign": 1 + i % 3,
                    "pdays": 6 if poutcome != "nonexistent" else None,
                    "previous": 0 if poutcome == "nonexistent" else 1,
                    "poutcome": poutcome,
                    "default": "no",
                    "housing": ("yes", "no")[i % 2],
                    "loan": "no",
                    "emp.var.rate": "-1.8",
                    "euribor3m": "1.4",
                    "duration": 999 if yes else 10,  # must never be used
                },
            )
        )
    Interaction.objects.bulk_create(calls)
    return customers


@pytest.fixture
def deposit(db):
    return ProductFactory(code="term-deposit", name_en="Term deposit", name_zh="定期存款")


@pytest.fixture
def history(deposit):
    return build_history(deposit)


@pytest.fixture
def analyst(db):
    return make_staff(Role.MARKETING_ANALYST).user


@pytest.fixture
def teller(db):
    return make_staff(Role.TELLER).user
