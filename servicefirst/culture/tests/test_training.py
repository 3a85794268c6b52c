"""Taking a training questionnaire: scoring, pass or fail, answers that are refused naming
the question, one open sitting at a time, and the explanations afterwards."""

from decimal import Decimal

import pytest
from django.utils import timezone

from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.culture import selectors, services
from servicefirst.culture.models import Answer, Assignment, Response
from servicefirst.culture.tests.helpers import answers, org, people, questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    units = org()
    return units, people(units)


def _take(staff, q, **kw):
    r = services.training_start(actor=staff.user, questionnaire_id=q.pk)
    return services.training_submit(actor=staff.user, response_id=r.pk, answers=answers(q, **kw))


def test_all_right_scores_full_marks_and_passes(bank):
    # given
    _units, staff = bank
    q = questionnaire(pass_percent=60)
    # when
    r = _take(staff["teller_a1"], q, text="I stayed late once.")
    # then
    assert (r.points, r.max_points, r.score, r.passed) == (
        Decimal(5),
        Decimal(5),
        Decimal("100.0"),
        True,
    )
    rows = {a.question.order: a for a in Answer.objects.filter(response=r)}
    assert [rows[n].correct for n in (1, 2, 3, 4)] == [True, True, True, None]
    assert rows[4].text == "I stayed late once."


def test_partial_answers_score_their_points_and_fail_below_the_mark(bank):
    _units, staff = bank
    q = questionnaire(pass_percent=60)
    # single wrong (0), multiple only half right (0: all or nothing), scale 4 (1 of 2)
    r = _take(staff["teller_a1"], q, single="a", multiple=("a",), scale="4")
    assert r.points == Decimal(1)
    assert r.score == Decimal("20.0")
    assert r.passed is False
    # right single and multiple, scale 3 (0): 3 of 5 = 60% — exactly the pass mark passes
    r2 = _take(staff["teller_a1"], q, scale="3")
    assert r2.score == Decimal("60.0")
    assert r2.passed is True


def test_a_missing_answer_names_the_question_and_saves_nothing(bank):
    _units, staff = bank
    q = questionnaire()
    r = services.training_start(actor=staff["teller_a1"].user, questionnaire_id=q.pk)
    given = answers(q)
    given[q.questions.get(order=1).pk] = []
    given[q.questions.get(order=2).pk] = []
    with pytest.raises(ValidationFailed) as exc:
        services.training_submit(actor=staff["teller_a1"].user, response_id=r.pk, answers=given)
    assert exc.value.errors["question_1"] == ["Question 1: choose one answer"]
    assert exc.value.errors["question_2"] == ["Question 2: choose at least one answer"]
    assert not Answer.objects.exists()
    r.refresh_from_db()
    assert r.submitted_at is None


def test_two_answers_to_a_one_answer_question_or_an_unknown_option_are_refused(bank):
    _units, staff = bank
    q = questionnaire()
    r = services.training_start(actor=staff["teller_a1"].user, questionnaire_id=q.pk)
    given = answers(q)
    given[q.questions.get(order=1).pk] = ["a", "b"]
    given[q.questions.get(order=3).pk] = ["9"]
    with pytest.raises(ValidationFailed) as exc:
        services.training_submit(actor=staff["teller_a1"].user, response_id=r.pk, answers=given)
    assert exc.value.errors == {
        "question_1": ["Question 1: choose one answer"],
        "question_3": ["Question 3: that answer is not one of the options"],
    }


def test_one_open_sitting_at_a_time_and_no_second_hand_in(bank):
    _units, staff = bank
    q = questionnaire()
    teller = staff["teller_a1"]
    first = services.training_start(actor=teller.user, questionnaire_id=q.pk)
    assert services.training_start(actor=teller.user, questionnaire_id=q.pk) == first
    services.training_submit(actor=teller.user, response_id=first.pk, answers=answers(q))
    with pytest.raises(ValidationFailed):
        services.training_submit(actor=teller.user, response_id=first.pk, answers=answers(q))
    again = services.training_start(actor=teller.user, questionnaire_id=q.pk)
    assert again.pk != first.pk
    # someone else's sitting is not theirs to hand in
    with pytest.raises(NotFound):
        services.training_submit(
            actor=staff["teller_a2"].user, response_id=again.pk, answers=answers(q)
        )


def test_my_training_lists_assigned_first_with_due_date_best_score_and_overdue(bank):
    import datetime

    units, staff = bank
    assigned = questionnaire(code="t-assigned")
    optional = questionnaire(code="t-optional")
    Assignment.objects.create(
        questionnaire=assigned,
        unit=units["hq"],  # the head office's assignment reaches every branch
        due_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    items = selectors.my_training(staff["teller_a1"].user)
    assert [i.questionnaire.code for i in items] == ["t-assigned", "t-optional"]
    assert items[0].assigned
    assert items[0].overdue
    _take(staff["teller_a1"], assigned, single="a")  # 80%
    _take(staff["teller_a1"], assigned, single="a", scale="1")  # 40%
    item = next(
        i for i in selectors.my_training(staff["teller_a1"].user) if i.questionnaire == assigned
    )
    assert (item.completed, item.best_score, item.passed, item.overdue) == (
        True,
        Decimal("80.0"),
        True,
        False,
    )
    assert optional.pk in {i.questionnaire.pk for i in items}


def test_a_hiring_questionnaire_or_another_units_is_not_taken_as_training(bank):
    units, staff = bank
    hiring = questionnaire(purpose="hiring")
    theirs = questionnaire(unit=units["b"])
    for q in (hiring, theirs):
        with pytest.raises(NotFound):
            services.training_start(actor=staff["teller_a1"].user, questionnaire_id=q.pk)
    assert not Response.objects.exists()


def test_the_builtin_questionnaires_open_with_who_pays_your_salary(bank):
    from servicefirst.culture.defaults import ensure_builtin_questionnaires

    hiring, training = ensure_builtin_questionnaires()
    first = hiring.questions.get(order=1)
    assert (first.text_zh, first.text_en) == ("谁在给你发工资？", "Who pays your salary?")
    correct = [o for o in first.options if o["correct"]]
    assert [(o["zh"], o["en"]) for o in correct] == [("客户", "The customers")]
    assert {o["en"] for o in first.options} >= {"The bank", "My manager", "The state"}
    assert hiring.questions.count() >= 10
    assert training.questions.count() >= 8
    assert all(q.explanation_zh and q.explanation_en for q in training.questions.all())
    # running it again changes nothing
    assert [q.pk for q in ensure_builtin_questionnaires()] == [hiring.pk, training.pk]
    assert hiring.questions.count() == len(hiring.questions.all())
