"""The attainment report and the cases at risk.

- `/commitments/attainment/` (and `.csv`): met / missed closed cases per commitment, unit or
  branch (or a commitment in each unit or branch) for a range of local days, against each
  commitment's goal; a chart of attainment per day, week or month for the selected rows (the
  worst ones by default) with the goals as dashed lines, and a bar chart by unit or branch.
  Figures come from the engine's running totals (`selectors.attainment`), never the events.
- `/commitments/at-risk/`: running cases past their warning time or their due time, for the
  viewer's units, refreshed every 30 seconds.

Who sees what (`commitment.view`): ALL — everything; UNIT — the commitments the register shows
the viewer (owned by their unit or a unit above it, or received by their unit) measured in
their own unit and the units below it. A bad filter is a 400 naming the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.accounts.selectors import units_below
from servicefirst.commitments import charts, selectors, services
from servicefirst.commitments.models import Commitment, CommitmentVersion
from servicefirst.core.exports import safe_csv_writer

DEFAULT_DAYS = 30
MAX_DAYS = 731
DEFAULT_TOP = 5
MAX_TOP = 20
GROUPINGS = {
    "commitment": ("commitment",),
    "unit": ("unit",),
    "branch": ("branch",),
    "commitment-unit": ("commitment", "unit"),
    "commitment-branch": ("commitment", "branch"),
}
SORTS = ("worst", "name", "total")


def _grouping_labels() -> list[tuple[str, str]]:
    return [
        ("commitment", _("Commitment")),
        ("unit", _("Unit")),
        ("branch", _("Branch")),
        ("commitment-unit", _("Commitment and unit")),
        ("commitment-branch", _("Commitment and branch")),
    ]


def _period_labels() -> list[tuple[str, str]]:
    return [
        ("day", pgettext("period", "Day")),
        ("week", pgettext("period", "Week")),
        ("month", pgettext("period", "Month")),
    ]


# --------------------------------------------------------------------------- the query


@dataclasses.dataclass
class Query:
    since: dt.date
    until: dt.date
    period: str = "week"
    group: str = "commitment"
    area: str = ""
    owner: Unit | None = None
    below: bool = False
    sort: str = "worst"
    top: int = DEFAULT_TOP
    rows: tuple[str, ...] = ()

    @property
    def group_by(self) -> tuple[str, ...]:
        return GROUPINGS[self.group]

    def params(self, **over) -> list[tuple[str, object]]:
        """The query string that gives this query (with `over` changed)."""
        rows = over.pop("rows", self.rows)
        values = {
            "from": self.since.isoformat(),
            "to": self.until.isoformat(),
            "period": self.period,
            "group": self.group,
            "area": self.area,
            "owner": self.owner.pk if self.owner else "",
            "below": "1" if self.below else "",
            "sort": self.sort,
            "top": self.top,
        }
        values.update(over)
        items = [(k, v) for k, v in values.items() if v not in ("", None)]
        return items + [("row", r) for r in rows]


def parse_query(params, *, owners: list[Unit], today: dt.date | None = None):
    """The report's query from a GET; every bad field named in `errors` (its default used)."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def day(name: str, default: dt.date) -> dt.date:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return default
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
            return default

    until = day("to", today)
    since = day("from", until - dt.timedelta(days=DEFAULT_DAYS - 1))
    if "from" not in errors and "to" not in errors:
        if since > until:
            errors["from"] = [_("The start is after the end.")]
        elif (until - since).days + 1 > MAX_DAYS:
            errors["from"] = [_("Choose at most %(n)d days.") % {"n": MAX_DAYS}]
        if errors:
            until, since = today, today - dt.timedelta(days=DEFAULT_DAYS - 1)
    query = Query(since=since, until=until)

    def choice(name: str, allowed, default: str) -> str:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return default
        if raw not in allowed:
            errors[name] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(a) for a in allowed)}
            ]
            return default
        return raw

    query.period = choice("period", selectors.PERIODS, "week")
    query.group = choice("group", tuple(GROUPINGS), "commitment")
    query.sort = choice("sort", SORTS, "worst")
    query.area = choice("area", Commitment.Area.values, "")
    owner = str(params.get("owner") or "").strip()
    if owner:
        by_id = {str(u.pk): u for u in owners}
        query.owner = by_id.get(owner)
        if query.owner is None:
            errors["owner"] = [_("Choose an owning unit from the list.")]
    query.below = str(params.get("below") or "") in ("1", "on", "true", "yes")
    top = str(params.get("top") or "").strip()
    if top:
        if top.isdigit() and 1 <= int(top) <= MAX_TOP:
            query.top = int(top)
        else:
            errors["top"] = [_("Enter a whole number from 1 to %(n)d.") % {"n": MAX_TOP}]
    rows = params.getlist("row") if hasattr(params, "getlist") else []
    bad = [r for r in rows if not _key_ok(r)]
    if bad:
        errors["row"] = [_("Unknown row: %(row)s.") % {"row": bad[0]}]
    else:
        query.rows = tuple(dict.fromkeys(rows))
    return query, errors


def _key(commitment_id, unit_id) -> str:
    return f"{commitment_id or 0}-{unit_id or 0}"


def _key_ok(raw: str) -> bool:
    parts = raw.split("-")
    return len(parts) == 2 and all(p.isdigit() for p in parts)


# --------------------------------------------------------------------------- scope


@dataclasses.dataclass
class Scoped:
    """What the viewer may see: commitment ids and unit ids (None: no limit)."""

    commitment_ids: set[int] | None
    unit_ids: set[int] | None
    visible: object  # QuerySet[Commitment]


def _scope(actor) -> Scoped:
    scope = scope_for(actor, Action.COMMITMENT_VIEW)
    if scope == Scope.NONE:
        raise DjangoPermissionDenied
    visible = services.commitments_visible(actor)
    if scope == Scope.ALL:
        return Scoped(None, None, visible)
    staff = staff_of(actor)
    return Scoped(set(visible.values_list("pk", flat=True)), units_below(staff.unit_id), visible)


def owner_choices(scoped: Scoped) -> list[Unit]:
    owner_ids = set(scoped.visible.values_list("owner_id", flat=True))
    return list(Unit.objects.filter(pk__in=owner_ids).order_by("code"))


# --------------------------------------------------------------------------- the report


def readable_seconds(seconds: float | None) -> str:
    """12 s · 4 min 5 s · 2 h 10 min · 3 d 4 h (a minus sign when negative)."""
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    s = int(round(abs(seconds)))
    if s < 60:
        text = _("%(s)d s") % {"s": s}
    elif s < 3600:
        m, s = divmod(s, 60)
        text = (_("%(m)d min %(s)d s") % {"m": m, "s": s}) if s else _("%(m)d min") % {"m": m}
    elif s < 86400:
        h, rest = divmod(s, 3600)
        m = rest // 60
        text = (_("%(h)d h %(m)d min") % {"h": h, "m": m}) if m else _("%(h)d h") % {"h": h}
    else:
        d, rest = divmod(s, 86400)
        h = rest // 3600
        text = (_("%(d)d d %(h)d h") % {"d": d, "h": h}) if h else _("%(d)d d") % {"d": d}
    return sign + text


@dataclasses.dataclass
class Line:
    key: str
    row: selectors.AttainmentRow
    version: CommitmentVersion | None

    @property
    def commitment(self) -> Commitment | None:
        return self.row.commitment

    @property
    def unit(self) -> Unit | None:
        return self.row.unit

    @property
    def statement(self) -> str:
        if self.version is not None:
            return self.version.statement
        return self.commitment.code if self.commitment else ""

    @property
    def label(self) -> str:
        parts = []
        if self.commitment is not None:
            parts.append(self.commitment.code)
        if self.unit is not None:
            parts.append(str(self.unit))
        return " · ".join(parts) or _("All")

    @property
    def count_measure(self) -> bool:
        v = self.version
        return v is not None and v.measure == CommitmentVersion.Measure.COUNT

    @property
    def mean_unit(self) -> str:
        if self.version is None:
            return ""
        return self.version.target_unit if self.count_measure else "seconds"

    @property
    def mean_text(self) -> str:
        mean = self.row.mean_value
        if mean is None or self.version is None:
            return "—"  # without a commitment, seconds and rings would be mixed
        if self.count_measure:
            label = CommitmentVersion.TargetUnit(self.version.target_unit).label
            return f"{mean:.1f} {label}"
        return readable_seconds(mean)


def _versions(commitment_ids) -> dict[int, CommitmentVersion]:
    """Each commitment's current version: the published one, else the newest."""
    out: dict[int, CommitmentVersion] = {}
    for v in CommitmentVersion.objects.filter(commitment_id__in=list(commitment_ids)).order_by(
        "commitment_id", "number"
    ):
        current = out.get(v.commitment_id)
        if (
            current is None
            or current.status != CommitmentVersion.Status.PUBLISHED
            or v.status == CommitmentVersion.Status.PUBLISHED
        ):
            out[v.commitment_id] = v
    return out


def _worst(line: Line):
    p = line.row.percent
    return (p is None, p if p is not None else 0.0, -line.row.total, line.label)


@dataclasses.dataclass
class Report:
    query: Query
    lines: list[Line]
    chart_keys: list[str]


def _filters(query: Query, scoped: Scoped) -> tuple[set[int] | None, set[int] | None]:
    cids = scoped.commitment_ids
    if query.area or query.owner is not None:
        qs = scoped.visible
        if query.area:
            qs = qs.filter(area=query.area)
        if query.owner is not None:
            qs = qs.filter(owner=query.owner)
        cids = set(qs.values_list("pk", flat=True))
    return cids, scoped.unit_ids


def attainment_report(query: Query, scoped: Scoped) -> Report:
    cids, uids = _filters(query, scoped)
    rows = selectors.attainment(
        group_by=query.group_by,
        since=query.since,
        until=query.until,
        commitment_ids=cids,
        unit_ids=uids,
    )
    versions = _versions({r.commitment.pk for r in rows if r.commitment is not None})
    lines = [
        Line(
            key=_key(r.commitment.pk if r.commitment else None, r.unit.pk if r.unit else None),
            row=r,
            version=versions.get(r.commitment.pk) if r.commitment else None,
        )
        for r in rows
    ]
    if query.below:
        lines = [line for line in lines if line.row.goal_met is False]
    worst = sorted(lines, key=_worst)
    if query.sort == "worst":
        lines = worst
    elif query.sort == "total":
        lines = sorted(lines, key=lambda line: (-line.row.total, line.label))
    keys = {line.key for line in lines}
    chosen = [k for k in query.rows if k in keys]
    chart_keys = chosen or [line.key for line in worst if line.row.total][: query.top]
    return Report(query=query, lines=lines, chart_keys=chart_keys)


def period_starts(since: dt.date, until: dt.date, period: str) -> list[dt.date]:
    """The first day of every day / week (Monday) / month that meets since..until."""
    if period == "day":
        return [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    if period == "week":
        day = since - dt.timedelta(days=since.weekday())
        step = dt.timedelta(days=7)
        out = []
        while day <= until:
            out.append(day)
            day += step
        return out
    day = since.replace(day=1)
    out = []
    while day <= until:
        out.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def period_rows(query: Query, scoped: Scoped) -> list[selectors.AttainmentRow]:
    cids, uids = _filters(query, scoped)
    return selectors.attainment(
        group_by=query.group_by,
        period=query.period,
        since=query.since,
        until=query.until,
        commitment_ids=cids,
        unit_ids=uids,
    )


def _row_key(r: selectors.AttainmentRow) -> str:
    return _key(r.commitment.pk if r.commitment else None, r.unit.pk if r.unit else None)


def trend_chart(report: Report, scoped: Scoped) -> str:
    by_key = {line.key: line for line in report.lines}
    chosen = [by_key[k] for k in report.chart_keys if k in by_key]
    if not chosen:
        return ""
    wanted = {line.key for line in chosen}
    points: dict[str, dict[dt.date, float | None]] = {k: {} for k in wanted}
    for r in period_rows(report.query, scoped):
        key = _row_key(r)
        if key in wanted:
            points[key][r.period] = r.percent
    periods = period_starts(report.query.since, report.query.until, report.query.period)
    return charts.trend_chart(
        periods=periods,
        series=[(line.label, points[line.key]) for line in chosen],
        goals=[line.row.goal for line in chosen if line.row.goal is not None],
    )


def units_chart(query: Query, scoped: Scoped) -> str:
    by = "unit" if "unit" in query.group_by else "branch"
    cids, uids = _filters(query, scoped)
    rows = selectors.attainment(
        group_by=(by,), since=query.since, until=query.until, commitment_ids=cids, unit_ids=uids
    )
    rows = [r for r in rows if r.total]
    if not rows:
        return ""
    rows.sort(key=lambda r: (r.percent, r.unit.code if r.unit else ""))
    title = _("Attainment by unit (%)") if by == "unit" else _("Attainment by branch (%)")
    return charts.units_chart(
        title=title,
        bars=[(str(r.unit) if r.unit else "—", r.percent, r.total) for r in rows],
    )


def _bad(errors: dict) -> str:
    return "\n".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items())


@login_required
def attainment(request):
    scoped = _scope(request.user)
    owners = owner_choices(scoped)
    query, errors = parse_query(request.GET, owners=owners)
    report = attainment_report(query, scoped)
    base = reverse("commitments:attainment")
    context = {
        "report": report,
        "query": query,
        "errors": errors,
        "groupings": _grouping_labels(),
        "periods": _period_labels(),
        "areas": Commitment.Area.choices,
        "owners": owners,
        "shows_commitment": "commitment" in query.group_by,
        "shows_unit": len(query.group_by) > 1 or query.group_by[0] != "commitment",
        "unit_heading": _("Branch") if "branch" in query.group_by else _("Unit"),
        "chart_keys": set(report.chart_keys),
        "sort_urls": {s: f"{base}?{urlencode(query.params(sort=s))}" for s in SORTS},
        "csv_url": f"{reverse('commitments:attainment_csv')}?{urlencode(query.params())}",
        "trend_chart": trend_chart(report, scoped),
        "units_chart": units_chart(query, scoped),
    }
    return render(request, "commitments/attainment.html", context, status=400 if errors else 200)


CSV_HEADER = [
    "level",
    "period_start",
    "period_end",
    "commitment",
    "statement",
    "unit",
    "unit_name",
    "total",
    "met",
    "missed",
    "attainment_percent",
    "goal_percent",
    "goal_met",
    "mean_value",
    "mean_unit",
]


def _period_end(start: dt.date, period: str, until: dt.date) -> dt.date:
    if period == "day":
        end = start
    elif period == "week":
        end = start + dt.timedelta(days=6)
    else:
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return min(end, until)


def _csv_row(level, start, end, line: Line) -> list:
    r = line.row
    return [
        level,
        start.isoformat(),
        end.isoformat(),
        line.commitment.code if line.commitment else "",
        line.statement,
        line.unit.code if line.unit else "",
        str(line.unit) if line.unit else "",
        r.total,
        r.met,
        r.breached,
        "" if r.percent is None else f"{r.percent:.2f}",
        "" if r.goal is None else f"{r.goal:g}",
        {True: "yes", False: "no", None: ""}[r.goal_met],
        "" if r.mean_value is None or line.version is None else f"{r.mean_value:.1f}",
        line.mean_unit if r.mean_value is not None else "",
    ]


@login_required
def attainment_csv(request):
    """The table (level "total": the whole range) then the same rows per period."""
    scoped = _scope(request.user)
    query, errors = parse_query(request.GET, owners=owner_choices(scoped))
    if errors:
        return HttpResponse(_bad(errors), status=400, content_type="text/plain; charset=utf-8")
    report = attainment_report(query, scoped)
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(CSV_HEADER)
    for line in report.lines:
        writer.writerow(_csv_row("total", query.since, query.until, line))
    keys = {line.key: line for line in report.lines}
    for r in period_rows(query, scoped):
        line = keys.get(_row_key(r))
        if line is None:
            continue  # left out of the table ("only below goal")
        per = Line(key=line.key, row=r, version=line.version)
        start = max(r.period, query.since)
        writer.writerow(
            _csv_row(query.period, start, _period_end(r.period, query.period, query.until), per)
        )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"attainment-{query.group}-{query.since.isoformat()}-{query.until.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------- at risk


@dataclasses.dataclass
class RiskLine:
    clock: selectors.CaseClock
    subject_text: str
    subject_url: str
    staff: Staff | None

    @property
    def late(self) -> bool:
        return self.clock.remaining_s is not None and self.clock.remaining_s < 0

    @property
    def left_text(self) -> str:
        return readable_seconds(self.clock.remaining_s)


def _subjects(clocks: list[selectors.CaseClock]) -> dict[str, tuple[str, str]]:
    """subject → (text, link): a request links to its page, a ticket shows its number."""
    from servicefirst.floor.models import Ticket
    from servicefirst.servicedesk.models import RequestTransfer, ServiceRequest

    ids: dict[str, set[int]] = {}
    for c in clocks:
        kind, _sep, pk = c.case.subject.partition(":")
        if pk.isdigit():
            ids.setdefault(kind, set()).add(int(pk))
    out: dict[str, tuple[str, str]] = {}
    for pk, number in ServiceRequest.objects.filter(pk__in=ids.get("request", ())).values_list(
        "pk", "number"
    ):
        out[f"request:{pk}"] = (number, reverse("servicedesk:detail", args=[pk]))
    for pk, rid, number in RequestTransfer.objects.filter(
        pk__in=ids.get("transfer", ())
    ).values_list("pk", "request_id", "request__number"):
        text = _("Transfer of %(number)s") % {"number": number}
        out[f"transfer:{pk}"] = (text, reverse("servicedesk:detail", args=[rid]))
    for pk, number in Ticket.objects.filter(pk__in=ids.get("ticket", ())).values_list(
        "pk", "number"
    ):
        out[f"ticket:{pk}"] = (_("Ticket %(number)s") % {"number": number}, "")
    for pk in ids.get("call", ()):
        out[f"call:{pk}"] = (_("Call %(id)s") % {"id": pk}, "")
    return out


def at_risk_lines(actor, *, now: dt.datetime | None = None) -> list[RiskLine]:
    scope = scope_for(actor, Action.COMMITMENT_VIEW)
    if scope == Scope.NONE:
        raise DjangoPermissionDenied
    unit_ids = None
    if scope != Scope.ALL:
        unit_ids = units_below(staff_of(actor).unit_id)
    now = now or timezone.now()
    clocks = selectors.late_open_cases(
        unit_ids=unit_ids, now=now
    ) + selectors.open_cases_near_breach(unit_ids=unit_ids, now=now)
    subjects = _subjects(clocks)
    staff = Staff.objects.in_bulk({c.case.staff_id for c in clocks if c.case.staff_id})
    return [
        RiskLine(
            clock=c,
            subject_text=subjects.get(c.case.subject, (c.case.subject, ""))[0],
            subject_url=subjects.get(c.case.subject, ("", ""))[1],
            staff=staff.get(c.case.staff_id),
        )
        for c in clocks
    ]


@login_required
def at_risk(request):
    lines = at_risk_lines(request.user)
    context = {"lines": lines, "now": timezone.now()}
    if request.htmx:
        return render(request, "commitments/_at_risk_table.html", context)
    return render(request, "commitments/at_risk.html", context)
