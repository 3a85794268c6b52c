"""HTTP API of customer insight: segments (create, preview, list, members), outreach lists,
the product funnel with drill-down, classification rules and runs, and offer events.
Validated schema in → one service or selector → schema out."""

import datetime
from typing import Any

from django.db import transaction
from ninja import Query, Router, Schema

from servicefirst.accounts.permissions import Action
from servicefirst.core.errors import NotFound, PermissionDenied
from servicefirst.customers.schemas import ErrorOut
from servicefirst.insights import selectors, services
from servicefirst.insights.models import ClassificationJob, ClassificationRule

router = Router(tags=["insights"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class Condition(Schema):
    field: str
    op: str
    value: Any = None


class SegmentIn(Schema):
    name: str
    description: str = ""
    definition: list[Condition] = []


class PreviewIn(Schema):
    definition: list[Condition] = []


class MaskedCustomer(Schema):
    id: int
    number: str
    name: str
    branch: str
    lifecycle: str
    tier: str
    reason: str = ""


class PreviewOut(Schema):
    count: int
    sample: list[MaskedCustomer]


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    definition: list[dict]
    last_count: int | None
    updated_at: datetime.datetime


class MembersOut(Schema):
    segment: int
    count: int
    members: list[MaskedCustomer]


class OutreachIn(Schema):
    purpose: str
    channel: str
    campaign: str = ""


class OutreachOut(Schema):
    id: int
    segment: int
    purpose: str
    channel: str
    segment_count: int
    member_count: int
    excluded: dict[str, int]


class FunnelFiltersIn(Schema):
    segment: int | None = None
    branch: int | None = None
    channel: str = ""
    date_from: str = ""
    date_to: str = ""


class FunnelRowOut(Schema):
    product: str
    name: str
    flagship: bool
    offered: int
    interested: int
    applied: int
    bought: int
    conversion: float | None


class DrillOut(Schema):
    title: str
    total: int
    customers: list[MaskedCustomer]


class RuleOut(Schema):
    id: int
    position: int
    is_active: bool
    target: str
    outcome: str
    conditions: list[dict]
    reason_zh: str
    reason_en: str


class RuleIn(Schema):
    target: str
    outcome: str
    conditions: list[Condition] = []
    reason_zh: str
    reason_en: str
    is_active: bool = True


class JobOut(Schema):
    id: int
    status: str
    processed: int
    total: int
    result: dict


class OfferIn(Schema):
    customer_id: int
    product: str
    stage: str
    channel: str = ""
    campaign: str = ""
    note: str = ""


class OfferOut(Schema):
    id: int
    customer_id: int
    product: str
    stage: str
    occurred_at: datetime.datetime


def _conditions(items: list[Condition]) -> list[dict]:
    return [item.dict() for item in items]


def _segment(s) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "description": s.description,
        "definition": s.definition,
        "last_count": s.last_count,
        "updated_at": s.updated_at,
    }


@router.post("/segments/preview", response={200: PreviewOut, **ERRORS}, summary="Preview a segment")
def preview_segment(request, payload: PreviewIn):
    preview = selectors.segment_preview(
        actor=request.auth, definition=_conditions(payload.definition)
    )
    return {"count": preview.count, "sample": preview.sample}


@router.post("/segments", response={201: SegmentOut, **ERRORS}, summary="Save a segment")
def create_segment(request, payload: SegmentIn):
    segment = services.segment_save(
        actor=request.auth,
        data={
            "name": payload.name,
            "description": payload.description,
            "definition": _conditions(payload.definition),
        },
    )
    return 201, _segment(segment)


@router.get("/segments", response={200: list[SegmentOut], **ERRORS}, summary="List segments")
def list_segments(request):
    return [_segment(s) for s in selectors.segments(actor=request.auth)]


@router.get(
    "/segments/{segment_id}/members",
    response={200: MembersOut, **ERRORS},
    summary="Members of a segment (masked, audit-logged)",
)
def segment_members(request, segment_id: int, limit: int = 100, offset: int = 0):
    segment, count, rows = selectors.segment_members(
        actor=request.auth, segment_id=segment_id, limit=max(1, min(limit, 1000)), offset=offset
    )
    return {"segment": segment.pk, "count": count, "members": rows}


@router.post(
    "/segments/{segment_id}/outreach",
    response={201: OutreachOut, **ERRORS},
    summary="Make a call or greeting list (consent and do-not-call applied)",
)
def create_outreach(request, segment_id: int, payload: OutreachIn):
    o = services.outreach_create(
        actor=request.auth,
        segment_id=segment_id,
        purpose=payload.purpose,
        channel=payload.channel,
        campaign_code=payload.campaign,
    )
    return 201, {
        "id": o.pk,
        "segment": o.segment_id,
        "purpose": o.purpose,
        "channel": o.channel,
        "segment_count": o.segment_count,
        "member_count": o.member_count,
        "excluded": o.excluded,
    }


@router.get("/funnel", response={200: list[FunnelRowOut], **ERRORS}, summary="Product funnel")
def funnel(request, filters: Query[FunnelFiltersIn]):
    parsed = selectors.funnel_filters(filters.dict())
    return [
        {
            "product": r.product.code,
            "name": str(r.product),
            "flagship": r.product.is_flagship,
            "offered": r.counts[0],
            "interested": r.counts[1],
            "applied": r.counts[2],
            "bought": r.counts[3],
            "conversion": r.overall,
        }
        for r in selectors.funnel(actor=request.auth, filters=parsed)
    ]


@router.get(
    "/drill",
    response={200: DrillOut, **ERRORS},
    summary="Customers behind a funnel or matrix number (masked, audit-logged)",
)
def drill(request, figure: str, product: str, key: str, filters: Query[FunnelFiltersIn]):
    result = selectors.drill_down(
        actor=request.auth,
        filters=selectors.funnel_filters(filters.dict()),
        figure=figure,
        product_code=product,
        key=key,
    )
    return {"title": result.title, "total": result.total, "customers": result.rows}


@router.get("/rules", response={200: list[RuleOut], **ERRORS}, summary="Classification rules")
def list_rules(request):
    if not (
        selectors.can(request.auth, Action.RULE_MANAGE)
        or selectors.can(request.auth, Action.INSIGHT_VIEW)
    ):
        raise PermissionDenied("not allowed")
    return [
        {
            "id": r.pk,
            "position": r.position,
            "is_active": r.is_active,
            "target": r.target,
            "outcome": r.outcome,
            "conditions": r.conditions,
            "reason_zh": r.reason_zh,
            "reason_en": r.reason_en,
        }
        for r in ClassificationRule.objects.all()
    ]


@router.post("/rules", response={201: RuleOut, **ERRORS}, summary="Add a rule")
def create_rule(request, payload: RuleIn):
    data = payload.dict()
    data["conditions"] = _conditions(payload.conditions)
    r = services.rule_save(actor=request.auth, data=data)
    return 201, {k: getattr(r, k) for k in RuleOut.model_fields} | {"id": r.pk}


@router.put("/rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="Change a rule")
def update_rule(request, rule_id: int, payload: RuleIn):
    data = payload.dict()
    data["conditions"] = _conditions(payload.conditions)
    r = services.rule_save(actor=request.auth, data=data, rule_id=rule_id)
    return {k: getattr(r, k) for k in RuleOut.model_fields} | {"id": r.pk}


@router.post("/classification", response={202: JobOut, **ERRORS}, summary="Rerun classification")
def start_classification(request):
    with transaction.atomic():
        job = services.classification_job_start(actor=request.auth)
    return 202, _job(job)


@router.get(
    "/classification/{job_id}", response={200: JobOut, **ERRORS}, summary="Classification progress"
)
def classification_status(request, job_id: int):
    if not selectors.can(request.auth, Action.RULE_MANAGE):
        raise PermissionDenied("not allowed")
    job = ClassificationJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound("no such job")
    return _job(job)


def _job(job) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "processed": job.processed,
        "total": job.total,
        "result": job.result or {},
    }


@router.post("/offers", response={201: OfferOut, **ERRORS}, summary="Record an offer step")
def record_offer(request, payload: OfferIn):
    event = services.offer_record(
        actor=request.auth,
        customer_id=payload.customer_id,
        product_code=payload.product,
        stage=payload.stage,
        channel=payload.channel,
        campaign_code=payload.campaign,
        note=payload.note,
    )
    return 201, {
        "id": event.pk,
        "customer_id": event.customer_id,
        "product": event.product.code,
        "stage": event.stage,
        "occurred_at": event.occurred_at,
    }
