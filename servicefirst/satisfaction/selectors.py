"""Reads of the satisfaction app: the public page's invitation, the scorecards and the Customer
Care Center dashboard.

Scorecard figures, for a unit (with the units below it) or a member of staff, over a period of
local days [day_from, day_to]:
- sales through service: offers made (next-best-offer "offered" steps recorded by them), offers
  accepted (of those customer × product pairs, the ones bought at or after the offer, through
  any channel, or sold by them directly: a "bought" step they recorded), and dialer sales
  (calls they closed with a disposition of kind "sale");
- requests resolved: `request.resolved` service events of the unit / by the member of staff;
- commitments met: for a unit, the engine's `AttainmentDay` totals (met / closed cases); for a
  member of staff, their closed cases (met, or missed);
- satisfaction, of the touchpoints in the period: invitations, responses, response rate, CSAT
  (the mean of 1–5) and NPS (% promoters 9–10 minus % detractors 0–6, of those who answered
  the question).
Who sees what: SATISFACTION_VIEW with scope ALL sees every unit of the bank; UNIT sees their own
unit and its staff; anything else is NotFound.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.accounts.selectors import unit_parents, units_below
from servicefirst.commitments.models import AttainmentDay, Case, ServiceEvent
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.dialer.models import Call, Disposition
from servicefirst.insights.models import OfferEvent
from servicefirst.satisfaction.models import SurveyInvitation, SurveyResponse

DEFAULT_DAYS = 28
MAX_DAYS = 400
GRAINS = ("week", "month")


# --- figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    invitations: int = 0
    responses: int = 0
    csat_sum: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0
    offers_made: int = 0
    offers_accepted: int = 0
    dialer_sales: int = 0
    requests_resolved: int = 0
    cases_met: int = 0
    cases_total: int = 0

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def csat(self) -> float | None:
        return round(self.csat_sum / self.responses, 2) if self.responses else None

    @property
    def nps(self) -> float | None:
        return nps_score(self.promoters, self.detractors, self.nps_answers)

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.responses / self.invitations, 1) if self.invitations else None

    @property
    def attainment(self) -> float | None:
        return round(100 * self.cases_met / self.cases_total, 1) if self.cases_total else None

    @property
    def sales(self) -> int:
        return self.offers_accepted + self.dialer_sales


def nps_score(promoters: int, detractors: int, answers: int) -> float | None:
    """Net promoter score: % promoters (9–10) minus % detractors (0–6), one decimal."""
    if not answers:
        return None
    return round(100 * (promoters - detractors) / answers, 1)


def _day_range(day_from: datetime.date, day_to: datetime.date):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        day_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def _as_date(value) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# Per source: (time field, unit field, staff field).
_FIELDS = {
    "invitation": ("occurred_at", "unit_id", "staff_id"),
    "offer": ("occurred_at", "unit_id", "staff_id"),
    "call": ("connected_at", "agent__unit_id", "agent_id"),
    "event": ("occurred_at", "unit_id", "staff_id"),
    "attainment": ("day", "unit_id", None),
    "case": ("closed_at", "unit_id", "staff_id"),
}


def _key(source: str, by: str):
    """The values() expression grouping a source's rows by unit, staff, week or month."""
    time_field, unit_field, staff_field = _FIELDS[source]
    if by == "unit":
        return unit_field
    if by == "staff":
        return staff_field
    trunc = TruncWeek if by == "week" else TruncMonth
    return trunc(time_field)


def _grouped(qs, source: str, by: str):
    """qs.values(k=<group>) — yields the queryset grouped under the name "k"."""
    key = _key(source, by)
    if isinstance(key, str):
        return qs.values(k=F(key))
    return qs.annotate(k=key).values("k")


def _norm(by: str, value):
    return _as_date(value) if by in GRAINS else value


def collect(
    *,
    by: str,
    day_from: datetime.date,
    day_to: datetime.date,
    unit_ids: list[int] | None = None,
    staff_ids: list[int] | None = None,
) -> dict:
    """Figures grouped `by` "unit", "staff", "week" or "month", for the given units and/or
    staff (None: no restriction). Commitments: AttainmentDay when grouped by unit or time for
    units, the staff's own cases when grouped by staff or restricted to staff."""
    start, end = _day_range(day_from, day_to)
    out: dict = defaultdict(Figures)

    def where(source: str) -> dict:
        time_field, unit_field, staff_field = _FIELDS[source]
        if source == "attainment":
            cond = {"day__gte": day_from, "day__lte": day_to}
        else:
            cond = {f"{time_field}__gte": start, f"{time_field}__lt": end}
        if unit_ids is not None:
            cond[f"{unit_field}__in"] = unit_ids
        if staff_ids is not None and staff_field:
            cond[f"{staff_field}__in"] = staff_ids
        return cond

    # satisfaction
    invitations = SurveyInvitation.objects.filter(**where("invitation"))
    for row in _grouped(invitations, "invitation", by).annotate(
        n=Count("id"),
        answered=Count("response"),
        csat_sum=Coalesce(Sum("response__csat"), 0),
        nps_n=Count("response__nps"),
        promoters=Count("response", filter=Q(response__nps__gte=9)),
        detractors=Count("response", filter=Q(response__nps__lte=6)),
    ):
        f = out[_norm(by, row["k"])]
        f.invitations += row["n"]
        f.responses += row["answered"]
        f.csat_sum += row["csat_sum"]
        f.nps_answers += row["nps_n"]
        f.promoters += row["promoters"]
        f.detractors += row["detractors"]

    # sales: offers made and accepted
    offers = OfferEvent.objects.filter(**where("offer"))
    bought_after = OfferEvent.objects.filter(
        customer_id=OuterRef("customer_id"),
        product_id=OuterRef("product_id"),
        stage=OfferEvent.Stage.BOUGHT,
        occurred_at__gte=OuterRef("occurred_at"),
    )
    made: dict = defaultdict(set)
    accepted: dict = defaultdict(set)
    for row in (
        _grouped(offers.filter(stage=OfferEvent.Stage.OFFERED), "offer", by)
        .annotate(sold=Exists(bought_after))
        .values_list("k", "customer_id", "product_id", "sold")
    ):
        key = _norm(by, row[0])
        made[key].add(row[1:3])
        if row[3]:
            accepted[key].add(row[1:3])
    for row in _grouped(offers.filter(stage=OfferEvent.Stage.BOUGHT), "offer", by).values_list(
        "k", "customer_id", "product_id"
    ):
        key = _norm(by, row[0])
        made[key].add(row[1:3])
        accepted[key].add(row[1:3])
    for key, pairs in made.items():
        out[key].offers_made += len(pairs)
        out[key].offers_accepted += len(accepted[key])

    # sales: dialer dispositions of kind "sale"
    calls = Call.objects.filter(disposition__kind=Disposition.Kind.SALE, **where("call"))
    for row in _grouped(calls, "call", by).annotate(n=Count("id")):
        out[_norm(by, row["k"])].dialer_sales += row["n"]

    # requests resolved
    resolved = ServiceEvent.objects.filter(kind="request.resolved", **where("event"))
    for row in _grouped(resolved, "event", by).annotate(n=Count("id")):
        out[_norm(by, row["k"])].requests_resolved += row["n"]

    # commitments met
    if by == "staff" or staff_ids is not None:
        cases = Case.objects.annotate(closed_at=Coalesce("stopped_at", "breached_at")).filter(
            state__in=(Case.State.MET, Case.State.BREACHED), **where("case")
        )
        for row in _grouped(cases, "case", by).annotate(
            n=Count("id"), met=Count("id", filter=Q(state=Case.State.MET))
        ):
            f = out[_norm(by, row["k"])]
            f.cases_total += row["n"]
            f.cases_met += row["met"]
    else:
        days = AttainmentDay.objects.filter(**where("attainment"))
        for row in _grouped(days, "attainment", by).annotate(
            n=Coalesce(Sum("total"), 0), met=Coalesce(Sum("met"), 0)
        ):
            f = out[_norm(by, row["k"])]
            f.cases_total += row["n"]
            f.cases_met += row["met"]
    out.pop(None, None)
    return dict(out)


# --- who may see what ----------------------------------------------------------------------


def _bank_units(bank_id: int) -> list[Unit]:
    return list(Unit.objects.filter(bank_id=bank_id).order_by("code"))


def visible_units(actor) -> list[Unit]:
    """The units whose scorecards the actor may read (ordered by code)."""
    staff = staff_of(actor)
    scope = scope_for(actor, Action.SATISFACTION_VIEW)
    if staff is None or scope == Scope.NONE:
        return []
    if scope == Scope.ALL:
        return _bank_units(staff.unit.bank_id)
    return [staff.unit]


def unit_get(*, actor, code: str) -> Unit:
    unit = next((u for u in visible_units(actor) if u.code == code), None)
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def staff_get(*, actor, staff_id) -> Staff:
    units = {u.pk for u in visible_units(actor)}
    member = Staff.objects.select_related("unit").filter(pk=staff_id).first()
    if member is None or member.unit_id not in units:
        raise NotFound(_("No such member of staff."))
    return member


# --- the period ----------------------------------------------------------------------------


@dataclass
class Period:
    day_from: datetime.date
    day_to: datetime.date
    grain: str = "week"

    def query(self) -> str:
        return f"from={self.day_from.isoformat()}&to={self.day_to.isoformat()}&grain={self.grain}"


def period_params(params) -> Period:
    """The period from a query (default: the last 28 days, by week). Raises ValidationFailed
    naming `from`, `to` or `grain`."""
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    days = {}
    for key in ("from", "to"):
        raw = (params.get(key) or "").strip()
        days[key] = None
        if raw:
            try:
                days[key] = datetime.date.fromisoformat(raw)
            except ValueError:
                errors[key] = [_("Enter a date as YYYY-MM-DD.")]
    day_to = days["to"] or today
    day_from = days["from"] or day_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
    grain = params.get("grain") or "week"
    if grain not in GRAINS:
        errors["grain"] = [_("Choose week or month.")]
    if not errors:
        if day_from > day_to:
            errors["from"] = [_("The first day must not be after the last.")]
        elif (day_to - day_from).days >= MAX_DAYS:
            errors["from"] = [_("Choose at most %(days)s days.") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    return Period(day_from, day_to, grain)


def buckets(period: Period) -> list[datetime.date]:
    """The first day of each week (Monday) or month the period touches."""
    out = []
    if period.grain == "week":
        day = period.day_from - datetime.timedelta(days=period.day_from.weekday())
        while day <= period.day_to:
            out.append(day)
            day += datetime.timedelta(days=7)
    else:
        day = period.day_from.replace(day=1)
        while day <= period.day_to:
            out.append(day)
            day = (day + datetime.timedelta(days=32)).replace(day=1)
    return out


# --- scorecards ----------------------------------------------------------------------------


@dataclass
class Row:
    unit: Unit | None
    figures: Figures
    staff: Staff | None = None


@dataclass
class Scorecard:
    period: Period
    total: Figures
    rows: list[Row]  # per unit (overview) or per member of staff (unit page)
    trend: list[tuple[datetime.date, Figures]]
    comments: list[SurveyResponse] = field(default_factory=list)
    unit: Unit | None = None
    staff: Staff | None = None


def _trend(period: Period, **restrict) -> list[tuple[datetime.date, Figures]]:
    by_bucket = collect(by=period.grain, day_from=period.day_from, day_to=period.day_to, **restrict)
    return [(b, by_bucket.get(b, Figures())) for b in buckets(period)]


def _comments(period: Period, **filters) -> list[SurveyResponse]:
    start, end = _day_range(period.day_from, period.day_to)
    return list(
        SurveyResponse.objects.filter(
            invitation__occurred_at__gte=start, invitation__occurred_at__lt=end, **filters
        )
        .exclude(comment="")
        .select_related("invitation", "invitation__unit", "invitation__staff")
        .order_by("-answered_at")[:10]
    )


def overview(*, actor, period: Period) -> Scorecard:
    """The unit comparison: each first-line unit the actor may see (their own unit, for a unit
    grant) with its attainment next to its customers' satisfaction."""
    units = visible_units(actor)
    if not units:
        raise NotFound(_("No unit to report on."))
    shown = [u for u in units if u.kind in Unit.FIRST_LINE_KINDS] or units
    parents = unit_parents(units[0].bank_id)
    trees = {u.pk: units_below(u.pk, parents) for u in shown}
    ids = sorted({pk for tree in trees.values() for pk in tree})
    per_unit = collect(by="unit", day_from=period.day_from, day_to=period.day_to, unit_ids=ids)
    rows, total = [], Figures()
    for unit in shown:
        figures = Figures()
        for pk in trees[unit.pk]:
            figures.add(per_unit.get(pk, Figures()))
        rows.append(Row(unit=unit, figures=figures))
    for pk in ids:
        total.add(per_unit.get(pk, Figures()))
    return Scorecard(
        period=period,
        total=total,
        rows=rows,
        trend=_trend(period, unit_ids=ids),
        comments=_comments(period, invitation__unit_id__in=ids),
    )


def unit_scorecard(*, actor, code: str, period: Period) -> Scorecard:
    """A unit's scorecard (with the units below it) and a row per member of its staff."""
    unit = unit_get(actor=actor, code=code)
    ids = sorted(units_below(unit.pk, unit_parents(unit.bank_id)))
    total = collect(by="unit", day_from=period.day_from, day_to=period.day_to, unit_ids=ids)
    figures = Figures()
    for f in total.values():
        figures.add(f)
    members = list(
        Staff.objects.filter(unit_id=unit.pk, user__is_active=True).order_by("name", "pk")
    )
    per_staff = collect(
        by="staff",
        day_from=period.day_from,
        day_to=period.day_to,
        staff_ids=[m.pk for m in members],
    )
    rows = [Row(unit=unit, staff=m, figures=per_staff.get(m.pk, Figures())) for m in members]
    return Scorecard(
        period=period,
        total=figures,
        rows=rows,
        trend=_trend(period, unit_ids=ids),
        comments=_comments(period, invitation__unit_id__in=ids),
        unit=unit,
    )


def staff_scorecard(*, actor, staff_id, period: Period) -> Scorecard:
    member = staff_get(actor=actor, staff_id=staff_id)
    per_staff = collect(
        by="staff", day_from=period.day_from, day_to=period.day_to, staff_ids=[member.pk]
    )
    return Scorecard(
        period=period,
        total=per_staff.get(member.pk, Figures()),
        rows=[],
        trend=_trend(period, staff_ids=[member.pk]),
        comments=_comments(period, invitation__staff_id=member.pk),
        unit=member.unit,
        staff=member,
    )


# --- the Customer Care Center dashboard ----------------------------------------------------


@dataclass
class CareCenterDashboard:
    unit: Unit
    period: Period
    total: Figures
    calls: int
    requests: int
    heatmap: list[list[int]]  # [weekday 0=Mon..6][hour 0..23] contacts handled
    per_day: list[tuple[datetime.date, int, int]]  # (day, calls, requests)
    trend: list[tuple[datetime.date, Figures]]


def care_center_unit(actor) -> Unit:
    unit = next((u for u in visible_units(actor) if u.kind == Unit.Kind.CARE_CENTER), None)
    if unit is None:
        raise NotFound(_("No Customer Care Center to report on."))
    return unit


def care_center_dashboard(*, actor, period: Period) -> CareCenterDashboard:
    """Contacts handled around the clock (calls an agent took, requests opened), sales through
    service, satisfaction and commitments met of the Customer Care Center."""
    unit = care_center_unit(actor)
    ids = sorted(units_below(unit.pk, unit_parents(unit.bank_id)))
    start, end = _day_range(period.day_from, period.day_to)
    calls = Call.objects.filter(connected_at__gte=start, connected_at__lt=end)
    requests = ServiceEvent.objects.filter(
        kind="request.opened", unit_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
    )
    heatmap = [[0] * 24 for _d in range(7)]
    per_day: dict = defaultdict(lambda: [0, 0])
    n_calls = n_requests = 0
    for index, (qs, time_field) in enumerate(((calls, "connected_at"), (requests, "occurred_at"))):
        for row in (
            qs.annotate(h=ExtractHour(time_field), d=ExtractIsoWeekDay(time_field))
            .values("h", "d")
            .annotate(n=Count("id"))
        ):
            heatmap[row["d"] - 1][row["h"]] += row["n"]
            if index == 0:
                n_calls += row["n"]
            else:
                n_requests += row["n"]
        for row in qs.annotate(day=TruncDate(time_field)).values("day").annotate(n=Count("id")):
            per_day[row["day"]][index] += row["n"]
    days = []
    day = period.day_from
    while day <= period.day_to:
        days.append((day, *per_day.get(day, [0, 0])))
        day += datetime.timedelta(days=1)
    by_unit = collect(by="unit", day_from=period.day_from, day_to=period.day_to, unit_ids=ids)
    total = Figures()
    for f in by_unit.values():
        total.add(f)
    # Dialer sales belong to the contact centre whoever placed the call (agents, robots).
    all_sales = Call.objects.filter(
        disposition__kind=Disposition.Kind.SALE, connected_at__gte=start, connected_at__lt=end
    ).count()
    total.dialer_sales = all_sales
    return CareCenterDashboard(
        unit=unit,
        period=period,
        total=total,
        calls=n_calls,
        requests=n_requests,
        heatmap=heatmap,
        per_day=days,
        trend=_trend(period, unit_ids=ids),
    )


# --- invitations for staff -----------------------------------------------------------------


def invitation_for_staff(*, actor, invitation_id) -> SurveyInvitation:
    """An invitation's hand-over page: for the member of staff who served the customer, or
    anyone who may read the unit's scorecard."""
    staff = staff_of(actor)
    invitation = (
        SurveyInvitation.objects.select_related("unit", "staff").filter(pk=invitation_id).first()
    )
    if invitation is None or staff is None:
        raise NotFound(_("No such invitation."))
    if invitation.staff_id == staff.pk:
        return invitation
    if invitation.unit_id in {u.pk for u in visible_units(actor)}:
        return invitation
    raise NotFound(_("No such invitation."))


def invitation_by_token(token: str) -> SurveyInvitation:
    invitation = (
        SurveyInvitation.objects.select_related("unit", "unit__bank", "response")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise NotFound(_("This survey link is not valid."))
    return invitation
