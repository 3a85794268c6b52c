import pytest
from django.core.cache import cache
from django.urls import reverse

from servicefirst.commitments.models import ServiceEvent
from servicefirst.servicedesk import services
from servicefirst.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _post(client, meta=None, **kw):
    data = {
        "kind": "complaint",
        "category": "fee-dispute",
        "subject": "ATM 扣款未吐钞",
        "description": "昨晚 23 点在朝阳支行 ATM 取款 2000 元未吐钞，但已扣款。",
        "name": "王女士",
        "phone": "13911112222",
    }
    data.update(kw)
    return client.post(reverse("servicedesk:public_new"), data, **(meta or {}))


def test_the_public_form_needs_no_login_and_opens_a_web_request(client, org):
    assert client.get(reverse("servicedesk:public_new")).status_code == 200
    response = _post(client)
    req = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("servicedesk:public_status", args=[req.public_token]) + "?new=1"
    )
    assert req.channel == "web"
    assert req.customer is None
    assert req.contact_name == "王女士"
    assert req.unit == org.units.ccc
    assert req.language == "en"
    assert ServiceEvent.objects.get().kind == "request.opened"
    page = client.get(response["Location"]).content.decode()
    assert req.number in page
    assert "昨晚 23 点" in page


def test_the_public_form_names_the_fields(client, org):
    response = _post(client, name="", phone="", category="internal", kind="request")
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("invalid-feedback") >= 2
    assert not ServiceRequest.objects.exists()


def test_the_public_form_is_rate_limited_per_address(client, org, settings):
    settings.SERVICEDESK_WEB_LIMIT_PER_HOUR = 2
    assert _post(client).status_code == 302
    assert _post(client).status_code == 302
    assert _post(client).status_code == 429
    assert ServiceRequest.objects.count() == 2
    assert _post(client, meta={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


def test_wrong_token_is_404(client, org):
    assert client.get(reverse("servicedesk:public_status", args=["nope"])).status_code == 404
    assert (
        client.post(reverse("servicedesk:public_reply", args=["nope"]), {"body": "x"}).status_code
        == 404
    )


def test_status_page_shows_replies_not_notes_and_a_reply_reopens(client, org):
    req = services.open_web_request(
        kind="enquiry",
        category_code="card-lost",
        name="李先生",
        email="li@example.cn",
        subject="补卡进度",
        description="想知道新卡何时寄到",
    )
    agent = org.staff.agent.user
    services.add_note(actor=agent, request_id=req.pk, body="内部：卡中心已制卡")
    services.wait_for_customer(actor=agent, request_id=req.pk, message="请告诉我们您的领卡网点")
    url = reverse("servicedesk:public_status", args=[req.public_token])
    page = client.get(url).content.decode()
    assert "请告诉我们您的领卡网点" in page
    assert "卡中心已制卡" not in page
    assert org.staff.agent.name not in page
    response = client.post(
        reverse("servicedesk:public_reply", args=[req.public_token]), {"body": "朝阳支行"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "open"
    assert "朝阳支行" in client.get(url).content.decode()
    empty = client.post(reverse("servicedesk:public_reply", args=[req.public_token]), {"body": ""})
    assert empty.status_code == 422
