"""Writes of the proactive lobby. Every function is atomic, takes a keyword-only `actor`,
checks the permission matrix and records what it did (on the customer's timeline, and for the
branch's live pages)."""

import datetime
import functools
from collections.abc import Callable
from typing import Any

import holidays
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Role, Staff, Unit
from servicefirst.accounts.permissions import (
    Action,
    allows_customer,
    allows_unit,
    scope_for,
    staff_of,
)
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers import fields as f
from servicefirst.customers import services as customer_services
from servicefirst.customers.models import (
    Campaign,
    Consent,
    Customer,
    CustomerPhone,
    CustomerTask,
    Interaction,
)
from servicefirst.floor.live import notify_floor
from servicefirst.lobby.models import FollowUp, Greeting, Handoff, Recognition, WalkIn

CONSENT_SOURCE = "lobby walk-in"
# Consents that allow the bank to contact a customer with a greeting.
CONTACT_CONSENTS = (
    Consent.Kind.MARKETING,
    Consent.Kind.SMS,
    Consent.Kind.EMAIL,
    Consent.Kind.PHONE,
)
GREETING_BATCH = 2000
# Customer fields of a new prospect → the walk-in form's fields, for error messages.
PROSPECT_FIELDS = {
    "name_zh": "name",
    "name_latin": "name",
    "phones": "phone",
    "employer": "company",
    "occupation": "job_title",
}
Progress = Callable[[str, int, int | None], None]


def _noop(stage: str, done: int, total: int | None) -> None:
    pass


def _branch_for(actor, action: str, branch_id: int | None, message: str) -> Unit:
    """The branch the actor works at for this action: the given one if allowed, else their own."""
    staff = staff_of(actor)
    if branch_id is None:
        branch_id = staff.unit_id if staff else None
    if branch_id is None or not allows_unit(actor, action, branch_id):
        raise PermissionDenied(message)
    branch = Unit.objects.filter(pk=branch_id, kind=Unit.Kind.BRANCH).first()
    if branch is None:
        raise NotFound(_("No such branch."))
    return branch


def _clean_text(data: dict, key: str, limit: int, errors: dict) -> str:
    value = str(data.get(key) or "").strip()
    if len(value) > limit:
        errors[key] = [
            _("At most %(limit)d characters (this has %(n)d).") % {"limit": limit, "n": len(value)}
        ]
    return value


def _parse_consent(value: Any) -> bool | None:
    if value in (True, False):
        return value
    text = str(value or "").strip().lower()
    if text in {"yes", "true", "1", "on"}:
        return True
    if text in {"no", "false", "0", "off"}:
        return False
    return None


def _visitor_name_fields(name: str) -> dict[str, str]:
    return {"name_zh": name} if f.has_cjk(name) else {"name_latin": name}


def _find_customer_by_phone(e164: str) -> Customer | None:
    phone = (
        CustomerPhone.objects.filter(e164=e164, customer__merged_into__isnull=True)
        .select_related("customer")
        .order_by("-is_primary", "-customer__updated_at")
        .first()
    )
    return phone.customer if phone else None


# --- walk-ins --------------------------------------------------------------------------------


@transaction.atomic
def walkin_register(*, actor, data: dict[str, Any], branch_id: int | None = None) -> WalkIn:
    """Register a visitor met in the lobby.

    `data`: name, phone, company, job_title, email, need_service (id), need_text, channel,
    campaign (id), consent ("yes"/"no", required as soon as any contact detail is given),
    outcome. A phone that belongs to a customer links the walk-in to that customer; otherwise a
    visitor who gives a name becomes a new prospect (a Customer with lifecycle "potential").
    Consent is recorded only when the visitor says yes: no consent, no marketing. The visit goes
    on the customer's timeline."""
    from servicefirst.floor.models import Service

    branch = _branch_for(actor, Action.LOBBY_WORK, branch_id, _("You may not register walk-ins."))
    errors: dict[str, list[str]] = {}
    name = _clean_text(data, "name", 60, errors)
    company = _clean_text(data, "company", 120, errors)
    job_title = _clean_text(data, "job_title", 80, errors)
    need_text = _clean_text(data, "need_text", 200, errors)
    email = _clean_text(data, "email", 254, errors).lower()
    if email:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("“%(value)s” is not an e-mail address.") % {"value": email}]
    e164 = ""
    if str(data.get("phone") or "").strip():
        try:
            e164 = f.normalise_phone(str(data["phone"]))
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    channel = str(data.get("channel") or "").strip()
    if channel not in WalkIn.Channel.values:
        errors["channel"] = [_("Choose what brought the visitor in.")]
    outcome = str(data.get("outcome") or WalkIn.Outcome.MET)
    if outcome not in WalkIn.Outcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    service = None
    if data.get("need_service"):
        service = Service.objects.filter(pk=_int(data["need_service"]), is_active=True).first()
        if service is None:
            errors["need_service"] = [_("No such service.")]
    campaign = None
    if data.get("campaign"):
        campaign = Campaign.objects.filter(pk=_int(data["campaign"])).first()
        if campaign is None:
            errors["campaign"] = [_("No such campaign.")]
    consent = _parse_consent(data.get("consent"))
    has_contact = bool(e164 or email or name or company)
    if has_contact and consent is None:
        errors["consent"] = [_("Ask whether the visitor agrees to be contacted: yes or no.")]
    if errors:
        raise ValidationFailed(errors)

    customer = _find_customer_by_phone(e164) if e164 else None
    created = False
    if customer is None and (name or email or company or e164):
        if not name:
            raise ValidationFailed(
                {"name": [_("Enter the visitor's name (no customer has this phone number).")]}
            )
        try:
            customer = customer_services.customer_create(
                actor=actor,
                data={
                    **_visitor_name_fields(name),
                    "phones": [e164] if e164 else [],
                    "email": email,
                    "employer": company,
                    "occupation": job_title,
                    "lifecycle": Customer.Lifecycle.POTENTIAL,
                    "lifecycle_reason": _("Walk-in at %(branch)s") % {"branch": branch.name_zh},
                    "home_branch_id": branch.pk,
                },
            )
        except ValidationFailed as exc:  # name the walk-in form's fields
            raise ValidationFailed(
                {PROSPECT_FIELDS.get(k, k): v for k, v in exc.errors.items()}
            ) from exc
        created = True
    elif customer is not None:
        # The lobby manager now sees who this is: a look at a customer's record.
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
            detail={"via": "lobby walk-in", "matched": "phone"},
        )

    staff = staff_of(actor)
    now = timezone.now()
    walk_in = WalkIn.objects.create(
        branch=branch,
        registered_by=staff,
        at=now,
        day=timezone.localdate(now),
        customer=customer,
        created_prospect=created,
        name=name,
        phone=e164,
        company=company,
        job_title=job_title,
        email=email,
        need_service=service,
        need_text=need_text,
        channel=channel,
        campaign=campaign,
        consent=consent if has_contact else None,
        outcome=outcome,
    )
    if customer is not None:
        if consent:
            _record_consent(actor, customer)
        need = walk_in.need
        interaction_summary = _("Walk-in (%(channel)s)") % {
            "channel": walk_in.get_channel_display()
        } + (f": {need}" if need else "")
        customer_services.interaction_record(
            customer=customer,
            kind=Interaction.Kind.VISIT,
            actor=actor,
            summary=interaction_summary,
            channel=Customer.Channel.BRANCH,
            occurred_at=now,
            campaign=campaign,
            detail={
                "walk_in": walk_in.pk,
                "branch": branch.pk,
                "channel": channel,
                "new_prospect": created,
                "consent": consent,
            },
        )
    notify_floor(branch.pk, "lobby")
    return walk_in


def _record_consent(actor, customer: Customer) -> None:
    """The visitor said yes to being contacted: a marketing consent from the lobby, recorded on
    the customer whichever branch they bank with (what the customer says is recorded by whoever
    serves them)."""
    customer_services.consent_set(
        actor=actor,
        customer_id=customer.pk,
        kind=Consent.Kind.MARKETING,
        granted=True,
        source=CONSENT_SOURCE,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- hand-offs -------------------------------------------------------------------------------


def branch_rms(branch_id: int):
    return Staff.objects.filter(
        unit_id=branch_id, roles__role=Role.RELATIONSHIP_MANAGER, user__is_active=True
    ).distinct()


def _parse_day(value: Any, field: str, errors: dict) -> datetime.date | None:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    text = str(value or "").strip()
    if not text:
        errors[field] = [_("Enter a due date.")]
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors[field] = [_("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": text}]
        return None


@transaction.atomic
def handoff_create(
    *,
    actor,
    assigned_to_id: int,
    due_on: Any,
    walk_in_id: int | None = None,
    customer_id: int | None = None,
    note: str = "",
) -> Handoff:
    """Hand a walk-in (or a customer) to a relationship manager of the branch, due on a day that
    is not in the past. The RM sees it in their task list (and on the customer's tasks); the
    manager's board shows it once it is overdue."""
    walk_in = None
    if walk_in_id:
        walk_in = (
            WalkIn.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=walk_in_id)
        ).first()
        if walk_in is None:
            raise NotFound(_("No such walk-in."))
        branch = _branch_for(
            actor, Action.LOBBY_WORK, walk_in.branch_id, _("You may not hand over prospects.")
        )
        if walk_in.customer_id is None:
            raise ValidationFailed(
                {
                    "walk_in": [
                        _("This visitor left no name or phone: there is no one to hand over.")
                    ]
                }
            )
        customer = walk_in.customer
    else:
        branch = _branch_for(actor, Action.LOBBY_WORK, None, _("You may not hand over prospects."))
        customer = Customer.objects.filter(pk=customer_id or 0, merged_into__isnull=True).first()
        if customer is None:
            raise ValidationFailed({"customer": [_("Choose the customer to hand over.")]})
    errors: dict[str, list[str]] = {}
    rm = branch_rms(branch.pk).filter(pk=_int(assigned_to_id) or 0).first()
    if rm is None:
        errors["assigned_to"] = [_("Choose a relationship manager of this branch.")]
    day = _parse_day(due_on, "due_on", errors)
    if day is not None and day < timezone.localdate():
        errors["due_on"] = [_("The due date cannot be in the past.")]
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = [
            _("At most %(limit)d characters (this has %(n)d).") % {"limit": 300, "n": len(note)}
        ]
    if errors:
        raise ValidationFailed(errors)
    if (
        Handoff.objects.filter(customer=customer, assigned_to=rm, status=Handoff.Status.OPEN)
        .filter(Q(walk_in=walk_in) if walk_in else Q())
        .exists()
    ):
        raise ValidationFailed(
            {"assigned_to": [_("This customer is already handed to this relationship manager.")]}
        )
    # A new prospect without a relationship manager gets this one (who may then see and
    # edit the record, and reveal the phone number to call).
    if (
        customer.relationship_manager_id is None
        and customer.lifecycle == Customer.Lifecycle.POTENTIAL
        and allows_customer(actor, Action.CUSTOMER_EDIT, customer)
    ):
        customer_services.customer_update(
            actor=actor, customer_id=customer.pk, data={"relationship_manager_id": rm.pk}
        )
    task = customer_services.task_add(
        actor=actor,
        customer_id=customer.pk,
        title=(_("Lobby hand-off: %(note)s") % {"note": note}) if note else _("Lobby hand-off"),
        due_on=day,
        assigned_to_id=rm.pk,
    )
    handoff = Handoff.objects.create(
        branch=branch,
        walk_in=walk_in,
        customer=customer,
        assigned_to=rm,
        created_by=staff_of(actor),
        due_on=day,
        note=note,
        task=task,
    )
    if walk_in is not None and walk_in.outcome != WalkIn.Outcome.HANDED_OFF:
        walk_in.outcome = WalkIn.Outcome.HANDED_OFF
        walk_in.save(update_fields=["outcome"])
    customer_services.interaction_record(
        customer=customer,
        kind=Interaction.Kind.NOTE,
        actor=actor,
        summary=_("Handed to relationship manager %(rm)s, due %(due)s")
        % {"rm": rm.name, "due": day.isoformat()}
        + (f" — {note}" if note else ""),
        detail={"handoff": handoff.pk},
    )
    notify_floor(branch.pk, "lobby")
    return handoff


def _may_work(actor, obj) -> bool:
    staff = staff_of(actor)
    if staff is None:
        return False
    if obj.assigned_to_id == staff.pk and scope_for(actor, Action.FOLLOWUP_WORK) > 0:
        return True
    return allows_unit(actor, Action.LOBBY_WORK, obj.branch_id)


def _close_task(task_id: int | None, status: str) -> None:
    if task_id:
        CustomerTask.objects.filter(pk=task_id, status=CustomerTask.Status.OPEN).update(
            status=status
        )


@transaction.atomic
def handoff_complete(
    *, actor, handoff_id: int, outcome: str, note: str = "", cancel: bool = False
) -> Handoff:
    """Close a hand-off: done with an outcome (met, became a customer, not interested, could not
    reach), or cancelled. The assigned RM or the branch's lobby staff may close it."""
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=handoff_id)
    ).first()
    if handoff is None or not (
        _may_work(actor, handoff) or allows_unit(actor, Action.FOLLOWUP_WORK, handoff.branch_id)
    ):
        raise NotFound(_("No such hand-off."))
    if not _may_work(actor, handoff):
        raise PermissionDenied(_("Only the assigned relationship manager may close this hand-off."))
    if handoff.status != Handoff.Status.OPEN:
        raise ValidationFailed({"status": [_("This hand-off is already closed.")]})
    errors = {}
    if not cancel and outcome not in Handoff.Outcome.values:
        errors["outcome"] = [_("Choose what came of the hand-off.")]
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = [
            _("At most %(limit)d characters (this has %(n)d).") % {"limit": 300, "n": len(note)}
        ]
    if errors:
        raise ValidationFailed(errors)
    handoff.status = Handoff.Status.CANCELLED if cancel else Handoff.Status.DONE
    handoff.outcome = "" if cancel else outcome
    handoff.outcome_note = note
    handoff.done_at = timezone.now()
    handoff.save(update_fields=["status", "outcome", "outcome_note", "done_at"])
    _close_task(
        handoff.task_id,
        CustomerTask.Status.CANCELLED if cancel else CustomerTask.Status.DONE,
    )
    label = _("cancelled") if cancel else Handoff.Outcome(outcome).label
    customer_services.interaction_record(
        customer=handoff.customer,
        kind=Interaction.Kind.NOTE,
        actor=actor,
        summary=_("Lobby hand-off closed: %(outcome)s") % {"outcome": label}
        + (f" — {note}" if note else ""),
        detail={"handoff": handoff.pk, "outcome": handoff.outcome, "status": handoff.status},
    )
    notify_floor(handoff.branch_id, "lobby")
    return handoff


# --- follow-ups ------------------------------------------------------------------------------


def _parse_moment(value: Any, errors: dict) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            errors["due_at"] = [_("Enter when the follow-up is due.")]
            return None
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            errors["due_at"] = [
                _("“%(value)s” is not a date and time; use YYYY-MM-DD HH:MM.") % {"value": text}
            ]
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@transaction.atomic
def followup_create(
    *,
    actor,
    customer_id: int,
    kind: str,
    due_at: Any,
    assigned_to_id: int | None = None,
    note: str = "",
    walk_in_id: int | None = None,
) -> FollowUp:
    """Plan an after-hours follow-up visit or call. Anyone who works follow-ups may plan one for
    themselves; lobby staff may assign one to any colleague of the branch."""
    staff = staff_of(actor)
    if staff is None or scope_for(actor, Action.FOLLOWUP_WORK) == 0:
        raise PermissionDenied(_("You may not plan follow-ups."))
    branch = staff.unit
    customer = Customer.objects.filter(pk=_int(customer_id) or 0, merged_into__isnull=True).first()
    errors: dict[str, list[str]] = {}
    if customer is None:
        errors["customer"] = [_("Choose the customer to follow up.")]
    if kind not in FollowUp.Kind.values:
        errors["kind"] = [_("Choose a visit or a call.")]
    elif kind == FollowUp.Kind.CALL and customer is not None and customer.do_not_call:
        errors["kind"] = [_("This customer asked not to be called.")]
    due = _parse_moment(due_at, errors)
    if due is not None and due < timezone.now() - datetime.timedelta(minutes=1):
        errors["due_at"] = [_("The follow-up cannot be due in the past.")]
    assignee = staff
    if assigned_to_id and _int(assigned_to_id) != staff.pk:
        if not allows_unit(actor, Action.LOBBY_WORK, branch.pk):
            raise PermissionDenied(_("You may plan follow-ups only for yourself."))
        assignee = Staff.objects.filter(pk=_int(assigned_to_id) or 0, unit=branch).first()
        if assignee is None:
            errors["assigned_to"] = [_("Choose a colleague of this branch.")]
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = [
            _("At most %(limit)d characters (this has %(n)d).") % {"limit": 300, "n": len(note)}
        ]
    walk_in = None
    if walk_in_id:
        walk_in = WalkIn.objects.filter(pk=_int(walk_in_id) or 0, branch=branch).first()
        if walk_in is None:
            errors["walk_in"] = [_("No such walk-in.")]
    if errors:
        raise ValidationFailed(errors)
    kind_label = FollowUp.Kind(kind).label
    task = customer_services.task_add(
        actor=actor,
        customer_id=customer.pk,
        title=_("Follow-up %(kind)s, %(when)s")
        % {"kind": kind_label, "when": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}
        + (f": {note}" if note else ""),
        due_on=timezone.localdate(due),
        assigned_to_id=assignee.pk,
    )
    followup = FollowUp.objects.create(
        branch=branch,
        customer=customer,
        walk_in=walk_in,
        kind=kind,
        due_at=due,
        assigned_to=assignee,
        created_by=staff,
        note=note,
        task=task,
    )
    if walk_in is not None and walk_in.outcome == WalkIn.Outcome.MET:
        walk_in.outcome = WalkIn.Outcome.FOLLOW_UP
        walk_in.save(update_fields=["outcome"])
    notify_floor(branch.pk, "lobby")
    return followup


@transaction.atomic
def followup_complete(*, actor, followup_id: int, result: str, cancel: bool = False) -> FollowUp:
    """Record how a follow-up went (or cancel it); the visit or call goes on the timeline."""
    followup = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=followup_id)
    ).first()
    if followup is None or not _may_work(actor, followup):
        raise NotFound(_("No such follow-up."))
    if followup.status != FollowUp.Status.OPEN:
        raise ValidationFailed({"status": [_("This follow-up is already closed.")]})
    result = (result or "").strip()
    if not cancel and not result:
        raise ValidationFailed({"result": [_("Write how the follow-up went.")]})
    if len(result) > 300:
        raise ValidationFailed(
            {
                "result": [
                    _("At most %(limit)d characters (this has %(n)d).")
                    % {"limit": 300, "n": len(result)}
                ]
            }
        )
    followup.status = FollowUp.Status.CANCELLED if cancel else FollowUp.Status.DONE
    followup.result = result
    followup.done_at = timezone.now()
    followup.save(update_fields=["status", "result", "done_at"])
    _close_task(
        followup.task_id,
        CustomerTask.Status.CANCELLED if cancel else CustomerTask.Status.DONE,
    )
    if not cancel:
        is_call = followup.kind == FollowUp.Kind.CALL
        customer_services.interaction_record(
            customer=followup.customer,
            kind=Interaction.Kind.CALL if is_call else Interaction.Kind.VISIT,
            actor=actor,
            summary=_("Follow-up %(kind)s: %(result)s")
            % {"kind": followup.get_kind_display(), "result": result},
            channel=Customer.Channel.PHONE if is_call else "",
            detail={"followup": followup.pk},
        )
    return followup


# --- arrivals --------------------------------------------------------------------------------

ARRIVALS_MINUTES = 30
ARRIVALS_SHOWN = 8


def arrivals_seen(*, actor, branch_id: int | None = None) -> list:
    """Customers who took a ticket at the branch in the last half hour and are still waiting,
    newest first: the lobby manager greets them by name. Showing them is a view of the
    customers: audit-logged once per ticket and lobby manager."""
    from servicefirst.floor.models import Ticket

    branch = _branch_for(actor, Action.LOBBY_WORK, branch_id, _("You may not work in this lobby."))
    since = timezone.now() - datetime.timedelta(minutes=ARRIVALS_MINUTES)
    tickets = list(
        Ticket.objects.filter(
            branch=branch,
            day=timezone.localdate(),
            status=Ticket.Status.WAITING,
            customer__isnull=False,
            customer__merged_into__isnull=True,
            transferred_from__isnull=True,
            issued_at__gte=since,
        )
        .select_related("customer", "service")
        .order_by("-issued_at")[:ARRIVALS_SHOWN]
    )
    if not tickets:
        return []
    user = actor if getattr(actor, "is_authenticated", False) else None
    seen = set(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CUSTOMER_VIEW,
            actor=user,
            object_type="ticket",
            object_id__in=[str(t.pk) for t in tickets],
        ).values_list("object_id", flat=True)
    )
    for ticket in tickets:
        if str(ticket.pk) in seen:
            continue
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="ticket",
            object_id=ticket.pk,
            customer_id=ticket.customer_id,
            detail={"ticket": ticket.pk, "view": "lobby arrivals", "number": ticket.number},
        )
    return tickets


# --- recognitions ----------------------------------------------------------------------------


@transaction.atomic
def recognition_record(*, actor, customer_id: int, ticket_id: int | None = None) -> Recognition:
    """A teller or lobby manager recognised this customer. Once per staff member, customer and
    day: recording it again returns the same row."""
    from servicefirst.floor.models import Ticket

    staff = staff_of(actor)
    if staff is None or not (
        allows_unit(actor, Action.FLOOR_SERVE, staff.unit_id)
        or allows_unit(actor, Action.LOBBY_WORK, staff.unit_id)
    ):
        raise PermissionDenied(_("You may not record recognitions."))
    customer = Customer.objects.filter(pk=_int(customer_id) or 0, merged_into__isnull=True).first()
    if customer is None or scope_for(actor, Action.CUSTOMER_VIEW) == 0:
        raise NotFound(_("No such customer."))
    ticket = None
    if ticket_id:
        ticket = Ticket.objects.filter(pk=_int(ticket_id) or 0, branch_id=staff.unit_id).first()
        if ticket is None:
            raise ValidationFailed({"ticket_id": [_("No such ticket at this branch.")]})
    now = timezone.now()
    day = timezone.localdate(now)
    existing = Recognition.objects.filter(staff=staff, customer=customer, day=day).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Recognition.objects.create(
                staff=staff,
                customer=customer,
                branch_id=staff.unit_id,
                at=now,
                day=day,
                ticket=ticket,
            )
    except IntegrityError:  # recorded by a parallel click
        return Recognition.objects.get(staff=staff, customer=customer, day=day)


# --- greetings -------------------------------------------------------------------------------

# Holidays on which the bank does not send a greeting: Qingming is a day of remembering the
# dead ("happy Qingming" would be tactless), and New Year's Eve is folded into the Spring
# Festival greeting the next day. Keys are the package's own (Chinese) names.
HOLIDAYS_NOT_GREETED = frozenset({"清明节", "农历除夕"})


def _substituted_prefix() -> str:
    from holidays.countries.china import ChinaStaticHolidays

    return ChinaStaticHolidays.substituted_label.split("%s")[0].strip()


def holiday_occasions(day: datetime.date) -> list[tuple[str, str]]:
    """The Chinese public holidays that begin on `day`, lunar ones included, as (English name,
    Chinese name) from the `holidays` package: a holiday is greeted once, on its first day.
    Days off moved to make up a long weekend (调休) and the holidays above are not greeted."""
    years = [day.year - 1, day.year] if day.month == 1 and day.day == 1 else [day.year]
    native = holidays.country_holidays("CN", years=years, observed=False, language="zh_CN")
    english = holidays.country_holidays("CN", years=years, observed=False, language="en_US")
    prefix = _substituted_prefix()
    previous = set(native.get_list(day - datetime.timedelta(days=1)))
    out = []
    for zh, en in zip(native.get_list(day), english.get_list(day), strict=False):
        if zh.startswith(prefix) or zh in HOLIDAYS_NOT_GREETED or zh in previous:
            continue
        out.append((en, zh))
    return out


# Chinese name of a holiday → the greeting in English source text (translated to Chinese in
# the lobby's catalogue). Others get a general greeting.
def _holiday_message(zh_name: str) -> str:
    messages = {
        "春节": _(
            "Dear %(name)s, happy Spring Festival! We wish you and your family a prosperous "
            "new year."
        ),
        "中秋节": _(
            "Dear %(name)s, happy Mid-Autumn Festival! May your family be together under the "
            "full moon."
        ),
        "端午节": _("Dear %(name)s, we wish you good health this Dragon Boat Festival."),
        "国庆节": _("Dear %(name)s, happy National Day!"),
        "元旦": _("Dear %(name)s, happy New Year! All the best for the year ahead."),
        "劳动节": _("Dear %(name)s, happy Labour Day! Enjoy a well-earned rest."),
    }
    return messages.get(zh_name) or _("Dear %(name)s, our best wishes on %(holiday)s!")


@functools.lru_cache(maxsize=256)
def _greeting_template(occasion: str, occasion_zh: str, zh: bool) -> str:
    """The greeting for an occasion in Chinese or English, with %(name)s still to fill (the
    translation is looked up once per occasion and language, not once per customer)."""
    with translation.override("zh-hans" if zh else "en"):
        if occasion == Greeting.BIRTHDAY:
            template = _("Dear %(name)s, happy birthday! Warm wishes from all of us at the bank.")
        else:
            template = _holiday_message(occasion_zh)
        holiday = occasion_zh if zh else occasion
        return template.replace("%(holiday)s", holiday)


def _greeting_text(occasion: str, occasion_zh: str, language: str, name: str) -> str:
    template = _greeting_template(occasion, occasion_zh, language.startswith("zh"))
    return template.replace("%(name)s", name)[:300]


def _greeting_channel(preferred: str, email: str, has_phone: bool) -> str:
    if preferred == Customer.Channel.EMAIL and email:
        return Customer.Channel.EMAIL
    if has_phone:
        return Customer.Channel.SMS
    if email:
        return Customer.Channel.EMAIL
    return ""


def greeting_audience():
    """Customers who may receive a greeting: an active contact consent (marketing, SMS, e-mail
    or phone) not withdrawn, not on the do-not-call list, not merged away."""
    consent = Consent.objects.filter(
        customer=OuterRef("pk"), withdrawn_at__isnull=True, kind__in=CONTACT_CONSENTS
    )
    return Customer.objects.filter(merged_into__isnull=True, do_not_call=False).filter(
        Exists(consent)
    )


def _birthday_filter(day: datetime.date) -> Q:
    q = Q(birth_date__month=day.month, birth_date__day=day.day)
    if day.month == 2 and day.day == 28 and not _is_leap(day.year):
        q |= Q(birth_date__month=2, birth_date__day=29)  # born on 29 February
    return q


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def greetings_schedule(*, day: datetime.date, progress: Progress | None = None) -> dict[str, int]:
    """Greet every consenting customer whose birthday is `day`, and every consenting customer
    when `day` begins a Chinese public holiday. Each greeting is a Greeting row (sent, or
    skipped when the customer has neither a phone nor an e-mail) and, when sent, an Interaction
    of kind greeting on the customer's timeline in the customer's language.

    Set-based and batched: customers already greeted for the occasion and day are excluded in
    the query, rows are bulk-created in transactions of GREETING_BATCH, so a rerun (or a crash
    half way) never greets anyone twice. Returns counts per occasion."""
    progress = progress or _noop
    occasions: list[tuple[str, str, Q | None]] = [(Greeting.BIRTHDAY, "", _birthday_filter(day))]
    occasions += [(en, zh, None) for en, zh in holiday_occasions(day)]
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8, 0)))
    counts: dict[str, int] = {"sent": 0, "skipped": 0}
    for occasion, occasion_zh, condition in occasions:
        already = Greeting.objects.filter(customer=OuterRef("pk"), occasion=occasion, day=day)
        audience = greeting_audience().filter(~Exists(already))
        if condition is not None:
            audience = audience.filter(condition)
        audience = audience.order_by("pk")
        total = audience.count()
        rows = audience.values_list(
            "pk",
            "name_zh",
            "name_latin",
            "number",
            "preferred_language",
            "preferred_channel",
            "email",
        )
        done = 0
        batch: list[tuple] = []
        for row in rows.iterator(chunk_size=GREETING_BATCH):
            batch.append(row)
            if len(batch) >= GREETING_BATCH:
                _greet_batch(batch, occasion, occasion_zh, day, moment, counts)
                done += len(batch)
                batch = []
                progress(occasion, done, total)
        if batch:
            _greet_batch(batch, occasion, occasion_zh, day, moment, counts)
            done += len(batch)
        progress(occasion, done, total)
        counts[occasion] = done
    return counts


def _greet_batch(
    rows: list[tuple],
    occasion: str,
    occasion_zh: str,
    day: datetime.date,
    moment: datetime.datetime,
    counts: dict[str, int],
) -> None:
    for attempt in range(2):
        try:
            with transaction.atomic():
                if attempt:  # a parallel run greeted some of them meanwhile
                    done = set(
                        Greeting.objects.filter(
                            occasion=occasion, day=day, customer_id__in=[r[0] for r in rows]
                        ).values_list("customer_id", flat=True)
                    )
                    rows = [r for r in rows if r[0] not in done]
                with_phone = set(
                    CustomerPhone.objects.filter(customer_id__in=[r[0] for r in rows]).values_list(
                        "customer_id", flat=True
                    )
                )
                greetings, interactions = [], []
                for pk, name_zh, name_latin, number, lang, preferred, email in rows:
                    has_phone = pk in with_phone
                    lang = lang or "zh"
                    name = (
                        (name_zh or name_latin)
                        if lang.startswith("zh")
                        else (name_latin or name_zh)
                    )
                    channel = _greeting_channel(preferred, email, has_phone)
                    message = _greeting_text(occasion, occasion_zh, lang, name or number)
                    sent = bool(channel)
                    greetings.append(
                        Greeting(
                            customer_id=pk,
                            occasion=occasion,
                            occasion_zh=occasion_zh,
                            day=day,
                            channel=channel,
                            status=Greeting.Status.SENT if sent else Greeting.Status.SKIPPED,
                            reason="" if sent else "no phone or e-mail",
                            message=message,
                        )
                    )
                    if sent:
                        interactions.append(
                            Interaction(
                                customer_id=pk,
                                kind=Interaction.Kind.GREETING,
                                occurred_at=moment,
                                channel=channel,
                                summary=message,
                                detail={"occasion": occasion, "day": day.isoformat()},
                            )
                        )
                Greeting.objects.bulk_create(greetings, batch_size=GREETING_BATCH)
                Interaction.objects.bulk_create(interactions, batch_size=GREETING_BATCH)
            counts["sent"] += len(interactions)
            counts["skipped"] += len(greetings) - len(interactions)
            return
        except IntegrityError:
            if attempt:
                raise
