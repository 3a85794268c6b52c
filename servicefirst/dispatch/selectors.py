"""What the branch manager's dispatching board shows: every counter, every service's queue,
the alerts that need the manager now, the recommended moves and the recent floor actions.

`board_state(actor=..., branch_id=...)` reads it all in one go for the board page and its
live fragments (waits predicted by `servicefirst.floor.prediction`, moves recommended by
`servicefirst.dispatch.recommend`). Alerts:

- COMMITMENT: a service's longest or predicted wait reaches `COMMITMENT_WARN_SHARE` of the
  branch's wait commitment (danger once it is broken);
- LONG_SERVICE: a counter has been serving one ticket longer than the usual service time for
  that service and hour × the branch's `long_service_factor`;
- VIP: a customer of a priority tier took a ticket in the last `VIP_RECENT_MINUTES` and is
  waiting — greet them (masked name: surname and title);
- LANGUAGE: a waiting customer needs a language no teller at an accepting counter speaks;
- HANDOFF: a lobby hand-off to a relationship manager is overdue.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import get_language, get_language_info, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import (
    MATRIX,
    Action,
    allows_unit,
    branches_for,
    role_scope,
)
from servicefirst.core.errors import NotFound, PermissionDenied
from servicefirst.customers.fields import mask_name
from servicefirst.customers.models import Customer
from servicefirst.dispatch import recommend
from servicefirst.floor import ranking
from servicefirst.floor.models import Counter, FloorEvent, FloorSettings, Service, Ticket
from servicefirst.floor.prediction import FloorNow, error_report
from servicefirst.floor.selectors import floor_settings
from servicefirst.lobby.selectors import overdue_handoffs

COMMITMENT_WARN_SHARE = 0.8
VIP_RECENT_MINUTES = 10
EVENTS_SHOWN = 15
HANDOFFS_SHOWN = 10


class AlertKind:
    COMMITMENT = "commitment"
    LONG_SERVICE = "long_service"
    VIP = "vip"
    LANGUAGE = "language"
    HANDOFF = "handoff"


ALERT_LABELS = {
    AlertKind.COMMITMENT: gettext_lazy("Wait commitment"),
    AlertKind.LONG_SERVICE: gettext_lazy("Long service"),
    AlertKind.VIP: gettext_lazy("Greet"),
    AlertKind.LANGUAGE: gettext_lazy("Language"),
    AlertKind.HANDOFF: gettext_lazy("Hand-off overdue"),
}


@dataclass
class CounterState:
    counter: Counter
    services: list[Service]
    teller: Staff | None
    state: str  # "open", "paused" or "closed"
    accepting: bool
    ticket: Ticket | None = None  # being served now
    serving_s: float | None = None
    usual_s: float | None = None
    long_service: bool = False

    @property
    def number(self) -> int:
        return self.counter.number

    @property
    def service_codes(self) -> list[str]:
        return [s.code for s in self.services]


@dataclass
class ServiceState:
    service: Service
    waiting: int
    longest_wait_s: float
    predicted_wait_s: int
    counters: int  # accepting counters that handle it
    share: float  # max(longest, predicted) / commitment when people wait, else 0
    queue: list[Ticket] = field(default_factory=list)  # in the order they would be called
    broken: bool = False  # someone has already waited longer than the commitment

    @property
    def level(self) -> str:
        if self.broken:
            return "danger"
        if self.share >= COMMITMENT_WARN_SHARE:
            return "warning"
        return ""


@dataclass
class Alert:
    kind: str
    level: str  # Bootstrap colour: danger, warning, info
    message: str
    service_id: int | None = None
    counter_id: int | None = None
    ticket_id: int | None = None
    ticket_ids: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(ALERT_LABELS.get(self.kind, self.kind))


@dataclass
class Recommendation:
    move: recommend.Move
    counter: Counter
    service: Service
    message: str


@dataclass
class EventRow:
    event: FloorEvent
    text: str


@dataclass
class BoardState:
    branch: Unit
    settings: FloorSettings
    now: datetime.datetime
    commitment_s: int
    counters: list[CounterState]
    services: list[ServiceState]
    alerts: list[Alert]
    recommendations: list[Recommendation]
    events: list[EventRow]
    prediction_error: dict | None
    waiting: list[Ticket]  # in issue order, for the reprioritise form
    tellers: list[Staff]  # staff of the branch who may sit at a counter

    def alerts_of(self, kind: str) -> list[Alert]:
        return [a for a in self.alerts if a.kind == kind]

    @property
    def waiting_total(self) -> int:
        return len(self.waiting)

    @property
    def accepting_count(self) -> int:
        return sum(1 for c in self.counters if c.accepting)


def branch_get(*, actor, branch_id) -> Unit:
    """The branch, if the actor manages its floor (PermissionDenied otherwise)."""
    try:
        branch = Unit.objects.filter(pk=int(branch_id), kind=Unit.Kind.BRANCH).first()
    except (TypeError, ValueError):
        branch = None
    if branch is None:
        raise NotFound(_("No such branch."))
    if not allows_unit(actor, Action.FLOOR_MANAGE, branch.pk):
        raise PermissionDenied(_("You may not manage the floor of this branch."))
    return branch


def manageable_branches(actor) -> list[Unit]:
    """The branches whose board the actor may open: their own, or every branch of their bank
    for roles with bank-wide floor rights."""
    return branches_for(actor, Action.FLOOR_MANAGE)


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


# Two-character surnames (复姓) the greeting must keep whole.
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "司徒", "皇甫", "令狐")
_COMPOUND_SURNAMES += ("夏侯", "公孙", "尉迟", "长孙", "宇文", "澹台", "独孤", "端木", "西门")


def _surname(customer: Customer) -> str:
    """The surname as the manager would say it: Chinese characters in a Chinese interface,
    the Latin spelling (or the pinyin) otherwise."""
    zh = (get_language() or "").startswith("zh")
    cjk = customer.name_zh.strip()
    if cjk:
        surname = next((s for s in _COMPOUND_SURNAMES if cjk.startswith(s)), cjk[:1])
        if zh:
            return surname
        if customer.name_latin.strip():
            return customer.name_latin.split()[0]
        from pypinyin import lazy_pinyin

        return "".join(lazy_pinyin(surname)).capitalize()
    parts = customer.name_latin.split()
    return parts[-1] if parts else ""


def greeting_name(customer: Customer) -> str:
    """How the manager greets a customer, masked: surname and title (张先生, Ms Li)."""
    surname = _surname(customer)
    if not surname:
        return _("a customer")
    if customer.gender == Customer.Gender.MALE:
        return _("Mr %(surname)s") % {"surname": surname}
    if customer.gender == Customer.Gender.FEMALE:
        return _("Ms %(surname)s") % {"surname": surname}
    return mask_name(customer.name_zh or customer.name_latin)


def _minutes(seconds: float) -> int:
    return max(0, round(seconds / 60))


def _branch_services(settings: FloorSettings, counters, waiting) -> list[Service]:
    offered = list(settings.services.filter(is_active=True))
    if not offered:
        offered = list(Service.objects.filter(is_active=True))
    seen = {s.pk for s in offered}
    extra = {}
    for counter in counters:
        for s in counter.services.all():
            if s.pk not in seen:
                extra[s.pk] = s
    for t in waiting:
        if t.service_id not in seen:
            extra[t.service_id] = t.service
    return sorted([*offered, *extra.values()], key=lambda s: (s.sort_order, s.code))


def _event_text(event: FloorEvent) -> str:
    d = event.detail or {}
    kind = FloorEvent.Kind
    if event.kind == kind.MOVE_TELLER:
        return _("%(name)s moved to counter %(to)s") % {
            "name": d.get("staff", ""),
            "to": d.get("to_counter", ""),
        } + (
            " ("
            + _("from counter %(from)s") % {"from": ", ".join(map(str, d["from_counters"]))}
            + ")"
            if d.get("from_counters")
            else ""
        )
    if event.kind == kind.COUNTER_SERVICES:
        names = {s.code: str(s) for s in Service.objects.filter(code__in=d.get("after", []))}
        return _("Counter %(number)s now handles %(services)s") % {
            "number": d.get("number", event.counter.number if event.counter else ""),
            "services": "、".join(names.get(c, c) for c in d.get("after", [])),
        }
    if event.kind == kind.REPRIORITISE:
        return _("%(ticket)s priority %(before)s → %(after)s: %(reason)s") % {
            "ticket": d.get("number", event.ticket.number if event.ticket else ""),
            "before": d.get("before", ""),
            "after": d.get("after", ""),
            "reason": d.get("reason", ""),
        }
    if event.kind == kind.WEATHER:
        return _("Raining") if d.get("raining") else _("Stopped raining")
    parts = [str(event.get_kind_display())]
    if event.ticket is not None:
        parts.append(event.ticket.number)
    if event.counter is not None:
        parts.append(str(event.counter))
    return " · ".join(parts)


def recent_events(branch_id: int, limit: int = EVENTS_SHOWN) -> list[EventRow]:
    events = FloorEvent.objects.filter(branch_id=branch_id).select_related(
        "actor", "ticket", "counter"
    )[:limit]
    return [EventRow(event=e, text=_event_text(e)) for e in events]


def serving_roles() -> list[str]:
    """The roles whose holders may sit at a counter."""
    return [role for role in MATRIX if role_scope(role, Action.FLOOR_SERVE)]


def _tellers(branch_id: int) -> list[Staff]:
    return list(
        Staff.objects.filter(
            unit_id=branch_id, roles__role__in=serving_roles(), user__is_active=True
        )
        .distinct()
        .order_by("name")
    )


@dataclass
class BoardForms:
    """What the manager's action forms need (no predictions: cheap to refresh)."""

    branch: Unit
    settings: FloorSettings
    counters: list[CounterState]
    waiting: list[Ticket]
    tellers: list[Staff]


def _counter_state(c: Counter) -> CounterState:
    return CounterState(
        counter=c,
        services=sorted(c.services.all(), key=lambda s: (s.sort_order, s.code)),
        teller=c.staff,
        state="closed" if not c.is_open else ("paused" if c.paused else "open"),
        accepting=c.accepting,
    )


def _counters(branch) -> list[Counter]:
    return list(
        Counter.objects.filter(branch=branch).select_related("staff").prefetch_related("services")
    )


def _waiting(branch) -> list[Ticket]:
    return list(
        Ticket.objects.filter(branch=branch, status=Ticket.Status.WAITING)
        .select_related("service", "customer")
        .order_by("issued_at", "pk")
    )


def board_forms(*, actor, branch_id) -> BoardForms:
    """The counters, tellers and waiting tickets the manager's forms choose from."""
    branch = branch_get(actor=actor, branch_id=branch_id)
    return BoardForms(
        branch=branch,
        settings=floor_settings(branch.pk),
        counters=[_counter_state(c) for c in _counters(branch)],
        waiting=_waiting(branch),
        tellers=_tellers(branch.pk),
    )


def board_state(*, actor, branch_id, now=None) -> BoardState:
    """Everything the dispatching board shows, for a branch whose floor the actor manages."""
    branch = branch_get(actor=actor, branch_id=branch_id)
    now = now or timezone.now()
    hour = timezone.localtime(now).hour
    settings = floor_settings(branch.pk)
    commitment_s = int(settings.commitment_minutes) * 60
    factor = float(settings.long_service_factor)

    counters = _counters(branch)
    serving: dict[int, Ticket] = {}
    for t in (
        Ticket.objects.filter(branch=branch, status=Ticket.Status.CALLED, counter__isnull=False)
        .select_related("service")
        .order_by("called_at")
    ):
        serving[t.counter_id] = t
    waiting = _waiting(branch)
    services = _branch_services(settings, counters, waiting)
    floor_now = FloorNow.load(branch.pk, now=now)  # one read serves every prediction below

    def usual(service: Service) -> float:
        return floor_now.times.usual_s(service.pk, hour)

    # Counters.
    counter_states = []
    servers: dict[int, int] = defaultdict(int)
    speakers: set[str] = set()
    for c in counters:
        cs = _counter_state(c)
        if c.accepting:
            for s in cs.services:
                servers[s.pk] += 1
            speakers.update(c.staff.languages or [])
        ticket = serving.get(c.pk)
        if ticket is not None and ticket.called_at:
            cs.ticket = ticket
            cs.serving_s = max(0.0, (now - ticket.called_at).total_seconds())
            cs.usual_s = usual(ticket.service)
            cs.long_service = cs.usual_s > 0 and cs.serving_s > cs.usual_s * factor
        counter_states.append(cs)

    # Services.
    by_service: dict[int, list[Ticket]] = defaultdict(list)
    for t in waiting:
        by_service[t.service_id].append(t)
    service_states = []
    for s in services:
        queue = by_service.get(s.pk, [])
        longest = max(((now - t.issued_at).total_seconds() for t in queue), default=0.0)
        predicted = floor_now.predict(s.pk) if queue or servers[s.pk] else 0
        share = max(longest, predicted) / commitment_s if queue and commitment_s else 0.0
        order = ranking.queue_order(
            [
                ranking.Candidate(
                    id=t.pk,
                    service_id=t.service_id,
                    issued_at=t.issued_at,
                    priority=t.priority,
                    language=t.language,
                    target_counter_id=t.target_counter_id,
                )
                for t in queue
            ],
            now=now,
            max_wait_s=settings.max_wait_minutes * 60,
        )
        by_id = {t.pk: t for t in queue}
        service_states.append(
            ServiceState(
                service=s,
                waiting=len(queue),
                longest_wait_s=max(longest, 0.0),
                predicted_wait_s=int(predicted),
                counters=servers[s.pk],
                share=share,
                queue=[by_id[c.id] for c in order],
                broken=bool(queue) and commitment_s > 0 and longest >= commitment_s,
            )
        )

    alerts = _alerts(
        branch=branch,
        settings=settings,
        now=now,
        commitment_s=commitment_s,
        factor=factor,
        counters=counter_states,
        services=service_states,
        waiting=waiting,
        speakers=speakers,
    )

    # Recommendations.
    recommendations = []
    if commitment_s > 0:
        moves = recommend.recommend_moves(
            [
                recommend.ServiceLoad(
                    service_id=s.service.pk,
                    waiting=s.waiting,
                    longest_wait_s=s.longest_wait_s,
                    predicted_wait_s=float(s.predicted_wait_s),
                )
                for s in service_states
            ],
            [
                recommend.CounterLoad(
                    counter_id=c.counter.pk,
                    service_ids=frozenset(s.pk for s in c.services),
                    busy=c.ticket is not None,
                    accepting=c.accepting,
                )
                for c in counter_states
            ],
            commitment_s=commitment_s,
        )
        counter_by_id = {c.counter.pk: c for c in counter_states}
        service_by_id = {s.service.pk: s for s in service_states}
        for move in moves:
            cs, ss = counter_by_id[move.counter_id], service_by_id[move.service_id]
            recommendations.append(
                Recommendation(
                    move=move,
                    counter=cs.counter,
                    service=ss.service,
                    message=_(
                        "Counter %(number)s (%(teller)s) should also take %(service)s: "
                        "%(waiting)s waiting, wait up to %(minutes)s min."
                    )
                    % {
                        "number": cs.number,
                        "teller": cs.teller.name if cs.teller else "—",
                        "service": ss.service,
                        "waiting": ss.waiting,
                        "minutes": _minutes(max(ss.longest_wait_s, ss.predicted_wait_s)),
                    },
                )
            )

    return BoardState(
        branch=branch,
        settings=settings,
        now=now,
        commitment_s=commitment_s,
        counters=counter_states,
        services=service_states,
        alerts=alerts,
        recommendations=recommendations,
        events=recent_events(branch.pk),
        prediction_error=error_report(branch.pk, days=7, now=now),
        waiting=waiting,
        tellers=_tellers(branch.pk),
    )


def _alerts(
    *, branch, settings, now, commitment_s, factor, counters, services, waiting, speakers
) -> list[Alert]:
    alerts: list[Alert] = []

    # (a) a service about to break the commitment.
    for s in services:
        if s.waiting and s.share >= COMMITMENT_WARN_SHARE:
            broken = s.broken
            alerts.append(
                Alert(
                    kind=AlertKind.COMMITMENT,
                    level="danger" if broken else "warning",
                    message=(
                        _(
                            "%(service)s: the %(commitment)s-minute commitment is broken — "
                            "%(waiting)s waiting, longest %(longest)s min, predicted %(predicted)s min."
                        )
                        if broken
                        else _(
                            "%(service)s: close to the %(commitment)s-minute commitment — "
                            "%(waiting)s waiting, longest %(longest)s min, predicted %(predicted)s min."
                        )
                    )
                    % {
                        "service": s.service,
                        "commitment": settings.commitment_minutes,
                        "waiting": s.waiting,
                        "longest": _minutes(s.longest_wait_s),
                        "predicted": _minutes(s.predicted_wait_s),
                    },
                    service_id=s.service.pk,
                )
            )

    # (b) a counter serving far longer than usual.
    for c in counters:
        if c.long_service and c.ticket is not None:
            alerts.append(
                Alert(
                    kind=AlertKind.LONG_SERVICE,
                    level="warning",
                    message=_(
                        "Counter %(number)s has been serving %(ticket)s (%(service)s) for "
                        "%(minutes)s min; usually %(usual)s min."
                    )
                    % {
                        "number": c.number,
                        "ticket": c.ticket.number,
                        "service": c.ticket.service,
                        "minutes": _minutes(c.serving_s or 0),
                        "usual": _minutes(c.usual_s or 0),
                    },
                    counter_id=c.counter.pk,
                    ticket_id=c.ticket.pk,
                )
            )

    # (c) a VIP who has just taken a ticket: greet them.
    vip_tiers = {tier for tier, points in (settings.vip_priority or {}).items() if int(points) > 0}
    recent = now - datetime.timedelta(minutes=VIP_RECENT_MINUTES)
    vips = [
        t
        for t in waiting
        if t.customer is not None and t.customer.value_tier in vip_tiers and t.issued_at >= recent
    ]
    last_visits = {}
    if vips:
        for row in (
            Ticket.objects.filter(customer_id__in={t.customer_id for t in vips})
            .exclude(pk__in=[t.pk for t in vips])
            .values("customer_id")
            .annotate(n=Count("pk"))
        ):
            last_visits[row["customer_id"]] = row["n"]
    for t in vips:
        visits = last_visits.get(t.customer_id, 0)
        alerts.append(
            Alert(
                kind=AlertKind.VIP,
                level="info",
                message=_(
                    "Greet %(name)s (%(tier)s), ticket %(ticket)s for %(service)s, waiting "
                    "%(minutes)s min."
                )
                % {
                    "name": greeting_name(t.customer),
                    "tier": t.customer.get_value_tier_display(),
                    "ticket": t.number,
                    "service": t.service,
                    "minutes": _minutes((now - t.issued_at).total_seconds()),
                }
                + (
                    " "
                    + ngettext(
                        "Returning customer: %(n)s earlier ticket.",
                        "Returning customer: %(n)s earlier tickets.",
                        visits,
                    )
                    % {"n": visits}
                    if visits
                    else ""
                ),
                ticket_id=t.pk,
            )
        )

    # (d) a customer needing a language no teller on duty speaks.
    unserved: dict[str, list[Ticket]] = defaultdict(list)
    for t in waiting:
        if t.language and t.language not in speakers:
            unserved[t.language].append(t)
    if unserved:
        on_counters = {c.teller.pk for c in counters if c.accepting and c.teller}
        branch_staff = list(
            Staff.objects.filter(unit=branch, user__is_active=True).exclude(pk__in=on_counters)
        )
        for code, tickets in sorted(unserved.items()):
            who = [s.name for s in branch_staff if code in (s.languages or [])]
            alerts.append(
                Alert(
                    kind=AlertKind.LANGUAGE,
                    level="warning",
                    message=_(
                        "%(tickets)s waiting need %(language)s; no teller at an open counter "
                        "speaks it."
                    )
                    % {
                        "tickets": ", ".join(t.number for t in tickets),
                        "language": _language_name(code),
                    }
                    + (
                        " " + _("At the branch, %(names)s speak it.") % {"names": ", ".join(who)}
                        if who
                        else ""
                    ),
                    ticket_ids=[t.pk for t in tickets],
                )
            )

    # (e) overdue lobby hand-offs.
    for handoff in overdue_handoffs(branch.pk)[:HANDOFFS_SHOWN]:
        alerts.append(
            Alert(
                kind=AlertKind.HANDOFF,
                level="warning",
                message=_handoff_text(handoff),
            )
        )
    return alerts


def _handoff_text(handoff) -> str:
    late = (timezone.localdate() - handoff.due_on).days
    return ngettext(
        "Hand-off of %(customer)s to %(manager)s was due %(due)s, %(days)s day ago.",
        "Hand-off of %(customer)s to %(manager)s was due %(due)s, %(days)s days ago.",
        late,
    ) % {
        "customer": greeting_name(handoff.customer),
        "manager": handoff.assigned_to.name,
        "due": handoff.due_on.isoformat(),
        "days": late,
    }


# --- the floor settings page ---------------------------------------------------------------------

VIP_TIERS = ("mass", "affluent", "wealth", "private")
SLOT_CHOICES = (10, 15, 20, 30, 45, 60, 90, 120)


def settings_values(settings: FloorSettings) -> dict:
    """The branch's floor settings as plain values under the names the settings form and
    `services.floor_settings_save` use (`vip_priority.<tier>` for each value tier)."""
    vip = settings.vip_priority or {}
    return {
        "commitment_minutes": settings.commitment_minutes,
        "max_wait_minutes": settings.max_wait_minutes,
        **{f"vip_priority.{tier}": int(vip.get(tier, 0) or 0) for tier in VIP_TIERS},
        "elderly_age": settings.elderly_age,
        "elderly_priority": settings.elderly_priority,
        "disabled_priority": settings.disabled_priority,
        "appointment_priority": settings.appointment_priority,
        "appointment_grace_minutes": settings.appointment_grace_minutes,
        "slot_minutes": settings.slot_minutes,
        "opens_at": settings.opens_at.replace(second=0, microsecond=0),
        "closes_at": settings.closes_at.replace(second=0, microsecond=0),
        "long_service_factor": Decimal(settings.long_service_factor).quantize(Decimal("0.1")),
        "services": sorted(settings.services.values_list("code", flat=True)),
    }


@dataclass
class CounterRow:
    counter: Counter
    services: list[Service]
    teller: Staff | None
    serving: str  # the number of the ticket being served there, or ""
    waiting_for: list[str]  # tickets transferred to this very counter
    errors: list[str] = field(default_factory=list)  # why the manager's last change was refused

    @property
    def removable(self) -> bool:
        return (
            not self.counter.is_open
            and self.teller is None
            and not self.serving
            and not self.waiting_for
        )


@dataclass
class SettingsPage:
    branch: Unit
    settings: FloorSettings
    values: dict
    counters: list[CounterRow]
    services: list[Service]  # every active service (those offered are in values["services"])


def settings_page(*, actor, branch_id) -> SettingsPage:
    """What the floor settings page shows: the branch's rules and its counters."""
    branch = branch_get(actor=actor, branch_id=branch_id)
    settings = floor_settings(branch.pk)
    counters = _counters(branch)
    serving = dict(
        Ticket.objects.filter(branch=branch, status=Ticket.Status.CALLED)
        .order_by("called_at")
        .values_list("counter_id", "number")
    )
    waiting_for = defaultdict(list)
    for counter_id, number in Ticket.objects.filter(
        branch=branch, status=Ticket.Status.WAITING, target_counter__isnull=False
    ).values_list("target_counter_id", "number"):
        waiting_for[counter_id].append(number)
    return SettingsPage(
        branch=branch,
        settings=settings,
        values=settings_values(settings),
        counters=[
            CounterRow(
                counter=c,
                services=sorted(c.services.all(), key=lambda s: (s.sort_order, s.code)),
                teller=c.staff,
                serving=serving.get(c.pk, ""),
                waiting_for=waiting_for.get(c.pk, []),
            )
            for c in counters
        ],
        services=list(Service.objects.filter(is_active=True)),
    )
