"""Care pages: the rules (list, edit, switch on and off), today's prompts at a branch, and the
htmx endpoint that marks a prompt done or skipped. Each view parses the request and calls one
service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.care import selectors, services
from servicefirst.care.forms import CareRuleForm
from servicefirst.care.models import CarePrompt
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.insights import conditions as cond


def _require_rules(request) -> None:
    if not selectors.can_see_rules(request.user):
        raise DjangoPermissionDenied


def _branches_for_rules(actor):
    """Branches whose rules the actor may edit (every branch for a bank-wide grant)."""
    return selectors.floor_branches(actor, actions=(Action.CARE_MANAGE,))


@login_required
def rules(request):
    _require_rules(request)
    return render(
        request,
        "care/rules.html",
        {
            "rules": selectors.rules_visible(actor=request.user),
            "bank_wide": scope_for(request.user, Action.CARE_MANAGE) == Scope.ALL,
        },
    )


def _posted_rows(post) -> int:
    rows = [
        int(key.split("-")[1])
        for key in post
        if key.startswith("cond-") and key.endswith("-field") and key.split("-")[1].isdigit()
    ]
    return max(rows, default=-1) + 1


@login_required
def rule_edit(request, rule_id: int | None = None):
    _require_rules(request)
    actor = request.user
    try:
        rule = selectors.rule_get(actor=actor, rule_id=rule_id) if rule_id else None
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if rule is not None and not rule.editable:
        raise DjangoPermissionDenied
    bank_wide = scope_for(actor, Action.CARE_MANAGE) == Scope.ALL
    kwargs = {"branches": _branches_for_rules(actor), "bank_wide": bank_wide}
    if request.method == "POST":
        form = CareRuleForm(request.POST, condition_count=_posted_rows(request.POST), **kwargs)
        if form.is_valid():
            data, rows = form.data_for_service()
            if not bank_wide:
                staff = staff_of(actor)
                data["branch_id"] = staff.unit_id if staff else None
            try:
                services.rule_save(actor=actor, data=data, rule_id=rule.pk if rule else None)
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors, rows)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved the care rule."))
                return redirect("care:rules")
    else:
        initial = CareRuleForm.initial_for(rule) if rule else None
        if initial is None and not bank_wide:
            staff = staff_of(actor)
            initial = {"branch": str(staff.unit_id) if staff else ""}
        form = CareRuleForm(
            initial=initial,
            condition_count=len(rule.conditions) if rule else 0,
            **kwargs,
        )
    return render(
        request,
        "care/rule_edit.html",
        {"form": form, "rule": rule, "fields": cond.FIELDS.values()},
    )


@login_required
@require_POST
def rule_toggle(request, rule_id: int):
    _require_rules(request)
    try:
        services.rule_toggle(actor=request.user, rule_id=rule_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    if request.htmx:
        rule = selectors.rule_get(actor=request.user, rule_id=rule_id)
        return render(request, "care/_rule_row.html", {"rule": rule})
    return redirect("care:rules")


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}):
        return url
    return reverse("care:today")


@login_required
@require_POST
def resolve(request):
    """Mark a prompt done or skipped; for htmx, the prompt list it came from, updated."""
    try:
        prompt_id = int(request.POST.get("prompt_id", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Which prompt?"))
    error = ""
    try:
        services.prompt_resolve(
            actor=request.user, prompt_id=prompt_id, status=request.POST.get("status", "")
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        error = "; ".join(m for ms in exc.errors.values() for m in ms)
    care_next = request.POST.get("next", "")
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(_safe_next(request, care_next))
    shown = [int(v) for v in request.POST.getlist("shown") if v.isdigit()]
    if prompt_id not in shown:
        shown.append(prompt_id)
    found = {
        p.pk: p
        for p in CarePrompt.objects.filter(pk__in=shown).select_related(
            "rule", "customer", "ticket", "resolved_by"
        )
        if services.works_at(request.user, p.branch_id)
    }
    response = render(
        request,
        "care/_prompts.html",
        {
            "prompts": [found[pk] for pk in shown if pk in found],
            "care_error": error,
            "care_next": care_next,
        },
    )
    response["HX-Trigger"] = "care-changed"
    return response


@login_required
def today(request):
    """The prompts raised today at a branch, with their status; open ones can be marked."""
    actor = request.user
    branches = selectors.floor_branches(actor)
    if not branches:
        raise DjangoPermissionDenied
    staff = staff_of(actor)
    wanted = request.GET.get("branch") or (staff.unit_id if staff else None)
    branch = next((b for b in branches if str(b.pk) == str(wanted)), branches[0])
    services.prompts_for_arrivals(actor=actor, branch_id=branch.pk)
    prompts = selectors.prompts_of_day(actor=actor, branch_id=branch.pk)
    context = {
        "branch": branch,
        "branches": branches,
        "open": [p for p in prompts if p.is_open],
        "resolved": [p for p in prompts if not p.is_open],
        "total": len(prompts),
        "can_rules": selectors.can_see_rules(actor),
    }
    template = "care/_today.html" if request.htmx else "care/today.html"
    return render(request, template, context)
