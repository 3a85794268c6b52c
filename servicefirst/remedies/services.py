"""Remedies: opening a remedy case for a missed commitment to a customer, its reason, the
apology, the gift (stock, budget, approval) and closing it. Every write is atomic, takes a
keyword-only `actor` (except `open_for_breach`, which the engine's breach signal drives), and
raises ValidationFailed naming the field for bad input with nothing changed.

Gift stock is decremented under a row lock with a conditional update, so concurrent gifts from
the same stock never take it below zero, and a remedy row lock plus the one-to-one grant make a
second gift for the same breach impossible. A gift that would take the unit's spending for the
month past its budget is recorded as waiting for approval; its stock is taken only when a
manager with REMEDY_APPROVE for that unit approves it.
"""

import datetime
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.commitments.models import Case, Commitment
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Customer, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.remedies.models import (
    Apology,
    ApologyTemplate,
    Channel,
    Gift,
    GiftBudget,
    GiftGrant,
    GiftStock,
    ReasonKind,
    RemedyCase,
)

log = logging.getLogger(__name__)

REASON_MAX = 2000
NOTE_MAX = 300
STOCK_ADD_MAX = 100_000

# Where an apology on each channel lands on the customer's timeline.
TIMELINE_CHANNEL = {
    Channel.COUNTER: Customer.Channel.BRANCH,
    Channel.PHONE: Customer.Channel.PHONE,
    Channel.SMS: Customer.Channel.SMS,
    Channel.LETTER: Customer.Channel.POST,
    Channel.EMAIL: Customer.Channel.EMAIL,
    Channel.WECHAT: Customer.Channel.WECHAT,
}


# --- access ----------------------------------------------------------------------------------


def may_act(actor, action: str, unit_id: int | None) -> bool:
    """Whether the actor may perform `action` for this unit (their own unit for a unit grant;
    any unit of their bank for a bank-wide one)."""
    scope = scope_for(actor, action)
    staff = staff_of(actor)
    if staff is None or scope == Scope.NONE or unit_id is None:
        return False
    if scope == Scope.ALL:
        return Unit.objects.filter(pk=unit_id, bank_id=staff.unit.bank_id).exists()
    return unit_id == staff.unit_id


def _remedy(actor, remedy_id, *, lock: bool = False) -> RemedyCase:
    rows = RemedyCase.objects.all()
    if lock:
        rows = rows.select_for_update()
    remedy = rows.filter(pk=remedy_id).first() if str(remedy_id).isdigit() else None
    if remedy is None or not may_act(actor, Action.REMEDY_WORK, remedy.unit_id):
        raise NotFound(_("No such remedy case."))
    return remedy


def _not_closed(remedy: RemedyCase) -> None:
    if remedy.status == RemedyCase.Status.CLOSED:
        raise ValidationFailed({"remedy": [_("This remedy case is closed.")]})


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


# --- opening ---------------------------------------------------------------------------------


def open_for_breach(case_ids) -> list[RemedyCase]:
    """Open a remedy case for each breached case of a customer whose commitment is to customers
    and whose version asks for a remedy. Idempotent: a case that has one keeps it. Returns the
    remedy cases opened now."""
    ids = [int(i) for i in case_ids or []]
    if not ids:
        return []
    cases = list(
        Case.objects.filter(
            pk__in=ids,
            state=Case.State.BREACHED,
            customer_id__isnull=False,
            version__remedy=True,
            commitment__beneficiary=Commitment.Beneficiary.CUSTOMERS,
            remedy__isnull=True,
        ).select_related("commitment")
    )
    customers = set(
        Customer.objects.filter(pk__in=[c.customer_id for c in cases]).values_list("pk", flat=True)
    )
    opened = []
    for case in cases:
        if case.customer_id not in customers:
            continue
        try:
            with transaction.atomic():
                opened.append(
                    RemedyCase.objects.create(
                        case=case,
                        customer_id=case.customer_id,
                        unit_id=case.unit_id or case.commitment.owner_id,
                        breached_at=case.breached_at
                        or case.due_at
                        or case.stopped_at
                        or timezone.now(),
                    )
                )
        except IntegrityError:  # opened meanwhile by another worker
            continue
    return opened


def on_case_breached(sender=None, case_ids=(), **kwargs) -> None:
    """Receiver of `commitments.signals.case_breached` (sent after the engine's commit). A
    failure here must not stop the engine: it is logged, and `open_for_breached_cases` in the
    demo / a rerun catches up."""
    try:
        open_for_breach(case_ids)
    except Exception:  # pragma: no cover - logged, the engine carries on
        log.exception("remedies: could not open remedy cases for %s", case_ids)


def open_for_breached_cases(*, since: datetime.datetime | None = None) -> int:
    """Open the remedy cases missing for cases already breached (e.g. breaches found before
    remedies listened). Returns how many were opened."""
    rows = Case.objects.filter(
        state=Case.State.BREACHED, customer_id__isnull=False, remedy__isnull=True
    )
    if since is not None:
        rows = rows.filter(breached_at__gte=since)
    total = 0
    ids = list(rows.values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        total += len(open_for_breach(ids[start : start + 1000]))
    return total


# --- reason, apology, closing ----------------------------------------------------------------


@transaction.atomic
def record_reason(*, actor, remedy_id, reason_kind: str, reason: str) -> RemedyCase:
    """Why the commitment was missed: objective (outside the bank's control) or subjective (our
    fault), and in words."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if reason_kind not in ReasonKind.values:
        errors["reason_kind"] = [_("Say whether the reason was objective or subjective.")]
    if not reason:
        errors["reason"] = [_("Describe the reason.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("Keep the reason to %(n)d characters.") % {"n": REASON_MAX}]
    if errors:
        raise ValidationFailed(errors)
    remedy = _remedy(actor, remedy_id, lock=True)
    _not_closed(remedy)
    remedy.reason_kind = reason_kind
    remedy.reason = reason
    remedy.handled_by = staff_of(actor)
    remedy.save(update_fields=["reason_kind", "reason", "handled_by"])
    return remedy


def customer_language(customer: Customer) -> str:
    """The language of the customer's apology: English when they prefer it, else Chinese."""
    return "en" if (customer.preferred_language or "").lower().startswith("en") else "zh"


def template_for(channel: str, language: str, reason_kind: str) -> ApologyTemplate | None:
    """The template for the channel in the language, for this kind of reason if there is one,
    else for any reason; in Chinese when none exists in the language."""
    rows = ApologyTemplate.objects.filter(channel=channel)
    for lang in dict.fromkeys((language, "zh")):
        for kind in dict.fromkeys((reason_kind or "", "")):
            template = rows.filter(language=lang, reason_kind=kind).first()
            if template is not None:
                return template
    return None


def _format_date(moment: datetime.datetime, language: str) -> str:
    local = timezone.localtime(moment)
    if language == "zh":
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.day} {local:%B} {local.year}"


def render_apology(remedy: RemedyCase, channel: str) -> tuple[str, str, str]:
    """(language, subject, text) of the apology on this channel, in the customer's language."""
    from servicefirst.floor.serving import greeting

    customer = remedy.customer
    language = customer_language(customer)
    template = template_for(channel, language, remedy.reason_kind)
    if template is None:
        raise ValidationFailed(
            {"channel": [_("There is no apology template for this channel yet.")]}
        )
    version = remedy.case.version
    unit = remedy.unit
    with translation.override("en" if template.language == "en" else "zh-hans"):
        values = {
            "name": greeting(customer) if template.language == "zh" else _english_name(customer),
            "commitment": version.statement_en
            if template.language == "en"
            else version.statement_zh,
            "date": _format_date(remedy.breached_at, template.language),
            "branch": unit.name_en if template.language == "en" else unit.name_zh,
        }
    return template.language, _fill(template.subject, values), _fill(template.body, values)


def _english_name(customer: Customer) -> str:
    name = customer.name_latin or customer.name_zh or customer.number
    title = {"M": "Mr", "F": "Ms"}.get(customer.gender or "")
    return f"{title} {name}" if title else name


def _fill(text: str, values: dict[str, str]) -> str:
    out = text or ""
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


@transaction.atomic
def apologise(*, actor, remedy_id, channel: str, now=None) -> Apology:
    """Give the apology on a channel (sent, or handed over at the counter / said on the phone),
    rendered in the customer's language, and record it on the customer's timeline."""
    if channel not in Channel.values:
        raise ValidationFailed({"channel": [_("Choose how the apology reaches the customer.")]})
    remedy = _remedy(actor, remedy_id, lock=True)
    _not_closed(remedy)
    now = now or timezone.now()
    language, subject, text = render_apology(remedy, channel)
    staff = staff_of(actor)
    apology = Apology.objects.create(
        remedy=remedy,
        channel=channel,
        language=language,
        subject=subject,
        text=text,
        sent_at=now,
        by=staff,
    )
    with translation.override(django_settings.LANGUAGE_CODE):
        summary = _("Apology (%(channel)s) for a missed commitment: %(statement)s") % {
            "channel": Channel(channel).label,
            "statement": remedy.case.version.statement_zh,
        }
    entry = interaction_record(
        customer=remedy.customer,
        kind=Interaction.Kind.APOLOGY,
        actor=actor,
        summary=summary,
        channel=TIMELINE_CHANNEL[channel],
        outcome="apology",
        occurred_at=now,
        detail={
            "remedy": remedy.pk,
            "apology": apology.pk,
            "commitment": remedy.case.commitment.code,
            "language": language,
            "text": text[:1000],
        },
    )
    apology.interaction_id = entry.pk
    apology.save(update_fields=["interaction_id"])
    fields = ["handled_by"]
    remedy.handled_by = staff
    if remedy.apologised_at is None:
        remedy.apologised_at = now
        fields.append("apologised_at")
    if remedy.status == RemedyCase.Status.OPEN:
        remedy.status = RemedyCase.Status.EXPLAINED
        fields.append("status")
    remedy.save(update_fields=fields)
    return apology


@transaction.atomic
def remedy_close(*, actor, remedy_id, note: str = "", now=None) -> RemedyCase:
    """Close the remedy: the reason is recorded and the customer has had an apology; a gift
    waiting for approval must be decided first."""
    note = (note or "").strip()
    remedy = _remedy(actor, remedy_id, lock=True)
    _not_closed(remedy)
    errors: dict[str, list[str]] = {}
    if not remedy.reason_kind:
        errors["reason_kind"] = [_("Record the reason before closing.")]
    if remedy.apologised_at is None:
        errors["channel"] = [_("Apologise to the customer before closing.")]
    grant = GiftGrant.objects.filter(remedy=remedy).first()
    if grant is not None and grant.approval_status == GiftGrant.Approval.PENDING:
        errors["gift"] = [_("The gift is still waiting for a manager's approval.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("Keep the note to %(n)d characters.") % {"n": NOTE_MAX}]
    if errors:
        raise ValidationFailed(errors)
    remedy.status = RemedyCase.Status.CLOSED
    remedy.closed_at = now or timezone.now()
    remedy.close_note = note
    remedy.handled_by = staff_of(actor) or remedy.handled_by
    remedy.save(update_fields=["status", "closed_at", "close_note", "handled_by"])
    return remedy


# --- gifts -----------------------------------------------------------------------------------


def month_spending(unit_id: int, month: datetime.date) -> tuple[Decimal, Decimal]:
    """(spent, pending) on gifts at the unit in the month."""
    rows = GiftGrant.objects.filter(unit_id=unit_id, month=month)
    spent = rows.filter(approval_status__in=GiftGrant.SPENT).aggregate(s=Sum("cost"))["s"]
    pending = rows.filter(approval_status=GiftGrant.Approval.PENDING).aggregate(s=Sum("cost"))["s"]
    return spent or Decimal(0), pending or Decimal(0)


def month_budget(unit_id: int, month: datetime.date, *, lock: bool = False) -> Decimal:
    rows = GiftBudget.objects.filter(unit_id=unit_id, month=month)
    if lock:
        rows = rows.select_for_update()
    budget = rows.first()
    return budget.amount if budget is not None else Decimal(0)


def _take_stock(unit_id: int, gift: Gift) -> None:
    """One item off the unit's stock of the gift, under a row lock; never below zero."""
    stock = GiftStock.objects.select_for_update().filter(unit_id=unit_id, gift=gift).first()
    taken = (
        GiftStock.objects.filter(pk=stock.pk, quantity__gt=0).update(quantity=F("quantity") - 1)
        if stock is not None
        else 0
    )
    if not taken:
        raise ValidationFailed({"gift": [_("%(gift)s is out of stock.") % {"gift": gift}]})


def _gift(gift_id) -> Gift:
    gift = (
        Gift.objects.filter(pk=gift_id, is_active=True).first() if str(gift_id).isdigit() else None
    )
    if gift is None:
        raise ValidationFailed({"gift": [_("Choose one of the gifts offered.")]})
    return gift


@transaction.atomic
def give_gift(*, actor, remedy_id, gift_id, now=None) -> GiftGrant:
    """Give a gift from the stock of the unit that missed. Within the month's budget the stock
    is taken now; over it, the grant waits for a manager's approval. One gift per breach."""
    now = now or timezone.now()
    gift = _gift(gift_id)
    remedy = _remedy(actor, remedy_id, lock=True)
    _not_closed(remedy)
    existing = GiftGrant.objects.filter(remedy=remedy).first()
    if existing is not None and existing.approval_status != GiftGrant.Approval.REJECTED:
        raise ValidationFailed(
            {"gift": [_("A gift has already been given for this breach: %(gift)s.") % {
                "gift": existing.gift
            }]}
        )  # fmt: skip
    month = first_of_month(timezone.localdate(now))
    budget = month_budget(remedy.unit_id, month, lock=True)  # serialises the unit's grants
    spent, pending = month_spending(remedy.unit_id, month)
    within = spent + gift.unit_cost <= budget
    if within:
        _take_stock(remedy.unit_id, gift)
    elif not GiftStock.objects.filter(unit_id=remedy.unit_id, gift=gift, quantity__gt=0).exists():
        raise ValidationFailed({"gift": [_("%(gift)s is out of stock.") % {"gift": gift}]})
    fields = {
        "gift": gift,
        "unit_id": remedy.unit_id,
        "month": month,
        "cost": gift.unit_cost,
        "given_at": now,
        "given_by": staff_of(actor),
        "approval_status": (
            GiftGrant.Approval.NOT_NEEDED if within else GiftGrant.Approval.PENDING
        ),
        "approved_by": None,
        "approved_at": None,
        "decision_note": "",
    }
    try:
        with transaction.atomic():
            if existing is not None:  # a rejected gift: choose again
                for name, value in fields.items():
                    setattr(existing, name, value)
                existing.save()
                return existing
            return GiftGrant.objects.create(remedy=remedy, **fields)
    except IntegrityError as exc:
        raise ValidationFailed(
            {"gift": [_("A gift has already been given for this breach.")]}
        ) from exc


def _grant_to_decide(actor, grant_id) -> GiftGrant:
    grant = (
        GiftGrant.objects.select_for_update().filter(pk=grant_id).first()
        if str(grant_id).isdigit()
        else None
    )
    if grant is None or not (
        may_act(actor, Action.REMEDY_APPROVE, grant.unit_id)
        or may_act(actor, Action.REMEDY_WORK, grant.unit_id)
    ):
        raise NotFound(_("No such gift."))
    if not may_act(actor, Action.REMEDY_APPROVE, grant.unit_id):
        raise PermissionDenied(_("Only a manager of the unit may approve gifts over budget."))
    if grant.approval_status != GiftGrant.Approval.PENDING:
        raise ValidationFailed({"grant": [_("This gift is not waiting for approval.")]})
    return grant


@transaction.atomic
def grant_approve(*, actor, grant_id, note: str = "", now=None) -> GiftGrant:
    """A manager approves a gift over budget: the stock is taken now."""
    note = (note or "").strip()[:NOTE_MAX]
    grant = _grant_to_decide(actor, grant_id)
    month_budget(grant.unit_id, grant.month, lock=True)
    _take_stock(grant.unit_id, grant.gift)
    grant.approval_status = GiftGrant.Approval.APPROVED
    grant.approved_by = staff_of(actor)
    grant.approved_at = now or timezone.now()
    grant.decision_note = note
    grant.save(update_fields=["approval_status", "approved_by", "approved_at", "decision_note"])
    return grant


@transaction.atomic
def grant_reject(*, actor, grant_id, note: str = "", now=None) -> GiftGrant:
    """A manager declines a gift over budget (a cheaper one may be chosen instead)."""
    note = (note or "").strip()[:NOTE_MAX]
    grant = _grant_to_decide(actor, grant_id)
    grant.approval_status = GiftGrant.Approval.REJECTED
    grant.approved_by = staff_of(actor)
    grant.approved_at = now or timezone.now()
    grant.decision_note = note
    grant.save(update_fields=["approval_status", "approved_by", "approved_at", "decision_note"])
    return grant


# --- stock and budgets -----------------------------------------------------------------------


def _manage_unit(actor, unit_id) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first() if str(unit_id).isdigit() else None
    if unit is None:
        raise ValidationFailed({"unit": [_("No such unit.")]})
    if not may_act(actor, Action.GIFT_MANAGE, unit.pk):
        raise PermissionDenied(_("You may not manage the gifts of this unit."))
    return unit


@transaction.atomic
def stock_add(*, actor, unit_id, gift_id, quantity) -> GiftStock:
    """Add delivered items to a unit's stock of a gift (a negative number corrects a count,
    never below zero)."""
    unit = _manage_unit(actor, unit_id)
    gift = _gift(gift_id)
    try:
        n = int(str(quantity).strip())
    except ValueError:
        n = None
    if n is None or n == 0 or abs(n) > STOCK_ADD_MAX:
        raise ValidationFailed({"quantity": [_("Enter how many items to add (a whole number).")]})
    stock, _created = GiftStock.objects.select_for_update().get_or_create(unit=unit, gift=gift)
    if stock.quantity + n < 0:
        raise ValidationFailed(
            {"quantity": [_("Only %(n)d in stock: cannot remove more.") % {"n": stock.quantity}]}
        )
    stock.quantity += n
    stock.save(update_fields=["quantity"])
    return stock


def _month(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date().replace(day=1)  # noqa: DTZ007
        except ValueError:
            continue
    return None


@transaction.atomic
def budget_set(*, actor, unit_id, month, amount) -> GiftBudget:
    """Set a unit's gift budget for a month (YYYY-MM)."""
    unit = _manage_unit(actor, unit_id)
    errors: dict[str, list[str]] = {}
    first = _month(month)
    if first is None:
        errors["month"] = [_("Give the month as YYYY-MM.")]
    try:
        value = Decimal(str(amount).strip())
        if not value.is_finite() or value < 0 or value >= Decimal("100000000"):
            raise InvalidOperation
        value = value.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["amount"] = [_("Enter the budget in yuan (0 or more).")]
        value = None
    if errors:
        raise ValidationFailed(errors)
    budget, _created = GiftBudget.objects.update_or_create(
        unit=unit, month=first, defaults={"amount": value}
    )
    return budget
