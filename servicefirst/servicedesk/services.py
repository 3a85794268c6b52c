"""Writes of service requests. Each is atomic, validates before it changes anything (a
`ValidationFailed` naming the field), and records the commitments' events (`request.*`,
`request.transfer.*`) in the same transaction, so a commitment measures exactly what happened.
Customer-facing moments (opened, each message, resolved) go on the customer's timeline.

The Customer Care Center works around the clock: nothing here depends on business hours.
Every service takes `at` (default: now) so the demo can replay a past month through them.
"""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, allows_unit, scope_for, staff_of
from servicefirst.commitments import events
from servicefirst.commitments import services as commitment_services
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record, sequence_allocate
from servicefirst.customers.models import Customer, Interaction
from servicefirst.customers.selectors import visible_customers
from servicefirst.customers.services import interaction_record
from servicefirst.servicedesk import selectors
from servicefirst.servicedesk.models import (
    Complexity,
    Kind,
    RequestCategory,
    RequestMessage,
    RequestNote,
    RequestTransfer,
    ServiceRequest,
)

SUBJECT_MAX = 150
TEXT_MAX = 4000
NAME_MAX = 60
Status = ServiceRequest.Status
Channel = ServiceRequest.Channel

# The timeline's channels (customers.Customer.Channel) for a request's channel.
TIMELINE_CHANNEL = {
    Channel.COUNTER: Customer.Channel.BRANCH,
    Channel.PHONE: Customer.Channel.PHONE,
    Channel.LETTER: Customer.Channel.POST,
    Channel.APP: Customer.Channel.MOBILE_APP,
    Channel.WECHAT: Customer.Channel.WECHAT,
    Channel.WEB: Interaction.WEB,
}


# --- helpers ---------------------------------------------------------------------------------


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


def _worker(actor) -> Staff:
    """The member of staff doing request work; PermissionDenied for anyone else."""
    staff = staff_of(actor)
    if staff is None or scope_for(actor, Action.REQUEST_WORK) == Scope.NONE:
        raise PermissionDenied(_("You may not work on service requests."))
    return staff


def _for_update():
    return ServiceRequest.objects.select_for_update(of=("self",)).select_related(
        "category", "customer", "unit"
    )


def _locked(actor, request_id) -> tuple[ServiceRequest, Staff]:
    """The request, row-locked, if the actor may work on it (NotFound otherwise)."""
    staff = _worker(actor)
    req = _for_update().filter(pk=request_id).first()
    if req is None or not selectors.request_visible(actor, req):
        raise NotFound(_("No such service request."))
    return req, staff


def _text(errors: dict, field: str, value: str, *, required: bool, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = [_("This field is required.")]
    elif len(value) > limit:
        errors[field] = [_("Keep it to %(n)d characters.") % {"n": limit}]
    return value


def _require_status(req: ServiceRequest, allowed, field: str = "status") -> None:
    if req.status not in allowed:
        raise ValidationFailed(
            {
                field: [
                    _("Not possible while the request is %(status)s.")
                    % {"status": req.get_status_display().lower()}
                ]
            }
        )


def _event(
    kind: str,
    req: ServiceRequest,
    *,
    at: datetime.datetime,
    key: str,
    staff: Staff | None = None,
    attrs: dict | None = None,
) -> None:
    events.record(
        kind,
        subject=req.subject_key,
        occurred_at=at,
        source_key=f"{req.subject_key}:{key}",
        unit_id=req.unit_id,
        customer_id=req.customer_id,
        staff_id=staff.pk if staff else req.assignee_id,
        attrs={"category": req.category.code, **(attrs or {})},
    )


def _transfer_event(
    kind: str, transfer: RequestTransfer, *, at, key: str, staff: Staff | None
) -> None:
    req = transfer.request
    events.record(
        kind,
        subject=transfer.subject_key,
        occurred_at=at,
        source_key=f"{transfer.subject_key}:{key}",
        unit_id=transfer.to_unit_id,
        customer_id=req.customer_id,
        staff_id=staff.pk if staff else None,
        attrs={"category": req.category.code, "from_unit": transfer.from_unit.code},
    )


def _timeline(req: ServiceRequest, *, actor, summary: str, at, key: str, outcome: str = "") -> None:
    if not req.customer_id:
        return
    interaction_record(
        customer=req.customer,
        kind=Interaction.Kind.COMPLAINT if req.kind == Kind.COMPLAINT else Interaction.Kind.REQUEST,
        actor=actor,
        summary=f"{req.number} {summary}",
        channel=TIMELINE_CHANNEL.get(req.channel, ""),
        outcome=outcome,
        occurred_at=at,
        detail={"request": req.pk, "number": req.number, "channel": req.channel},
        source_key=f"{req.subject_key}:{key}"[:64],
    )


def _save(req: ServiceRequest, *fields: str) -> None:
    req.save(update_fields=[*fields, "updated_at"])


def request_number(at: datetime.datetime) -> str:
    """SR + the local date + a five-digit number for the day, e.g. SR2026112900012."""
    day = timezone.localtime(at).date()
    (n,) = sequence_allocate(f"servicedesk.request.{day:%Y%m%d}")
    return f"SR{day:%Y%m%d}{n:05d}"


def owning_unit(category: RequestCategory, customer: Customer | None) -> Unit:
    if category.to_home_branch and customer is not None and customer.home_branch_id:
        return customer.home_branch
    return category.default_unit


# --- opening ---------------------------------------------------------------------------------


def _validate_opening(
    *,
    kind: str,
    category_code: str,
    channel: str,
    subject: str,
    description: str,
    language: str,
    severity: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
    public: bool,
) -> tuple[dict, dict]:
    errors: dict[str, list] = {}
    clean = {
        "subject": _text(errors, "subject", subject, required=True, limit=SUBJECT_MAX),
        "description": _text(errors, "description", description, required=public),
        "contact_name": _text(errors, "contact_name", contact_name, required=False, limit=NAME_MAX),
        "contact_phone": _text(errors, "contact_phone", contact_phone, required=False, limit=20),
        "contact_email": _text(errors, "contact_email", contact_email, required=False, limit=254),
    }
    if kind not in Kind.values:
        errors["kind"] = [_("Choose request, enquiry or complaint.")]
    categories = RequestCategory.objects.filter(is_active=True, code=(category_code or "").strip())
    if public:
        categories = categories.filter(public=True)
    category = categories.select_related("default_unit").first()
    if category is None:
        errors["category"] = [_("Choose a category.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    if language not in ServiceRequest.Language.values:
        errors["language"] = [_("Choose Chinese or English.")]
    if severity and severity not in Complexity.values:
        errors["severity"] = [_("Choose simple or complex.")]
    if clean["contact_email"] and "@" not in clean["contact_email"]:
        errors["contact_email"] = [_("Enter a valid e-mail address.")]
    clean["category"] = category
    return clean, errors


def _create(
    *, actor, staff, clean: dict, kind, channel, customer, unit, language, severity, at
) -> ServiceRequest:
    category = clean["category"]
    req = ServiceRequest.objects.create(
        number=request_number(at),
        kind=kind,
        category=category,
        channel=channel,
        customer=customer,
        contact_name=clean["contact_name"],
        contact_phone=clean["contact_phone"],
        contact_email=clean["contact_email"],
        unit=unit,
        status=Status.NEW,
        severity=severity or category.complexity,
        subject=clean["subject"],
        description=clean["description"],
        language=language,
        opened_at=at,
        created_by=staff,
        public_token=secrets.token_urlsafe(32),
    )
    _event(
        "request.opened",
        req,
        at=at,
        key="opened",
        staff=staff,
        attrs={"channel": channel, "kind": kind, "severity": req.severity},
    )
    _timeline(
        req,
        actor=actor,
        summary=_("%(kind)s opened: %(subject)s")
        % {"kind": req.get_kind_display(), "subject": req.subject},
        at=at,
        key="opened",
        outcome="opened",
    )
    return req


@transaction.atomic
def open_request(
    *,
    actor,
    kind: str,
    category_code: str,
    channel: str,
    subject: str,
    description: str = "",
    customer_id: int | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    language: str = "zh",
    severity: str = "",
    assign_to_me: bool = False,
    at: datetime.datetime | None = None,
) -> ServiceRequest:
    """Open a request for a customer (or a named person), received at a counter, by phone, by
    letter or another channel. The owner is the category's unit (or the customer's home
    branch) for bank-wide staff, and the actor's own unit for staff working for one unit (they
    transfer it onward when another unit must act)."""
    staff = _worker(actor)
    at = _now(at)
    clean, errors = _validate_opening(
        kind=kind,
        category_code=category_code,
        channel=channel,
        subject=subject,
        description=description,
        language=language,
        severity=severity,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        public=False,
    )
    customer = None
    if customer_id not in (None, ""):
        try:
            customer = (
                visible_customers(actor)
                .select_related("home_branch")
                .filter(pk=int(customer_id))
                .first()
            )
        except (TypeError, ValueError):
            customer = None
        if customer is None:
            errors["customer"] = [_("No such customer.")]
    elif not clean["contact_name"]:
        errors["customer"] = [
            _("Choose the customer, or give the name of the person who contacted us.")
        ]
    if errors:
        raise ValidationFailed(errors)
    if scope_for(actor, Action.REQUEST_WORK) == Scope.ALL:
        unit = owning_unit(clean["category"], customer)
    else:
        unit = staff.unit
    req = _create(
        actor=actor,
        staff=staff,
        clean=clean,
        kind=kind,
        channel=channel,
        customer=customer,
        unit=unit,
        language=language,
        severity=severity,
        at=at,
    )
    if assign_to_me and unit.pk == staff.unit_id:
        req.assignee = staff
        req.status = Status.OPEN
        _save(req, "assignee", "status")
    return req


@transaction.atomic
def open_web_request(
    *,
    kind: str,
    category_code: str,
    name: str,
    phone: str = "",
    email: str = "",
    subject: str,
    description: str,
    language: str = "zh",
    at: datetime.datetime | None = None,
) -> ServiceRequest:
    """An enquiry or complaint from the public web form (no login): nobody is identified, the
    person who wrote gives a name and a way to reach them."""
    at = _now(at)
    clean, errors = _validate_opening(
        kind=kind,
        category_code=category_code,
        channel=Channel.WEB,
        subject=subject,
        description=description,
        language=language,
        severity="",
        contact_name=name,
        contact_phone=phone,
        contact_email=email,
        public=True,
    )
    if kind == Kind.REQUEST and "kind" not in errors:
        errors["kind"] = [_("Choose enquiry or complaint.")]
    if not clean["contact_name"] and "contact_name" not in errors:
        errors["contact_name"] = [_("Tell us your name.")]
    if not (clean["contact_phone"] or clean["contact_email"]) and not (
        {"contact_phone", "contact_email"} & set(errors)
    ):
        errors["contact_phone"] = [_("Give a phone number or an e-mail address.")]
    if errors:
        raise ValidationFailed(errors)
    req = _create(
        actor=None,
        staff=None,
        clean=clean,
        kind=kind,
        channel=Channel.WEB,
        customer=None,
        unit=owning_unit(clean["category"], None),
        language=language,
        severity="",
        at=at,
    )
    RequestMessage.objects.create(
        request=req, direction="in", body=req.description, channel=Channel.WEB, at=at
    )
    return req


# --- working on a request --------------------------------------------------------------------


@transaction.atomic
def add_note(*, actor, request_id: int, body: str, at=None) -> RequestNote:
    """An internal note (staff only)."""
    req, staff = _locked(actor, request_id)
    errors: dict = {}
    body = _text(errors, "body", body, required=True)
    if errors:
        raise ValidationFailed(errors)
    _save(req)
    return RequestNote.objects.create(request=req, body=body, by=staff, at=_now(at))


def _reply(
    req: ServiceRequest, staff: Staff, *, actor, body: str, channel: str, at
) -> RequestMessage:
    message = RequestMessage.objects.create(
        request=req, direction="out", body=body, channel=channel or req.channel, at=at, by=staff
    )
    fields = []
    if req.first_response_at is None:
        req.first_response_at = at
        fields.append("first_response_at")
        _event("request.first_response", req, at=at, key="first_response", staff=staff)
    if req.status == Status.NEW:
        req.status = Status.OPEN
        fields.append("status")
    if req.assignee_id is None and req.unit_id == staff.unit_id:
        req.assignee = staff
        fields.append("assignee")
    _save(req, *fields)
    _timeline(
        req,
        actor=actor,
        summary=_("Reply to the customer: %(text)s") % {"text": body[:200]},
        at=at,
        key=f"message:{message.pk}",
        outcome="replied",
    )
    return message


@transaction.atomic
def reply_to_customer(
    *, actor, request_id: int, body: str, channel: str = "", at=None
) -> RequestMessage:
    """Write to the customer. The first reply is the request's first response."""
    req, staff = _locked(actor, request_id)
    errors: dict = {}
    body = _text(errors, "body", body, required=True)
    if channel and channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    if errors:
        raise ValidationFailed(errors)
    _require_status(req, ServiceRequest.ACTIVE, "body")
    return _reply(req, staff, actor=actor, body=body, channel=channel, at=_now(at))


@transaction.atomic
def customer_reply(*, token: str, body: str, at=None) -> RequestMessage:
    """The customer writes from the status page of their request (no login): a request waiting
    for them (or resolved) opens again."""
    req = _for_update().filter(public_token=token or "-").first()
    if req is None:
        raise NotFound(_("No such service request."))
    errors: dict = {}
    body = _text(errors, "body", body, required=True)
    if errors:
        raise ValidationFailed(errors)
    if req.status in (Status.CLOSED, Status.CANCELLED):
        raise ValidationFailed(
            {"body": [_("This request is closed. Please open a new one if you need us.")]}
        )
    at = _now(at)
    message = RequestMessage.objects.create(
        request=req, direction="in", body=body, channel=Channel.WEB, at=at
    )
    fields = []
    if req.status == Status.RESOLVED:
        req.reopens += 1
        req.resolved_at = None
        fields += ["reopens", "resolved_at"]
    if req.status in (Status.WAITING_CUSTOMER, Status.RESOLVED):
        req.status = Status.OPEN
        fields.append("status")
    _save(req, *fields)
    _event("request.customer_replied", req, at=at, key=f"replied:{message.pk}")
    _timeline(
        req,
        actor=None,
        summary=_("Customer's message: %(text)s") % {"text": body[:200]},
        at=at,
        key=f"message:{message.pk}",
        outcome="customer_replied",
    )
    return message


@transaction.atomic
def wait_for_customer(*, actor, request_id: int, message: str = "", at=None) -> ServiceRequest:
    """Nothing more can be done until the customer answers: the clock pauses. A message, when
    given, is sent to the customer first (what we need from them)."""
    req, staff = _locked(actor, request_id)
    errors: dict = {}
    message = _text(errors, "message", message, required=False)
    if errors:
        raise ValidationFailed(errors)
    _require_status(req, (Status.NEW, Status.OPEN))
    at = _now(at)
    if message:
        _reply(req, staff, actor=actor, body=message, channel="", at=at)
    req.status = Status.WAITING_CUSTOMER
    req.waits += 1
    _save(req, "status", "waits")
    _event("request.waiting_customer", req, at=at, key=f"waiting:{req.waits}", staff=staff)
    return req


def _answer_pending_transfer(req, staff, *, answer: str, at) -> None:
    """Resolving or withdrawing a request answers a transfer still pending: its unit keeps it."""
    for transfer in req.transfers.filter(answered_at__isnull=True).select_related("from_unit"):
        transfer.request = req
        _transfer_answer(transfer, staff, answer=answer, keep=True, at=at)


@transaction.atomic
def resolve(
    *, actor, request_id: int, resolution: str, notify: bool = True, at=None
) -> ServiceRequest:
    """The request is done; the resolution is sent to the customer (unless `notify` is off)."""
    req, staff = _locked(actor, request_id)
    errors: dict = {}
    resolution = _text(errors, "resolution", resolution, required=True)
    if errors:
        raise ValidationFailed(errors)
    _require_status(req, ServiceRequest.ACTIVE, "resolution")
    at = _now(at)
    _answer_pending_transfer(req, staff, answer=resolution, at=at)
    if notify:
        _reply(req, staff, actor=actor, body=resolution, channel="", at=at)
    req.status = Status.RESOLVED
    req.resolution = resolution
    req.resolved_at = at
    if req.assignee_id is None:
        req.assignee = staff
    _save(req, "status", "resolution", "resolved_at", "assignee")
    _event(
        "request.resolved",
        req,
        at=at,
        key=f"resolved:{req.reopens}",
        staff=staff,
        attrs={"kind": req.kind, "severity": req.severity},
    )
    _timeline(
        req,
        actor=actor,
        summary=_("Resolved: %(text)s") % {"text": resolution[:200]},
        at=at,
        key=f"resolved:{req.reopens}",
        outcome="resolved",
    )
    return req


@transaction.atomic
def close(*, actor, request_id: int, at=None) -> ServiceRequest:
    """A resolved request is closed: the customer's replies no longer reopen it."""
    req, staff = _locked(actor, request_id)
    _require_status(req, (Status.RESOLVED,))
    at = _now(at)
    req.status = Status.CLOSED
    req.closed_at = at
    _save(req, "status", "closed_at")
    _event("request.closed", req, at=at, key="closed", staff=staff)
    return req


@transaction.atomic
def cancel(*, actor, request_id: int, reason: str, at=None) -> ServiceRequest:
    """The customer withdrew the request (or it was opened by mistake)."""
    req, staff = _locked(actor, request_id)
    errors: dict = {}
    reason = _text(errors, "reason", reason, required=True)
    if errors:
        raise ValidationFailed(errors)
    _require_status(req, ServiceRequest.ACTIVE, "reason")
    at = _now(at)
    _answer_pending_transfer(req, staff, answer=reason, at=at)
    req.status = Status.CANCELLED
    req.closed_at = at
    _save(req, "status", "closed_at")
    RequestNote.objects.create(
        request=req, body=_("Withdrawn: %(reason)s") % {"reason": reason}, by=staff, at=at
    )
    _event("request.cancelled", req, at=at, key="cancelled", staff=staff)
    return req


def can_work_on(staff: Staff, req: ServiceRequest) -> bool:
    """Whether this member of staff may be given the request."""
    scope = scope_for(staff.user, Action.REQUEST_WORK)
    return scope == Scope.ALL or (scope == Scope.UNIT and staff.unit_id == req.unit_id)


@transaction.atomic
def assign(*, actor, request_id: int, assignee_id: int | None, at=None) -> ServiceRequest:
    """Give the request to someone: oneself with request work, anyone else with supervision
    of the owning unit. `assignee_id` None gives it back to the unit's queue."""
    req, staff = _locked(actor, request_id)
    _require_status(req, ServiceRequest.ACTIVE, "assignee")
    others = assignee_id is None or int(assignee_id) != staff.pk
    if others and not allows_unit(actor, Action.REQUEST_SUPERVISE, req.unit_id):
        raise PermissionDenied(_("Only a supervisor gives a request to someone else."))
    assignee = None
    if assignee_id is not None:
        assignee = Staff.objects.select_related("user", "unit").filter(pk=assignee_id).first()
        if assignee is None or not can_work_on(assignee, req):
            raise ValidationFailed(
                {"assignee": [_("Choose a member of staff who works on this unit's requests.")]}
            )
    req.assignee = assignee
    if assignee is not None and req.status == Status.NEW:
        req.status = Status.OPEN
    _save(req, "assignee", "status")
    return req


# --- identifying the customer afterwards ------------------------------------------------------


@transaction.atomic
def link_customer(*, actor, request_id: int, customer_id, at=None) -> ServiceRequest:
    """The person behind a request opened without a customer (a web enquiry, a letter from
    someone we could not find) turns out to be a customer: the request becomes theirs. The
    link is written in the request's notes, put on the customer's timeline and audit-logged;
    a request already linked is refused (a wrong link is not silently replaced)."""
    req, staff = _locked(actor, request_id)
    if req.customer_id:
        raise ValidationFailed({"customer": [_("This request is already linked to a customer.")]})
    customer = None
    if str(customer_id or "").strip().isdigit():
        customer = (
            visible_customers(actor)
            .select_related("home_branch")
            .filter(pk=int(str(customer_id).strip()))
            .first()
        )
    if customer is None:
        raise ValidationFailed({"customer": [_("Choose the customer to link the request to.")]})
    at = _now(at)
    req.customer = customer
    _save(req, "customer")
    # The clocks already running (or broken) for the request and its transfers are hers too.
    commitment_services.attribute_customer(
        subjects=[req.subject_key, *(t.subject_key for t in req.transfers.all())],
        customer_id=customer.pk,
    )
    RequestNote.objects.create(
        request=req,
        body=_("Linked to the customer %(number)s %(name)s (the request was from %(contact)s).")
        % {
            "number": customer.number,
            "name": customer.display_name,
            "contact": req.contact_name or _("an unidentified person"),
        },
        by=staff,
        at=at,
    )
    _timeline(
        req,
        actor=actor,
        summary=_("%(kind)s of %(day)s (%(channel)s) linked to this customer: %(subject)s")
        % {
            "kind": req.get_kind_display(),
            "day": f"{timezone.localtime(req.opened_at):%Y-%m-%d}",
            "channel": req.get_channel_display(),
            "subject": req.subject,
        },
        at=at,
        key="linked",
        outcome="linked",
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_UPDATE,
        object_type="service_request",
        object_id=req.pk,
        customer_id=customer.pk,
        detail={"number": req.number, "linked": "customer"},
    )
    return req


# --- transfers -------------------------------------------------------------------------------


@transaction.atomic
def transfer(*, actor, request_id: int, to_unit_id: int, reason: str, at=None) -> RequestTransfer:
    """Hand the request to another unit, which owns it until it answers. The transfer is
    measured against the receiving unit's commitment (subject "transfer:<id>")."""
    req, staff = _locked(actor, request_id)
    errors: dict = {}
    reason = _text(errors, "reason", reason, required=True)
    to_unit = None
    try:
        to_unit = Unit.objects.filter(pk=int(to_unit_id)).first() if to_unit_id else None
    except (TypeError, ValueError):
        to_unit = None
    if to_unit is None:
        errors["to_unit"] = [_("Choose the unit to send the request to.")]
    elif to_unit.pk == req.unit_id:
        errors["to_unit"] = [_("The request is already with this unit.")]
    elif to_unit.kind == Unit.Kind.HEAD_OFFICE:
        errors["to_unit"] = [_("Send the request to a branch or a department.")]
    if "to_unit" not in errors and req.transfers.filter(answered_at__isnull=True).exists():
        errors["to_unit"] = [_("The unit it was sent to has not answered yet.")]
    if errors:
        raise ValidationFailed(errors)
    _require_status(req, ServiceRequest.ACTIVE, "to_unit")
    at = _now(at)
    moved = RequestTransfer.objects.create(
        request=req,
        from_unit_id=req.unit_id,
        to_unit=to_unit,
        reason=reason,
        sent_by=staff,
        sent_at=at,
    )
    req.unit = to_unit
    req.assignee = None
    _save(req, "unit", "assignee")
    moved.request = req
    _transfer_event("request.transfer.sent", moved, at=at, key="sent", staff=staff)
    return moved


def _transfer_for_unit(actor, transfer_id) -> tuple[RequestTransfer, Staff]:
    staff = _worker(actor)
    moved = (
        RequestTransfer.objects.select_for_update(of=("self",))
        .select_related("from_unit", "sent_by")
        .filter(pk=transfer_id)
        .first()
    )
    if moved is not None:
        moved.request = _for_update().get(pk=moved.request_id)
    if moved is None or not selectors.request_visible(actor, moved.request):
        raise NotFound(_("No such transfer."))
    if not allows_unit(actor, Action.REQUEST_WORK, moved.to_unit_id):
        raise PermissionDenied(_("Only the receiving unit answers a transfer."))
    if moved.answered_at is not None:
        raise ValidationFailed({"answer": [_("This transfer has been answered.")]})
    return moved, staff


def _transfer_accept(moved: RequestTransfer, staff: Staff, *, at) -> None:
    moved.accepted_at = at
    moved.accepted_by = staff
    moved.save(update_fields=["accepted_at", "accepted_by"])
    req = moved.request
    if req.unit_id == moved.to_unit_id and req.assignee_id is None:
        req.assignee = staff
        if req.status == Status.NEW:
            req.status = Status.OPEN
        _save(req, "assignee", "status")
    _transfer_event("request.transfer.accepted", moved, at=at, key="accepted", staff=staff)


def _transfer_answer(moved: RequestTransfer, staff: Staff, *, answer: str, keep: bool, at) -> None:
    if moved.accepted_at is None:
        _transfer_accept(moved, staff, at=at)
    moved.answered_at = at
    moved.answered_by = staff
    moved.answer = answer
    moved.returned = not keep
    moved.save(update_fields=["answered_at", "answered_by", "answer", "returned"])
    req = moved.request
    if not keep:
        req.unit_id = moved.from_unit_id
        sender = moved.sent_by
        req.assignee = sender if sender.unit_id == moved.from_unit_id else None
        _save(req, "unit", "assignee")
    _transfer_event("request.transfer.answered", moved, at=at, key="answered", staff=staff)


@transaction.atomic
def accept_transfer(*, actor, transfer_id: int, at=None) -> RequestTransfer:
    """The receiving unit takes the request on (the acceptor is assigned)."""
    moved, staff = _transfer_for_unit(actor, transfer_id)
    if moved.accepted_at is not None:
        raise ValidationFailed({"answer": [_("This transfer has been accepted.")]})
    _transfer_accept(moved, staff, at=_now(at))
    return moved


@transaction.atomic
def answer_transfer(
    *, actor, transfer_id: int, answer: str, keep: bool = False, at=None
) -> RequestTransfer:
    """The receiving unit answers: the request goes back to the unit that sent it (to the
    person who sent it), or — with `keep` — the receiving unit keeps it to the end."""
    moved, staff = _transfer_for_unit(actor, transfer_id)
    errors: dict = {}
    answer = _text(errors, "answer", answer, required=True)
    if errors:
        raise ValidationFailed(errors)
    _require_status(moved.request, ServiceRequest.ACTIVE, "answer")
    _transfer_answer(moved, staff, answer=answer, keep=keep, at=_now(at))
    return moved
