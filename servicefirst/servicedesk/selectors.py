"""Reads of service requests: who may see which request, the queues and their filters, one
request with its conversation, notes, transfers and the clocks of the commitments measuring it,
and the customer's public status page.

Visibility (`Action.REQUEST_WORK`, or `REQUEST_SUPERVISE`, whichever is wider): ALL sees every
request; UNIT sees the requests its unit owns or was ever sent; NONE sees nothing. "Missing"
and "not yours" are the same NotFound.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import (
    MATRIX,
    Action,
    Scope,
    allows_customer,
    allows_unit,
    scope_for,
    staff_of,
)
from servicefirst.commitments.models import Case
from servicefirst.commitments.services import number
from servicefirst.core.errors import NotFound
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers import fields as f
from servicefirst.servicedesk.models import (
    RequestCategory,
    RequestMessage,
    RequestTransfer,
    ServiceRequest,
)

Status = ServiceRequest.Status
PAGE_SIZE = 50


def request_scope(actor) -> Scope:
    return max(scope_for(actor, Action.REQUEST_WORK), scope_for(actor, Action.REQUEST_SUPERVISE))


def _unit_q(unit_id: int) -> Q:
    return Q(unit_id=unit_id) | Q(
        Exists(RequestTransfer.objects.filter(request_id=OuterRef("pk"), to_unit_id=unit_id))
    )


def visible_requests(actor) -> QuerySet[ServiceRequest]:
    scope = request_scope(actor)
    if scope == Scope.ALL:
        return ServiceRequest.objects.all()
    staff = staff_of(actor)
    if scope == Scope.NONE or staff is None:
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(_unit_q(staff.unit_id))


def request_visible(actor, req: ServiceRequest) -> bool:
    scope = request_scope(actor)
    if scope == Scope.ALL:
        return True
    staff = staff_of(actor)
    if scope == Scope.NONE or staff is None:
        return False
    return req.unit_id == staff.unit_id or req.transfers.filter(to_unit_id=staff.unit_id).exists()


def request_get(*, actor, request_id) -> ServiceRequest:
    try:
        pk = int(request_id)
    except (TypeError, ValueError):
        pk = 0
    req = (
        visible_requests(actor)
        .select_related("category", "customer", "customer__home_branch", "unit", "assignee")
        .filter(pk=pk)
        .first()
    )
    if req is None:
        raise NotFound(_("No such service request."))
    return req


def categories(*, public: bool = False) -> list[RequestCategory]:
    qs = RequestCategory.objects.filter(is_active=True).select_related("default_unit")
    if public:
        qs = qs.filter(public=True)
    return list(qs)


# --- queues ----------------------------------------------------------------------------------


def _subject_expr(prefix: str, ref: str = "pk"):
    return Concat(Value(prefix), Cast(OuterRef(ref), CharField()), output_field=CharField())


def late_cases(now: datetime.datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    return Case.objects.filter(
        Q(state=Case.State.BREACHED) | Q(state=Case.State.OPEN, due_at__lt=now)
    )


def overdue_q(now: datetime.datetime | None = None) -> Q:
    """Requests one of whose clocks (its own or a transfer's) ran out."""
    late = late_cases(now)
    transfers = RequestTransfer.objects.filter(request_id=OuterRef("pk")).filter(
        Exists(late.filter(subject=_subject_expr("transfer:")))
    )
    return Q(Exists(late.filter(subject=_subject_expr("request:")))) | Q(Exists(transfers))


QUEUES = ("mine", "unit", "transfers", "all")


@dataclass
class Queue:
    name: str
    requests: list
    total: int
    counts: dict[str, int]
    page: int
    pages: int


def queue_names(actor) -> list[str]:
    names = ["mine", "unit", "transfers"]
    if request_scope(actor) == Scope.ALL or scope_for(actor, Action.REQUEST_SUPERVISE) > 0:
        names.append("all")
    return names


def request_queue(
    *, actor, queue: str = "mine", filters: dict | None = None, page: int = 1
) -> Queue:
    """One queue of requests, filtered: `mine` (assigned to me, still open), `unit` (my unit's,
    nobody assigned), `transfers` (sent to my unit, not answered), `all` (everything I may
    see: supervisors and bank-wide staff). Counts by status are for the queue before the
    status filter."""
    filters = filters or {}
    staff = staff_of(actor)
    qs = visible_requests(actor)
    if queue not in queue_names(actor):
        queue = "mine"
    if staff is None:
        qs = qs.none()
    elif queue == "mine":
        qs = qs.filter(assignee=staff)
    elif queue == "unit":
        qs = qs.filter(unit_id=staff.unit_id, assignee__isnull=True)
    elif queue == "transfers":
        qs = qs.filter(
            Exists(
                RequestTransfer.objects.filter(
                    request_id=OuterRef("pk"), to_unit_id=staff.unit_id, answered_at__isnull=True
                )
            )
        )
    for name in ("kind", "channel"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("category"):
        qs = qs.filter(category__code=filters["category"])
    if str(filters.get("unit") or "").isdigit():
        qs = qs.filter(unit_id=int(filters["unit"]))
    if filters.get("overdue"):
        qs = qs.filter(overdue_q())
    if filters.get("q"):
        text = str(filters["q"]).strip()
        qs = qs.filter(
            Q(number__iexact=text) | Q(subject__icontains=text) | Q(customer__number__iexact=text)
        )
    status = filters.get("status") or ""
    counts = {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))}
    if status == "active" or (not status and queue != "all"):
        qs = qs.filter(status__in=ServiceRequest.ACTIVE)
    elif status in Status.values:
        qs = qs.filter(status=status)
    total = qs.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, int(page or 1)), pages)
    rows = list(
        qs.select_related("category", "customer", "unit", "assignee").order_by("-opened_at", "-id")[
            (page - 1) * PAGE_SIZE : page * PAGE_SIZE
        ]
    )
    late = set(
        ServiceRequest.objects.filter(pk__in=[r.pk for r in rows])
        .filter(overdue_q())
        .values_list("pk", flat=True)
    )
    for r in rows:
        r.is_overdue = r.pk in late
    return Queue(
        name=queue,
        requests=rows,
        total=total,
        counts={s: counts.get(s, 0) for s in Status.values},
        page=page,
        pages=pages,
    )


# --- one request -----------------------------------------------------------------------------


@dataclass
class Clock:
    """One commitment measuring the request (or one of its transfers), as the page shows it."""

    statement: str
    target: str
    about: str  # "this request" or "transfer to <unit>"
    state: str  # running | paused | met | missed | void
    state_label: str
    started_at: datetime.datetime
    due_at: datetime.datetime | None
    stopped_at: datetime.datetime | None
    remaining_s: float | None  # running: seconds until due (negative: late)
    late_s: float | None  # missed: how late it was answered (or still is)


STATE = {
    Case.State.OPEN: "running",
    Case.State.PAUSED: "paused",
    Case.State.MET: "met",
    Case.State.BREACHED: "missed",
    Case.State.VOID: "void",
}


def _target(version) -> str:
    return f"{number(version.target_value)} {version.get_target_unit_display()}"


def request_clocks(req: ServiceRequest, *, now: datetime.datetime | None = None) -> list[Clock]:
    """The commitment cases measuring the request and its transfers: statement, target, due
    time, time left (or how late), state."""
    now = now or timezone.now()
    transfers = {f"transfer:{t.pk}": t for t in req.transfers.select_related("to_unit")}
    subjects = [req.subject_key, *transfers]
    cases = (
        Case.objects.filter(subject__in=subjects)
        .exclude(state=Case.State.VOID)
        .select_related("version")
        .order_by("started_at", "id")
    )
    clocks = []
    for case in cases:
        state = STATE.get(case.state, case.state)
        remaining = late = None
        if case.state == Case.State.OPEN and case.due_at:
            remaining = (case.due_at - now).total_seconds()
        elif case.state == Case.State.PAUSED and case.due_at:
            remaining = (case.due_at - (case.paused_since or now)).total_seconds()
        elif case.state == Case.State.BREACHED and case.due_at:
            late = ((case.stopped_at or now) - case.due_at).total_seconds()
        moved = transfers.get(case.subject)
        clocks.append(
            Clock(
                statement=case.version.statement,
                target=_target(case.version),
                about=_("Transfer to %(unit)s") % {"unit": moved.to_unit}
                if moved
                else _("This request"),
                state=state,
                state_label=str(case.get_state_display()),
                started_at=case.started_at,
                due_at=case.due_at,
                stopped_at=case.stopped_at,
                remaining_s=remaining,
                late_s=late,
            )
        )
    return clocks


def masked_requester(req: ServiceRequest) -> dict[str, Any]:
    """Who the request is from, as every role sees it by default (personal fields masked)."""
    c = req.customer
    if c is None:
        return {
            "name": req.contact_name,
            "number": "",
            "phones": [f.mask_phone(req.contact_phone)] if req.contact_phone else [],
            "email": f.mask_email(req.contact_email),
            "branch": None,
            "tier": "",
            "language": req.get_language_display(),
        }
    return {
        "name": c.display_name,
        "number": c.number,
        "phones": [f.mask_phone(p.e164) for p in c.phones.all()],
        "email": f.mask_email(c.email),
        "branch": c.home_branch,
        "tier": c.get_value_tier_display(),
        "language": req.get_language_display(),
    }


def _work_roles(scope: Scope) -> list[str]:
    return [role for role, grants in MATRIX.items() if grants.get(Action.REQUEST_WORK) == scope]


def assignable_staff(req: ServiceRequest) -> list[Staff]:
    """Who the request may be given to: the owning unit's staff who work on requests, and
    bank-wide request staff of the Care Center."""
    return list(
        Staff.objects.filter(
            Q(roles__role__in=_work_roles(Scope.ALL))
            | Q(unit_id=req.unit_id, roles__role__in=_work_roles(Scope.UNIT))
        )
        .filter(user__is_active=True)
        .select_related("unit")
        .distinct()
        .order_by("unit__code", "name")
    )


def filter_units(actor) -> list[Unit]:
    """Units the queue filter offers: every unit for bank-wide staff, one's own otherwise."""
    if request_scope(actor) == Scope.ALL:
        return list(Unit.objects.exclude(kind=Unit.Kind.HEAD_OFFICE).order_by("line", "code"))
    staff = staff_of(actor)
    return [staff.unit] if staff else []


def transfer_units(req: ServiceRequest) -> list[Unit]:
    return list(
        Unit.objects.exclude(pk=req.unit_id)
        .exclude(kind=Unit.Kind.HEAD_OFFICE)
        .order_by("line", "code")
    )


@dataclass
class RequestDetail:
    request: ServiceRequest
    requester: dict
    messages: list
    notes: list
    transfers: list
    clocks: list[Clock]
    can_work: bool
    can_supervise: bool
    can_view_customer: bool
    can_link: bool
    pending_transfer: RequestTransfer | None
    answerable_transfer: RequestTransfer | None
    units: list = field(default_factory=list)
    staff: list = field(default_factory=list)


def request_detail(*, actor, request_id, record: bool = True) -> RequestDetail:
    """One request for the staff page. Looking at a customer's request is a look at their
    personal data: audit-logged like the customer 360."""
    req = request_get(actor=actor, request_id=request_id)
    transfers = list(
        req.transfers.select_related(
            "from_unit", "to_unit", "sent_by", "accepted_by", "answered_by"
        )
    )
    pending = next((t for t in transfers if t.answered_at is None), None)
    can_work = scope_for(actor, Action.REQUEST_WORK) > 0
    answerable = (
        pending
        if pending is not None
        and can_work
        and allows_unit(actor, Action.REQUEST_WORK, pending.to_unit_id)
        else None
    )
    if record and req.customer_id:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="service_request",
            object_id=req.pk,
            customer_id=req.customer_id,
            detail={"number": req.number},
        )
    return RequestDetail(
        request=req,
        requester=masked_requester(req),
        messages=list(req.messages.select_related("by")),
        notes=list(req.notes.select_related("by")),
        transfers=transfers,
        clocks=request_clocks(req),
        can_work=can_work,
        can_supervise=allows_unit(actor, Action.REQUEST_SUPERVISE, req.unit_id),
        can_view_customer=bool(req.customer)
        and allows_customer(actor, Action.CUSTOMER_VIEW, req.customer),
        can_link=req.customer_id is None
        and can_work
        and scope_for(actor, Action.CUSTOMER_VIEW) > Scope.NONE,
        pending_transfer=pending,
        answerable_transfer=answerable,
        units=transfer_units(req) if can_work and req.is_active else [],
        staff=assignable_staff(req) if req.is_active else [],
    )


# --- the customer's status page --------------------------------------------------------------


def request_by_token(token: str) -> ServiceRequest:
    """The request behind a customer's status link; NotFound for anything else."""
    req = (
        ServiceRequest.objects.select_related("category").filter(public_token=token or "-").first()
        if token and len(token) <= 64
        else None
    )
    if req is None:
        raise NotFound(_("No such service request."))
    return req


def public_messages(req: ServiceRequest) -> list[RequestMessage]:
    """The conversation the customer sees (never the internal notes or staff names)."""
    return list(req.messages.order_by("at", "id"))
