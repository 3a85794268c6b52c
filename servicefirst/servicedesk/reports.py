"""Reads for the supervisors' request report (`Action.REQUEST_SUPERVISE`: UNIT sees its own
unit's requests, ALL every unit's or one chosen unit's).

For a period of local days [start, end]:
- requests opened and resolved, by kind, category, channel and owning unit (the unit that owns
  the request now), with the median and 90th-percentile time to the first response (of the
  requests first answered in the period) and to resolution (of those resolved in the period),
  in wall-clock time: the Care Center works around the clock;
- transfers sent in the period, per receiving unit, with the median time to accept and to
  answer (a unit sees the transfers it received and those it sent);
- the commitment cases of requests and transfers (subjects "request:<id>", "transfer:<id>")
  decided in the period: met (stopped in time) or missed (breached), per commitment;
- opened and resolved per day (for the chart);
and, at the time of asking, the open backlog by age.
"""

import datetime
import io
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.commitments.models import Case
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.exports import safe_csv_writer
from servicefirst.reports.selectors import percentile
from servicefirst.servicedesk.models import Kind, RequestCategory, RequestTransfer, ServiceRequest

MAX_DAYS = 366
DEFAULT_DAYS = 30

# The backlog's age bands: (code, label, upper bound in hours; None = no bound).
AGE_BANDS = (
    ("lt4h", gettext_lazy("under 4 h"), 4),
    ("4-24h", gettext_lazy("4–24 h"), 24),
    ("1-3d", gettext_lazy("1–3 days"), 72),
    ("3-7d", gettext_lazy("3–7 days"), 168),
    ("gt7d", gettext_lazy("over 7 days"), None),
)


@dataclass
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def since(self) -> datetime.datetime:
        tz = timezone.get_current_timezone()
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)

    @property
    def until(self) -> datetime.datetime:
        tz = timezone.get_current_timezone()
        day = self.end + datetime.timedelta(days=1)
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

    @property
    def days(self) -> list[datetime.date]:
        n = (self.end - self.start).days + 1
        return [self.start + datetime.timedelta(days=i) for i in range(n)]


def report_period(params, today: datetime.date | None = None) -> Period:
    """The period from `start` and `end` (YYYY-MM-DD); both default to the last 30 days. A bad
    date, a reversed range or more than a year is a ValidationFailed naming the field."""
    today = today or timezone.localdate()
    errors: dict[str, list] = {}

    def day(name: str, default: datetime.date) -> datetime.date:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return default
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
            return default

    end = day("end", today)
    start = day("start", end - datetime.timedelta(days=DEFAULT_DAYS - 1))
    if not errors and start > end:
        errors["start"] = [_("The start is after the end.")]
    elif not errors and (end - start).days + 1 > MAX_DAYS:
        errors["start"] = [_("Choose at most %(n)d days.") % {"n": MAX_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    return Period(start, end)


# --- the figures ---------------------------------------------------------------------------


def _stat(values: list[float], q: float) -> int | None:
    """A percentile of durations, to the second."""
    value = percentile(values, q)
    return None if value is None else round(value)


@dataclass
class Line:
    """Requests of one kind, category, channel or owning unit."""

    key: str
    label: str
    opened: int = 0
    resolved: int = 0
    first_response_s: list[float] = field(default_factory=list, repr=False)
    resolution_s: list[float] = field(default_factory=list, repr=False)

    @property
    def first_response_median_s(self) -> int | None:
        return _stat(self.first_response_s, 50)

    @property
    def first_response_p90_s(self) -> int | None:
        return _stat(self.first_response_s, 90)

    @property
    def resolution_median_s(self) -> int | None:
        return _stat(self.resolution_s, 50)

    @property
    def resolution_p90_s(self) -> int | None:
        return _stat(self.resolution_s, 90)


@dataclass
class TransferLine:
    key: str
    label: str
    sent: int = 0
    accepted: int = 0
    answered: int = 0
    returned: int = 0
    pending: int = 0
    accept_s: list[float] = field(default_factory=list, repr=False)
    answer_s: list[float] = field(default_factory=list, repr=False)

    @property
    def accept_median_s(self) -> int | None:
        return _stat(self.accept_s, 50)

    @property
    def answer_median_s(self) -> int | None:
        return _stat(self.answer_s, 50)

    @property
    def answer_p90_s(self) -> int | None:
        return _stat(self.answer_s, 90)


@dataclass
class BacklogLine:
    key: str
    label: str
    bands: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.bands.values())


@dataclass
class CommitmentLine:
    key: str
    label: str
    met: int = 0
    missed: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def met_pct(self) -> float | None:
        return 100 * self.met / self.decided if self.decided else None

    @property
    def missed_pct(self) -> float | None:
        return 100 * self.missed / self.decided if self.decided else None


@dataclass
class DayLine:
    day: datetime.date
    opened: int = 0
    resolved: int = 0


@dataclass
class RequestReport:
    period: Period
    unit: Unit | None  # None: every unit
    scope: Scope
    now: datetime.datetime
    total: Line
    by_kind: list[Line]
    by_category: list[Line]
    by_channel: list[Line]
    by_unit: list[Line]
    per_day: list[DayLine]
    transfers: list[TransferLine]
    transfers_total: TransferLine
    backlog: list[BacklogLine]
    backlog_total: BacklogLine
    commitments: list[CommitmentLine]
    commitments_total: CommitmentLine
    age_bands: list[tuple[str, str]] = field(default_factory=list)

    @property
    def has_requests(self) -> bool:
        return bool(self.total.opened or self.total.resolved or self.backlog_total.total)


def report_units(actor) -> list[Unit]:
    """Units a supervisor may report on: every unit (bank-wide), or their own."""
    scope = scope_for(actor, Action.REQUEST_SUPERVISE)
    if scope == Scope.ALL:
        return list(Unit.objects.exclude(kind=Unit.Kind.HEAD_OFFICE).order_by("line", "code"))
    staff = staff_of(actor)
    return [staff.unit] if scope > Scope.NONE and staff else []


def _report_unit(actor, unit_id) -> tuple[Scope, Unit | None]:
    scope = scope_for(actor, Action.REQUEST_SUPERVISE)
    staff = staff_of(actor)
    if scope == Scope.NONE or staff is None:
        raise PermissionDenied(_("You may not see the request report."))
    if scope != Scope.ALL:
        return scope, staff.unit  # a unit's supervisor sees their own unit, whatever is asked
    if str(unit_id or "").strip().isdigit():
        unit = Unit.objects.filter(pk=int(str(unit_id).strip())).first()
        if unit is None:
            raise ValidationFailed({"unit": [_("No such unit.")]})
        return scope, unit
    return scope, None


def _in(moment, period: Period) -> bool:
    return moment is not None and period.since <= moment < period.until


def _lines(rows: list[dict], period: Period, key, label) -> list[Line]:
    lines: dict[str, Line] = {}
    for row in rows:
        k = key(row)
        line = lines.get(k)
        if line is None:
            line = lines[k] = Line(key=str(k), label=label(row))
        _count(line, row, period)
    return sorted(lines.values(), key=lambda x: (-x.opened, -x.resolved, x.label))


def _count(line: Line, row: dict, period: Period) -> None:
    if _in(row["opened_at"], period):
        line.opened += 1
    if _in(row["first_response_at"], period):
        line.first_response_s.append((row["first_response_at"] - row["opened_at"]).total_seconds())
    if _in(row["resolved_at"], period):
        line.resolved += 1
        line.resolution_s.append((row["resolved_at"] - row["opened_at"]).total_seconds())


def _unit_label(units: dict[int, Unit], pk: int | None) -> str:
    unit = units.get(pk)
    return str(unit) if unit else "—"


def request_report(
    *, actor, period: Period, unit_id=None, now: datetime.datetime | None = None
) -> RequestReport:
    """The supervisors' request report for the period (see the module's docstring)."""
    scope, unit = _report_unit(actor, unit_id)
    now = now or timezone.now()
    since, until = period.since, period.until
    requests = ServiceRequest.objects.all()
    if unit is not None:
        requests = requests.filter(unit_id=unit.pk)
    rows = list(
        requests.filter(
            Q(opened_at__gte=since, opened_at__lt=until)
            | Q(first_response_at__gte=since, first_response_at__lt=until)
            | Q(resolved_at__gte=since, resolved_at__lt=until)
        ).values(
            "pk",
            "kind",
            "category_id",
            "channel",
            "unit_id",
            "opened_at",
            "first_response_at",
            "resolved_at",
        )
    )
    units = {u.pk: u for u in Unit.objects.all()}
    categories = {c.pk: c for c in RequestCategory.objects.all()}
    kinds = dict(Kind.choices)
    channels = dict(ServiceRequest.Channel.choices)

    total = Line(key="total", label=_("All requests"))
    for row in rows:
        _count(total, row, period)

    per_day = {d: DayLine(day=d) for d in period.days}
    for row in rows:
        for name, attr in (("opened_at", "opened"), ("resolved_at", "resolved")):
            if _in(row[name], period):
                line = per_day[timezone.localtime(row[name]).date()]
                setattr(line, attr, getattr(line, attr) + 1)

    transfers, transfers_total = _transfers(period, unit, units)
    backlog, backlog_total = _backlog(requests, now, units)
    commitments, commitments_total = _commitments(period, unit)
    return RequestReport(
        period=period,
        unit=unit,
        scope=scope,
        now=now,
        total=total,
        by_kind=_lines(
            rows, period, lambda r: r["kind"], lambda r: str(kinds.get(r["kind"], r["kind"]))
        ),
        by_category=_lines(
            rows,
            period,
            lambda r: categories[r["category_id"]].code,
            lambda r: str(categories[r["category_id"]]),
        ),
        by_channel=_lines(
            rows,
            period,
            lambda r: r["channel"],
            lambda r: str(channels.get(r["channel"], r["channel"])),
        ),
        by_unit=_lines(
            rows,
            period,
            lambda r: units[r["unit_id"]].code,
            lambda r: _unit_label(units, r["unit_id"]),
        ),
        per_day=list(per_day.values()),
        transfers=transfers,
        transfers_total=transfers_total,
        backlog=backlog,
        backlog_total=backlog_total,
        commitments=commitments,
        commitments_total=commitments_total,
        age_bands=[(code, str(label)) for code, label, _h in AGE_BANDS],
    )


def _transfers(period: Period, unit: Unit | None, units: dict) -> tuple[list, TransferLine]:
    qs = RequestTransfer.objects.filter(sent_at__gte=period.since, sent_at__lt=period.until)
    if unit is not None:
        qs = qs.filter(Q(to_unit_id=unit.pk) | Q(from_unit_id=unit.pk))
    lines: dict[int, TransferLine] = {}
    total = TransferLine(key="total", label=_("All transfers"))
    for t in qs.values("to_unit_id", "sent_at", "accepted_at", "answered_at", "returned"):
        pk = t["to_unit_id"]
        line = lines.get(pk)
        if line is None:
            line = lines[pk] = TransferLine(
                key=units[pk].code if pk in units else str(pk), label=_unit_label(units, pk)
            )
        for target in (line, total):
            target.sent += 1
            if t["accepted_at"] is not None:
                target.accepted += 1
                target.accept_s.append((t["accepted_at"] - t["sent_at"]).total_seconds())
            if t["answered_at"] is not None:
                target.answered += 1
                target.returned += int(t["returned"])
                target.answer_s.append((t["answered_at"] - t["sent_at"]).total_seconds())
            else:
                target.pending += 1
    return sorted(lines.values(), key=lambda x: (-x.sent, x.label)), total


def _band(age_s: float) -> str:
    for code, _label, hours in AGE_BANDS:
        if hours is None or age_s < hours * 3600:
            return code
    return AGE_BANDS[-1][0]


def _backlog(requests, now: datetime.datetime, units: dict) -> tuple[list, BacklogLine]:
    empty = {code: 0 for code, _label, _h in AGE_BANDS}
    lines: dict[int, BacklogLine] = {}
    total = BacklogLine(key="total", label=_("All open requests"), bands=dict(empty))
    open_now = requests.filter(status__in=ServiceRequest.ACTIVE, opened_at__lte=now)
    for row in open_now.values("unit_id", "opened_at"):
        pk = row["unit_id"]
        line = lines.get(pk)
        if line is None:
            line = lines[pk] = BacklogLine(
                key=units[pk].code if pk in units else str(pk),
                label=_unit_label(units, pk),
                bands=dict(empty),
            )
        band = _band((now - row["opened_at"]).total_seconds())
        line.bands[band] += 1
        total.bands[band] += 1
    return sorted(lines.values(), key=lambda x: (-x.total, x.label)), total


def _commitments(period: Period, unit: Unit | None) -> tuple[list, CommitmentLine]:
    since, until = period.since, period.until
    cases = Case.objects.filter(
        Q(subject__startswith="request:") | Q(subject__startswith="transfer:")
    ).filter(
        Q(state=Case.State.MET, stopped_at__gte=since, stopped_at__lt=until)
        | Q(state=Case.State.BREACHED, breached_at__gte=since, breached_at__lt=until)
    )
    if unit is not None:
        cases = cases.filter(unit_id=unit.pk)
    lines: dict[int, CommitmentLine] = {}
    total = CommitmentLine(key="total", label=_("All commitments"))
    for case in cases.select_related("version", "commitment").order_by("commitment__code"):
        line = lines.get(case.commitment_id)
        if line is None:
            line = lines[case.commitment_id] = CommitmentLine(
                key=case.commitment.code, label=case.version.statement
            )
        for target in (line, total):
            if case.state == Case.State.MET:
                target.met += 1
            else:
                target.missed += 1
    return sorted(lines.values(), key=lambda x: (-x.decided, x.key)), total


# --- CSV -------------------------------------------------------------------------------------


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def report_csv(report: RequestReport) -> str:
    """The report as one long table (section, group code, group, measure, value): every
    figure of the page, durations in seconds, one row each."""
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(["section", "code", "group", "measure", "value"])
    measures = (
        ("opened", "opened"),
        ("resolved", "resolved"),
        ("first_response_median_s", "first_response_median_s"),
        ("first_response_p90_s", "first_response_p90_s"),
        ("resolution_median_s", "resolution_median_s"),
        ("resolution_p90_s", "resolution_p90_s"),
    )
    sections = (
        ("total", [report.total]),
        ("kind", report.by_kind),
        ("category", report.by_category),
        ("channel", report.by_channel),
        ("unit", report.by_unit),
    )
    for section, lines in sections:
        for line in lines:
            for name, attr in measures:
                writer.writerow([section, line.key, line.label, name, _num(getattr(line, attr))])
    for d in report.per_day:
        writer.writerow(["day", d.day.isoformat(), d.day.isoformat(), "opened", d.opened])
        writer.writerow(["day", d.day.isoformat(), d.day.isoformat(), "resolved", d.resolved])
    for line in [*report.transfers, report.transfers_total]:
        for name in (
            "sent",
            "accepted",
            "answered",
            "returned",
            "pending",
            "accept_median_s",
            "answer_median_s",
            "answer_p90_s",
        ):
            writer.writerow(["transfers", line.key, line.label, name, _num(getattr(line, name))])
    for line in [*report.backlog, report.backlog_total]:
        for code, _label in report.age_bands:
            writer.writerow(["backlog", line.key, line.label, code, line.bands[code]])
    for line in [*report.commitments, report.commitments_total]:
        for name in ("met", "missed", "met_pct"):
            writer.writerow(["commitments", line.key, line.label, name, _num(getattr(line, name))])
    return out.getvalue()
