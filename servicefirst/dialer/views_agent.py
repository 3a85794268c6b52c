"""The agent desktop (/contact/agent/): log in to a campaign (or inbound only), ready / pause
with a reason / log out, the call on the line with the customer's 360 summary, the script, the
next best offer, the disposition form with notes and an optional callback, the wrap-up timer,
preview dialing, the agent's callbacks and today's calls.

The page is one fragment (#agent-desk) that refreshes itself when the agent's websocket says
something changed (and every 30 s without it). Each action calls one service and answers with
the fragment re-rendered (errors shown in it); without JavaScript it redirects back to the
page with a message."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.dialer import agents, calls, desktop
from servicefirst.dialer.models import AgentState, Call
from servicefirst.insights.views_offer import offer_response

PAUSE_REASONS = AgentState.PauseReason.choices


def _require(request):
    if not desktop.is_agent(request.user):
        raise DjangoPermissionDenied(_("Only contact-centre agents can use the agent desktop."))


def _context(request, **extra) -> dict:
    view = desktop.desktop(actor=request.user)
    return {
        "desk": view,
        "call": view.call,
        "card": view.card,
        "pause_reasons": PAUSE_REASONS,
        "error": "",
        "notice": "",
        "close_errors": {},
        "close_values": {},
        **extra,
    }


@login_required
@require_GET
def agent(request):
    _require(request)
    return render(request, "dialer/agent.html", _context(request))


@login_required
@require_GET
def agent_desk(request):
    """The desk fragment (refreshed live on the page)."""
    _require(request)
    return render(request, "dialer/agent_desk.html", _context(request))


def _act(request, act, *, close_values: dict | None = None):
    """Run `act()`; answer with the desk fragment (htmx) or a redirect to the page. With
    `close_values` (the disposition form), errors are shown on the form, as typed."""
    _require(request)
    error, notice, extra = "", "", {}
    try:
        notice = act() or ""
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        error = exc.text()
        if close_values is not None:
            extra = {"close_errors": exc.errors, "close_values": close_values}
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("dialer:agent")
    if extra:
        error = ""  # shown on the form itself
    return render(
        request, "dialer/agent_desk.html", _context(request, error=error, notice=notice, **extra)
    )


@login_required
@require_POST
def login(request):
    def act():
        campaign_id = request.POST.get("campaign") or None
        state = agents.agent_login(
            actor=request.user,
            campaign_id=int(campaign_id) if str(campaign_id or "").isdigit() else None,
            takes_inbound=bool(request.POST.get("takes_inbound")),
        )
        if state.campaign_id:
            return _("Logged in to %(campaign)s. Say you are ready when you are.") % {
                "campaign": state.campaign
            }
        return _("Logged in for inbound calls. Say you are ready when you are.")

    return _act(request, act)


@login_required
@require_POST
def status(request):
    def act():
        wanted = request.POST.get("status", "")
        state = agents.agent_set_status(
            actor=request.user, status=wanted, reason=request.POST.get("reason", "")
        )
        if state.status == AgentState.Status.OFFLINE:
            return _("Logged out.")
        if state.status == AgentState.Status.PAUSED:
            return _("Paused: %(reason)s.") % {"reason": state.get_pause_reason_display()}
        return _("Ready: calls come to you now.")

    return _act(request, act)


@login_required
@require_POST
def preview_next(request):
    def act():
        entry = desktop.preview_next(actor=request.user)
        if entry is None:
            return _("Nobody on the list may be called now.")
        return ""

    return _act(request, act)


@login_required
@require_POST
def preview_dial(request, entry_id: int):
    def act():
        desktop.preview_dial(actor=request.user, entry_id=entry_id)
        return ""  # the call panel says "Calling…"

    return _act(request, act)


@login_required
@require_POST
def preview_skip(request, entry_id: int):
    def act():
        desktop.preview_skip(actor=request.user, entry_id=entry_id)
        return _("Skipped: the customer goes back on the list.")

    return _act(request, act)


@login_required
@require_POST
def callback_dial(request, callback_id: int):
    def act():
        desktop.callback_dial(actor=request.user, callback_id=callback_id)
        return ""  # the call panel says "Calling…"

    return _act(request, act)


def _callback_at(raw: str) -> dt.datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            {"callback_at": [_("Give the date and time to call back.")]}
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@login_required
@require_POST
def call_close(request, call_id: int):
    """The disposition form: how the call ended, notes, an optional callback, then ready or
    paused."""
    post = request.POST
    values = {
        "disposition": post.get("disposition", ""),
        "notes": post.get("notes", ""),
        "callback_at": post.get("callback_at", ""),
        "callback_for": post.get("callback_for", ""),
        "colleague": post.get("colleague", ""),
        "then": post.get("then", ""),
        "pause_reason": post.get("pause_reason", ""),
    }

    def act():
        staff = desktop.require_agent(request.user)
        when = _callback_at(values["callback_at"])
        who = values["callback_for"]
        if who == "me":
            callback_for = staff.pk
        elif who == "colleague":
            if not values["colleague"].isdigit():
                raise ValidationFailed({"callback_for": [_("Choose the colleague to call back.")]})
            callback_for = int(values["colleague"])
        else:
            callback_for = None
        then = (
            AgentState.Status.PAUSED
            if values["then"] == AgentState.Status.PAUSED
            else AgentState.Status.READY
        )
        if then == AgentState.Status.PAUSED and values["pause_reason"] not in (
            AgentState.PauseReason.values
        ):
            raise ValidationFailed({"pause_reason": [_("Choose why you are pausing.")]})
        call = calls.call_disposition(
            actor=request.user,
            call_id=call_id,
            disposition_id=int(values["disposition"]) if values["disposition"].isdigit() else None,
            notes=values["notes"],
            callback_at=when,
            callback_for_id=callback_for,
            then=then,
            pause_reason=values["pause_reason"],
        )
        label = call.disposition.label if call.disposition_id else _("closed")
        return _("Call saved: %(disposition)s.") % {"disposition": label}

    return _act(request, act, close_values=values)


@login_required
@require_POST
def call_offer(request, call_id: int):
    """Record that the suggested product was offered on this call."""
    _require(request)
    return offer_response(
        request,
        lambda: desktop.offer_made(
            actor=request.user, call_id=call_id, product_code=request.POST.get("product", "")
        ),
        back="dialer:agent",
        template="dialer/agent_offer_done.html",
    )


@login_required
@require_POST
def call_hangup(request, call_id: int):
    def act():
        call = desktop.request_hangup(actor=request.user, call_id=call_id)
        if call.state == Call.State.ENDED:
            return _("Call cancelled before it was dialled.")
        return _("Hang-up requested: the wrap-up starts when the line is clear.")

    return _act(request, act)
