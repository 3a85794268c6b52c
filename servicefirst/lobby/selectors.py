"""Reads of the proactive lobby: today's walk-ins, overdue hand-offs, each member of staff's
tasks, per-day counts for the branch reports, the "customers known" assessment and the
advertising effect per channel and campaign."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Scope, scope_for, staff_of
from servicefirst.customers.models import Campaign, Customer, Holding
from servicefirst.lobby.models import FollowUp, Greeting, Handoff, Recognition, WalkIn


def can(actor, action: str) -> bool:
    return scope_for(actor, action) > Scope.NONE


def walkins_on(branch_id: int, day: datetime.date | None = None) -> QuerySet:
    day = day or timezone.localdate()
    return (
        WalkIn.objects.filter(branch_id=branch_id, day=day)
        .select_related("customer", "need_service", "campaign", "registered_by")
        .prefetch_related("handoffs__assigned_to")
        .order_by("-at", "-id")
    )


def overdue_handoffs(branch_id: int) -> QuerySet:
    """Open hand-offs of the branch whose due date has passed, the longest overdue first."""
    return (
        Handoff.objects.filter(
            branch_id=branch_id, status=Handoff.Status.OPEN, due_on__lt=timezone.localdate()
        )
        .select_related("customer", "assigned_to", "walk_in")
        .order_by("due_on", "id")
    )


def open_handoffs(branch_id: int) -> QuerySet:
    return (
        Handoff.objects.filter(branch_id=branch_id, status=Handoff.Status.OPEN)
        .select_related("customer", "assigned_to", "walk_in")
        .order_by("due_on", "id")
    )


def _local_day_range(day_from: datetime.date, day_to: datetime.date):
    start = timezone.make_aware(datetime.datetime.combine(day_from, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day_to + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def daily_counts(
    branch_id: int | None, day_from: datetime.date, day_to: datetime.date
) -> dict[datetime.date, dict[str, int]]:
    """Per day of the range (every day present, zeros included): walk-ins registered, new
    prospects among them, and hand-offs made. `branch_id` None: every branch."""
    out = {}
    day = day_from
    while day <= day_to:
        out[day] = {"walk_ins": 0, "prospects": 0, "handoffs": 0}
        day += datetime.timedelta(days=1)
    walk_ins = WalkIn.objects.filter(day__gte=day_from, day__lte=day_to)
    start, end = _local_day_range(day_from, day_to)
    handoffs = Handoff.objects.filter(created_at__gte=start, created_at__lt=end)
    if branch_id is not None:
        walk_ins = walk_ins.filter(branch_id=branch_id)
        handoffs = handoffs.filter(branch_id=branch_id)
    for row in walk_ins.values("day").annotate(
        n=Count("id"), prospects=Count("id", filter=Q(created_prospect=True))
    ):
        out[row["day"]]["walk_ins"] = row["n"]
        out[row["day"]]["prospects"] = row["prospects"]
    tz = timezone.get_current_timezone()
    for row in (
        handoffs.annotate(local_day=TruncDate("created_at", tzinfo=tz))
        .values("local_day")
        .annotate(n=Count("id"))
    ):
        if row["local_day"] in out:
            out[row["local_day"]]["handoffs"] = row["n"]
    return out


def my_tasks(actor) -> dict:
    """The hand-offs and follow-ups assigned to the actor: open ones (overdue first, then by
    due date) and those closed in the last week."""
    staff = staff_of(actor)
    if staff is None:
        return {"handoffs": [], "followups": [], "done_handoffs": [], "done_followups": []}
    week_ago = timezone.now() - datetime.timedelta(days=7)
    handoffs = Handoff.objects.filter(assigned_to=staff).select_related(
        "customer", "walk_in", "created_by", "walk_in__need_service"
    )
    followups = FollowUp.objects.filter(assigned_to=staff).select_related("customer", "created_by")
    return {
        "handoffs": list(handoffs.filter(status=Handoff.Status.OPEN).order_by("due_on", "id")),
        "followups": list(followups.filter(status=FollowUp.Status.OPEN).order_by("due_at", "id")),
        "done_handoffs": list(
            handoffs.exclude(status=Handoff.Status.OPEN)
            .filter(done_at__gte=week_ago)
            .order_by("-done_at")
        ),
        "done_followups": list(
            followups.exclude(status=FollowUp.Status.OPEN)
            .filter(done_at__gte=week_ago)
            .order_by("-done_at")
        ),
    }


def branch_staff(branch_id: int) -> QuerySet:
    return Staff.objects.filter(unit_id=branch_id, user__is_active=True).order_by("name")


def greetings_on(day: datetime.date) -> list[tuple[str, int]]:
    """Greetings sent on the day: (occasion in the current language, number sent)."""
    rows = (
        Greeting.objects.filter(day=day, status=Greeting.Status.SENT)
        .values_list("occasion", "occasion_zh")
        .annotate(n=Count("id"))
        .order_by("occasion")
    )
    return [
        (Greeting(occasion=occasion, occasion_zh=occasion_zh).occasion_label, n)
        for occasion, occasion_zh, n in rows
    ]


# --- customers known -------------------------------------------------------------------------


@dataclass
class KnownRow:
    staff: Staff
    known: int = 0
    offers: int = 0
    succeeded: int = 0

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.offers if self.offers else None


def customers_known_report(
    branch_id: int | None, day_from: datetime.date, day_to: datetime.date
) -> list[KnownRow]:
    """Per member of staff of the branch (None: every branch), over the days given:
    - known: distinct customers they recorded recognising;
    - offers: distinct customer × product pairs they offered (an OfferEvent "offered" with them
      as staff) or sold (a "bought" with them as staff: a sale is an offer that succeeded);
    - succeeded: of those pairs, the ones bought — sold by them, or bought (by anyone, through
      any channel) at or after their offer.
    Ordered by customers known, then offers succeeded."""
    from servicefirst.insights.models import OfferEvent

    start, end = _local_day_range(day_from, day_to)
    members = Staff.objects.filter(user__is_active=True).select_related("unit")
    if branch_id is not None:
        members = members.filter(unit_id=branch_id)
    else:
        members = members.filter(unit__kind=Unit.Kind.BRANCH)
    rows = {m.pk: KnownRow(staff=m) for m in members}

    recognitions = Recognition.objects.filter(staff_id__in=rows, day__gte=day_from, day__lte=day_to)
    for staff_id, n in recognitions.values_list("staff_id").annotate(
        n=Count("customer_id", distinct=True)
    ):
        rows[staff_id].known = n

    in_range = OfferEvent.objects.filter(
        staff_id__in=rows, occurred_at__gte=start, occurred_at__lt=end
    )
    bought_after = OfferEvent.objects.filter(
        customer_id=OuterRef("customer_id"),
        product_id=OuterRef("product_id"),
        stage=OfferEvent.Stage.BOUGHT,
        occurred_at__gte=OuterRef("occurred_at"),
    )
    offered: dict[int, set] = defaultdict(set)
    succeeded: dict[int, set] = defaultdict(set)
    for staff_id, customer_id, product_id, sold in (
        in_range.filter(stage=OfferEvent.Stage.OFFERED)
        .annotate(sold=Exists(bought_after))
        .values_list("staff_id", "customer_id", "product_id", "sold")
    ):
        offered[staff_id].add((customer_id, product_id))
        if sold:
            succeeded[staff_id].add((customer_id, product_id))
    for staff_id, customer_id, product_id in in_range.filter(
        stage=OfferEvent.Stage.BOUGHT
    ).values_list("staff_id", "customer_id", "product_id"):
        offered[staff_id].add((customer_id, product_id))
        succeeded[staff_id].add((customer_id, product_id))
    for staff_id, pairs in offered.items():
        rows[staff_id].offers = len(pairs)
        rows[staff_id].succeeded = len(succeeded[staff_id])
    return sorted(rows.values(), key=lambda r: (-r.known, -r.succeeded, -r.offers, r.staff.name))


# --- advertising effect ----------------------------------------------------------------------


def week_of(day: datetime.date) -> datetime.date:
    """The Monday that starts the day's week."""
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class EffectTotals:
    walk_ins: int = 0
    prospects: int = 0
    new_customers: int = 0

    @property
    def conversion(self) -> float | None:
        return self.new_customers / self.prospects if self.prospects else None


@dataclass
class AdvertisingEffect:
    weeks: list[datetime.date]
    # channel code → week → totals; campaign name → week → totals
    by_channel: dict[str, dict[datetime.date, EffectTotals]] = field(default_factory=dict)
    by_campaign: dict[str, dict[datetime.date, EffectTotals]] = field(default_factory=dict)
    channel_totals: dict[str, EffectTotals] = field(default_factory=dict)
    campaign_totals: dict[str, EffectTotals] = field(default_factory=dict)
    total: EffectTotals = field(default_factory=EffectTotals)


NO_CAMPAIGN = ""


def advertising_effect(
    branch_id: int | None, day_from: datetime.date, day_to: datetime.date
) -> AdvertisingEffect:
    """Walk-ins, prospects and new customers per channel that brought them in and per campaign,
    per week (weeks start on Monday). A prospect is a walk-in registered as a new potential
    customer; a new customer is such a prospect who has since become a current customer or
    opened a holding on or after the day they walked in."""
    walk_ins = WalkIn.objects.filter(day__gte=day_from, day__lte=day_to)
    if branch_id is not None:
        walk_ins = walk_ins.filter(branch_id=branch_id)
    holding_since = Holding.objects.filter(
        customer_id=OuterRef("customer_id"), opened_on__gte=OuterRef("day")
    )
    rows = walk_ins.annotate(opened=Exists(holding_since)).values_list(
        "day", "channel", "campaign_id", "created_prospect", "customer__lifecycle", "opened"
    )
    weeks = []
    week = week_of(day_from)
    while week <= day_to:
        weeks.append(week)
        week += datetime.timedelta(days=7)
    campaigns = dict(Campaign.objects.values_list("pk", "name"))
    effect = AdvertisingEffect(weeks=weeks)
    channels = list(WalkIn.Channel.values)

    def cell(table: dict, key: str, wk: datetime.date) -> EffectTotals:
        series = table.setdefault(key, {w: EffectTotals() for w in weeks})
        return series[wk]

    for day, channel, campaign_id, prospect, lifecycle, opened in rows:
        wk = week_of(day)
        converted = prospect and (lifecycle == Customer.Lifecycle.CURRENT or opened)
        campaign = campaigns.get(campaign_id, NO_CAMPAIGN) if campaign_id else NO_CAMPAIGN
        targets = [
            cell(effect.by_channel, channel, wk),
            cell(effect.by_campaign, campaign, wk),
            effect.channel_totals.setdefault(channel, EffectTotals()),
            effect.campaign_totals.setdefault(campaign, EffectTotals()),
            effect.total,
        ]
        for t in targets:
            t.walk_ins += 1
            t.prospects += int(prospect)
            t.new_customers += int(bool(converted))
    effect.by_channel = {c: effect.by_channel[c] for c in channels if c in effect.by_channel}
    effect.channel_totals = {
        c: effect.channel_totals[c] for c in channels if c in effect.channel_totals
    }
    return effect
