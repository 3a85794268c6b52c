"""Reads of the measurement: attainment (from AttainmentDay, never the events), a subject's
clocks, cases near their breach, and a staff member's alerts.

Permission checks are the caller's: pass the units the viewer may see (`unit_ids`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.commitments.models import (
    Alert,
    AlertDigest,
    AttainmentDay,
    Case,
    Commitment,
    CommitmentVersion,
)

PERIODS = ("day", "week", "month")
GROUPS = ("commitment", "unit", "branch")


# --------------------------------------------------------------------------- attainment


@dataclasses.dataclass
class AttainmentRow:
    """One line of an attainment table: met / total closed cases, against the goal."""

    commitment: Commitment | None
    unit: Unit | None  # the unit, or the branch when grouped by branch
    period: dt.date | None  # first day of the day / week (Monday) / month
    total: int
    met: int
    breached: int
    value_sum: float
    value_count: int
    goal: float | None  # the commitment's attainment goal (%), when grouped by commitment

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.met / self.total, 2) if self.total else None

    @property
    def goal_met(self) -> bool | None:
        if self.goal is None or self.percent is None:
            return None
        return self.percent >= self.goal

    @property
    def mean_value(self) -> float | None:
        """Mean open seconds taken (or mean count) of the cases with a value."""
        return self.value_sum / self.value_count if self.value_count else None


def commitment_goals(commitment_ids: Iterable[int] | None = None) -> dict[int, float]:
    """The attainment goal (%) of each commitment: its published version's, else its newest."""
    versions = CommitmentVersion.objects.order_by("commitment_id", "-number")
    if commitment_ids is not None:
        versions = versions.filter(commitment_id__in=list(commitment_ids))
    goals: dict[int, float] = {}
    published: set[int] = set()
    for cid, status, goal in versions.values_list("commitment_id", "status", "goal_percent"):
        if status == CommitmentVersion.Status.PUBLISHED:
            goals[cid] = float(goal)
            published.add(cid)
        elif cid not in goals:
            goals[cid] = float(goal)
    return goals


def branch_of(units: dict[int, Unit]) -> dict[int, int]:
    """unit id → its branch (the nearest unit of kind branch at or above it; else itself)."""
    result = {}
    for uid in units:
        u, seen = uid, set()
        while u is not None and u not in seen:
            seen.add(u)
            if units[u].kind == Unit.Kind.BRANCH:
                break
            u = units[u].parent_id
        result[uid] = u if u is not None and units[u].kind == Unit.Kind.BRANCH else uid
    return result


def attainment(
    *,
    group_by: Iterable[str] = ("commitment",),
    period: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    commitment_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
) -> list[AttainmentRow]:
    """Attainment grouped by any of "commitment", "unit" or "branch" (a unit's figures rolled
    up to its branch), optionally per `period` ("day", "week", "month"), for the local days
    `since`..`until` (inclusive) — by the day each case started. Rows are ordered by period,
    then commitment code, then unit code."""
    group_by = tuple(group_by)
    for g in group_by:
        if g not in GROUPS:
            raise ValueError(f"group_by: unknown grouping {g!r} (one of {', '.join(GROUPS)})")
    if "unit" in group_by and "branch" in group_by:
        raise ValueError("group_by: unit or branch, not both")
    if period is not None and period not in PERIODS:
        raise ValueError(f"period: one of {', '.join(PERIODS)}")
    rows = AttainmentDay.objects.all()
    if since is not None:
        rows = rows.filter(day__gte=since)
    if until is not None:
        rows = rows.filter(day__lte=until)
    if commitment_ids is not None:
        rows = rows.filter(commitment_id__in=list(commitment_ids))
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=list(unit_ids))
    keys = []
    if "commitment" in group_by:
        keys.append("commitment_id")
    if "unit" in group_by or "branch" in group_by:
        keys.append("unit_id")
    if period == "day":
        rows = rows.annotate(pd=F("day"))
        keys.append("pd")
    elif period == "week":
        rows = rows.annotate(pd=TruncWeek("day"))
        keys.append("pd")
    elif period == "month":
        rows = rows.annotate(pd=TruncMonth("day"))
        keys.append("pd")
    sums = {
        "s_total": Sum("total"),
        "s_met": Sum("met"),
        "s_breached": Sum("breached"),
        "s_value": Sum("value_sum"),
        "s_count": Sum("value_count"),
    }
    data = rows.values(*keys).annotate(**sums).order_by()
    units = {u.id: u for u in Unit.objects.all()}
    branch = branch_of(units) if "branch" in group_by else None
    merged: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0])
    for row in data:
        cid = row.get("commitment_id")
        uid = row.get("unit_id")
        if branch is not None and uid is not None:
            uid = branch.get(uid, uid)
        day = row.get("pd")
        if isinstance(day, dt.datetime):
            day = day.date()
        acc = merged[(cid, uid, day)]
        acc[0] += row["s_total"] or 0
        acc[1] += row["s_met"] or 0
        acc[2] += row["s_breached"] or 0
        acc[3] += row["s_value"] or 0.0
        acc[4] += row["s_count"] or 0
    commitments = Commitment.objects.in_bulk({k[0] for k in merged if k[0] is not None})
    goals = commitment_goals(commitments) if commitments else {}
    result = [
        AttainmentRow(
            commitment=commitments.get(cid),
            unit=units.get(uid),
            period=day,
            total=acc[0],
            met=acc[1],
            breached=acc[2],
            value_sum=acc[3],
            value_count=acc[4],
            goal=goals.get(cid),
        )
        for (cid, uid, day), acc in merged.items()
    ]
    result.sort(
        key=lambda r: (
            r.period or dt.date.min,
            r.commitment.code if r.commitment else "",
            r.unit.code if r.unit else "",
        )
    )
    return result


# --------------------------------------------------------------------------- clocks


@dataclasses.dataclass
class CaseClock:
    """A case's clock as a page shows it."""

    case: Case
    state: str
    started_at: dt.datetime
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    paused: bool
    remaining_s: float | None  # open seconds left until due (negative: overdue); None closed
    value: float | None  # open seconds taken (or the count) once closed

    @property
    def commitment(self) -> Commitment:
        return self.case.commitment

    @property
    def version(self) -> CommitmentVersion:
        return self.case.version

    @property
    def running(self) -> bool:
        return self.state in (Case.State.OPEN, Case.State.PAUSED)

    @property
    def overdue(self) -> bool:
        return self.remaining_s is not None and self.remaining_s < 0


def _clock(case: Case, now: dt.datetime, clocks: dict) -> CaseClock:
    from servicefirst.commitments.calendar import clock_for

    remaining = None
    if case.state in (Case.State.OPEN, Case.State.PAUSED) and case.due_at is not None:
        clock = clocks.get(case.version.calendar_id)
        if clock is None:
            clock = clocks[case.version.calendar_id] = clock_for(case.version.calendar)
        if case.state == Case.State.PAUSED and case.paused_since is not None:
            remaining = clock.elapsed(case.paused_since, case.due_at)
        elif now <= case.due_at:
            remaining = clock.elapsed(now, case.due_at)
        else:
            remaining = -max(clock.elapsed(case.due_at, now), (now - case.due_at).total_seconds())
    return CaseClock(
        case=case,
        state=case.state,
        started_at=case.started_at,
        due_at=case.due_at,
        warn_at=case.warn_at,
        paused=case.state == Case.State.PAUSED,
        remaining_s=remaining,
        value=case.value,
    )


def _cases():
    return Case.objects.select_related("commitment", "version", "version__calendar", "unit")


def cases_for_subject(subject: str, *, now: dt.datetime | None = None) -> list[CaseClock]:
    """Every case of a subject ("request:9", "ticket:42"), running ones first, with its clock:
    state, started_at, due_at, open seconds remaining now (frozen while paused)."""
    now = now or timezone.now()
    clocks: dict = {}
    cases = _cases().filter(subject=subject).order_by("started_at", "id")
    result = [_clock(c, now, clocks) for c in cases]
    result.sort(key=lambda c: (not c.running, c.started_at))
    return result


def open_cases_near_breach(
    *,
    unit_ids: Iterable[int] | None = None,
    commitment_ids: Iterable[int] | None = None,
    within_s: float | None = None,
    now: dt.datetime | None = None,
    limit: int = 100,
) -> list[CaseClock]:
    """Running cases past their warning time (or, with `within_s`, due within that many
    seconds) and not yet breached, soonest due first."""
    now = now or timezone.now()
    cases = _cases().filter(state=Case.State.OPEN, due_at__gt=now)
    if within_s is not None:
        cases = cases.filter(due_at__lte=now + dt.timedelta(seconds=within_s))
    else:
        cases = cases.filter(warn_at__lte=now)
    if unit_ids is not None:
        cases = cases.filter(unit_id__in=list(unit_ids))
    if commitment_ids is not None:
        cases = cases.filter(commitment_id__in=list(commitment_ids))
    clocks: dict = {}
    return [_clock(c, now, clocks) for c in cases.order_by("due_at", "id")[:limit]]


# --------------------------------------------------------------------------- alerts


@dataclasses.dataclass
class DigestView:
    digest: AlertDigest
    count: int
    commitments: list[tuple[str, str, int]]  # (code, statement, alerts)
    kinds: dict[str, int]
    unread: bool


@dataclasses.dataclass
class AlertsView:
    alerts: list[Alert]  # alerts standing alone, newest first
    digests: list[DigestView]
    unread: int  # unread alerts in all (lone and digested)


def alerts_for(staff: Staff, *, include_read: bool = False, limit: int = 50) -> AlertsView:
    """A staff member's alerts page: the lone alerts and the digests (with counts per
    commitment), unread only unless `include_read`."""
    mine = Alert.objects.filter(recipient=staff)
    unread = mine.filter(read_at__isnull=True).count()
    lone = mine.filter(digest__isnull=True)
    digests = AlertDigest.objects.filter(recipient=staff)
    if not include_read:
        lone = lone.filter(read_at__isnull=True)
        digests = digests.filter(read_at__isnull=True)
    lone = list(
        lone.select_related("case", "case__commitment", "case__version", "unit").order_by(
            "-created_at", "-id"
        )[:limit]
    )
    digests = list(digests.order_by("-created_at", "-id")[:limit])
    codes = {code for d in digests for code in (d.summary or {}).get("commitments", {})}
    statements = {}
    if codes:
        for code, zh, en in CommitmentVersion.objects.filter(
            commitment__code__in=codes, status=CommitmentVersion.Status.PUBLISHED
        ).values_list("commitment__code", "statement_zh", "statement_en"):
            statements[code] = (zh, en)
    from django.utils.translation import get_language

    zh = (get_language() or "").startswith("zh")
    views = []
    for d in digests:
        summary = d.summary or {}
        by_code = summary.get("commitments", {})
        views.append(
            DigestView(
                digest=d,
                count=d.count,
                commitments=sorted(
                    (
                        (code, statements.get(code, ("", ""))[0 if zh else 1], n)
                        for code, n in by_code.items()
                    ),
                    key=lambda x: (-x[2], x[0]),
                ),
                kinds=dict(summary.get("kinds", {})),
                unread=d.read_at is None,
            )
        )
    return AlertsView(alerts=lone, digests=views, unread=unread)


def unread_alert_count(staff: Staff) -> int:
    """For a badge in the navigation."""
    return Alert.objects.filter(recipient=staff, read_at__isnull=True).count()


def late_open_cases(*, unit_ids=None, now: dt.datetime, limit: int = 100) -> list[CaseClock]:
    """Cases breached by their deadline whose subject is still running (no stop event yet),
    most overdue first, with the (negative) time left."""
    cases = Case.objects.select_related("commitment", "version", "unit").filter(
        state=Case.State.BREACHED, stopped_at__isnull=True, due_at__lte=now
    )
    if unit_ids is not None:
        cases = cases.filter(unit_id__in=list(unit_ids))
    out = []
    for case in cases.order_by("due_at", "id")[:limit]:
        out.append(
            CaseClock(
                case=case,
                state=case.state,
                started_at=case.started_at,
                due_at=case.due_at,
                warn_at=case.warn_at,
                paused=False,
                remaining_s=-(now - case.due_at).total_seconds(),
                value=case.value,
            )
        )
    return out
