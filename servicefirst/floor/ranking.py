"""Who is served next: the dispatching rule, free of the database so that the counters, the
board's recommendations and the branch-day simulation (`bench/lobby.py`) all run the same code.

The rule, for one counter:
1. Only tickets for a service the counter handles, or transferred to this very counter.
2. Fairness guard: anyone who has waited `max_wait_s` or longer is served first, oldest first,
   whatever the priorities of the others — ordinary customers are never starved.
3. A ticket needing a language the teller does not speak is left for a counter whose teller
   does speak it, when one is serving (it is taken anyway once the fairness guard applies).
4. Otherwise the highest priority first (VIP tier, elderly, disabled, appointment on time),
   then the earliest issued.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class Candidate:
    id: int
    service_id: int
    issued_at: datetime.datetime | float
    priority: int = 0
    language: str = ""
    target_counter_id: int | None = None


@dataclass
class CounterView:
    id: int
    service_ids: frozenset[int]
    languages: frozenset[str] = field(default_factory=frozenset)


def _age_s(now, issued) -> float:
    age = now - issued
    return age.total_seconds() if isinstance(age, datetime.timedelta) else float(age)


def eligible(candidates: Iterable[Candidate], counter: CounterView) -> list[Candidate]:
    return [
        c
        for c in candidates
        if (c.target_counter_id == counter.id)
        or (c.target_counter_id is None and c.service_id in counter.service_ids)
    ]


def pick(
    candidates: Sequence[Candidate],
    counter: CounterView,
    *,
    now,
    max_wait_s: float,
    other_speakers: frozenset[str] = frozenset(),
    fifo: bool = False,
) -> Candidate | None:
    """The ticket this counter should call next, or None when nobody it can serve waits.

    `other_speakers`: languages spoken by tellers at the branch's other accepting counters.
    `fifo=True` is the plain first-come-first-served rule (the benchmark's baseline)."""
    pool = eligible(candidates, counter)
    if not pool:
        return None
    if fifo:
        return min(pool, key=lambda c: (c.issued_at, c.id))
    overdue = [c for c in pool if _age_s(now, c.issued_at) >= max_wait_s]
    if overdue:
        return min(overdue, key=lambda c: (c.issued_at, c.id))
    suited = [
        c
        for c in pool
        if not c.language or c.language in counter.languages or c.language not in other_speakers
    ]
    if not suited:
        return None
    return min(suited, key=lambda c: (-c.priority, c.issued_at, c.id))


def queue_order(candidates: Sequence[Candidate], *, now, max_wait_s: float) -> list[Candidate]:
    """The order in which a service's waiting tickets would be called (for "people ahead" and
    the wait estimate): overdue first by age, then by priority and age."""

    def key(c: Candidate):
        overdue = _age_s(now, c.issued_at) >= max_wait_s
        return (0, c.issued_at, c.id) if overdue else (1, -c.priority, c.issued_at, c.id)

    return sorted(candidates, key=key)


@dataclass(frozen=True)
class PriorityRules:
    """A branch's priority points (FloorSettings), as plain values."""

    vip: dict[str, int]
    elderly_age: int = 65
    elderly: int = 20
    disabled: int = 25
    appointment: int = 25

    @classmethod
    def of(cls, settings) -> "PriorityRules":
        return cls(
            vip={k: int(v) for k, v in (settings.vip_priority or {}).items()},
            elderly_age=settings.elderly_age,
            elderly=settings.elderly_priority,
            disabled=settings.disabled_priority,
            appointment=settings.appointment_priority,
        )


def ticket_priority(
    rules: PriorityRules,
    *,
    tier: str = "",
    age: int | None = None,
    disabled: bool = False,
    appointment_on_time: bool = False,
) -> tuple[int, str]:
    """Priority points and the reason that gave them (the largest applicable one)."""
    options = [(0, "")]
    if tier and rules.vip.get(tier):
        options.append((rules.vip[tier], "vip"))
    if age is not None and age >= rules.elderly_age:
        options.append((rules.elderly, "elderly"))
    if disabled:
        options.append((rules.disabled, "disabled"))
    if appointment_on_time:
        options.append((rules.appointment, "appointment"))
    return max(options, key=lambda o: o[0])
