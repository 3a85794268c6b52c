"""HTTP API of the branch floor's public side: take a ticket, see a branch's queue, see free
appointment slots, book one. Used by kiosks and booking sites, so no login is needed; a
member of staff calling with a token or session is recorded as the actor (and may book for a
customer). Answers carry ticket numbers and counters only, never personal data."""

import datetime

from django.middleware.csrf import CsrfViewMiddleware
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from servicefirst.accounts.services import token_user
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.customers.schemas import ErrorOut
from servicefirst.floor import appointments, issuing, selectors


class _Token(HttpBearer):
    """`Authorization: Bearer sf_...`: a member of staff (kiosk devices may carry one)."""

    def authenticate(self, request, token):
        return token_user(token)


def _session_or_anyone(request):
    """A logged-in browser session (its unsafe requests must pass CSRF), else anyone."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if reason is not None:
            raise HttpError(403, "CSRF check failed")
        return user
    return _ANYONE


class _Anyone:
    is_authenticated = False
    username = ""

    def __bool__(self) -> bool:
        return True


_ANYONE = _Anyone()
PUBLIC = [_Token(), _session_or_anyone]
# In the OpenAPI schema: the token is optional (`{}` — no credentials — is allowed too).
OPTIONAL_TOKEN = {"security": [{}]}

router = Router(tags=["floor"], auth=PUBLIC)
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _actor(request):
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else None


def _branch(code: str):
    return selectors.branch_by_code(code)


class TicketIn(Schema):
    service: str
    identify: str = ""
    elderly: bool = False
    disabled: bool = False


class TicketOut(Schema):
    number: str
    service: str
    service_name: str
    status: str
    issued_at: datetime.datetime
    people_ahead: int
    predicted_wait_s: int


class ServiceQueueOut(Schema):
    service: str
    service_name: str
    letter: str
    waiting: int
    longest_wait_s: float
    counters: int
    predicted_wait_s: int


class CalledOut(Schema):
    number: str
    counter: int
    called_at: datetime.datetime
    serving: bool


class QueueOut(Schema):
    branch: str
    waiting: int
    services: list[ServiceQueueOut]
    called: list[CalledOut]


class SlotOut(Schema):
    start: datetime.datetime
    capacity: int
    booked: int
    free: int


class SlotsIn(Schema):
    service: str
    day: datetime.date


class AppointmentIn(Schema):
    branch: str
    service: str
    slot_start: datetime.datetime
    name: str
    phone: str
    customer_id: int | None = None


class AppointmentOut(Schema):
    reference: str
    branch: str
    service: str
    slot_start: datetime.datetime
    status: str


@router.post(
    "/branches/{branch_code}/tickets",
    response={201: TicketOut, **ERRORS},
    openapi_extra=OPTIONAL_TOKEN,
    summary="Take a queue ticket (kiosk)",
)
def take_ticket(request, branch_code: str, payload: TicketIn):
    branch = _branch(branch_code)
    ticket = issuing.ticket_issue(
        branch_id=branch.pk,
        service_code=payload.service,
        identify=payload.identify,
        elderly=payload.elderly,
        disabled=payload.disabled,
        actor=_actor(request),
    )
    return 201, {
        "number": ticket.number,
        "service": ticket.service.code,
        "service_name": str(ticket.service),
        "status": ticket.status,
        "issued_at": ticket.issued_at,
        "people_ahead": selectors.people_ahead(ticket),
        "predicted_wait_s": ticket.predicted_wait_s or 0,
    }


@router.get(
    "/branches/{branch_code}/queue",
    response={200: QueueOut, **ERRORS},
    openapi_extra=OPTIONAL_TOKEN,
    summary="A branch's queue: waiting and predicted wait per service, numbers called",
)
def branch_queue(request, branch_code: str):
    branch = _branch(branch_code)
    summary = selectors.queue_summary(branch.pk)
    state = selectors.display_state(branch.pk)
    return {
        "branch": branch.code,
        "waiting": state["total_waiting"],
        "services": [
            {
                "service": row["service"].code,
                "service_name": str(row["service"]),
                "letter": row["service"].letter,
                "waiting": row["waiting"],
                "longest_wait_s": row["longest_wait_s"],
                "counters": row["counters"],
                "predicted_wait_s": row["predicted_wait_s"],
            }
            for row in summary
        ],
        "called": [
            {
                "number": row["number"],
                "counter": row["counter"],
                "called_at": row["called_at"],
                "serving": row["serving"],
            }
            for row in state["called"]
        ],
    }


@router.get(
    "/branches/{branch_code}/slots",
    response={200: list[SlotOut], **ERRORS},
    openapi_extra=OPTIONAL_TOKEN,
    summary="Free appointment slots of a service on a day",
)
def free_slots(request, branch_code: str, query: Query[SlotsIn]):
    branch = _branch(branch_code)
    return [
        {"start": s.start, "capacity": s.capacity, "booked": s.booked, "free": s.free}
        for s in appointments.free_slots(branch.pk, query.service, query.day)
    ]


@router.post(
    "/appointments",
    response={201: AppointmentOut, **ERRORS},
    openapi_extra=OPTIONAL_TOKEN,
    summary="Book an appointment (staff may book for a customer: customer_id)",
)
def book_appointment(request, payload: AppointmentIn):
    try:
        branch = _branch(payload.branch)
    except NotFound:
        raise ValidationFailed({"branch": ["There is no such branch."]}) from None
    appointment = appointments.appointment_book(
        branch_id=branch.pk,
        service_code=payload.service,
        slot_start=payload.slot_start,
        name=payload.name,
        phone=payload.phone,
        customer_id=payload.customer_id,
        actor=_actor(request),
    )
    return 201, {
        "reference": appointment.reference,
        "branch": branch.code,
        "service": appointment.service.code,
        "slot_start": appointment.slot_start,
        "status": appointment.status,
    }
