"""Reads of the branch floor: a branch's settings, its waiting tickets as the dispatching rule
sees them, the people ahead of a ticket, the public display and the queue per service.

Nothing here shows personal data: tickets are numbers, counters are numbers."""

import datetime

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from servicefirst.accounts.models import Unit
from servicefirst.core.errors import NotFound
from servicefirst.floor import ranking
from servicefirst.floor.models import Counter, FloorEvent, FloorSettings, Service, Ticket

DISPLAY_CALLED = 8  # how many called numbers the public display lists
# The floor actions that announce a number on the display (serving.call_next, serve_specific
# and recall log them); the display lists numbers by their latest announcement.
ANNOUNCEMENTS = (FloorEvent.Kind.CALL, FloorEvent.Kind.SERVE_SPECIFIC, FloorEvent.Kind.RECALL)


def branch_get(branch_id: int) -> Unit:
    """A branch (a unit of kind branch), or NotFound."""
    try:
        return Unit.objects.get(pk=branch_id, kind=Unit.Kind.BRANCH)
    except (Unit.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such branch.") from exc


def branch_by_code(code: str) -> Unit:
    """A branch by its code (the kiosk's and the display's address), or NotFound."""
    try:
        return Unit.objects.get(code=code, kind=Unit.Kind.BRANCH)
    except Unit.DoesNotExist as exc:
        raise NotFound("No such branch.") from exc


def branches() -> list[Unit]:
    """Every branch, for the public booking page."""
    return list(Unit.objects.filter(kind=Unit.Kind.BRANCH).order_by("code"))


def floor_settings(branch_id: int) -> FloorSettings:
    """The branch's floor settings; created with the defaults (every active service offered)
    the first time they are asked for."""
    settings = FloorSettings.objects.filter(branch_id=branch_id).first()
    if settings is not None:
        return settings
    branch_get(branch_id)
    settings, created = FloorSettings.objects.get_or_create(branch_id=branch_id)
    if created:
        settings.services.set(Service.objects.filter(is_active=True))
    return settings


def services_offered(branch_id: int) -> list[Service]:
    """The active services the branch offers, in display order."""
    settings = floor_settings(branch_id)
    return list(settings.services.filter(is_active=True).order_by("sort_order", "code"))


def candidate_of(ticket: Ticket) -> ranking.Candidate:
    return ranking.Candidate(
        id=ticket.pk,
        service_id=ticket.service_id,
        issued_at=ticket.issued_at,
        priority=ticket.priority,
        language=ticket.language,
        target_counter_id=ticket.target_counter_id,
    )


def waiting_candidates(branch_id: int, service_id: int | None = None) -> list[ranking.Candidate]:
    """The branch's waiting tickets (optionally of one service) as the dispatching rule sees
    them, in issue order."""
    rows = Ticket.objects.filter(branch_id=branch_id, status=Ticket.Status.WAITING)
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    return [
        ranking.Candidate(
            id=pk,
            service_id=sid,
            issued_at=issued,
            priority=priority,
            language=language,
            target_counter_id=target,
        )
        for pk, sid, issued, priority, language, target in rows.order_by(
            "issued_at", "id"
        ).values_list("id", "service_id", "issued_at", "priority", "language", "target_counter_id")
    ]


def _same_queue(candidate: ranking.Candidate, ticket: Ticket) -> bool:
    if ticket.target_counter_id is not None:
        return candidate.target_counter_id == ticket.target_counter_id or (
            candidate.target_counter_id is None and candidate.service_id == ticket.service_id
        )
    return candidate.target_counter_id is None and candidate.service_id == ticket.service_id


def tickets_ahead(ticket: Ticket, *, now=None) -> list[ranking.Candidate]:
    """The waiting tickets that would be called before this one for its service (or, for a
    ticket sent to a counter, at that counter), in the order they would be called."""
    if ticket.status != Ticket.Status.WAITING:
        return []
    now = now or timezone.now()
    settings = floor_settings(ticket.branch_id)
    queue = [c for c in waiting_candidates(ticket.branch_id) if _same_queue(c, ticket)]
    order = ranking.queue_order(queue, now=now, max_wait_s=settings.max_wait_minutes * 60)
    ahead = []
    for candidate in order:
        if candidate.id == ticket.pk:
            return ahead
        ahead.append(candidate)
    return ahead


def people_ahead(ticket: Ticket, *, now=None) -> int:
    """How many people would be called before this ticket (0 when it is no longer waiting)."""
    return len(tickets_ahead(ticket, now=now))


def counters_for_service(branch_id: int, service_id: int) -> list[Counter]:
    """The branch's counters that handle the service (open or not), with their tellers."""
    return list(
        Counter.objects.filter(branch_id=branch_id, services=service_id)
        .select_related("staff")
        .order_by("number")
    )


def display_state(branch_id: int, *, now=None) -> dict:
    """What the public display shows: today's latest called numbers with their counters (the
    latest announcement first — a recall brings a number back to the top; `serving` while the
    customer is at the counter) and the number of people waiting per service. Ticket numbers
    only, never names."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    called = (
        Ticket.objects.filter(
            branch_id=branch_id, day=today, called_at__isnull=False, counter__isnull=False
        )
        .exclude(status=Ticket.Status.CANCELLED)
        .annotate(
            announced=Coalesce(
                Max("events__at", filter=Q(events__kind__in=ANNOUNCEMENTS)), "called_at"
            )
        )
        .select_related("counter", "service")
        .order_by("-announced", "-id")[:DISPLAY_CALLED]
    )
    counts = dict(
        Ticket.objects.filter(branch_id=branch_id, status=Ticket.Status.WAITING)
        .values_list("service_id")
        .annotate(n=Count("id"))
        .values_list("service_id", "n")
    )
    return {
        "called": [
            {
                "number": t.number,
                "counter": t.counter.number,
                "service": t.service,
                "called_at": t.called_at,
                "serving": t.status == Ticket.Status.CALLED,
            }
            for t in called
        ],
        "waiting": [
            {"service": s, "waiting": counts.get(s.pk, 0)} for s in services_offered(branch_id)
        ],
        "total_waiting": sum(counts.values()),
        "at": now,
    }


def queue_summary(branch_id: int, *, now=None) -> list[dict]:
    """Per offered service: people waiting, the longest wait so far (s), the accepting
    counters that handle it and the predicted wait of a ticket taken now (s)."""
    from servicefirst.floor.prediction import predict_waits_s

    now = now or timezone.now()
    stats = {
        row["service_id"]: row
        for row in Ticket.objects.filter(branch_id=branch_id, status=Ticket.Status.WAITING)
        .values("service_id")
        .annotate(n=Count("id"), first=Min("issued_at"))
    }
    accepting: dict[int, int] = {}
    for counter in Counter.objects.filter(branch_id=branch_id).prefetch_related("services"):
        if counter.accepting:
            for service in counter.services.all():
                accepting[service.pk] = accepting.get(service.pk, 0) + 1
    offered = services_offered(branch_id)
    predicted = predict_waits_s(branch_id, [s.pk for s in offered], now=now)
    out = []
    for service in offered:
        row = stats.get(service.pk)
        first: datetime.datetime | None = row["first"] if row else None
        out.append(
            {
                "service": service,
                "waiting": row["n"] if row else 0,
                "longest_wait_s": max(0.0, (now - first).total_seconds()) if first else 0.0,
                "counters": accepting.get(service.pk, 0),
                "predicted_wait_s": predicted[service.pk],
            }
        )
    return out
