"""Editing questionnaires and questions: who may, the options' notation, errors naming the
field, positions, versions, and assignments."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.culture import selectors, services
from servicefirst.culture.models import Assignment, Question, Questionnaire
from servicefirst.culture.tests.helpers import answers, org, people, questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    units = org()
    return units, people(units)


HEADING = {
    "code": "t-new",
    "title_zh": "新问卷",
    "title_en": "New questionnaire",
    "purpose": "training",
    "pass_percent": "75",
    "is_active": True,
}


def test_a_bank_wide_questionnaire_is_written_by_the_bank_and_a_branchs_by_its_manager(bank):
    units, staff = bank
    bank_wide = services.questionnaire_save(actor=staff["admin"].user, data=HEADING)
    assert bank_wide.unit is None
    assert bank_wide.pass_percent == 75
    own = services.questionnaire_save(
        actor=staff["bm_a"].user, data={**HEADING, "code": "t-a-own", "unit_id": units["b"].pk}
    )
    assert own.unit == units["a"]  # a branch manager writes for their own branch only
    with pytest.raises(PermissionDenied):
        services.questionnaire_save(
            actor=staff["bm_a"].user, data=HEADING, questionnaire_id=bank_wide.pk
        )
    with pytest.raises(PermissionDenied):
        services.questionnaire_save(actor=staff["teller_a1"].user, data={**HEADING, "code": "x"})
    # the other branch's manager does not even see branch A's questionnaire
    codes = {q.code for q in selectors.questionnaires_visible(staff["bm_b"].user)}
    assert codes == {"t-new"}


def test_questionnaire_errors_name_the_fields(bank):
    _units, staff = bank
    services.questionnaire_save(actor=staff["admin"].user, data=HEADING)
    with pytest.raises(ValidationFailed) as exc:
        services.questionnaire_save(
            actor=staff["admin"].user,
            data={**HEADING, "title_en": "", "pass_percent": "120", "purpose": "fun"},
        )
    assert set(exc.value.errors) == {"code", "title_en", "pass_percent", "purpose"}
    assert Questionnaire.objects.count() == 1


def test_options_are_written_one_per_line(bank):
    _units, staff = bank
    q = services.questionnaire_save(actor=staff["admin"].user, data=HEADING)
    question = services.question_save(
        actor=staff["admin"].user,
        questionnaire_id=q.pk,
        data={
            "kind": "single",
            "text_zh": "谁在给你发工资？",
            "text_en": "Who pays your salary?",
            "options_text": "银行 | The bank\n* 客户 | The customers = 2\n国家 | The state",
        },
    )
    assert question.order == 1
    assert question.options[1] == {
        "key": "b",
        "zh": "客户",
        "en": "The customers",
        "correct": True,
        "points": 2,
    }
    assert question.max_points == 2
    assert services.options_text(question).splitlines()[1] == "* 客户 | The customers = 2"


def test_question_errors_name_the_field_and_the_line(bank):
    _units, staff = bank
    q = services.questionnaire_save(actor=staff["admin"].user, data=HEADING)
    with pytest.raises(ValidationFailed) as exc:
        services.question_save(
            actor=staff["admin"].user,
            questionnaire_id=q.pk,
            data={
                "kind": "single",
                "text_zh": "问",
                "text_en": "",
                "options_text": "银行 | The bank\n客户 the customers",
            },
        )
    assert exc.value.errors["text_en"] == ["This field is required."]
    assert exc.value.errors["options"] == [
        "line 2: write the Chinese and the English label, separated by |"
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.question_save(
            actor=staff["admin"].user,
            questionnaire_id=q.pk,
            data={
                "kind": "single",
                "text_zh": "问",
                "text_en": "Q",
                "options_text": "a | A\nb | B",
            },
        )
    assert exc.value.errors["options"] == ["Mark the correct answer with *."]
    assert not Question.objects.exists()


def test_a_question_put_at_a_taken_position_moves_the_others_down(bank):
    _units, staff = bank
    q = questionnaire()
    added = services.question_save(
        actor=staff["admin"].user,
        questionnaire_id=q.pk,
        data={"order": "1", "kind": "text", "text_zh": "新", "text_en": "New"},
    )
    assert added.order == 1
    assert list(q.questions.order_by("order").values_list("text_en", flat=True)) == [
        "New",
        "Who pays your salary?",
        "Several",
        "Scale",
        "Tell us",
    ]
    services.question_delete(actor=staff["admin"].user, question_id=added.pk)
    assert list(q.questions.order_by("order").values_list("order", flat=True)) == [1, 2, 3, 4]


def test_changing_an_answered_questionnaire_gives_it_a_new_version_and_keeps_answered_questions(
    bank,
):
    _units, staff = bank
    q = questionnaire()
    r = services.training_start(actor=staff["teller_a1"].user, questionnaire_id=q.pk)
    services.training_submit(actor=staff["teller_a1"].user, response_id=r.pk, answers=answers(q))
    first = q.questions.get(order=1)
    services.question_save(
        actor=staff["admin"].user,
        questionnaire_id=q.pk,
        question_id=first.pk,
        data={
            "kind": "single",
            "text_zh": "谁发工资？",
            "text_en": "Who pays you?",
            "options_text": "* 客户 | The customers\n银行 | The bank",
        },
    )
    q.refresh_from_db()
    assert q.version == 2
    with pytest.raises(ValidationFailed) as exc:
        services.question_delete(actor=staff["admin"].user, question_id=first.pk)
    assert "question_1" in exc.value.errors


def test_assignments_go_to_units_and_staff_the_manager_manages(bank):
    units, staff = bank
    q = questionnaire()
    due = timezone.localdate() + datetime.timedelta(days=7)
    a = services.assignment_create(
        actor=staff["bm_a"].user, questionnaire_id=q.pk, unit_id=units["a"].pk, due_date=due
    )
    assert (a.unit, a.due_date, a.assigned_by) == (units["a"], due, staff["bm_a"])
    later = due + datetime.timedelta(days=3)
    again = services.assignment_create(
        actor=staff["bm_a"].user,
        questionnaire_id=q.pk,
        unit_id=units["a"].pk,
        due_date=later.isoformat(),
    )
    assert again.pk == a.pk
    assert again.due_date == later
    with pytest.raises(ValidationFailed) as exc:
        services.assignment_create(
            actor=staff["bm_a"].user, questionnaire_id=q.pk, unit_id=units["b"].pk, due_date=due
        )
    assert exc.value.errors == {"unit_id": ["Choose a unit you manage."]}
    with pytest.raises(ValidationFailed) as exc:
        services.assignment_create(
            actor=staff["bm_a"].user,
            questionnaire_id=q.pk,
            staff_id=staff["teller_a1"].pk,
            due_date="2001-01-01",
        )
    assert exc.value.errors == {"due_date": ["Choose a date from today on."]}
    with pytest.raises(ValidationFailed) as exc:
        services.assignment_create(
            actor=staff["bm_a"].user,
            questionnaire_id=questionnaire(purpose="hiring").pk,
            staff_id=staff["teller_a1"].pk,
            due_date=due,
        )
    assert "questionnaire" in exc.value.errors
    assert Assignment.objects.count() == 1
