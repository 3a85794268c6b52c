"""The teller's counter page: sign in at a counter, call, recall, no-show, transfer, serve out
of order, pause and finish; the waiting list (refreshed live) and, while a customer is at the
counter, their short profile with a cross-sell suggestion and the care prompts.

Each view calls one function of `serving.py`. With htmx an action answers with the counter
panel re-rendered (errors shown in it); without JavaScript it redirects back to the page with a
message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicefirst.accounts.permissions import Action, allows_unit, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.floor import serving
from servicefirst.floor.models import Counter, Service, Ticket
from servicefirst.insights.views_offer import offer_response


def _require_serve(request):
    """The actor's Staff, who must be allowed to serve at their branch's counters (403)."""
    staff = staff_of(request.user)
    if staff is None or not allows_unit(request.user, Action.FLOOR_SERVE, staff.unit_id):
        raise DjangoPermissionDenied(_("You may not serve at a counter."))
    return staff


def _care_prompts(request, ticket: Ticket) -> list | None:
    """The care prompts for the customer at the counter (None when the care app is absent)."""
    try:
        from servicefirst.care.services import prompts_for_visit
    except ImportError:  # pragma: no cover - the care app is part of the product
        return None
    try:
        return prompts_for_visit(
            actor=request.user,
            branch_id=ticket.branch_id,
            customer_id=ticket.customer_id,
            audience="teller",
            ticket_id=ticket.pk,
        )
    except (NotFound, PermissionDenied, ValidationFailed):
        return []


def _panel_context(request, counter: Counter, *, error: str = "", notice: str = "") -> dict:
    ticket = serving.current_ticket(counter)
    brief = prompts = None
    waited_min = None
    if ticket is not None:
        waited_min = int((ticket.called_at - ticket.issued_at).total_seconds() // 60)
        if ticket.customer_id:
            brief = serving.customer_brief(actor=request.user, ticket=ticket)
            prompts = _care_prompts(request, ticket) if brief else None
    return {
        "counter": counter,
        "counter_services": list(counter.services.all()),
        "ticket": ticket,
        "waited_min": waited_min,
        "serving_min": int((timezone.now() - ticket.called_at).total_seconds() // 60)
        if ticket
        else None,
        "brief": brief,
        "prompts": prompts,
        "outcomes": Ticket.Outcome.choices,
        "services": list(Service.objects.filter(is_active=True)),
        "other_counters": list(
            Counter.objects.filter(branch_id=counter.branch_id).exclude(pk=counter.pk)
        ),
        "error": error,
        "notice": notice,
    }


def _waiting_context(counter: Counter | None) -> dict:
    busy = counter is not None and serving.current_ticket(counter) is not None
    return {
        "counter": counter,
        "groups": serving.waiting_for_counter(counter) if counter else [],
        "busy": busy,
    }


@login_required
@require_GET
def teller(request):
    staff = _require_serve(request)
    counter = serving.teller_counter(actor=request.user)
    if counter is None:
        return render(
            request,
            "floor/teller.html",
            {
                "counters": serving.branch_counters(actor=request.user),
                "me": staff,
                "branch": staff.unit,
            },
        )
    return render(
        request,
        "floor/teller.html",
        {
            **_panel_context(request, counter),
            **_waiting_context(counter),
            "branch": counter.branch,
        },
    )


@login_required
@require_GET
def waiting(request):
    """The waiting list fragment (refreshed live on the page)."""
    _require_serve(request)
    counter = serving.teller_counter(actor=request.user)
    return render(request, "floor/teller_waiting.html", _waiting_context(counter))


def _counter_action(request, act, *, success: str = ""):
    """Run `act()`; answer with the counter panel (htmx) or a redirect to the page."""
    _require_serve(request)
    error, notice = "", ""
    try:
        notice = act() or success
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        error = exc.text()
    counter = serving.teller_counter(actor=request.user)
    if not request.htmx or counter is None:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("floor:teller")
            return response
        return redirect("floor:teller")
    response = render(
        request,
        "floor/teller_panel.html",
        {**_panel_context(request, counter, error=error, notice=notice), "oob": True},
    )
    response["HX-Trigger"] = "floor-changed"  # refresh the waiting list even without the socket
    return response


def _my_counter_id(request) -> int | None:
    counter = serving.teller_counter(actor=request.user)
    return counter.pk if counter else None


def _not_signed_in():
    raise ValidationFailed({"counter": [_("Sign in at a counter first.")]})


@login_required
@require_POST
def sign_in(request):
    def act():
        counter = serving.counter_sign_in(
            actor=request.user, counter_id=request.POST.get("counter_id", "")
        )
        return _("You are at counter %(number)s.") % {"number": counter.number}

    return _counter_action(request, act)


@login_required
@require_POST
def sign_out(request):
    def act():
        counter_id = _my_counter_id(request) or _not_signed_in()
        counter = serving.counter_sign_out(actor=request.user, counter_id=counter_id)
        return _("You have left counter %(number)s.") % {"number": counter.number}

    return _counter_action(request, act)


@login_required
@require_POST
def call(request):
    def act():
        counter_id = _my_counter_id(request) or _not_signed_in()
        ticket = serving.call_next(actor=request.user, counter_id=counter_id)
        if ticket is None:
            return _("Nobody is waiting for your services.")
        return _("Called %(number)s.") % {"number": ticket.number}

    return _counter_action(request, act)


@login_required
@require_POST
def pause(request):
    def act():
        counter_id = _my_counter_id(request) or _not_signed_in()
        serving.pause(
            actor=request.user, counter_id=counter_id, reason=request.POST.get("reason", "")
        )
        return _("Paused: no tickets are called at your counter.")

    return _counter_action(request, act)


@login_required
@require_POST
def resume(request):
    def act():
        counter_id = _my_counter_id(request) or _not_signed_in()
        serving.resume(actor=request.user, counter_id=counter_id)
        return _("Resumed.")

    return _counter_action(request, act)


@login_required
@require_POST
def recall(request, ticket_id: int):
    def act():
        ticket = serving.recall(actor=request.user, ticket_id=ticket_id)
        return _("Called %(number)s again.") % {"number": ticket.number}

    return _counter_action(request, act)


@login_required
@require_POST
def no_show(request, ticket_id: int):
    def act():
        ticket = serving.no_show(actor=request.user, ticket_id=ticket_id)
        return _("%(number)s marked as a no-show.") % {"number": ticket.number}

    return _counter_action(request, act)


@login_required
@require_POST
def transfer(request, ticket_id: int):
    def act():
        new = serving.transfer(
            actor=request.user,
            ticket_id=ticket_id,
            service_code=request.POST.get("service") or None,
            counter_id=request.POST.get("counter") or None,
        )
        if new.target_counter_id:
            return _("%(number)s transferred to counter %(counter)s.") % {
                "number": new.number,
                "counter": new.target_counter.number,
            }
        return _("%(number)s transferred to %(service)s.") % {
            "number": new.number,
            "service": new.service,
        }

    return _counter_action(request, act)


@login_required
@require_POST
def finish(request, ticket_id: int):
    def act():
        ticket = serving.finish(
            actor=request.user,
            ticket_id=ticket_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
        return _("%(number)s finished: %(outcome)s.") % {
            "number": ticket.number,
            "outcome": ticket.get_outcome_display(),
        }

    return _counter_action(request, act)


@login_required
def serve(request, ticket_id: int):
    """GET: the form asking why this ticket is served out of order; POST: call it."""
    _require_serve(request)
    counter = serving.teller_counter(actor=request.user)
    ticket = (
        Ticket.objects.filter(
            pk=ticket_id, branch_id=counter.branch_id, status=Ticket.Status.WAITING
        ).first()
        if counter
        else None
    )
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        if ticket is not None and not reason.strip():
            # Ask again, on the form itself, keeping the panel as it is.
            context = {
                "ticket": ticket,
                "reason": reason,
                "error": _("Say why this ticket is served out of order."),
            }
            if request.htmx:
                response = render(request, "floor/teller_serve_form.html", context)
                response["HX-Retarget"] = "#serve-specific"
                response["HX-Reswap"] = "outerHTML"
                return response
            return render(request, "floor/teller_serve.html", context, status=422)

        def act():
            counter_id = counter.pk if counter else _not_signed_in()
            called = serving.serve_specific(
                actor=request.user, counter_id=counter_id, ticket_id=ticket_id, reason=reason
            )
            return _("Called %(number)s out of order.") % {"number": called.number}

        return _counter_action(request, act)
    if ticket is None:
        raise Http404(_("This ticket is no longer waiting."))
    template = "floor/teller_serve_form.html" if request.htmx else "floor/teller_serve.html"
    return render(request, template, {"ticket": ticket})


@login_required
@require_POST
def offer(request, ticket_id: int):
    """Record that the suggested product was offered to the customer at the counter."""
    _require_serve(request)
    return offer_response(
        request,
        lambda: serving.offer_made(
            actor=request.user, ticket_id=ticket_id, product_code=request.POST.get("product", "")
        ),
        back="floor:teller",
        template="floor/teller_offer_done.html",
    )
