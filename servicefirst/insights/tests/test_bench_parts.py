"""The benchmark helpers run on a small table, return figures and leave the data unchanged."""

import pytest

from servicefirst.customers.models import Customer
from servicefirst.customers.tests.factories import make_customer
from servicefirst.insights import bench_parts

pytestmark = pytest.mark.django_db


def test_bench_parts_measure_without_changing_data(rules):
    for _ in range(5):
        make_customer(lifecycle=Customer.Lifecycle.POTENTIAL)
    before = list(Customer.objects.values_list("lifecycle", "value_tier", "lifecycle_reason"))
    assert bench_parts.classify_seconds(3) >= 0
    assert (
        list(Customer.objects.values_list("lifecycle", "value_tier", "lifecycle_reason")) == before
    )
    assert bench_parts.segment_preview_p95_ms(n_queries=8) >= 0
    assert len(bench_parts.segment_preview_times_ms()) >= 7
