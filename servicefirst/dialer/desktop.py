"""The contact-centre agent's desktop: what the agent's screen shows (their status, the call
on the line and the customer's 360 summary — masked —, the campaign's script, the next best
offer with its reason, care hints, the dispositions, the wrap-up timer, their callbacks and
today's calls) and the agent's own actions that are not a call's lifecycle (`calls`) or a
status change (`agents`): preview dialing (take the next customer, dial them, or give them
back), dialing a due callback, recording that an offer was made, asking for a hang-up.

Opening a customer on the desktop is a view of their personal data: audit-logged once per
call (and once per previewed call-list entry), like the teller's profile once per ticket.

Preview: `preview_next` claims one entry of the agent's (preview-mode) campaign through
`lists.claim_entries` — the compliance check at the moment of claiming — and records the
look at the customer in the audit log; that record is also what ties the held entry to the
agent (`held_entry`), so a reload of the page shows the same customer. `preview_dial` reserves
the agent and writes a QUEUED preview call for them; the dialer process originates it.
`preview_skip` gives the entry back (`lists.release_entry`, the attempt not counted, due again
an hour later so that the agent does not get the same customer at once).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers.fields import mask_name, mask_phone
from servicefirst.customers.models import Customer, CustomerTask
from servicefirst.dialer import agents, calls, live
from servicefirst.dialer.models import (
    AgentState,
    Call,
    Callback,
    CallListEntry,
    Campaign,
    Disposition,
)

log = logging.getLogger(__name__)
Status = AgentState.Status
CALL_VIEW = "agent desktop"
PREVIEW_VIEW = "agent preview"
SKIP_DELAY = dt.timedelta(hours=1)
TIMELINE_ROWS = 5
RECENT_CALLS = 8
UPCOMING_CALLBACKS = 10
# Calls the agent is still busy with (QUEUED: written for the dialer to originate).
OPEN_STATES = (
    Call.State.QUEUED,
    Call.State.DIALING,
    Call.State.RINGING,
    Call.State.ANSWERED,
    Call.State.CONNECTED,
)


def require_agent(actor) -> Staff:
    """The actor's Staff, who must work calls (PermissionDenied otherwise)."""
    staff = staff_of(actor)
    if staff is None or scope_for(actor, Action.CALL_WORK) == Scope.NONE:
        raise PermissionDenied(_("Only contact-centre agents can use the agent desktop."))
    return staff


def is_agent(actor) -> bool:
    return staff_of(actor) is not None and scope_for(actor, Action.CALL_WORK) > Scope.NONE


# --- the customer ---------------------------------------------------------------------------


@dataclass
class CustomerCard:
    """What the agent sees of the customer on the line: no identity number, the phone masked."""

    customer: Customer
    greeting: str
    language: str
    tier: str
    products: list[str]
    phone: str  # masked
    timeline: list
    open_tasks: list
    offer: object | None  # scoring.selectors.Offer
    offer_reason: str
    care: list[tuple[str, str]]  # (rule name, text)
    offer_recorded: bool = False  # "I offered it" pressed on this call

    @property
    def greeting_lang(self) -> str:
        c = self.customer
        return "en" if c.preferred_language == "en" or not c.name_zh else "zh-Hans"


def care_hints(customer: Customer, staff: Staff | None = None) -> list[tuple[str, str]]:
    """The bank's care rules that fit a phone call, for this customer now: birthday, age and
    the rules written as customer conditions (rain, first visits and language routing are
    about the branch hall and are left out). Evaluated with the care app's rules and words;
    nothing is recorded (care prompts belong to branch visits)."""
    try:
        from servicefirst.care import evaluation
        from servicefirst.care.models import CarePromptRule
    except ImportError:  # pragma: no cover - the care app is part of the product
        return []
    branch = customer.home_branch or (staff.unit if staff is not None else None)
    if branch is None:
        return []
    T = CarePromptRule.Trigger
    phone_triggers = (T.BIRTHDAY, T.ELDERLY, T.VIP, T.CONDITIONS)
    try:
        rules = [r for r in evaluation.active_rules(branch.pk, None) if r.trigger in phone_triggers]
        if not rules:
            return []
        floor = evaluation.floor_state(branch)
        fired = evaluation.firing(rules, [evaluation.Visit(customer, None)], floor)
        key = "zh" if (translation.get_language() or "").startswith("zh") else "en"
        out = []
        for rule, visit in fired:
            if rule.trigger == T.ELDERLY:
                age = evaluation.age_on(customer.birth_date, floor.today)
                text = _(
                    "%(name)s is %(age)s: speak slowly and clearly, and check they follow."
                ) % {
                    "name": customer.display_name,
                    "age": age,
                }
            else:
                text = evaluation.prompt_texts(rule, visit, floor)[key]
            out.append((rule.name, text))
        return out
    except Exception:  # noqa: BLE001 - a broken care rule must not stop the call
        log.exception("care hints for customer %s", customer.pk)
        return []


def _audit_once(actor, customer: Customer, detail: dict, match: dict) -> None:
    seen = AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW,
        object_type="customer",
        customer_id=customer.pk,
        **{f"detail__{k}": v for k, v in match.items()},
    ).exists()
    if not seen:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
            detail=detail,
        )


def customer_card(
    *, actor, customer_id: int, phone: str = "", audit: dict | None = None
) -> CustomerCard | None:
    """The customer's 360 summary for the agent (None if the actor may not see them). With
    `audit` ({"call": id} or {"entry": id, ...}), opening it is recorded once for that key."""
    from servicefirst.customers.forms import language_label
    from servicefirst.customers.selectors import customer_get
    from servicefirst.floor.serving import greeting
    from servicefirst.scoring.selectors import held_product_names, top_offer

    try:
        customer = customer_get(actor=actor, customer_id=customer_id)
    except NotFound:
        return None
    if audit:
        view = PREVIEW_VIEW if "entry" in audit and "call" not in audit else CALL_VIEW
        _audit_once(actor, customer, {"view": view, **audit}, {"view": view, **audit})
    products = held_product_names(customer)
    offer, reason = top_offer(actor=actor, customer_id=customer.pk)
    return CustomerCard(
        customer=customer,
        greeting=greeting(customer),
        language=language_label(customer.preferred_language),
        tier=customer.get_value_tier_display(),
        products=products,
        phone=mask_phone(phone) if phone else "",
        timeline=list(customer.interactions.select_related("staff", "campaign")[:TIMELINE_ROWS]),
        open_tasks=list(customer.tasks.filter(status=CustomerTask.Status.OPEN)[:3]),
        offer=offer,
        offer_reason=reason,
        care=care_hints(customer, staff_of(actor)),
    )


# --- the screen -----------------------------------------------------------------------------


@dataclass
class Preview:
    entry: CallListEntry
    card: CustomerCard | None


@dataclass
class RecentCall:
    call: Call
    customer: str  # masked name
    phone: str  # masked number


@dataclass
class Desktop:
    staff: Staff
    state: AgentState
    now: dt.datetime
    campaigns: list[Campaign] = field(default_factory=list)  # the agent may log in to
    call: Call | None = None
    card: CustomerCard | None = None
    script: str = ""
    dispositions: list[Disposition] = field(default_factory=list)
    colleagues: list[Staff] = field(default_factory=list)
    preview: Preview | None = None
    callbacks_due: list[Callback] = field(default_factory=list)
    callbacks_upcoming: list[Callback] = field(default_factory=list)
    recent: list[RecentCall] = field(default_factory=list)
    calls_today: int = 0
    talk_s_today: float = 0.0
    occupancy_today: float | None = None

    @property
    def logged_in(self) -> bool:
        return self.state.status != Status.OFFLINE

    @property
    def status_s(self) -> int:
        return max(0, int((self.now - self.state.since).total_seconds()))

    @property
    def preview_mode(self) -> bool:
        c = self.state.campaign
        return c is not None and c.mode == Campaign.Mode.PREVIEW

    @property
    def wrap_started_at(self) -> dt.datetime | None:
        call = self.call
        if call is not None and call.state == Call.State.WRAP_UP:
            return call.ended_at
        return None

    @property
    def wrap_s(self) -> int | None:
        start = self.wrap_started_at
        return max(0, int((self.now - start).total_seconds())) if start else None

    @property
    def talk_s(self) -> int | None:
        call = self.call
        if call is None or call.connected_at is None:
            return None
        end = call.ended_at or self.now
        return max(0, int((end - call.connected_at).total_seconds()))

    @property
    def may_cancel(self) -> bool:
        """The call is written but not dialled yet: the agent may call it off."""
        return self.call is not None and self.call.state == Call.State.QUEUED

    @property
    def may_hang_up(self) -> bool:
        """A live line the dialer can clear on the agent's request (when it offers that)."""
        return (
            self.call is not None
            and self.call.state in (Call.State.DIALING, Call.State.RINGING, Call.State.CONNECTED)
            and hangup_supported()
        )

    @property
    def may_close(self) -> bool:
        """The disposition form is shown: the agent is talking or wrapping up."""
        return self.call is not None and self.call.state in (
            Call.State.CONNECTED,
            Call.State.WRAP_UP,
        )


def current_call(staff: Staff, state: AgentState) -> Call | None:
    """The call the agent is on or wrapping up, or the one being dialled for them."""
    calls_ = Call.objects.select_related("campaign", "customer", "disposition", "entry")
    if state.current_call_id:
        call = calls_.filter(pk=state.current_call_id).first()
        if call is not None and call.wrap_ended_at is None and call.state != Call.State.ENDED:
            return call
    return (
        calls_.filter(agent=staff, state__in=OPEN_STATES, wrap_ended_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def login_campaigns(staff: Staff) -> list[Campaign]:
    return list(
        Campaign.objects.filter(agents=staff, status=Campaign.Status.ACTIVE).order_by("name")
    )


def held_entry(staff: Staff, state: AgentState | None = None) -> CallListEntry | None:
    """The call-list entry the agent took for preview and has neither dialled nor given back."""
    state = state or agents.state_for(staff)
    if state.campaign_id is None or state.campaign.mode != Campaign.Mode.PREVIEW:
        return None
    looks = AuditEvent.objects.filter(
        actor_id=staff.user_id,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        object_type="customer",
        detail__view=PREVIEW_VIEW,
        detail__campaign=state.campaign_id,
    ).order_by("-created_at", "-id")[:5]
    for look in looks:
        entry = (
            CallListEntry.objects.filter(
                pk=look.detail.get("entry"),
                campaign_id=state.campaign_id,
                status=CallListEntry.Status.IN_PROGRESS,
            )
            .select_related("customer", "campaign")
            .first()
        )
        if entry is None or entry.last_call_at is None:
            continue
        if entry.last_call_at.isoformat() != look.detail.get("claimed"):
            continue  # given back and taken again since, by someone else
        if Call.objects.filter(entry=entry, created_at__gte=entry.last_call_at).exists():
            continue  # dialled
        return entry
    return None


def _recent(staff: Staff, since: dt.datetime) -> list[RecentCall]:
    rows = (
        Call.objects.filter(agent=staff, created_at__gte=since)
        .select_related("customer", "disposition")
        .order_by("-created_at", "-id")[:RECENT_CALLS]
    )
    out = []
    for call in rows:
        name = ""
        if call.customer_id:
            c = call.customer
            name = mask_name(c.name_zh or c.name_latin) or c.number
        out.append(RecentCall(call=call, customer=name, phone=mask_phone(call.phone)))
    return out


def desktop(*, actor, now: dt.datetime | None = None) -> Desktop:
    """Everything the agent's screen shows now."""
    from servicefirst.dialer import board
    from servicefirst.dialer.callbacks import callbacks_for_agent

    staff = require_agent(actor)
    now = now or timezone.now()
    state = AgentState.objects.select_related("campaign", "campaign__product").get(
        pk=agents.state_for(staff).pk
    )
    view = Desktop(staff=staff, state=state, now=now, campaigns=login_campaigns(staff))
    call = current_call(staff, state)
    view.call = call
    if call is not None:
        if call.customer_id:
            view.card = customer_card(
                actor=actor, customer_id=call.customer_id, phone=call.phone, audit={"call": call.pk}
            )
            if view.card is not None and view.card.offer is not None:
                view.card.offer_recorded = offered_on_call(call, view.card.offer.product)
        if call.campaign_id:
            view.script = call.campaign.script
            view.dispositions = list(Disposition.objects.filter(campaign_id=call.campaign_id))
            view.colleagues = list(call.campaign.agents.exclude(pk=staff.pk).order_by("name"))
    elif state.campaign_id is not None:
        view.script = state.campaign.script
        entry = held_entry(staff, state) if view.preview_mode else None
        if entry is not None:
            view.preview = Preview(
                entry=entry,
                card=customer_card(actor=actor, customer_id=entry.customer_id, phone=entry.phone),
            )
    view.callbacks_due = list(callbacks_for_agent(staff, now))
    due_ids = {cb.pk for cb in view.callbacks_due}
    view.callbacks_upcoming = [
        cb
        for cb in Callback.objects.filter(
            status__in=(Callback.Status.PENDING, Callback.Status.DUE),
            due_at__gt=now,
            assigned_to=staff,
        )
        .select_related("customer", "campaign")
        .order_by("due_at", "id")[:UPCOMING_CALLBACKS]
        if cb.pk not in due_ids
    ]
    for cb in [*view.callbacks_due, *view.callbacks_upcoming]:
        cb.masked_phone = mask_phone(cb.phone)
        cb.masked_name = mask_name(cb.customer.name_zh or cb.customer.name_latin)
    since = board.day_start(now)
    view.recent = _recent(staff, since)
    rows = Call.objects.filter(agent=staff, connected_at__gte=since)
    view.calls_today = rows.count()
    view.talk_s_today = sum(t or 0 for t in rows.values_list("talk_s", flat=True))
    if call is not None and call.state == Call.State.CONNECTED and call.connected_at:
        view.talk_s_today += max(0.0, (now - call.connected_at).total_seconds())
    view.occupancy_today = (
        board.time_in_status(since, now, staff_ids=[staff.pk]).get(staff.pk, board.Time())
    ).occupancy
    return view


# --- preview dialing ------------------------------------------------------------------------


def _ready_state(staff: Staff) -> AgentState:
    state = (
        AgentState.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=agents.state_for(staff).pk)
    )
    if state.status == Status.OFFLINE:
        raise ValidationFailed({"status": [_("Log in first.")]})
    if state.status != Status.READY:
        raise ValidationFailed({"status": [_("Say you are ready first.")]})
    return state


def _preview_campaign(state: AgentState) -> Campaign:
    campaign = state.campaign
    if campaign is None or campaign.mode != Campaign.Mode.PREVIEW:
        raise ValidationFailed({"campaign": [_("Your campaign does not dial in preview mode.")]})
    if campaign.status != Campaign.Status.ACTIVE:
        raise ValidationFailed({"campaign": [_("This campaign is not running.")]})
    return campaign


@transaction.atomic
def preview_next(*, actor, now: dt.datetime | None = None) -> CallListEntry | None:
    """Take the next customer of the agent's preview campaign and hold them for the agent
    (the one already held, if any). None when nobody may be called now."""
    staff = require_agent(actor)
    now = now or timezone.now()
    state = _ready_state(staff)
    campaign = _preview_campaign(state)
    held = held_entry(staff, state)
    if held is not None:
        return held
    from servicefirst.dialer import lists

    taken = lists.claim_entries(campaign, 1, now=now)
    if not taken:
        return None
    entry = taken[0]
    entry.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        object_type="customer",
        object_id=entry.customer_id,
        customer_id=entry.customer_id,
        detail={
            "view": PREVIEW_VIEW,
            "entry": entry.pk,
            "campaign": campaign.pk,
            "claimed": entry.last_call_at.isoformat(),
        },
    )
    live.notify_agent(staff.pk, "preview")
    return entry


def _held(staff: Staff, state: AgentState, entry_id) -> CallListEntry:
    entry = held_entry(staff, state)
    if entry is None or str(entry.pk) != str(entry_id):
        raise ValidationFailed({"entry": [_("This customer is no longer held for you.")]})
    return entry


@transaction.atomic
def preview_dial(*, actor, entry_id, now: dt.datetime | None = None) -> Call:
    """Dial the previewed customer: the agent is reserved for the call and a QUEUED preview
    call is written for them; the dialer process originates it and puts the customer through.
    The compliance rules are checked again (the calling window may have closed meanwhile)."""
    from servicefirst.dialer import lists

    staff = require_agent(actor)
    now = now or timezone.now()
    state = _ready_state(staff)
    campaign = _preview_campaign(state)
    entry = _held(staff, state, entry_id)
    verdict = lists.may_dial_now(
        entry.customer_id, entry.phone, policy=lists.policy_for(campaign), now=now
    )
    if not verdict.allowed:
        lists.release_entry(entry.pk, when=now + SKIP_DELAY)
        raise ValidationFailed({"entry": [str(m) for m in verdict.messages]})
    reserved = agents.claim_agent(staff_id=staff.pk, at=now)
    if reserved is None:
        raise ValidationFailed({"status": [_("Say you are ready first.")]})
    call = calls.queue_outbound(
        entries=[entry],
        mode=Call.Mode.PREVIEW,
        agent_state=reserved,
        at=now,
        state=Call.State.QUEUED,
    )[0]
    live.notify_agent(staff.pk, "call")
    return call


@transaction.atomic
def preview_skip(*, actor, entry_id, now: dt.datetime | None = None) -> CallListEntry:
    """Give the previewed customer back without calling (the attempt is not counted; the
    customer is due again an hour later, for anyone on the campaign)."""
    from servicefirst.dialer import lists

    staff = require_agent(actor)
    now = now or timezone.now()
    state = agents.state_for(staff)
    entry = _held(staff, state, entry_id)
    lists.release_entry(entry.pk, when=now + SKIP_DELAY)
    live.notify_agent(staff.pk, "preview")
    entry.refresh_from_db()
    return entry


# --- callbacks ------------------------------------------------------------------------------


@transaction.atomic
def callback_dial(*, actor, callback_id, now: dt.datetime | None = None) -> Call:
    """Make a due callback: it becomes the agent's, the agent is reserved and a QUEUED
    callback call is written for the dialer to originate. The compliance rules apply (the
    campaign's, or for a callback without a campaign, do-not-call and the calling hours)."""
    from servicefirst.dialer import callbacks, lists

    staff = require_agent(actor)
    now = now or timezone.now()
    _ready_state(staff)  # locks the agent; must be ready
    cb = (
        Callback.objects.select_for_update().filter(pk=int(callback_id)).first()
        if str(callback_id).isdigit()
        else None
    )
    if cb is None:
        raise NotFound(_("No such callback."))
    if cb.due_at > now:
        raise ValidationFailed({"callback": [_("This callback is not due yet.")]})
    if cb.campaign_id:
        verdict = lists.may_dial_now(
            cb.customer_id, cb.phone, policy=lists.policy_for(cb.campaign), now=now
        )
    else:
        verdict = calls.service_call_verdict(cb.customer, cb.phone, now=now)
    if not verdict.allowed:
        raise ValidationFailed({"callback": [str(m) for m in verdict.messages]})
    cb = callbacks.callback_take(actor=actor, callback_id=cb.pk)
    reserved = agents.claim_agent(staff_id=staff.pk, at=now)
    if reserved is None:
        raise ValidationFailed({"status": [_("Say you are ready first.")]})
    if cb.entry_id:
        # The entry is being called now: one more attempt (as the dialer's claim does).
        from django.db.models import F

        CallListEntry.objects.filter(pk=cb.entry_id).update(
            status=CallListEntry.Status.IN_PROGRESS,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            last_call_at=now,
        )
    call = Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.CALLBACK,
        campaign_id=cb.campaign_id,
        entry_id=cb.entry_id,
        customer_id=cb.customer_id,
        phone=cb.phone,
        agent=staff,
        requested_by=staff,
        state=Call.State.QUEUED,
        dial_key=calls.new_dial_key("b"),
        created_at=now,
    )
    Callback.objects.filter(pk=cb.pk).update(done_call=call)
    reserved.current_call = call
    reserved.save(update_fields=["current_call"])
    live.notify_agent(staff.pk, "call")
    live.notify_board("calls")
    return call


# --- during the call ------------------------------------------------------------------------


def _my_call(staff: Staff, call_id) -> Call:
    call = (
        Call.objects.select_related("campaign", "campaign__crm").filter(pk=int(call_id)).first()
        if str(call_id).isdigit()
        else None
    )
    if call is None:
        raise NotFound(_("No such call."))
    if call.agent_id != staff.pk:
        raise PermissionDenied(_("This is not your call."))
    return call


def offered_on_call(call: Call, product) -> bool:
    from servicefirst.insights.models import OfferEvent

    return OfferEvent.objects.filter(
        customer_id=call.customer_id,
        product=product,
        staff_id=call.agent_id,
        stage=OfferEvent.Stage.OFFERED,
        occurred_at__gte=call.created_at,
    ).exists()


def offer_made(*, actor, call_id, product_code: str):
    """The agent offered the suggested product on this call: an "offered" step of the
    product's funnel (phone channel, the campaign's), on the customer's timeline."""
    from servicefirst.insights.services import offer_record

    staff = require_agent(actor)
    call = _my_call(staff, call_id)
    if not call.customer_id:
        raise ValidationFailed({"call": [_("The caller is not identified.")]})
    return offer_record(
        actor=actor,
        customer_id=call.customer_id,
        product_code=product_code,
        stage="offered",
        channel=Customer.Channel.PHONE,
        campaign_code=call.campaign.crm.code if call.campaign_id else "",
    )


def hangup_supported() -> bool:
    """The desk's Hang up button works on every adapter: the dialer process clears the line."""
    return True


@transaction.atomic
def request_hangup(*, actor, call_id, now: dt.datetime | None = None) -> Call:
    """The agent's Hang up button. A call not dialled yet (QUEUED) is called off here: it ends
    without counting as an attempt, the agent is free again, a preview customer goes back on
    the list and a callback stays due. A live line is cleared by the dialer process (the
    telephony is its business): the request is handed to it, and the call moves to wrap-up
    when the line is clear."""
    from servicefirst.dialer import lists

    staff = require_agent(actor)
    now = now or timezone.now()
    call = _my_call(staff, call_id)
    cancelled = Call.objects.filter(pk=call.pk, state=Call.State.QUEUED).update(
        state=Call.State.ENDED, ended_at=now, wrap_ended_at=now
    )
    if cancelled:
        call.refresh_from_db()
        if call.entry_id:
            lists.release_entry(call.entry_id, when=now + SKIP_DELAY)
        Callback.objects.filter(done_call=call).update(done_call=None)
        state = AgentState.objects.select_for_update().filter(staff=staff).first()
        if state is not None and state.current_call_id == call.pk:
            state.current_call = None
            state.save(update_fields=["current_call"])
            agents.release_agent(state, at=now)
        live.notify_agent(staff.pk, "call")
        live.notify_board("calls")
        return call
    if call.state in (Call.State.DIALING, Call.State.RINGING, Call.State.CONNECTED):
        Call.objects.filter(pk=call.pk, hangup_requested_at__isnull=True).update(
            hangup_requested_at=now
        )
        call.refresh_from_db()
        live.notify_agent(staff.pk, "call")
        return call
    raise ValidationFailed({"call": [_("This call is not on the line any more.")]})
