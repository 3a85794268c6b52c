"""The events the branch floor and the contact centre feed to commitments.

Each helper here is called by its producer (`floor/issuing.py`, `floor/serving.py`,
`floor/appointments.py`, `dialer/calls.py`, `dialer/callbacks.py`) inside the transaction that
makes the change, and records one `ServiceEvent` through `events.record`. The source keys say
what happened to what, once:

- tickets (subject "ticket:<id>", unit = the branch): "ticket:<id>:issued", ":called",
  ":finished", ":no_show", ":cancelled"; an appointment's check-in is "ticket:<id>:checked_in"
  on the ticket the check-in issued (so "checked in → called" is measured on one subject).
  A ticket counts as called the *first* time it is called to a counter: a recall (the display
  announcing it again) records nothing, and the key would refuse a second "called" anyway.
  A ticket transferred to another service or counter ends as "finished" with outcome
  "transferred"; the new ticket continuing it is "issued" with priority_reason "transfer".
- calls (subject "call:<id>"): inbound calls are "offered", then "answered" (value = rings
  before the answer) or "abandoned" (the caller hung up, or the line cleared, before an agent
  took the call); every call, inbound or outbound, is "ended" once when its line clears.
  The unit is the Customer Care Center for inbound calls; for outbound calls the campaign's
  unit, or the unit of the member of staff who placed it (a branch's click-to-dial).
- callbacks (subject "callback:<id>"): "due" at the promised time (recorded when it is
  delivered or taken, at the promised time or, if taken early, at the moment taken) and
  "made" when the call that makes it is dialled.

`backfill` records the same events from the stored timestamps of tickets, calls and callbacks
made before the producers recorded events (the demo's floor history, imported inbound calls),
in bulk and idempotently (the source keys again).
"""

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import Q
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.commitments.events import KINDS, record
from servicefirst.commitments.models import ServiceEvent

BATCH = 5000  # events per bulk insert in `backfill`

TRANSFERRED = "transferred"  # the outcome of a ticket handed on to another service/counter


# --- units -----------------------------------------------------------------------------------


def care_center_id() -> int | None:
    """The unit answering the bank's phone: the (first) Customer Care Center."""
    return (
        Unit.objects.filter(kind=Unit.Kind.CARE_CENTER)
        .order_by("code")
        .values_list("pk", flat=True)
        .first()
    )


def _staff_unit_id(staff_id: int | None) -> int | None:
    if not staff_id:
        return None
    return Staff.objects.filter(pk=staff_id).values_list("unit_id", flat=True).first()


def call_unit_id(call) -> int | None:
    """The unit responsible for a call: the care centre for inbound calls; the campaign's unit,
    else the unit of whoever placed the call, else the care centre for outbound ones."""
    if call.direction == "inbound":
        return care_center_id()
    if call.campaign_id:
        unit_id = type(call).objects.filter(pk=call.pk).values_list("campaign__unit_id", flat=True)
        unit_id = unit_id.first()
        if unit_id:
            return unit_id
    return _staff_unit_id(call.requested_by_id or call.agent_id) or care_center_id()


def callback_unit_id(callback) -> int | None:
    if callback.campaign_id:
        unit_id = type(callback).objects.filter(pk=callback.pk)
        unit_id = unit_id.values_list("campaign__unit_id", flat=True).first()
        if unit_id:
            return unit_id
    return _staff_unit_id(callback.created_by_id) or care_center_id()


# --- the branch floor ------------------------------------------------------------------------


def _service_code(ticket) -> str:
    return ticket.service.code


def _ticket_channel(ticket) -> str:
    if ticket.transferred_from_id:
        return "transfer"
    if ticket.appointment_id:
        return "appointment"
    return "walk_in"


def ticket_issued(ticket) -> ServiceEvent:
    return record(
        "floor.ticket.issued",
        subject=f"ticket:{ticket.pk}",
        occurred_at=ticket.issued_at,
        source_key=f"ticket:{ticket.pk}:issued",
        unit_id=ticket.branch_id,
        customer_id=ticket.customer_id,
        attrs={
            "service": _service_code(ticket),
            "priority_reason": ticket.priority_reason or "",
            "channel": _ticket_channel(ticket),
        },
    )


def ticket_called(ticket) -> ServiceEvent:
    """The first call of the ticket to a counter (a recall records nothing)."""
    return record(
        "floor.ticket.called",
        subject=f"ticket:{ticket.pk}",
        occurred_at=ticket.called_at,
        source_key=f"ticket:{ticket.pk}:called",
        unit_id=ticket.branch_id,
        customer_id=ticket.customer_id,
        staff_id=ticket.served_by_id,
        attrs={
            "service": _service_code(ticket),
            "counter": ticket.counter.number if ticket.counter_id else None,
        },
    )


def ticket_finished(ticket) -> ServiceEvent:
    """Served (or transferred: outcome "transferred")."""
    return record(
        "floor.ticket.finished",
        subject=f"ticket:{ticket.pk}",
        occurred_at=ticket.finished_at,
        source_key=f"ticket:{ticket.pk}:finished",
        unit_id=ticket.branch_id,
        customer_id=ticket.customer_id,
        staff_id=ticket.served_by_id,
        attrs={
            "service": _service_code(ticket),
            "outcome": TRANSFERRED if ticket.status == "transferred" else ticket.outcome,
        },
    )


def ticket_no_show(ticket) -> ServiceEvent:
    return record(
        "floor.ticket.no_show",
        subject=f"ticket:{ticket.pk}",
        occurred_at=ticket.finished_at,
        source_key=f"ticket:{ticket.pk}:no_show",
        unit_id=ticket.branch_id,
        customer_id=ticket.customer_id,
        staff_id=ticket.served_by_id,
        attrs={"service": _service_code(ticket)},
    )


def ticket_cancelled(ticket, *, staff_id: int | None = None) -> ServiceEvent:
    return record(
        "floor.ticket.cancelled",
        subject=f"ticket:{ticket.pk}",
        occurred_at=ticket.finished_at or timezone.now(),
        source_key=f"ticket:{ticket.pk}:cancelled",
        unit_id=ticket.branch_id,
        customer_id=ticket.customer_id,
        staff_id=staff_id,
        attrs={"service": _service_code(ticket)},
    )


def appointment_checked_in(appointment, ticket) -> ServiceEvent:
    return record(
        "floor.appointment.checked_in",
        subject=f"ticket:{ticket.pk}",
        occurred_at=appointment.checked_in_at,
        source_key=f"ticket:{ticket.pk}:checked_in",
        unit_id=ticket.branch_id,
        customer_id=ticket.customer_id or appointment.customer_id,
        attrs={"service": _service_code(ticket), "appointment": appointment.reference},
    )


# --- the contact centre ----------------------------------------------------------------------


def _call_attrs(call) -> dict:
    return {"queue": call.queue or "", "language": call.needs_language or ""}


def call_offered(call) -> ServiceEvent:
    return record(
        "contact.call.offered",
        subject=f"call:{call.pk}",
        occurred_at=call.dialed_at or call.created_at,
        source_key=f"call:{call.pk}:offered",
        unit_id=care_center_id(),
        customer_id=call.customer_id,
        attrs=_call_attrs(call),
    )


def call_answered(call) -> ServiceEvent:
    """An inbound call put through to an agent; value = the rings the caller heard."""
    return record(
        "contact.call.answered",
        subject=f"call:{call.pk}",
        occurred_at=call.connected_at or call.answered_at,
        source_key=f"call:{call.pk}:answered",
        unit_id=care_center_id(),
        customer_id=call.customer_id,
        staff_id=call.agent_id,
        value=call.rings_before_answer,
        attrs=_call_attrs(call),
    )


def call_abandoned(call, *, at: datetime.datetime) -> ServiceEvent:
    return record(
        "contact.call.abandoned",
        subject=f"call:{call.pk}",
        occurred_at=at,
        source_key=f"call:{call.pk}:abandoned",
        unit_id=care_center_id(),
        customer_id=call.customer_id,
        attrs=_call_attrs(call),
    )


def call_ended(call) -> ServiceEvent | None:
    if call.ended_at is None:  # closed before it was ever dialled: nothing ended
        return None
    return record(
        "contact.call.ended",
        subject=f"call:{call.pk}",
        occurred_at=call.ended_at,
        source_key=f"call:{call.pk}:ended",
        unit_id=call_unit_id(call),
        customer_id=call.customer_id,
        staff_id=call.agent_id,
        attrs={"direction": call.direction, "campaign": str(call.campaign_id or "")},
    )


def callback_due(callback, *, at: datetime.datetime | None = None) -> ServiceEvent:
    """The callback's time has come (or an agent took it early: then at that moment)."""
    when = callback.due_at if at is None else min(callback.due_at, at)
    return record(
        "contact.callback.due",
        subject=f"callback:{callback.pk}",
        occurred_at=when,
        source_key=f"callback:{callback.pk}:due",
        unit_id=callback_unit_id(callback),
        customer_id=callback.customer_id,
        staff_id=callback.assigned_to_id,
        attrs={"campaign": str(callback.campaign_id or "")},
    )


def callback_made(callback, call) -> ServiceEvent:
    """The call making the callback was dialled (also records "due" if it never was)."""
    made_at = call.dialed_at or call.created_at
    callback_due(callback, at=made_at)
    return record(
        "contact.callback.made",
        subject=f"callback:{callback.pk}",
        occurred_at=made_at,
        source_key=f"callback:{callback.pk}:made",
        unit_id=callback_unit_id(callback),
        customer_id=callback.customer_id,
        staff_id=call.agent_id,
        attrs={"campaign": str(callback.campaign_id or "")},
    )


# --- backfill --------------------------------------------------------------------------------


def _event(kind, subject, at, key, unit_id, customer_id=None, staff_id=None, value=None, **attrs):
    if kind not in KINDS:
        raise ValueError(kind)
    return ServiceEvent(
        kind=kind,
        subject=subject,
        occurred_at=at,
        source_key=key,
        unit_id=unit_id,
        customer_id=customer_id,
        staff_id=staff_id,
        value=value,
        attrs=attrs,
    )


def _ticket_events(since) -> Iterator[ServiceEvent]:
    from servicefirst.floor.models import Ticket

    rows = Ticket.objects.order_by("pk")
    if since is not None:
        rows = rows.filter(issued_at__gte=since)
    fields = (
        "pk", "branch_id", "customer_id", "service__code", "priority_reason", "appointment_id",
        "transferred_from_id", "status", "issued_at", "called_at", "finished_at", "served_by_id",
        "counter__number", "outcome", "appointment__checked_in_at", "appointment__reference",
    )  # fmt: skip
    for row in rows.values_list(*fields).iterator(chunk_size=BATCH):
        (pk, branch, customer, service, reason, appt, moved, status, issued, called, finished,
         staff, counter, outcome, checked_in, reference) = row  # fmt: skip
        subject = f"ticket:{pk}"
        channel = "transfer" if moved else "appointment" if appt else "walk_in"
        yield _event(
            "floor.ticket.issued", subject, issued, f"{subject}:issued", branch, customer,
            service=service, priority_reason=reason or "", channel=channel,
        )  # fmt: skip
        if appt and checked_in and not moved:
            yield _event(
                "floor.appointment.checked_in", subject, checked_in, f"{subject}:checked_in",
                branch, customer, service=service, appointment=reference,
            )  # fmt: skip
        if called:
            yield _event(
                "floor.ticket.called", subject, called, f"{subject}:called", branch, customer,
                staff, service=service, counter=counter,
            )  # fmt: skip
        if finished is None:
            continue
        if status in ("done", "transferred"):
            yield _event(
                "floor.ticket.finished", subject, finished, f"{subject}:finished", branch,
                customer, staff, service=service,
                outcome=TRANSFERRED if status == "transferred" else outcome,
            )  # fmt: skip
        elif status == "no_show":
            yield _event(
                "floor.ticket.no_show", subject, finished, f"{subject}:no_show", branch,
                customer, staff, service=service,
            )  # fmt: skip
        elif status == "cancelled":
            yield _event(
                "floor.ticket.cancelled", subject, finished, f"{subject}:cancelled", branch,
                customer, service=service,
            )  # fmt: skip


def _call_events(since) -> Iterator[ServiceEvent]:
    from servicefirst.dialer.models import Call

    ccc = care_center_id()
    staff_units = dict(Staff.objects.values_list("pk", "unit_id"))
    rows = Call.objects.order_by("pk")
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    fields = (
        "pk", "direction", "customer_id", "agent_id", "requested_by_id", "campaign_id",
        "campaign__unit_id", "queue", "needs_language", "created_at", "dialed_at",
        "connected_at", "ended_at", "rings_before_answer", "outcome",
    )  # fmt: skip
    for row in rows.values_list(*fields).iterator(chunk_size=BATCH):
        (pk, direction, customer, agent, requested_by, campaign, campaign_unit, queue, language,
         created, dialed, connected, ended, rings, outcome) = row  # fmt: skip
        subject = f"call:{pk}"
        if direction == "inbound":
            attrs = {"queue": queue or "", "language": language or ""}
            yield _event(
                "contact.call.offered", subject, dialed or created, f"{subject}:offered", ccc,
                customer, **attrs,
            )  # fmt: skip
            if connected:
                yield _event(
                    "contact.call.answered", subject, connected, f"{subject}:answered", ccc,
                    customer, agent, rings, **attrs,
                )  # fmt: skip
            elif ended:
                yield _event(
                    "contact.call.abandoned", subject, ended, f"{subject}:abandoned", ccc,
                    customer, **attrs,
                )  # fmt: skip
            unit = ccc
        else:
            unit = campaign_unit or staff_units.get(requested_by or agent) or ccc
        if ended:
            yield _event(
                "contact.call.ended", subject, ended, f"{subject}:ended", unit, customer, agent,
                direction=direction, campaign=str(campaign or ""),
            )  # fmt: skip


def _callback_events(since, now) -> Iterator[ServiceEvent]:
    from servicefirst.dialer.models import Callback

    ccc = care_center_id()
    staff_units = dict(Staff.objects.values_list("pk", "unit_id"))
    rows = Callback.objects.order_by("pk").filter(
        Q(status__in=("due", "done", "missed")) | Q(status="pending", due_at__lte=now)
    )
    if since is not None:
        rows = rows.filter(due_at__gte=since)
    fields = (
        "pk", "customer_id", "campaign_id", "campaign__unit_id", "created_by_id",
        "assigned_to_id", "due_at", "status", "done_call__dialed_at", "done_call__created_at",
        "done_call__agent_id",
    )  # fmt: skip
    for row in rows.values_list(*fields).iterator(chunk_size=BATCH):
        (pk, customer, campaign, campaign_unit, creator, assignee, due, status, dialed,
         call_created, agent) = row  # fmt: skip
        subject = f"callback:{pk}"
        unit = campaign_unit or staff_units.get(creator) or ccc
        made = (dialed or call_created) if status == "done" else None
        yield _event(
            "contact.callback.due", subject, min(due, made) if made else due, f"{subject}:due",
            unit, customer, assignee, campaign=str(campaign or ""),
        )  # fmt: skip
        if made:
            yield _event(
                "contact.callback.made", subject, made, f"{subject}:made", unit, customer,
                agent, campaign=str(campaign or ""),
            )  # fmt: skip


def _insert(events: Iterable[ServiceEvent], prefix: str) -> int:
    """Insert in batches, skipping events already recorded (their keys start with `prefix`);
    returns how many were new."""
    before = ServiceEvent.objects.count()
    known = set(
        ServiceEvent.objects.filter(source_key__startswith=prefix).values_list(
            "source_key", flat=True
        )
    )
    batch: list[ServiceEvent] = []
    for event in events:
        if event.source_key in known:
            continue
        batch.append(event)
        if len(batch) >= BATCH:
            ServiceEvent.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        ServiceEvent.objects.bulk_create(batch, ignore_conflicts=True)
    return ServiceEvent.objects.count() - before


def backfill(since: datetime.datetime | None = None, *, now=None) -> dict[str, int]:
    """Record the events of tickets, calls and callbacks already stored (issued / created /
    due since `since`, or all), from their stored timestamps. Idempotent: an event already
    recorded — by its producer or an earlier backfill — is skipped. Returns the numbers of
    new events per source."""
    now = now or timezone.now()
    return {
        "tickets": _insert(_ticket_events(since), "ticket:"),
        "calls": _insert(_call_events(since), "call:"),
        "callbacks": _insert(_callback_events(since, now), "callback:"),
    }
