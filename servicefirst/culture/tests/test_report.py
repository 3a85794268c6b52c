"""The completion report on a small hand-made bank, to the exact figure; its scope; and its
CSV export (audit-logged, as personal data when it lists candidates)."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from servicefirst.core.errors import NotFound, PermissionDenied
from servicefirst.core.models import AuditEvent
from servicefirst.culture import selectors, services
from servicefirst.culture.models import Assignment, CommitmentConfirmation
from servicefirst.culture.tests.helpers import answers, commitment, org, people, questionnaire

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _take(staff, q, **kw):
    r = services.training_start(actor=staff.user, questionnaire_id=q.pk)
    return services.training_submit(actor=staff.user, response_id=r.pk, answers=answers(q, **kw))


@pytest.fixture
def bank():
    # given: branch A (manager + two tellers), branch B (manager + teller), head office (two)
    units = org()
    staff = people(units)
    q1, q2 = questionnaire(code="t-q1"), questionnaire(code="t-q2")
    retired_q = questionnaire(code="t-q3")
    retired_q.is_active = False
    retired_q.save()
    Assignment.objects.create(
        questionnaire=q1, unit=units["a"], due_date=TODAY + datetime.timedelta(days=1)
    )
    Assignment.objects.create(
        questionnaire=q2, staff=staff["teller_b"], due_date=TODAY - datetime.timedelta(days=1)
    )
    Assignment.objects.create(questionnaire=retired_q, unit=units["a"], due_date=TODAY)
    _take(staff["teller_a1"], q1)  # 100%
    _take(staff["teller_a2"], q1, single="a", multiple=("a",), scale="4")  # 20%
    _take(staff["teller_b"], q1)  # not assigned to them: does not count
    # commitments: the head office's binds everyone, A's own, and one operations makes to A
    hq_v = commitment(units["hq"]).versions.get()
    a_v = commitment(units["a"]).versions.get()
    received_v = commitment(units["ops"], beneficiary_unit=units["a"]).versions.get()
    old_v = commitment(units["a"], status="retired").versions.get()
    for who, versions in (
        ("teller_a1", [hq_v, a_v, received_v, old_v]),
        ("teller_a2", [hq_v]),
        ("teller_b", [hq_v]),
    ):
        for v in versions:
            CommitmentConfirmation.objects.create(staff=staff[who], version=v)
    # candidates: A invites two (one answers and passes), the bank invites one for B who fails
    hiring = questionnaire(purpose="hiring", code="t-hire", pass_percent=70)
    _r, token = services.candidate_invite(
        actor=staff["bm_a"].user,
        questionnaire_id=hiring.pk,
        name="刘晓雯",
        contact="13911112222",
        position="Teller",
    )
    services.candidate_submit(token=token, answers=answers(hiring))
    services.candidate_invite(
        actor=staff["bm_a"].user,
        questionnaire_id=hiring.pk,
        name="孙浩",
        contact="sun@example.cn",
        position="Teller",
    )
    _r, token = services.candidate_invite(
        actor=staff["admin"].user,
        questionnaire_id=hiring.pk,
        name="周婷",
        contact="13622223333",
        position="Teller",
        unit_id=units["b"].pk,
    )
    services.candidate_submit(
        token=token, answers=answers(hiring, single="a", multiple=("a",), scale="4")
    )
    return units, staff


def _figures(u):
    return {
        "staff": u.staff_count,
        "assigned": u.assigned,
        "completed": u.completed,
        "passed": u.passed,
        "average": u.average_score,
        "overdue": u.overdue,
        "confirmed": u.confirmed,
        "required": u.required,
        "candidates": (u.candidates, u.candidates_submitted, u.candidates_passed),
    }


def test_the_bank_wide_report_per_unit(bank):
    # when
    rows = selectors.completion_report(bank[1]["admin"].user)
    # then
    by_code = {u.unit.code: _figures(u) for u in rows}
    assert set(by_code) == {"t-hq", "t-a", "t-b"}  # operations has no staff and no candidates
    assert by_code["t-a"] == {
        "staff": 3,
        "assigned": 3,
        "completed": 2,
        "passed": 1,
        "average": 60.0,
        "overdue": 0,
        "confirmed": 4,
        "required": 9,
        "candidates": (2, 1, 1),
    }
    assert by_code["t-b"] == {
        "staff": 2,
        "assigned": 1,
        "completed": 0,
        "passed": 0,
        "average": None,
        "overdue": 1,
        "confirmed": 1,
        "required": 2,
        "candidates": (1, 1, 0),
    }
    assert by_code["t-hq"]["confirmed"] == 0
    assert by_code["t-hq"]["required"] == 2
    a = next(u for u in rows if u.unit.code == "t-a")
    assert (a.completed_percent, a.confirmed_percent, a.candidate_pass_percent) == (67, 44, 100)
    totals = selectors.report_totals(rows)
    assert (totals["assigned"], totals["completed"], totals["confirmed"], totals["required"]) == (
        4,
        2,
        5,
        13,
    )


def test_the_drill_down_to_staff(bank):
    units, staff = bank
    (a,) = selectors.completion_report(staff["admin"].user, unit_id=units["a"].pk)
    rows = {
        s.name: (s.assigned, s.completed, s.passed, s.average_score, s.confirmed, s.required)
        for s in a.staff
    }
    assert rows == {
        "Manager A": (1, 0, 0, None, 0, 3),
        "Teller A1": (1, 1, 1, 100.0, 3, 3),
        "Teller A2": (1, 1, 0, 20.0, 1, 3),
    }


def test_a_branch_manager_sees_their_own_branch_only(bank):
    units, staff = bank
    rows = selectors.completion_report(staff["bm_a"].user)
    assert [u.unit.code for u in rows] == ["t-a"]
    with pytest.raises(NotFound):
        selectors.completion_report(staff["bm_a"].user, unit_id=units["b"].pk)
    for who in ("teller_a1", "auditor"):
        with pytest.raises(PermissionDenied):
            selectors.completion_report(staff[who].user)


def test_the_csv_export_and_its_audit(bank):
    _units, staff = bank
    plain = services.report_csv(actor=staff["bm_a"].user)
    lines = list(csv.reader(io.StringIO(plain)))
    assert lines[1][:10] == ["t-a", "Branch A", "3", "3", "2", "1", "60.0", "0", "4", "9"]
    assert "Teller A1" in plain
    assert "刘晓雯" not in plain
    event = AuditEvent.objects.filter(object_type="culture_report").latest("id")
    assert event.detail["personal_data"] is False
    with_candidates = services.report_csv(actor=staff["bm_a"].user, include_candidates=True)
    assert "刘晓雯" in with_candidates
    assert "13911112222" in with_candidates
    assert "周婷" not in with_candidates  # branch B's candidate
    event = AuditEvent.objects.filter(object_type="culture_report").latest("id")
    assert (event.action, event.detail["personal_data"], event.detail["candidates"]) == (
        AuditEvent.Action.EXPORT,
        True,
        2,
    )
