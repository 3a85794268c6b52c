"""The culture pages through the test client: who gets which page, the candidate's public
page, answering on a page, confirming with htmx, the report and its CSV."""

import pytest
from django.urls import reverse

from servicefirst.accounts.tests.factories import PASSWORD
from servicefirst.core.models import AuditEvent
from servicefirst.culture import selectors, services
from servicefirst.culture.defaults import HIRING_CODE, ensure_builtin_questionnaires
from servicefirst.culture.models import CommitmentConfirmation, Questionnaire, Response
from servicefirst.culture.tests.helpers import commitment, org, people, questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    units = org()
    return units, people(units)


def _client(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)
    return client


MANAGER_PAGES = [
    ("culture:questionnaires", ()),
    ("culture:questionnaire_new", ()),
    ("culture:results", ()),
    ("culture:report", ()),
    ("culture:report_csv", ()),
]


def test_manager_pages_are_for_culture_managers_only(client, bank):
    _units, staff = bank
    _client(client, staff["teller_a1"])
    for name, args in MANAGER_PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name in ("culture:training", "culture:my_commitments"):
        assert client.get(reverse(name)).status_code == 200
    client.logout()
    assert client.get(reverse("culture:training")).status_code == 302  # to the login page
    _client(client, staff["bm_a"])
    for name, args in MANAGER_PAGES:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_the_navigation_offers_the_culture_pages(client, bank):
    _units, staff = bank
    page = _client(client, staff["teller_a1"]).get(reverse("culture:training")).content.decode()
    assert reverse("culture:my_commitments") in page
    assert reverse("culture:training") in page
    assert reverse("culture:report") not in page
    client.logout()
    page = _client(client, staff["bm_a"]).get(reverse("culture:training")).content.decode()
    assert reverse("culture:report") in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_render_in_both_languages(client, bank, language):
    units, staff = bank
    ensure_builtin_questionnaires()
    commitment(units["hq"])
    client.cookies["django_language"] = language
    _client(client, staff["admin"])
    hiring = Questionnaire.objects.get(code=HIRING_CODE)
    for url in (
        reverse("culture:questionnaires"),
        reverse("culture:questionnaire_edit", args=[hiring.pk]),
        reverse("culture:question_edit", args=[hiring.pk, hiring.questions.first().pk]),
        reverse("culture:invite", args=[hiring.pk]),
        reverse("culture:results") + "?purpose=training",
        reverse("culture:report"),
        reverse("culture:report") + f"?unit={units['hq'].pk}",
        reverse("culture:training"),
        reverse("culture:my_commitments"),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("culture:questionnaire_edit", args=[hiring.pk])).content.decode()
    assert ("谁在给你发工资？" if language == "zh-hans" else "Who pays your salary?") in page


def test_a_candidate_answers_on_the_public_page_once(client, bank):
    _units, staff = bank
    hiring, _training = ensure_builtin_questionnaires()
    manager = _client(client, staff["bm_a"])
    page = manager.post(
        reverse("culture:invite", args=[hiring.pk]),
        {"name": "刘晓雯", "contact": "13911112222", "position": "Teller", "valid_days": "7"},
    )
    link = page.context["link"]
    manager.logout()
    path = link.split("testserver", 1)[1]
    assert "Who pays your salary?" in client.get(path).content.decode()
    questions = list(hiring.questions.order_by("order"))
    incomplete = client.post(path, {f"q{questions[0].pk}": "e"})
    assert incomplete.status_code == 200
    assert "Question 2: choose one answer" in incomplete.content.decode()
    data = {}
    for q in questions:
        right = [o["key"] for o in q.options if o["correct"]]
        if q.kind == "text":
            data[f"q{q.pk}"] = ""
        else:
            data[f"q{q.pk}"] = right if q.kind == "multiple" else right[:1]
    done = client.post(path, data)
    assert done.status_code == 302
    assert done["Location"] == reverse("culture:candidate_done")
    r = Response.objects.get(candidate_name="刘晓雯")
    assert (r.score, r.passed) == (100, True)
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_the_results_list_masks_candidates_and_opening_one_is_recorded(client, bank):
    _units, staff = bank
    hiring = questionnaire(purpose="hiring")
    r, _token = services.candidate_invite(
        actor=staff["bm_a"].user,
        questionnaire_id=hiring.pk,
        name="刘晓雯",
        contact="13911112222",
        position="Teller",
    )
    _client(client, staff["bm_a"])
    listing = client.get(reverse("culture:results")).content.decode()
    assert "刘**" in listing
    assert "刘晓雯" not in listing
    assert "13911112222" not in listing
    detail = client.get(reverse("culture:result_detail", args=[r.pk]) + "?reveal=1")
    assert "刘晓雯" in detail.content.decode()
    assert AuditEvent.objects.filter(action=selectors.CANDIDATE_VIEW, object_id=str(r.pk)).exists()
    client.logout()
    _client(client, staff["bm_b"])
    assert client.get(reverse("culture:result_detail", args=[r.pk])).status_code == 404


def test_a_teller_takes_training_on_the_page_and_sees_the_explanations(client, bank):
    _units, staff = bank
    q = questionnaire()
    _client(client, staff["teller_a1"])
    started = client.post(reverse("culture:take", args=[q.pk]))
    assert started.status_code == 302
    form_url = started["Location"]
    assert "Who pays your salary?" in client.get(form_url).content.decode()
    by_order = {x.order: x.pk for x in q.questions.all()}
    done = client.post(
        form_url,
        {f"q{by_order[1]}": "b", f"q{by_order[2]}": ["a", "c"], f"q{by_order[3]}": "5"},
    )
    assert done.status_code == 302
    result = client.get(form_url).content.decode()
    assert "100.0%" in result
    assert "The customers." in result


def test_confirming_a_commitment_with_htmx_returns_the_row(client, bank):
    units, staff = bank
    v = commitment(units["a"]).versions.get()
    _client(client, staff["teller_a1"])
    page = client.get(reverse("culture:my_commitments")).content.decode()
    assert "I have read and will keep this commitment" in page
    row = client.post(reverse("culture:confirm", args=[v.pk]), HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert 'data-confirmed="1"' in row.content.decode()
    assert CommitmentConfirmation.objects.filter(staff=staff["teller_a1"], version=v).exists()


def test_the_report_csv_downloads(client, bank):
    _units, staff = bank
    _client(client, staff["bm_a"])
    response = client.get(reverse("culture:report_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "Teller A1" in response.content.decode("utf-8-sig")
