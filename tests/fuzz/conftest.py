"""A small bank for the fuzz tests, loaded once per test module.

`bank` loads the parts of the demo the API and the exports reach — the organisation (branches,
the Customer Care Center, back-office units), staff of every role with the demo's logins,
products, a few dozen customers with phones, holdings, consents and timelines, two days of each
branch's floor, the contact centre's campaigns, the published commitments and some service
requests — inside a transaction rolled back when the module's tests are done. (The full demo
also runs the commitments engine, remedies, culture and surveys over weeks of history: minutes,
not seconds.) Each test still runs in its own savepoint (pytest-django's `db`), so what one test
writes — the fuzzer's destructive POSTs included — is gone before the next.
"""

import os
import time

import pytest
from django.db import transaction
from django.test.utils import override_settings

# Customers in the fuzzing bank: enough for searches and lists to find several, few enough to
# load in seconds.
DEMO_CUSTOMERS = int(os.environ.get("FUZZ_DEMO_CUSTOMERS", "40"))
SEED = 2026


def load_bank(var_dir) -> dict[str, float]:
    """Load the bank; returns the seconds each part took."""
    from servicefirst.commitments.demo import demo_commitments
    from servicefirst.core import demo
    from servicefirst.dialer.demo import demo_contact_centre
    from servicefirst.floor.demo import demo_floor
    from servicefirst.servicedesk.demo import demo_servicedesk

    timings: dict[str, float] = {}

    def timed(name, step):
        started = time.perf_counter()
        result = step()
        timings[name] = round(time.perf_counter() - started, 2)
        return result

    _bank, units = timed("organisation", demo._organisation)
    timed("staff", lambda: demo._staff(units))
    timed("products", demo._products)
    timed(
        "customers",
        lambda: demo._import_synthetic(DEMO_CUSTOMERS, SEED, var_dir, demo._noop),
    )
    timed("enrichment", lambda: demo._enrich(SEED, DEMO_CUSTOMERS, demo._noop))
    timed("floor", lambda: demo_floor(seed=SEED, days=2))
    timed("contact_centre", demo_contact_centre)
    timed("commitments", demo_commitments)
    timed("service_requests", lambda: demo_servicedesk(requests=12))
    return timings


@pytest.fixture(scope="module")
def bank(django_db_setup, django_db_blocker, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("fuzz-bank")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(var_dir / "media"), VAR_DIR=var_dir),
        transaction.atomic(),
    ):
        timings = load_bank(var_dir)
        try:
            yield timings
        finally:
            transaction.set_rollback(True)
