"""The staff page for appointments (/floor/appointments/): today's and the coming days'
bookings at a branch, booking a slot for a customer found by search, cancelling, and checking a
customer in at the desk (which issues their ticket).

Staff with FLOOR_BOOK at the branch use it: tellers, lobby and branch managers at their own
branch; bank-wide roles (the contact centre's agents) choose the branch. Each view calls one
function of `floor.appointments`; errors are shown on the field they name. With htmx the
customer search, the free times and the list update in place (the list live, as bookings
change); without JavaScript every form still works."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicefirst.accounts.permissions import staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.fields import mask_phone
from servicefirst.customers.selectors import customer_get, customer_search
from servicefirst.floor import appointments, selectors
from servicefirst.floor.models import Appointment, Ticket

SEARCH_SHOWN = 8  # customers the search lists


def _errors(errors: dict | None) -> dict:
    out = dict(errors or {})
    if "__all__" in out:
        out["general"] = out.pop("__all__")
    return out


def _branches(request) -> list:
    branches = appointments.bookable_branches(request.user)
    if not branches:
        raise DjangoPermissionDenied(_("You may not book appointments."))
    return branches


def _branch(request, branches: list, code: str):
    """The branch asked for (?branch=code) among the actor's; else their own branch, or the
    only one they may work; None when they must choose."""
    if code:
        branch = next((b for b in branches if b.code == code), None)
        if branch is None:
            raise Http404(_("No such branch."))
        return branch
    staff = staff_of(request.user)
    own = next((b for b in branches if staff and b.pk == staff.unit_id), None)
    return own or (branches[0] if len(branches) == 1 else None)


def _page_url(branch, **params) -> str:
    query = urlencode({"branch": branch.code, **params})
    return f"{reverse('floor:appointments')}?{query}"


def _list_context(request, branch) -> dict:
    now = timezone.now()
    today = timezone.localdate(now)
    rows = appointments.appointments_upcoming(actor=request.user, branch_id=branch.pk, now=now)
    for a in rows:
        a.masked_phone = mask_phone(a.phone)
        a.day = timezone.localtime(a.slot_start).date()
        a.is_today = a.day == today
        a.can_check_in = a.is_today and a.status in (
            Appointment.Status.BOOKED,
            Appointment.Status.MISSED,
        )
        a.can_cancel = a.status == Appointment.Status.BOOKED
    return {
        "branch": branch,
        "rows": rows,
        "today": today,
        "todays": sum(1 for a in rows if a.is_today),
        "list_url": _page_url(branch, part="list"),
    }


def _parse_day(value: str, days: list[datetime.date]) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if day in days else None


def _customers(request, data) -> tuple[list, object, str]:
    """The customers found by the search box, with the chosen one kept at the top."""
    query = (data.get("q") or "").strip()[:100]
    found = customer_search(actor=request.user, query=query, limit=SEARCH_SHOWN) if query else []
    chosen = None
    chosen_id = (data.get("customer_id") or "").strip()
    if chosen_id.isdigit():
        chosen = next((c for c in found if c.pk == int(chosen_id)), None)
        if chosen is None:
            try:
                chosen = customer_get(actor=request.user, customer_id=int(chosen_id))
            except NotFound:
                chosen = None
            else:
                found = [chosen, *found]
    for customer in found:
        phones = list(customer.phones.all())
        customer.masked_phone = mask_phone(phones[0].e164) if phones else ""
    return found, chosen, query


def _form_context(request, branch, data, *, errors=None) -> dict:
    services = selectors.services_offered(branch.pk)
    service = next((s for s in services if s.code == data.get("service")), None)
    days = appointments.booking_days()
    day = _parse_day(data.get("day", ""), days) or days[0]
    slots = appointments.slots(branch.pk, service.code, day) if service else None
    customers, chosen, query = _customers(request, data)
    return {
        "services": services,
        "service": service,
        "days": days,
        "day": day,
        "slots": slots,
        "has_free": any(s.free for s in slots or []),
        "slot": data.get("slot", ""),
        "q": query,
        "customers": customers,
        "chosen": chosen,
        "phone": data.get("phone", ""),
        "errors": _errors(errors),
    }


def _page(request, branches, branch, data, *, errors=None, status=200):
    context = {"branches": branches, "branch": branch}
    if branch is not None:
        context.update(_list_context(request, branch))
        context.update(_form_context(request, branch, data, errors=errors))
    return render(request, "floor/appointments.html", context, status=status)


@login_required
@require_GET
def page(request):
    """The page; `?part=list` only the list of appointments (its live refresh)."""
    branches = _branches(request)
    branch = _branch(request, branches, request.GET.get("branch", ""))
    if branch is not None and request.GET.get("part") == "list":
        return render(request, "floor/_appointments_list.html", _list_context(request, branch))
    return _page(request, branches, branch, request.GET)


@login_required
@require_POST
def book(request):
    """Book the chosen slot for the chosen customer; errors on their fields (422)."""
    branches = _branches(request)
    branch = _branch(request, branches, request.POST.get("branch", ""))
    if branch is None:
        raise Http404(_("No such branch."))
    try:
        appointment = appointments.appointment_book_for_customer(
            actor=request.user,
            branch_id=branch.pk,
            service_code=request.POST.get("service", ""),
            slot_start=request.POST.get("slot", ""),
            customer_id=request.POST.get("customer_id", ""),
            phone=request.POST.get("phone", "")[:40],
        )
    except ValidationFailed as exc:
        return _page(request, branches, branch, request.POST, errors=exc.errors, status=422)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    messages.success(
        request,
        _("Booked %(reference)s: %(name)s, %(service)s, %(when)s.")
        % {
            "reference": appointment.reference,
            "name": appointment.name,
            "service": appointment.service,
            "when": timezone.localtime(appointment.slot_start).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return redirect(_page_url(branch))


def _act(request, appointment_id: int, do) -> tuple[object, str, str]:
    """Run a desk action on a booking: (branch, notice, error)."""
    _branches(request)
    appointment = Appointment.objects.filter(pk=appointment_id).select_related("branch").first()
    if appointment is None:
        raise Http404(_("No such booking."))
    try:
        notice = do(appointment)
    except ValidationFailed as exc:
        return appointment.branch, "", " ".join(m for ms in exc.errors.values() for m in ms)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return appointment.branch, notice, ""


def _after(request, branch, notice: str, error: str):
    if request.htmx:
        # The list, and the outcome in the messages area (out of band, so that the list's
        # live refresh does not wipe it).
        context = {**_list_context(request, branch), "notice": notice, "error": error, "oob": True}
        return render(request, "floor/_appointments_list.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(_page_url(branch))


@login_required
@require_POST
def check_in(request, appointment_id: int):
    """The customer has arrived: check the booking in and issue the ticket."""

    def do(appointment):
        ticket = appointments.appointment_desk_check_in(
            actor=request.user, appointment_id=appointment.pk
        )
        if ticket.priority_reason == Ticket.Reason.APPOINTMENT:
            return _(
                "%(name)s is checked in: ticket %(number)s, with the appointment priority."
            ) % {
                "name": appointment.name,
                "number": ticket.number,
            }
        return _("%(name)s is checked in: ticket %(number)s.") % {
            "name": appointment.name,
            "number": ticket.number,
        }

    return _after(request, *_act(request, appointment_id, do))


@login_required
@require_POST
def cancel(request, appointment_id: int):
    def do(appointment):
        appointments.appointment_desk_cancel(actor=request.user, appointment_id=appointment.pk)
        return _("Booking %(reference)s is cancelled.") % {"reference": appointment.reference}

    return _after(request, *_act(request, appointment_id, do))
