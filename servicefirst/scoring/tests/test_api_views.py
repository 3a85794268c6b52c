import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.models import Customer
from servicefirst.scoring import services
from servicefirst.scoring.models import TrainingJob


@pytest.fixture
def serving(history, deposit):
    return services.model_train(actor=None, product_code="term-deposit")


@pytest.fixture
def agent(db):
    return make_staff(Role.CC_AGENT)


def test_next_best_offer_api(client, serving, agent):
    customer = Customer.objects.order_by("pk").first()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=agent, name='t')}"}
    response = client.get(f"/api/scoring/customers/{customer.pk}/next-best-offer", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer_id"] == customer.pk
    offer = body["offers"][0]
    assert offer["product_code"] == "term-deposit"
    assert 0 < offer["probability"] < 1
    assert all(r["text"] for r in offer["reasons"])
    assert client.get("/api/scoring/customers/999999/next-best-offer", **headers).status_code == 404


def test_call_list_api_orders_by_score(client, serving, agent):
    services.scores_refresh(actor=None, product_code="term-deposit")
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:20])
    client.force_login(agent.user)
    response = client.post(
        "/api/scoring/call-list/order",
        {"product_code": "term-deposit", "customer_ids": ids},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_create(staff=agent, name='t')}",
    )
    assert response.status_code == 200
    assert sorted(response.json()) == sorted(ids)


def test_offer_card_on_the_customer_360(client, serving, agent):
    customer = Customer.objects.order_by("pk").first()
    client.force_login(agent.user)
    page = client.get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
    assert f'hx-get="/scoring/customers/{customer.pk}/offer/"' in page.content.decode()
    card = client.get(f"/scoring/customers/{customer.pk}/offer/")
    assert card.status_code == 200
    html = card.content.decode()
    assert "Next best offer" in html
    assert "%" in html
    assert client.get("/scoring/customers/999999/offer/").status_code == 404


def test_models_page_and_jobs(client, serving, analyst, agent, django_capture_on_commit_callbacks):
    client.force_login(agent.user)
    assert client.get("/scoring/").status_code == 403
    client.force_login(analyst)
    page = client.get("/scoring/")
    assert page.status_code == 200
    assert "v1" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/scoring/jobs/", {"product_code": "term-deposit", "kind": "score"})
    job = TrainingJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/scoring/jobs/{job.pk}/"
    status = client.get(f"/scoring/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert 'id="job-progress"' in status.content.decode()
