"""The board's move recommendations (pure rule, no database)."""

import pytest

from servicefirst.dispatch.recommend import (
    REASON_WAIT_GROWING,
    CounterLoad,
    Move,
    ServiceLoad,
    recommend_moves,
)

COMMITMENT = 15 * 60
CASH, CARDS, LOANS, FX = 1, 2, 3, 4


def load(service_id, waiting=0, longest=0.0, predicted=0.0):
    return ServiceLoad(
        service_id=service_id, waiting=waiting, longest_wait_s=longest, predicted_wait_s=predicted
    )


def counter(counter_id, *service_ids, busy=False, accepting=True):
    return CounterLoad(
        counter_id=counter_id, service_ids=frozenset(service_ids), busy=busy, accepting=accepting
    )


def test_idle_counter_is_sent_to_a_service_whose_wait_approaches_the_commitment():
    # given: loans has waited 10 of 15 minutes, the FX counter has nobody
    services = [load(LOANS, waiting=4, longest=600, predicted=900), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, FX)]

    # when
    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    # then
    assert moves == [
        Move(
            counter_id=2,
            service_id=LOANS,
            from_service_ids=frozenset({FX}),
            reason=REASON_WAIT_GROWING,
        )
    ]


def test_nothing_recommended_while_waits_are_well_within_the_commitment():
    services = [load(LOANS, waiting=2, longest=200, predicted=300), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, FX)]

    assert recommend_moves(services, counters, commitment_s=COMMITMENT) == []


def test_longest_wait_alone_triggers_a_move():
    # the prediction is low (one person left) but that person has waited 12 minutes
    services = [load(LOANS, waiting=1, longest=720, predicted=60), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, FX)]

    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    assert [(m.counter_id, m.service_id) for m in moves] == [(2, LOANS)]


def test_a_service_nobody_waits_for_is_not_under_pressure_whatever_its_prediction():
    services = [load(LOANS, waiting=0, longest=0, predicted=1200), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, FX)]

    assert recommend_moves(services, counters, commitment_s=COMMITMENT) == []


def test_no_helper_when_every_other_counter_is_loaded():
    # cash is itself near the commitment: its counter must not leave it
    services = [
        load(LOANS, waiting=4, longest=700, predicted=900),
        load(CASH, waiting=6, longest=560, predicted=600),
    ]
    counters = [counter(1, LOANS, busy=True), counter(2, CASH, busy=True)]

    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    # cash is under pressure too, and the loans counter is busy with a long queue
    assert moves == []


def test_busy_counter_is_not_asked_to_help_even_with_little_waiting():
    # a busy teller, once free, would start a long loan just as cash customers arrive
    services = [
        load(LOANS, waiting=5, longest=800, predicted=1000),
        load(CASH, waiting=0),
    ]
    counters = [counter(1, LOANS, busy=True), counter(2, CASH, busy=True)]

    assert recommend_moves(services, counters, commitment_s=COMMITMENT) == []


def test_counter_with_people_waiting_for_its_own_services_is_not_idle():
    # nobody at counter 2 right now, but a cash customer waits for it
    services = [
        load(LOANS, waiting=5, longest=800, predicted=1000),
        load(CASH, waiting=1, longest=10, predicted=60),
    ]
    counters = [counter(1, LOANS, busy=True), counter(2, CASH, busy=False)]

    assert recommend_moves(services, counters, commitment_s=COMMITMENT) == []


def test_idle_counter_preferred_over_a_busy_one():
    services = [load(LOANS, waiting=5, longest=800, predicted=1000), load(CASH), load(FX)]
    counters = [
        counter(1, LOANS, busy=True),
        counter(2, CASH, busy=True),
        counter(3, FX, busy=False),
    ]

    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    assert [(m.counter_id, m.service_id) for m in moves] == [(3, LOANS)]


def test_closed_or_paused_counters_are_never_moved():
    services = [load(LOANS, waiting=5, longest=800, predicted=1000), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, FX, accepting=False)]

    assert recommend_moves(services, counters, commitment_s=COMMITMENT) == []


def test_counter_already_handling_the_service_is_not_moved_to_it():
    services = [load(LOANS, waiting=5, longest=800, predicted=1000), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, LOANS, FX, busy=True)]

    assert recommend_moves(services, counters, commitment_s=COMMITMENT) == []


def test_most_urgent_first_and_at_most_one_move_per_counter():
    # given: loans breaks the commitment, cards approaches it; two idle counters
    services = [
        load(CARDS, waiting=3, longest=560, predicted=600),
        load(LOANS, waiting=4, longest=1000, predicted=1200),
        load(CASH),
        load(FX),
    ]
    counters = [
        counter(1, LOANS, busy=True),
        counter(2, CARDS, busy=True),
        counter(3, CASH),
        counter(4, FX),
    ]

    # when
    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    # then: loans first, each counter used once, each service helped once
    assert [(m.counter_id, m.service_id) for m in moves] == [(3, LOANS), (4, CARDS)]
    assert all(m.reason == REASON_WAIT_GROWING for m in moves)


def test_the_idle_counter_with_fewest_services_is_chosen():
    services = [load(LOANS, waiting=4, longest=700, predicted=900), load(CASH), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, CASH, FX), counter(3, FX)]

    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    assert [(m.counter_id, m.service_id) for m in moves] == [(3, LOANS)]


def test_only_one_helper_per_service_per_call():
    services = [load(LOANS, waiting=8, longest=1000, predicted=2000), load(CASH), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, CASH), counter(3, FX)]

    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    assert len(moves) == 1


def test_service_nobody_handles_gets_a_counter():
    services = [load(FX, waiting=2, longest=600, predicted=900), load(CASH)]
    counters = [counter(1, CASH)]

    moves = recommend_moves(services, counters, commitment_s=COMMITMENT)

    assert moves == [
        Move(
            counter_id=1,
            service_id=FX,
            from_service_ids=frozenset({CASH}),
            reason=REASON_WAIT_GROWING,
        )
    ]


def test_commitment_must_be_positive():
    with pytest.raises(ValueError, match="commitment_s"):
        recommend_moves([], [], commitment_s=0)


def test_only_movable_counters_are_recommended():
    # given: two idle counters; only counter 3 has a teller trained for loans
    services = [load(LOANS, waiting=4, longest=700, predicted=900), load(CASH), load(FX)]
    counters = [counter(1, LOANS, busy=True), counter(2, CASH), counter(3, FX)]

    # when
    moves = recommend_moves(services, counters, commitment_s=COMMITMENT, movable={3})

    # then
    assert [(m.counter_id, m.service_id) for m in moves] == [(3, LOANS)]
    assert recommend_moves(services, counters, commitment_s=COMMITMENT, movable=set()) == []
