"""Agents' working state: log in, ready, paused with a reason, on a call, wrap-up, log out —
and the choice of which free agent takes a call (outbound by campaign, inbound by skills).

Every change of status closes the agent's open AgentStatusLog row and opens the next one, so
occupancy ((talk + wrap-up) / logged-in time) can be measured per agent and per campaign.
Claiming an agent for a call is one conditional UPDATE (status READY → RESERVED), so two
dialer workers can never give the same agent two calls.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.dialer import live
from servicefirst.dialer.models import AgentState, AgentStatusLog, Call, Campaign

Status = AgentState.Status
BUSY = (Status.RESERVED, Status.ON_CALL, Status.WRAP_UP)


def _require_agent(actor):
    staff = staff_of(actor)
    if staff is None or scope_for(actor, Action.CALL_WORK) == Scope.NONE:
        raise PermissionDenied(_("Only contact-centre agents can take calls."))
    return staff


def state_for(staff) -> AgentState:
    state, _created = AgentState.objects.get_or_create(
        staff=staff,
        defaults={"languages": list(staff.languages or []), "phone_uri": staff.phone_extension},
    )
    return state


def _log(state: AgentState, status: str, at: dt.datetime, reason: str = "") -> None:
    AgentStatusLog.objects.filter(staff_id=state.staff_id, ended_at__isnull=True).update(
        ended_at=at
    )
    if status != Status.OFFLINE:
        AgentStatusLog.objects.create(
            staff_id=state.staff_id,
            status=status,
            pause_reason=reason,
            campaign_id=state.campaign_id,
            started_at=at,
        )


def transition(
    state: AgentState, status: str, *, at: dt.datetime | None = None, reason: str = ""
) -> AgentState:
    """Move an agent to `status` (no permission check: the dialer and the services call it)."""
    at = at or timezone.now()
    state.status = status
    state.pause_reason = reason if status == Status.PAUSED else ""
    state.since = at
    if status in (Status.READY, Status.PAUSED, Status.OFFLINE):
        state.current_call = None
    state.save(update_fields=["status", "pause_reason", "since", "current_call"])
    _log(state, status, at, reason)
    live.notify_agent(state.staff_id, "state")
    live.notify_board("agents")
    return state


@transaction.atomic
def agent_login(
    *,
    actor,
    campaign_id: int | None = None,
    takes_inbound: bool = True,
    phone_uri: str | None = None,
) -> AgentState:
    """Start a shift: join a campaign (or none: inbound and click-to-dial only), be paused until
    the agent says ready."""
    staff = _require_agent(actor)
    state = AgentState.objects.select_for_update().get(pk=state_for(staff).pk)
    campaign = None
    if campaign_id:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None or not campaign.agents.filter(pk=staff.pk).exists():
            raise ValidationFailed({"campaign": [_("You are not an agent on this campaign.")]})
        if campaign.status != Campaign.Status.ACTIVE:
            raise ValidationFailed({"campaign": [_("This campaign is not running.")]})
    if state.status in BUSY:
        raise ValidationFailed({"status": [_("Finish the current call first.")]})
    state.campaign = campaign
    state.takes_inbound = takes_inbound
    if phone_uri is not None:
        state.phone_uri = phone_uri.strip()
    if not state.languages:
        state.languages = list(staff.languages or [])
    now = timezone.now()
    if state.status == Status.OFFLINE:
        state.logged_in_at = now
    state.save()
    return transition(state, Status.PAUSED, at=now, reason=AgentState.PauseReason.OTHER)


@transaction.atomic
def agent_set_status(*, actor, status: str, reason: str = "") -> AgentState:
    """The agent's own buttons: ready, pause (with a reason), log out."""
    staff = _require_agent(actor)
    state = AgentState.objects.select_for_update().get(pk=state_for(staff).pk)
    if status not in (Status.READY, Status.PAUSED, Status.OFFLINE):
        raise ValidationFailed({"status": [_("Choose ready, pause or log out.")]})
    if status == Status.PAUSED and reason not in AgentState.PauseReason.values:
        raise ValidationFailed({"reason": [_("Choose why you are pausing.")]})
    if state.status == Status.OFFLINE and status != Status.OFFLINE:
        raise ValidationFailed({"status": [_("Log in first.")]})
    if state.status in (Status.RESERVED, Status.ON_CALL):
        raise ValidationFailed({"status": [_("You are on a call.")]})
    if state.status == Status.WRAP_UP and state.current_call_id:
        call = Call.objects.filter(pk=state.current_call_id, disposition__isnull=True).first()
        if call is not None and call.campaign_id:
            raise ValidationFailed({"status": [_("Set the call's disposition first.")]})
    if status == Status.OFFLINE:
        state.campaign = None
        state.save(update_fields=["campaign"])
    return transition(state, status, reason=reason)


def claim_agent(
    *,
    campaign_id: int | None = None,
    language: str = "",
    product: str = "",
    inbound: bool = False,
    staff_id: int | None = None,
    at: dt.datetime | None = None,
) -> AgentState | None:
    """Reserve the free agent who has waited longest for a call: for an outbound call, an agent
    logged in to its campaign; for an inbound call, one who takes inbound calls and speaks the
    caller's language (an agent who also knows the product is preferred). One conditional
    UPDATE per candidate, so concurrent claimers never share an agent."""
    ready = AgentState.objects.filter(status=Status.READY)
    if staff_id is not None:
        ready = ready.filter(staff_id=staff_id)
    elif inbound:
        ready = ready.filter(takes_inbound=True)
    else:
        ready = ready.filter(campaign_id=campaign_id)
    candidates = list(ready.order_by("since", "id")[:50])
    if inbound and language:
        candidates = [a for a in candidates if language in (a.languages or [])]
    if inbound and product:
        candidates.sort(key=lambda a: product not in (a.products or []))
    at = at or timezone.now()
    for agent in candidates:
        won = AgentState.objects.filter(pk=agent.pk, status=Status.READY).update(
            status=Status.RESERVED, since=at
        )
        if won:
            agent.refresh_from_db()
            _log(agent, Status.RESERVED, at)
            live.notify_agent(agent.staff_id, "state")
            return agent
    return None


def resume(state: AgentState, *, at: dt.datetime | None = None, then: str = "") -> None:
    """After a call: back to what the member of staff was doing before a call they placed
    themselves (logged out, paused), else to `then` (ready by default)."""
    target = state.resume_status or then or Status.READY
    if then == Status.PAUSED:
        target = Status.PAUSED
    reason = state.pause_reason or AgentState.PauseReason.OTHER
    state.resume_status = ""
    state.save(update_fields=["resume_status"])
    if target == Status.OFFLINE:
        state.campaign = None
        state.save(update_fields=["campaign"])
    transition(state, target, at=at, reason=reason if target == Status.PAUSED else "")


def release_agent(state: AgentState, *, at: dt.datetime | None = None) -> None:
    """A reserved agent's call did not come (e.g. the customer hung up): back to ready (or to
    what they were doing before a call they placed themselves)."""
    if state.status == Status.RESERVED:
        resume(state, at=at)


def ready_agents(campaign_id: int | None = None):
    q = Q(status=Status.READY)
    if campaign_id is not None:
        q &= Q(campaign_id=campaign_id)
    return AgentState.objects.filter(q)
