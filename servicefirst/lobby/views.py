"""Lobby pages: the lobby manager's page (fast walk-in form, today's walk-ins, hand-offs and
follow-ups, overdue hand-offs, care prompts for the visitor just met), "my hand-offs and
follow-ups" for relationship managers and colleagues, the customers-known report and the
advertising effect. Each view parses the request and calls one service or selector."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import (
    Action,
    Scope,
    allows_unit,
    branches_for,
    scope_for,
    staff_of,
)
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.fields import mask_phone
from servicefirst.customers.models import Customer
from servicefirst.lobby import charts, forms, selectors, services
from servicefirst.lobby.models import Handoff, WalkIn


def _errors_onto(form, errors: dict[str, list[str]]) -> None:
    form.is_valid()
    for field, msgs in errors.items():
        key = field if field in form.fields else None
        for message in msgs:
            form.add_error(key, message)
    if hasattr(form, "flag_errors"):
        form.flag_errors()


def _branch(request, action: str = Action.LOBBY_WORK) -> Unit:
    """The branch the page works on: ?branch= when the actor may work there, else their own."""
    staff = staff_of(request.user)
    wanted = request.GET.get("branch") or request.POST.get("branch")
    branch_id = int(wanted) if wanted and wanted.isdigit() else (staff.unit_id if staff else None)
    if branch_id is None or not allows_unit(request.user, action, branch_id):
        raise DjangoPermissionDenied
    branch = Unit.objects.filter(pk=branch_id, kind=Unit.Kind.BRANCH).first()
    if branch is None:
        raise Http404
    return branch


def _mark_phones(walk_ins) -> list:
    out = []
    for w in walk_ins:
        w.masked_phone = mask_phone(w.phone) if w.phone else ""
        out.append(w)
    return out


def _today_context(branch) -> dict:
    return {
        "branch": branch,
        "walk_ins": _mark_phones(selectors.walkins_on(branch.pk)),
        "overdue": list(selectors.overdue_handoffs(branch.pk)),
    }


def care_prompts(
    request, branch_id: int, customer_id: int | None, ticket_id: int | None = None
) -> list | None:
    """The care prompts for a customer who has just arrived (the care app's rules), or None
    when the care app does not offer them."""
    if not customer_id:
        return None
    try:
        from servicefirst.care.services import prompts_for_visit
    except ImportError:
        return None
    try:
        return prompts_for_visit(
            actor=request.user,
            branch_id=branch_id,
            customer_id=customer_id,
            audience="lobby",
            ticket_id=ticket_id,
        )
    except (NotFound, PermissionDenied, ValidationFailed):
        return None


def _arrivals_context(request, branch) -> dict:
    arrivals = []
    for ticket in services.arrivals_seen(actor=request.user, branch_id=branch.pk):
        ticket.prompts = care_prompts(request, branch.pk, ticket.customer_id, ticket.pk)
        arrivals.append(ticket)
    return {"branch": branch, "arrivals": arrivals}


@login_required
def arrivals(request):
    """The customers who just took a ticket, with their care prompts (refreshed live)."""
    branch = _branch(request)
    return render(request, "lobby/_arrivals.html", _arrivals_context(request, branch))


def _home_context(request, branch, form=None) -> dict:
    return {
        **_today_context(branch),
        **_arrivals_context(request, branch),
        "form": form if form is not None else forms.WalkInForm(),
        "open_handoffs": selectors.open_handoffs(branch.pk).count(),
        "greetings": selectors.greetings_on(timezone.localdate()),
    }


@login_required
def home(request):
    """The lobby manager's page."""
    branch = _branch(request)
    return render(request, "lobby/home.html", _home_context(request, branch))


@login_required
def today(request):
    branch = _branch(request)
    return render(request, "lobby/_today.html", _today_context(branch))


@login_required
def overdue(request):
    branch = _branch(request)
    return render(request, "lobby/_overdue.html", _today_context(branch))


@login_required
@require_POST
def walkin(request):
    branch = _branch(request)
    form = forms.WalkInForm(request.POST)
    try:
        walk_in = services.walkin_register(
            actor=request.user, data=request.POST.dict(), branch_id=branch.pk
        )
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        _errors_onto(form, exc.errors)
        status = 200 if request.htmx else 422
        if request.htmx:
            return render(request, "lobby/_walkin_form.html", {"form": form}, status=status)
        return render(
            request, "lobby/home.html", _home_context(request, branch, form), status=status
        )
    if not request.htmx:
        messages.success(
            request, _("Walk-in registered: %(name)s") % {"name": walk_in.display_name}
        )
        return redirect("lobby:home")
    context = {
        **_today_context(branch),
        "form": forms.WalkInForm(),
        "walk_in": walk_in,
        "prompts": care_prompts(request, branch.pk, walk_in.customer_id),
        "just_registered": True,
    }
    return render(request, "lobby/_walkin_registered.html", context)


@login_required
def handoff(request):
    """GET: the hand-off form for a walk-in or customer; POST: hand over."""
    branch = _branch(request)
    rms = list(services.branch_rms(branch.pk))
    source = request.POST if request.method == "POST" else request.GET
    walk_in = (
        WalkIn.objects.filter(pk=_int(source.get("walk_in")), branch=branch)
        .select_related("customer")
        .first()
    )
    customer = (
        walk_in.customer
        if walk_in
        else Customer.objects.filter(pk=_int(source.get("customer"))).first()
    )
    if request.method == "POST":
        form = forms.HandoffForm(request.POST, rms=rms)
        try:
            created = services.handoff_create(
                actor=request.user,
                walk_in_id=walk_in.pk if walk_in else None,
                customer_id=customer.pk if customer and not walk_in else None,
                assigned_to_id=_int(request.POST.get("assigned_to")),
                due_on=request.POST.get("due_on", ""),
                note=request.POST.get("note", ""),
            )
        except (PermissionDenied, NotFound) as exc:
            return HttpResponseForbidden(str(exc))
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
            return render(
                request,
                "lobby/_handoff_form.html",
                {"form": form, "walk_in": walk_in, "customer": customer, "branch": branch},
                status=200 if request.htmx else 422,
            )
        text = _("Handed to %(rm)s, due %(due)s.") % {
            "rm": created.assigned_to.name,
            "due": created.due_on.isoformat(),
        }
        if not request.htmx:
            messages.success(request, text)
            return redirect("lobby:home")
        return render(
            request,
            "lobby/_action_done.html",
            {**_today_context(branch), "message": text, "refresh": True},
        )
    form = forms.HandoffForm(
        initial={"walk_in": walk_in.pk if walk_in else None, "customer": customer and customer.pk},
        rms=rms,
    )
    return render(
        request,
        "lobby/_handoff_form.html",
        {"form": form, "walk_in": walk_in, "customer": customer, "branch": branch},
    )


@login_required
def followup(request):
    """GET: the follow-up form for a walk-in or customer; POST: plan it."""
    if scope_for(request.user, Action.FOLLOWUP_WORK) == Scope.NONE:
        raise DjangoPermissionDenied
    me = staff_of(request.user)
    source = request.POST if request.method == "POST" else request.GET
    walk_in = (
        WalkIn.objects.filter(pk=_int(source.get("walk_in")), branch_id=me.unit_id)
        .select_related("customer")
        .first()
    )
    customer = (
        walk_in.customer
        if walk_in
        else Customer.objects.filter(pk=_int(source.get("customer"))).first()
    )
    colleagues = (
        list(selectors.branch_staff(me.unit_id))
        if allows_unit(request.user, Action.LOBBY_WORK, me.unit_id)
        else [me]
    )
    if request.method == "POST":
        form = forms.FollowUpForm(request.POST, staff=colleagues, me=me)
        try:
            created = services.followup_create(
                actor=request.user,
                customer_id=customer.pk if customer else None,
                kind=request.POST.get("kind", ""),
                due_at=request.POST.get("due_at", ""),
                assigned_to_id=_int(request.POST.get("assigned_to")),
                note=request.POST.get("note", ""),
                walk_in_id=walk_in.pk if walk_in else None,
            )
        except PermissionDenied as exc:
            return HttpResponseForbidden(str(exc))
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
            return render(
                request,
                "lobby/_followup_form.html",
                {
                    "form": form,
                    "walk_in": walk_in,
                    "customer": customer,
                    "origin": request.POST.get("from", ""),
                },
                status=200 if request.htmx else 422,
            )
        text = _("Follow-up %(kind)s planned for %(when)s, assigned to %(who)s.") % {
            "kind": created.get_kind_display(),
            "when": timezone.localtime(created.due_at).strftime("%Y-%m-%d %H:%M"),
            "who": created.assigned_to.name,
        }
        if not request.htmx:
            messages.success(request, text)
            return redirect(_safe_next(request, "lobby:tasks"))
        context = {
            "message": text,
            "refresh": allows_unit(request.user, Action.LOBBY_WORK, me.unit_id),
        }
        if context["refresh"]:
            context.update(_today_context(me.unit))
        if request.POST.get("from") == "tasks":
            return render(
                request, "lobby/_tasks_refresh.html", _tasks_context(request, message=text)
            )
        return render(request, "lobby/_action_done.html", context)
    form = forms.FollowUpForm(
        initial={"walk_in": walk_in.pk if walk_in else None, "customer": customer and customer.pk},
        staff=colleagues,
        me=me,
    )
    return render(
        request,
        "lobby/_followup_form.html",
        {"form": form, "walk_in": walk_in, "customer": customer, "origin": source.get("from", "")},
    )


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- my hand-offs and follow-ups ------------------------------------------------------------


def _tasks_context(request, **extra) -> dict:
    context = selectors.my_tasks(request.user)
    for h in context["handoffs"]:
        h.masked_phone = _customer_phone(h.customer, h.walk_in)
    for fu in context["followups"]:
        fu.masked_phone = _customer_phone(fu.customer, fu.walk_in if fu.walk_in_id else None)
    context["outcomes"] = Handoff.Outcome.choices
    context.update(extra)
    return context


def _customer_phone(customer, walk_in) -> str:
    if walk_in is not None and walk_in.phone:
        return mask_phone(walk_in.phone)
    phone = customer.phones.first()
    return mask_phone(phone.e164) if phone else ""


@login_required
def tasks(request):
    if scope_for(request.user, Action.FOLLOWUP_WORK) == Scope.NONE:
        raise DjangoPermissionDenied
    template = "lobby/_tasks.html" if request.htmx else "lobby/tasks.html"
    return render(request, template, _tasks_context(request))


@login_required
@require_POST
def handoff_complete(request, handoff_id: int):
    cancel = request.POST.get("action") == "cancel"
    try:
        services.handoff_complete(
            actor=request.user,
            handoff_id=handoff_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            cancel=cancel,
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        context = _tasks_context(request, failed=("handoff", handoff_id), errors=exc.errors)
        if request.htmx:
            return render(request, "lobby/_tasks.html", context)
        return render(request, "lobby/tasks.html", context, status=422)
    text = _("Hand-off cancelled.") if cancel else _("Hand-off closed.")
    return _after_task(request, text)


@login_required
@require_POST
def followup_complete(request, followup_id: int):
    cancel = request.POST.get("action") == "cancel"
    try:
        services.followup_complete(
            actor=request.user,
            followup_id=followup_id,
            result=request.POST.get("result", ""),
            cancel=cancel,
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        context = _tasks_context(request, failed=("followup", followup_id), errors=exc.errors)
        if request.htmx:
            return render(request, "lobby/_tasks.html", context)
        return render(request, "lobby/tasks.html", context, status=422)
    text = _("Follow-up cancelled.") if cancel else _("Follow-up recorded.")
    return _after_task(request, text)


def _after_task(request, text: str):
    if request.POST.get("next") == "lobby":
        if request.htmx:
            branch = staff_of(request.user).unit
            return render(request, "lobby/_overdue.html", _today_context(branch))
        return redirect("lobby:home")
    if request.htmx:
        return render(request, "lobby/_tasks.html", _tasks_context(request, message=text))
    messages.success(request, text)
    return redirect("lobby:tasks")


# --- reports ---------------------------------------------------------------------------------


def _report_scope(request):
    """(branches the actor may report on, whether "all branches" is allowed)."""
    actions = (Action.LOBBY_WORK, Action.FLOOR_REPORT)
    scope = max(scope_for(request.user, a) for a in actions)
    if scope == Scope.NONE:
        raise DjangoPermissionDenied
    return branches_for(request.user, *actions), scope == Scope.ALL


def _report_filters(request, default_days: int):
    branches, allow_all = _report_scope(request)
    form = forms.ReportFilterForm(request.GET or None, branches=branches, allow_all=allow_all)
    today = timezone.localdate()
    day_from, day_to = today - datetime.timedelta(days=default_days - 1), today
    branch_id = None if allow_all else (branches[0].pk if branches else -1)
    if form.is_bound and form.is_valid():
        day_from = form.cleaned_data["day_from"] or day_from
        day_to = form.cleaned_data["day_to"] or day_to
        if form.cleaned_data["branch"]:
            branch_id = int(form.cleaned_data["branch"])
        if day_from > day_to:
            form.add_error("day_to", _("The end date is before the start date."))
            day_from, day_to = day_to, day_from
        if (day_to - day_from).days > 731:
            form.add_error("day_from", _("Choose at most two years."))
            day_from = day_to - datetime.timedelta(days=731)
    if not form.is_bound:
        form = forms.ReportFilterForm(
            initial={"day_from": day_from, "day_to": day_to, "branch": branch_id or ""},
            branches=branches,
            allow_all=allow_all,
        )
    return form, branch_id, day_from, day_to


@login_required
def known(request):
    form, branch_id, day_from, day_to = _report_filters(request, 30)
    rows = selectors.customers_known_report(branch_id, day_from, day_to)
    return render(
        request,
        "lobby/known.html",
        {"form": form, "rows": rows, "day_from": day_from, "day_to": day_to},
    )


@login_required
def advertising(request):
    form, branch_id, day_from, day_to = _report_filters(request, 56)
    effect = selectors.advertising_effect(branch_id, day_from, day_to)
    labels = dict(WalkIn.Channel.choices)
    context = {
        "form": form,
        "effect": effect,
        "day_from": day_from,
        "day_to": day_to,
        "channel_rows": [
            (labels.get(code, code), totals) for code, totals in effect.channel_totals.items()
        ],
        "campaign_rows": [
            (name or _("No campaign"), totals) for name, totals in effect.campaign_totals.items()
        ],
        "weekly_rows": [
            (labels.get(code, code), [series[w].walk_ins for w in effect.weeks])
            for code, series in effect.by_channel.items()
        ],
    }
    if effect.total.walk_ins:
        context["channel_chart"] = charts.walkins_by_channel_chart(effect)
        context["campaign_chart"] = charts.funnel_by_campaign_chart(effect)
    return render(request, "lobby/advertising.html", context)


# --- recognitions ----------------------------------------------------------------------------


@login_required
@require_POST
def recognise(request):
    """A teller or lobby manager records that they know this customer (htmx: the button)."""
    try:
        recognition = services.recognition_record(
            actor=request.user,
            customer_id=_int(request.POST.get("customer_id")),
            ticket_id=_int(request.POST.get("ticket_id")),
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        return HttpResponse("; ".join(m for ms in exc.errors.values() for m in ms), status=400)
    if not request.htmx:
        messages.success(request, _("Recorded: you know this customer."))
        return redirect(_safe_next(request, "lobby:home"))
    return render(
        request,
        "lobby/_recognise_button.html",
        {"customer": recognition.customer, "ticket": recognition.ticket, "recognised": True},
    )
