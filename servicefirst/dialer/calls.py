"""A call's life, one transaction per step. The dialer process calls these as telephony events
arrive; the agent desktop calls `call_disposition` and `click_to_dial`.

Ordering that makes restarts safe: a call row is written in state DIALING (with its unique
dial_key) and committed *before* the telephony port is asked to originate it; a restarted
dialer settles every DIALING/RINGING/ANSWERED/CONNECTED row from what the port can still tell
(`settle_interrupted`) and never originates an existing row again. Each call's outcome is
written once: a late or repeated event for an ENDED call changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.commitments import sources as commitment_events
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Customer, CustomerPhone, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.dialer import agents, compliance, live
from servicefirst.dialer.models import AgentState, Call, Callback, Disposition

State = Call.State
Outcome = compliance.Outcome
RING_CYCLE_S = 5.0  # one ring: 1 s tone + 4 s silence (China); "three rings" = 15 s
ABANDON_AFTER_S = 2.0  # an answered call with no agent within 2 s is abandoned


def new_dial_key(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def rings(wait_s: float | None) -> int | None:
    """Rings heard before an answer: a call answered at once has rung once."""
    if wait_s is None:
        return None
    return max(1, math.ceil(wait_s / RING_CYCLE_S))


def _locked(call_id: int) -> Call:
    return Call.objects.select_for_update().get(pk=call_id)


# ----------------------------------------------------------------------------- outbound


@transaction.atomic
def queue_outbound(
    *,
    entries,
    mode: str,
    adapter: str = "",
    agent_state: AgentState | None = None,
    at: dt.datetime | None = None,
    state: str = State.DIALING,
) -> list[Call]:
    """Write call rows for claimed call-list entries (claimed by `lists.claim_entries`).
    DIALING: the dialer process originates them itself once this commits. QUEUED (preview,
    callbacks, click-to-dial): the dialer process picks them up (`mark_dialing`)."""
    at = at or timezone.now()
    calls = [
        Call(
            direction=Call.Direction.OUTBOUND,
            mode=mode,
            campaign_id=entry.campaign_id,
            entry=entry,
            customer_id=entry.customer_id,
            phone=entry.phone,
            agent=agent_state.staff if agent_state else None,
            state=state,
            dial_key=new_dial_key(),
            adapter=adapter,
            created_at=at,
            dialed_at=at if state == State.DIALING else None,
        )
        for entry in entries
    ]
    Call.objects.bulk_create(calls)
    if agent_state is not None and calls:
        agent_state.current_call = calls[0]
        agent_state.save(update_fields=["current_call"])
    live.notify_board("calls")
    return calls


def _callable_phone(customer: Customer, phone: str) -> str:
    numbers = list(CustomerPhone.objects.filter(customer=customer).values_list("e164", flat=True))
    if not numbers:
        raise ValidationFailed({"phone": [_("The customer has no phone number.")]})
    if phone and phone not in numbers:
        raise ValidationFailed({"phone": [_("This number is not one of the customer's.")]})
    return phone or numbers[0]


def service_call_verdict(customer: Customer, number: str, *, now: dt.datetime):
    """May staff phone this customer about their own affairs now? The do-not-call flag and list
    and the calling hours in the customer's local time apply; marketing consent, the weekly
    limit and refusals of campaign calls do not (they govern campaigns)."""
    from servicefirst.dialer.models import DoNotCall

    listed = any(
        entry.is_active(now) for entry in DoNotCall.objects.filter(phone=number).only("until")
    )
    contact = compliance.Contact(
        customer_id=customer.pk,
        phone=number,
        do_not_call=customer.do_not_call or listed,
        phone_consent=True,
        marketing_consent=True,
    )
    return compliance.may_dial(contact, [], compliance.Policy(), now)


@transaction.atomic
def click_to_dial(*, actor, customer_id: int, phone: str = "", now=None) -> Call:
    """A member of staff clicks a customer's number: the call is queued for the dialer, which
    rings the customer and puts them through to this member of staff. The do-not-call list and
    the calling hours still apply (a service call needs no marketing consent)."""
    staff = staff_of(actor)
    if staff is None or scope_for(actor, Action.CALL_DIAL) == Scope.NONE:
        raise PermissionDenied(_("You may not place calls."))
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    scope = scope_for(actor, Action.CALL_DIAL)
    if scope == Scope.UNIT and customer.home_branch_id != staff.unit_id:
        raise PermissionDenied(_("You may call only your branch's customers."))
    number = _callable_phone(customer, phone)
    now = now or timezone.now()
    verdict = service_call_verdict(customer, number, now=now)
    if not verdict.allowed:
        raise ValidationFailed({"phone": [str(m) for m in verdict.messages]})
    if Call.objects.filter(requested_by=staff, state__in=(State.QUEUED, *Call.LIVE)).exists():
        raise ValidationFailed({"phone": [_("You already have a call in progress.")]})
    state = AgentState.objects.select_for_update().filter(staff=staff).first()
    if state is None:
        state = agents.state_for(staff)
        if scope_for(actor, Action.CALL_WORK) == Scope.NONE:
            state.takes_inbound = False  # branch staff: never in the inbound pool
            state.save(update_fields=["takes_inbound"])
    if state.status in (
        AgentState.Status.RESERVED,
        AgentState.Status.ON_CALL,
        AgentState.Status.WRAP_UP,
    ):
        raise ValidationFailed({"phone": [_("Finish your current call first.")]})
    call = Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.CLICK,
        customer=customer,
        phone=number,
        agent=staff,
        requested_by=staff,
        state=State.QUEUED,
        dial_key=new_dial_key("k"),
        created_at=now,
    )
    # The member of staff is reserved for their own call (no campaign or inbound call is put
    # through to them meanwhile) and returns to what they were doing when it is over.
    state.resume_status = state.status
    state.current_call = call
    state.save(update_fields=["resume_status", "current_call"])
    agents.transition(state, AgentState.Status.RESERVED, at=now)
    live.notify_agent(staff.pk, "call")
    live.notify_board("calls")
    return call


@transaction.atomic
def mark_dialing(call_id: int, *, adapter: str, at: dt.datetime | None = None) -> Call | None:
    """A QUEUED call (click-to-dial, preview) is about to be originated: commit DIALING first.
    None when it is no longer queued (cancelled, or another worker took it)."""
    at = at or timezone.now()
    won = Call.objects.filter(pk=call_id, state=State.QUEUED).update(
        state=State.DIALING, dialed_at=at, adapter=adapter
    )
    return Call.objects.get(pk=call_id) if won else None


@transaction.atomic
def on_ringing(call_id: int, *, at: dt.datetime | None = None) -> Call:
    call = _locked(call_id)
    if call.state == State.DIALING:
        call.state = State.RINGING
        call.save(update_fields=["state"])
    return call


@transaction.atomic
def on_answered(call_id: int, *, at: dt.datetime | None = None) -> Call:
    """A person picked up. The caller then connects an agent or abandons within 2 s."""
    at = at or timezone.now()
    call = _locked(call_id)
    if call.state not in (State.DIALING, State.RINGING):
        return call
    call.state = State.ANSWERED
    call.answered_at = at
    call.ring_s = max(0.0, (at - (call.dialed_at or at)).total_seconds())
    call.save(update_fields=["state", "answered_at", "ring_s"])
    live.notify_board("calls")
    return call


@transaction.atomic
def connect(call_id: int, agent_state_id: int, *, at: dt.datetime | None = None) -> Call:
    """The call is put through to the (reserved) agent: their screen pops the customer."""
    at = at or timezone.now()
    call = _locked(call_id)
    state = AgentState.objects.select_for_update().get(pk=agent_state_id)
    if call.state not in (State.ANSWERED, State.OFFERED, State.RINGING, State.DIALING):
        agents.release_agent(state, at=at)
        return call
    call.state = State.CONNECTED
    call.connected_at = at
    call.agent_id = state.staff_id
    base = call.answered_at or call.dialed_at or at
    call.wait_s = max(0.0, (at - base).total_seconds())
    if call.direction == Call.Direction.INBOUND:
        call.answered_at = at
        call.rings_before_answer = rings(call.wait_s)
        call.outcome = Outcome.ANSWERED
    call.save()
    if call.direction == Call.Direction.INBOUND:
        commitment_events.call_answered(call)
    state.current_call = call
    state.save(update_fields=["current_call"])
    agents.transition(state, AgentState.Status.ON_CALL, at=at)
    live.notify_agent(state.staff_id, "call")
    live.notify_board("calls")
    return call


@transaction.atomic
def abandon(call_id: int, *, at: dt.datetime | None = None) -> Call:
    """No agent was free within 2 s: the customer hears the identification message and the
    call is cleared. Counts against the campaign's abandonment cap; no new call for 72 h."""
    at = at or timezone.now()
    call = _locked(call_id)
    if call.state != State.ANSWERED:
        return call
    call.outcome = Outcome.ABANDONED
    call.id_message_played = True
    call.wait_s = max(0.0, (at - (call.answered_at or at)).total_seconds())
    call.save(update_fields=["outcome", "id_message_played", "wait_s"])
    live.notify_board("calls")
    return call


_EVENT_OUTCOMES = {
    "no_answer": Outcome.NO_ANSWER,
    "busy": Outcome.BUSY,
    "machine": Outcome.MACHINE,
    "failed": Outcome.FAILED,
}


@transaction.atomic
def on_ended(
    call_id: int,
    *,
    at: dt.datetime | None = None,
    outcome: str = "",
    answered_at: dt.datetime | None = None,
) -> Call:
    """The line is clear. Fixes the outcome (unless already set), times, the agent's wrap-up
    and, for calls no agent talked to, the call-list entry and the customer's timeline."""
    at = at or timezone.now()
    call = _locked(call_id)
    if call.state in (State.ENDED, State.WRAP_UP):
        return call  # a repeated or late event: the outcome is already written
    was_connected = call.state == State.CONNECTED
    if outcome and not call.outcome:
        call.outcome = _EVENT_OUTCOMES.get(outcome, outcome)
    if outcome == "machine" and call.answered_at is None:
        call.answered_at = answered_at or at
    if call.ring_s is None and call.dialed_at is not None:
        stop = call.answered_at or at
        call.ring_s = max(0.0, (stop - call.dialed_at).total_seconds())
    call.ended_at = at
    if was_connected:
        call.talk_s = max(0.0, (at - call.connected_at).total_seconds())
        if not call.outcome:
            call.outcome = Outcome.ANSWERED
    elif call.direction == Call.Direction.INBOUND and not call.outcome:
        call.outcome = Outcome.ABANDONED  # the caller gave up in the queue
        call.wait_s = max(0.0, (at - (call.dialed_at or at)).total_seconds())
    elif call.state == State.ANSWERED and not call.outcome:
        call.outcome = Outcome.ABANDONED  # a person picked up and nobody came
        call.wait_s = max(0.0, (at - (call.answered_at or at)).total_seconds())
    elif not call.outcome:
        call.outcome = Outcome.FAILED
    if call.direction == Call.Direction.INBOUND and call.connected_at is None:
        commitment_events.call_abandoned(call, at=at)
    commitment_events.call_ended(call)
    staff_id = call.agent_id
    state = AgentState.objects.select_for_update().filter(staff_id=staff_id).first()
    if (
        was_connected
        and state is not None
        and state.current_call_id == call.pk
        and call.mode == Call.Mode.CLICK
        and state.resume_status == AgentState.Status.OFFLINE
    ):
        # Branch staff who phoned a customer from a page: no desktop, no wrap-up to close.
        call.state = State.ENDED
        call.wrap_ended_at = at
        call.wrap_s = 0.0
        call.save()
        _after_call(call, actor=None)
        agents.resume(state, at=at)
    elif was_connected and state is not None and state.current_call_id == call.pk:
        call.state = State.WRAP_UP
        call.save()
        agents.transition(state, AgentState.Status.WRAP_UP, at=at)
        state.current_call = call
        state.save(update_fields=["current_call"])
    else:
        call.state = State.ENDED
        call.save()
        if state is not None and state.current_call_id == call.pk:
            agents.release_agent(state, at=at)
            if state.status == AgentState.Status.WRAP_UP:
                agents.resume(state, at=at)
        _after_call(call, actor=None)
    live.notify_agent(staff_id, "call")
    live.notify_board("calls")
    return call


def _after_call(call: Call, *, actor) -> None:
    if call.entry_id:
        from servicefirst.dialer import lists

        lists.entry_after_call(call)
    if call.mode == Call.Mode.CALLBACK:
        from servicefirst.dialer import callbacks

        cb = Callback.objects.filter(done_call=call).first()
        if cb is not None:
            callbacks.callback_done(cb, call)
    if call.customer_id:
        _timeline(call, actor=actor)


def _timeline(call: Call, *, actor) -> None:
    if not call.customer_id:
        return
    kind = Interaction.Kind.CAMPAIGN_CALL if call.campaign_id else Interaction.Kind.CALL
    outcome = call.disposition.code if call.disposition_id else call.outcome
    direction = _("Inbound call") if call.direction == Call.Direction.INBOUND else _("Call")
    parts = [str(direction), str(dict(Call.OUTCOME_CHOICES).get(call.outcome, call.outcome))]
    if call.disposition_id:
        parts.append(call.disposition.label)
    if call.talk_s:
        parts.append(_("%(m)d min %(s)02d s") % {"m": call.talk_s // 60, "s": call.talk_s % 60})
    interaction_record(
        customer=Customer.objects.get(pk=call.customer_id),
        kind=kind,
        actor=actor,
        summary=" · ".join(parts) + (f" — {call.notes}" if call.notes else ""),
        channel="phone",
        outcome=outcome,
        occurred_at=call.dialed_at or call.created_at,
        detail={
            "call_id": call.pk,
            "direction": call.direction,
            "mode": call.mode,
            "outcome": call.outcome,
            "talk_s": call.talk_s,
            "wait_s": call.wait_s,
            "agent_id": call.agent_id,
        },
        campaign=call.campaign.crm if call.campaign_id else None,
        source_key=call.dial_key,
    )


@transaction.atomic
def call_disposition(
    *,
    actor,
    call_id: int,
    disposition_id: int | None = None,
    notes: str = "",
    callback_at: dt.datetime | None = None,
    callback_for_id: int | None = None,
    then: str = AgentState.Status.READY,
    pause_reason: str = "",
) -> Call:
    """The agent closes the call: disposition (required on campaign calls), notes, an optional
    callback (for oneself, a colleague on the campaign, or anyone), then ready or paused."""
    staff = agents._require_agent(actor) if scope_for(actor, Action.CALL_WORK) else staff_of(actor)
    if staff is None:
        raise PermissionDenied(_("You may not close this call."))
    call = _locked(call_id)
    if call.agent_id != staff.pk:
        raise PermissionDenied(_("This is not your call."))
    if call.state not in (State.WRAP_UP, State.CONNECTED, State.ENDED) or call.wrap_ended_at:
        raise ValidationFailed({"call": [_("This call is already closed.")]})
    errors: dict[str, list] = {}
    disposition = None
    if disposition_id:
        disposition = Disposition.objects.filter(pk=disposition_id, campaign_id=call.campaign_id)
        disposition = disposition.first()
        if disposition is None:
            errors["disposition"] = [_("Choose one of this campaign's dispositions.")]
    elif call.campaign_id:
        errors["disposition"] = [_("Choose how the call ended.")]
    wants_callback = callback_at is not None or (
        disposition is not None and disposition.kind == Disposition.Kind.CALLBACK
    )
    if wants_callback and callback_at is None:
        errors["callback_at"] = [_("Say when to call back.")]
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    if call.state == State.CONNECTED:  # the agent closes while the line is still up
        call.ended_at = now
        call.talk_s = max(0.0, (now - call.connected_at).total_seconds())
        call.outcome = call.outcome or Outcome.ANSWERED
    if disposition is not None:
        if disposition.kind == Disposition.Kind.NOT_INTERESTED:
            call.outcome = Outcome.REFUSED
        elif disposition.kind == Disposition.Kind.WRONG_NUMBER:
            call.outcome = Outcome.WRONG_NUMBER
    call.disposition = disposition
    call.notes = notes.strip()[:2000]
    call.wrap_ended_at = now
    call.wrap_s = max(0.0, (now - (call.ended_at or now)).total_seconds())
    call.state = State.ENDED
    call.save()
    commitment_events.call_ended(call)
    if wants_callback:
        from servicefirst.dialer import callbacks

        callbacks.callback_schedule(
            actor=actor,
            customer_id=call.customer_id,
            phone=call.phone,
            due_at=callback_at,
            campaign_id=call.campaign_id,
            entry_id=call.entry_id,
            assigned_to_id=callback_for_id,
            from_call_id=call.pk,
            note=call.notes[:300],
        )
    _after_call(call, actor=actor)
    state = AgentState.objects.select_for_update().filter(staff=staff).first()
    if state is not None and state.status in (
        AgentState.Status.WRAP_UP,
        AgentState.Status.ON_CALL,
    ):
        if then == AgentState.Status.PAUSED:
            state.pause_reason = pause_reason or AgentState.PauseReason.OTHER
        agents.resume(state, at=now, then=then)
    live.notify_agent(staff.pk, "call")
    return call


# ----------------------------------------------------------------------------- inbound


def identify_caller(number: str) -> Customer | None:
    """The customer whose phone this is (only when exactly one active customer has it)."""
    ids = list(
        CustomerPhone.objects.filter(e164=number, customer__merged_into__isnull=True)
        .values_list("customer_id", flat=True)
        .distinct()[:2]
    )
    return Customer.objects.get(pk=ids[0]) if len(ids) == 1 else None


@transaction.atomic
def offer_inbound(
    *,
    dial_key: str,
    caller: str,
    queue: str = "",
    language: str = "",
    product: str = "",
    adapter: str = "",
    at: dt.datetime | None = None,
) -> Call:
    """An incoming call joins the queue. The caller is identified by number; their preferred
    language decides who may answer unless the voice menu said otherwise."""
    at = at or timezone.now()
    existing = Call.objects.filter(dial_key=dial_key).first()
    if existing is not None:
        return existing
    customer = identify_caller(caller)
    if not language and customer is not None:
        language = customer.preferred_language or ""
    priority = 0
    if customer is not None and customer.value_tier in ("private", "vip"):
        priority = 1
    call = Call.objects.create(
        direction=Call.Direction.INBOUND,
        mode=Call.Mode.INBOUND,
        customer=customer,
        phone=caller,
        state=State.OFFERED,
        dial_key=dial_key,
        adapter=adapter,
        queue=queue,
        needs_language=language,
        needs_product=product,
        priority=priority,
        created_at=at,
        dialed_at=at,
    )
    commitment_events.call_offered(call)
    live.notify_board("calls")
    return call


def waiting_inbound():
    """Calls waiting in the queue, best first: priority, then the longest wait."""
    return Call.objects.filter(
        direction=Call.Direction.INBOUND, state=State.OFFERED, agent__isnull=True
    ).order_by("-priority", "dialed_at", "id")


def route_inbound(call: Call, *, at: dt.datetime | None = None) -> AgentState | None:
    """Reserve a free agent with the skills this call needs (None: it keeps waiting)."""
    return agents.claim_agent(
        inbound=True, language=call.needs_language, product=call.needs_product, at=at
    )


# ----------------------------------------------------------------------------- restarts


@transaction.atomic
def settle_interrupted(call_id: int, *, at: dt.datetime | None = None) -> Call:
    """A call left live by a dialer that stopped, whose fate the port cannot tell: it is
    closed as failed (answered calls as abandoned) and counts as an attempt, so the retry
    rules — not a restart — decide when the customer is called again."""
    at = at or timezone.now()
    call = _locked(call_id)
    if call.state == State.ANSWERED and not call.outcome:
        call.outcome = Outcome.ABANDONED
        call.save(update_fields=["outcome"])
    return on_ended(call.pk, at=at, outcome=Outcome.FAILED)
