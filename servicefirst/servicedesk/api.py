"""HTTP API of service requests: list (the caller's queues and filters), open, read (with the
conversation, transfers and clocks), reply to the customer, resolve and transfer. Validated
schema in → one service or selector → schema out; errors name the field (422).

Mounted by config/api.py as `api.add_router("/requests", "servicefirst.servicedesk.api.router")`.
"""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from servicefirst.accounts.models import Unit
from servicefirst.core.errors import ValidationFailed
from servicefirst.customers.schemas import ErrorOut
from servicefirst.servicedesk import selectors, services
from servicefirst.servicedesk.models import ServiceRequest
from servicefirst.servicedesk.schemas import (
    ReplyIn,
    RequestDetailOut,
    RequestIn,
    RequestOut,
    ResolveIn,
    TransferIn,
    TransferOut,
)

router = Router(tags=["service requests"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ListFilters(Schema):
    queue: str = "all"
    status: str = ""
    kind: str = ""
    category: str = ""
    channel: str = ""
    unit: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1


def _out(req: ServiceRequest) -> dict:
    return {
        "id": req.pk,
        "number": req.number,
        "kind": req.kind,
        "category": req.category.code,
        "channel": req.channel,
        "status": req.status,
        "severity": req.severity,
        "subject": req.subject,
        "language": req.language,
        "customer_id": req.customer_id,
        "unit": req.unit.code,
        "assignee_id": req.assignee_id,
        "opened_at": req.opened_at,
        "first_response_at": req.first_response_at,
        "resolved_at": req.resolved_at,
        "closed_at": req.closed_at,
    }


def _transfer_out(t) -> dict:
    return {
        "id": t.pk,
        "from_unit": t.from_unit.code,
        "to_unit": t.to_unit.code,
        "reason": t.reason,
        "sent_at": t.sent_at,
        "accepted_at": t.accepted_at,
        "answered_at": t.answered_at,
        "answer": t.answer,
        "returned": t.returned,
    }


def _detail(request, request_id: int) -> dict:
    d = selectors.request_detail(actor=request.auth, request_id=request_id)
    return {
        **_out(d.request),
        "description": d.request.description,
        "resolution": d.request.resolution,
        "messages": [
            {
                "direction": m.direction,
                "body": m.body,
                "channel": m.channel,
                "at": m.at,
                "by": m.by_id,
            }
            for m in d.messages
        ],
        "transfers": [_transfer_out(t) for t in d.transfers],
        "clocks": [vars(c) for c in d.clocks],
    }


@router.get("", response={200: list[RequestOut], **ERRORS})
def request_list(request, filters: Query[ListFilters]):
    data = filters.dict()
    queue = selectors.request_queue(
        actor=request.auth, queue=data.pop("queue"), filters=data, page=data.pop("page")
    )
    return [_out(r) for r in queue.requests]


@router.post("", response={201: RequestDetailOut, **ERRORS})
def request_create(request, payload: RequestIn):
    data = payload.dict()
    req = services.open_request(actor=request.auth, category_code=data.pop("category"), **data)
    return 201, _detail(request, req.pk)


@router.get("/{request_id}", response={200: RequestDetailOut, **ERRORS})
def request_get(request, request_id: int):
    return _detail(request, request_id)


@router.post("/{request_id}/reply", response={200: RequestDetailOut, **ERRORS})
def request_reply(request, request_id: int, payload: ReplyIn):
    services.reply_to_customer(
        actor=request.auth, request_id=request_id, body=payload.body, channel=payload.channel
    )
    return _detail(request, request_id)


@router.post("/{request_id}/resolve", response={200: RequestDetailOut, **ERRORS})
def request_resolve(request, request_id: int, payload: ResolveIn):
    services.resolve(
        actor=request.auth,
        request_id=request_id,
        resolution=payload.resolution,
        notify=payload.notify,
    )
    return _detail(request, request_id)


@router.post("/{request_id}/transfer", response={201: TransferOut, **ERRORS})
def request_transfer(request, request_id: int, payload: TransferIn):
    unit = Unit.objects.filter(code=payload.to_unit).first()
    if unit is None:
        raise ValidationFailed({"to_unit": [_("No such unit.")]})
    moved = services.transfer(
        actor=request.auth, request_id=request_id, to_unit_id=unit.pk, reason=payload.reason
    )
    return 201, _transfer_out(moved)
