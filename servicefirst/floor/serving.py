"""Serving at a counter: a teller signs in at a counter, calls the next ticket (by the
dispatching rule of `ranking.py`), recalls, marks no-shows, transfers, serves a ticket out of
order, pauses and finishes with an outcome.

Every write is atomic, takes a keyword-only `actor` (the logged-in user), checks FLOOR_SERVE at
the counter's branch, logs a FloorEvent with the teller and, once committed, tells the branch's
live pages (board, display, teller pages) that something changed.

Calling is safe under concurrency: the chosen ticket is claimed with a conditional update
(WAITING → CALLED) that only one caller can win; on PostgreSQL the row is first locked with
`SELECT ... FOR UPDATE SKIP LOCKED`, so a caller racing another for the same ticket moves on to
its next candidate instead of waiting; on SQLite the IMMEDIATE transactions serialise writers.

The last part holds the reads of the teller's page (its counter, the waiting list, the short
customer profile, which is audit-logged once per ticket).
"""

import datetime
from dataclasses import dataclass, field, replace

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff
from servicefirst.accounts.permissions import Action, allows_unit, staff_of
from servicefirst.commitments import sources as commitment_events
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers.forms import language_label
from servicefirst.customers.models import Customer, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.floor import ranking
from servicefirst.floor.live import notify_floor
from servicefirst.floor.models import Counter, FloorEvent, Service, Ticket
from servicefirst.floor.selectors import floor_settings

REASON_MAX = 200  # Ticket.out_of_order_reason
PAUSE_REASON_MAX = 100  # Counter.pause_reason
NOTE_MAX = 300  # Ticket.outcome_note


# --- helpers -----------------------------------------------------------------------------


def _staff(actor) -> Staff:
    staff = staff_of(actor)
    if staff is None:
        raise PermissionDenied(_("Only staff may serve at a counter."))
    return staff


def _counter(actor, counter_id, *, lock: bool = False) -> Counter:
    """The counter, if the actor may serve at its branch (NotFound / PermissionDenied)."""
    # Counter's default ordering joins the branch: lock this row only, not the branch's.
    rows = Counter.objects.order_by()
    if lock:
        rows = rows.select_for_update(of=("self",))
    counter = rows.filter(pk=counter_id).first() if str(counter_id).isdigit() else None
    if counter is None:
        raise NotFound(_("No such counter."))
    if not allows_unit(actor, Action.FLOOR_SERVE, counter.branch_id):
        raise PermissionDenied(_("You may not serve at the counters of this branch."))
    return counter


def _my_counter(actor, counter_id) -> tuple[Counter, Staff]:
    """The counter (locked), which the actor must be signed in at."""
    counter = _counter(actor, counter_id, lock=True)
    staff = _staff(actor)
    if counter.staff_id != staff.pk:
        raise ValidationFailed(
            {"counter": [_("Sign in at counter %(number)s first.") % {"number": counter.number}]}
        )
    return counter, staff


def _ready_to_call(counter: Counter) -> None:
    if not counter.is_open:
        raise ValidationFailed(
            {"counter": [_("Counter %(number)s is closed.") % {"number": counter.number}]}
        )
    if counter.paused:
        raise ValidationFailed(
            {"counter": [_("The counter is paused: resume it before calling a ticket.")]}
        )
    current = Ticket.objects.filter(counter=counter, status=Ticket.Status.CALLED).first()
    if current is not None:
        raise ValidationFailed(
            {
                "ticket": [
                    _(
                        "Ticket %(number)s is still at the counter: finish it or mark it a "
                        "no-show first."
                    )
                    % {"number": current.number}
                ]
            }
        )


def _serving_ticket(actor, ticket_id) -> tuple[Ticket, Staff]:
    """The ticket (locked), which must be at the actor's counter (or the actor manages the
    floor of its branch)."""
    ticket = (
        Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if str(ticket_id).isdigit()
        else None
    )
    if ticket is None:
        raise NotFound(_("No such ticket."))
    manages = allows_unit(actor, Action.FLOOR_MANAGE, ticket.branch_id)
    if not (allows_unit(actor, Action.FLOOR_SERVE, ticket.branch_id) or manages):
        raise PermissionDenied(_("You may not serve at the counters of this branch."))
    staff = _staff(actor)
    if ticket.status != Ticket.Status.CALLED:
        raise ValidationFailed(
            {
                "ticket": [
                    _("Ticket %(number)s is not at a counter (it is %(status)s).")
                    % {"number": ticket.number, "status": ticket.get_status_display().lower()}
                ]
            }
        )
    mine = ticket.served_by_id == staff.pk or (
        ticket.counter_id is not None
        and Counter.objects.filter(pk=ticket.counter_id, staff=staff).exists()
    )
    if not (mine or manages):
        raise PermissionDenied(
            _("Ticket %(number)s is being served at another counter.") % {"number": ticket.number}
        )
    return ticket, staff


def _log(
    kind: str, *, branch_id: int, staff, ticket=None, counter=None, counter_id=None, **detail
) -> FloorEvent:
    return FloorEvent.objects.create(
        branch_id=branch_id,
        kind=kind,
        actor=staff,
        ticket=ticket,
        counter_id=counter.pk if counter is not None else counter_id,
        detail=detail,
    )


# --- the dispatching rule on the database ----------------------------------------------


def _candidates(branch_id: int) -> list[ranking.Candidate]:
    rows = Ticket.objects.filter(branch_id=branch_id, status=Ticket.Status.WAITING).values_list(
        "pk", "service_id", "issued_at", "priority", "language", "target_counter_id"
    )
    return [
        ranking.Candidate(
            id=pk,
            service_id=service_id,
            issued_at=issued_at,
            priority=priority,
            language=language,
            target_counter_id=target,
        )
        for pk, service_id, issued_at, priority, language, target in rows
    ]


def _other_speakers(counter: Counter) -> dict[int, frozenset[str]]:
    """Service id → languages spoken by the tellers of the branch's other accepting counters
    that handle that service."""
    others = (
        Counter.objects.filter(
            branch_id=counter.branch_id, is_open=True, paused=False, staff__isnull=False
        )
        .exclude(pk=counter.pk)
        .select_related("staff")
        .prefetch_related("services")
    )
    speakers: dict[int, set[str]] = {}
    for other in others:
        languages = set(other.staff.languages or [])
        for service in other.services.all():
            speakers.setdefault(service.pk, set()).update(languages)
    return {sid: frozenset(langs) for sid, langs in speakers.items()}


@dataclass
class _Dispatch:
    """One counter's view of its branch's queue, ready for `ranking.pick`."""

    candidates: list[ranking.Candidate]
    view: ranking.CounterView
    other_speakers: frozenset[str]
    max_wait_s: float
    now: datetime.datetime

    def pick(self) -> ranking.Candidate | None:
        return ranking.pick(
            self.candidates,
            self.view,
            now=self.now,
            max_wait_s=self.max_wait_s,
            other_speakers=self.other_speakers,
        )

    def drop(self, ticket_id: int) -> None:
        self.candidates = [c for c in self.candidates if c.id != ticket_id]


def _dispatch(counter: Counter, staff: Staff) -> _Dispatch:
    """`ranking.pick` takes one set of "languages spoken elsewhere"; the rule here is per
    service (a ticket is left for another teller only if a teller who speaks its language
    serves its service). So a ticket whose language nobody else serving its service speaks,
    or which was transferred to this very counter, is handed over without a language; the
    others keep theirs, and all the others' languages are passed along."""
    speakers = _other_speakers(counter)
    candidates = []
    for c in _candidates(counter.branch_id):
        if c.language and (
            c.target_counter_id == counter.pk or c.language not in speakers.get(c.service_id, ())
        ):
            c = replace(c, language="")
        candidates.append(c)
    settings = floor_settings(counter.branch_id)
    return _Dispatch(
        candidates=candidates,
        view=ranking.CounterView(
            id=counter.pk,
            service_ids=frozenset(counter.services.values_list("pk", flat=True)),
            languages=frozenset(staff.languages or []),
        ),
        other_speakers=frozenset().union(*speakers.values()) if speakers else frozenset(),
        max_wait_s=settings.max_wait_minutes * 60,
        now=timezone.now(),
    )


def _claim(ticket_id: int, counter: Counter, staff: Staff) -> Ticket | None:
    """Move the ticket WAITING → CALLED at this counter, unless another caller got it first."""
    waiting = Ticket.objects.filter(pk=ticket_id, status=Ticket.Status.WAITING)
    # On PostgreSQL, another caller holding the row is calling it: skip it rather than wait.
    if connection.features.has_select_for_update_skip_locked and not (
        waiting.select_for_update(skip_locked=True).values_list("pk", flat=True)
    ):
        return None
    updated = waiting.update(
        status=Ticket.Status.CALLED,
        called_at=timezone.now(),
        counter=counter,
        served_by=staff,
    )
    if updated != 1:
        return None
    return Ticket.objects.select_related("service", "customer").get(pk=ticket_id)


# --- counters ------------------------------------------------------------------------------


@transaction.atomic
def counter_sign_in(*, actor, counter_id) -> Counter:
    """Sit the actor at the counter and open it. A teller is at one counter at a time: signing
    in here leaves the previous one (unless a customer is still being served there)."""
    counter = _counter(actor, counter_id, lock=True)
    staff = _staff(actor)
    if counter.staff_id == staff.pk and counter.is_open:
        return counter
    taken = counter.staff_id not in (None, staff.pk)
    if taken and (
        counter.is_open
        or Ticket.objects.filter(counter=counter, status=Ticket.Status.CALLED).exists()
    ):
        raise ValidationFailed(
            {
                "counter": [
                    _("%(name)s is signed in at counter %(number)s.")
                    % {"name": counter.staff.name, "number": counter.number}
                ]
            }
        )
    others = Counter.objects.order_by().select_for_update(of=("self",))
    for previous in others.filter(staff=staff).exclude(pk=counter.pk):
        busy = Ticket.objects.filter(counter=previous, status=Ticket.Status.CALLED).first()
        if busy is not None:
            raise ValidationFailed(
                {
                    "counter": [
                        _(
                            "You are serving ticket %(ticket)s at counter %(number)s: finish "
                            "it before moving."
                        )
                        % {"ticket": busy.number, "number": previous.number}
                    ]
                }
            )
        previous.staff = None
        previous.is_open = False
        previous.paused = False
        previous.pause_reason = ""
        previous.save(update_fields=["staff", "is_open", "paused", "pause_reason"])
        _log(FloorEvent.Kind.SIGN_OUT, branch_id=previous.branch_id, staff=staff, counter=previous)
        notify_floor(previous.branch_id, "counters")
    counter.staff = staff
    counter.is_open = True
    counter.paused = False
    counter.pause_reason = ""
    counter.save(update_fields=["staff", "is_open", "paused", "pause_reason"])
    _log(FloorEvent.Kind.SIGN_IN, branch_id=counter.branch_id, staff=staff, counter=counter)
    notify_floor(counter.branch_id, "counters")
    return counter


@transaction.atomic
def counter_sign_out(*, actor, counter_id) -> Counter:
    """Leave the counter (it closes); not while a customer is being served there."""
    counter, staff = _my_counter(actor, counter_id)
    busy = Ticket.objects.filter(counter=counter, status=Ticket.Status.CALLED).first()
    if busy is not None:
        raise ValidationFailed(
            {
                "ticket": [
                    _("Finish ticket %(number)s before leaving the counter.")
                    % {"number": busy.number}
                ]
            }
        )
    counter.staff = None
    counter.is_open = False
    counter.paused = False
    counter.pause_reason = ""
    counter.save(update_fields=["staff", "is_open", "paused", "pause_reason"])
    _log(FloorEvent.Kind.SIGN_OUT, branch_id=counter.branch_id, staff=staff, counter=counter)
    notify_floor(counter.branch_id, "counters")
    return counter


@transaction.atomic
def pause(*, actor, counter_id, reason: str = "") -> Counter:
    """Stop calling at the counter (a break); a customer being served may be finished."""
    reason = (reason or "").strip()
    if len(reason) > PAUSE_REASON_MAX:
        raise ValidationFailed(
            {"reason": [_("Keep the reason to %(n)d characters.") % {"n": PAUSE_REASON_MAX}]}
        )
    counter, staff = _my_counter(actor, counter_id)
    if counter.paused:
        return counter
    counter.paused = True
    counter.pause_reason = reason
    counter.save(update_fields=["paused", "pause_reason"])
    _log(
        FloorEvent.Kind.PAUSE,
        branch_id=counter.branch_id,
        staff=staff,
        counter=counter,
        reason=reason,
    )
    notify_floor(counter.branch_id, "counters")
    return counter


@transaction.atomic
def resume(*, actor, counter_id) -> Counter:
    counter, staff = _my_counter(actor, counter_id)
    if not counter.paused:
        return counter
    counter.paused = False
    counter.pause_reason = ""
    counter.save(update_fields=["paused", "pause_reason"])
    _log(FloorEvent.Kind.RESUME, branch_id=counter.branch_id, staff=staff, counter=counter)
    notify_floor(counter.branch_id, "counters")
    return counter


# --- tickets -------------------------------------------------------------------------------


@transaction.atomic
def call_next(*, actor, counter_id) -> Ticket | None:
    """Call the ticket this counter should serve next (None when nobody it can serve waits).
    Two counters calling at the same moment never get the same ticket."""
    counter, staff = _my_counter(actor, counter_id)
    _ready_to_call(counter)
    dispatch = _dispatch(counter, staff)
    while (choice := dispatch.pick()) is not None:
        ticket = _claim(choice.id, counter, staff)
        if ticket is not None:
            break
        dispatch.drop(choice.id)  # taken by another counter a moment ago
    else:
        return None
    commitment_events.ticket_called(ticket)
    waited_s = (ticket.called_at - ticket.issued_at).total_seconds()
    _log(
        FloorEvent.Kind.CALL,
        branch_id=counter.branch_id,
        staff=staff,
        ticket=ticket,
        counter=counter,
        number=ticket.number,
        priority=ticket.priority,
        waited_s=round(waited_s),
        overdue=waited_s >= dispatch.max_wait_s,
    )
    notify_floor(counter.branch_id, "call")
    return ticket


@transaction.atomic
def serve_specific(*, actor, counter_id, ticket_id, reason: str) -> Ticket:
    """Call a particular waiting ticket out of order; the reason is required and logged with
    the ticket that would have been next."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why this ticket is served out of order.")]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            {"reason": [_("Keep the reason to %(n)d characters.") % {"n": REASON_MAX}]}
        )
    counter, staff = _my_counter(actor, counter_id)
    ticket = (
        Ticket.objects.filter(pk=ticket_id, branch_id=counter.branch_id).first()
        if str(ticket_id).isdigit()
        else None
    )
    if ticket is None:
        raise NotFound(_("No such ticket."))
    _ready_to_call(counter)
    next_in_line = _dispatch(counter, staff).pick()
    claimed = _claim(ticket.pk, counter, staff)
    if claimed is None:
        raise ValidationFailed(
            {"ticket": [_("Ticket %(number)s is no longer waiting.") % {"number": ticket.number}]}
        )
    Ticket.objects.filter(pk=claimed.pk).update(out_of_order_reason=reason)
    claimed.out_of_order_reason = reason
    commitment_events.ticket_called(claimed)
    skipped = (
        Ticket.objects.filter(pk=next_in_line.id).values_list("number", flat=True).first()
        if next_in_line is not None and next_in_line.id != claimed.pk
        else None
    )
    _log(
        FloorEvent.Kind.SERVE_SPECIFIC,
        branch_id=counter.branch_id,
        staff=staff,
        ticket=claimed,
        counter=counter,
        number=claimed.number,
        reason=reason,
        next_in_line=skipped or "",
    )
    notify_floor(counter.branch_id, "call")
    return claimed


@transaction.atomic
def recall(*, actor, ticket_id) -> Ticket:
    """Call the ticket at the counter again (the display announces it once more)."""
    ticket, staff = _serving_ticket(actor, ticket_id)
    Ticket.objects.filter(pk=ticket.pk).update(recall_count=F("recall_count") + 1)
    ticket.refresh_from_db(fields=["recall_count"])
    _log(
        FloorEvent.Kind.RECALL,
        branch_id=ticket.branch_id,
        staff=staff,
        ticket=ticket,
        counter_id=ticket.counter_id,
        number=ticket.number,
        recall_count=ticket.recall_count,
    )
    notify_floor(ticket.branch_id, "recall")
    return ticket


@transaction.atomic
def no_show(*, actor, ticket_id) -> Ticket:
    """The called customer did not come to the counter."""
    ticket, staff = _serving_ticket(actor, ticket_id)
    ticket.status = Ticket.Status.NO_SHOW
    ticket.finished_at = timezone.now()
    ticket.save(update_fields=["status", "finished_at"])
    commitment_events.ticket_no_show(ticket)
    _log(
        FloorEvent.Kind.NO_SHOW,
        branch_id=ticket.branch_id,
        staff=staff,
        ticket=ticket,
        counter_id=ticket.counter_id,
        number=ticket.number,
        recalls=ticket.recall_count,
    )
    notify_floor(ticket.branch_id, "queue")
    return ticket


@transaction.atomic
def transfer(*, actor, ticket_id, service_code=None, counter_id=None) -> Ticket:
    """Send the customer on to another service and/or a particular counter: this ticket ends
    as TRANSFERRED and a new WAITING ticket with the same number, customer and priority
    continues it (reason "transfer"). Returns the new ticket."""
    ticket, staff = _serving_ticket(actor, ticket_id)
    errors: dict[str, list[str]] = {}
    if not service_code and not counter_id:
        errors["service"] = [_("Choose a service or a counter to transfer to.")]
    service = ticket.service
    if service_code:
        service = Service.objects.filter(code=service_code, is_active=True).first()
        if service is None:
            errors["service"] = [_("No such service.")]
    target = None
    if counter_id:
        target = (
            Counter.objects.filter(pk=counter_id, branch_id=ticket.branch_id).first()
            if str(counter_id).isdigit()
            else None
        )
        if target is None:
            errors["counter"] = [_("No such counter at this branch.")]
        elif target.pk == ticket.counter_id:
            errors["counter"] = [_("The customer is already at this counter.")]
    if not errors and target is None and service.pk == ticket.service_id:
        errors["service"] = [_("The ticket is already for this service: choose another one.")]
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    ticket.status = Ticket.Status.TRANSFERRED
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at"])
    new = Ticket.objects.create(
        branch_id=ticket.branch_id,
        service=service,
        day=ticket.day,
        number=ticket.number,
        customer_id=ticket.customer_id,
        identified_by=ticket.identified_by,
        priority=ticket.priority,
        priority_reason=Ticket.Reason.TRANSFER,
        language=ticket.language,
        appointment_id=ticket.appointment_id,
        issued_at=now,
        target_counter=target,
        transferred_from=ticket,
    )
    commitment_events.ticket_finished(ticket)
    commitment_events.ticket_issued(new)
    _log(
        FloorEvent.Kind.TRANSFER,
        branch_id=ticket.branch_id,
        staff=staff,
        ticket=ticket,
        counter_id=ticket.counter_id,
        number=ticket.number,
        new_ticket=new.pk,
        service=service.code,
        to_counter=target.number if target else None,
        priority=new.priority,
        priority_reason_before=ticket.priority_reason,
    )
    notify_floor(ticket.branch_id, "queue")
    return new


@transaction.atomic
def finish(*, actor, ticket_id, outcome: str, note: str = "") -> Ticket:
    """The customer has been served: record the outcome, and the visit on the customer's
    timeline when the customer is known."""
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in Ticket.Outcome.values:
        errors["outcome"] = [_("Choose how the visit ended.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("Keep the note to %(n)d characters.") % {"n": NOTE_MAX}]
    if errors:
        raise ValidationFailed(errors)
    ticket, staff = _serving_ticket(actor, ticket_id)
    ticket.status = Ticket.Status.DONE
    ticket.finished_at = timezone.now()
    ticket.outcome = outcome
    ticket.outcome_note = note
    ticket.save(update_fields=["status", "finished_at", "outcome", "outcome_note"])
    commitment_events.ticket_finished(ticket)
    if ticket.customer_id:
        label = Ticket.Outcome(outcome).label
        interaction_record(
            customer=ticket.customer,
            kind=Interaction.Kind.VISIT,
            actor=actor,
            summary=f"{ticket.service} {ticket.number}: {label}" + (f" — {note}" if note else ""),
            channel=Customer.Channel.BRANCH,
            outcome=outcome,
            occurred_at=ticket.finished_at,
            detail={
                "ticket": ticket.pk,
                "number": ticket.number,
                "branch": ticket.branch_id,
                "service": ticket.service.code,
                "wait_s": round(ticket.wait_s or 0),
                "service_s": round(ticket.service_s or 0),
            },
        )
    _log(
        FloorEvent.Kind.FINISH,
        branch_id=ticket.branch_id,
        staff=staff,
        ticket=ticket,
        counter_id=ticket.counter_id,
        number=ticket.number,
        outcome=outcome,
    )
    notify_floor(ticket.branch_id, "queue")
    return ticket


@transaction.atomic
def offer_made(*, actor, ticket_id, product_code: str):
    """The teller offered the suggested product to the customer at the counter: an "offered"
    step of the cross-sell funnel, by this teller, at the branch."""
    from servicefirst.insights.services import offer_record

    ticket, _staff_member = _serving_ticket(actor, ticket_id)
    if not ticket.customer_id:
        raise ValidationFailed({"ticket": [_("This ticket's customer is not known.")]})
    return offer_record(
        actor=actor,
        customer_id=ticket.customer_id,
        product_code=product_code,
        stage="offered",
        channel=Customer.Channel.BRANCH,
    )


# --- reads for the teller's page ---------------------------------------------------------


def teller_counter(*, actor) -> Counter | None:
    """The counter the actor is signed in at (None if none)."""
    staff = staff_of(actor)
    if staff is None:
        return None
    return (
        Counter.objects.filter(staff=staff)
        .select_related("branch", "staff")
        .prefetch_related("services")
        .first()
    )


def branch_counters(*, actor) -> list[Counter]:
    """The counters of the actor's branch, for choosing one to sign in at."""
    staff = staff_of(actor)
    if staff is None or not allows_unit(actor, Action.FLOOR_SERVE, staff.unit_id):
        raise PermissionDenied(_("You may not serve at the counters of this branch."))
    return list(
        Counter.objects.filter(branch_id=staff.unit_id)
        .select_related("staff")
        .prefetch_related("services")
    )


def current_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.filter(counter=counter, status=Ticket.Status.CALLED)
        .select_related("service", "customer")
        .first()
    )


@dataclass
class WaitingRow:
    ticket: Ticket
    waited_min: int
    overdue: bool
    language: str = ""  # the language the customer needs, named in that language


@dataclass
class WaitingGroup:
    title: str
    rows: list[WaitingRow] = field(default_factory=list)


def waiting_for_counter(counter: Counter, *, now=None) -> list[WaitingGroup]:
    """The branch's waiting tickets this counter can serve: those sent to it first, then one
    group per service it handles, each in the order the dispatching rule calls them."""
    now = now or timezone.now()
    max_wait_s = floor_settings(counter.branch_id).max_wait_minutes * 60
    services = list(counter.services.all())
    tickets = {
        t.pk: t
        for t in Ticket.objects.filter(branch_id=counter.branch_id, status=Ticket.Status.WAITING)
        .filter(Q(target_counter=counter) | Q(target_counter__isnull=True, service__in=services))
        .select_related("service")
    }

    def rows(items: list[Ticket]) -> list[WaitingRow]:
        ordered = ranking.queue_order(
            [
                ranking.Candidate(
                    id=t.pk, service_id=t.service_id, issued_at=t.issued_at, priority=t.priority
                )
                for t in items
            ],
            now=now,
            max_wait_s=max_wait_s,
        )
        out = []
        for c in ordered:
            age = (now - tickets[c.id].issued_at).total_seconds()
            t = tickets[c.id]
            language = language_label(t.language) if t.language else ""
            out.append(WaitingRow(t, int(age // 60), age >= max_wait_s, language))
        return out

    groups = []
    mine = [t for t in tickets.values() if t.target_counter_id == counter.pk]
    if mine:
        groups.append(WaitingGroup(_("Sent to this counter"), rows(mine)))
    for service in services:
        items = [
            t
            for t in tickets.values()
            if t.service_id == service.pk and t.target_counter_id is None
        ]
        groups.append(WaitingGroup(str(service), rows(items)))
    return groups


COMPOUND_SURNAMES = frozenset(
    ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙")
    + ("宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "南宫", "西门", "独孤")
    + ("百里", "呼延", "澹台", "公冶", "申屠", "太史", "闻人", "万俟", "濮阳", "赫连")
)


def greeting(customer: Customer) -> str:
    """How to greet the customer, in their language: 张先生 / 李女士 for a Chinese name,
    Mr / Ms and the Latin name for customers who prefer English (or have no Chinese name)."""
    male = customer.gender == Customer.Gender.MALE
    female = customer.gender == Customer.Gender.FEMALE
    if customer.name_zh and customer.preferred_language != "en":
        name = customer.name_zh
        if not (male or female):
            return name
        surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[0]
        return surname + ("先生" if male else "女士")
    name = customer.name_latin or customer.name_zh or customer.number
    if male:
        return f"Mr {name}"
    if female:
        return f"Ms {name}"
    return name


@dataclass
class CustomerBrief:
    """What the teller sees of the customer at the counter: no identity number, no contact
    details."""

    customer: Customer
    greeting: str
    language: str
    tier: str
    products: list[str]
    offer: object | None  # scoring.selectors.Offer
    offer_reason: str


def customer_brief(*, actor, ticket: Ticket) -> CustomerBrief | None:
    """The short profile of the customer of a ticket being served (None when unknown). Opening
    it is a view of the customer: audit-logged once per ticket."""
    from servicefirst.customers.selectors import customer_get
    from servicefirst.scoring.selectors import held_product_names, top_offer

    if not ticket.customer_id:
        return None
    try:
        customer = customer_get(actor=actor, customer_id=ticket.customer_id)
    except NotFound:
        return None
    seen = AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer_id=customer.pk,
        object_type="customer",
        detail__ticket=ticket.pk,
    ).exists()
    if not seen:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
            detail={"ticket": ticket.pk, "view": "teller profile", "number": ticket.number},
        )
    products = held_product_names(customer)
    offer, reason = top_offer(actor=actor, customer_id=customer.pk)
    return CustomerBrief(
        customer=customer,
        greeting=greeting(customer),
        language=language_label(customer.preferred_language),
        tier=customer.get_value_tier_display(),
        products=products,
        offer=offer,
        offer_reason=reason,
    )
