"""Reads of care rules and prompts: the rules page, today's prompts at a branch, and the
daily counts the branch report shows."""

import datetime
from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, Scope, branches_for, scope_for, staff_of
from servicefirst.care.models import CarePrompt, CarePromptRule
from servicefirst.care.services import FLOOR_ACTIONS, can_manage, works_at
from servicefirst.core.errors import NotFound
from servicefirst.customers.models import Customer
from servicefirst.insights import conditions as cond


def can_see_rules(actor) -> bool:
    return scope_for(actor, Action.CARE_MANAGE) > Scope.NONE


def rule_words(rule: CarePromptRule) -> str:
    """When the rule prompts, in words: "Elderly customer (from 70)"."""
    T = CarePromptRule.Trigger
    words = str(rule.get_trigger_display())
    if rule.trigger == T.ELDERLY:
        words += " " + (
            _("(from %(age)s)") % {"age": rule.min_age}
            if rule.min_age
            else _("(from the branch's elderly age)")
        )
    elif rule.trigger == T.VIP:
        labels = dict(Customer.Tier.choices)
        words += " " + (
            "(" + ", ".join(str(labels.get(t, t)) for t in rule.tiers) + ")"
            if rule.tiers
            else _("(the tiers the branch gives priority)")
        )
    if rule.conditions:
        described = cond.describe(rule.conditions)
        words = described if rule.trigger == T.CONDITIONS else f"{words} {_('and')} {described}"
    return words


def rules_visible(*, actor) -> list[CarePromptRule]:
    """The bank-wide rules and the rules of the actor's branch (every rule for a bank-wide
    grant), each with `words` and whether the actor may `editable` it."""
    scope = scope_for(actor, Action.CARE_MANAGE)
    if scope == Scope.NONE:
        return []
    rules = CarePromptRule.objects.select_related("branch")
    if scope != Scope.ALL:
        staff = staff_of(actor)
        rules = rules.filter(Q(branch__isnull=True) | Q(branch_id=staff.unit_id))
    out = list(rules)
    for rule in out:
        rule.words = rule_words(rule)
        rule.editable = can_manage(actor, rule.branch_id)
    return out


def rule_get(*, actor, rule_id: int) -> CarePromptRule:
    rule = next((r for r in rules_visible(actor=actor) if r.pk == rule_id), None)
    if rule is None:
        raise NotFound(_("No such rule."))
    return rule


def floor_branches(actor, actions=FLOOR_ACTIONS) -> list[Unit]:
    """The branches where the actor works with the floor (every branch for bank-wide roles)."""
    return branches_for(actor, *actions)


def prompts_of_day(*, actor, branch_id: int, day: datetime.date | None = None) -> list[CarePrompt]:
    """Every prompt raised at the branch on the day, open ones first, with who marked them."""
    if not works_at(actor, branch_id):
        raise NotFound(_("No such branch."))
    day = day or timezone.localdate()
    prompts = (
        CarePrompt.objects.filter(branch_id=branch_id, day=day)
        .select_related("rule", "customer", "ticket", "resolved_by")
        .order_by("created_at", "rule__order", "pk")
    )
    return sorted(prompts, key=lambda p: p.status != CarePrompt.Status.OPEN)


def daily_counts(
    branch_id: int, day_from: datetime.date, day_to: datetime.date
) -> dict[datetime.date, dict[str, int]]:
    """Prompts raised, done and skipped per day at the branch (one grouped query)."""
    counts: dict[datetime.date, dict[str, int]] = defaultdict(
        lambda: {"raised": 0, "done": 0, "skipped": 0}
    )
    rows = (
        CarePrompt.objects.filter(branch_id=branch_id, day__gte=day_from, day__lte=day_to)
        .order_by()
        .values("day", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        entry = counts[row["day"]]
        entry["raised"] += row["n"]
        if row["status"] in ("done", "skipped"):
            entry[row["status"]] += row["n"]
    return dict(counts)
