import datetime

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import PASSWORD, UnitFactory, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.tests.factories import make_customer, resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff(Role.CC_AGENT)


@pytest.fixture
def bearer(agent):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=agent, name='test')}"}


def test_openapi_docs_are_served(client):
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/customers" in schema["paths"]


def test_api_requires_authentication(client):
    assert client.get("/api/customers", {"q": "zsf"}).status_code == 401


def test_search_with_a_token(client, bearer):
    zhang = make_customer(name_zh="张三丰", phones=["13800138000"])
    response = client.get("/api/customers", {"q": "zsf"}, **bearer)
    assert response.status_code == 200
    body = response.json()
    assert [r["number"] for r in body] == [zhang.number]
    assert body[0]["phone"] == "138****8000"


def test_session_authentication(client, agent):
    make_customer(name_zh="张三丰")
    assert client.login(username=agent.user.username, password=PASSWORD)
    assert client.get("/api/customers", {"q": "张三丰"}).json()[0]["name_zh"] == "张三丰"


def test_revoked_or_unknown_tokens_are_refused(client):
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer sf_nope").status_code == 401


def test_customer_360_is_masked_and_audited(client, bearer, agent):
    c = make_customer(
        name_zh="李四", phones=["13800138000"], id_number=resident_id(datetime.date(1975, 3, 9))
    )
    body = client.get(f"/api/customers/{c.pk}", **bearer).json()
    assert body["phones"] == ["138****8000"]
    assert body["id_number"].endswith(c.id_number_last4)
    assert body["id_number"].startswith("*")
    assert AuditEvent.objects.filter(
        action="customer.view", customer_id=c.pk, actor_username=agent.user.username, channel="web"
    ).exists()


def test_error_bodies_name_the_field(client, bearer):
    c = make_customer(name_zh="李四")
    response = client.patch(
        f"/api/customers/{c.pk}",
        {"phones": ["12345"], "email": "x"},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"phones", "email"}
    # schema errors too
    response = client.patch(
        f"/api/customers/{c.pk}", {"dependents": "many"}, content_type="application/json", **bearer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dependents"


def test_create_then_update(client):
    clerk = make_staff(Role.BACK_OFFICE)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=clerk, name='t')}"}
    created = client.post(
        "/api/customers",
        {"name_zh": "王芳", "phones": ["+86 139 1234 5678"]},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    updated = client.patch(
        f"/api/customers/{cid}",
        {"occupation": "工程师"},
        content_type="application/json",
        **headers,
    )
    assert updated.json()["occupation"] == "工程师"
    assert updated.json()["timeline"][0]["kind"] == "change"


def test_not_visible_and_missing_look_the_same(client):
    outsider = make_staff(Role.TELLER)
    outsider.roles.all().delete()  # no roles: may see no customer
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=outsider, name='t')}"}
    c = make_customer()
    assert client.get(f"/api/customers/{c.pk}", **headers).status_code == 404
    assert client.get("/api/customers/999999", **headers).status_code == 404


def test_reveal_requires_the_role(client, bearer):
    unit = UnitFactory()
    c = make_customer(home_branch=unit, phones=["13800138000"])
    assert (
        client.post(
            f"/api/customers/{c.pk}/reveal",
            {"field": "phones"},
            content_type="application/json",
            **bearer,
        ).status_code
        == 403
    )
    manager = make_staff(Role.BRANCH_MANAGER, unit=unit)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=manager, name='t')}"}
    response = client.post(
        f"/api/customers/{c.pk}/reveal",
        {"field": "phones"},
        content_type="application/json",
        **headers,
    )
    assert response.json()["value"] == ["+86 138 0013 8000"]


def test_me_lists_scopes(client, bearer):
    body = client.get("/api/me", **bearer).json()
    assert body["roles"] == ["cc_agent"]
    assert body["permissions"]["customer.view"] == "all"
    assert body["permissions"]["audit.view"] == "none"
