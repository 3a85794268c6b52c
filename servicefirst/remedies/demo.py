"""The demo bank's remedies: the standard gifts and apology templates, a gift stock and a
monthly gift budget for every branch and the Customer Care Center (`demo_remedies`), and —
once the commitment engine has found the demo's breaches — remedy cases for the breaches to
customers, a realistic share of them worked through (reason, apology, gift, some gifts over
budget waiting for or given approval, closing) so that the remedy report has figures
(`demo_remedies_catch_up`). Both are idempotent."""

import datetime
import random
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, scope_for
from servicefirst.core.errors import ServiceError
from servicefirst.remedies import services
from servicefirst.remedies.defaults import ensure_gifts, ensure_templates
from servicefirst.remedies.models import GiftBudget, GiftGrant, GiftStock, RemedyCase

Progress = Callable[[str, int, int | None], None]

# Items per gift at a branch / at the care centre, and the monthly budgets (yuan).
BRANCH_STOCK = {"tissues": 60, "points": 100, "umbrella": 30, "thermos": 20, "powerbank": 10}
CCC_STOCK = {"tissues": 0, "points": 300, "umbrella": 20, "thermos": 15, "powerbank": 10}
BRANCH_BUDGET = 800
CCC_BUDGET = 1500

REASONS = {
    "subjective": (
        "午间就餐时段只开了一个现金窗口，排队积压。",
        "新入职柜员业务不熟练，办理时间较长。",
        "预约客户到达后未及时叫号，系统提示被忽略。",
        "高峰期坐席排班不足，来电排队时间过长。",
    ),
    "objective": (
        "核心系统升级导致业务中断约30分钟。",
        "客户证件材料不齐，需返回补充。",
        "全市通信线路故障，电话无法接入。",
    ),
}


def _noop(stage: str, done: int, total: int | None) -> None:
    pass


def _units() -> list[Unit]:
    return list(
        Unit.objects.filter(kind__in=(Unit.Kind.BRANCH, Unit.Kind.CARE_CENTER)).order_by("code")
    )


def demo_remedies(progress: Progress | None = None) -> dict[str, int]:
    """Gifts, templates, stock and budgets for this month and the two before it."""
    progress = progress or _noop
    progress("Remedies: gifts, templates, stock and budgets", 0, None)
    with transaction.atomic():
        templates = ensure_templates()
        gifts = ensure_gifts()
        stock = budgets = 0
        month = services.first_of_month(timezone.localdate())
        months = [month]
        for _i in range(2):
            months.append(services.first_of_month(months[-1] - datetime.timedelta(days=1)))
        for unit in _units():
            ccc = unit.kind == Unit.Kind.CARE_CENTER
            plan = CCC_STOCK if ccc else BRANCH_STOCK
            for gift in gifts:
                _row, made = GiftStock.objects.get_or_create(
                    unit=unit, gift=gift, defaults={"quantity": plan.get(gift.code, 0)}
                )
                stock += made
            for m in months:
                _row, made = GiftBudget.objects.get_or_create(
                    unit=unit, month=m, defaults={"amount": CCC_BUDGET if ccc else BRANCH_BUDGET}
                )
                budgets += made
    return {"apology_templates": templates, "gift_stock": stock, "gift_budgets": budgets}


def _worker(unit: Unit, action: str) -> Staff | None:
    """A member of the unit's staff who may do `action` there (a lobby manager or a supervisor
    works remedies; a branch manager or a supervisor approves)."""
    for staff in Staff.objects.filter(unit=unit, user__is_active=True).select_related("user"):
        if scope_for(staff.user, action) > 0 and services.may_act(staff.user, action, unit.pk):
            return staff
    return None


def demo_remedies_catch_up(
    progress: Progress | None = None, *, seed: int = 2026, now=None, worked: int = 400
) -> dict[str, int]:
    """Open the remedies for breaches already found, and work a realistic share of the new
    ones: most get a reason and an apology within hours, a third a gift (a few over budget:
    waiting for the manager, or approved), half of those apologised to are closed."""
    progress = progress or _noop
    now = now or timezone.now()
    progress("Remedies: cases for missed commitments", 0, None)
    started = timezone.now()
    opened = services.open_for_breached_cases()
    # Only the remedies opened now (a second run leaves the ones still waiting to the staff),
    # and of those the most recent `worked` (the report's weeks).
    fresh = (
        RemedyCase.objects.filter(status=RemedyCase.Status.OPEN, opened_at__gte=started)
        .select_related("unit")
        .order_by("-breached_at", "-id")
    )
    fresh = sorted(fresh[:worked], key=lambda r: (r.breached_at, r.pk))
    RemedyCase.objects.filter(opened_at__gte=started).update(opened_at=F("breached_at"))
    rng = random.Random(seed)
    counts = {"remedies_opened": opened, "apologies": 0, "gifts": 0, "pending": 0, "closed": 0}
    workers: dict[tuple[int, str], Staff | None] = {}
    gifts = {g.code: g for g in ensure_gifts()}
    for i, remedy in enumerate(fresh):
        if i % 50 == 0:
            progress("Remedies: working the cases", i, len(fresh))
        key = (remedy.unit_id, Action.REMEDY_WORK)
        if key not in workers:
            workers[key] = _worker(remedy.unit, Action.REMEDY_WORK)
        worker = workers[key]
        if worker is None or rng.random() > 0.8:
            continue  # still waiting in the queue
        actor = worker.user
        kind = "objective" if rng.random() < 0.25 else "subjective"
        try:
            services.record_reason(
                actor=actor,
                remedy_id=remedy.pk,
                reason_kind=kind,
                reason=rng.choice(REASONS[kind]),
            )
            age = now - remedy.breached_at
            if age < datetime.timedelta(minutes=30) or rng.random() > 0.85:
                continue
            within = min(age * 0.9, datetime.timedelta(hours=rng.choice((1, 4, 24, 48))))
            when = remedy.breached_at + within * rng.uniform(0.2, 1.0)
            ccc = remedy.unit.kind == Unit.Kind.CARE_CENTER
            channels = ("phone", "sms", "wechat") if ccc else ("counter", "sms", "phone", "letter")
            services.apologise(
                actor=actor, remedy_id=remedy.pk, channel=rng.choice(channels), now=when
            )
            counts["apologies"] += 1
            if kind == "subjective" and rng.random() < 0.45:
                code = rng.choices(
                    ("tissues", "points", "umbrella", "thermos", "powerbank"),
                    weights=(0 if ccc else 30, 30, 20, 12, 8),
                )[0]
                grant = services.give_gift(
                    actor=actor, remedy_id=remedy.pk, gift_id=gifts[code].pk, now=when
                )
                counts["gifts"] += 1
                if grant.approval_status == GiftGrant.Approval.PENDING:
                    approver_key = (remedy.unit_id, Action.REMEDY_APPROVE)
                    if approver_key not in workers:
                        workers[approver_key] = _worker(remedy.unit, Action.REMEDY_APPROVE)
                    approver = workers[approver_key]
                    if approver is not None and rng.random() < 0.6:
                        services.grant_approve(actor=approver.user, grant_id=grant.pk, now=when)
                    else:
                        counts["pending"] += 1
                        continue
            if rng.random() < 0.5:
                services.remedy_close(
                    actor=actor,
                    remedy_id=remedy.pk,
                    now=min(now, when + datetime.timedelta(hours=1)),
                )
                counts["closed"] += 1
        except ServiceError:
            continue  # e.g. a gift out of stock: the case stays for staff to finish
    return counts
