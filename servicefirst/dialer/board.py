"""Reads for the supervisors' live board of the contact centre: every agent (status, how long,
the customer on the line — masked —, today's calls, talk time and occupancy), every running
campaign (today's dials, answers, live answers, talk time, occupancy, the abandoned-call rate
over 24 hours and 30 days against the campaign's cap, list penetration), the inbound queue
(waiting, longest wait, answered by the third ring today) and whether the dialer process is
alive.

Occupancy = (talk + wrap-up) / logged-in time, measured from AgentStatusLog: each stretch an
agent spent in one status, clipped to today (local time) and to now. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.core.errors import PermissionDenied
from servicefirst.customers.fields import mask_name, mask_phone
from servicefirst.dialer import compliance, selectors
from servicefirst.dialer.models import (
    AgentState,
    AgentStatusLog,
    Call,
    CallListEntry,
    Campaign,
    DialerProcess,
)

Status = AgentState.Status
Outcome = compliance.Outcome
THREE_RINGS = 3
# A dialer whose last heartbeat is older than its lease (settings.DIALER_LEASE_S, 15 s; the
# engine beats every 2 s) is shown as stopped: another process may take over from it.
DEFAULT_LEASE_S = 15.0


def heartbeat_stale() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "DIALER_LEASE_S", None) or DEFAULT_LEASE_S))


# Share of the cap from which the abandonment rate is shown as a warning.
WARN_SHARE = 0.8


def day_start(now: dt.datetime) -> dt.datetime:
    """Midnight (local time) of `now`'s day."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# --- time in status -------------------------------------------------------------------------


@dataclass
class Time:
    """Seconds logged in, talking and wrapping up (one agent or one campaign)."""

    logged_in: float = 0.0
    talk: float = 0.0
    wrap: float = 0.0
    paused: float = 0.0

    @property
    def occupancy(self) -> float | None:
        """(talk + wrap-up) / logged-in time; None before any time was logged."""
        if self.logged_in <= 0:
            return None
        return min(1.0, (self.talk + self.wrap) / self.logged_in)


def time_in_status(
    since: dt.datetime, now: dt.datetime, *, staff_ids=None, campaign_ids=None, key: str = "staff"
) -> dict[int, Time]:
    """Logged-in, talk, wrap-up and pause seconds between `since` and `now`, per agent
    (key="staff") or per campaign (key="campaign"), from the agents' status logs."""
    logs = AgentStatusLog.objects.filter(started_at__lt=now).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=since)
    )
    if staff_ids is not None:
        logs = logs.filter(staff_id__in=list(staff_ids))
    if campaign_ids is not None:
        logs = logs.filter(campaign_id__in=list(campaign_ids))
    out: dict[int, Time] = defaultdict(Time)
    for staff_id, campaign_id, status, started, ended in logs.values_list(
        "staff_id", "campaign_id", "status", "started_at", "ended_at"
    ):
        owner = staff_id if key == "staff" else campaign_id
        if owner is None:
            continue
        seconds = (min(ended or now, now) - max(started, since)).total_seconds()
        if seconds <= 0 or status == Status.OFFLINE:
            continue
        t = out[owner]
        t.logged_in += seconds
        if status == Status.ON_CALL:
            t.talk += seconds
        elif status == Status.WRAP_UP:
            t.wrap += seconds
        elif status == Status.PAUSED:
            t.paused += seconds
    return out


# --- rows -----------------------------------------------------------------------------------


@dataclass
class AgentRow:
    state: AgentState
    seconds_in_status: int
    customer: str  # masked name of the customer on the line ("" if none)
    phone: str  # masked number
    call_state: str
    calls_today: int
    talk_s_today: float
    time: Time

    @property
    def staff(self):
        return self.state.staff

    @property
    def occupancy(self) -> float | None:
        return self.time.occupancy


@dataclass
class CampaignRow:
    campaign: Campaign
    dials: int
    answers: int  # answered (people and machines)
    live_answered: int
    talk_s: float
    time: Time
    agents_logged_in: int
    abandon_24h: tuple[int, int, float]
    abandon_30d: tuple[int, int, float]
    list_total: int
    attempted: int
    # When nobody on the list may be called yet (calling hours, holidays, retry times): the
    # earliest time one may. None while someone is callable now.
    next_call_at: dt.datetime | None = None

    @property
    def mode_label(self) -> str:
        """The dialing mode in one word (Preview, Progressive, Predictive)."""
        return str(dict(Call.Mode.choices).get(self.campaign.mode, self.campaign.mode))

    @property
    def cap(self) -> float:
        return float(self.campaign.abandon_cap)

    @property
    def occupancy(self) -> float | None:
        return self.time.occupancy

    @property
    def penetration(self) -> float:
        return self.attempted / self.list_total if self.list_total else 0.0

    @staticmethod
    def _level(rate: float, cap: float) -> str:
        if rate > cap:
            return "danger"
        if rate >= WARN_SHARE * cap:
            return "warning"
        return "success"

    @property
    def level_24h(self) -> str:
        return self._level(self.abandon_24h[2], self.cap)

    @property
    def level_30d(self) -> str:
        return self._level(self.abandon_30d[2], self.cap)


@dataclass
class Inbound:
    waiting: int = 0
    longest_wait_s: int = 0
    offered_today: int = 0
    answered_today: int = 0
    within_three_rings: int = 0
    abandoned_today: int = 0

    @property
    def service_level(self) -> float | None:
        """Share of today's offered calls answered by the third ring (None before any)."""
        return self.within_three_rings / self.offered_today if self.offered_today else None


@dataclass
class DialerHealth:
    process: DialerProcess
    alive: bool
    seconds_since_heartbeat: int


@dataclass
class Board:
    now: dt.datetime
    agents: list[AgentRow] = field(default_factory=list)
    campaigns: list[CampaignRow] = field(default_factory=list)
    inbound: Inbound = field(default_factory=Inbound)
    dialers: list[DialerHealth] = field(default_factory=list)

    @property
    def dialer_alive(self) -> bool:
        return any(d.alive for d in self.dialers)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(Status.values, 0)
        for row in self.agents:
            out[row.state.status] = out.get(row.state.status, 0) + 1
        return out

    @property
    def logged_in(self) -> int:
        return sum(1 for r in self.agents if r.state.status != Status.OFFLINE)


# --- the board ------------------------------------------------------------------------------


def may_supervise(actor) -> bool:
    return scope_for(actor, Action.CONTACT_SUPERVISE) > Scope.NONE


def _require(actor):
    scope = scope_for(actor, Action.CONTACT_SUPERVISE)
    staff = staff_of(actor)
    if scope == Scope.NONE or staff is None:
        raise PermissionDenied(_("You may not see the contact centre's board."))
    return scope, staff


def agent_rows(scope, staff, now: dt.datetime) -> list[AgentRow]:
    since = day_start(now)
    states = AgentState.objects.select_related(
        "staff", "campaign", "current_call", "current_call__customer"
    )
    if scope != Scope.ALL:
        states = states.filter(staff__unit_id=staff.unit_id)
    seen_today = set(
        AgentStatusLog.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since)).values_list(
            "staff_id", flat=True
        )
    )
    states = [s for s in states if s.status != Status.OFFLINE or s.staff_id in seen_today]
    ids = [s.staff_id for s in states]
    times = time_in_status(since, now, staff_ids=ids)
    calls = {
        row["agent_id"]: row
        for row in Call.objects.filter(agent_id__in=ids, connected_at__gte=since)
        .order_by()
        .values("agent_id")
        .annotate(n=Count("pk"), talk=Sum("talk_s"))
    }
    rows = []
    for s in states:
        call = s.current_call
        customer = phone = call_state = ""
        if call is not None:
            call_state = call.get_state_display()
            phone = mask_phone(call.phone)
            if call.customer_id:
                c = call.customer
                customer = mask_name(c.name_zh or c.name_latin) or c.number
        stats = calls.get(s.staff_id, {})
        talk = float(stats.get("talk") or 0)
        if call is not None and call.state == Call.State.CONNECTED and call.connected_at:
            talk += max(0.0, (now - call.connected_at).total_seconds())
        rows.append(
            AgentRow(
                state=s,
                seconds_in_status=max(0, int((now - s.since).total_seconds())),
                customer=customer,
                phone=phone,
                call_state=call_state,
                calls_today=int(stats.get("n") or 0),
                talk_s_today=talk,
                time=times.get(s.staff_id, Time()),
            )
        )
    order = {
        Status.ON_CALL: 0,
        Status.RESERVED: 1,
        Status.WRAP_UP: 2,
        Status.READY: 3,
        Status.PAUSED: 4,
        Status.OFFLINE: 5,
    }
    rows.sort(key=lambda r: (order.get(r.state.status, 9), r.state.staff.name))
    return rows


def campaign_rows(scope, staff, now: dt.datetime) -> list[CampaignRow]:
    since = day_start(now)
    campaigns = Campaign.objects.filter(
        status__in=(Campaign.Status.ACTIVE, Campaign.Status.PAUSED)
    ).select_related("product")
    if scope != Scope.ALL:
        campaigns = campaigns.filter(unit_id=staff.unit_id)
    campaigns = list(campaigns.order_by("status", "name"))
    ids = [c.pk for c in campaigns]
    if not ids:
        return []
    live = Q(answered_at__isnull=False) & ~Q(outcome=Outcome.MACHINE)
    today = {
        row["campaign_id"]: row
        for row in Call.objects.filter(
            campaign_id__in=ids, direction=Call.Direction.OUTBOUND, dialed_at__gte=since
        )
        .order_by()
        .values("campaign_id")
        .annotate(
            dials=Count("pk"),
            answers=Count("pk", filter=Q(answered_at__isnull=False)),
            live=Count("pk", filter=live),
            talk=Sum("talk_s"),
        )
    }
    times = time_in_status(since, now, campaign_ids=ids, key="campaign")
    logged = dict(
        AgentState.objects.filter(campaign_id__in=ids)
        .exclude(status=Status.OFFLINE)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    rates = selectors.abandon_rates_many(ids, now)
    progress = selectors.progress_many(ids)
    open_entries = CallListEntry.objects.filter(campaign_id__in=ids, status__in=CallListEntry.OPEN)
    callable_now = set(
        open_entries.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by()
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    earliest = dict(
        open_entries.order_by()
        .values("campaign_id")
        .annotate(first=Min("next_attempt_at"))
        .values_list("campaign_id", "first")
    )
    rows = []
    for c in campaigns:
        t = today.get(c.pk, {})
        p = progress[c.pk]
        rows.append(
            CampaignRow(
                campaign=c,
                dials=int(t.get("dials") or 0),
                answers=int(t.get("answers") or 0),
                live_answered=int(t.get("live") or 0),
                talk_s=float(t.get("talk") or 0),
                time=times.get(c.pk, Time()),
                agents_logged_in=logged.get(c.pk, 0),
                abandon_24h=rates[c.pk]["24h"],
                abandon_30d=rates[c.pk]["30d"],
                list_total=p.total,
                attempted=p.attempted,
                next_call_at=None if c.pk in callable_now else earliest.get(c.pk),
            )
        )
    return rows


def inbound_queue(now: dt.datetime) -> Inbound:
    since = day_start(now)
    waiting = Call.objects.filter(
        direction=Call.Direction.INBOUND, state=Call.State.OFFERED, agent__isnull=True
    ).aggregate(n=Count("pk"), first=Min("dialed_at"))
    today = Call.objects.filter(direction=Call.Direction.INBOUND, dialed_at__gte=since).aggregate(
        offered=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        within=Count(
            "pk",
            filter=Q(answered_at__isnull=False, rings_before_answer__lte=THREE_RINGS),
        ),
        abandoned=Count("pk", filter=Q(outcome=Outcome.ABANDONED)),
    )
    first = waiting["first"]
    return Inbound(
        waiting=waiting["n"] or 0,
        longest_wait_s=max(0, int((now - first).total_seconds())) if first else 0,
        offered_today=today["offered"] or 0,
        answered_today=today["answered"] or 0,
        within_three_rings=today["within"] or 0,
        abandoned_today=today["abandoned"] or 0,
    )


def dialer_health(now: dt.datetime) -> list[DialerHealth]:
    out = []
    stale = heartbeat_stale().total_seconds()
    for p in DialerProcess.objects.filter(stopped_at__isnull=True).order_by("name"):
        age = (now - p.heartbeat_at).total_seconds()
        out.append(
            DialerHealth(
                process=p,
                alive=age <= stale,
                seconds_since_heartbeat=max(0, int(age)),
            )
        )
    return out


def board_state(*, actor, now: dt.datetime | None = None) -> Board:
    """Everything the supervisors' board shows (PermissionDenied without contact.supervise;
    a unit-scoped supervisor sees their unit's agents and campaigns)."""
    scope, staff = _require(actor)
    now = now or timezone.now()
    return Board(
        now=now,
        agents=agent_rows(scope, staff, now),
        campaigns=campaign_rows(scope, staff, now),
        inbound=inbound_queue(now),
        dialers=dialer_health(now),
    )
