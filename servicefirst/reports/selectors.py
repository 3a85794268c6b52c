"""The branch report: per branch and day, tickets, waits (mean, 90th percentile, share within
the branch's commitment), service times per service, no-shows, VIP waits, care prompts done,
walk-ins and hand-offs.

Set-wise: one query fetches the range's tickets as plain values, and the figures are computed
in Python from them (percentiles need the values anyway; a branch has a few hundred tickets a
day); prompts and lobby figures come from one grouped query each.

What counts:
- tickets: arrivals — tickets issued, not counting the new ticket a transfer continues on;
- waits: every ticket that was called (served, no-show or transferred), from issue to call;
  tickets never called (cancelled, or still waiting) have no wait yet;
- served: tickets finished at a counter; service time: from call to finish;
- VIP: tickets of customers in a tier the branch gives priority to, or given VIP priority.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import (
    Action,
    allows_unit,
    branches_for,
    staff_of,
)
from servicefirst.care.selectors import daily_counts as care_counts
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.floor.models import FloorSettings, Service, Ticket

MAX_DAYS = 366
DEFAULT_DAYS = 7


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile, interpolating between the closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class Figures:
    """The figures of one day (or of the whole range when `day` is None)."""

    day: datetime.date | None
    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    vip_tickets: int = 0
    vip_waits: list[float] = field(default_factory=list, repr=False)
    prompts_raised: int = 0
    prompts_done: int = 0
    walk_ins: int = 0
    prospects: int = 0
    handoffs: int = 0
    commitment_s: float = 0

    @property
    def mean_wait_s(self) -> float | None:
        return mean(self.waits)

    @property
    def p90_wait_s(self) -> float | None:
        return percentile(self.waits, 90)

    @property
    def within_commitment(self) -> float | None:
        """Share of waits within the commitment (0–1)."""
        if not self.waits:
            return None
        return sum(1 for w in self.waits if w <= self.commitment_s) / len(self.waits)

    @property
    def vip_mean_wait_s(self) -> float | None:
        return mean(self.vip_waits)


@dataclass
class ServiceFigures:
    service: Service
    tickets: int = 0
    served: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    service_times: list[float] = field(default_factory=list, repr=False)

    @property
    def mean_wait_s(self) -> float | None:
        return mean(self.waits)

    @property
    def mean_service_s(self) -> float | None:
        return mean(self.service_times)

    @property
    def p90_service_s(self) -> float | None:
        return percentile(self.service_times, 90)


@dataclass
class BranchReport:
    branch: Unit
    day_from: datetime.date
    day_to: datetime.date
    commitment_minutes: int
    days: list[Figures]
    total: Figures
    services: list[ServiceFigures]
    lobby: bool  # whether walk-ins and hand-offs are available


def report_branches(actor) -> list[Unit]:
    """The branches the actor may report on: every branch, or their own."""
    return branches_for(actor, Action.FLOOR_REPORT)


def report_params(actor, params) -> tuple[Unit, datetime.date, datetime.date]:
    """Branch and date range from a query (defaults: the actor's branch, the last 7 days)."""
    branches = report_branches(actor)
    if not branches:
        raise NotFound(_("No branch to report on."))
    errors: dict[str, list[str]] = {}
    staff = staff_of(actor)
    wanted = params.get("branch") or (staff.unit_id if staff else "")
    branch = next((b for b in branches if str(b.pk) == str(wanted)), None)
    if branch is None:
        if params.get("branch"):
            errors["branch"] = [_("Choose one of the listed branches.")]
        branch = branches[0]
    today = timezone.localdate()
    days = {}
    for key, default in (("to", today), ("from", None)):
        raw = (params.get(key) or "").strip()
        if not raw:
            days[key] = default
            continue
        try:
            days[key] = datetime.date.fromisoformat(raw)
        except ValueError:
            errors[key] = [_("Enter a date as YYYY-MM-DD.")]
            days[key] = default
    day_to = days["to"] or today
    day_from = days["from"] or day_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if not errors:
        if day_from > day_to:
            errors["from"] = [_("The first day must not be after the last.")]
        elif (day_to - day_from).days >= MAX_DAYS:
            errors["from"] = [_("Choose at most %(days)s days.") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    return branch, day_from, day_to


def _lobby_counts(branch_id, day_from, day_to):
    try:
        from servicefirst.lobby.selectors import daily_counts
    except ImportError:  # the lobby app not installed: the report leaves its columns out
        return None
    return daily_counts(branch_id, day_from, day_to)


def _vip_tiers(settings: FloorSettings) -> set[str]:
    return {tier for tier, points in (settings.vip_priority or {}).items() if points}


def branch_report(
    *, actor, branch_id: int, day_from: datetime.date, day_to: datetime.date
) -> BranchReport:
    """The figures per day of the range, the totals, and the figures per service."""
    branch = Unit.objects.filter(pk=branch_id, kind=Unit.Kind.BRANCH).first()
    if branch is None or not allows_unit(actor, Action.FLOOR_REPORT, branch.pk):
        raise NotFound(_("No such branch."))
    settings = FloorSettings.objects.filter(branch=branch).first() or FloorSettings(branch=branch)
    commitment_s = settings.commitment_minutes * 60
    vip_tiers = _vip_tiers(settings)
    days: dict[datetime.date, Figures] = {}
    day = day_from
    while day <= day_to:
        days[day] = Figures(day=day, commitment_s=commitment_s)
        day += datetime.timedelta(days=1)
    total = Figures(day=None, commitment_s=commitment_s)
    per_service: dict[int, ServiceFigures] = {}
    services = {s.pk: s for s in Service.objects.all()}
    rows = (
        Ticket.objects.filter(branch=branch, day__gte=day_from, day__lte=day_to)
        .order_by()
        .values_list(
            "day",
            "service_id",
            "status",
            "issued_at",
            "called_at",
            "finished_at",
            "priority_reason",
            "customer__value_tier",
            "transferred_from_id",
        )
    )
    S = Ticket.Status
    for day, service_id, status, issued, called, finished, reason, tier, parent in rows:
        figures = days[day]
        svc = per_service.get(service_id)
        if svc is None:
            svc = per_service[service_id] = ServiceFigures(service=services[service_id])
        vip = reason == Ticket.Reason.VIP or (tier is not None and tier in vip_tiers)
        svc.tickets += 1
        for f in (figures, total):
            if parent is None:
                f.tickets += 1
                if vip:
                    f.vip_tickets += 1
            if status == S.DONE:
                f.served += 1
            elif status == S.NO_SHOW:
                f.no_shows += 1
        if called is not None:
            wait = max((called - issued).total_seconds(), 0.0)
            svc.waits.append(wait)
            for f in (figures, total):
                f.waits.append(wait)
                if vip:
                    f.vip_waits.append(wait)
        if status == S.DONE:
            svc.served += 1
            if called is not None and finished is not None:
                svc.service_times.append(max((finished - called).total_seconds(), 0.0))
    for day, counts in care_counts(branch.pk, day_from, day_to).items():
        if day in days:
            days[day].prompts_raised = counts["raised"]
            days[day].prompts_done = counts["done"]
            total.prompts_raised += counts["raised"]
            total.prompts_done += counts["done"]
    lobby = _lobby_counts(branch.pk, day_from, day_to)
    for day, counts in (lobby or {}).items():
        if day in days:
            for key in ("walk_ins", "prospects", "handoffs"):
                setattr(days[day], key, counts.get(key, 0))
                setattr(total, key, getattr(total, key) + counts.get(key, 0))
    ordered_services = sorted(
        per_service.values(), key=lambda s: (s.service.sort_order, s.service.code)
    )
    return BranchReport(
        branch=branch,
        day_from=day_from,
        day_to=day_to,
        commitment_minutes=settings.commitment_minutes,
        days=list(days.values()),
        total=total,
        services=ordered_services,
        lobby=lobby is not None,
    )
