"""Candidates: the one-time link (no login, expires, works once), scoring, and their personal
data — masked in lists, shown only to the managers of the hiring unit, every look recorded."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.culture import selectors, services
from servicefirst.culture.models import Response
from servicefirst.culture.tests.helpers import answers, org, people, questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    units = org()
    return units, people(units), questionnaire(purpose="hiring", pass_percent=70)


def _invite(staff, q, **kw):
    return services.candidate_invite(
        actor=staff.user,
        questionnaire_id=q.pk,
        name=kw.get("name", "刘晓雯"),
        contact=kw.get("contact", "13911112222"),
        position=kw.get("position", "Teller"),
        valid_days=kw.get("valid_days", 7),
    )


def test_a_candidate_answers_once_through_the_link(bank):
    units, staff, q = bank
    r, token = _invite(staff["bm_a"], q)
    assert r.unit == units["a"]
    assert r.token_hash != token
    opened = services.candidate_open(token=token)
    assert opened.started_at is not None
    done = services.candidate_submit(token=token, answers=answers(q, scale="4"))
    assert (done.score, done.passed) == (80, True)
    with pytest.raises(selectors.LinkUsed):
        services.candidate_open(token=token)
    with pytest.raises(selectors.LinkUsed):
        services.candidate_submit(token=token, answers=answers(q))
    assert done.answers.count() == 4


def test_bad_answers_keep_the_link_usable(bank):
    _units, staff, q = bank
    _r, token = _invite(staff["bm_a"], q)
    given = answers(q)
    given[q.questions.get(order=1).pk] = []
    with pytest.raises(ValidationFailed) as exc:
        services.candidate_submit(token=token, answers=given)
    assert exc.value.errors == {"question_1": ["Question 1: choose one answer"]}
    assert services.candidate_submit(token=token, answers=answers(q)).passed is True


def test_an_expired_or_unknown_link_does_not_open(bank):
    _units, staff, q = bank
    r, token = _invite(staff["bm_a"], q)
    Response.objects.filter(pk=r.pk).update(expires_at=timezone.now() - datetime.timedelta(1))
    with pytest.raises(selectors.LinkExpired):
        services.candidate_open(token=token)
    with pytest.raises(NotFound):
        services.candidate_open(token="not-a-token")
    # a fresh link replaces the old one
    new_token = services.candidate_link_renew(actor=staff["bm_a"].user, response_id=r.pk)
    assert services.candidate_open(token=new_token).pk == r.pk
    with pytest.raises(NotFound):
        services.candidate_open(token=token)


def test_invitation_errors_name_the_fields(bank):
    _units, staff, q = bank
    with pytest.raises(ValidationFailed) as exc:
        _invite(staff["bm_a"], q, name="", contact="", valid_days="90")
    assert set(exc.value.errors) == {"name", "contact", "valid_days"}
    with pytest.raises(ValidationFailed) as exc:
        _invite(staff["bm_a"], questionnaire(purpose="training"))
    assert "questionnaire" in exc.value.errors
    with pytest.raises(PermissionDenied):
        _invite(staff["teller_a1"], q)
    assert not Response.objects.exists()


def test_candidate_data_is_masked_in_lists_and_each_look_is_recorded(bank):
    _units, staff, q = bank
    r, token = _invite(staff["bm_a"], q)
    services.candidate_submit(token=token, answers=answers(q))
    rows = selectors.responses_for_manager(staff["bm_a"].user, purpose="hiring")
    assert rows[0].candidate == {
        "name": "刘**",
        "contact": "139****2222",
        "position": "Teller",
        "masked": True,
    }
    before = AuditEvent.objects.filter(action=selectors.CANDIDATE_VIEW).count()
    masked = selectors.response_get_for_manager(staff["bm_a"].user, r.pk)
    assert masked.candidate["name"] == "刘**"
    assert AuditEvent.objects.filter(action=selectors.CANDIDATE_VIEW).count() == before
    shown = selectors.response_get_for_manager(staff["bm_a"].user, r.pk, reveal=True)
    assert shown.candidate["name"] == "刘晓雯"
    assert shown.candidate["contact"] == "13911112222"
    event = AuditEvent.objects.get(action=selectors.CANDIDATE_VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        staff["bm_a"].user,
        "candidate",
        str(r.pk),
    )


def test_others_do_not_see_a_candidate(bank):
    _units, staff, q = bank
    r, _token = _invite(staff["bm_a"], q)
    with pytest.raises(NotFound):  # another branch's manager
        selectors.response_get_for_manager(staff["bm_b"].user, r.pk, reveal=True)
    assert selectors.responses_for_manager(staff["bm_b"].user, purpose="hiring") == []
    for who in ("teller_a1", "auditor"):  # no culture.manage at all
        with pytest.raises(PermissionDenied):
            selectors.response_get_for_manager(staff[who].user, r.pk, reveal=True)
        with pytest.raises(PermissionDenied):
            selectors.responses_for_manager(staff[who].user, purpose="hiring")
    # the bank-wide culture manager does
    assert selectors.response_get_for_manager(staff["admin"].user, r.pk).pk == r.pk
    assert not AuditEvent.objects.filter(action=selectors.CANDIDATE_VIEW).exists()
