"""Public floor pages, no login: the kiosk (take a ticket, check in an appointment, print the
ticket), the public display (called numbers and counters, live), and appointment booking.

They show ticket numbers and counters only — never a customer's name or other personal data.
Each view reads the request, calls one service or selector, and shows errors on the field the
service names."""

import datetime
import math

from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.fields import mask_phone
from servicefirst.floor import appointments, issuing, prediction, selectors
from servicefirst.floor.models import Service, Ticket

TICKET_SALT = "floor.kiosk.ticket"
_TRUE = {"1", "on", "true", "yes"}


def _branch(code: str):
    try:
        return selectors.branch_by_code(code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def ticket_token(ticket: Ticket) -> str:
    """The printed ticket's address: signed, so tickets cannot be browsed by id."""
    return signing.Signer(salt=TICKET_SALT).sign(str(ticket.pk))


def _ticket_from(token: str, branch) -> Ticket:
    try:
        pk = int(signing.Signer(salt=TICKET_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise Http404("No such ticket.") from exc
    ticket = (
        Ticket.objects.select_related("service", "counter").filter(pk=pk, branch=branch).first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _errors(errors: dict | None) -> dict:
    """A service's field errors for a template ("__all__" cannot be read there: "general")."""
    out = dict(errors or {})
    if "__all__" in out:
        out["general"] = out.pop("__all__")
    return out


def wait_minutes(seconds: float | None) -> int:
    """Minutes to show for a wait: 0 (you are next) or at least 1, rounded up."""
    if not seconds or seconds < 30:
        return 0
    return max(1, math.ceil(seconds / 60))


# --- kiosk -----------------------------------------------------------------------------------


def _kiosk_services(branch) -> list[dict]:
    rows = selectors.queue_summary(branch.pk)
    for row in rows:
        row["wait_minutes"] = wait_minutes(row["predicted_wait_s"])
    return rows


def _kiosk(request, branch, *, errors=None, check_in_errors=None, status=200):
    data = request.POST if request.method == "POST" else {}
    return render(
        request,
        "floor/kiosk.html",
        {
            "branch": branch,
            "services": _kiosk_services(branch),
            "errors": _errors(errors),
            "check_in_errors": _errors(check_in_errors),
            "identify": data.get("identify", ""),
            "elderly": data.get("elderly", "") in _TRUE,
            "disabled": data.get("disabled", "") in _TRUE,
            "reference": data.get("reference", ""),
            "check_in_phone": data.get("check_in_phone", ""),
        },
        status=status,
    )


def kiosk(request, branch_code: str):
    """GET: choose a service (optionally identify, say elderly / disabled). POST: the ticket."""
    branch = _branch(branch_code)
    if request.method != "POST":
        return _kiosk(request, branch)
    try:
        ticket = issuing.ticket_issue(
            branch_id=branch.pk,
            service_code=request.POST.get("service", ""),
            identify=request.POST.get("identify", "")[:40],
            elderly=request.POST.get("elderly", "") in _TRUE,
            disabled=request.POST.get("disabled", "") in _TRUE,
            actor=request.user if request.user.is_authenticated else None,
        )
    except ValidationFailed as exc:
        return _kiosk(request, branch, errors=exc.errors, status=422)
    return redirect("floor:kiosk_ticket", branch_code=branch.code, token=ticket_token(ticket))


@require_GET
def kiosk_services(request, branch_code: str):
    """The kiosk's service buttons with their current waits (refreshed live)."""
    branch = _branch(branch_code)
    return render(
        request,
        "floor/_kiosk_services.html",
        {"branch": branch, "services": _kiosk_services(branch)},
    )


@require_POST
def kiosk_check_in(request, branch_code: str):
    """Check an appointment in by booking reference or phone; shows its ticket."""
    branch = _branch(branch_code)
    try:
        ticket = appointments.appointment_check_in(
            branch_id=branch.pk,
            reference=request.POST.get("reference", "")[:20],
            phone=request.POST.get("check_in_phone", "")[:40],
            actor=request.user if request.user.is_authenticated else None,
        )
    except ValidationFailed as exc:
        errors = dict(exc.errors)
        if "phone" in errors:
            errors["check_in_phone"] = errors.pop("phone")
        return _kiosk(request, branch, check_in_errors=errors, status=422)
    return redirect("floor:kiosk_ticket", branch_code=branch.code, token=ticket_token(ticket))


def _ticket_context(ticket: Ticket) -> dict:
    now = timezone.now()
    waiting = ticket.status == Ticket.Status.WAITING
    ahead = selectors.people_ahead(ticket, now=now) if waiting else 0
    wait_s = (
        prediction.predict_wait_s(ticket.branch_id, ticket.service_id, ticket=ticket, now=now)
        if waiting
        else 0
    )
    return {
        "ticket": ticket,
        "waiting": waiting,
        "ahead": ahead,
        "wait_minutes": wait_minutes(wait_s),
        "appointment_priority": ticket.priority_reason == Ticket.Reason.APPOINTMENT,
    }


@require_GET
def kiosk_ticket(request, branch_code: str, token: str):
    """The ticket: number, people ahead, estimated wait (kept up to date), print button. With
    ?part=status only the status fragment (for the live refresh)."""
    branch = _branch(branch_code)
    ticket = _ticket_from(token, branch)
    context = {"branch": branch, "token": token, **_ticket_context(ticket)}
    if request.GET.get("part") == "status":
        return render(request, "floor/_kiosk_ticket_status.html", context)
    return render(request, "floor/kiosk_ticket.html", context)


# --- public display --------------------------------------------------------------------------


def _display_context(branch) -> dict:
    state = selectors.display_state(branch.pk)
    fresh = timezone.now() - datetime.timedelta(seconds=20)
    for row in state["called"]:
        row["fresh"] = row["called_at"] >= fresh
    return {
        "branch": branch,
        "state": state,
        "latest": state["called"][:1],
        "earlier": state["called"][1:],
    }


@require_GET
def display(request, branch_code: str):
    branch = _branch(branch_code)
    return render(request, "floor/display.html", _display_context(branch))


@require_GET
def display_state(request, branch_code: str):
    branch = _branch(branch_code)
    return render(request, "floor/_display_state.html", _display_context(branch))


# --- appointment booking ---------------------------------------------------------------------


def _parse_day(value: str, days: list[datetime.date]) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if day in days else None


def _book_context(request, data, *, errors=None) -> dict:
    branches = selectors.branches()
    branch = next((b for b in branches if b.code == data.get("branch")), None)
    services: list[Service] = selectors.services_offered(branch.pk) if branch else []
    service = next((s for s in services if s.code == data.get("service")), None)
    days = appointments.booking_days()
    day = _parse_day(data.get("day", ""), days)
    slots = None
    if branch and service and day:
        slots = appointments.slots(branch.pk, service.code, day)
    return {
        "branches": branches,
        "branch": branch,
        "services": services,
        "service": service,
        "days": days,
        "day": day,
        "slots": slots,
        "has_free": any(s.free for s in slots or []),
        "slot": data.get("slot", ""),
        "name": data.get("name", ""),
        "phone": data.get("phone", ""),
        "errors": _errors(errors),
    }


def book(request):
    """Book an appointment: branch, service, day, a slot with free places, then name and
    mobile. Without JavaScript "Show free times" reloads the form; with htmx it updates as the
    choices change."""
    if request.method != "POST":
        return render(request, "floor/book.html", _book_context(request, request.GET))
    data = request.POST
    branch = next((b for b in selectors.branches() if b.code == data.get("branch")), None)
    if branch is None:
        errors = {"branch": [_("Choose a branch.")]}
        return render(
            request, "floor/book.html", _book_context(request, data, errors=errors), status=422
        )
    try:
        appointment = appointments.appointment_book(
            branch_id=branch.pk,
            service_code=data.get("service", ""),
            slot_start=data.get("slot", ""),
            name=data.get("name", "")[:100],
            phone=data.get("phone", "")[:40],
        )
    except ValidationFailed as exc:
        return render(
            request, "floor/book.html", _book_context(request, data, errors=exc.errors), status=422
        )
    except PermissionDenied as exc:  # pragma: no cover - public bookings name no customer
        raise Http404(str(exc)) from exc
    return redirect("floor:book_done", reference=appointment.reference)


@require_GET
def book_done(request, reference: str):
    try:
        appointment = appointments.appointment_get(reference)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "floor/book_done.html",
        {
            "appointment": appointment,
            "masked_phone": mask_phone(appointment.phone),
            "kiosk_url": reverse("floor:kiosk", args=[appointment.branch.code]),
        },
    )


def book_cancel(request):
    """Cancel a booking with its reference and the phone it was booked with."""
    data = request.POST if request.method == "POST" else request.GET
    context = {"reference": data.get("reference", ""), "phone": data.get("phone", ""), "errors": {}}
    if request.method == "POST":
        try:
            context["cancelled"] = appointments.appointment_cancel(
                reference=data.get("reference", "")[:20], phone=data.get("phone", "")[:40]
            )
        except ValidationFailed as exc:
            context["errors"] = _errors(exc.errors)
            return render(request, "floor/book_cancel.html", context, status=422)
    return render(request, "floor/book_cancel.html", context)
