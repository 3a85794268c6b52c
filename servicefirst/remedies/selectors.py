"""Reads for the remedy pages: the queue of a unit, one remedy case, the gifts a unit can give
with its stock and budget, the gifts waiting for approval, and the remedy report."""

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.commitments.models import Case, Commitment
from servicefirst.core.errors import NotFound
from servicefirst.customers.fields import mask_name
from servicefirst.remedies.models import (
    Channel,
    Gift,
    GiftBudget,
    GiftGrant,
    GiftStock,
    ReasonKind,
    RemedyCase,
)
from servicefirst.remedies.services import (
    customer_language,
    first_of_month,
    may_act,
    month_budget,
    month_spending,
    render_apology,
)


def units_for(actor, action: str) -> list[Unit]:
    """The first-line units (branches, the care centre) where the actor may do `action`."""
    staff = staff_of(actor)
    scope = scope_for(actor, action)
    if staff is None or scope == Scope.NONE:
        return []
    if scope == Scope.ALL:
        return list(
            Unit.objects.filter(
                bank_id=staff.unit.bank_id, kind__in=(Unit.Kind.BRANCH, Unit.Kind.CARE_CENTER)
            ).order_by("kind", "code")
        )
    return [staff.unit]


def chosen_unit(actor, action: str, unit_id=None) -> Unit | None:
    """The unit asked for (if the actor may act there), else the actor's own unit, else the
    first they may act for."""
    units = units_for(actor, action)
    if unit_id and str(unit_id).isdigit():
        for unit in units:
            if unit.pk == int(unit_id):
                return unit
    staff = staff_of(actor)
    for unit in units:
        if staff is not None and unit.pk == staff.unit_id:
            return unit
    return units[0] if units else None


def late_by(case: Case, now=None) -> datetime.timedelta | None:
    """How far past its due time the case was when it stopped (or is now)."""
    if case.due_at is None:
        return None
    end = case.stopped_at or now or timezone.now()
    return max(datetime.timedelta(0), end - case.due_at)


def humanise(delta: datetime.timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(d)d days") % {"d": hours // 24}


@dataclass
class QueueRow:
    remedy: RemedyCase
    statement: str
    late: str
    customer: str


def remedy_queue(actor, unit: Unit | None, *, include_closed: bool = False) -> list[QueueRow]:
    """The unit's open remedy cases, oldest breach first, customers masked."""
    if unit is None or not may_act(actor, Action.REMEDY_WORK, unit.pk):
        return []
    rows = RemedyCase.objects.filter(unit=unit).select_related(
        "case__version", "case__commitment", "customer", "grant"
    )
    if not include_closed:
        rows = rows.exclude(status=RemedyCase.Status.CLOSED)
    now = timezone.now()
    return [
        QueueRow(
            remedy=r,
            statement=r.case.version.statement,
            late=humanise(late_by(r.case, now)),
            customer=f"{mask_name(r.customer.display_name)} · {r.customer.number}",
        )
        for r in rows.order_by("breached_at", "id")[:500]
    ]


def remedy_get(*, actor, remedy_id) -> RemedyCase:
    remedy = (
        RemedyCase.objects.select_related(
            "case__version", "case__commitment", "customer", "unit", "handled_by"
        )
        .filter(pk=remedy_id)
        .first()
        if str(remedy_id).isdigit()
        else None
    )
    if remedy is None or not may_act(actor, Action.REMEDY_WORK, remedy.unit_id):
        raise NotFound(_("No such remedy case."))
    return remedy


@dataclass
class Preview:
    channel: str
    label: str
    language: str
    subject: str
    text: str
    error: str = ""


def apology_previews(remedy: RemedyCase) -> list[Preview]:
    """The apology on every channel, rendered in the customer's language."""
    out = []
    for channel in Channel:
        try:
            language, subject, text = render_apology(remedy, channel.value)
        except Exception as exc:  # noqa: BLE001 - a missing template shows as a note
            out.append(Preview(channel.value, channel.label, "", "", "", str(exc)))
            continue
        out.append(Preview(channel.value, channel.label, language, subject, text))
    return out


@dataclass
class GiftChoice:
    gift: Gift
    in_stock: int
    needs_approval: bool


@dataclass
class BudgetStatus:
    unit: Unit
    month: datetime.date
    budget: Decimal
    spent: Decimal
    pending: Decimal

    @property
    def left(self) -> Decimal:
        return self.budget - self.spent


def budget_status(unit: Unit, day: datetime.date | None = None) -> BudgetStatus:
    month = first_of_month(day or timezone.localdate())
    spent, pending = month_spending(unit.pk, month)
    return BudgetStatus(unit, month, month_budget(unit.pk, month), spent, pending)


def gift_choices(unit: Unit, budget: BudgetStatus) -> list[GiftChoice]:
    stock = dict(GiftStock.objects.filter(unit=unit).values_list("gift_id", "quantity"))
    return [
        GiftChoice(g, stock.get(g.pk, 0), budget.spent + g.unit_cost > budget.budget)
        for g in Gift.objects.filter(is_active=True).order_by("unit_cost", "code")
    ]


def pending_grants(actor) -> list[GiftGrant]:
    """Gifts over budget waiting for a decision, in the units the actor may approve for."""
    units = [u.pk for u in units_for(actor, Action.REMEDY_APPROVE)]
    return list(
        GiftGrant.objects.filter(approval_status=GiftGrant.Approval.PENDING, unit_id__in=units)
        .select_related("gift", "unit", "given_by", "remedy__case__version", "remedy__customer")
        .order_by("given_at")
    )


@dataclass
class StockRow:
    gift: Gift
    quantity: int


def stock_rows(unit: Unit) -> list[StockRow]:
    stock = dict(GiftStock.objects.filter(unit=unit).values_list("gift_id", "quantity"))
    return [StockRow(g, stock.get(g.pk, 0)) for g in Gift.objects.filter(is_active=True)]


def budgets(unit: Unit, months: int = 6) -> list[BudgetStatus]:
    today = timezone.localdate()
    out = []
    month = first_of_month(today)
    for _i in range(months):
        out.append(budget_status(unit, month))
        month = first_of_month(month - datetime.timedelta(days=1))
    return out


# --- the report ------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass
class UnitLine:
    unit: Unit
    breaches: int = 0
    remedies: int = 0
    apologised: int = 0
    gifts: int = 0
    cost: Decimal = Decimal(0)
    budget: Decimal = Decimal(0)
    median_h: float | None = None
    p90_h: float | None = None


@dataclass
class ReasonLine:
    kind: str
    label: str
    remedies: int = 0
    gifts: int = 0
    cost: Decimal = Decimal(0)


@dataclass
class RemedyReport:
    start: datetime.date
    end: datetime.date
    units: list[UnitLine] = field(default_factory=list)
    reasons: list[ReasonLine] = field(default_factory=list)
    total: UnitLine | None = None


def _hours(values: list[datetime.timedelta]) -> tuple[float | None, float | None]:
    hours = sorted(v.total_seconds() / 3600 for v in values)
    return (statistics.median(hours) if hours else None, _percentile(hours, 90))


def remedy_report(actor, start: datetime.date, end: datetime.date) -> RemedyReport:
    """Breaches of commitments to customers in [start, end] (local days) per unit the actor
    may see: how many got a remedy and an apology, how fast (median and 90th percentile hours
    from the breach to the apology), the gifts' cost against the budget, and by kind of reason."""
    units = {u.pk: u for u in units_for(actor, Action.REMEDY_WORK)}
    report = RemedyReport(start=start, end=end)
    if not units:
        return report
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tz)
    lines = {pk: UnitLine(unit) for pk, unit in units.items()}
    breaches = (
        Case.objects.filter(
            state=Case.State.BREACHED,
            customer_id__isnull=False,
            commitment__beneficiary=Commitment.Beneficiary.CUSTOMERS,
            breached_at__gte=since,
            breached_at__lt=until,
            unit_id__in=list(units),
        )
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    for row in breaches:
        lines[row["unit_id"]].breaches = row["n"]
    remedies = RemedyCase.objects.filter(
        unit_id__in=list(units), breached_at__gte=since, breached_at__lt=until
    )
    delays: dict[int, list[datetime.timedelta]] = {pk: [] for pk in units}
    for unit_id, breached, apologised in remedies.values_list(
        "unit_id", "breached_at", "apologised_at"
    ):
        line = lines[unit_id]
        line.remedies += 1
        if apologised is not None:
            line.apologised += 1
            delays[unit_id].append(max(datetime.timedelta(0), apologised - breached))
    for pk, values in delays.items():
        lines[pk].median_h, lines[pk].p90_h = _hours(values)
    grants = GiftGrant.objects.filter(
        remedy__in=remedies, approval_status__in=GiftGrant.SPENT
    ).values("unit_id", "remedy__reason_kind")
    for row in grants.annotate(n=Count("id"), cost=Sum("cost")):
        if row["unit_id"] in lines:
            lines[row["unit_id"]].gifts += row["n"]
            lines[row["unit_id"]].cost += row["cost"] or 0
    month_from = first_of_month(start)
    for row in (
        GiftBudget.objects.filter(unit_id__in=list(units), month__gte=month_from, month__lte=end)
        .values("unit_id")
        .annotate(total=Sum("amount"))
    ):
        lines[row["unit_id"]].budget = row["total"] or Decimal(0)
    report.units = [
        line for line in lines.values() if line.breaches or line.remedies or line.budget
    ]
    total = UnitLine(unit=None)  # type: ignore[arg-type]
    for line in report.units:
        total.breaches += line.breaches
        total.remedies += line.remedies
        total.apologised += line.apologised
        total.gifts += line.gifts
        total.cost += line.cost
        total.budget += line.budget
    total.median_h, total.p90_h = _hours([d for values in delays.values() for d in values])
    report.total = total
    kinds = [("", _("Not yet recorded"))] + [(k.value, k.label) for k in ReasonKind]
    by_kind = {k: ReasonLine(k, str(label)) for k, label in kinds}
    for row in remedies.values("reason_kind").annotate(n=Count("id")):
        by_kind[row["reason_kind"]].remedies = row["n"]
    for row in (
        GiftGrant.objects.filter(remedy__in=remedies, approval_status__in=GiftGrant.SPENT)
        .values("remedy__reason_kind")
        .annotate(n=Count("id"), cost=Sum("cost"))
    ):
        line = by_kind[row["remedy__reason_kind"]]
        line.gifts, line.cost = row["n"], row["cost"] or Decimal(0)
    report.reasons = [line for line in by_kind.values() if line.remedies]
    return report


def customer_masked(remedy: RemedyCase) -> str:
    return f"{mask_name(remedy.customer.display_name)} · {remedy.customer.number}"


def language_of(remedy: RemedyCase) -> str:
    return customer_language(remedy.customer)
