"""Culture pages. Each view parses the request and calls one service or selector:

- managers (culture.manage): questionnaires and their questions, training assignments,
  candidate invitations, results (candidates masked until opened, and every opening recorded)
  and the completion report with its CSV export;
- every member of staff: "My training" (take a questionnaire, see the explanations) and
  "My unit's commitments" (read and confirm each published commitment);
- candidates, without a login: the one-time link to the hiring questionnaire."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.models import Staff
from servicefirst.accounts.permissions import Scope, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.culture import selectors, services
from servicefirst.culture.models import Question, Questionnaire, Response


def _domain_errors(view):
    """NotFound → 404, PermissionDenied → 403 (the same for pages of every kind)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapped


def _staff_required(request) -> Staff:
    staff = staff_of(request.user)
    if staff is None:
        raise DjangoPermissionDenied
    return staff


def _manager_required(request) -> None:
    if not selectors.can_manage(request.user):
        raise DjangoPermissionDenied


def _flat(errors: dict) -> list[str]:
    return [m for ms in errors.values() for m in ms]


@login_required
def home(request):
    if selectors.can_manage(request.user):
        return redirect("culture:report")
    return redirect("culture:training")


# --- questionnaires ----------------------------------------------------------------------------


@login_required
@_domain_errors
def questionnaires(request):
    _manager_required(request)
    items = selectors.questionnaires_visible(request.user)
    for q in items:
        q.editable = selectors.can_edit_questionnaire(request.user, q)
    return render(
        request,
        "culture/questionnaires.html",
        {"questionnaires": items, "tab": "questionnaires"},
    )


QUESTIONNAIRE_FIELDS = (
    "code",
    "title_zh",
    "title_en",
    "purpose",
    "intro_zh",
    "intro_en",
    "pass_percent",
    "unit_id",
)


@login_required
@_domain_errors
def questionnaire_edit(request, questionnaire_id: int | None = None):
    _manager_required(request)
    actor = request.user
    questionnaire = (
        selectors.questionnaire_get(actor, questionnaire_id) if questionnaire_id else None
    )
    editable = questionnaire is None or selectors.can_edit_questionnaire(actor, questionnaire)
    errors: dict = {}
    if request.method == "POST":
        if not editable:
            raise DjangoPermissionDenied
        data = {name: request.POST.get(name, "") for name in QUESTIONNAIRE_FIELDS}
        data["is_active"] = request.POST.get("is_active") == "1"
        try:
            saved = services.questionnaire_save(
                actor=actor, data=data, questionnaire_id=questionnaire_id
            )
        except ValidationFailed as exc:
            errors = exc.errors
            values = data
        else:
            messages.success(request, _("Saved the questionnaire."))
            return redirect("culture:questionnaire_edit", questionnaire_id=saved.pk)
    elif questionnaire is not None:
        values = {name: getattr(questionnaire, name) for name in QUESTIONNAIRE_FIELDS}
        values["is_active"] = questionnaire.is_active
    else:
        values = {
            "purpose": request.GET.get("purpose", "training"),
            "pass_percent": 80,
            "is_active": True,
        }
    context = {
        "questionnaire": questionnaire,
        "editable": editable,
        "values": values,
        "errors": errors,
        "purposes": Questionnaire.Purpose.choices,
        "bank_wide": selectors.manage_scope(actor) == Scope.ALL,
        "units": selectors.managed_units(actor),
        "tab": "questionnaires",
    }
    if questionnaire is not None:
        questions = selectors.questions_of(questionnaire.pk)
        context["questions"] = questions
        context["assignments"] = list(
            questionnaire.assignments.select_related("unit", "staff", "staff__unit")
        )
        context["staff_choices"] = list(
            Staff.objects.filter(unit__in=context["units"], user__is_active=True)
            .select_related("unit")
            .order_by("unit__code", "name")
        )
        context["today"] = timezone.localdate()
    return render(request, "culture/questionnaire_edit.html", context)


QUESTION_FIELDS = (
    "order",
    "kind",
    "text_zh",
    "text_en",
    "options_text",
    "explanation_zh",
    "explanation_en",
)


@login_required
@_domain_errors
def question_edit(request, questionnaire_id: int, question_id: int | None = None):
    _manager_required(request)
    actor = request.user
    questionnaire = selectors.questionnaire_get(actor, questionnaire_id)
    if not selectors.can_edit_questionnaire(actor, questionnaire):
        raise DjangoPermissionDenied
    question = None
    if question_id is not None:
        question = Question.objects.filter(pk=question_id, questionnaire=questionnaire).first()
        if question is None:
            raise Http404
    errors: dict = {}
    if request.method == "POST":
        data = {name: request.POST.get(name, "") for name in QUESTION_FIELDS}
        data["required"] = request.POST.get("required") == "1"
        try:
            services.question_save(
                actor=actor, questionnaire_id=questionnaire.pk, data=data, question_id=question_id
            )
        except ValidationFailed as exc:
            errors = exc.errors
            values = data
        else:
            messages.success(request, _("Saved the question."))
            return redirect("culture:questionnaire_edit", questionnaire_id=questionnaire.pk)
    elif question is not None:
        values = {name: getattr(question, name, "") for name in QUESTION_FIELDS}
        values["options_text"] = services.options_text(question)
        values["required"] = question.required
    else:
        values = {"kind": "single", "required": True}
    return render(
        request,
        "culture/question_edit.html",
        {
            "questionnaire": questionnaire,
            "question": question,
            "values": values,
            "errors": errors,
            "kinds": Question.Kind.choices,
            "tab": "questionnaires",
        },
    )


@login_required
@require_POST
@_domain_errors
def question_delete(request, question_id: int):
    _manager_required(request)
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise Http404
    try:
        services.question_delete(actor=request.user, question_id=question_id)
    except ValidationFailed as exc:
        messages.error(request, " ".join(_flat(exc.errors)))
    else:
        messages.success(request, _("Removed the question."))
    return redirect("culture:questionnaire_edit", questionnaire_id=question.questionnaire_id)


@login_required
@require_POST
@_domain_errors
def assign(request, questionnaire_id: int):
    _manager_required(request)
    target = request.POST.get("target", "")
    kind, _sep, pk = target.partition(":")
    try:
        services.assignment_create(
            actor=request.user,
            questionnaire_id=questionnaire_id,
            due_date=request.POST.get("due_date", ""),
            unit_id=int(pk) if kind == "unit" and pk.isdigit() else None,
            staff_id=int(pk) if kind == "staff" and pk.isdigit() else None,
        )
    except ValidationFailed as exc:
        messages.error(request, " ".join(_flat(exc.errors)))
    else:
        messages.success(request, _("Assigned the training."))
    return redirect("culture:questionnaire_edit", questionnaire_id=questionnaire_id)


@login_required
@require_POST
@_domain_errors
def assignment_delete(request, assignment_id: int):
    _manager_required(request)
    questionnaire_id = request.POST.get("questionnaire", "")
    services.assignment_delete(actor=request.user, assignment_id=assignment_id)
    messages.success(request, _("Removed the assignment."))
    if questionnaire_id.isdigit():
        return redirect("culture:questionnaire_edit", questionnaire_id=int(questionnaire_id))
    return redirect("culture:questionnaires")


@login_required
@_domain_errors
def invite(request, questionnaire_id: int):
    """Invite a candidate: the one-time link is shown once, right after."""
    _manager_required(request)
    actor = request.user
    questionnaire = selectors.questionnaire_get(actor, questionnaire_id)
    errors: dict = {}
    values = {"valid_days": services.LINK_DAYS_DEFAULT}
    link = None
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "")
            for k in ("name", "contact", "position", "valid_days", "unit_id")
        }
        try:
            response, token = services.candidate_invite(
                actor=actor,
                questionnaire_id=questionnaire.pk,
                name=values["name"],
                contact=values["contact"],
                position=values["position"],
                valid_days=values["valid_days"],
                unit_id=int(values["unit_id"]) if values["unit_id"].isdigit() else None,
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            link = request.build_absolute_uri(reverse("culture:candidate", args=[token]))
            values = {"valid_days": services.LINK_DAYS_DEFAULT}
            return render(
                request,
                "culture/invite.html",
                {
                    "questionnaire": questionnaire,
                    "link": link,
                    "response": response,
                    "values": values,
                    "errors": {},
                    "units": selectors.managed_units(actor),
                    "tab": "results",
                },
            )
    return render(
        request,
        "culture/invite.html",
        {
            "questionnaire": questionnaire,
            "link": link,
            "values": values,
            "errors": errors,
            "units": selectors.managed_units(actor),
            "tab": "results",
        },
    )


# --- results -----------------------------------------------------------------------------------


@login_required
@_domain_errors
def results(request):
    _manager_required(request)
    purpose = request.GET.get("purpose", Questionnaire.Purpose.HIRING)
    if purpose not in Questionnaire.Purpose.values:
        purpose = Questionnaire.Purpose.HIRING
    rows = selectors.responses_for_manager(request.user, purpose=purpose)
    hiring = [
        q for q in selectors.questionnaires_visible(request.user, purpose="hiring") if q.is_active
    ]
    return render(
        request,
        "culture/results.html",
        {"rows": rows, "purpose": purpose, "hiring": hiring, "tab": "results"},
    )


def _answer_rows(response: Response) -> list[dict]:
    answers = selectors.answers_by_question(response)
    rows = []
    for q in selectors.questions_of(response.questionnaire_id):
        a = answers.get(q.pk)
        chosen = set(a.choices) if a else set()
        rows.append(
            {
                "question": q,
                "answer": a,
                "options": [{**o, "chosen": o["key"] in chosen} for o in q.labelled_options],
            }
        )
    return rows


@login_required
@_domain_errors
def result_detail(request, response_id: int):
    _manager_required(request)
    reveal = request.GET.get("reveal") == "1"
    response = selectors.response_get_for_manager(request.user, response_id, reveal=reveal)
    return render(
        request,
        "culture/result_detail.html",
        {
            "response": response,
            "rows": _answer_rows(response) if response.is_submitted else [],
            "expired": bool(response.expires_at and response.expires_at <= timezone.now()),
            "tab": "results",
        },
    )


@login_required
@require_POST
@_domain_errors
def candidate_renew(request, response_id: int):
    _manager_required(request)
    try:
        token = services.candidate_link_renew(actor=request.user, response_id=response_id)
    except ValidationFailed as exc:
        messages.error(request, " ".join(_flat(exc.errors)))
        return redirect("culture:result_detail", response_id=response_id)
    response = selectors.response_get_for_manager(request.user, response_id)
    return render(
        request,
        "culture/invite.html",
        {
            "questionnaire": response.questionnaire,
            "link": request.build_absolute_uri(reverse("culture:candidate", args=[token])),
            "response": response,
            "values": {},
            "errors": {},
            "renewed": True,
            "tab": "results",
        },
    )


# --- the completion report ---------------------------------------------------------------------


@login_required
@_domain_errors
def report(request):
    _manager_required(request)
    unit = request.GET.get("unit", "")
    unit_id = int(unit) if unit.isdigit() else None
    rows = selectors.completion_report(request.user, unit_id=unit_id)
    single = unit_id is not None or selectors.manage_scope(request.user) != Scope.ALL
    return render(
        request,
        "culture/report.html",
        {
            "rows": rows,
            "totals": selectors.report_totals(rows),
            "detail": rows[0] if single and rows else None,
            "drilled": unit_id is not None,
            "tab": "report",
        },
    )


@login_required
@_domain_errors
def report_csv(request):
    _manager_required(request)
    with_candidates = request.GET.get("candidates") == "1"
    content = services.report_csv(actor=request.user, include_candidates=with_candidates)
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    name = f"culture-completion-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- staff: training ---------------------------------------------------------------------------


@login_required
@_domain_errors
def training(request):
    _staff_required(request)
    return render(
        request,
        "culture/training.html",
        {"items": selectors.my_training(request.user), "tab": "training"},
    )


@login_required
@require_POST
@_domain_errors
def take(request, questionnaire_id: int):
    _staff_required(request)
    response = services.training_start(actor=request.user, questionnaire_id=questionnaire_id)
    return redirect("culture:my_response", response_id=response.pk)


def _posted_answers(request, questions: list[Question]) -> dict[int, object]:
    answers: dict[int, object] = {}
    for q in questions:
        name = f"q{q.pk}"
        if q.kind == Question.Kind.TEXT:
            answers[q.pk] = request.POST.get(name, "")
        else:
            answers[q.pk] = request.POST.getlist(name)
    return answers


def _form_rows(questions: list[Question], answers: dict, errors: dict) -> list[dict]:
    rows = []
    for q in questions:
        value = answers.get(q.pk)
        chosen = set(value) if isinstance(value, list) else set()
        rows.append(
            {
                "question": q,
                "options": [{**o, "chosen": o["key"] in chosen} for o in q.labelled_options],
                "text": value if isinstance(value, str) else "",
                "errors": errors.get(f"question_{q.order}", []),
            }
        )
    return rows


@login_required
@_domain_errors
def my_response(request, response_id: int):
    """An open sitting: the questions (POST hands the answers in). A finished one: the score
    and, for training, each answer with its explanation."""
    _staff_required(request)
    response = selectors.response_get_own(request.user, response_id)
    questions = selectors.questions_of(response.questionnaire_id)
    if response.is_submitted:
        return render(
            request,
            "culture/my_response.html",
            {"response": response, "rows": _answer_rows(response), "tab": "training"},
        )
    answers: dict = {}
    errors: dict = {}
    if request.method == "POST":
        answers = _posted_answers(request, questions)
        try:
            services.training_submit(actor=request.user, response_id=response.pk, answers=answers)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect("culture:my_response", response_id=response.pk)
    return render(
        request,
        "culture/take.html",
        {
            "response": response,
            "questionnaire": response.questionnaire,
            "rows": _form_rows(questions, answers, errors),
            "errors": errors,
            "action": reverse("culture:my_response", args=[response.pk]),
            "tab": "training",
        },
    )


# --- staff: commitments ------------------------------------------------------------------------


@login_required
@_domain_errors
def my_commitments(request):
    staff = _staff_required(request)
    items = selectors.my_commitments(request.user)
    return render(
        request,
        "culture/my_commitments.html",
        {
            "items": items,
            "unit": staff.unit,
            "open_count": sum(1 for i in items if i.confirmed_at is None),
            "tab": "commitments",
        },
    )


@login_required
@require_POST
@_domain_errors
def confirm(request, version_id: int):
    _staff_required(request)
    error = ""
    try:
        services.commitment_confirm(actor=request.user, version_id=version_id)
    except ValidationFailed as exc:
        error = " ".join(_flat(exc.errors))
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("culture:my_commitments")
    item = next(
        (i for i in selectors.my_commitments(request.user) if i.version.pk == version_id), None
    )
    if item is None:
        raise Http404
    response = render(request, "culture/_commitment.html", {"item": item, "error": error})
    response["HX-Trigger"] = "culture-confirmed"
    return response


@login_required
@require_POST
@_domain_errors
def confirm_all(request):
    _staff_required(request)
    if request.POST.get("read_all") != "1":
        messages.error(request, _("Tick “I have read them all” first."))
        return redirect("culture:my_commitments")
    ids = [int(v) for v in request.POST.getlist("version") if v.isdigit()]
    count = services.commitments_confirm_all(actor=request.user, version_ids=ids)
    messages.success(request, _("Confirmed %(n)d commitments.") % {"n": count})
    return redirect("culture:my_commitments")


# --- candidates (no login) ---------------------------------------------------------------------


def _closed(request, exc: NotFound):
    if isinstance(exc, selectors.LinkExpired):
        reason = _("This link has expired. Please ask the bank for a new one.")
    elif isinstance(exc, selectors.LinkUsed):
        reason = _("This link has already been used: your answers were handed in. Thank you.")
    else:
        reason = _("This link is not valid.")
    return render(request, "culture/candidate_closed.html", {"reason": reason}, status=410)


def candidate(request, token: str):
    """The candidate's page: the hiring questionnaire, once."""
    try:
        response = services.candidate_open(token=token)
    except NotFound as exc:
        return _closed(request, exc)
    questions = selectors.questions_of(response.questionnaire_id)
    answers: dict = {}
    errors: dict = {}
    if request.method == "POST":
        answers = _posted_answers(request, questions)
        try:
            services.candidate_submit(token=token, answers=answers)
        except NotFound as exc:
            return _closed(request, exc)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect("culture:candidate_done")
    response_obj = render(
        request,
        "culture/candidate.html",
        {
            "questionnaire": response.questionnaire,
            "rows": _form_rows(questions, answers, errors),
            "errors": errors,
            "action": request.path,
        },
    )
    response_obj["Cache-Control"] = "no-store"
    response_obj["Referrer-Policy"] = (
        "same-origin"  # no-referrer would make the POST's Origin "null"
    )
    return response_obj


def candidate_done(request):
    return render(request, "culture/candidate_done.html")
