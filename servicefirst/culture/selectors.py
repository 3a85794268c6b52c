"""Reads for the culture pages: who may manage what, the questionnaires, a member of staff's
training and commitments to confirm, results (candidates masked), and the completion report.

Scope of `culture.manage`: UNIT = the actor's own unit (its staff, its candidates, its own
questionnaires); ALL = every unit of the bank. Bank-wide questionnaires are edited only with
ALL, but every manager can assign them and invite candidates to them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.accounts.selectors import unit_chain, unit_parents
from servicefirst.commitments.models import CommitmentVersion
from servicefirst.core.errors import NotFound, PermissionDenied
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.culture.models import (
    Assignment,
    CommitmentConfirmation,
    Question,
    Questionnaire,
    Response,
)
from servicefirst.customers.fields import mask_email, mask_name

CANDIDATE_VIEW = AuditEvent.Action.CANDIDATE_VIEW  # a candidate's personal data shown


# --- who may do what ---------------------------------------------------------------------------


def manage_scope(actor) -> Scope:
    return scope_for(actor, Action.CULTURE_MANAGE)


def can_manage(actor) -> bool:
    return manage_scope(actor) > Scope.NONE


def require_manage(actor) -> Staff:
    staff = staff_of(actor)
    if staff is None or not can_manage(actor):
        raise PermissionDenied("You may not manage questionnaires and training.")
    return staff


def manages_unit(actor, unit_id: int | None) -> bool:
    scope = manage_scope(actor)
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE or unit_id is None:
        return False
    staff = staff_of(actor)
    return staff is not None and staff.unit_id == unit_id


def can_edit_questionnaire(actor, questionnaire: Questionnaire) -> bool:
    if questionnaire.unit_id is None:
        return manage_scope(actor) == Scope.ALL
    return manages_unit(actor, questionnaire.unit_id)


def managed_units(actor) -> list[Unit]:
    """The units whose culture the actor manages, ordered by code."""
    staff = staff_of(actor)
    scope = manage_scope(actor)
    if staff is None or scope == Scope.NONE:
        return []
    if scope == Scope.ALL:
        return list(Unit.objects.filter(bank_id=staff.unit.bank_id).order_by("code"))
    return [staff.unit]


# --- questionnaires ----------------------------------------------------------------------------


def questionnaires_visible(actor, *, purpose: str | None = None):
    """Bank-wide questionnaires and those of the units the actor manages."""
    require_manage(actor)
    qs = Questionnaire.objects.annotate(question_count=Count("questions"))
    if manage_scope(actor) != Scope.ALL:
        qs = qs.filter(Q(unit__isnull=True) | Q(unit_id=staff_of(actor).unit_id))
    if purpose:
        qs = qs.filter(purpose=purpose)
    return list(qs.order_by("purpose", "code"))


def questionnaire_get(actor, questionnaire_id: int) -> Questionnaire:
    require_manage(actor)
    q = Questionnaire.objects.filter(pk=questionnaire_id).select_related("unit").first()
    if q is None or (q.unit_id is not None and not manages_unit(actor, q.unit_id)):
        raise NotFound("No such questionnaire.")
    return q


def questions_of(questionnaire_id: int) -> list[Question]:
    return list(Question.objects.filter(questionnaire_id=questionnaire_id).order_by("order"))


# --- a member of staff's training ------------------------------------------------------------


@dataclass
class TrainingItem:
    questionnaire: Questionnaire
    due_date: object = None  # date, or None when not assigned
    assigned: bool = False
    open_response: Response | None = None
    best_score: Decimal | None = None
    passed: bool = False
    completed: bool = False
    last_response: Response | None = None

    @property
    def overdue(self) -> bool:
        return bool(
            self.assigned
            and not self.completed
            and self.due_date
            and self.due_date < timezone.localdate()
        )


def assigned_due(staff: Staff, parents: dict[int, int | None]) -> dict[int, object]:
    """questionnaire id → earliest due date of the active training assigned to this staff
    member (directly, or to their unit or a unit above it)."""
    chain = unit_chain(staff.unit_id, parents)
    due: dict[int, object] = {}
    for qid, day in Assignment.objects.filter(
        Q(staff=staff) | Q(unit_id__in=chain),
        questionnaire__is_active=True,
        questionnaire__purpose=Questionnaire.Purpose.TRAINING,
    ).values_list("questionnaire_id", "due_date"):
        if qid not in due or day < due[qid]:
            due[qid] = day
    return due


def my_training(actor) -> list[TrainingItem]:
    """The training questionnaires assigned to the actor (soonest due first), then the other
    active training questionnaires they may take of their own accord."""
    staff = staff_of(actor)
    if staff is None:
        raise PermissionDenied("Only staff take training.")
    due = assigned_due(staff, unit_parents(staff.unit.bank_id))
    active = Questionnaire.objects.filter(
        is_active=True, purpose=Questionnaire.Purpose.TRAINING
    ).filter(Q(unit__isnull=True) | Q(unit_id=staff.unit_id) | Q(pk__in=list(due)))
    items = {q.pk: TrainingItem(q, due.get(q.pk), q.pk in due) for q in active}
    for r in Response.objects.filter(staff=staff, questionnaire_id__in=list(items)).order_by(
        "created_at", "id"
    ):
        item = items[r.questionnaire_id]
        if r.submitted_at is None:
            item.open_response = r
            continue
        item.completed = True
        item.last_response = r
        item.passed = item.passed or bool(r.passed)
        if r.score is not None and (item.best_score is None or r.score > item.best_score):
            item.best_score = r.score
    return sorted(
        items.values(),
        key=lambda i: (not i.assigned, i.completed, str(i.due_date or ""), i.questionnaire.code),
    )


def response_get_own(actor, response_id: int) -> Response:
    """A response the actor gave themselves (for the take and result pages)."""
    staff = staff_of(actor)
    r = (
        Response.objects.filter(pk=response_id, staff__isnull=False)
        .select_related("questionnaire")
        .first()
    )
    if r is None or staff is None or r.staff_id != staff.pk:
        raise NotFound("No such response.")
    return r


def answers_by_question(response: Response) -> dict[int, object]:
    return {a.question_id: a for a in response.answers.all()}


# --- candidates --------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkExpired(NotFound):
    """The candidate's link is past its expiry time."""


class LinkUsed(NotFound):
    """The candidate has already submitted through this link."""


def candidate_response_by_token(token: str) -> Response:
    """The candidate's sitting for a one-time link; NotFound when unknown, LinkUsed once
    submitted, LinkExpired past its expiry."""
    r = (
        Response.objects.filter(token_hash=token_hash(token or ""), staff__isnull=True)
        .select_related("questionnaire")
        .first()
    )
    if r is None:
        raise NotFound("This link is not valid.")
    if r.submitted_at is not None:
        raise LinkUsed("This link has already been used.")
    if r.expires_at is not None and r.expires_at <= timezone.now():
        raise LinkExpired("This link has expired.")
    return r


def mask_contact(contact: str) -> str:
    if not contact:
        return ""
    if "@" in contact:
        return mask_email(contact)
    digits = "".join(c for c in contact if c.isdigit())
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****"


def candidate_masked(r: Response) -> dict:
    return {
        "name": mask_name(r.candidate_name),
        "contact": mask_contact(r.candidate_contact),
        "position": r.candidate_position,
        "masked": True,
    }


def responses_for_manager(actor, *, purpose: str, unit_id: int | None = None) -> list[Response]:
    """Submitted and open responses in the units the actor manages; candidates' personal data
    is attached masked (`r.candidate`)."""
    require_manage(actor)
    qs = Response.objects.filter(questionnaire__purpose=purpose).select_related(
        "questionnaire", "staff", "unit"
    )
    if manage_scope(actor) != Scope.ALL:
        qs = qs.filter(unit_id=staff_of(actor).unit_id)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if purpose == Questionnaire.Purpose.TRAINING:
        qs = qs.filter(submitted_at__isnull=False)
    rows = list(qs.order_by("-submitted_at", "-created_at")[:500])
    for r in rows:
        r.candidate = candidate_masked(r) if r.is_candidate else None
    return rows


def response_get_for_manager(actor, response_id: int, *, reveal: bool = False) -> Response:
    """One response with its answers, for a manager of its unit. With `reveal`, a candidate's
    name, contact and position are attached unmasked and the look is audit-logged."""
    require_manage(actor)
    r = (
        Response.objects.filter(pk=response_id)
        .select_related("questionnaire", "staff", "unit", "invited_by")
        .first()
    )
    if r is None or not manages_unit(actor, r.unit_id):
        raise NotFound("No such response.")
    if r.is_candidate:
        if reveal:
            r.candidate = {
                "name": r.candidate_name,
                "contact": r.candidate_contact,
                "position": r.candidate_position,
                "masked": False,
            }
            audit_record(
                actor=actor,
                action=CANDIDATE_VIEW,
                object_type="candidate",
                object_id=r.pk,
                detail={"view": "candidate response", "unit": r.unit_id},
            )
        else:
            r.candidate = candidate_masked(r)
    else:
        r.candidate = None
    return r


# --- commitments to confirm --------------------------------------------------------------------


def _published_versions():
    return CommitmentVersion.objects.filter(status=CommitmentVersion.Status.PUBLISHED)


def versions_for_unit(unit_id: int, parents: dict[int, int | None]) -> list[int]:
    """Ids of the published versions a unit's staff must know and keep: those owned by the unit
    or a unit above it (head-office commitments bind every branch), and those made to it."""
    chain = unit_chain(unit_id, parents)
    return list(
        _published_versions()
        .filter(Q(commitment__owner_id__in=chain) | Q(commitment__beneficiary_unit_id=unit_id))
        .values_list("pk", flat=True)
    )


@dataclass
class CommitmentToConfirm:
    version: CommitmentVersion
    received: bool  # made to the unit by another unit, rather than kept by it
    confirmed_at: object = None


def my_commitments(actor) -> list[CommitmentToConfirm]:
    """The published commitments binding the actor's unit, not yet confirmed first."""
    staff = staff_of(actor)
    if staff is None:
        raise PermissionDenied("Only staff confirm commitments.")
    parents = unit_parents(staff.unit.bank_id)
    chain = unit_chain(staff.unit_id, parents)
    versions = (
        _published_versions()
        .filter(
            Q(commitment__owner_id__in=chain) | Q(commitment__beneficiary_unit_id=staff.unit_id)
        )
        .select_related("commitment", "commitment__owner", "calendar")
        .order_by("commitment__area", "commitment__code")
    )
    confirmed = dict(
        CommitmentConfirmation.objects.filter(staff=staff).values_list("version_id", "confirmed_at")
    )
    items = [
        CommitmentToConfirm(
            version=v,
            received=v.commitment.owner_id not in chain,
            confirmed_at=confirmed.get(v.pk),
        )
        for v in versions
    ]
    return sorted(items, key=lambda i: i.confirmed_at is not None)


# --- the completion report ---------------------------------------------------------------------


@dataclass
class StaffProgress:
    staff_id: int
    name: str
    employee_number: str
    unit_id: int
    assigned: int = 0
    completed: int = 0
    passed: int = 0
    overdue: int = 0
    scores: list = field(default_factory=list)
    confirmed: int = 0
    required: int = 0

    @property
    def average_score(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 1) if self.scores else None


@dataclass
class UnitProgress:
    unit: Unit
    staff: list[StaffProgress] = field(default_factory=list)
    versions: int = 0  # published commitment versions binding the unit
    candidates: int = 0
    candidates_submitted: int = 0
    candidates_passed: int = 0
    candidate_scores: list = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.staff)

    @property
    def staff_count(self) -> int:
        return len(self.staff)

    @property
    def assigned(self) -> int:
        return self._sum("assigned")

    @property
    def completed(self) -> int:
        return self._sum("completed")

    @property
    def passed(self) -> int:
        return self._sum("passed")

    @property
    def overdue(self) -> int:
        return self._sum("overdue")

    @property
    def confirmed(self) -> int:
        return self._sum("confirmed")

    @property
    def required(self) -> int:
        return self._sum("required")

    @property
    def average_score(self) -> float | None:
        scores = [x for s in self.staff for x in s.scores]
        return round(sum(scores) / len(scores), 1) if scores else None

    @property
    def completed_percent(self) -> int:
        return _percent(self.completed, self.assigned)

    @property
    def passed_percent(self) -> int:
        return _percent(self.passed, self.assigned)

    @property
    def confirmed_percent(self) -> int:
        return _percent(self.confirmed, self.required)

    @property
    def candidate_average(self) -> float | None:
        s = self.candidate_scores
        return round(sum(s) / len(s), 1) if s else None

    @property
    def candidate_pass_percent(self) -> int:
        return _percent(self.candidates_passed, self.candidates_submitted)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def completion_report(actor, *, unit_id: int | None = None) -> list[UnitProgress]:
    """Per unit the actor manages (or only `unit_id`): its staff and, for each, the active
    training questionnaires assigned / completed / passed / overdue and their best scores,
    and the published commitment versions confirmed out of those binding the unit; plus the
    unit's candidates. Units with no staff and no candidates are left out."""
    require_manage(actor)
    units = managed_units(actor)
    if unit_id is not None:
        units = [u for u in units if u.pk == unit_id]
        if not units:
            raise NotFound("No such unit.")
    if not units:
        return []
    parents = unit_parents(units[0].bank_id)
    by_unit = {u.pk: UnitProgress(unit=u) for u in units}
    staff_rows = list(
        Staff.objects.filter(unit_id__in=list(by_unit), user__is_active=True)
        .order_by("unit__code", "name")
        .values_list("pk", "name", "employee_number", "unit_id")
    )
    people = {pk: StaffProgress(pk, name, number, uid) for pk, name, number, uid in staff_rows}
    for p in people.values():
        by_unit[p.unit_id].staff.append(p)

    # Training: (staff, questionnaire) pairs assigned, with the earliest due date.
    chains = {uid: unit_chain(uid, parents) for uid in by_unit}
    unit_assignments: dict[int, list[tuple[int, object]]] = {}
    staff_assignments: dict[int, list[tuple[int, object]]] = {}
    for qid, sid, uid, day in Assignment.objects.filter(
        questionnaire__is_active=True, questionnaire__purpose=Questionnaire.Purpose.TRAINING
    ).values_list("questionnaire_id", "staff_id", "unit_id", "due_date"):
        if sid is not None:
            staff_assignments.setdefault(sid, []).append((qid, day))
        else:
            unit_assignments.setdefault(uid, []).append((qid, day))
    pairs: dict[tuple[int, int], object] = {}
    for p in people.values():
        mine = list(staff_assignments.get(p.staff_id, []))
        for uid in chains[p.unit_id]:
            mine.extend(unit_assignments.get(uid, []))
        for qid, day in mine:
            key = (p.staff_id, qid)
            if key not in pairs or day < pairs[key]:
                pairs[key] = day
    results = {
        (row["staff_id"], row["questionnaire_id"]): row
        for row in Response.objects.filter(
            staff_id__in=list(people),
            questionnaire_id__in={q for _s, q in pairs},
            submitted_at__isnull=False,
        )
        .values("staff_id", "questionnaire_id")
        .annotate(best=Max("score"), passes=Count("pk", filter=Q(passed=True)))
    }
    today = timezone.localdate()
    for (sid, qid), day in pairs.items():
        p = people[sid]
        p.assigned += 1
        row = results.get((sid, qid))
        if row is None:
            if day < today:
                p.overdue += 1
            continue
        p.completed += 1
        if row["passes"]:
            p.passed += 1
        if row["best"] is not None:
            p.scores.append(float(row["best"]))

    # Commitments: each member of staff × the versions binding their unit.
    required = {uid: set(versions_for_unit(uid, parents)) for uid in by_unit}
    every_version = set().union(*required.values()) if required else set()
    confirmed: dict[int, set[int]] = {}
    for sid, vid in CommitmentConfirmation.objects.filter(
        staff_id__in=list(people), version_id__in=every_version
    ).values_list("staff_id", "version_id"):
        confirmed.setdefault(sid, set()).add(vid)
    for uid, progress in by_unit.items():
        progress.versions = len(required[uid])
        for p in progress.staff:
            p.required = len(required[uid])
            p.confirmed = len(confirmed.get(p.staff_id, set()) & required[uid])

    # Hiring: the candidates each unit invited.
    for uid, submitted, passed, score in Response.objects.filter(
        staff__isnull=True, unit_id__in=list(by_unit)
    ).values_list("unit_id", "submitted_at", "passed", "score"):
        u = by_unit[uid]
        u.candidates += 1
        if submitted is not None:
            u.candidates_submitted += 1
            u.candidates_passed += bool(passed)
            if score is not None:
                u.candidate_scores.append(float(score))

    return [u for u in by_unit.values() if u.staff or u.candidates]


def report_totals(rows: list[UnitProgress]) -> dict:
    keys = ("staff_count", "assigned", "completed", "passed", "overdue", "confirmed", "required")
    totals = {k: sum(getattr(r, k) for r in rows) for k in keys}
    totals["candidates"] = sum(r.candidates for r in rows)
    totals["candidates_submitted"] = sum(r.candidates_submitted for r in rows)
    totals["candidates_passed"] = sum(r.candidates_passed for r in rows)
    totals["completed_percent"] = _percent(totals["completed"], totals["assigned"])
    totals["confirmed_percent"] = _percent(totals["confirmed"], totals["required"])
    totals["candidate_pass_percent"] = _percent(
        totals["candidates_passed"], totals["candidates_submitted"]
    )
    return totals
