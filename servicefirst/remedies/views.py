"""Remedy pages: the queue of a unit, one remedy case (reason, apology, gift, closing), gifts
waiting for approval, gift stock and budgets, and the report. Each view parses the request and
calls one service or selector; a write redirects back with a notice."""

import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action, Scope, scope_for
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.remedies import charts, selectors, services
from servicefirst.remedies.models import Apology, GiftGrant, ReasonKind


def _requires(*actions: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if all(scope_for(request.user, a) == Scope.NONE for a in actions):
                raise DjangoPermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _run(request, call, success: str) -> bool:
    """Run a service call; a notice for the outcome. Errors become notices too."""
    try:
        call()
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        messages.error(request, exc.text())
        return False
    messages.success(request, success)
    return True


def _back(request, fallback: str):
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}):
        return redirect(url)
    return redirect(fallback)


# --- the queue and one case ------------------------------------------------------------------


@_requires(Action.REMEDY_WORK)
def queue(request):
    unit = selectors.chosen_unit(request.user, Action.REMEDY_WORK, request.GET.get("unit"))
    return render(
        request,
        "remedies/queue.html",
        {
            "unit": unit,
            "units": selectors.units_for(request.user, Action.REMEDY_WORK),
            "rows": selectors.remedy_queue(request.user, unit),
        },
    )


def _audit_view(request, remedy) -> None:
    """Opening a remedy case shows the customer's name in the apology: logged once per user
    and case."""
    seen = AuditEvent.objects.filter(
        actor=request.user,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer_id=remedy.customer_id,
        detail__remedy=remedy.pk,
    ).exists()
    if not seen:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="customer",
            object_id=remedy.customer_id,
            customer_id=remedy.customer_id,
            detail={"remedy": remedy.pk, "view": "remedy case"},
        )


@_requires(Action.REMEDY_WORK)
def detail(request, remedy_id: int):
    try:
        remedy = selectors.remedy_get(actor=request.user, remedy_id=remedy_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    _audit_view(request, remedy)
    budget = selectors.budget_status(remedy.unit)
    grant = GiftGrant.objects.filter(remedy=remedy).select_related("gift", "given_by").first()
    return render(
        request,
        "remedies/detail.html",
        {
            "remedy": remedy,
            "customer": selectors.customer_masked(remedy),
            "late": selectors.humanise(selectors.late_by(remedy.case)),
            "previews": selectors.apology_previews(remedy),
            "apologies": Apology.objects.filter(remedy=remedy).select_related("by"),
            "grant": grant,
            "budget": budget,
            "gifts": selectors.gift_choices(remedy.unit, budget),
            "reason_kinds": ReasonKind.choices,
            "may_approve": services.may_act(request.user, Action.REMEDY_APPROVE, remedy.unit_id),
            "closed": remedy.status == remedy.Status.CLOSED,
        },
    )


def _detail_url(remedy_id) -> str:
    return reverse("remedies:detail", args=[remedy_id])


@require_POST
@_requires(Action.REMEDY_WORK)
def reason(request, remedy_id: int):
    _run(
        request,
        lambda: services.record_reason(
            actor=request.user,
            remedy_id=remedy_id,
            reason_kind=request.POST.get("reason_kind", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("Recorded the reason."),
    )
    return redirect(_detail_url(remedy_id))


@require_POST
@_requires(Action.REMEDY_WORK)
def apologise(request, remedy_id: int):
    _run(
        request,
        lambda: services.apologise(
            actor=request.user, remedy_id=remedy_id, channel=request.POST.get("channel", "")
        ),
        _("The apology is recorded on the customer's timeline."),
    )
    return redirect(_detail_url(remedy_id))


@require_POST
@_requires(Action.REMEDY_WORK)
def gift(request, remedy_id: int):
    result = {}

    def give():
        result["grant"] = services.give_gift(
            actor=request.user, remedy_id=remedy_id, gift_id=request.POST.get("gift", "")
        )

    given = _run(request, give, _("Gift recorded."))
    if given and result["grant"].approval_status == GiftGrant.Approval.PENDING:
        messages.warning(
            request,
            _("This gift is over the month's budget: it waits for a manager's approval."),
        )
    return redirect(_detail_url(remedy_id))


@require_POST
@_requires(Action.REMEDY_WORK)
def close(request, remedy_id: int):
    _run(
        request,
        lambda: services.remedy_close(
            actor=request.user, remedy_id=remedy_id, note=request.POST.get("note", "")
        ),
        _("Remedy closed."),
    )
    return redirect(_detail_url(remedy_id))


# --- approvals -------------------------------------------------------------------------------


@_requires(Action.REMEDY_APPROVE, Action.GIFT_MANAGE)
def approvals(request):
    return render(
        request, "remedies/approvals.html", {"grants": selectors.pending_grants(request.user)}
    )


@require_POST
@_requires(Action.REMEDY_APPROVE)
def decide(request, grant_id: int):
    note = request.POST.get("note", "")
    if request.POST.get("decision") == "approve":
        _run(
            request,
            lambda: services.grant_approve(actor=request.user, grant_id=grant_id, note=note),
            _("Gift approved: the stock is taken."),
        )
    else:
        _run(
            request,
            lambda: services.grant_reject(actor=request.user, grant_id=grant_id, note=note),
            _("Gift declined."),
        )
    return _back(request, reverse("remedies:approvals"))


# --- gift stock and budgets ------------------------------------------------------------------


@_requires(Action.GIFT_MANAGE)
def gifts(request):
    unit = selectors.chosen_unit(request.user, Action.GIFT_MANAGE, request.GET.get("unit"))
    if unit is None:
        raise DjangoPermissionDenied
    return render(
        request,
        "remedies/gifts.html",
        {
            "unit": unit,
            "units": selectors.units_for(request.user, Action.GIFT_MANAGE),
            "stock": selectors.stock_rows(unit),
            "budgets": selectors.budgets(unit),
            "this_month": timezone.localdate().strftime("%Y-%m"),
        },
    )


def _gifts_url(unit_id) -> str:
    return f"{reverse('remedies:gifts')}?unit={unit_id}"


@require_POST
@_requires(Action.GIFT_MANAGE)
def stock_add(request):
    unit_id = request.POST.get("unit", "")
    _run(
        request,
        lambda: services.stock_add(
            actor=request.user,
            unit_id=unit_id,
            gift_id=request.POST.get("gift", ""),
            quantity=request.POST.get("quantity", ""),
        ),
        _("Stock updated."),
    )
    return redirect(_gifts_url(unit_id))


@require_POST
@_requires(Action.GIFT_MANAGE)
def budget_set(request):
    unit_id = request.POST.get("unit", "")
    _run(
        request,
        lambda: services.budget_set(
            actor=request.user,
            unit_id=unit_id,
            month=request.POST.get("month", ""),
            amount=request.POST.get("amount", ""),
        ),
        _("Budget saved."),
    )
    return redirect(_gifts_url(unit_id))


# --- the report ------------------------------------------------------------------------------


def _date(value: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return default


@_requires(Action.REMEDY_WORK)
def report(request):
    today = timezone.localdate()
    end = _date(request.GET.get("end", ""), today)
    start = _date(request.GET.get("start", ""), end - datetime.timedelta(days=29))
    if start > end:
        start, end = end, start
    data = selectors.remedy_report(request.user, start, end)
    return render(
        request,
        "remedies/report.html",
        {
            "report": data,
            "remedied_chart": charts.remedied_chart(data) if data.units else "",
            "cost_chart": charts.cost_chart(data) if data.units else "",
        },
    )
