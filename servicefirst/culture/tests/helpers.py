"""Test data for the culture tests: a small bank (head office with two branches and a
second-line unit), staff with the roles that matter, published commitments, and a short
questionnaire whose scores are easy to reckon."""

from decimal import Decimal

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion
from servicefirst.culture.models import Question, Questionnaire

_codes = iter(range(1, 10**6))


def org():
    bank = BankFactory()
    hq = UnitFactory(
        bank=bank, code="t-hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND, name_en="HQ"
    )
    a = UnitFactory(bank=bank, code="t-a", parent=hq, name_en="Branch A", name_zh="甲支行")
    b = UnitFactory(bank=bank, code="t-b", parent=hq, name_en="Branch B", name_zh="乙支行")
    ops = UnitFactory(
        bank=bank,
        code="t-ops",
        parent=hq,
        kind=Unit.Kind.OPERATIONS,
        line=Unit.Line.SECOND,
        name_en="Operations",
    )
    return {"bank": bank, "hq": hq, "a": a, "b": b, "ops": ops}


def people(units):
    return {
        "bm_a": make_staff(Role.BRANCH_MANAGER, unit=units["a"], name="Manager A"),
        "teller_a1": make_staff(Role.TELLER, unit=units["a"], name="Teller A1"),
        "teller_a2": make_staff(Role.TELLER, unit=units["a"], name="Teller A2"),
        "bm_b": make_staff(Role.BRANCH_MANAGER, unit=units["b"], name="Manager B"),
        "teller_b": make_staff(Role.TELLER, unit=units["b"], name="Teller B"),
        "admin": make_staff(Role.ADMINISTRATOR, unit=units["hq"], name="Admin"),
        "auditor": make_staff(Role.COMPLIANCE_AUDITOR, unit=units["hq"], name="Auditor"),
    }


def calendar():
    return BusinessCalendar.objects.get_or_create(
        code="t-24x7", defaults={"name_zh": "全天", "name_en": "24/7", "always_open": True}
    )[0]


def commitment(owner, *, status="published", number=1, beneficiary_unit=None, code=None):
    """A commitment owned by `owner` with one version in `status`."""
    c = Commitment.objects.create(
        code=code or f"t-c{next(_codes)}",
        area=Commitment.Area.COUNTERS,
        owner=owner,
        beneficiary="unit" if beneficiary_unit else "customers",
        beneficiary_unit=beneficiary_unit,
    )
    version(c, status=status, number=number)
    return c


def version(c, *, status="published", number=None):
    number = number or (c.versions.count() + 1)
    return CommitmentVersion.objects.create(
        commitment=c,
        number=number,
        status=status,
        statement_zh=f"承诺 {c.code} 第{number}版",
        statement_en=f"Promise {c.code} v{number}",
        measure="duration",
        start_event="ticket.issued",
        stop_event="ticket.called",
        target_value=Decimal(15),
        target_unit="minutes",
        calendar=calendar(),
    )


def opt(key, correct=False, points=None):
    return {
        "key": key,
        "zh": f"选项{key}",
        "en": f"Option {key}",
        "correct": correct,
        "points": points if points is not None else (1 if correct else 0),
    }


def questionnaire(*, purpose="training", pass_percent=60, code=None, unit=None):
    """Four questions, 5 points in all: single (1, right = b), multiple (2: a and c), scale
    (2 for 5, 1 for 4), free text (not scored)."""
    q = Questionnaire.objects.create(
        code=code or f"t-q{next(_codes)}",
        title_zh="测试问卷",
        title_en="Test questionnaire",
        purpose=purpose,
        pass_percent=pass_percent,
        unit=unit,
    )
    Question.objects.create(
        questionnaire=q,
        order=1,
        kind="single",
        text_zh="谁在给你发工资？",
        text_en="Who pays your salary?",
        options=[opt("a"), opt("b", True), opt("c")],
        explanation_en="The customers.",
    )
    Question.objects.create(
        questionnaire=q,
        order=2,
        kind="multiple",
        text_zh="多选",
        text_en="Several",
        options=[opt("a", True), opt("b"), opt("c", True)],
    )
    Question.objects.create(
        questionnaire=q,
        order=3,
        kind="scale",
        text_zh="量表",
        text_en="Scale",
        options=[opt("1"), opt("2"), opt("3"), opt("4", True, 1), opt("5", True, 2)],
    )
    Question.objects.create(
        questionnaire=q, order=4, kind="text", text_zh="说说", text_en="Tell us", required=False
    )
    return q


def answers(q, *, single="b", multiple=("a", "c"), scale="5", text=""):
    qs = {x.order: x.pk for x in q.questions.all()}
    return {qs[1]: [single], qs[2]: list(multiple), qs[3]: [scale], qs[4]: text}
