"""Staff pages for service requests: the queues (htmx filters), a new request taken at a counter,
by phone or by letter, and one request with its conversation, internal notes, transfers, the
clocks of its commitments and the actions on it. Each view parses the request and calls one
service or selector; a service's field errors come back on the page (422)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.selectors import customer_get, customer_search, masked_profile
from servicefirst.servicedesk import charts, reports, selectors, services
from servicefirst.servicedesk.models import Kind, RequestTransfer, ServiceRequest

FILTERS = ("status", "kind", "category", "channel", "unit", "overdue", "q")
STAFF_CHANNELS = ("counter", "phone", "letter", "app", "wechat")
_TRUE = {"1", "on", "true", "yes"}


def _require_work(request) -> None:
    if selectors.request_scope(request.user) == 0:
        raise DjangoPermissionDenied


def _errors(errors: dict | None) -> dict:
    out = dict(errors or {})
    if "__all__" in out:
        out["general"] = out.pop("__all__")
    return out


def _without_page(params) -> str:
    q = params.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def request_list(request):
    _require_work(request)
    actor = request.user
    filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
    filters["overdue"] = filters["overdue"] in _TRUE
    queue = request.GET.get("queue") or "mine"
    result = selectors.request_queue(
        actor=actor, queue=queue, filters=filters, page=request.GET.get("page") or 1
    )
    staff = staff_of(actor)
    context = {
        "queue": result,
        "queues": selectors.queue_names(actor),
        "filters": filters,
        "statuses": ServiceRequest.Status.choices,
        "kinds": Kind.choices,
        "channels": ServiceRequest.Channel.choices,
        "categories": selectors.categories(),
        "units": selectors.filter_units(actor),
        "staff_unit": staff.unit if staff else None,
        "query": _without_page(request.GET),
    }
    if request.htmx and request.htmx.target == "sd-results":
        return render(request, "servicedesk/_results.html", context)
    return render(request, "servicedesk/list.html", context)


@login_required
def customer_pick(request):
    """htmx: customers matching the search, to choose one for a new request or to link a
    request to (masked)."""
    _require_work(request)
    query = request.GET.get("customer_q", "").strip()
    found = []
    if scope_for(request.user, Action.CUSTOMER_VIEW) > 0 and len(query) >= 2:
        found = [
            (c, masked_profile(c))
            for c in customer_search(actor=request.user, query=query, limit=8)
        ]
    return render(
        request,
        "servicedesk/_customer_pick.html",
        {
            "found": found,
            "query": query,
            "chosen": request.GET.get("customer_id", ""),
            "linking": request.GET.get("for") == "link",
        },
    )


@login_required
def request_new(request):
    _require_work(request)
    errors: dict = {}
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            req = services.open_request(
                actor=request.user,
                kind=data.get("kind", ""),
                category_code=data.get("category", ""),
                channel=data.get("channel", ""),
                subject=data.get("subject", ""),
                description=data.get("description", ""),
                customer_id=data.get("customer_id") or None,
                contact_name=data.get("contact_name", ""),
                contact_phone=data.get("contact_phone", ""),
                contact_email=data.get("contact_email", ""),
                language=data.get("language", "zh"),
                severity=data.get("severity", ""),
                assign_to_me=data.get("assign_to_me", "") in _TRUE,
            )
        except ValidationFailed as exc:
            errors = _errors(exc.errors)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Opened %(number)s.") % {"number": req.number})
            return redirect("servicedesk:detail", pk=req.pk)
    chosen = None
    if str(data.get("customer_id", "")).isdigit():
        try:
            chosen = customer_get(actor=request.user, customer_id=int(data["customer_id"]))
        except NotFound:
            chosen = None
    return render(
        request,
        "servicedesk/new.html",
        {
            "data": data,
            "errors": errors,
            "kinds": Kind.choices,
            "channels": [c for c in ServiceRequest.Channel.choices if c[0] in STAFF_CHANNELS],
            "categories": selectors.categories(),
            "languages": ServiceRequest.Language.choices,
            "chosen": chosen,
            "chosen_masked": masked_profile(chosen) if chosen else None,
        },
        status=422 if errors else 200,
    )


def _detail(request, pk: int, *, errors=None, posted=None, form="", record=True, status=200):
    try:
        detail = selectors.request_detail(actor=request.user, request_id=pk, record=record)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "servicedesk/detail.html",
        {
            "d": detail,
            "r": detail.request,
            "errors": _errors(errors),
            "posted": posted or {},
            "form": form,
            "public_url": request.build_absolute_uri(
                reverse("servicedesk:public_status", args=[detail.request.public_token])
            ),
            "me": staff_of(request.user),
        },
        status=status,
    )


@login_required
def request_detail(request, pk: int):
    _require_work(request)
    return _detail(request, pk)


@login_required
def request_clocks(request, pk: int):
    """htmx: the clocks panel, polled every 30 seconds."""
    _require_work(request)
    try:
        req = selectors.request_get(actor=request.user, request_id=pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request, "servicedesk/_clocks.html", {"r": req, "clocks": selectors.request_clocks(req)}
    )


ACTIONS = {
    "reply": lambda actor, pk, p: services.reply_to_customer(
        actor=actor, request_id=pk, body=p.get("body", "")
    ),
    "note": lambda actor, pk, p: services.add_note(
        actor=actor, request_id=pk, body=p.get("note", "")
    ),
    "wait": lambda actor, pk, p: services.wait_for_customer(
        actor=actor, request_id=pk, message=p.get("message", "")
    ),
    "resolve": lambda actor, pk, p: services.resolve(
        actor=actor, request_id=pk, resolution=p.get("resolution", "")
    ),
    "close": lambda actor, pk, p: services.close(actor=actor, request_id=pk),
    "link": lambda actor, pk, p: services.link_customer(
        actor=actor, request_id=pk, customer_id=p.get("customer_id")
    ),
    "cancel": lambda actor, pk, p: services.cancel(
        actor=actor, request_id=pk, reason=p.get("reason", "")
    ),
    "assign": lambda actor, pk, p: services.assign(
        actor=actor,
        request_id=pk,
        assignee_id=int(p["assignee"]) if str(p.get("assignee", "")).isdigit() else None,
    ),
    "transfer": lambda actor, pk, p: services.transfer(
        actor=actor, request_id=pk, to_unit_id=p.get("to_unit") or None, reason=p.get("reason", "")
    ),
}

DONE = {
    "reply": gettext_lazy("Sent to the customer."),
    "note": gettext_lazy("Note added."),
    "wait": gettext_lazy("Waiting for the customer; the clock is paused."),
    "resolve": gettext_lazy("Resolved."),
    "close": gettext_lazy("Closed."),
    "cancel": gettext_lazy("Withdrawn."),
    "assign": gettext_lazy("Assignment saved."),
    "transfer": gettext_lazy("Sent to the unit."),
    "accept": gettext_lazy("Transfer accepted: the request is yours."),
    "answer": gettext_lazy("Transfer answered."),
    "link": gettext_lazy("Linked to the customer: the request is on their timeline."),
}


@login_required
@require_POST
def request_act(request, pk: int, action: str):
    _require_work(request)
    if action not in ACTIONS:
        raise Http404
    if action == "assign" and request.POST.get("assignee") == "me":
        me = staff_of(request.user)
        post = request.POST.copy()
        post["assignee"] = str(me.pk)
    else:
        post = request.POST
    try:
        ACTIONS[action](request.user, pk, post)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        return _detail(
            request, pk, errors=exc.errors, posted=post, form=action, record=False, status=422
        )
    messages.success(request, str(DONE[action]))
    if action == "transfer" and not _still_visible(request.user, pk):
        return redirect("servicedesk:list")
    return redirect("servicedesk:detail", pk=pk)


def _still_visible(actor, pk: int) -> bool:
    try:
        selectors.request_get(actor=actor, request_id=pk)
    except NotFound:
        return False
    return True


@login_required
@require_POST
def transfer_act(request, pk: int, action: str):
    """Accept or answer a transfer sent to the actor's unit."""
    _require_work(request)
    moved = RequestTransfer.objects.filter(pk=pk).only("request_id").first()
    if moved is None or action not in ("accept", "answer"):
        raise Http404
    try:
        if action == "accept":
            services.accept_transfer(actor=request.user, transfer_id=pk)
        else:
            services.answer_transfer(
                actor=request.user,
                transfer_id=pk,
                answer=request.POST.get("answer", ""),
                keep=request.POST.get("keep", "") in _TRUE,
            )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        return _detail(
            request,
            moved.request_id,
            errors=exc.errors,
            posted=request.POST,
            form=action,
            record=False,
            status=422,
        )
    messages.success(request, str(DONE[action]))
    return redirect("servicedesk:detail", pk=moved.request_id)


# --- the supervisors' report -----------------------------------------------------------------


def _report(request) -> tuple[reports.RequestReport, dict]:
    """The report for the query string; a bad field is reported and its default used."""
    if scope_for(request.user, Action.REQUEST_SUPERVISE) == 0:
        raise DjangoPermissionDenied
    errors: dict = {}
    try:
        period = reports.report_period(request.GET)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        period = reports.report_period({})
    unit_id = request.GET.get("unit", "")
    try:
        data = reports.request_report(actor=request.user, period=period, unit_id=unit_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        data = reports.request_report(actor=request.user, period=period)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    return data, errors


@login_required
def request_report(request):
    data, errors = _report(request)
    return render(
        request,
        "servicedesk/report.html",
        {
            "report": data,
            "errors": errors,
            "units": reports.report_units(request.user),
            "choose_unit": data.scope == Scope.ALL,
            "chart": charts.opened_resolved_chart(data),
            "query": request.GET.urlencode(),
        },
        status=400 if errors else 200,
    )


@login_required
def request_report_csv(request):
    data, errors = _report(request)
    if errors:
        text = "\n".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items())
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        "\ufeff" + reports.report_csv(data), content_type="text/csv; charset=utf-8"
    )
    scope = data.unit.code if data.unit else "all"
    name = f"requests-{scope}-{data.period.start.isoformat()}-{data.period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
