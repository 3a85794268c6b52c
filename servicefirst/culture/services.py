"""Writes for the culture module: questionnaires and their questions, training assignments,
candidate invitations through one-time links, answering and scoring, confirming commitments,
and the completion report's CSV export. Every function is atomic and raises ValidationFailed
naming the field ("question 3: choose one answer") with nothing changed."""

from __future__ import annotations

import datetime
import io
import re
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Scope, staff_of
from servicefirst.accounts.selectors import unit_parents
from servicefirst.commitments.models import CommitmentVersion
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.exports import safe_csv_writer
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.culture import selectors
from servicefirst.culture.models import (
    Answer,
    Assignment,
    CommitmentConfirmation,
    Question,
    Questionnaire,
    Response,
)

CANDIDATE_INVITE = AuditEvent.Action.CANDIDATE_INVITE
LINK_DAYS_DEFAULT = 7
LINK_DAYS_MAX = 60

# --- questionnaires ----------------------------------------------------------------------------

_SLUG = re.compile(r"^[-a-z0-9_]+$")


def _text(data: dict, name: str, *, max_length: int, required: bool, errors: dict) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(value) > max_length:
        errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": max_length})
    return value


def _int(data: dict, name: str, *, low: int, high: int, errors: dict, default=None) -> int:
    raw = data.get(name)
    if (raw is None or raw == "") and default is not None:
        return default
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        errors.setdefault(name, []).append(_("Enter a whole number."))
        return 0
    if not low <= value <= high:
        errors.setdefault(name, []).append(
            _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return value


def _flag(value) -> bool:
    return value in (True, "1", "on", "true", "True", "yes")


@transaction.atomic
def questionnaire_save(*, actor, data: dict, questionnaire_id: int | None = None) -> Questionnaire:
    """Create or change a questionnaire's heading: code, titles, purpose, introduction, pass
    mark, whether it is in use, and (bank-wide managers only) whose it is."""
    staff = selectors.require_manage(actor)
    scope = selectors.manage_scope(actor)
    current = None
    if questionnaire_id is not None:
        current = selectors.questionnaire_get(actor, questionnaire_id)
        if not selectors.can_edit_questionnaire(actor, current):
            raise PermissionDenied(_("Only the bank's culture managers change this questionnaire."))
        current = Questionnaire.objects.select_for_update().get(pk=current.pk)
    errors: dict[str, list[str]] = {}
    code = _text(data, "code", max_length=40, required=True, errors=errors).lower()
    if code and not _SLUG.match(code):
        errors.setdefault("code", []).append(_("Use lower-case letters, digits and hyphens only."))
    elif (
        code
        and Questionnaire.objects.filter(code=code)
        .exclude(pk=getattr(current, "pk", None))
        .exists()
    ):
        errors.setdefault("code", []).append(_("Another questionnaire has this code."))
    title_zh = _text(data, "title_zh", max_length=120, required=True, errors=errors)
    title_en = _text(data, "title_en", max_length=120, required=True, errors=errors)
    purpose = str(data.get("purpose") or "")
    if purpose not in Questionnaire.Purpose.values:
        errors.setdefault("purpose", []).append(_("Choose hiring or training."))
    elif current is not None and purpose != current.purpose and current.responses.exists():
        errors.setdefault("purpose", []).append(
            _("This questionnaire has been answered; its purpose can no longer change.")
        )
    intro_zh = _text(data, "intro_zh", max_length=2000, required=False, errors=errors)
    intro_en = _text(data, "intro_en", max_length=2000, required=False, errors=errors)
    pass_percent = _int(data, "pass_percent", low=0, high=100, errors=errors, default=80)
    unit_id = data.get("unit_id") or None
    if scope != Scope.ALL:
        unit_id = staff.unit_id  # a unit's manager writes questionnaires for their unit only
    elif unit_id is not None:
        try:
            unit_id = int(unit_id)
        except (TypeError, ValueError):
            unit_id = -1
        if not Unit.objects.filter(pk=unit_id, bank_id=staff.unit.bank_id).exists():
            errors.setdefault("unit_id", []).append(_("Choose a unit of the bank."))
    if errors:
        raise ValidationFailed(errors)
    fields = {
        "code": code,
        "title_zh": title_zh,
        "title_en": title_en,
        "purpose": purpose,
        "intro_zh": intro_zh,
        "intro_en": intro_en,
        "pass_percent": pass_percent,
        "is_active": _flag(data.get("is_active", True)),
        "unit_id": unit_id,
        "updated_by": staff,
    }
    if current is None:
        return Questionnaire.objects.create(**fields)
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()
    return current


def options_text(question: Question) -> str:
    """A question's options as the editing form shows them: one per line, `*` before a
    correct one, `= n` after it when it carries other than the usual points."""
    lines = []
    for o in question.options:
        usual = 1 if o.get("correct") else 0
        points = o.get("points", usual)
        suffix = f" = {_number(points)}" if points != usual else ""
        lines.append(f"{'* ' if o.get('correct') else ''}{o['zh']} | {o['en']}{suffix}")
    return "\n".join(lines)


def _number(value) -> str:
    value = Decimal(str(value))
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value)


def parse_options(text: str, *, kind: str) -> list[dict]:
    """`* 客户 | The customers = 2` → {"key", "zh", "en", "correct", "points"}; one option per
    line. Raises ValidationFailed on the `options` field naming the line."""
    options, problems = [], []
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for n, line in enumerate(lines, start=1):
        correct = line.startswith("*")
        body = line[1:].strip() if correct else line
        points = None
        match = re.search(r"=\s*(-?\d+(?:\.\d+)?)\s*$", body)
        if match:
            points = Decimal(match.group(1))
            body = body[: match.start()].strip()
        zh, sep, en = body.partition("|")
        zh, en = zh.strip(), en.strip()
        if not sep or not zh or not en:
            problems.append(
                _("line %(n)d: write the Chinese and the English label, separated by |") % {"n": n}
            )
            continue
        if points is not None and not Decimal(0) <= points <= Decimal(100):
            problems.append(_("line %(n)d: points run from 0 to 100") % {"n": n})
            continue
        key = str(n) if kind == Question.Kind.SCALE else chr(ord("a") + n - 1)
        value = points if points is not None else Decimal(1 if correct else 0)
        options.append(
            {
                "key": key,
                "zh": zh,
                "en": en,
                "correct": correct,
                "points": int(value) if value == value.to_integral() else float(value),
            }
        )
    if len(lines) > 26:
        problems.append(_("at most 26 options"))
    if problems:
        raise ValidationFailed({"options": problems})
    return options


def _check_options(kind: str, options: list[dict], errors: dict) -> None:
    if kind == Question.Kind.TEXT:
        if options:
            errors.setdefault("options", []).append(_("A free-text question has no options."))
        return
    if len(options) < 2:
        errors.setdefault("options", []).append(_("Give at least two options."))
        return
    if kind == Question.Kind.SCALE:
        return
    if not any(o.get("correct") for o in options):
        errors.setdefault("options", []).append(_("Mark the correct answer with *."))
    elif kind == Question.Kind.SINGLE and sum(1 for o in options if o.get("correct")) > 1:
        errors.setdefault("options", []).append(
            _("A one-answer question has one correct option; choose “several answers” instead.")
        )


def _bump_version_if_answered(questionnaire: Questionnaire) -> None:
    """A questionnaire already answered in its current wording gets a new version number."""
    if Response.objects.filter(
        questionnaire=questionnaire, questionnaire_version=questionnaire.version
    ).exists():
        questionnaire.version += 1
        questionnaire.save(update_fields=["version", "updated_at"])


def _editable(actor, questionnaire_id: int) -> Questionnaire:
    questionnaire = selectors.questionnaire_get(actor, questionnaire_id)
    if not selectors.can_edit_questionnaire(actor, questionnaire):
        raise PermissionDenied(_("Only the bank's culture managers change this questionnaire."))
    return Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)


@transaction.atomic
def question_save(
    *, actor, questionnaire_id: int, data: dict, question_id: int | None = None
) -> Question:
    """Add or change a question. `data`: order (empty: last), kind, text_zh, text_en, options
    (a list of option dicts) or options_text (one per line), explanation_zh, explanation_en,
    required. A question placed at a taken position pushes the later ones down."""
    questionnaire = _editable(actor, questionnaire_id)
    current = None
    if question_id is not None:
        current = Question.objects.filter(pk=question_id, questionnaire=questionnaire).first()
        if current is None:
            raise NotFound(_("No such question."))
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "")
    if kind not in Question.Kind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of question."))
    text_zh = _text(data, "text_zh", max_length=300, required=True, errors=errors)
    text_en = _text(data, "text_en", max_length=300, required=True, errors=errors)
    explanation_zh = _text(data, "explanation_zh", max_length=2000, required=False, errors=errors)
    explanation_en = _text(data, "explanation_en", max_length=2000, required=False, errors=errors)
    last = questionnaire.questions.aggregate(m=Max("order"))["m"] or 0
    default_order = current.order if current else last + 1
    order = _int(data, "order", low=1, high=500, errors=errors, default=default_order)
    options: list[dict] = []
    if "options" in data and not isinstance(data["options"], str):
        options = list(data["options"] or [])
    else:
        try:
            options = parse_options(str(data.get("options_text") or ""), kind=kind)
        except ValidationFailed as exc:
            errors.setdefault("options", []).extend(exc.errors["options"])
    if kind in Question.Kind.values and "options" not in errors:
        _check_options(kind, options, errors)
    if errors:
        raise ValidationFailed(errors)

    if current is None or order != current.order:
        taken = questionnaire.questions.filter(order=order)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            if current is not None:  # step aside while the others move
                current.order = 0
                current.save(update_fields=["order"])
            for q in (
                questionnaire.questions.filter(order__gte=order)
                .exclude(pk=getattr(current, "pk", None))
                .order_by("-order")
            ):
                q.order += 1
                q.save(update_fields=["order"])
    fields = {
        "order": order,
        "kind": kind,
        "text_zh": text_zh,
        "text_en": text_en,
        "options": options,
        "explanation_zh": explanation_zh,
        "explanation_en": explanation_en,
        "required": _flag(data.get("required", True)),
    }
    _bump_version_if_answered(questionnaire)
    if current is None:
        return Question.objects.create(questionnaire=questionnaire, **fields)
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()
    return current


@transaction.atomic
def question_delete(*, actor, question_id: int) -> None:
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise NotFound(_("No such question."))
    questionnaire = _editable(actor, question.questionnaire_id)
    if question.answers.exists():
        raise ValidationFailed(
            {
                f"question_{question.order}": [
                    _(
                        "Question %(n)d has been answered and stays for the record; change "
                        "its wording instead, or make a new questionnaire."
                    )
                    % {"n": question.order}
                ]
            }
        )
    order = question.order
    question.delete()
    for q in questionnaire.questions.filter(order__gt=order).order_by("order"):
        q.order -= 1
        q.save(update_fields=["order"])
    _bump_version_if_answered(questionnaire)


# --- assignments -------------------------------------------------------------------------------


def _date(value, errors: dict, name: str = "due_date") -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.setdefault(name, []).append(_("Enter a date (YYYY-MM-DD)."))
        return None


@transaction.atomic
def assignment_create(
    *,
    actor,
    questionnaire_id: int,
    due_date,
    unit_id: int | None = None,
    staff_id: int | None = None,
) -> Assignment:
    """Set a training questionnaire for a unit (everyone in it and below it) or one member of
    staff, due on a date; setting it again changes the due date."""
    manager = selectors.require_manage(actor)
    questionnaire = selectors.questionnaire_get(actor, questionnaire_id)
    errors: dict[str, list[str]] = {}
    if questionnaire.purpose != Questionnaire.Purpose.TRAINING:
        errors.setdefault("questionnaire", []).append(
            _("Only training questionnaires are assigned; candidates get a link.")
        )
    elif not questionnaire.is_active:
        errors.setdefault("questionnaire", []).append(_("This questionnaire is not in use."))
    due = _date(due_date, errors)
    if due is not None and due < timezone.localdate():
        errors.setdefault("due_date", []).append(_("Choose a date from today on."))
    unit = staff = None
    if bool(unit_id) == bool(staff_id):
        errors.setdefault("unit_id", []).append(_("Choose a unit or a member of staff."))
    elif unit_id:
        unit = Unit.objects.filter(pk=unit_id, bank_id=manager.unit.bank_id).first()
        if unit is None or not selectors.manages_unit(actor, unit.pk):
            errors.setdefault("unit_id", []).append(_("Choose a unit you manage."))
    else:
        staff = Staff.objects.filter(pk=staff_id).select_related("unit").first()
        if staff is None or not selectors.manages_unit(actor, staff.unit_id):
            errors.setdefault("staff_id", []).append(_("Choose a member of your staff."))
    if errors:
        raise ValidationFailed(errors)
    assignment, created = Assignment.objects.get_or_create(
        questionnaire=questionnaire,
        unit=unit,
        staff=staff,
        defaults={"due_date": due, "assigned_by": manager},
    )
    if not created:
        assignment.due_date = due
        assignment.assigned_by = manager
        assignment.save(update_fields=["due_date", "assigned_by"])
    return assignment


@transaction.atomic
def assignment_delete(*, actor, assignment_id: int) -> None:
    selectors.require_manage(actor)
    a = Assignment.objects.filter(pk=assignment_id).select_related("staff").first()
    unit_id = None if a is None else (a.unit_id or a.staff.unit_id)
    if a is None or not selectors.manages_unit(actor, unit_id):
        raise NotFound(_("No such assignment."))
    a.delete()


# --- candidates --------------------------------------------------------------------------------


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, selectors.token_hash(token)


@transaction.atomic
def candidate_invite(
    *,
    actor,
    questionnaire_id: int,
    name: str,
    contact: str,
    position: str,
    valid_days: int | str = LINK_DAYS_DEFAULT,
    unit_id: int | None = None,
) -> tuple[Response, str]:
    """Invite a job candidate to a hiring questionnaire: returns the sitting and the token of
    its one-time link (shown once; only its hash is kept)."""
    manager = selectors.require_manage(actor)
    questionnaire = selectors.questionnaire_get(actor, questionnaire_id)
    errors: dict[str, list[str]] = {}
    if questionnaire.purpose != Questionnaire.Purpose.HIRING:
        errors.setdefault("questionnaire", []).append(
            _("Candidates answer hiring questionnaires only.")
        )
    elif not questionnaire.is_active:
        errors.setdefault("questionnaire", []).append(_("This questionnaire is not in use."))
    data = {"name": name, "contact": contact, "position": position, "valid_days": valid_days}
    name = _text(data, "name", max_length=60, required=True, errors=errors)
    contact = _text(data, "contact", max_length=120, required=True, errors=errors)
    position = _text(data, "position", max_length=120, required=True, errors=errors)
    days = _int(data, "valid_days", low=1, high=LINK_DAYS_MAX, errors=errors)
    unit_id = unit_id or manager.unit_id
    if not selectors.manages_unit(actor, unit_id):
        errors.setdefault("unit_id", []).append(_("Choose a unit you manage."))
    if errors:
        raise ValidationFailed(errors)
    token, hashed = _new_token()
    response = Response.objects.create(
        questionnaire=questionnaire,
        questionnaire_version=questionnaire.version,
        unit_id=unit_id,
        candidate_name=name,
        candidate_contact=contact,
        candidate_position=position,
        token_hash=hashed,
        expires_at=timezone.now() + datetime.timedelta(days=days),
        invited_by=manager,
    )
    audit_record(
        actor=actor,
        action=CANDIDATE_INVITE,
        object_type="candidate",
        object_id=response.pk,
        detail={"questionnaire": questionnaire.code, "valid_days": days},
    )
    return response, token


@transaction.atomic
def candidate_link_renew(*, actor, response_id: int, valid_days: int = LINK_DAYS_DEFAULT) -> str:
    """A fresh link for a candidate who has not answered yet; the old link stops working."""
    r = selectors.response_get_for_manager(actor, response_id)
    if not r.is_candidate:
        raise NotFound(_("No such candidate."))
    if r.submitted_at is not None:
        raise ValidationFailed({"link": [_("The candidate has already answered.")]})
    token, hashed = _new_token()
    Response.objects.filter(pk=r.pk).update(
        token_hash=hashed, expires_at=timezone.now() + datetime.timedelta(days=valid_days)
    )
    return token


@transaction.atomic
def candidate_open(*, token: str) -> Response:
    """The candidate opened their link: the sitting starts (once)."""
    r = selectors.candidate_response_by_token(token)
    if r.started_at is None:
        r.started_at = timezone.now()
        r.save(update_fields=["started_at"])
    return r


@transaction.atomic
def candidate_submit(*, token: str, answers: dict) -> Response:
    """The candidate's answers: scored and kept; the link is used up."""
    r = selectors.candidate_response_by_token(token)
    r = Response.objects.select_for_update().get(pk=r.pk)
    if r.submitted_at is not None:  # a second submit that raced the first
        raise selectors.LinkUsed(_("This link has already been used."))
    return _submit(r, answers)


# --- staff training ----------------------------------------------------------------------------


@transaction.atomic
def training_start(*, actor, questionnaire_id: int) -> Response:
    """The actor's unfinished sitting of a training questionnaire, or a new one."""
    staff = staff_of(actor)
    if staff is None:
        raise PermissionDenied(_("Only staff take training."))
    questionnaire = Questionnaire.objects.filter(
        pk=questionnaire_id, purpose=Questionnaire.Purpose.TRAINING, is_active=True
    ).first()
    allowed = questionnaire is not None and (
        questionnaire.unit_id in (None, staff.unit_id)
        or Assignment.objects.filter(questionnaire=questionnaire, staff=staff).exists()
        or questionnaire.pk in selectors.assigned_due(staff, unit_parents(staff.unit.bank_id))
    )
    if not allowed:
        raise NotFound(_("No such questionnaire."))
    Staff.objects.select_for_update().filter(pk=staff.pk).first()  # one open sitting at a time
    open_response = Response.objects.filter(
        staff=staff, questionnaire=questionnaire, submitted_at__isnull=True
    ).first()
    if open_response is not None:
        return open_response
    return Response.objects.create(
        questionnaire=questionnaire,
        questionnaire_version=questionnaire.version,
        staff=staff,
        unit_id=staff.unit_id,
        started_at=timezone.now(),
    )


@transaction.atomic
def training_submit(*, actor, response_id: int, answers: dict) -> Response:
    r = selectors.response_get_own(actor, response_id)
    r = Response.objects.select_for_update().select_related("questionnaire").get(pk=r.pk)
    if r.submitted_at is not None:
        raise ValidationFailed({"__all__": [_("These answers were already handed in.")]})
    return _submit(r, answers)


# --- scoring -----------------------------------------------------------------------------------


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if str(v)]


def grade(question: Question, value) -> tuple[list[str], str, Decimal, bool | None]:
    """Check one answer and score it: (choices, text, points, correct). Raises ValueError
    with the message for the question when the answer is not acceptable."""
    if question.kind == Question.Kind.TEXT:
        text = (value if isinstance(value, str) else " ".join(_as_list(value))).strip()
        if question.required and not text:
            raise ValueError(_("write an answer"))
        if len(text) > 4000:
            raise ValueError(_("at most 4000 characters"))
        return [], text, Decimal(0), None
    keys = {o["key"]: o for o in question.options}
    chosen = list(dict.fromkeys(_as_list(value)))
    if any(k not in keys for k in chosen):
        raise ValueError(_("that answer is not one of the options"))
    if question.kind in (Question.Kind.SINGLE, Question.Kind.SCALE):
        if len(chosen) > 1 or (question.required and not chosen):
            raise ValueError(_("choose one answer"))
        if not chosen:
            return [], "", Decimal(0), None
        option = keys[chosen[0]]
        return chosen, "", Decimal(str(option.get("points", 0))), bool(option.get("correct"))
    if question.required and not chosen:
        raise ValueError(_("choose at least one answer"))
    if not chosen:
        return [], "", Decimal(0), None
    correct_keys = {k for k, o in keys.items() if o.get("correct")}
    right = set(chosen) == correct_keys
    points = Decimal(str(question.max_points)) if right else Decimal(0)
    return chosen, "", points, right


def _submit(response: Response, answers: dict) -> Response:
    questions = selectors.questions_of(response.questionnaire_id)
    if not questions:
        raise ValidationFailed({"__all__": [_("This questionnaire has no questions yet.")]})
    errors: dict[str, list[str]] = {}
    rows = []
    total = maximum = Decimal(0)
    for q in questions:
        value = answers.get(q.pk, answers.get(str(q.pk)))
        try:
            choices, text, points, correct = grade(q, value)
        except ValueError as exc:
            errors[f"question_{q.order}"] = [
                _("Question %(n)d: %(problem)s") % {"n": q.order, "problem": exc}
            ]
            continue
        total += points
        maximum += Decimal(str(q.max_points))
        rows.append(
            Answer(
                response=response,
                question=q,
                choices=choices,
                text=text,
                points=points,
                correct=correct,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    Answer.objects.bulk_create(rows)
    now = timezone.now()
    response.points = total
    response.max_points = maximum
    if maximum > 0:
        response.score = (total * 100 / maximum).quantize(Decimal("0.1"), ROUND_HALF_UP)
        response.passed = response.score >= response.questionnaire.pass_percent
    else:
        response.score = None
        response.passed = None
    response.started_at = response.started_at or now
    response.submitted_at = now
    # A one-time link works once: `submitted_at` closes it (the hash stays, so that opening
    # it again says "already used" rather than "not valid").
    response.save(
        update_fields=[
            "points",
            "max_points",
            "score",
            "passed",
            "started_at",
            "submitted_at",
        ]
    )
    return response


# --- commitments -------------------------------------------------------------------------------


@transaction.atomic
def commitment_confirm(*, actor, version_id: int) -> CommitmentConfirmation:
    """ "I have read and will keep this commitment": for a published version binding the
    actor's unit. Confirming twice keeps the first time."""
    staff = staff_of(actor)
    if staff is None:
        raise PermissionDenied(_("Only staff confirm commitments."))
    parents = unit_parents(staff.unit.bank_id)
    if version_id not in selectors.versions_for_unit(staff.unit_id, parents):
        if CommitmentVersion.objects.filter(pk=version_id).exclude(status="published").exists():
            raise ValidationFailed({"version": [_("Only a published commitment is confirmed.")]})
        raise NotFound(_("No such commitment for your unit."))
    confirmation, _created = CommitmentConfirmation.objects.get_or_create(
        staff=staff, version_id=version_id
    )
    return confirmation


@transaction.atomic
def commitments_confirm_all(*, actor, version_ids: list[int]) -> int:
    """Confirm several at once (each as `commitment_confirm`); returns how many were new."""
    staff = staff_of(actor)
    if staff is None:
        raise PermissionDenied(_("Only staff confirm commitments."))
    binding = set(selectors.versions_for_unit(staff.unit_id, unit_parents(staff.unit.bank_id)))
    wanted = [v for v in dict.fromkeys(version_ids) if v in binding]
    done = set(
        CommitmentConfirmation.objects.filter(staff=staff, version_id__in=wanted).values_list(
            "version_id", flat=True
        )
    )
    new = [CommitmentConfirmation(staff=staff, version_id=v) for v in wanted if v not in done]
    CommitmentConfirmation.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- export ------------------------------------------------------------------------------------


def _fmt(value) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def report_csv(*, actor, include_candidates: bool = False) -> str:
    """The completion report as CSV: one row per unit, then one per member of staff, and
    with `include_candidates` one per candidate (personal data: the export is audit-logged
    as such)."""
    rows = selectors.completion_report(actor)
    out = io.StringIO()
    w = safe_csv_writer(out)
    w.writerow(
        [
            _("Unit code"),
            _("Unit"),
            _("Staff"),
            _("Training assigned"),
            pgettext("training", "Completed"),
            _("Passed"),
            _("Average score (%)"),
            _("Overdue"),
            _("Commitments confirmed"),
            _("Confirmations required"),
            _("Candidates"),
            _("Candidates answered"),
            _("Candidates passed"),
        ]
    )
    for u in rows:
        w.writerow(
            [
                u.unit.code,
                str(u.unit),
                u.staff_count,
                u.assigned,
                u.completed,
                u.passed,
                _fmt(u.average_score),
                u.overdue,
                u.confirmed,
                u.required,
                u.candidates,
                u.candidates_submitted,
                u.candidates_passed,
            ]
        )
    w.writerow([])
    w.writerow(
        [
            _("Unit code"),
            _("Employee number"),
            _("Name"),
            _("Training assigned"),
            pgettext("training", "Completed"),
            _("Passed"),
            _("Average score (%)"),
            _("Overdue"),
            _("Commitments confirmed"),
            _("Confirmations required"),
        ]
    )
    for u in rows:
        for s in u.staff:
            w.writerow(
                [
                    u.unit.code,
                    s.employee_number,
                    s.name,
                    s.assigned,
                    s.completed,
                    s.passed,
                    _fmt(s.average_score),
                    s.overdue,
                    s.confirmed,
                    s.required,
                ]
            )
    candidates = 0
    if include_candidates:
        managed = [u.unit.pk for u in rows]
        w.writerow([])
        w.writerow(
            [
                _("Unit code"),
                pgettext("hiring", "Candidate"),
                _("Phone or e-mail"),
                _("Position applied for"),
                _("Questionnaire"),
                _("Invited"),
                _("Submitted"),
                _("Score (%)"),
                _("Passed"),
            ]
        )
        for r in (
            Response.objects.filter(staff__isnull=True, unit_id__in=managed)
            .select_related("unit", "questionnaire")
            .order_by("unit__code", "created_at")
        ):
            candidates += 1
            w.writerow(
                [
                    r.unit.code,
                    r.candidate_name,
                    r.candidate_contact,
                    r.candidate_position,
                    r.questionnaire.code,
                    timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                    timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M")
                    if r.submitted_at
                    else "",
                    _fmt(r.score),
                    "" if r.passed is None else (_("yes") if r.passed else _("no")),
                ]
            )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="culture_report",
        detail={
            "format": "csv",
            "personal_data": bool(include_candidates),
            "candidates": candidates,
            "units": len(rows),
        },
    )
    return out.getvalue()
