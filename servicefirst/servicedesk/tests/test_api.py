import pytest

from servicefirst.accounts.services import token_create
from servicefirst.commitments.models import ServiceEvent
from servicefirst.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(settings):
    """/api/requests once config/api.py mounts the router; a test mount until then."""
    from config.api import api
    from servicefirst.servicedesk.api import router

    if any(reg[1] is router for reg in api._router_registrations):
        return "/api/requests"
    settings.ROOT_URLCONF = "servicefirst.servicedesk.tests.api_urls"
    return "/sdapi/requests"


def _auth(staff):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=staff, name='test')}"}


def _create(client, base, org, staff=None, **kw):
    body = {
        "kind": "complaint",
        "category": "fee-dispute",
        "channel": "phone",
        "subject": "年费重复扣收",
        "customer_id": org.customer.pk,
    }
    body.update(kw)
    return client.post(
        base, body, content_type="application/json", **_auth(staff or org.staff.agent)
    )


def test_requires_authentication(client, base):
    assert client.get(base).status_code == 401


def test_create_get_reply_resolve(client, base, org):
    response = _create(client, base, org)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SR")
    assert body["unit"] == "ccc"
    assert body["status"] == "new"
    rid = body["id"]
    auth = _auth(org.staff.agent)
    reply = client.post(
        f"{base}/{rid}/reply", {"body": "已收到"}, content_type="application/json", **auth
    )
    assert reply.status_code == 200
    assert reply.json()["first_response_at"]
    assert reply.json()["messages"][0]["direction"] == "out"
    done = client.post(
        f"{base}/{rid}/resolve", {"resolution": "已退费"}, content_type="application/json", **auth
    )
    assert done.json()["status"] == "resolved"
    assert [r["id"] for r in client.get(base, {"status": "resolved"}, **auth).json()] == [rid]
    assert client.get(f"{base}/{rid}", **auth).json()["resolution"] == "已退费"


def test_errors_name_the_field(client, base, org):
    response = _create(client, base, org, subject="", category="nope")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"subject", "category"}
    assert not ServiceRequest.objects.exists()
    assert not ServiceEvent.objects.exists()


def test_transfer_by_unit_code(client, base, org):
    rid = _create(client, base, org).json()["id"]
    auth = _auth(org.staff.agent)
    bad = client.post(
        f"{base}/{rid}/transfer",
        {"to_unit": "mars", "reason": "x"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "to_unit"
    moved = client.post(
        f"{base}/{rid}/transfer",
        {"to_unit": "ops", "reason": "核查流水"},
        content_type="application/json",
        **auth,
    )
    assert moved.status_code == 201
    assert moved.json()["to_unit"] == "ops"
    event = ServiceEvent.objects.get(kind="request.transfer.sent")
    assert event.subject == f"transfer:{moved.json()['id']}"
    assert event.unit_id == org.units.ops.pk


def test_other_branches_requests_are_not_found(client, base, org):
    rid = _create(client, base, org, staff=org.staff.teller_bj, channel="counter").json()["id"]
    assert client.get(f"{base}/{rid}", **_auth(org.staff.teller_sh)).status_code == 404
    assert client.get(f"{base}/{rid}", **_auth(org.staff.teller_bj)).status_code == 200
    assert client.get(base, **_auth(org.staff.teller_sh)).json() == []
