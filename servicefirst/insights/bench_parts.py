"""Measurements of classification and segment previews for `bench/insights.py`, on whatever
database Django is connected to (the 1M-customer benchmark database on PostgreSQL).

Both leave the data as they found it: the classification runs inside a transaction that is
rolled back, and previews only read."""

import math
import time

from django.db import transaction
from django.utils import timezone

from servicefirst.customers.models import Customer
from servicefirst.insights import conditions as cond
from servicefirst.insights.defaults import seed
from servicefirst.insights.models import ClassificationRule


class _Rollback(Exception):
    pass


def classify_seconds(n_customers: int) -> float:
    """Seconds to classify the first `n_customers` customers (id order) with the bank's rules,
    through the same batched set-based UPDATEs as the background job; rolled back after."""
    from servicefirst.insights.services import classification_run

    elapsed = 0.0
    try:
        with transaction.atomic():
            if not ClassificationRule.objects.exists():
                seed(ClassificationRule)
            start = time.perf_counter()
            classification_run(actor=None, limit=n_customers)
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def bench_definitions() -> list[list[dict]]:
    """Segment definitions of the kinds staff build: classes and tiers, branch and consent,
    holdings by category and balance, age and gender, contact history, assets."""
    branch = (
        Customer.objects.filter(home_branch__isnull=False)
        .order_by("pk")
        .values_list("home_branch_id", flat=True)
        .first()
    )
    since = (timezone.localdate().replace(day=1)).isoformat()
    definitions = [
        [
            {"field": "lifecycle", "op": "in", "value": ["current", "potential"]},
            {"field": "value_tier", "op": "in", "value": ["affluent", "wealth"]},
        ],
        [
            {"field": "consent", "op": "has", "value": "marketing"},
            {"field": "do_not_call", "op": "eq", "value": False},
        ],
        [{"field": "holding", "op": "has", "value": {"category": "fund", "min_balance": 50000}}],
        [
            {"field": "age", "op": "gte", "value": 30},
            {"field": "age", "op": "lte", "value": 50},
            {"field": "gender", "op": "eq", "value": "F"},
        ],
        [{"field": "interaction", "op": "has", "value": {"kind": "campaign_call", "from": since}}],
        [{"field": "aum", "op": "gte", "value": 500000}],
        [
            {"field": "lifecycle", "op": "eq", "value": "current"},
            {"field": "holding", "op": "lacks", "value": {"category": "fund"}},
            {"field": "consent", "op": "has", "value": "phone"},
        ],
    ]
    if branch is not None:
        definitions.append(
            [
                {"field": "home_branch", "op": "eq", "value": str(branch)},
                {"field": "value_tier", "op": "ne", "value": "mass"},
            ]
        )
    return definitions


def preview_once(definition: list[dict]) -> tuple[int, list]:
    """What the preview does for an analyst (scope: every customer): a COUNT and a sample."""
    from servicefirst.insights.selectors import preview_counts

    qs = Customer.objects.filter(merged_into__isnull=True).filter(cond.compile_q(definition))
    return preview_counts(qs)


def segment_preview_p95_ms(n_queries: int = 40) -> float:
    """95th percentile, in milliseconds, of segment preview time over `n_queries` previews
    cycling through `bench_definitions()` (one warm-up pass not counted)."""
    definitions = bench_definitions()
    for definition in definitions:
        preview_once(definition)
    times = []
    for i in range(n_queries):
        start = time.perf_counter()
        preview_once(definitions[i % len(definitions)])
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]


def segment_preview_times_ms() -> list[tuple[str, float, int]]:
    """Each benchmark definition in words, its preview time and its count (for reports)."""
    out = []
    for definition in bench_definitions():
        start = time.perf_counter()
        count, _sample = preview_once(definition)
        out.append((cond.describe(definition), (time.perf_counter() - start) * 1000, count))
    return out
