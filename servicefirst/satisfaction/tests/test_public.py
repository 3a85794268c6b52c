"""The public survey page: no login, the token is the key; one answer per token; clear messages
for invalid, expired and answered links; the answer attaches to the staff member, the unit and
the commitment cases of the touchpoint."""

import datetime

import pytest
import segno
from django.urls import reverse
from django.utils import timezone

from servicefirst.satisfaction.models import SurveyInvitation, SurveyResponse
from servicefirst.satisfaction.tests import fixtures as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def o():
    return f.org()


@pytest.fixture
def open_invitation(o):
    zhang = f.customer("张三丰", branch=o["bj"])
    when = datetime.datetime(2026, 11, 27, 10, 30, tzinfo=f.TZ)
    inv = f.invitation(unit=o["bj"], staff=o["teller_bj"], when=when, customer=zhang)
    SurveyInvitation.objects.filter(pk=inv.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=3)
    )
    inv.refresh_from_db()
    return inv


def url(inv_or_token, lang=None):
    token = getattr(inv_or_token, "token", inv_or_token)
    return reverse("satisfaction:survey", args=[token]) + (f"?lang={lang}" if lang else "")


def test_the_page_needs_no_login_and_names_only_the_bank_and_the_touchpoint(
    client, open_invitation
):
    page = client.get(url(open_invitation, "en"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "your visit to Beijing Chaoyang Branch on 27 Nov" in text
    assert "ServiceFirst Bank" in text
    assert "How likely are you to recommend us to a friend or colleague?" in text
    assert "张三丰" not in text  # the customer
    assert "张敏" not in text  # the teller
    assert page["Content-Language"] == "en"


def test_the_page_speaks_the_invitations_language_with_a_switcher(client, open_invitation):
    page = client.get(url(open_invitation))

    text = page.content.decode()
    assert page["Content-Language"] == "zh-hans"
    assert "北京朝阳支行" in text
    assert "11月27日" in text
    assert 'href="?lang=en"' in text


def test_an_answer_attaches_to_staff_unit_and_cases(client, o, open_invitation):
    # given a commitment case measured on the same ticket, and one on another ticket
    version = f.commitment(o["bj"])
    mine = f.case(
        version, subject=open_invitation.subject, unit=o["bj"], when=open_invitation.occurred_at
    )
    f.case(version, subject="ticket:999999", unit=o["bj"], when=open_invitation.occurred_at)

    # when the customer answers
    page = client.post(
        url(open_invitation, "en"), {"csat": "4", "nps": "9", "comment": " Quick and kind. "}
    )

    # then they see the thanks, and the answer is on the invitation's staff, unit and cases
    assert page.status_code == 302
    thanks = client.get(page["Location"])
    assert "Thank you! Your answer has been received." in thanks.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.csat, answer.nps, answer.comment) == (4, 9, "Quick and kind.")
    assert answer.invitation.staff == o["teller_bj"]
    assert answer.invitation.unit == o["bj"]
    assert answer.case_ids == [mine.pk]
    open_invitation.refresh_from_db()
    assert open_invitation.answered_at is not None


def test_one_answer_per_token(client, open_invitation):
    client.post(url(open_invitation, "en"), {"csat": "5"})

    again = client.post(url(open_invitation, "en"), {"csat": "1", "nps": "0"})

    assert again.status_code == 200
    assert "Your answer has been received" in again.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.csat, answer.nps) == (5, None)


def test_an_expired_link_says_so_and_takes_no_answer(client, open_invitation):
    SurveyInvitation.objects.filter(pk=open_invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    page = client.post(url(open_invitation, "en"), {"csat": "5"})

    assert "This survey has closed" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_invalid_link_says_so(client, db):
    page = client.get(url("not-a-real-token", "en"))

    assert page.status_code == 404
    assert "This survey link is not valid" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "csat"), ({"csat": "6"}, "csat"), ({"csat": "3", "nps": "11"}, "nps")],
)
def test_a_bad_answer_names_the_question_and_keeps_nothing(client, open_invitation, data, field):
    page = client.post(url(open_invitation, "en"), data)

    assert page.status_code == 400
    assert f'data-error-for="{field}"' in page.content.decode()
    assert not SurveyResponse.objects.exists()
    open_invitation.refresh_from_db()
    assert open_invitation.answered_at is None


def test_staff_open_the_invitation_to_hand_the_link_over(client, o, open_invitation):
    page_url = reverse("satisfaction:invitation", args=[open_invitation.pk])

    client.force_login(o["teller_bj"].user)  # served the customer
    page = client.get(page_url)
    assert page.status_code == 200
    assert f"/satisfaction/s/{open_invitation.token}/" in page.content.decode()

    client.force_login(o["bm_sh"].user)  # another branch
    assert client.get(page_url).status_code == 404


def test_the_hand_over_page_shows_the_link_as_a_qr_code_drawn_on_the_server(
    client, o, open_invitation
):
    client.force_login(o["teller_bj"].user)
    html = client.get(reverse("satisfaction:invitation", args=[open_invitation.pk])).content
    html = html.decode()
    link = "http://testserver" + reverse("satisfaction:survey", args=[open_invitation.token])

    # the QR code is an inline SVG in the page (no image request, no script, no CDN) ...
    qr = html.split('<div id="survey-qr"', 1)[1].split("</div>", 1)[0]
    svg = qr[qr.index("<svg") : qr.index("</svg>") + len("</svg>")]
    assert 'class="qr-code"' in svg
    assert "<script" not in qr
    assert "<img" not in qr
    assert 'viewBox="0 0 ' in svg
    # ... and it is exactly the code of the survey link: encoding the link again gives it back
    expected = segno.make(link, error="m", micro=False)
    assert svg.count("<path") == 2  # the white background and the dark modules
    again = expected.svg_inline(omitsize=True, border=4, dark="#000", light="#fff")
    modules = again.split('stroke="#000" d="')[1].split('"')[0]
    assert f'd="{modules}"' in svg
    size = expected.symbol_size(border=4)[0]
    assert f'viewBox="0 0 {size} {size}"' in svg
    assert size >= 21 + 8  # a real QR symbol (version 1 is 21 modules) with its quiet zone
