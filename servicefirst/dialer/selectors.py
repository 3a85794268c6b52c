"""Reads of the contact centre's campaigns: which campaigns an actor sees, a campaign's progress
(list size, penetration, statuses, dispositions, attempts, contact rate), the abandonment rates
the pacing and the boards watch, the call list (masked) and the do-not-call list."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Role, Staff
from servicefirst.accounts.permissions import Action, Scope, role_scope, scope_for, staff_of
from servicefirst.core.errors import NotFound
from servicefirst.customers.fields import mask_name, mask_phone, try_phone
from servicefirst.dialer import compliance
from servicefirst.dialer.campaigns import may_manage
from servicefirst.dialer.models import Call, CallListEntry, Campaign, Disposition, DoNotCall

Outcome = compliance.Outcome
DAY = datetime.timedelta(hours=24)
MONTH = datetime.timedelta(days=30)


def can_see_campaigns(actor) -> bool:
    return any(
        scope_for(actor, a) > Scope.NONE
        for a in (Action.CAMPAIGN_MANAGE, Action.CONTACT_SUPERVISE, Action.CALL_WORK)
    )


def visible_campaigns(actor) -> QuerySet[Campaign]:
    """Campaigns the actor may see: all of them for a bank-wide manager or supervisor, those
    of their unit for a unit-scoped one, those they are an agent of for an agent."""
    staff = staff_of(actor)
    if staff is None:
        return Campaign.objects.none()
    wide = max(scope_for(actor, Action.CAMPAIGN_MANAGE), scope_for(actor, Action.CONTACT_SUPERVISE))
    if wide == Scope.ALL:
        return Campaign.objects.all()
    q = Q(pk__in=[])
    if wide > Scope.NONE:
        q |= Q(unit_id=staff.unit_id)
    if scope_for(actor, Action.CALL_WORK) > Scope.NONE:
        q |= Q(agents=staff)
    return Campaign.objects.filter(q).distinct()


def campaign_get(*, actor, campaign_id) -> Campaign:
    """The campaign, if the actor may see it; NotFound for both missing and not visible."""
    campaign = (
        visible_campaigns(actor)
        .filter(pk=int(campaign_id))
        .select_related("crm", "product", "unit")
        .first()
        if str(campaign_id).isdigit()
        else None
    )
    if campaign is None:
        raise NotFound(_("No such campaign."))
    return campaign


def call_work_staff() -> QuerySet[Staff]:
    """Members of staff who may be a campaign's agents (their roles work calls)."""
    roles = [r for r in Role.values if role_scope(r, Action.CALL_WORK) > Scope.NONE]
    return Staff.objects.filter(roles__role__in=roles).distinct().order_by("name", "pk")


# --- progress -------------------------------------------------------------------------------


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass
class Progress:
    total: int = 0  # on the list (removed entries not counted)
    attempted: int = 0  # called at least once
    attempts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_disposition: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, n
    due_now: int = 0
    calls: int = 0  # dialled
    live_answered: int = 0  # answered by a person

    @property
    def penetration(self) -> float:
        return _rate(self.attempted, self.total)

    @property
    def contact_rate(self) -> float:
        return _rate(self.live_answered, self.calls)

    @property
    def open(self) -> int:
        return sum(self.by_status.get(s, 0) for s in CallListEntry.OPEN)

    def status_rows(self) -> list[tuple[str, str, int]]:
        return [
            (value, str(label), self.by_status.get(value, 0))
            for value, label in CallListEntry.Status.choices
        ]


def campaign_progress(campaign: Campaign, now=None) -> Progress:
    """A campaign's progress in four aggregate queries."""
    now = now or timezone.now()
    progress = Progress()
    rows = (
        CallListEntry.objects.filter(campaign=campaign)
        .order_by()
        .values("status")
        .annotate(
            n=Count("pk"),
            attempted=Count("pk", filter=Q(attempts__gt=0)),
            attempts=Sum("attempts"),
        )
    )
    for row in rows:
        progress.by_status[row["status"]] = row["n"]
        progress.attempts += row["attempts"] or 0
        if row["status"] != CallListEntry.Status.REMOVED:
            progress.total += row["n"]
            progress.attempted += row["attempted"]
    labels = {d.pk: d for d in Disposition.objects.filter(campaign=campaign)}
    for row in (
        CallListEntry.objects.filter(campaign=campaign, disposition__isnull=False)
        .order_by()
        .values("disposition_id")
        .annotate(n=Count("pk"))
    ):
        d = labels.get(row["disposition_id"])
        if d is not None:
            progress.by_disposition.append((d.code, d.label, row["n"]))
    position = {d.code: i for i, d in enumerate(labels.values())}
    progress.by_disposition.sort(key=lambda r: position.get(r[0], 0))
    progress.due_now = (
        CallListEntry.objects.filter(campaign=campaign, status__in=CallListEntry.OPEN)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .count()
    )
    calls = Call.objects.filter(
        campaign=campaign, direction=Call.Direction.OUTBOUND, dialed_at__isnull=False
    ).aggregate(
        calls=Count("pk"),
        live=Count("pk", filter=Q(answered_at__isnull=False) & ~Q(outcome=Outcome.MACHINE)),
    )
    progress.calls, progress.live_answered = calls["calls"], calls["live"]
    return progress


def progress_many(campaign_ids) -> dict[int, Progress]:
    """List size and penetration of several campaigns in one query (for the campaign list)."""
    out = {pk: Progress() for pk in campaign_ids}
    rows = (
        CallListEntry.objects.filter(campaign_id__in=list(out))
        .exclude(status=CallListEntry.Status.REMOVED)
        .order_by()
        .values("campaign_id")
        .annotate(
            n=Count("pk"),
            attempted=Count("pk", filter=Q(attempts__gt=0)),
            open=Count("pk", filter=Q(status__in=CallListEntry.OPEN)),
        )
    )
    for row in rows:
        p = out[row["campaign_id"]]
        p.total, p.attempted = row["n"], row["attempted"]
        p.by_status = {CallListEntry.Status.PENDING: row["open"]}
    return out


# --- abandonment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    abandoned: int
    live_answered: int

    @property
    def rate(self) -> float:
        return _rate(self.abandoned, self.live_answered)


def _abandon_aggregates(now) -> dict:
    month, day = now - MONTH, now - DAY
    live = Q(answered_at__isnull=False) & ~Q(outcome=Outcome.MACHINE)
    abandoned = Q(outcome=Outcome.ABANDONED)
    return {
        "ab30": Count("pk", filter=abandoned),
        "live30": Count("pk", filter=live),
        "ab24": Count("pk", filter=abandoned & Q(answered_at__gt=day)),
        "live24": Count("pk", filter=live & Q(answered_at__gt=day)),
        "_month": month,
    }


def _rates(row: dict) -> dict[str, tuple[int, int, float]]:
    return {
        "24h": (row["ab24"], row["live24"], _rate(row["ab24"], row["live24"])),
        "30d": (row["ab30"], row["live30"], _rate(row["ab30"], row["live30"])),
    }


def abandon_rates(campaign, now=None) -> dict[str, tuple[int, int, float]]:
    """The campaign's abandoned-call rate over the rolling 24 hours (Ofcom) and 30 days (FCC):
    {"24h": (abandoned, live answered, rate), "30d": (...)}, rate = abandoned / live answered
    (0.0 with no live answer). Live answered = answered (answered_at set) and not by a machine.
    One aggregate query on the (campaign, answered_at) index."""
    now = now or timezone.now()
    campaign_id = getattr(campaign, "pk", campaign)
    aggregates = _abandon_aggregates(now)
    month = aggregates.pop("_month")
    row = Call.objects.filter(
        campaign_id=campaign_id, answered_at__gt=month, answered_at__lte=now
    ).aggregate(**aggregates)
    return _rates(row)


def abandon_rates_many(campaign_ids, now=None) -> dict[int, dict[str, tuple[int, int, float]]]:
    """`abandon_rates` of several campaigns in one grouped query."""
    now = now or timezone.now()
    ids = list(campaign_ids)
    zero = {"ab24": 0, "live24": 0, "ab30": 0, "live30": 0}
    out = {pk: _rates(zero) for pk in ids}
    aggregates = _abandon_aggregates(now)
    month = aggregates.pop("_month")
    rows = (
        Call.objects.filter(campaign_id__in=ids, answered_at__gt=month, answered_at__lte=now)
        .order_by()
        .values("campaign_id")
        .annotate(**aggregates)
    )
    for row in rows:
        out[row["campaign_id"]] = _rates(row)
    return out


def over_cap(rates: dict, cap: Decimal | float) -> bool:
    return any(rate > float(cap) for _a, _l, rate in rates.values())


# --- callbacks ------------------------------------------------------------------------------


def callbacks_due_for(staff: Staff, now=None) -> list:
    """The callbacks an agent should make now (assigned to them or to anyone on their
    campaigns), earliest first."""
    from servicefirst.dialer.callbacks import callbacks_for_agent

    return list(callbacks_for_agent(staff, now))


# --- the call list --------------------------------------------------------------------------


@dataclass
class ListPage:
    rows: list[dict]
    total: int
    page: int
    pages: int
    status: str


def call_list_page(
    campaign: Campaign, *, status: str = "", page: int = 1, per_page: int = 50
) -> ListPage:
    """One page of the call list, personal data masked (name, phone)."""
    entries = CallListEntry.objects.filter(campaign=campaign)
    if status in CallListEntry.Status.values:
        entries = entries.filter(status=status)
    else:
        status = ""
        entries = entries.exclude(status=CallListEntry.Status.REMOVED)
    total = entries.count()
    now = timezone.now()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    chosen = list(
        entries.select_related("customer", "disposition").order_by("-priority", "id")[
            (page - 1) * per_page : page * per_page
        ]
    )
    rows = [
        {
            "id": e.pk,
            "customer_id": e.customer_id,
            "number": e.customer.number,
            "name": mask_name(e.customer.name_zh or e.customer.name_latin),
            "phone": mask_phone(e.phone),
            "status": e.status,
            "status_label": e.get_status_display(),
            "attempts": e.attempts,
            "next_attempt_at": e.next_attempt_at,
            "due_now": e.status in CallListEntry.OPEN
            and (e.next_attempt_at is None or e.next_attempt_at <= now),
            "last_outcome": dict(Call.OUTCOME_CHOICES).get(e.last_outcome, e.last_outcome),
            "last_call_at": e.last_call_at,
            "disposition": e.disposition.label if e.disposition_id else "",
            "source": e.get_source_display(),
            "removable": e.status != CallListEntry.Status.REMOVED
            and e.status != CallListEntry.Status.IN_PROGRESS,
        }
        for e in chosen
    ]
    return ListPage(rows=rows, total=total, page=page, pages=pages, status=status)


# --- the do-not-call list -------------------------------------------------------------------


def can_see_dnc(actor) -> bool:
    return may_manage(actor) or scope_for(actor, Action.CONTACT_SUPERVISE) > Scope.NONE


def dnc_entries(*, query: str = "", include_ended: bool = False, limit: int = 100, now=None):
    """The do-not-call list, newest first: active entries (or all), optionally for one number
    (any format) or a customer number."""
    now = now or timezone.now()
    rows = DoNotCall.objects.select_related("customer", "added_by")
    if not include_ended:
        rows = rows.filter(Q(until__isnull=True) | Q(until__gt=now))
    query = (query or "").strip()
    if query:
        e164 = try_phone(query)
        rows = rows.filter(phone=e164) if e164 else rows.filter(customer__number=query.upper())
    out = []
    for d in rows[:limit]:
        d.masked_phone = mask_phone(d.phone)
        d.active = d.is_active(now)
        d.customer_label = (
            f"{mask_name(d.customer.name_zh or d.customer.name_latin)} ({d.customer.number})"
            if d.customer_id
            else ""
        )
        out.append(d)
    return out
