"""The whole HTTP API fuzzed from its own OpenAPI schema (schemathesis).

Every operation of `/api/openapi.json` is called with generated input — valid by the schema
and, for the negative phase, invalid — as staff of four roles (an administrator, a teller, a
contact-centre agent, a compliance auditor), against a small demo bank whose ids the path
parameters often pick, so that reads and writes reach real objects. Each answer must:

- not be a server error (5xx);
- have a status code the operation declares, and a body that matches the declared schema;
- refuse invalid input with a 4xx.

Schema-valid input may still be refused (422) by the rules the schema cannot state (a
category that does not exist, a customer the role may not see), so schemathesis's "positive
data is accepted" check is left out.

Bounded for CI: `FUZZ_MAX_EXAMPLES` examples per operation and role (default 10), Hypothesis
derandomized (the same cases on every run) and without deadlines. Run only these with
`pytest -m fuzz`.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from servicefirst.accounts.models import Staff
from servicefirst.accounts.services import token_create

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
ROLES = {
    "administrator": "admin",
    "teller": "teller.bj",
    "agent": "agent1",
    "auditor": "auditor",
}


def _openapi() -> dict:
    """The schema `/api/openapi.json` serves, made without a request (at collection time)."""
    from ninja.responses import NinjaJSONEncoder

    from config.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


schema = schemathesis.openapi.from_dict(_openapi())
# As `schemathesis.openapi.from_wsgi` would set them: calls go to the WSGI app in this process.
schema.app = application
schema.location = "/api/openapi.json"


@pytest.fixture(scope="module", autouse=True)
def keep_connection(bank):
    """Like Django's test client, requests leave the database connection open (Django closes
    it at the end of each request, which would end the transaction the bank lives in)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def tokens(bank):
    return {
        role: token_create(staff=Staff.objects.get(user__username=username), name="fuzz")
        for role, username in ROLES.items()
    }


@pytest.fixture(params=list(ROLES))
def bearer(request, tokens) -> dict[str, str]:
    """The Authorization header of one of the roles (the test runs once per role)."""
    return {"Authorization": f"Bearer {tokens[request.param]}"}


@pytest.mark.fuzz
@pytest.mark.django_db
@pytest.mark.usefixtures("bearer")  # seen by pytest at collection: one test per role
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
