"""The demo bank's branch floors: settings, counters and tellers, and weeks of queue history.

For every demo branch: floor settings offering every standard service; five counters (cash at
1 and 2, cards and account opening at 3, loans and wealth at 4, a flexible counter 5 for cash,
account opening, cards, wealth and foreign exchange) with a teller signed in at each (the demo's
`teller.<key>` plus `teller2.<key>` … `teller5.<key>`, created here; teller3 speaks English);
then `days` days of tickets simulated through the real dispatching rule (`ranking.pick`):
arrivals peak at opening and at lunch, service times spread per service, tellers take lunch
breaks in turn, VIP and elderly customers (linked to the branch's own demo customers) get their
priorities, some visitors do not answer their call. Every ticket has its floor log (issue,
call, finish / no-show) and the wait estimate it was given, so the wait-prediction error
report has something to measure. Today's tickets up to the current time are simulated as
well, leaving some waiting and some at the counters. Finally the service times are learned.

Written with bulk inserts (a few seconds); idempotent: a branch that already has tickets keeps
them.
"""

import datetime
import math
import random
from collections.abc import Callable

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Role, Staff, Unit
from servicefirst.accounts.services import staff_create
from servicefirst.core.models import Sequence
from servicefirst.customers.models import Customer, Interaction
from servicefirst.floor import issuing, ranking, selectors
from servicefirst.floor.appointments import holiday_name
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Counter, FloorEvent, FloorSettings, Service, Ticket
from servicefirst.floor.prediction import estimate_wait, learn_service_times

Progress = Callable[[str, int, int | None], None]

COUNTERS = (
    (1, ("cash",)),
    (2, ("cash",)),
    (3, ("cards", "account")),
    (4, ("loans", "wealth")),
    (5, ("cash", "account", "cards", "wealth", "fx")),
)
# Extra tellers per branch key: (username prefix, name, languages); teller3 speaks English.
TELLERS = {
    "bj": (("teller2", "周婷", ["zh"]), ("teller3", "郑浩", ["zh", "en"]), ("teller4", "冯雪", ["zh"]), ("teller5", "韩冰", ["zh"])),
    "sh": (("teller2", "钱进", ["zh"]), ("teller3", "何静", ["zh", "en"]), ("teller4", "吕强", ["zh"]), ("teller5", "施佳", ["zh"])),
    "gz": (("teller2", "梁伟", ["zh", "yue"]), ("teller3", "陈美玲", ["zh", "yue", "en"]), ("teller4", "邓志明", ["zh", "yue"]), ("teller5", "黄敏", ["zh"])),
}  # fmt: skip
DEFAULT_TELLERS = (
    ("teller2", "王磊", ["zh"]),
    ("teller3", "李安", ["zh", "en"]),
    ("teller4", "张悦", ["zh"]),
    ("teller5", "刘畅", ["zh"]),
)
# Share of visits per service.
MIX = {"cash": 0.54, "cards": 0.17, "account": 0.10, "wealth": 0.07, "loans": 0.04, "fx": 0.08}
SPREAD = 0.45  # lognormal sigma of service times (median ≈ 0.9 × typical)
ARRIVALS_PER_HOUR = 15.0
LINKED_SHARE = 0.4  # visitors identified by phone or card
DECLARED_ELDERLY = 0.06
DECLARED_DISABLED = 0.015
NO_SHOW = 0.03
WALK_UP_S = 20.0  # from call to the customer at the counter, between customers
# Lunch breaks (counter number → local start, minutes): the counters take turns.
BREAKS = {
    2: (datetime.time(11, 30), 40),
    4: (datetime.time(12, 10), 35),
    5: (datetime.time(13, 45), 35),
}
OUTCOMES = (("completed", 0.88), ("referred", 0.04), ("incomplete", 0.06), ("declined", 0.02))
SEED_MARK = "demo"  # FloorEvent.detail["source"] of the demo's rows


def _noop(stage: str, done: int, total: int | None) -> None:
    pass


def _branch_key(unit: Unit) -> str:
    from servicefirst.core.demo import BRANCH_KEYS

    reverse = {code: key for key, code in BRANCH_KEYS.items()}
    return reverse.get(unit.code, unit.code)


def _demo_branches() -> list[Unit]:
    from servicefirst.core.demo import BANK_CODE

    return list(Unit.objects.filter(kind=Unit.Kind.BRANCH, bank__code=BANK_CODE).order_by("code"))


def _employee_number(used: set[str], branch_index: int, n: int) -> str:
    number = 1000 + 100 * branch_index + 40 + n
    while f"E{number}" in used:
        number += 10
    used.add(f"E{number}")
    return f"E{number}"


def _tellers(branch: Unit, index: int) -> tuple[list[Staff], list[str]]:
    """The branch's tellers for counters 1–5 (creating the missing ones) and the new logins."""
    from servicefirst.core.demo import DEMO_PASSWORD

    key = _branch_key(branch)
    user_model = get_user_model()
    tellers: list[Staff] = []
    first = Staff.objects.filter(user__username=f"teller.{key}").first()
    if first is not None:
        tellers.append(first)
    created: list[str] = []
    used = set(Staff.objects.values_list("employee_number", flat=True))
    for n, (prefix, name, languages) in enumerate(TELLERS.get(key, DEFAULT_TELLERS), 1):
        username = f"{prefix}.{key}"
        staff = Staff.objects.filter(user__username=username).first()
        if staff is None:
            staff = staff_create(
                username=username,
                password=None,
                name=name,
                employee_number=_employee_number(used, index, n),
                unit=branch,
                roles=[Role.TELLER],
                languages=languages,
            )
            created.append(username)
        tellers.append(staff)
    if created:
        # One hash of the shared demo password for all of them.
        user_model.objects.filter(username__in=created).update(
            password=make_password(DEMO_PASSWORD)
        )
    return tellers, created


def _setup(branch: Unit, tellers: list[Staff], now) -> list[Counter]:
    """Floor settings with every service, five counters, a teller signed in at each (open)."""
    services = {s.code: s for s in ensure_services()}
    settings = selectors.floor_settings(branch.pk)
    settings.services.set(services.values())
    counters = []
    events = []
    for (number, codes), teller in zip(COUNTERS, tellers + [None] * len(COUNTERS), strict=False):
        counter, created = Counter.objects.get_or_create(branch=branch, number=number)
        if created:
            counter.services.set([services[c] for c in codes])
        if counter.staff_id is None and teller is not None and not teller.counters.exists():
            counter.staff = teller
            counter.is_open = True
            counter.paused = False
            counter.save(update_fields=["staff", "is_open", "paused"])
            detail = {"number": number, "source": SEED_MARK}
            events += [
                FloorEvent(branch=branch, at=now, kind=FloorEvent.Kind.OPEN_COUNTER, actor=teller, counter=counter, detail=detail),
                FloorEvent(branch=branch, at=now, kind=FloorEvent.Kind.SIGN_IN, actor=teller, counter=counter, detail=detail),
            ]  # fmt: skip
        counters.append(counter)
    FloorEvent.objects.bulk_create(events)
    return counters


# --- the simulation ------------------------------------------------------------------------


def _rate(minute_of_day: float, weekday: int) -> float:
    """Arrivals per minute: peaks at opening (9–10) and at lunch (11:45–13:30)."""
    hour = minute_of_day / 60
    factor = 1.0
    if 9 <= hour < 10:
        factor = 1.9
    elif 11.75 <= hour < 13.5:
        factor = 1.6
    elif hour >= 16:
        factor = 1.15
    elif 14 <= hour < 15:
        factor = 0.8
    day = {0: 1.1, 4: 1.05, 5: 0.65, 6: 0.55}.get(weekday, 1.0)
    return ARRIVALS_PER_HOUR / 60 * factor * day


def _arrivals(rng: random.Random, open_min: float, close_min: float, weekday: int) -> list[float]:
    """Arrival times (minutes of the day), a non-homogeneous Poisson process by thinning."""
    peak = _rate(9.5 * 60, weekday) * 1.01
    t, out = open_min, []
    last = close_min - 10
    while True:
        t += rng.expovariate(peak)
        if t >= last:
            return out
        if rng.random() < _rate(t, weekday) / peak:
            out.append(t)


def _pick_service(rng: random.Random) -> str:
    r, acc = rng.random(), 0.0
    for code, share in MIX.items():
        acc += share
        if r < acc:
            return code
    return "cash"


class _Visit:
    __slots__ = (
        "arrive", "service", "customer", "elderly", "disabled", "priority", "reason",
        "language", "called", "end", "counter", "no_show", "predicted", "number", "id",
    )  # fmt: skip

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


def _predict(visit, waiting, counters, busy, breaks, means, now, max_wait) -> int:
    """What the kiosk would have estimated (seconds): the live estimator (`estimate_wait`)
    on the simulated floor — the counters not on a break, each busy one free after the usual
    time of its current service."""
    views = []
    for c in counters:
        current = busy.get(c["number"])
        if current is None:
            if _on_break(c["number"], now, breaks):
                continue
            views.append((c["view"], 0.0))
        else:
            views.append((c["view"], max(0.0, current[0] + means[current[1]] - now)))
    wait = estimate_wait(
        id(visit), waiting, views, now=now, max_wait_s=max_wait, mean_s=means, retry_after=1.0
    )
    if wait is None:  # nobody could serve it now: the people ahead, one after another
        queue = [c for c in waiting if c.service_id == visit.service.pk]
        order = ranking.queue_order(queue, now=now, max_wait_s=max_wait)
        wait = sum(means[c.service_id] for c in order[: [c.id for c in order].index(id(visit))])
    return round(wait * 60)


def _on_break(number: int, minute: float, breaks=None) -> bool:
    brk = (breaks or BREAKS).get(number)
    if not brk:
        return False
    start = brk[0].hour * 60 + brk[0].minute
    return start <= minute < start + brk[1]


def _simulate_day(rng, day, settings, services, counters, customers, cut_min=None) -> list[_Visit]:
    """One branch day through the dispatching rule (minutes of the day as the clock). With
    `cut_min`, only what happened by then (today)."""
    open_min = settings.opens_at.hour * 60 + settings.opens_at.minute
    close_min = settings.closes_at.hour * 60 + settings.closes_at.minute
    rules = ranking.PriorityRules.of(settings)
    max_wait = settings.max_wait_minutes
    means = {s.pk: float(s.typical_minutes) for s in services.values()}
    visits: list[_Visit] = []
    for t in _arrivals(rng, open_min, close_min, day.weekday()):
        code = _pick_service(rng)
        customer = rng.choice(customers) if customers and rng.random() < LINKED_SHARE else None
        elderly = customer is None and rng.random() < DECLARED_ELDERLY
        disabled = rng.random() < DECLARED_DISABLED
        age = None
        if customer is not None and customer["birth_date"]:
            b = customer["birth_date"]
            age = day.year - b.year - ((day.month, day.day) < (b.month, b.day))
        if elderly:
            age = settings.elderly_age
        priority, reason = ranking.ticket_priority(
            rules, tier=customer["value_tier"] if customer else "", age=age, disabled=disabled
        )
        language = (customer or {}).get("preferred_language") or ""
        visits.append(
            _Visit(
                arrive=t, service=services[code], customer=customer, elderly=elderly,
                disabled=disabled, priority=priority, reason=reason,
                language="" if language.startswith("zh") else language,
            )
        )  # fmt: skip
    if cut_min is not None:
        visits = [v for v in visits if v.arrive <= cut_min]
    # counters: view for the rule, when each is free next, lunch break
    free_at = {c["number"]: float(open_min) for c in counters}
    busy: dict[int, tuple[float, int]] = {}
    waiting: list[ranking.Candidate] = []
    by_id: dict[int, _Visit] = {}
    i, n = 0, len(visits)
    speakers = {c["number"]: c["view"].languages for c in counters}
    inf = float("inf")
    while True:
        next_arrival = visits[i].arrive if i < n else inf
        number = min(free_at, key=lambda k: (free_at[k], k))
        t = free_at[number]
        if next_arrival == inf and not waiting:
            break
        if i < n and next_arrival <= t:
            v = visits[i]
            i += 1
            cand = ranking.Candidate(id=id(v), service_id=v.service.pk, issued_at=v.arrive, priority=v.priority, language=v.language)  # fmt: skip
            waiting.append(cand)
            by_id[id(v)] = v
            v.predicted = _predict(v, waiting, counters, busy, BREAKS, means, v.arrive, max_wait)
            continue
        if t == inf:
            break  # nobody left who could serve the rest
        busy.pop(number, None)
        brk = BREAKS.get(number)
        if brk:
            start = brk[0].hour * 60 + brk[0].minute
            if start <= t < start + brk[1]:
                free_at[number] = start + brk[1]
                continue
        if cut_min is not None and t > cut_min:
            free_at[number] = inf  # the rest has not happened yet
            continue
        view = next(c["view"] for c in counters if c["number"] == number)
        others = frozenset().union(*(speakers[k] for k in speakers if k != number))
        pick = ranking.pick(waiting, view, now=t, max_wait_s=max_wait, other_speakers=others)
        if pick is None:
            # Nothing for it, or only tickets left for a teller who speaks their language (until
            # the fairness guard): look again at the next arrival, or in a minute.
            retry = t + 1.0 if ranking.eligible(waiting, view) else inf
            free_at[number] = min(next_arrival, retry)
            continue
        waiting.remove(pick)
        v = by_id[pick.id]
        v.called, v.counter = t, number
        if rng.random() < NO_SHOW:
            v.no_show, v.end = True, t + 1.5
        else:
            median = (
                means[v.service.pk]
                * 0.9
                * (1.1 if t >= 15 * 60 and v.service.code in ("loans", "wealth") else 1.0)
            )
            v.no_show, v.end = False, t + max(0.5, rng.lognormvariate(math.log(median), SPREAD))
        busy[number] = (t, v.service.pk)
        free_at[number] = v.end + WALK_UP_S / 60
    return visits


def _at(day: datetime.date, minutes: float) -> datetime.datetime:
    base = datetime.datetime.combine(day, datetime.time(0), tzinfo=timezone.get_current_timezone())
    return base + datetime.timedelta(seconds=round(minutes * 60))


def _outcome(rng: random.Random, code: str) -> str:
    if code in ("loans", "wealth") and rng.random() < 0.12:
        return "referred"
    r, acc = rng.random(), 0.0
    for outcome, share in OUTCOMES:
        acc += share
        if r < acc:
            return outcome
    return "completed"


def _insert(model, rows: list[dict], batch: int = 2000) -> None:
    """Plain multi-row INSERTs (no model instances): the history is tens of thousands of rows.
    Columns missing from a row take the field's default."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    ops = connection.ops
    # Table and column names come from the model, never from input.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    preps = [(f.attname, f.get_db_prep_save) for f in fields]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), batch):
            cursor.executemany(
                sql,
                [
                    tuple(prep(row.get(name, defaults[name]), connection) for name, prep in preps)
                    for row in rows[i : i + batch]
                ],
            )


def _ticket_rows(branch, day, visits, counters, rng, *, now) -> list[dict]:
    """The day's tickets as rows, numbered per letter in order of arrival; what had not
    happened by `now` (today) is left waiting or at the counter."""
    by_number = {c["number"]: c for c in counters}
    letters: dict[str, int] = {}
    rows = []
    for v in sorted(visits, key=lambda v: v.arrive):
        letter = v.service.letter
        letters[letter] = letters.get(letter, 0) + 1
        issued = _at(day, v.arrive)
        called = _at(day, v.called) if v.called is not None else None
        end = _at(day, v.end) if v.end is not None else None
        if called is not None and called > now:
            called = end = None
        if end is not None and end > now:
            end = None
        if called is None:
            status = Ticket.Status.WAITING
        elif end is None:
            status = Ticket.Status.CALLED
        else:
            status = Ticket.Status.NO_SHOW if v.no_show else Ticket.Status.DONE
        counter = by_number[v.counter] if called is not None else None
        rows.append(
            {
                "branch_id": branch.pk, "service_id": v.service.pk, "day": day,
                "number": f"{letter}{letters[letter]:03d}",
                "customer_id": v.customer["id"] if v.customer else None,
                "identified_by": ("phone" if rng.random() < 0.7 else "number") if v.customer else "",
                "priority": v.priority, "priority_reason": v.reason, "language": v.language,
                "status": status, "issued_at": issued, "called_at": called, "finished_at": end,
                "counter_id": counter["id"] if counter else None,
                "served_by_id": counter["staff_id"] if counter else None,
                "outcome": _outcome(rng, v.service.code) if status == Ticket.Status.DONE else "",
                "predicted_wait_s": v.predicted,
                "_service": v.service,
            }
        )  # fmt: skip
    return rows


def _write(branch, rows: list[dict], summary_text: str) -> tuple[int, int]:
    """Insert the tickets, then their floor events and the customers' timeline visits."""
    _insert(Ticket, rows)
    ids = {
        (day, number): pk
        for pk, day, number in Ticket.objects.filter(branch=branch).values_list(
            "pk", "day", "number"
        )
    }
    events, visits = [], []
    for t in rows:
        pk = ids[(t["day"], t["number"])]
        service = t["_service"]
        base = {"number": t["number"], "service": service.code, "source": SEED_MARK}
        events.append({"branch_id": branch.pk, "at": t["issued_at"], "kind": FloorEvent.Kind.ISSUE, "ticket_id": pk, "detail": {**base, "priority": t["priority"], "reason": t["priority_reason"], "identified": t["customer_id"] is not None, "predicted_wait_s": t["predicted_wait_s"]}})  # fmt: skip
        served = {"branch_id": branch.pk, "ticket_id": pk, "counter_id": t["counter_id"], "actor_id": t["served_by_id"]}  # fmt: skip
        if t["called_at"]:
            events.append({**served, "at": t["called_at"], "kind": FloorEvent.Kind.CALL, "detail": base})  # fmt: skip
        if t["finished_at"]:
            kind = FloorEvent.Kind.NO_SHOW if t["status"] == Ticket.Status.NO_SHOW else FloorEvent.Kind.FINISH  # fmt: skip
            events.append({**served, "at": t["finished_at"], "kind": kind, "detail": {**base, "outcome": t["outcome"]}})  # fmt: skip
        if t["customer_id"]:
            visits.append(
                {
                    "customer_id": t["customer_id"], "kind": Interaction.Kind.VISIT,
                    "occurred_at": t["issued_at"], "channel": Customer.Channel.BRANCH,
                    "unit_id": branch.pk,
                    "summary": summary_text % {"number": t["number"], "service": service, "branch": branch},
                    "detail": {"ticket_id": pk, "ticket": t["number"], "service": service.code},
                }
            )  # fmt: skip
    _insert(FloorEvent, events)
    _insert(Interaction, visits)
    return len(events), len(visits)


def _sequences(branch: Unit, day: datetime.date) -> None:
    """Let today's next kiosk tickets continue after the simulated ones."""
    last: dict[str, int] = {}
    for number in Ticket.objects.filter(branch=branch, day=day).values_list("number", flat=True):
        letter, n = number[0], int(number[1:])
        last[letter] = max(last.get(letter, 0), n)
    for letter, n in last.items():
        Sequence.objects.update_or_create(
            name=issuing.sequence_name(branch.pk, day, letter), defaults={"next_value": n + 1}
        )


def demo_floor(*, seed: int = 2026, days: int = 28, progress: Progress | None = None) -> dict:
    """Set up every demo branch's floor and its queue history (see the module's docstring).
    Safe to run again: a branch that already has tickets is left as it is."""
    progress = progress or _noop
    now = timezone.now()
    today = timezone.localdate(now)
    result = {"branches": 0, "tickets": 0, "events": 0, "visits": 0, "logins": [], "skipped": []}
    branches = _demo_branches()
    customers_of = {}
    for branch in branches:
        customers_of[branch.pk] = list(
            Customer.objects.filter(
                home_branch=branch, merged_into__isnull=True, lifecycle=Customer.Lifecycle.CURRENT
            ).values("id", "value_tier", "birth_date", "preferred_language")[:4000]
        )
    with translation.override(django_settings.LANGUAGE_CODE):
        summary_text = _("Took ticket %(number)s for %(service)s at %(branch)s")
    total = len(branches) * (days + 1)
    done = 0
    for index, branch in enumerate(branches, 1):
        with transaction.atomic():
            tellers, created = _tellers(branch, index)
            result["logins"] += created
            _setup(branch, tellers, now)
            if Ticket.objects.filter(branch=branch).exists():
                result["skipped"].append(branch.code)
                done += days + 1
                progress("Branch floor history", done, total)
                continue
            settings = FloorSettings.objects.get(branch=branch)
            services = {s.code: s for s in Service.objects.all()}
            counters = []
            for c in (
                Counter.objects.filter(branch=branch)
                .select_related("staff")
                .prefetch_related("services")
            ):
                counters.append(
                    {
                        "number": c.number, "id": c.pk, "staff_id": c.staff_id,
                        "view": ranking.CounterView(
                            id=c.number,
                            service_ids=frozenset(s.pk for s in c.services.all()),
                            languages=frozenset(c.staff.languages if c.staff else []),
                        ),
                    }
                )  # fmt: skip
            rng = random.Random(f"{seed}:{branch.code}")
            rows: list[dict] = []
            for back in range(days, -1, -1):
                day = today - datetime.timedelta(days=back)
                done += 1
                progress("Branch floor history", done, total)
                if back and holiday_name(day):
                    continue
                cut = None
                if back == 0:
                    local_now = timezone.localtime(now)
                    cut = local_now.hour * 60 + local_now.minute + local_now.second / 60
                visits = _simulate_day(
                    rng, day, settings, services, counters, customers_of[branch.pk], cut
                )
                rows += _ticket_rows(branch, day, visits, counters, rng, now=now)
            events, visits_written = _write(branch, rows, summary_text)
            result["tickets"] += len(rows)
            result["events"] += events
            result["visits"] += visits_written
            _sequences(branch, today)
            result["branches"] += 1
    result["service_time_stats"] = learn_service_times() if result["branches"] else 0
    return result
