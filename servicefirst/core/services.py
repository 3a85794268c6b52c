"""Writes shared by every capability: the audit log."""

from typing import Any

from servicefirst.core.context import current_origin
from servicefirst.core.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    customer_id: int | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit log, with the origin of the current request or command."""
    origin = current_origin()
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=getattr(actor, "username", "") or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        customer_id=customer_id,
        ip=origin.ip,
        user_agent=origin.user_agent,
        channel=origin.channel,
        detail=detail or {},
    )


def audit_record_many(
    *, actor, action: str, customer_ids: list[int], detail: dict | None = None
) -> int:
    """One event per customer (e.g. an export), inserted in batches."""
    origin = current_origin()
    user = actor if getattr(actor, "is_authenticated", False) else None
    events = [
        AuditEvent(
            actor=user,
            actor_username=getattr(actor, "username", "") or "system",
            action=action,
            object_type="customer",
            object_id=str(cid),
            customer_id=cid,
            ip=origin.ip,
            user_agent=origin.user_agent,
            channel=origin.channel,
            detail=detail or {},
        )
        for cid in customer_ids
    ]
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def sequence_allocate(name: str, count: int = 1) -> range:
    """Reserve `count` consecutive numbers from the named sequence."""
    from django.db import transaction

    from servicefirst.core.models import Sequence

    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        seq = Sequence.objects.select_for_update().get(name=name)
        start = seq.next_value
        Sequence.objects.filter(name=name).update(next_value=start + count)
    return range(start, start + count)
