"""Care prompts: raise them for a visit, mark them done or skipped, and edit the rules.

Every function takes a keyword-only `actor` (the logged-in user), checks what the actor may
do at the branch, and is atomic. Prompts are raised once per visit (ticket, or customer,
branch and day without one), so calling again — on every render of the teller's or the lobby
manager's page — returns the same rows."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, allows_unit, scope_for, staff_of
from servicefirst.care import evaluation
from servicefirst.care.evaluation import Floor, Visit
from servicefirst.care.models import Audience, CarePrompt, CarePromptRule
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers.models import Customer, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.floor.live import notify_floor
from servicefirst.floor.models import Ticket
from servicefirst.insights import conditions as cond

# Who works with prompts at a branch: tellers, lobby managers, branch managers.
FLOOR_ACTIONS = (Action.FLOOR_SERVE, Action.LOBBY_WORK, Action.FLOOR_MANAGE, Action.CARE_MANAGE)
IN_THE_HALL = (Ticket.Status.WAITING, Ticket.Status.CALLED)
VISIT_AUDIENCES = (Audience.TELLER, Audience.LOBBY)


def works_at(actor, branch_id: int | None) -> bool:
    return any(allows_unit(actor, action, branch_id) for action in FLOOR_ACTIONS)


def _branch(actor, branch_id) -> Unit:
    branch = Unit.objects.filter(pk=branch_id, kind=Unit.Kind.BRANCH).first()
    if branch is None or not works_at(actor, branch.pk):
        raise NotFound(_("No such branch."))
    return branch


def _audience(audience: str) -> str:
    if audience not in VISIT_AUDIENCES:
        raise ValidationFailed({"audience": [_("Choose teller or lobby.")]})
    return audience


def _root(ticket: Ticket, known: dict[int, Ticket] | None = None) -> Ticket:
    """The visit's first ticket: a transfer continues the visit on a new ticket."""
    for _step in range(20):
        if not ticket.transferred_from_id:
            break
        parent = (known or {}).get(ticket.transferred_from_id) or (
            Ticket.objects.filter(pk=ticket.transferred_from_id).first()
        )
        if parent is None:
            break
        ticket = parent
    return ticket


def _raise(floor: Floor, visits: list[Visit], audience: str | None) -> list[CarePrompt]:
    """Create the prompts of the rules firing for these visits, once per visit: a ticket's
    prompt is created once; a prompt raised without a ticket is taken over by the ticket
    the customer then takes; without a ticket, one prompt per customer, branch and day."""
    rules = evaluation.active_rules(floor.branch.pk, audience)
    fired = evaluation.firing(rules, visits, floor)
    if not fired:
        return []
    existing: dict[tuple[int, int], list[CarePrompt]] = {}
    for prompt in CarePrompt.objects.filter(
        branch=floor.branch,
        day=floor.today,
        customer_id__in={v.customer.pk for _r, v in fired},
        rule_id__in={r.pk for r, _v in fired},
    ):
        existing.setdefault((prompt.rule_id, prompt.customer_id), []).append(prompt)
    created = []
    for rule, visit in fired:
        rows = existing.get((rule.pk, visit.customer.pk), [])
        if visit.ticket is None:
            if rows:
                continue
        else:
            if any(p.ticket_id == visit.ticket.pk for p in rows):
                continue
            loose = next((p for p in rows if p.ticket_id is None), None)
            if loose is not None:
                loose.ticket = visit.ticket
                loose.save(update_fields=["ticket"])
                continue
        texts = evaluation.prompt_texts(rule, visit, floor)
        prompt = CarePrompt(
            rule=rule,
            customer=visit.customer,
            branch=floor.branch,
            day=floor.today,
            ticket=visit.ticket,
            audience=rule.audience,
            text_zh=texts["zh"],
            text_en=texts["en"],
        )
        try:
            with transaction.atomic():  # another page raised it a moment ago: keep theirs
                prompt.save()
        except IntegrityError:
            continue
        existing.setdefault((rule.pk, visit.customer.pk), []).append(prompt)
        created.append(prompt)
    return created


def _for_audience(audience: str | None) -> Q:
    return Q(audience__in=(audience, Audience.BOTH)) if audience else Q()


@transaction.atomic
def prompts_for_visit(
    *, actor, branch_id: int, customer_id: int, audience: str, ticket_id: int | None = None
) -> list[CarePrompt]:
    """Evaluate the bank's rules for this customer now, raise the prompts once per visit, and
    return the open ones for the audience ("teller" or "lobby")."""
    audience = _audience(audience)
    branch = _branch(actor, branch_id)
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    ticket = None
    if ticket_id:
        ticket = Ticket.objects.filter(pk=ticket_id, branch=branch).first()
        if ticket is None:
            raise NotFound(_("No such ticket."))
        if ticket.customer_id not in (None, customer.pk):
            raise ValidationFailed({"ticket_id": [_("This ticket belongs to another customer.")]})
        ticket = _root(ticket)
    floor = evaluation.floor_state(branch)
    _raise(floor, [Visit(customer, ticket)], audience)
    prompts = CarePrompt.objects.filter(
        branch=branch, status=CarePrompt.Status.OPEN, customer=customer
    ).filter(_for_audience(audience))
    if ticket is not None:
        prompts = prompts.filter(ticket=ticket)
    else:
        prompts = prompts.filter(day=floor.today)
    return list(prompts.select_related("rule", "customer", "ticket").order_by("rule__order", "pk"))


def _hall(branch: Unit, today) -> tuple[list[Visit], set[int]]:
    """The identified customers in the hall now (waiting or at a counter), one visit each,
    and the first tickets of their visits."""
    tickets = {
        t.pk: t
        for t in Ticket.objects.filter(branch=branch, day=today, customer__isnull=False)
        .select_related("customer")
        .order_by("issued_at")
    }
    visits: dict[int, Visit] = {}
    for ticket in tickets.values():
        if ticket.status not in IN_THE_HALL or ticket.customer.merged_into_id:
            continue
        root = _root(ticket, tickets)
        visits.setdefault(root.pk, Visit(ticket.customer, root))
    return list(visits.values()), set(visits)


@transaction.atomic
def prompts_for_arrivals(*, actor, branch_id: int, audience: str | None = None) -> int:
    """Raise the prompts of every identified customer in the hall now (for the lobby manager
    and the manager's view of today's prompts); returns how many were raised."""
    if audience is not None:
        audience = _audience(audience)
    branch = _branch(actor, branch_id)
    floor = evaluation.floor_state(branch)
    visits, _roots = _hall(branch, floor.today)
    return len(_raise(floor, visits, audience))


@transaction.atomic
def open_prompts(*, actor, branch_id: int, audience: str) -> list[CarePrompt]:
    """The open prompts for the audience of the customers who arrived today and are still in
    the hall (and of customers met today without a ticket), raising any that are due."""
    audience = _audience(audience)
    branch = _branch(actor, branch_id)
    floor = evaluation.floor_state(branch)
    visits, roots = _hall(branch, floor.today)
    _raise(floor, visits, audience)
    return list(
        CarePrompt.objects.filter(branch=branch, day=floor.today, status=CarePrompt.Status.OPEN)
        .filter(_for_audience(audience))
        .filter(Q(ticket__isnull=True) | Q(ticket_id__in=roots))
        .select_related("rule", "customer", "ticket")
        .order_by("created_at", "rule__order", "pk")
    )


@transaction.atomic
def prompt_resolve(*, actor, prompt_id: int, status: str) -> CarePrompt:
    """Mark a prompt done or skipped, by whom and when. A care act done goes on the
    customer's timeline as a note."""
    if status not in (CarePrompt.Status.DONE, CarePrompt.Status.SKIPPED):
        raise ValidationFailed({"status": [_("Mark the prompt done or skipped.")]})
    prompt = (
        CarePrompt.objects.select_for_update()
        .select_related("rule", "customer")
        .filter(pk=prompt_id)
        .first()
    )
    if prompt is None or not works_at(actor, prompt.branch_id):
        raise NotFound(_("No such prompt."))
    if prompt.status != CarePrompt.Status.OPEN:
        raise ValidationFailed(
            {
                "status": [
                    _("This prompt was already marked %(status)s.")
                    % {"status": prompt.get_status_display().lower()}
                ]
            }
        )
    prompt.status = status
    prompt.resolved_by = staff_of(actor)
    prompt.resolved_at = timezone.now()
    prompt.save(update_fields=["status", "resolved_by", "resolved_at"])
    if status == CarePrompt.Status.DONE:
        interaction_record(
            customer=prompt.customer,
            kind=Interaction.Kind.NOTE,
            actor=actor,
            channel=Customer.Channel.BRANCH,
            summary=_("Care: %(text)s") % {"text": prompt.text},
            detail={
                "care_prompt": prompt.pk,
                "rule": prompt.rule.code or prompt.rule_id,
                "ticket": prompt.ticket_id,
                "text_zh": prompt.text_zh,
                "text_en": prompt.text_en,
            },
        )
    notify_floor(prompt.branch_id, "care")
    return prompt


# --- rules ----------------------------------------------------------------------------------

RULE_FIELDS = (
    "name_zh",
    "name_en",
    "trigger",
    "min_age",
    "tiers",
    "conditions",
    "branch_id",
    "audience",
    "message_zh",
    "message_en",
    "is_active",
    "order",
)


def can_manage(actor, rule_branch_id: int | None) -> bool:
    """Bank-wide rules need the bank-wide grant; a branch's rules its manager's."""
    return allows_unit(actor, Action.CARE_MANAGE, rule_branch_id)


def _int(value, errors, key, low, high, message):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[key] = [message]
        return None
    if not low <= number <= high:
        errors[key] = [message]
        return None
    return number


def _condition_errors(conditions) -> dict[str, list[str]]:
    """The insight language's errors, each naming its condition: "Condition 2 (Age): ..."."""
    errors = cond.validate(conditions, prefix="conditions")
    named: dict[str, list[str]] = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[1].isdigit():
            i = int(parts[1])
            row = conditions[i] if i < len(conditions) else None
            spec = cond.FIELDS.get(row.get("field")) if isinstance(row, dict) else None
            label = (
                _("Condition %(n)s (%(field)s)") % {"n": i + 1, "field": spec.label}
                if spec
                else _("Condition %(n)s") % {"n": i + 1}
            )
            messages = [f"{label}: {m}" for m in messages]
        named[key] = messages
    return named


def rule_clean(data: dict[str, Any]) -> dict[str, Any]:
    """The rule's fields, checked; ValidationFailed names every bad field."""
    errors: dict[str, list[str]] = {}
    T = CarePromptRule.Trigger
    out: dict[str, Any] = {
        key: (data.get(key) or "").strip()
        for key in ("name_zh", "name_en", "message_zh", "message_en")
    }
    for key in ("name_zh", "name_en"):
        if len(out[key]) > 80:
            errors[key] = [_("Keep the name within 80 characters.")]
    for key in ("message_zh", "message_en"):
        if len(out[key]) > 300:
            errors[key] = [_("Keep the message within 300 characters.")]
    if not out["name_zh"] and not out["name_en"]:
        errors["name_zh"] = [_("Give the rule a name in Chinese or English.")]
    trigger = data.get("trigger")
    if trigger not in T.values:
        errors["trigger"] = [_("Choose when the rule prompts.")]
    out["trigger"] = trigger
    audience = data.get("audience") or Audience.BOTH
    if audience not in Audience.values:
        errors["audience"] = [_("Choose whom the rule prompts.")]
    out["audience"] = audience
    if not out["message_zh"] and not out["message_en"]:
        errors["message_zh"] = [_("Write the message in Chinese or English.")]
    for key in ("message_zh", "message_en"):
        problems = evaluation.placeholder_errors(out[key], trigger)
        if problems and key not in errors:
            errors[key] = problems
    out["min_age"] = _int(
        data.get("min_age"), errors, "min_age", 1, 130, _("Enter an age between 1 and 130.")
    )
    tiers = data.get("tiers") or []
    if not isinstance(tiers, list) or any(t not in Customer.Tier.values for t in tiers):
        errors["tiers"] = [_("Choose value tiers from the list.")]
        tiers = []
    out["tiers"] = list(dict.fromkeys(tiers))
    conditions = data.get("conditions") or []
    if trigger == T.CONDITIONS and not conditions:
        errors["conditions"] = [_("Add at least one condition.")]
    elif conditions:
        errors.update(_condition_errors(conditions))
    out["conditions"] = conditions if isinstance(conditions, list) else []
    order = _int(
        data.get("order"), errors, "order", 0, 9999, _("Enter an order between 0 and 9999.")
    )
    out["order"] = 100 if order is None else order
    out["is_active"] = bool(data.get("is_active"))
    branch_id = data.get("branch_id") or None
    if branch_id is not None:
        branch = Unit.objects.filter(pk=branch_id, kind=Unit.Kind.BRANCH).first()
        if branch is None:
            errors["branch_id"] = [_("Choose a branch.")]
        branch_id = branch.pk if branch else None
    out["branch_id"] = branch_id
    if errors:
        raise ValidationFailed(errors)
    return out


def _require_manage(actor, branch_id: int | None) -> None:
    if not can_manage(actor, branch_id):
        if branch_id is None and scope_for(actor, Action.CARE_MANAGE):
            raise PermissionDenied(_("Only the bank's administrators change bank-wide rules."))
        raise PermissionDenied(_("You may not change care rules here."))


@transaction.atomic
def rule_save(*, actor, data: dict[str, Any], rule_id: int | None = None) -> CarePromptRule:
    """Create or change a care rule. Bank-wide rules (no branch) need the bank-wide grant;
    a branch manager edits the rules of their own branch."""
    if not scope_for(actor, Action.CARE_MANAGE):
        raise PermissionDenied(_("You may not change care rules."))
    if rule_id is not None:
        rule = CarePromptRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("No such rule."))
        _require_manage(actor, rule.branch_id)
        before = {key: getattr(rule, key) for key in RULE_FIELDS}
    else:
        rule, before = CarePromptRule(), None
    cleaned = rule_clean(data)
    _require_manage(actor, cleaned["branch_id"])
    for key, value in cleaned.items():
        setattr(rule, key, value)
    rule.updated_by = staff_of(actor)
    rule.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="care_rule",
        object_id=rule.pk,
        detail={"rule": cleaned, "before": before},
    )
    return rule


@transaction.atomic
def rule_toggle(*, actor, rule_id: int, is_active: bool | None = None) -> CarePromptRule:
    """Switch a rule on or off (flip it when `is_active` is not given)."""
    rule = CarePromptRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such rule."))
    _require_manage(actor, rule.branch_id)
    rule.is_active = (not rule.is_active) if is_active is None else bool(is_active)
    rule.updated_by = staff_of(actor)
    rule.save(update_fields=["is_active", "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="care_rule",
        object_id=rule.pk,
        detail={"is_active": rule.is_active},
    )
    return rule
