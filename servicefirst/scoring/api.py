"""`/api/scoring/…`: the next best offer of a customer, and ordering a call list by score."""

from typing import Annotated

from ninja import Router, Schema
from pydantic import Field, StrictInt

from servicefirst.customers.schemas import ErrorOut
from servicefirst.scoring import selectors

router = Router(tags=["scoring"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ReasonOut(Schema):
    code: str
    text: str
    effect: float


class OfferOut(Schema):
    product_code: str
    product_name: str
    category: str
    probability: float
    model_version: int
    reasons: list[ReasonOut]


class ExcludedOut(Schema):
    product_code: str
    reason: str


class NextBestOfferOut(Schema):
    customer_id: int
    offers: list[OfferOut]
    excluded: list[ExcludedOut]


# A customer id: a whole number (not `true` or "12") a database key can hold.
CustomerId = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]


class CallListIn(Schema):
    product_code: str
    customer_ids: list[CustomerId]


@router.get("/customers/{customer_id}/next-best-offer", response={200: NextBestOfferOut, **ERRORS})
def next_best_offer(request, customer_id: int):
    nbo = selectors.next_best_offer(actor=request.auth, customer_id=customer_id)
    return {
        "customer_id": nbo.customer.pk,
        "offers": [
            {
                "product_code": o.product.code,
                "product_name": str(o.product),
                "category": o.product.category,
                "probability": round(o.probability, 4),
                "model_version": o.model_version,
                "reasons": [
                    {"code": r["code"], "text": r["text"], "effect": r.get("effect", 0.0)}
                    for r in o.reasons
                ],
            }
            for o in nbo.offers
        ],
        "excluded": [{"product_code": p.code, "reason": why} for p, why in nbo.excluded],
    }


@router.post("/call-list/order", response={200: list[int], **ERRORS})
def call_list_order(request, payload: CallListIn):
    """The given customers, best-scored first for the product (only those the caller may see)."""
    from servicefirst.customers.selectors import visible_customers

    visible = set(
        visible_customers(request.auth)
        .filter(pk__in=payload.customer_ids)
        .values_list("pk", flat=True)
    )
    ids = [pk for pk in payload.customer_ids if pk in visible]
    return selectors.call_list_order(ids, payload.product_code)
