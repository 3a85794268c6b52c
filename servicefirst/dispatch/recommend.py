"""Which teller to move where: the board's recommendations to the branch manager, free of the
database so that the dispatching board and the branch-day simulation (`bench/lobby.py`) run
the same rule.

The rule:
1. A service is *under pressure* when people wait for it and its predicted wait (for a
   ticket taken now) or its longest wait reaches `PRESSURE_SHARE` (60 %) of the branch's wait
   commitment. The most urgent service (largest share of the commitment, then most people
   waiting) comes first.
2. A counter can *help* when it accepts tickets, does not handle that service yet, and is
   idle: nobody at the counter and nobody waiting for any of its services — its own services
   have no waiting at all. (With `movable`, only the counters whose tellers may be moved.)
3. Each service under pressure gets one helper, the one with the fewest services already
   (then the lowest counter id). At most one move per counter and one per service in one
   call — the board asks again on its next refresh, with the new state.

Why only idle counters: asking a *busy* counter whose own services have little waiting was
tried in the branch-day simulation (`bench/lobby.py`, see bench/README.md) and made the
ordinary customers' 90th-percentile wait worse at every threshold tried — the teller, once
free, starts a long service (a 20-minute loan) just as their own counter's next rush
arrives, and cash customers, the bulk of a branch's visitors, wait for it. An idle counter
gives time that would otherwise be lost.

A move *adds* the service to the counter (`counter_services_set` with its services plus
the new one): the teller keeps serving their own services, and the dispatching rule
(`servicefirst.floor.ranking.pick`) takes the most urgent ticket among all of them. When
the counter's own services grow again the manager sets them back.
"""

from collections.abc import Collection
from dataclasses import dataclass

PRESSURE_SHARE = 0.6  # of the commitment: a service's wait "approaches" the commitment

REASON_WAIT_GROWING = "wait_growing"


@dataclass(frozen=True)
class ServiceLoad:
    """The queue of one service now."""

    service_id: int
    waiting: int
    longest_wait_s: float
    predicted_wait_s: float  # for a ticket taken now


@dataclass(frozen=True)
class CounterLoad:
    """One counter now: the services it handles, whether it is serving someone (`busy`) and
    whether it takes tickets at all (open, staffed, not paused: `accepting`)."""

    counter_id: int
    service_ids: frozenset[int]
    busy: bool
    accepting: bool


@dataclass(frozen=True)
class Move:
    """Counter `counter_id` should take service `service_id` (add it to the counter's
    services); `from_service_ids` are the services it handles now. `reason` is a short code:
    "wait_growing"."""

    counter_id: int
    service_id: int
    from_service_ids: frozenset[int]
    reason: str


def pressure(load: ServiceLoad, commitment_s: float) -> float:
    """A service's wait as a share of the commitment: the larger of its longest wait and its
    predicted wait, 0 when nobody waits."""
    if load.waiting <= 0:
        return 0.0
    return max(load.longest_wait_s, load.predicted_wait_s) / commitment_s


def recommend_moves(
    services: list[ServiceLoad],
    counters: list[CounterLoad],
    *,
    commitment_s: float,
    movable: Collection[int] | None = None,
) -> list[Move]:
    """The moves the board recommends now, most urgent first (see the module docstring).

    `services`: the load of every service offered at the branch (a service missing from
    the list counts as nobody waiting). `counters`: every counter of the branch.
    `movable`: the ids of the counters whose tellers may be moved (say, those trained for
    every service); None — the default — means any accepting counter."""
    if commitment_s <= 0:
        raise ValueError("commitment_s must be positive")
    shares = {s.service_id: pressure(s, commitment_s) for s in services}
    waiting = {s.service_id: s.waiting for s in services}

    pressing = sorted(
        (s for s in services if shares[s.service_id] >= PRESSURE_SHARE),
        key=lambda s: (-shares[s.service_id], -s.waiting, s.service_id),
    )
    if not pressing:
        return []

    helpers = [
        c
        for c in counters
        if c.accepting
        and not c.busy
        and (movable is None or c.counter_id in movable)
        and not any(waiting.get(sid, 0) > 0 for sid in c.service_ids)
    ]
    moves: list[Move] = []
    for load in pressing:
        options = [c for c in helpers if load.service_id not in c.service_ids]
        if not options:
            continue
        best = min(options, key=lambda c: (len(c.service_ids), c.counter_id))
        helpers.remove(best)
        moves.append(
            Move(
                counter_id=best.counter_id,
                service_id=load.service_id,
                from_service_ids=best.service_ids,
                reason=REASON_WAIT_GROWING,
            )
        )
    return moves
