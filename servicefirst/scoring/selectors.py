"""Reads of the scoring app: the serving model, the next best offer and call-list order."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

import joblib
from django.db.models import Sum
from django.utils.translation import gettext as _

from servicefirst.customers.models import Customer, Holding, Product
from servicefirst.customers.selectors import customer_get
from servicefirst.scoring import reasons as R
from servicefirst.scoring.models import PropensityModel, Score, TrainingJob

RISK_APPETITE = {"C1": 1, "C2": 2, "C3": 3, "C4": 4, "C5": 5}
UNASSESSED_MAX_RISK = 1  # without a risk assessment only the safest (R1) products are offered
# "A customer with a few ten-thousand yuan of deposits is not a target for funds."
INVESTMENT_MIN_AUM = Decimal("50000")
INVESTMENT_CATEGORIES = (Product.Category.FUND, Product.Category.WEALTH)
AUM_FLOOR = {"lt50k": 0, "50k-500k": 50_000, "500k-6m": 500_000, "gt6m": 6_000_000}
AUM_CATEGORIES = (Product.Category.DEPOSIT, Product.Category.FUND, Product.Category.WEALTH)

_cache: dict[tuple[int, str], object] = {}


def load_model(model: PropensityModel):
    """The fitted model of a version, after checking its sha256 (ValueError if it differs)."""
    key = (model.pk, model.artifact_sha256)
    if key not in _cache:
        blob = bytes(model.artifact)
        if PropensityModel.digest(blob) != model.artifact_sha256:
            raise ValueError(f"model {model.pk}: artifact checksum mismatch")
        _cache.clear()  # keep one or two models in memory, not every version ever loaded
        _cache[key] = joblib.load(io.BytesIO(blob))  # noqa: S301 - our own checked artifact
    return _cache[key]


def serving_model(product: Product, load: bool = True):
    """The serving PropensityModel of the product (or None); with `load`, (model, fitted)."""
    model = PropensityModel.objects.filter(
        product=product, status=PropensityModel.Status.SERVING
    ).first()
    if model is None or not load:
        return model
    return model, load_model(model)


def customer_aum(customer: Customer) -> Decimal:
    held = Holding.objects.filter(
        customer=customer, status=Holding.Status.ACTIVE, product__category__in=AUM_CATEGORIES
    ).aggregate(total=Sum("balance"))["total"] or Decimal("0")
    return max(held, Decimal(AUM_FLOOR.get(customer.aum_band, 0)))


def unsuitable_reason(customer: Customer, product: Product, aum: Decimal, held: set) -> str:
    """Why the product must not be offered to the customer ('' if it may be)."""
    if not product.is_active:
        return _("not on sale")
    if product.pk in held:
        return _("already held")
    appetite = RISK_APPETITE.get(customer.risk_appetite)
    limit = appetite or UNASSESSED_MAX_RISK
    if product.risk_level > limit:
        if appetite is None:
            return _("risk level R%(r)d needs a risk assessment first") % {"r": product.risk_level}
        return _("risk level R%(r)d exceeds the customer's risk appetite %(c)s") % {
            "r": product.risk_level,
            "c": customer.risk_appetite,
        }
    if product.category in INVESTMENT_CATEGORIES:
        needed = max(product.min_amount, INVESTMENT_MIN_AUM)
        if aum < needed:
            return _("assets ¥%(aum)s below the ¥%(min)s this product needs") % {
                "aum": f"{aum:,.0f}",
                "min": f"{needed:,.0f}",
            }
    return ""


@dataclass
class Offer:
    product: Product
    probability: float
    model_version: int
    reasons: list[dict] = field(default_factory=list)  # each with "text" in the reader's language
    live: bool = False  # computed now (no stored score from the serving version)

    @property
    def percent(self) -> float:
        return round(100 * self.probability, 1)


@dataclass
class NextBestOffer:
    customer: Customer
    offers: list[Offer]
    excluded: list[tuple[Product, str]]


def _with_text(reasons: list[dict]) -> list[dict]:
    return [{**r, "text": R.reason_text(r), "up": r.get("effect", 0) >= 0} for r in reasons]


def held_product_names(customer: Customer) -> list[str]:
    """The customer's active products by name, for a short profile at a counter or a phone."""
    return [
        str(h.product)
        for h in Holding.objects.filter(customer=customer, status=Holding.Status.ACTIVE)
        .select_related("product")
        .order_by("product__name_zh")
    ]


def top_offer(*, actor, customer_id: int) -> tuple[Offer | None, str]:
    """The one product to suggest now and the strongest reason for it in words (a reason that
    raises the chance first); (None, "") when nothing suitable is left or the customer is out of
    the actor's sight."""
    from servicefirst.core.errors import NotFound

    try:
        offers = next_best_offer(actor=actor, customer_id=customer_id, limit=1).offers
    except (NotFound, ValueError):
        return None, ""
    if not offers:
        return None, ""
    offer = offers[0]
    ups = [r for r in offer.reasons if r.get("up")] or offer.reasons
    return offer, (ups[0]["text"] if ups else "")


def next_best_offer(*, actor, customer_id: int, limit: int = 3) -> NextBestOffer:
    """The products to offer this customer, best first, with probability and reasons; only
    suitable ones (risk level within the risk appetite, enough assets for funds and wealth
    products, not already held, on sale). NotFound if the actor may not see the customer."""
    from servicefirst.scoring.services import score_batch

    customer = customer_get(actor=actor, customer_id=customer_id)
    serving = list(
        PropensityModel.objects.filter(status=PropensityModel.Status.SERVING).select_related(
            "product"
        )
    )
    held = set(
        customer.holdings.filter(status=Holding.Status.ACTIVE).values_list("product_id", flat=True)
    )
    aum = customer_aum(customer)
    stored = {s.product_id: s for s in Score.objects.filter(customer=customer)}
    offers, excluded = [], []
    for model in serving:
        product = model.product
        why_not = unsuitable_reason(customer, product, aum, held)
        if why_not:
            excluded.append((product, why_not))
            continue
        score = stored.get(product.pk)
        live = score is None or score.model_version != model.version
        if live:
            rows = score_batch(model, load_model(model), [customer.pk])
            if not rows:
                continue
            score = rows[0]
        offers.append(
            Offer(
                product=product,
                probability=score.probability,
                model_version=model.version,
                reasons=_with_text(score.reasons),
                live=live,
            )
        )
    offers.sort(key=lambda o: -o.probability)
    return NextBestOffer(customer=customer, offers=offers[:limit], excluded=excluded)


def scores_for(customer_ids: list[int], product_code: str) -> dict[int, float]:
    """Stored probabilities of the product for these customers (those without one are absent)."""
    found: dict[int, float] = {}
    ids = list(customer_ids)
    for start in range(0, len(ids), 5000):
        found.update(
            Score.objects.filter(
                product__code=product_code, customer_id__in=ids[start : start + 5000]
            ).values_list("customer_id", "probability")
        )
    return found


def call_list_order(customer_ids: list[int], product_code: str) -> list[int]:
    """The customers ordered for a campaign call list: highest stored score for the product
    first; customers without a score keep their given order at the end."""
    ids = list(dict.fromkeys(customer_ids))
    probability = scores_for(ids, product_code)
    position = {pk: i for i, pk in enumerate(ids)}
    return sorted(
        ids, key=lambda pk: (pk not in probability, -probability.get(pk, 0), position[pk])
    )


def models_overview() -> list[dict]:
    """For the scoring page: each product with a model, its versions and recent jobs."""
    products: dict[int, dict] = {}
    for model in PropensityModel.objects.select_related("product").order_by(
        "product__code", "-version"
    ):
        entry = products.setdefault(model.product_id, {"product": model.product, "versions": []})
        entry["versions"].append(model)
        if model.status == PropensityModel.Status.SERVING:
            entry["serving"] = model
    for entry in products.values():
        entry["scored"] = Score.objects.filter(product=entry["product"]).count()
    return list(products.values())


def recent_jobs(limit: int = 10) -> list[TrainingJob]:
    return list(TrainingJob.objects.select_related("product", "model")[:limit])


def trainable_products() -> list[Product]:
    """Products sold by at least one campaign (their calls are the training history)."""
    return list(Product.objects.filter(campaign__isnull=False).distinct().order_by("code"))
