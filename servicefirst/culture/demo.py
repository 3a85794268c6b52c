"""Customer-first culture for the demo bank: the built-in questionnaires; the training
questionnaire set for every branch and the Customer Care Center (one branch's due date already
past, so the report shows overdue staff); about three staff in four have answered it, mostly
well; a few job candidates invited, most of whom answered; and, when published commitments
exist, most staff have confirmed those binding their unit.

Idempotent: what exists is left alone. Run after the commitments demo."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from servicefirst.accounts.models import Role, Staff, Unit
from servicefirst.accounts.selectors import unit_parents
from servicefirst.culture import selectors, services
from servicefirst.culture.defaults import HIRING_CODE, TRAINING_CODE, ensure_builtin_questionnaires
from servicefirst.culture.models import (
    Assignment,
    CommitmentConfirmation,
    Questionnaire,
    Response,
)

SEED = 2026
COMPLETED_SHARE = 0.75
RIGHT_ANSWER_SHARE = 0.85
OVERDUE_UNIT = "gz-th"
MANAGER_ROLES = (Role.BRANCH_MANAGER, Role.CC_SUPERVISOR)

# (unit code, name, contact, position, answers well, answered)
CANDIDATES = (
    ("bj-cy", "刘晓雯", "13911112222", "柜员 Teller", True, True),
    ("bj-cy", "孙浩", "sun.hao@example.cn", "大堂经理 Lobby manager", False, True),
    ("sh-pd", "周婷婷", "13622223333", "客户经理 Relationship manager", True, True),
    ("gz-th", "黎家豪", "13733334444", "柜员 Teller", True, False),
    ("ccc", "韩雪", "han.xue@example.cn", "客服专员 Care agent", True, True),
)


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def _answers(questions, rng: random.Random, good: bool) -> dict[int, object]:
    right_share = RIGHT_ANSWER_SHARE if good else 0.45
    answers: dict[int, object] = {}
    for q in questions:
        if q.kind == "text":
            answers[q.pk] = "我曾经在下班后帮一位老人把存折的问题弄清楚再离开。" if good else ""
            continue
        correct = [o["key"] for o in q.options if o.get("correct")]
        wrong = [o["key"] for o in q.options if not o.get("correct")]
        right = rng.random() < right_share
        if q.kind == "multiple":
            answers[q.pk] = correct if right else correct[:1] + wrong[:1]
        else:
            answers[q.pk] = [rng.choice(correct if right or not wrong else wrong)]
    return answers


def _manager_of(unit: Unit) -> Staff | None:
    return (
        Staff.objects.filter(unit=unit, roles__role__in=MANAGER_ROLES, user__is_active=True)
        .select_related("user", "unit")
        .order_by("employee_number")
        .first()
    )


def demo_culture(progress=None) -> dict[str, int]:
    progress = progress or _noop
    stage = "Customer-first culture"
    progress(stage, 0, None)
    rng = random.Random(SEED)
    counts = {"questionnaires": len(ensure_builtin_questionnaires())}
    hiring = Questionnaire.objects.get(code=HIRING_CODE)
    training = Questionnaire.objects.get(code=TRAINING_CODE)
    today = timezone.localdate()
    units = list(
        Unit.objects.filter(kind__in=(Unit.Kind.BRANCH, Unit.Kind.CARE_CENTER)).order_by("code")
    )

    # Training set for every branch and the Customer Care Center.
    assignments = 0
    for unit in units:
        manager = _manager_of(unit)
        due = today + datetime.timedelta(days=-3 if unit.code == OVERDUE_UNIT else 14)
        _a, created = Assignment.objects.get_or_create(
            questionnaire=training,
            unit=unit,
            defaults={"due_date": due, "assigned_by": manager},
        )
        assignments += created
    counts["training_assignments"] = assignments

    # About three in four staff have answered it.
    questions = selectors.questions_of(training.pk)
    people = list(
        Staff.objects.filter(unit__in=units, user__is_active=True)
        .select_related("user", "unit")
        .order_by("employee_number")
    )
    answered_before = set(
        Response.objects.filter(questionnaire=training, staff__in=people).values_list(
            "staff_id", flat=True
        )
    )
    completed = 0
    for i, staff in enumerate(people):
        progress(stage, i, len(people))
        person_rng = random.Random(f"{SEED}-{staff.employee_number}")
        if staff.pk in answered_before or person_rng.random() >= COMPLETED_SHARE:
            continue
        with transaction.atomic():
            r = services.training_start(actor=staff.user, questionnaire_id=training.pk)
            r = services.training_submit(
                actor=staff.user,
                response_id=r.pk,
                answers=_answers(questions, person_rng, good=person_rng.random() < 0.8),
            )
            when = timezone.now() - datetime.timedelta(
                days=person_rng.randint(1, 10), minutes=person_rng.randint(0, 600)
            )
            Response.objects.filter(pk=r.pk).update(
                started_at=when - datetime.timedelta(minutes=person_rng.randint(4, 15)),
                submitted_at=when,
                created_at=when - datetime.timedelta(minutes=15),
            )
        completed += 1
    counts["training_completed"] = completed

    # A few candidates.
    hiring_questions = selectors.questions_of(hiring.pk)
    by_code = {u.code: u for u in units}
    invited = 0
    for code, name, contact, position, good, answered in CANDIDATES:
        unit = by_code.get(code)
        manager = _manager_of(unit) if unit else None
        if (
            manager is None
            or Response.objects.filter(staff__isnull=True, candidate_name=name, unit=unit).exists()
        ):
            continue
        with transaction.atomic():
            _r, token = services.candidate_invite(
                actor=manager.user,
                questionnaire_id=hiring.pk,
                name=name,
                contact=contact,
                position=position,
                valid_days=14,
                unit_id=unit.pk,
            )
            if answered:
                services.candidate_open(token=token)
                services.candidate_submit(
                    token=token, answers=_answers(hiring_questions, rng, good=good)
                )
        invited += 1
    counts["candidates"] = invited

    # Confirmations of the published commitments binding each unit (when there are any).
    confirmations = []
    parents: dict[int, int | None] = {}
    binding: dict[int, list[int]] = {}
    for staff in Staff.objects.filter(user__is_active=True).select_related("unit"):
        if not parents:
            parents = unit_parents(staff.unit.bank_id)
        if staff.unit_id not in binding:
            binding[staff.unit_id] = sorted(selectors.versions_for_unit(staff.unit_id, parents))
        versions = binding[staff.unit_id]
        if not versions:
            continue
        person_rng = random.Random(f"{SEED}-confirm-{staff.employee_number}")
        share = person_rng.choice((1.0, 1.0, 1.0, 0.5, 0.0))
        for vid in versions[: round(len(versions) * share)]:
            confirmations.append(
                CommitmentConfirmation(
                    staff=staff,
                    version_id=vid,
                    confirmed_at=timezone.now()
                    - datetime.timedelta(
                        days=person_rng.randint(0, 6), hours=person_rng.randint(0, 8)
                    ),
                )
            )
    before = CommitmentConfirmation.objects.count()
    CommitmentConfirmation.objects.bulk_create(
        confirmations, batch_size=2000, ignore_conflicts=True
    )
    counts["commitment_confirmations"] = CommitmentConfirmation.objects.count() - before
    progress(stage, len(people), len(people))
    return counts
