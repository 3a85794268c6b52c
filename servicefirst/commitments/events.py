"""The events a commitment can measure, and the one way to record them.

Producers (the branch floor, the contact centre, service requests, the HTTP API) call `record`
inside the transaction that makes the change, so an event exists exactly when its change does.
`source_key` is unique: recording the same event again (a retry, a replay) is a no-op that
returns the event already there.

`KINDS` is the catalogue: the register's forms offer these, and `record` refuses anything else
so a typo cannot create a measure that never fires. Each kind lists the attributes it carries,
which a commitment version may filter on (`event_filter`).
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from servicefirst.commitments.models import ServiceEvent


@dataclass(frozen=True)
class Kind:
    code: str
    label: object  # lazy translation
    attrs: tuple[str, ...] = ()
    value: object = None  # what `value` holds, if anything


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        # The branch floor (subject "ticket:<id>", unit = the branch).
        Kind("floor.ticket.issued", _("Ticket issued"), ("service", "priority_reason", "channel")),
        Kind("floor.ticket.called", _("Ticket called to a counter"), ("service", "counter")),
        Kind("floor.ticket.finished", _("Ticket served"), ("service", "outcome")),
        Kind("floor.ticket.no_show", _("Ticket not answered (no-show)"), ("service",)),
        Kind("floor.ticket.cancelled", _("Ticket cancelled"), ("service",)),
        Kind("floor.appointment.checked_in", _("Appointment checked in"), ("service",)),
        # The contact centre (subject "call:<id>", unit = the contact centre).
        Kind("contact.call.offered", _("Inbound call offered"), ("queue", "language")),
        Kind(
            "contact.call.answered",
            _("Inbound call answered by an agent"),
            ("queue", "language"),
            _("rings before answer"),
        ),
        Kind("contact.call.abandoned", _("Inbound call abandoned"), ("queue", "language")),
        Kind("contact.call.ended", _("Call ended"), ("direction", "campaign")),
        Kind("contact.callback.due", _("Callback promised for a time"), ("campaign",)),
        Kind("contact.callback.made", _("Callback dialled"), ("campaign",)),
        # Service requests (subject "request:<id>", unit = the owning unit).
        Kind("request.opened", _("Request opened"), ("category", "channel", "kind", "severity")),
        Kind("request.first_response", _("First response to the customer"), ("category",)),
        Kind("request.waiting_customer", _("Waiting for the customer"), ("category",)),
        Kind("request.customer_replied", _("Customer replied"), ("category",)),
        Kind("request.resolved", _("Request resolved"), ("category", "kind", "severity")),
        Kind("request.closed", _("Request closed"), ("category",)),
        Kind("request.cancelled", _("Request withdrawn"), ("category",)),
        # A request handed to another unit (subject "transfer:<id>", unit = the receiving unit).
        Kind(
            "request.transfer.sent", _("Request transferred to a unit"), ("category", "from_unit")
        ),
        Kind("request.transfer.accepted", _("Transfer accepted by the unit"), ("category",)),
        Kind("request.transfer.answered", _("Transfer answered by the unit"), ("category",)),
        # Second-line work reported through the API (subject chosen by the caller).
        Kind("ops.item.requested", _("Item requested from a second-line unit"), ("item", "branch")),
        Kind("ops.item.delivered", _("Item delivered to the branch"), ("item", "branch")),
    )
}


class UnknownEventKind(ValueError):
    pass


def record(
    kind: str,
    *,
    subject: str,
    occurred_at: datetime.datetime,
    source_key: str,
    unit_id: int | None = None,
    customer_id: int | None = None,
    staff_id: int | None = None,
    value: float | None = None,
    attrs: dict | None = None,
) -> ServiceEvent:
    """Record one event, once. Call inside the producer's transaction."""
    if kind not in KINDS:
        raise UnknownEventKind(f"unknown event kind {kind!r}")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone")
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            return ServiceEvent.objects.create(
                kind=kind,
                subject=subject,
                occurred_at=occurred_at,
                source_key=source_key,
                unit_id=unit_id,
                customer_id=customer_id,
                staff_id=staff_id,
                value=value,
                attrs=attrs or {},
            )
    except IntegrityError:
        existing = ServiceEvent.objects.filter(source_key=source_key).first()
        if existing is None:
            raise
        return existing
