# ruff: noqa: S608 - SQL text is Django-compiled querysets and constants; values are parameters
"""Reads of customer insight: segment previews, outreach plans, suitability, the product
funnel, the classification matrix and the drill-downs behind every figure (audit-logged)."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, scope_filter, scope_for
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record_many
from servicefirst.customers.fields import mask_name
from servicefirst.customers.models import (
    Consent,
    Customer,
    CustomerPhone,
    Holding,
    Interaction,
    Product,
)
from servicefirst.insights import conditions as cond
from servicefirst.insights.models import ClassificationRule, OfferEvent, OutreachList, Segment

STAGES = ("offered", "interested", "applied", "bought")
DRILL_LIMIT = 100


def can(actor, action: str) -> bool:
    return scope_for(actor, action) > 0


def scoped_customers(actor, action: str = Action.INSIGHT_VIEW) -> QuerySet[Customer]:
    filters = scope_filter(actor, action)
    if filters is None:
        return Customer.objects.none()
    return Customer.objects.filter(merged_into__isnull=True, **filters)


def _customer_scope(actor, action: str, prefix: str = "customer__") -> Q | None:
    filters = scope_filter(actor, action)
    if filters is None:
        return None
    return Q(**{f"{prefix}{k}": v for k, v in filters.items()}, **{f"{prefix}merged_into": None})


def masked_rows(customers) -> list[dict[str, Any]]:
    """What a list of customers behind a figure shows: no personal data beyond a masked name."""
    return [
        {
            "id": c.pk,
            "number": c.number,
            "name": mask_name(c.name_zh or c.name_latin),
            "branch": str(c.home_branch) if c.home_branch_id else "",
            "lifecycle": c.get_lifecycle_display(),
            "tier": c.get_value_tier_display(),
            "reason": c.lifecycle_reason,
        }
        for c in customers
    ]


# --- segments -------------------------------------------------------------------------------


def segment_queryset(*, actor, definition: list[dict], action: str = Action.INSIGHT_VIEW):
    """The customers of a (valid) segment definition within the actor's scope."""
    return scoped_customers(actor, action).filter(cond.compile_q(definition))


@dataclass
class Preview:
    count: int
    sample: list[dict[str, Any]]


def segment_preview(*, actor, definition, sample_size: int = 10) -> Preview:
    """How many customers a definition selects, and a masked sample. Raises ValidationFailed
    naming the bad condition. One COUNT and one short indexed page."""
    if scope_for(actor, Action.SEGMENT_MANAGE) == 0:
        raise PermissionDenied(_("You may not build segments."))
    errors = cond.validate(definition, prefix="definition")
    if errors:
        raise ValidationFailed(errors)
    qs = segment_queryset(actor=actor, definition=definition, action=Action.SEGMENT_MANAGE)
    count, sample = preview_counts(qs, sample_size)
    return Preview(count=count, sample=masked_rows(sample))


def preview_counts(qs: QuerySet[Customer], sample_size: int = 10) -> tuple[int, list[Customer]]:
    """One COUNT and a short sample (any matching rows: no ORDER BY, so the database stops at
    the first ones it meets). On PostgreSQL, JIT compilation is switched off for these two
    statements: it costs more than such short queries save."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        count = qs.count()
        sample = list(qs.order_by().select_related("home_branch")[:sample_size]) if count else []
    sample.sort(key=lambda c: c.pk)
    return count, sample


def segments(*, actor) -> list[Segment]:
    if scope_for(actor, Action.SEGMENT_MANAGE) == 0 and scope_for(actor, Action.INSIGHT_VIEW) == 0:
        raise PermissionDenied(_("You may not see segments."))
    return list(Segment.objects.select_related("created_by"))


def segment_members(*, actor, segment_id: int, limit: int = 100, offset: int = 0):
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        from servicefirst.core.errors import NotFound

        raise NotFound(_("No such segment."))
    if scope_for(actor, Action.SEGMENT_MANAGE) == 0:
        raise PermissionDenied(_("You may not see segment members."))
    qs = segment_queryset(actor=actor, definition=segment.definition, action=Action.SEGMENT_MANAGE)
    page = list(qs.order_by("pk").select_related("home_branch")[offset : offset + limit])
    audit_record_many(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        customer_ids=[c.pk for c in page],
        detail={"segment": segment.pk, "drilldown": "segment_members"},
    )
    return segment, qs.count(), masked_rows(page)


# Which consents each kind of outreach needs, besides not being on the do-not-call list.
CHANNEL_CONSENT = {
    OutreachList.Channel.PHONE: Consent.Kind.PHONE,
    OutreachList.Channel.SMS: Consent.Kind.SMS,
    OutreachList.Channel.EMAIL: Consent.Kind.EMAIL,
}


@dataclass
class OutreachPlan:
    segment_count: int
    excluded: dict[str, int]
    reachable: QuerySet = field(repr=False)


def _has_consent(kind: str) -> Exists:
    return Exists(
        Consent.objects.filter(customer=OuterRef("pk"), kind=kind, withdrawn_at__isnull=True)
    )


def outreach_plan(members: QuerySet, *, purpose: str, channel: str) -> OutreachPlan:
    """Apply the contact rules in order; each excluded customer is counted under the first
    reason that excludes them: do not call, no marketing consent (campaigns only), no consent
    for the channel, no phone number / e-mail address."""
    steps: list[tuple[str, Q]] = [("do_not_call", Q(do_not_call=False))]
    if purpose == OutreachList.Purpose.CAMPAIGN:
        steps.append(("no_marketing_consent", Q(_has_consent(Consent.Kind.MARKETING))))
    steps.append((f"no_{channel}_consent", Q(_has_consent(CHANNEL_CONSENT[channel]))))
    if channel == OutreachList.Channel.EMAIL:
        steps.append(("no_address", ~Q(email="")))
    else:
        steps.append(
            ("no_address", Q(Exists(CustomerPhone.objects.filter(customer=OuterRef("pk")))))
        )
    current = members
    before = members.count()
    segment_count = before
    excluded: dict[str, int] = {}
    for reason, keep in steps:
        current = current.filter(keep)
        after = current.count()
        excluded[reason] = before - after
        before = after
    return OutreachPlan(segment_count=segment_count, excluded=excluded, reachable=current)


EXCLUSION_LABELS = {
    "do_not_call": lambda: _("On the do-not-call list"),
    "no_marketing_consent": lambda: _("No marketing consent"),
    "no_phone_consent": lambda: _("No consent to phone calls"),
    "no_sms_consent": lambda: _("No consent to SMS"),
    "no_email_consent": lambda: _("No consent to e-mail"),
    "no_address": lambda: _("No phone number or e-mail address"),
}


def exclusion_rows(excluded: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(key, EXCLUSION_LABELS.get(key, lambda k=key: k)(), n) for key, n in excluded.items()]


# --- rules and suitability ------------------------------------------------------------------


def unsuitable_q(product: Product) -> Q | None:
    """Customers the active suitability rules say are not a target for this product (its
    category or its own code), as one Q; None when no rule applies."""
    rules = ClassificationRule.objects.filter(
        target=ClassificationRule.Target.SUITABILITY,
        is_active=True,
        outcome__in=[product.category, product.code],
    )
    q = None
    for rule in rules:
        rule_q = cond.compile_q(rule.conditions)
        q = rule_q if q is None else q | rule_q
    return q


def suitable_customers(queryset: QuerySet[Customer], product: Product) -> QuerySet[Customer]:
    """Set-based filter for the next best offer and call lists (balances as of the last
    metrics refresh: every classification run, or `services.metrics_refresh`)."""
    q = unsuitable_q(product)
    return queryset if q is None else queryset.exclude(q)


def unsuitability_reasons(customer, product: Product) -> list[str]:
    reasons = []
    for rule in ClassificationRule.objects.filter(
        target=ClassificationRule.Target.SUITABILITY,
        is_active=True,
        outcome__in=[product.category, product.code],
    ):
        live = cond.compile_q(rule.conditions, live=True)
        if Customer.objects.filter(pk=customer.pk).filter(live).exists():
            reasons.append(rule.reason)
    return reasons


def is_suitable(customer, product: Product) -> bool:
    """Whether the product may be offered to the customer under the suitability rules."""
    return not unsuitability_reasons(customer, product)


@dataclass
class RuleEffect:
    rule: ClassificationRule
    matches: int
    moves: int


def rules_dry_run(actor=None) -> list[RuleEffect]:
    """For each active rule: how many customers it decides (no earlier rule of its target
    matched) and how many of those it would move to a different result."""
    base = Customer.objects.filter(merged_into__isnull=True)
    effects = []
    for target in ClassificationRule.Target.values:
        earlier = Q()
        column = {"lifecycle": "lifecycle", "value_tier": "value_tier"}.get(target)
        for rule in ClassificationRule.objects.filter(target=target, is_active=True):
            rule_q = cond.compile_q(rule.conditions)
            decided = (
                base.filter(earlier & rule_q) if target != "suitability" else base.filter(rule_q)
            )
            matches = decided.count()
            moves = decided.exclude(**{column: rule.outcome}).count() if column else 0
            effects.append(RuleEffect(rule=rule, matches=matches, moves=moves))
            earlier &= ~rule_q
    return effects


# --- product acceptance ---------------------------------------------------------------------


@dataclass
class FunnelFilters:
    segment: Segment | None = None
    branch: Unit | None = None
    channel: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment.pk if self.segment else None,
            "branch": self.branch.pk if self.branch else None,
            "channel": self.channel,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def funnel_filters(data: dict[str, Any]) -> FunnelFilters:
    """Parse filter input (query string or API); errors name the field."""
    errors: dict[str, list[str]] = {}
    result = FunnelFilters()
    if data.get("segment"):
        result.segment = Segment.objects.filter(pk=_int(data["segment"])).first()
        if result.segment is None:
            errors["segment"] = [_("No such segment.")]
    if data.get("branch"):
        result.branch = Unit.objects.filter(pk=_int(data["branch"]), kind=Unit.Kind.BRANCH).first()
        if result.branch is None:
            errors["branch"] = [_("No such branch.")]
    if data.get("channel"):
        if data["channel"] not in Customer.Channel.values:
            errors["channel"] = [_("Unknown channel.")]
        else:
            result.channel = data["channel"]
    for key in ("date_from", "date_to"):
        if data.get(key):
            try:
                setattr(result, key, datetime.date.fromisoformat(str(data[key])))
            except ValueError:
                errors[key] = [_("Enter a date as YYYY-MM-DD.")]
    if result.date_from and result.date_to and result.date_from > result.date_to:
        errors["date_to"] = [_("The end comes before the start.")]
    if errors:
        raise ValidationFailed(errors)
    return result


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _day(d: datetime.date, end: bool = False) -> datetime.datetime:
    moment = datetime.datetime.combine(
        d + datetime.timedelta(days=1 if end else 0), datetime.time.min
    )
    return timezone.make_aware(moment)


def _customer_filter(actor, filters: FunnelFilters, prefix: str = "customer__") -> Q:
    q = _customer_scope(actor, Action.INSIGHT_VIEW, prefix)
    if q is None:
        raise PermissionDenied(_("You may not see product acceptance."))
    if filters.branch:
        q &= Q(**{f"{prefix}home_branch": filters.branch})
    if filters.segment:
        members = segment_queryset(
            actor=actor, definition=filters.segment.definition, action=Action.INSIGHT_VIEW
        )
        q &= Q(**{f"{prefix[:-2]}__in" if prefix else "pk__in": members.values("pk")})
    return q


def _stage_sources(actor, filters: FunnelFilters):
    """(customer, product, stage rank) rows from offer events, holdings opened and campaign
    calls (each call an offer; outcome "yes" a sale), filtered alike."""
    who = _customer_filter(actor, filters)
    rank = Case(
        *[When(stage=s, then=Value(i)) for i, s in enumerate(STAGES, start=1)],
        output_field=IntegerField(),
    )
    events = OfferEvent.objects.filter(who)
    calls = Interaction.objects.filter(
        who, kind=Interaction.Kind.CAMPAIGN_CALL, campaign__product__isnull=False
    )
    holdings = Holding.objects.filter(who)
    if filters.channel:
        events = events.filter(channel=filters.channel)
        calls = calls.filter(channel=filters.channel)
        holdings = holdings.none()  # a holding does not say where it was sold
    if filters.date_from:
        events = events.filter(occurred_at__gte=_day(filters.date_from))
        calls = calls.filter(occurred_at__gte=_day(filters.date_from))
        holdings = holdings.filter(opened_on__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(occurred_at__lt=_day(filters.date_to, end=True))
        calls = calls.filter(occurred_at__lt=_day(filters.date_to, end=True))
        holdings = holdings.filter(opened_on__lte=filters.date_to)
    parts = [
        events.order_by()
        .annotate(stage_rank=rank)
        .values_list("customer_id", "product_id", "stage_rank"),
        holdings.order_by()
        .annotate(stage_rank=Value(4, output_field=IntegerField()))
        .values_list("customer_id", "product_id", "stage_rank"),
        calls.order_by()
        .annotate(
            offered_product=F("campaign__product_id"),
            stage_rank=Case(
                When(outcome="yes", then=Value(4)), default=Value(1), output_field=IntegerField()
            ),
        )
        .values_list("customer_id", "offered_product", "stage_rank"),
    ]
    union = parts[0].union(*parts[1:], all=True)
    return union.query.sql_with_params()


def _best_sql(actor, filters: FunnelFilters) -> tuple[str, tuple]:
    sql, params = _stage_sources(actor, filters)
    return (
        f"SELECT u.customer_id AS customer_id, u.product_id AS product_id, "
        f"MAX(u.stage_rank) AS best FROM ({sql}) u GROUP BY u.customer_id, u.product_id",
        params,
    )


@dataclass
class FunnelRow:
    product: Product
    counts: list[int]

    @property
    def offered(self) -> int:
        return self.counts[0]

    @property
    def bought(self) -> int:
        return self.counts[3]

    @property
    def rates(self) -> list[float | None]:
        """Conversion from each stage to the next."""
        return [
            (self.counts[i + 1] / self.counts[i]) if self.counts[i] else None
            for i in range(len(self.counts) - 1)
        ]

    @property
    def overall(self) -> float | None:
        return self.bought / self.offered if self.offered else None


def funnel(*, actor, filters: FunnelFilters) -> list[FunnelRow]:
    """Per product, the customers who reached each stage (a later stage counts as having
    passed the earlier ones: a customer who bought was offered). Flagship products first."""
    best, params = _best_sql(actor, filters)
    sums = ", ".join(f"SUM(CASE WHEN b.best >= {i} THEN 1 ELSE 0 END)" for i in range(1, 5))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT b.product_id, {sums} FROM ({best}) b GROUP BY b.product_id", params)
        counts = {row[0]: [int(n or 0) for n in row[1:]] for row in cursor.fetchall()}
    products = Product.objects.filter(Q(pk__in=counts) | Q(is_flagship=True))
    rows = [FunnelRow(product=p, counts=counts.get(p.pk, [0, 0, 0, 0])) for p in products]
    rows.sort(key=lambda r: (not r.product.is_flagship, -r.offered, r.product.code))
    return rows


def funnel_customer_ids(*, actor, filters: FunnelFilters, product: Product, stage: str):
    if stage not in STAGES:
        raise ValidationFailed({"stage": [_("Unknown stage.")]})
    best, params = _best_sql(actor, filters)
    rank = STAGES.index(stage) + 1
    sql = f"SELECT b.customer_id FROM ({best}) b WHERE b.product_id = %s AND b.best >= %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) c", (*params, product.pk, rank))
        total = cursor.fetchone()[0]
        cursor.execute(
            f"{sql} ORDER BY b.customer_id LIMIT {DRILL_LIMIT}", (*params, product.pk, rank)
        )
        ids = [row[0] for row in cursor.fetchall()]
    return total, ids


def class_matrix(*, actor, filters: FunnelFilters):
    """Lifecycle classes × products: customers holding each product now."""
    who = _customer_filter(actor, filters)
    rows = (
        Holding.objects.filter(who, status=Holding.Status.ACTIVE)
        .order_by()
        .values("customer__lifecycle", "product_id")
        .annotate(n=Count("customer_id", distinct=True))
    )
    cells = {(r["customer__lifecycle"], r["product_id"]): r["n"] for r in rows}
    products = list(Product.objects.filter(pk__in={p for _l, p in cells}))
    products.sort(key=lambda p: (not p.is_flagship, p.category, p.code))
    classes = list(Customer.Lifecycle.choices)
    table = [
        (value, label, [cells.get((value, p.pk), 0) for p in products]) for value, label in classes
    ]
    return products, table


@dataclass
class Drill:
    title: str
    total: int
    rows: list[dict[str, Any]]


def drill_down(*, actor, filters: FunnelFilters, figure: str, product_code: str, key: str) -> Drill:
    """The customers behind one number (masked, first DRILL_LIMIT), audit-logged per customer.
    figure "funnel": key is the stage; figure "matrix": key is the lifecycle class."""
    if scope_for(actor, Action.INSIGHT_VIEW) == 0:
        raise PermissionDenied(_("You may not see product acceptance."))
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        raise ValidationFailed({"product": [_("No such product.")]})
    if figure == "funnel":
        total, ids = funnel_customer_ids(actor=actor, filters=filters, product=product, stage=key)
        customers = Customer.objects.filter(pk__in=ids).select_related("home_branch").order_by("pk")
        title = f"{product} · {dict(OfferEvent.Stage.choices)[key]}"
    elif figure == "matrix":
        if key not in Customer.Lifecycle.values:
            raise ValidationFailed({"key": [_("Unknown lifecycle class.")]})
        who = _customer_filter(actor, filters, prefix="")
        qs = Customer.objects.filter(
            who,
            lifecycle=key,
            pk__in=Holding.objects.filter(product=product, status=Holding.Status.ACTIVE).values(
                "customer_id"
            ),
        )
        total = qs.count()
        customers = qs.select_related("home_branch").order_by("pk")[:DRILL_LIMIT]
        title = f"{Customer.Lifecycle(key).label} · {product}"
    else:
        raise ValidationFailed({"figure": [_("Unknown figure.")]})
    customers = list(customers)
    audit_record_many(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        customer_ids=[c.pk for c in customers],
        detail={
            "drilldown": figure,
            "product": product.code,
            "key": key,
            "filters": filters.as_dict(),
            "total": total,
        },
    )
    return Drill(title=str(title), total=total, rows=masked_rows(customers))
