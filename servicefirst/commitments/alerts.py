"""Alerts of the commitments engine: who hears of a warning, a breach and its escalation, and
digests instead of floods.

Recipients. A case's unit (the branch, the Customer Care Center, the receiving unit of a
transfer) starts a *managers' chain*: walking up `Unit.parent` from the case's unit, every
unit that has managers (active staff of that unit holding branch_manager or cc_supervisor)
is one link; the administrators of the head office (the root unit) close the chain as the
last resort when they are not in it already. Then:

- warning (the case reached `warn_percent` of its target, still running): the case's staff
  member (`Case.staff_id`, when it names a member of staff) and link 0, level 0;
- breach: the same people, kind "breach", level 0, and link 1 (the managers above), kind
  "escalation", level 1;
- a breach still unresolved (no stop event) a further full target after its due time: link 2,
  kind "escalation", level 2 (`Case.escalate_at` holds that instant; the engine's sweep calls
  `escalate`). A chain shorter than the level asks for has no one left to tell.

Digests. When a recipient already had COMMITMENTS_DIGEST_AFTER (5) alerts within the last
COMMITMENTS_DIGEST_WINDOW_S (10 minutes), each further alert is still written (one row per
case, kind and recipient, so the history and the read marks stay exact) but is attached to
the recipient's open digest (`AlertDigest`, one per recipient and window) instead of standing
alone; the digest counts them per commitment and kind. The alerts page shows the lone alerts
and the digests (`selectors.alerts_for`).

`alert_mark_read` is the service the alerts page calls.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from servicefirst.accounts.models import Role, Staff, StaffRole, Unit
from servicefirst.commitments.models import Alert, AlertDigest, Commitment

MANAGER_ROLES = (Role.BRANCH_MANAGER, Role.CC_SUPERVISOR)
LAST_RESORT_ROLE = Role.ADMINISTRATOR


def digest_after() -> int:
    return int(getattr(settings, "COMMITMENTS_DIGEST_AFTER", 5))


def digest_window() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "COMMITMENTS_DIGEST_WINDOW_S", 600)))


class Directory:
    """The unit tree and its managers, read once (a handful of small queries)."""

    def __init__(self) -> None:
        self.parent: dict[int, int | None] = dict(Unit.objects.values_list("id", "parent_id"))
        managers: dict[int, list[int]] = defaultdict(list)
        admins: dict[int, list[int]] = defaultdict(list)
        rows = (
            StaffRole.objects.filter(
                role__in=[*MANAGER_ROLES, LAST_RESORT_ROLE], staff__user__is_active=True
            )
            .values_list("staff_id", "staff__unit_id", "role")
            .order_by("staff_id")
        )
        for staff_id, unit_id, role in rows:
            target = admins if role == LAST_RESORT_ROLE else managers
            if staff_id not in target[unit_id]:
                target[unit_id].append(staff_id)
        self.managers = dict(managers)
        roots = [u for u, p in self.parent.items() if p is None]
        self.root = roots[0] if len(roots) == 1 else None
        self.last_resort: tuple[int | None, list[int]] = (None, [])
        for root in roots:
            if admins.get(root):
                self.last_resort = (root, admins[root])
                break
        self._chains: dict[int | None, list[tuple[int, list[int]]]] = {}

    def chain(self, unit_id: int | None) -> list[tuple[int, list[int]]]:
        """[(unit id, manager staff ids)] from the unit up; the head office's administrators
        last unless already in it."""
        cached = self._chains.get(unit_id)
        if cached is not None:
            return cached
        links: list[tuple[int, list[int]]] = []
        seen: set[int] = set()
        unit = unit_id
        while unit is not None and unit not in seen:
            seen.add(unit)
            if self.managers.get(unit):
                links.append((unit, self.managers[unit]))
            unit = self.parent.get(unit)
        root_unit, admins = self.last_resort
        if admins:
            already = {s for _, ids in links for s in ids}
            rest = [s for s in admins if s not in already]
            if rest:
                links.append((root_unit, rest))
        self._chains[unit_id] = links
        return links


def _case_unit(case) -> int | None:
    return case.unit_id


def _staff_ids(cases) -> set[int]:
    wanted = {c.staff_id for c in cases if c.staff_id}
    if not wanted:
        return set()
    return set(
        Staff.objects.filter(id__in=wanted, user__is_active=True).values_list("id", flat=True)
    )


def warn(cases: Iterable, *, now: dt.datetime | None = None, directory=None) -> int:
    """Warnings for running cases near their due time. `cases`: objects with id,
    commitment_id, unit_id and staff_id (a Case will do). Returns the alerts written."""
    cases = list(cases)
    directory = directory or Directory()
    staff = _staff_ids(cases)
    plan = []
    for case in cases:
        chain = directory.chain(_case_unit(case))
        if case.staff_id in staff:
            plan.append((case, Alert.Kind.WARNING, case.unit_id, case.staff_id, 0))
        if chain:
            unit, people = chain[0]
            for person in people:
                plan.append((case, Alert.Kind.WARNING, unit, person, 0))
    return _write(plan, now=now)


def breach(cases: Iterable, *, now: dt.datetime | None = None, directory=None) -> int:
    """Breach alerts (level 0) and their first escalation up the chain (level 1)."""
    cases = list(cases)
    directory = directory or Directory()
    staff = _staff_ids(cases)
    plan = []
    for case in cases:
        chain = directory.chain(_case_unit(case))
        if case.staff_id in staff:
            plan.append((case, Alert.Kind.BREACH, case.unit_id, case.staff_id, 0))
        if chain:
            unit, people = chain[0]
            for person in people:
                plan.append((case, Alert.Kind.BREACH, unit, person, 0))
        if len(chain) > 1:
            unit, people = chain[1]
            for person in people:
                plan.append((case, Alert.Kind.ESCALATION, unit, person, 1))
    return _write(plan, now=now)


def escalate(
    cases: Iterable, *, level: int = 2, now: dt.datetime | None = None, directory=None
) -> int:
    """A further escalation (link `level` of the chain) for breaches still unresolved."""
    cases = list(cases)
    directory = directory or Directory()
    plan = []
    for case in cases:
        chain = directory.chain(_case_unit(case))
        if len(chain) > level:
            unit, people = chain[level]
            for person in people:
                plan.append((case, Alert.Kind.ESCALATION, unit, person, level))
    return _write(plan, now=now)


def _write(plan: list, *, now: dt.datetime | None) -> int:
    """Write the planned alerts, gathering each recipient's flood into their digest."""
    if not plan:
        return 0
    now = now or timezone.now()
    since = now - digest_window()
    recipients = {p[3] for p in plan}
    recent = Counter(
        dict(
            Alert.objects.filter(recipient_id__in=recipients, created_at__gte=since)
            .values("recipient_id")
            .annotate(n=Count("id"))
            .values_list("recipient_id", "n")
        )
    )
    existing = set(
        Alert.objects.filter(
            case_id__in={p[0].id for p in plan}, recipient_id__in=recipients
        ).values_list("case_id", "kind", "recipient_id")
    )
    codes = dict(
        Commitment.objects.filter(id__in={p[0].commitment_id for p in plan}).values_list(
            "id", "code"
        )
    )
    limit = digest_after()
    digests: dict[int, AlertDigest] = {}
    rows: list[Alert] = []
    for case, kind, unit_id, recipient, level in plan:
        key = (case.id, str(kind), recipient)
        if key in existing:
            continue
        existing.add(key)
        digest = None
        if recent[recipient] >= limit:
            digest = digests.get(recipient)
            if digest is None:
                digest = (
                    AlertDigest.objects.filter(recipient_id=recipient, updated_at__gte=since)
                    .order_by("-updated_at")
                    .first()
                )
                if digest is None or digest.read_at is not None:
                    digest = AlertDigest(recipient_id=recipient, created_at=now, summary={})
                digests[recipient] = digest
            digest.count += 1
            summary = digest.summary or {}
            by_code = summary.setdefault("commitments", {})
            code = codes.get(case.commitment_id, str(case.commitment_id))
            by_code[code] = by_code.get(code, 0) + 1
            kinds = summary.setdefault("kinds", {})
            kinds[str(kind)] = kinds.get(str(kind), 0) + 1
            digest.summary = summary
            digest.updated_at = now
        recent[recipient] += 1
        rows.append(
            Alert(
                case_id=case.id,
                kind=kind,
                unit_id=unit_id,
                recipient_id=recipient,
                level=level,
                created_at=now,
                digest=digest,
            )
        )
    for digest in digests.values():
        digest.save()
    for row in rows:  # the digest got its id just now
        if row.digest is not None:
            row.digest_id = row.digest.id
    Alert.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def alert_mark_read(
    *,
    staff: Staff,
    alert_ids: Iterable[int] = (),
    digest_ids: Iterable[int] = (),
    everything: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Mark the staff member's alerts read: the given alerts, the alerts of the given digests
    (and the digests), or with `everything` all of them. Someone else's alerts are left
    alone. Returns how many alerts changed."""
    now = now or timezone.now()
    mine = Alert.objects.filter(recipient=staff, read_at__isnull=True)
    digests = AlertDigest.objects.filter(recipient=staff, read_at__isnull=True)
    if not everything:
        alert_ids, digest_ids = list(alert_ids), list(digest_ids)
        mine = mine.filter(Q(id__in=alert_ids) | Q(digest_id__in=digest_ids))
        digests = digests.filter(id__in=digest_ids)
    changed = mine.update(read_at=now)
    digests.update(read_at=now)
    return changed
