"""The public page of the bank's promises (no login) and the register's HTTP API."""

import json

import pytest
from django.urls import reverse

from servicefirst.accounts.services import token_create
from servicefirst.commitments import services
from servicefirst.commitments.models import Commitment, ServiceEvent
from servicefirst.commitments.tests import test_register_fixtures as fx
from servicefirst.commitments.tests.test_register_fixtures import draft, draft_data, published

calendar, org, people = fx.calendar, fx.org, fx.people  # the shared fixtures
pytestmark = pytest.mark.urls("servicefirst.commitments.tests.test_public_urls")
API = "/api-test/commitments"


def _internal(people, calendar, org):
    """A second-line commitment to a branch, published by the administrator."""
    admin = people["admin"].user
    version = services.commitment_create(
        actor=admin,
        data=draft_data(
            calendar,
            org["ops"],
            code="ops-answer-bj",
            area="internal",
            beneficiary="unit",
            beneficiary_unit=org["branch"].pk,
            statement_zh="运营部一个工作日内答复北京支行",
            statement_en="Operations answers the Beijing branch within 1 working day",
            start_event="request.transfer.sent",
            stop_event="request.transfer.answered",
            target_value="1",
            target_unit="working_days",
        ),
    )
    services.discussion_open(actor=admin, version_id=version.pk)
    services.comment_add(actor=people["backoffice"].user, version_id=version.pk, agrees=True)
    services.version_approve(actor=admin, version_id=version.pk)
    return services.version_publish(actor=admin, version_id=version.pk)


def test_the_public_page_lists_published_customer_commitments_without_login(
    client, people, calendar, org
):
    published(people, calendar, org)
    draft(people, calendar, org, code="cc-draft", statement_en="A draft nobody sees")
    _internal(people, calendar, org)
    Commitment.objects.filter(code="cc-answer-20s").update(
        basis="regulation", source="《某某办法》第1条"
    )

    response = client.get(reverse("commitments:public"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Calls are answered within 20 seconds" in page
    assert "within 20 seconds" in page
    assert "in 80% of cases" in page
    assert "《某某办法》第1条" in page  # the rule it follows
    assert "A draft nobody sees" not in page
    assert "Operations answers the Beijing branch" not in page  # internal: not public
    assert "Contact centre" in page  # grouped by area


def test_the_public_page_speaks_the_visitors_language(client, people, calendar, org):
    published(people, calendar, org)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("commitments:public")).content.decode()
    assert "来电20秒内接听" in page
    assert "Calls are answered within 20 seconds" not in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("commitments:public")).content.decode()
    assert "Calls are answered within 20 seconds" in page
    assert "来电20秒内接听" not in page


def test_the_api_lists_published_commitments_without_login(client, people, calendar, org):
    published(people, calendar, org)
    draft(people, calendar, org, code="cc-draft")
    _internal(people, calendar, org)
    response = client.get(f"{API}/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows] == ["cc-answer-20s"]
    assert rows[0]["target"] == "within 20 seconds"
    one = client.get(f"{API}/cc-answer-20s").json()
    assert one["statement_zh"] == "来电20秒内接听"
    assert client.get(f"{API}/ops-answer-bj").status_code == 404


def _post(client, token, **event):
    body = {
        "kind": "ops.item.requested",
        "subject": "card:88",
        "occurred_at": "2027-03-01T09:30:00+08:00",
        "source_key": "cards-sys:88:requested",
        "unit": "t-ops",
        "attrs": {"item": "card", "branch": "t-bj"},
        **event,
    }
    return client.post(
        f"{API}/events",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_an_external_producer_posts_an_event_once(client, people):
    token = token_create(staff=people["backoffice"], name="cards system")
    first = _post(client, token)
    assert first.status_code == 201
    assert first.json()["created"] is True
    again = _post(client, token)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert ServiceEvent.objects.count() == 1
    event = ServiceEvent.objects.get()
    assert event.unit.code == "t-ops"
    assert event.attrs == {"item": "card", "branch": "t-bj"}


def test_a_bad_event_is_refused_naming_the_field(client, people):
    token = token_create(staff=people["backoffice"], name="cards system")
    response = _post(client, token, kind="ops.item.lost", attrs={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    response = _post(client, token, attrs={"colour": "red"})
    assert response.json()["errors"][0]["field"] == "attrs.colour"
    response = _post(client, token, unit="nowhere")
    assert response.json()["errors"][0]["field"] == "unit"
    # A unit-scoped caller records only its own unit's events.
    response = _post(client, token, unit="t-bj")
    assert response.json()["errors"][0]["field"] == "unit"
    assert not ServiceEvent.objects.exists()


def test_events_need_a_login(client, people):
    response = _post(client, "sf_not-a-token")
    assert response.status_code == 401
    assert not ServiceEvent.objects.exists()
