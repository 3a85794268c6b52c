"""HTTP API of outbound campaigns: list and read campaigns (progress and abandonment against
the cap), create and change them, start / pause / finish, and add customers to a call list
(hand-picked ids or a segment). Validated schema in → one service or selector → schema out;
errors name the field (422), as everywhere in the API."""

import datetime
from decimal import Decimal

from ninja import Router, Schema

from servicefirst.core.errors import PermissionDenied
from servicefirst.customers.schemas import ErrorOut
from servicefirst.dialer import campaigns, lists, selectors
from servicefirst.dialer.models import Campaign

router = Router(tags=["contact centre"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class RateOut(Schema):
    abandoned: int
    live_answered: int
    rate: float


class AbandonOut(Schema):
    cap: float
    last_24h: RateOut
    last_30d: RateOut


class ProgressOut(Schema):
    total: int
    attempted: int
    penetration: float
    attempts: int | None = None
    contact_rate: float | None = None
    by_status: dict[str, int] = {}
    by_disposition: dict[str, int] = {}


class DispositionOut(Schema):
    id: int
    code: str
    kind: str
    label_zh: str
    label_en: str
    is_final: bool


class CampaignOut(Schema):
    id: int
    name: str
    crm_code: str
    status: str
    mode: str
    product: str | None
    unit: int | None
    abandon_cap: float
    max_attempts: int
    retry_no_answer_hours: int
    retry_busy_hours: int
    retry_machine_hours: int
    window_start: str
    window_end: str
    call_on_holidays: bool
    ring_timeout_s: int
    agents: list[int]
    progress: ProgressOut
    abandonment: AbandonOut


class CampaignDetailOut(CampaignOut):
    purpose: str
    script: str
    dispositions: list[DispositionOut]
    created_at: datetime.datetime


class CampaignIn(Schema):
    name: str | None = None
    purpose: str | None = None
    script: str | None = None
    product: str | None = None
    unit: int | None = None
    mode: str | None = None
    abandon_cap: Decimal | None = None
    max_attempts: int | None = None
    retry_no_answer_hours: int | None = None
    retry_busy_hours: int | None = None
    retry_machine_hours: int | None = None
    window_start: str | None = None
    window_end: str | None = None
    call_on_holidays: bool | None = None
    ring_timeout_s: int | None = None
    agents: list[int] | None = None


class StatusIn(Schema):
    action: str  # start | pause | finish


class EntriesIn(Schema):
    customer_ids: list[int] = []
    segment_id: int | None = None


class EntriesOut(Schema):
    source: str
    added: int
    already: int
    excluded: dict[str, int]


def _abandonment(campaign: Campaign, rates: dict) -> dict:
    def one(key):
        abandoned, live, rate = rates[key]
        return {"abandoned": abandoned, "live_answered": live, "rate": rate}

    return {"cap": float(campaign.abandon_cap), "last_24h": one("24h"), "last_30d": one("30d")}


def _campaign(campaign: Campaign, progress, rates, *, detail: bool = False) -> dict:
    out = {
        "id": campaign.pk,
        "name": campaign.name,
        "crm_code": campaign.crm.code,
        "status": campaign.status,
        "mode": campaign.mode,
        "product": campaign.product.code if campaign.product_id else None,
        "unit": campaign.unit_id,
        "abandon_cap": float(campaign.abandon_cap),
        "max_attempts": campaign.max_attempts,
        "retry_no_answer_hours": campaign.retry_no_answer_hours,
        "retry_busy_hours": campaign.retry_busy_hours,
        "retry_machine_hours": campaign.retry_machine_hours,
        "window_start": campaign.window_start.strftime("%H:%M"),
        "window_end": campaign.window_end.strftime("%H:%M"),
        "call_on_holidays": campaign.call_on_holidays,
        "ring_timeout_s": campaign.ring_timeout_s,
        "agents": sorted(campaign.agents.values_list("pk", flat=True)),
        "progress": {
            "total": progress.total,
            "attempted": progress.attempted,
            "penetration": progress.penetration,
        },
        "abandonment": _abandonment(campaign, rates),
    }
    if detail:
        out["progress"].update(
            {
                "attempts": progress.attempts,
                "contact_rate": progress.contact_rate,
                "by_status": progress.by_status,
                "by_disposition": {code: n for code, _label, n in progress.by_disposition},
            }
        )
        out.update(
            {
                "purpose": campaign.purpose,
                "script": campaign.script,
                "created_at": campaign.created_at,
                "dispositions": [
                    {
                        "id": d.pk,
                        "code": d.code,
                        "kind": d.kind,
                        "label_zh": d.label_zh,
                        "label_en": d.label_en,
                        "is_final": d.is_final,
                    }
                    for d in campaign.dispositions.all()
                ],
            }
        )
    return out


def _detail(request, campaign_id: int) -> dict:
    campaign = selectors.campaign_get(actor=request.auth, campaign_id=campaign_id)
    return _campaign(
        campaign,
        selectors.campaign_progress(campaign),
        selectors.abandon_rates(campaign),
        detail=True,
    )


def _data(payload: CampaignIn) -> dict:
    return payload.dict(exclude_unset=True)


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS}, summary="Campaigns")
def list_campaigns(request):
    if not selectors.can_see_campaigns(request.auth):
        raise PermissionDenied("not allowed")
    rows = list(selectors.visible_campaigns(request.auth).select_related("crm", "product"))
    progress = selectors.progress_many([c.pk for c in rows])
    rates = selectors.abandon_rates_many([c.pk for c in rows])
    return [_campaign(c, progress[c.pk], rates[c.pk]) for c in rows]


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignDetailOut, **ERRORS},
    summary="A campaign with its progress and abandonment",
)
def get_campaign(request, campaign_id: int):
    return _detail(request, campaign_id)


@router.post("/campaigns", response={201: CampaignDetailOut, **ERRORS}, summary="New campaign")
def create_campaign(request, payload: CampaignIn):
    campaign = campaigns.campaign_create(actor=request.auth, data=_data(payload))
    return 201, _detail(request, campaign.pk)


@router.patch(
    "/campaigns/{campaign_id}",
    response={200: CampaignDetailOut, **ERRORS},
    summary="Change a campaign (the fields given)",
)
def update_campaign(request, campaign_id: int, payload: CampaignIn):
    campaigns.campaign_update(actor=request.auth, campaign_id=campaign_id, data=_data(payload))
    return _detail(request, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/status",
    response={200: CampaignDetailOut, **ERRORS},
    summary="Start, pause or finish a campaign",
)
def set_status(request, campaign_id: int, payload: StatusIn):
    campaigns.campaign_set_status(
        actor=request.auth, campaign_id=campaign_id, action=payload.action
    )
    return _detail(request, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/entries",
    response={200: EntriesOut, **ERRORS},
    summary="Add customers to the call list (ids or a segment); says who was left out and why",
)
def add_entries(request, campaign_id: int, payload: EntriesIn):
    if payload.segment_id is not None:
        result = lists.entries_add_from_segment(
            actor=request.auth, campaign_id=campaign_id, segment_id=payload.segment_id
        )
    else:
        result = lists.entries_add_customers(
            actor=request.auth, campaign_id=campaign_id, customer_ids=payload.customer_ids
        )
    return result.as_dict()
