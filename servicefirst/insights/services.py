# ruff: noqa: S608 - raw SQL is built from compiled querysets, table names and placeholders
"""Writes of customer insight: classification rules and runs, segments, outreach lists and
offer events. Each takes a keyword-only `actor`, checks the permission matrix and records
what it did; bad input raises ValidationFailed naming the field and changes nothing."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, IntegerField, Max, Q, Sum, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, scope_for, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers.models import Campaign, Customer, Holding, Interaction, Product
from servicefirst.customers.services import interaction_record
from servicefirst.insights import conditions as cond
from servicefirst.insights.models import (
    ClassificationJob,
    ClassificationRule,
    CustomerMetrics,
    OfferEvent,
    OutreachList,
    OutreachMember,
    Segment,
)

BATCH = 20_000

OUTCOMES = {
    ClassificationRule.Target.LIFECYCLE: Customer.Lifecycle,
    ClassificationRule.Target.VALUE_TIER: Customer.Tier,
    ClassificationRule.Target.SUITABILITY: Product.Category,
}


def _require(actor, action: str, message: str) -> None:
    if scope_for(actor, action) == 0:
        raise PermissionDenied(message)


# --- classification rules ------------------------------------------------------------------


def rule_clean(data: dict[str, Any]) -> dict[str, Any]:
    """Check a rule's fields; raises ValidationFailed naming each bad one."""
    errors: dict[str, list[str]] = {}
    target = data.get("target")
    if target not in ClassificationRule.Target.values:
        errors["target"] = [_("Choose what the rule sets.")]
    elif data.get("outcome") not in OUTCOMES[target].values:
        errors["outcome"] = [_("Choose a result that fits what the rule sets.")]
    for key, label in (("reason_zh", _("Chinese")), ("reason_en", _("English"))):
        text = (data.get(key) or "").strip()
        if not text:
            errors[key] = [_("Write the reason in %(language)s.") % {"language": label}]
        elif len(text) > 90:
            errors[key] = [_("Keep the reason to 90 characters.")]
    conditions = data.get("conditions", [])
    errors.update(cond.validate(conditions))
    if errors:
        raise ValidationFailed(errors)
    return {
        "target": target,
        "outcome": data["outcome"],
        "reason_zh": data["reason_zh"].strip(),
        "reason_en": data["reason_en"].strip(),
        "conditions": conditions,
        "is_active": bool(data.get("is_active", True)),
    }


@transaction.atomic
def rule_save(*, actor, data: dict[str, Any], rule_id: int | None = None) -> ClassificationRule:
    _require(actor, Action.RULE_MANAGE, _("You may not change classification rules."))
    cleaned = rule_clean(data)
    if rule_id is None:
        rule = ClassificationRule(
            position=(
                ClassificationRule.objects.filter(target=cleaned["target"]).aggregate(
                    m=Max("position")
                )["m"]
                or 0
            )
            + 10
        )
        before = None
    else:
        rule = ClassificationRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("No such rule."))
        before = {k: getattr(rule, k) for k in cleaned}
    for key, value in cleaned.items():
        setattr(rule, key, value)
    rule.updated_by = staff_of(actor)
    rule.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="classification_rule",
        object_id=rule.pk,
        detail={"rule": cleaned, "before": before},
    )
    return rule


@transaction.atomic
def rule_move(*, actor, rule_id: int, direction: str) -> None:
    """Swap a rule with its neighbour (same target) above or below."""
    _require(actor, Action.RULE_MANAGE, _("You may not change classification rules."))
    rule = ClassificationRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such rule."))
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": [_("Move up or down.")]})
    rules = list(ClassificationRule.objects.select_for_update().filter(target=rule.target))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, r in enumerate(rules, start=1):
        if r.position != position * 10:
            ClassificationRule.objects.filter(pk=r.pk).update(position=position * 10)


def active_rules(target: str) -> list[ClassificationRule]:
    return list(ClassificationRule.objects.filter(target=target, is_active=True))


def _bank_reason(rule: ClassificationRule) -> str:
    zh = (settings.LANGUAGE_CODE or "").startswith("zh")
    return rule.reason_zh if zh else rule.reason_en


@dataclass
class ClassificationPlan:
    """The active rules of each target, as CASE expressions giving the index (1-based) of
    the first rule that matches, and what each index sets."""

    lifecycle_index: Case
    tier_index: Case
    lifecycle: list[tuple[str, str]]  # (outcome, reason in the bank's language)
    tiers: list[tuple[str, str]]
    unmatched: str


def classification_plan() -> ClassificationPlan:
    lifecycle = active_rules(ClassificationRule.Target.LIFECYCLE)
    tiers = active_rules(ClassificationRule.Target.VALUE_TIER)
    with translation.override(settings.LANGUAGE_CODE):
        unmatched = _("No lifecycle rule applies; left as set")

    def index(rules):
        return Case(
            *[When(cond.compile_q(r.conditions), then=Value(i)) for i, r in enumerate(rules, 1)],
            default=Value(0),
            output_field=IntegerField(),
        )

    return ClassificationPlan(
        lifecycle_index=index(lifecycle),
        tier_index=index(tiers),
        lifecycle=[(r.outcome, _bank_reason(r)) for r in lifecycle],
        tiers=[(r.outcome, _bank_reason(r)) for r in tiers],
        unmatched=unmatched,
    )


def _pick(column: str, choices: list[str], default_sql: str) -> tuple[str, list]:
    """SQL `CASE column WHEN 1 THEN %s ... ELSE default END` and its parameters."""
    if not choices:
        return default_sql, []
    whens = " ".join(f"WHEN {i} THEN %s" for i in range(1, len(choices) + 1))
    return f"CASE {column} {whens} ELSE {default_sql} END", list(choices)


def _classify_rows(queryset, plan: ClassificationPlan) -> int:
    """Rewrite the classes of the given customers in one UPDATE ... FROM: the rules are
    evaluated once per customer (in a fenced subquery), and only rows that change are
    written. Returns the rows changed."""
    inner = (
        queryset.order_by()
        .annotate(lc_idx=plan.lifecycle_index, tier_idx=plan.tier_index)
        .values("pk", "lifecycle", "value_tier", "lc_idx", "tier_idx")
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    lc_sql, lc_params = _pick("s.lc_idx", [o for o, _r in plan.lifecycle], "s.lifecycle")
    lc_reason_sql, lc_reason_params = _pick("s.lc_idx", [r for _o, r in plan.lifecycle], "%s")
    lc_reason_params.append(plan.unmatched)
    tier_sql, tier_params = _pick("s.tier_idx", [o for o, _r in plan.tiers], "s.value_tier")
    tier_reason_sql, tier_reason_params = _pick("s.tier_idx", [r for _o, r in plan.tiers], "%s")
    tier_reason_params.append("")
    table = Customer._meta.db_table
    # Built from the compiled queryset, the table name and placeholders only.
    sql = (
        f"UPDATE {table} SET lifecycle = n.new_lc, value_tier = n.new_tier, "
        f"lifecycle_reason = n.new_reason FROM ("
        f"SELECT s.pk AS id, {lc_sql} AS new_lc, {tier_sql} AS new_tier, "
        f"({lc_reason_sql}) || %s || ({tier_reason_sql}) AS new_reason "
        f"FROM ({inner_sql} LIMIT -1 OFFSET 0) s) n "
        f"WHERE {table}.id = n.id AND ({table}.lifecycle <> n.new_lc "
        f"OR {table}.value_tier <> n.new_tier OR {table}.lifecycle_reason <> n.new_reason)"
    )
    if connection.vendor == "postgresql":
        sql = sql.replace("LIMIT -1 OFFSET 0", "OFFSET 0")  # the fence against pull-up
    params = [
        *lc_params,
        *tier_params,
        *lc_reason_params,
        " · ",
        *tier_reason_params,
        *inner_params,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
        cursor.execute(sql, params)
        return cursor.rowcount


def metrics_refresh(customer_ids: list[int] | None = None) -> int:
    """Recompute the per-customer balances (all customers, or the given ones) set-wise: one
    INSERT ... SELECT ... GROUP BY over the active holdings. Returns the rows written."""
    holdings = Holding.objects.filter(status=Holding.Status.ACTIVE)
    stale = CustomerMetrics.objects.all()
    if customer_ids is not None:
        holdings = holdings.filter(customer_id__in=customer_ids)
        stale = stale.filter(customer_id__in=customer_ids)
    rows = (
        holdings.order_by()
        .values("customer_id")
        .annotate(
            aum=Sum("balance", filter=Q(product__category__in=cond.ASSET_CATEGORIES), default=0),
            deposit=Sum("balance", filter=Q(product__category="deposit"), default=0),
            now=Value(timezone.now(), output_field=DateTimeField()),
        )
        .values_list("customer_id", "aum", "deposit", "now")
    )
    sql, params = rows.query.sql_with_params()
    table = CustomerMetrics._meta.db_table
    with transaction.atomic():
        stale.delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (customer_id, aum, deposit_balance, refreshed_at) {sql}",
                params,
            )
            written = cursor.rowcount
            if customer_ids is None and connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")  # fresh statistics for the planner
    return written


def classify_customer(customer_id: int) -> Customer | None:
    """Recompute one customer's balances, class, tier and reason (call after anything that
    changes them: a holding, a consent, a contact). No permission check: it only applies
    the rules."""
    metrics_refresh([customer_id])
    _classify_rows(Customer.objects.filter(pk=customer_id), classification_plan())
    return Customer.objects.filter(pk=customer_id).first()


def classification_job_start(*, actor) -> ClassificationJob:
    """Queue a full recomputation (runs in the background worker)."""
    _require(actor, Action.RULE_MANAGE, _("You may not rerun the classification."))
    job = ClassificationJob.objects.create(created_by=staff_of(actor))

    def enqueue():
        from servicefirst.insights.tasks import run_classification

        run_classification.enqueue(job.pk)

    transaction.on_commit(enqueue)
    return job


def classification_run(
    *, actor, job: ClassificationJob | None = None, limit: int | None = None
) -> dict[str, int]:
    """Recompute every customer in id batches of BATCH, one set-based UPDATE per batch, with
    progress on the job. `limit` classifies only the first customers (benchmarks)."""
    if actor is not None:
        _require(actor, Action.RULE_MANAGE, _("You may not rerun the classification."))
    base = Customer.objects.filter(merged_into__isnull=True)
    ids = base.order_by("pk").values_list("pk", flat=True)
    total = base.count() if limit is None else min(limit, base.count())
    if job is not None:
        ClassificationJob.objects.filter(pk=job.pk).update(
            status=ClassificationJob.Status.RUNNING, total=total, processed=0
        )
    metrics_refresh()
    plan = classification_plan()
    processed = changed = 0
    last = 0
    while processed < total:
        size = min(BATCH, total - processed)
        bounds = list(ids.filter(pk__gt=last)[:size])
        if not bounds:
            break
        with transaction.atomic():
            changed += _classify_rows(base.filter(pk__gte=bounds[0], pk__lte=bounds[-1]), plan)
        processed += len(bounds)
        last = bounds[-1]
        if job is not None:
            ClassificationJob.objects.filter(pk=job.pk).update(processed=processed)
    result = {"total": total, "processed": processed, "changed": changed}
    if job is not None:
        ClassificationJob.objects.filter(pk=job.pk).update(
            status=ClassificationJob.Status.DONE, finished_at=timezone.now(), result=result
        )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_UPDATE,
        object_type="classification_run",
        object_id=job.pk if job else "",
        detail=result,
    )
    return result


# --- segments and outreach ------------------------------------------------------------------


def segment_clean(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Give the segment a name.")]
    elif len(name) > 120:
        errors["name"] = [_("Keep the name to 120 characters.")]
    definition = data.get("definition", [])
    errors.update(cond.validate(definition, prefix="definition"))
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "description": (data.get("description") or "").strip()[:300],
        "definition": definition,
    }


@transaction.atomic
def segment_save(*, actor, data: dict[str, Any], segment_id: int | None = None) -> Segment:
    from servicefirst.insights import selectors

    _require(actor, Action.SEGMENT_MANAGE, _("You may not build segments."))
    cleaned = segment_clean(data)
    if segment_id is None:
        segment = Segment(created_by=staff_of(actor))
    else:
        segment = Segment.objects.select_for_update().filter(pk=segment_id).first()
        if segment is None:
            raise NotFound(_("No such segment."))
    for key, value in cleaned.items():
        setattr(segment, key, value)
    segment.last_count = selectors.segment_queryset(
        actor=actor, definition=cleaned["definition"], action=Action.SEGMENT_MANAGE
    ).count()
    segment.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_SEARCH,
        object_type="segment",
        object_id=segment.pk,
        detail={"definition": cleaned["definition"], "count": segment.last_count},
    )
    return segment


@transaction.atomic
def outreach_create(
    *, actor, segment_id: int, purpose: str, channel: str, campaign_code: str = ""
) -> OutreachList:
    """Turn a segment into a call or greeting list, leaving out everyone the channel may not
    reach: do-not-call, missing consent, no phone or e-mail. The counts say who and why."""
    from servicefirst.insights import selectors

    _require(actor, Action.SEGMENT_MANAGE, _("You may not build outreach lists."))
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise NotFound(_("No such segment."))
    errors = {}
    if purpose not in OutreachList.Purpose.values:
        errors["purpose"] = [_("Choose campaign or greeting.")]
    if channel not in OutreachList.Channel.values:
        errors["channel"] = [_("Choose phone, SMS or e-mail.")]
    campaign = None
    if campaign_code:
        campaign = Campaign.objects.filter(code=campaign_code).first()
        if campaign is None:
            errors["campaign"] = [_("No such campaign.")]
    if errors:
        raise ValidationFailed(errors)
    members = selectors.segment_queryset(
        actor=actor, definition=segment.definition, action=Action.SEGMENT_MANAGE
    )
    plan = selectors.outreach_plan(members, purpose=purpose, channel=channel)
    outreach = OutreachList.objects.create(
        segment=segment,
        purpose=purpose,
        channel=channel,
        campaign=campaign,
        created_by=staff_of(actor),
        segment_count=plan.segment_count,
        member_count=plan.reachable.count(),
        excluded=plan.excluded,
    )
    ids = list(plan.reachable.order_by("pk").values_list("pk", flat=True))
    scores: dict[int, float] = {}
    if campaign is not None and campaign.product_id is not None:
        from servicefirst.scoring.selectors import call_list_order, scores_for

        ids = call_list_order(ids, campaign.product.code)
        scores = scores_for(ids, campaign.product.code)
    batch: list[OutreachMember] = []
    for position, customer_id in enumerate(ids, start=1):
        batch.append(
            OutreachMember(
                outreach=outreach,
                customer_id=customer_id,
                position=position,
                probability=scores.get(customer_id),
            )
        )
        if len(batch) >= 5000:
            OutreachMember.objects.bulk_create(batch)
            batch = []
    OutreachMember.objects.bulk_create(batch)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="outreach_list",
        object_id=outreach.pk,
        detail={
            "segment": segment.pk,
            "purpose": purpose,
            "channel": channel,
            "members": outreach.member_count,
            "excluded": plan.excluded,
        },
    )
    return outreach


# --- offers ---------------------------------------------------------------------------------


@transaction.atomic
def offer_record(
    *,
    actor,
    customer_id: int,
    product_code: str,
    stage: str,
    channel: str = "",
    campaign_code: str = "",
    occurred_at=None,
    note: str = "",
) -> OfferEvent:
    """Record one step of offering a product, and put it on the customer's timeline."""
    _require(actor, Action.INTERACTION_ADD, _("You may not record offers."))
    errors = {}
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        errors["product"] = [_("No such product.")]
    if stage not in OfferEvent.Stage.values:
        errors["stage"] = [_("Choose offered, interested, applied or bought.")]
    if channel and channel not in Customer.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    campaign = None
    if campaign_code:
        campaign = Campaign.objects.filter(code=campaign_code).first()
        if campaign is None:
            errors["campaign"] = [_("No such campaign.")]
    if errors:
        raise ValidationFailed(errors)
    staff = staff_of(actor)
    event = OfferEvent.objects.create(
        customer=customer,
        product=product,
        stage=stage,
        channel=channel,
        staff=staff,
        unit=staff.unit if staff else None,
        campaign=campaign,
        occurred_at=occurred_at or timezone.now(),
    )
    stage_label = OfferEvent.Stage(stage).label
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.PURCHASE
        if stage == OfferEvent.Stage.BOUGHT
        else Interaction.Kind.NOTE,
        actor=actor,
        summary=f"{product}: {stage_label}" + (f" — {note.strip()}" if note.strip() else ""),
        channel=channel,
        occurred_at=event.occurred_at,
        campaign=campaign,
        detail={"offer": event.pk, "product": product.code, "stage": stage},
    )
    return event
