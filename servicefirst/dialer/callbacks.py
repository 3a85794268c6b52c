"""Callbacks: a promise to call a customer back at a time — by the agent who made it, by
another agent of the campaign, or by anyone on the campaign (`assigned_to` empty).

Life of a callback: PENDING → DUE when its time comes (`deliver_due_callbacks`, run every
minute by the scheduler and by the dialer's loop; the agent desktop also shows pending ones
whose time has come, so delivery never waits for the job) → DONE when the call is made
(`callback_done`), or MISSED when nobody called within the grace period (`callbacks_mark_missed`;
the call-list entry is then free for the dialer's ordinary retries), or CANCELLED.

An assigned callback is offered to that agent only; an unassigned one to every agent of the
campaign, and the first to take it (`callback_take`) has it.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from servicefirst.accounts.models import Staff
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.commitments import sources as commitment_events
from servicefirst.core.context import request_context
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Customer, CustomerPhone
from servicefirst.dialer import compliance, live
from servicefirst.dialer.campaigns import works_calls
from servicefirst.dialer.lists import CALLBACK_GRACE, contacts, policy_for
from servicefirst.dialer.models import Call, Callback, CallListEntry, Campaign

GRACE = CALLBACK_GRACE
NOTE_MAX = 300
OPEN = (Callback.Status.PENDING, Callback.Status.DUE)


def _works_campaign(staff: Staff | None, campaign: Campaign | None, actor) -> bool:
    if staff is None:
        return False
    if scope_for(actor, Action.CONTACT_SUPERVISE) > Scope.NONE:
        return True
    if scope_for(actor, Action.CAMPAIGN_MANAGE) > Scope.NONE:
        return True
    if campaign is None:
        return scope_for(actor, Action.CALL_WORK) > Scope.NONE
    return (
        scope_for(actor, Action.CALL_WORK) > Scope.NONE
        and campaign.agents.filter(pk=staff.pk).exists()
    )


def _aware(value) -> datetime.datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime.datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def window_warnings(campaign: Campaign | None, phone: str, due_at) -> list[str]:
    """Why the customer may not be called at that moment by the calling-window rules
    (outside the window or a holiday in the customer's local time); [] when fine."""
    policy = policy_for(campaign) if campaign is not None else compliance.Policy()
    contact = compliance.Contact(
        customer_id=0, phone=phone, phone_consent=True, marketing_consent=True
    )
    verdict = compliance.may_dial(contact, [], policy, due_at)
    return [str(m) for m in verdict.messages]


@transaction.atomic
def callback_schedule(
    *,
    actor,
    customer_id,
    due_at,
    campaign_id=None,
    entry_id=None,
    assigned_to_id=None,
    phone: str = "",
    note: str = "",
    from_call_id=None,
    now=None,
) -> Callback:
    """Promise to call a customer back at `due_at`: for oneself (`assigned_to_id` = one's own
    staff id), for another agent of the campaign, or for anyone on it (None). The time must be
    in the future; one outside the calling window (customer's local time) or on a holiday is
    accepted with warnings (`callback.warnings`), since the customer may have asked for it. A
    customer on the do-not-call list cannot get a callback. With a call-list entry, the entry
    waits for the callback (the dialer leaves it alone until then)."""
    now = now or timezone.now()
    staff = staff_of(actor)
    errors: dict[str, list] = {}
    campaign = None
    if campaign_id not in (None, ""):
        campaign = (
            Campaign.objects.filter(pk=int(campaign_id)).first()
            if str(campaign_id).isdigit()
            else None
        )
        if campaign is None:
            raise NotFound(_("No such campaign."))
    entry = None
    if entry_id not in (None, ""):
        entry = (
            CallListEntry.objects.select_for_update().filter(pk=int(entry_id)).first()
            if str(entry_id).isdigit()
            else None
        )
        if entry is None:
            raise NotFound(_("No such call-list entry."))
        if campaign is None:
            campaign = Campaign.objects.get(pk=entry.campaign_id)
        elif entry.campaign_id != campaign.pk:
            errors["entry"] = [_("This entry belongs to another campaign.")]
    if not _works_campaign(staff, campaign, actor):
        raise PermissionDenied(_("You may not schedule callbacks for this campaign."))
    customer = (
        Customer.objects.filter(pk=int(customer_id), merged_into__isnull=True).first()
        if str(customer_id).isdigit()
        else None
    )
    if customer is None:
        raise NotFound(_("No such customer."))
    if entry is not None and entry.customer_id != customer.pk:
        errors["entry"] = [_("This entry is for another customer.")]
    when = _aware(due_at)
    if when is None:
        errors["due_at"] = [_("Give the date and time of the callback.")]
    elif when <= now:
        errors["due_at"] = [_("The callback must be in the future.")]
    assignee = None
    if assigned_to_id not in (None, ""):
        assignee = (
            Staff.objects.filter(pk=int(assigned_to_id)).first()
            if str(assigned_to_id).isdigit()
            else None
        )
        if assignee is None:
            errors["assigned_to"] = [_("No such member of staff.")]
        elif not works_calls(assignee):
            errors["assigned_to"] = [_("%(name)s does not work calls.") % {"name": assignee.name}]
        elif campaign is not None and not campaign.agents.filter(pk=assignee.pk).exists():
            errors["assigned_to"] = [
                _("%(name)s is not an agent of this campaign.") % {"name": assignee.name}
            ]
    phones = list(CustomerPhone.objects.filter(customer=customer).values_list("e164", flat=True))
    number = ""
    if phone:
        from servicefirst.customers.fields import try_phone

        number = try_phone(phone) or ""
        if number not in phones:
            errors["phone"] = [_("Choose one of the customer's phone numbers.")]
    else:
        number = (entry.phone if entry is not None else "") or (phones[0] if phones else "")
        if not number:
            errors["phone"] = [_("The customer has no phone number.")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_("Keep the note to %(n)d characters.") % {"n": NOTE_MAX}]
    if number and not errors:
        contact = contacts([(customer.pk, number)], now)[customer.pk]
        if contact.do_not_call:
            errors["customer"] = [_("The customer is on the do-not-call list.")]
    if errors:
        raise ValidationFailed(errors)
    from_call = (
        Call.objects.filter(pk=int(from_call_id)).first()
        if str(from_call_id or "").isdigit()
        else None
    )
    callback = Callback.objects.create(
        campaign=campaign,
        entry=entry,
        customer=customer,
        phone=number,
        due_at=when,
        assigned_to=assignee,
        created_by=staff,
        from_call=from_call,
        note=note,
    )
    if entry is not None and entry.status in CallListEntry.OPEN:
        entry.status = CallListEntry.Status.SCHEDULED
        entry.next_attempt_at = when
        entry.save(update_fields=["status", "next_attempt_at"])
    callback.warnings = window_warnings(campaign, number, when)
    _notify_callback(callback)
    return callback


def _notify_callback(callback: Callback) -> None:
    """The agent it is for (or, for anyone's, every agent of the campaign) sees it at once."""
    if callback.assigned_to_id:
        live.notify_agent(callback.assigned_to_id, "callbacks")
    elif callback.campaign_id:
        for staff_id in callback.campaign.agents.values_list("pk", flat=True):
            live.notify_agent(staff_id, "callbacks")


def due_callbacks(now=None):
    """Callbacks whose time has come and that are still to be made (pending or offered)."""
    now = now or timezone.now()
    return Callback.objects.filter(status__in=OPEN, due_at__lte=now)


@transaction.atomic
def deliver_due_callbacks(now=None) -> int:
    """Mark every pending callback whose time has come DUE (offered to its agent, or to the
    campaign's agents). Returns how many."""
    now = now or timezone.now()
    due = list(
        Callback.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(status=Callback.Status.PENDING, due_at__lte=now)
    )
    Callback.objects.filter(pk__in=[c.pk for c in due]).update(
        status=Callback.Status.DUE, delivered_at=now
    )
    for callback in due:
        commitment_events.callback_due(callback)
        _notify_callback(callback)
    return len(due)


@transaction.atomic
def callbacks_mark_missed(now=None, grace: datetime.timedelta = GRACE) -> int:
    """Callbacks not made within `grace` of their time become MISSED; their call-list entries
    go back to the dialer (due now). Returns how many."""
    now = now or timezone.now()
    late = Callback.objects.filter(status__in=OPEN, due_at__lte=now - grace)
    entry_ids = [e for e in late.values_list("entry_id", flat=True) if e]
    count = late.update(status=Callback.Status.MISSED)
    if entry_ids:
        CallListEntry.objects.filter(
            pk__in=entry_ids, status=CallListEntry.Status.SCHEDULED
        ).update(next_attempt_at=now)
    return count


def callbacks_for_agent(staff: Staff, now=None, *, include_pending_due: bool = True):
    """The callbacks an agent should make now: assigned to them, or to anyone on a campaign
    they work on (or to anyone at all, without a campaign); due (or pending and past their
    time). Earliest first."""
    now = now or timezone.now()
    statuses = OPEN if include_pending_due else (Callback.Status.DUE,)
    mine = (
        Q(assigned_to=staff)
        | Q(assigned_to__isnull=True, campaign__in=staff.dialer_campaigns.all())
        | Q(assigned_to__isnull=True, campaign__isnull=True)
    )
    return (
        Callback.objects.filter(status__in=statuses, due_at__lte=now)
        .filter(mine)
        .select_related("customer", "campaign", "assigned_to")
        .order_by("due_at", "id")
    )


@transaction.atomic
def callback_take(*, actor, callback_id) -> Callback:
    """An agent takes a due callback (an unassigned one becomes theirs; nobody else gets it)."""
    staff = staff_of(actor)
    callback = (
        Callback.objects.select_for_update().filter(pk=int(callback_id)).first()
        if str(callback_id).isdigit()
        else None
    )
    if callback is None:
        raise NotFound(_("No such callback."))
    if staff is None or scope_for(actor, Action.CALL_WORK) == Scope.NONE:
        raise PermissionDenied(_("You may not make callbacks."))
    if callback.status not in OPEN:
        raise ValidationFailed({"callback": [_("This callback is no longer open.")]})
    if callback.assigned_to_id not in (None, staff.pk):
        raise ValidationFailed({"callback": [_("This callback is for another agent.")]})
    if (
        callback.assigned_to_id is None
        and callback.campaign_id is not None
        and not callback.campaign.agents.filter(pk=staff.pk).exists()
    ):
        raise PermissionDenied(_("You are not an agent of this campaign."))
    callback.assigned_to = staff
    if callback.status == Callback.Status.PENDING:
        callback.status = Callback.Status.DUE
        callback.delivered_at = timezone.now()
    callback.save(update_fields=["assigned_to", "status", "delivered_at"])
    commitment_events.callback_due(callback, at=callback.delivered_at or timezone.now())
    return callback


@transaction.atomic
def callback_done(callback: Callback, call: Call) -> Callback:
    """The callback was made with this call."""
    Callback.objects.filter(pk=callback.pk).update(status=Callback.Status.DONE, done_call=call)
    callback.status, callback.done_call = Callback.Status.DONE, call
    commitment_events.callback_made(callback, call)
    return callback


@transaction.atomic
def callback_cancel(*, actor, callback_id) -> Callback:
    """Cancel an open callback: its maker, its agent, or a supervisor / campaign manager."""
    staff = staff_of(actor)
    callback = (
        Callback.objects.select_for_update().filter(pk=int(callback_id)).first()
        if str(callback_id).isdigit()
        else None
    )
    if callback is None:
        raise NotFound(_("No such callback."))
    own = staff is not None and staff.pk in (callback.created_by_id, callback.assigned_to_id)
    if not (
        own
        or scope_for(actor, Action.CONTACT_SUPERVISE) > Scope.NONE
        or scope_for(actor, Action.CAMPAIGN_MANAGE) > Scope.NONE
    ):
        raise PermissionDenied(_("You may not cancel this callback."))
    if callback.status not in OPEN:
        raise ValidationFailed({"callback": [_("This callback is no longer open.")]})
    callback.status = Callback.Status.CANCELLED
    callback.save(update_fields=["status"])
    if callback.entry_id:
        CallListEntry.objects.filter(
            pk=callback.entry_id, status=CallListEntry.Status.SCHEDULED
        ).update(next_attempt_at=timezone.now())
    return callback


@task()
def callbacks_tick() -> dict:
    """Offer the callbacks whose time has come; mark those left too long missed. Every minute
    (scheduler job "dialer.callbacks")."""
    with request_context(channel="task"):
        now = timezone.now()
        return {"delivered": deliver_due_callbacks(now), "missed": callbacks_mark_missed(now)}
