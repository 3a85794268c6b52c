"""The commitments engine: cases from events, deadlines, pauses, versions, matching, and the
guarantees of the event log (late ids, crashes, never reading an event twice)."""

import datetime as dt

import pytest
from django.core.management import call_command

from servicefirst.commitments import engine
from servicefirst.commitments.models import (
    Alert,
    AttainmentDay,
    Case,
    CommitmentVersion,
    EngineCursor,
    ServiceEvent,
)
from servicefirst.commitments.signals import case_breached
from servicefirst.commitments.tasks import engine_tick
from servicefirst.commitments.tests.test_engine_support import (
    T0,
    Org,
    business_hours,
    event,
    minutes,
    publish,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return Org()


def run(now=None, **kwargs):
    return engine.run_until_caught_up(now=now or T0 + dt.timedelta(days=1), **kwargs)


def day_totals(commitment):
    rows = AttainmentDay.objects.filter(commitment=commitment)
    return sum(r.total for r in rows), sum(r.met for r in rows), sum(r.breached for r in rows)


# --------------------------------------------------------------------------- start / stop


def test_a_ticket_called_in_time_meets_the_commitment(org):
    # given a published "called within 15 minutes" commitment of branch a
    version = publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(9), unit=org.a)
    # when the engine runs
    run()
    # then the case is met, 540 s taken, and counted in the day's attainment
    case = Case.objects.get(subject="ticket:1")
    assert (case.state, case.value, case.version_id) == ("met", 540.0, version.pk)
    assert case.due_at == T0 + minutes(15)
    assert case.warn_at == T0 + minutes(12)
    day = AttainmentDay.objects.get(commitment=version.commitment)
    assert (day.unit_id, day.total, day.met, day.breached) == (org.a.pk, 1, 1, 0)
    assert day.day == dt.date(2026, 3, 9)
    assert (day.value_sum, day.value_count) == (540.0, 1)


def test_a_ticket_called_late_breaches(org):
    version = publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(20), unit=org.a)
    run()
    case = Case.objects.get(subject="ticket:1")
    assert (case.state, case.value) == ("breached", 1200.0)
    assert case.breached_at == T0 + minutes(15)
    assert day_totals(version.commitment) == (1, 0, 1)


def test_no_stop_event_breaches_when_the_due_time_passes(org, django_capture_on_commit_callbacks):
    version = publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a, staff=org.teller)
    # Before the due time: still running.
    run(now=T0 + minutes(14))
    assert Case.objects.get().state == "open"
    heard = []

    def listener(sender, case_ids, **kwargs):
        heard.extend(case_ids)

    case_breached.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(now=T0 + minutes(16))
    finally:
        case_breached.disconnect(listener)
    case = Case.objects.get()
    assert (case.state, case.breached_at, case.stopped_at) == ("breached", T0 + minutes(15), None)
    assert heard == [case.pk]
    assert day_totals(version.commitment) == (1, 0, 1)
    # A breach still unresolved escalates again a full target after its due time.
    assert case.escalate_at == T0 + minutes(30)
    # The stop arriving later records its time and value; the breach is counted once.
    event("floor.ticket.called", "ticket:1", T0 + minutes(25), unit=org.a)
    run(now=T0 + minutes(26))
    case.refresh_from_db()
    assert (case.state, case.value, case.stopped_at) == ("breached", 1500.0, T0 + minutes(25))
    assert case.escalate_at is None
    assert day_totals(version.commitment) == (1, 0, 1)
    day = AttainmentDay.objects.get(commitment=version.commitment)
    assert (day.value_sum, day.value_count) == (1500.0, 1)


def test_a_cancelled_ticket_is_void_unless_its_time_was_up(org):
    version = publish(owner=org.a, cancel=("floor.ticket.cancelled", "floor.ticket.no_show"))
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.cancelled", "ticket:1", T0 + minutes(5), unit=org.a)
    event("floor.ticket.issued", "ticket:2", T0, unit=org.a)
    event("floor.ticket.cancelled", "ticket:2", T0 + minutes(40), unit=org.a)
    run()
    states = dict(Case.objects.values_list("subject", "state"))
    assert states == {"ticket:1": "void", "ticket:2": "breached"}
    assert day_totals(version.commitment) == (1, 0, 1)


def test_rings_before_answer_is_a_count(org):
    version = publish(
        owner=org.ccc,
        start="contact.call.answered",
        measure="count",
        target=3,
        unit="rings",
    )
    event("contact.call.answered", "call:1", T0, unit=org.ccc, value=2)
    event("contact.call.answered", "call:2", T0, unit=org.ccc, value=3)
    event("contact.call.answered", "call:3", T0, unit=org.ccc, value=5)
    run()
    states = dict(Case.objects.values_list("subject", "state"))
    assert states == {"call:1": "met", "call:2": "met", "call:3": "breached"}
    assert all(c.stopped_at == T0 for c in Case.objects.all())
    assert day_totals(version.commitment) == (3, 2, 1)


# --------------------------------------------------------------------------- pauses


def test_waiting_for_the_customer_moves_the_deadline(org):
    publish(
        owner=org.ccc,
        start="request.opened",
        stop="request.resolved",
        pause="request.waiting_customer",
        resume="request.customer_replied",
        target=1,
        unit="hours",
    )
    subject = "request:1"
    event("request.opened", subject, T0, unit=org.ccc)
    event("request.waiting_customer", subject, T0 + minutes(20), unit=org.ccc)
    run(now=T0 + minutes(30))
    case = Case.objects.get()
    assert case.state == "paused"
    # Paused: the due time has passed on the wall clock, but the clock stopped at 20 minutes.
    run(now=T0 + minutes(200))
    case.refresh_from_db()
    assert case.state == "paused"
    event("request.customer_replied", subject, T0 + minutes(200), unit=org.ccc)
    run(now=T0 + minutes(201))
    case.refresh_from_db()
    # 40 minutes were left when the clock stopped: due 40 minutes after the reply.
    assert (case.state, case.due_at) == ("open", T0 + minutes(240))
    assert case.warn_at == T0 + minutes(228)
    assert case.paused_s == 180 * 60
    event("request.resolved", subject, T0 + minutes(230), unit=org.ccc)
    run(now=T0 + minutes(231))
    case.refresh_from_db()
    assert (case.state, case.value) == ("met", 50 * 60.0)


def test_a_stop_while_paused_counts_the_time_before_the_pause(org):
    publish(
        owner=org.ccc,
        start="request.opened",
        stop="request.resolved",
        pause="request.waiting_customer",
        resume="request.customer_replied",
        target=1,
        unit="hours",
    )
    event("request.opened", "request:1", T0, unit=org.ccc)
    event("request.waiting_customer", "request:1", T0 + minutes(10), unit=org.ccc)
    event("request.resolved", "request:1", T0 + minutes(300), unit=org.ccc)
    run()
    case = Case.objects.get()
    assert (case.state, case.value) == ("met", 600.0)


# --------------------------------------------------------------------------- versions


def test_a_case_stays_with_the_version_it_started_under(org):
    v1 = publish(owner=org.a, target=15)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    run(now=T0 + minutes(1))
    # A stricter version is published; the first retires.
    CommitmentVersion.objects.filter(pk=v1.pk).update(status="retired", retired_at=T0)
    v2 = publish(owner=org.a, target=5, commitment=v1.commitment, number=2)
    event("floor.ticket.issued", "ticket:2", T0 + minutes(2), unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(10), unit=org.a)
    event("floor.ticket.called", "ticket:2", T0 + minutes(10), unit=org.a)
    run(now=T0 + minutes(11))
    cases = {c.subject: c for c in Case.objects.all()}
    assert (cases["ticket:1"].version_id, cases["ticket:1"].state) == (v1.pk, "met")
    assert (cases["ticket:2"].version_id, cases["ticket:2"].state) == (v2.pk, "breached")


@pytest.mark.parametrize("status", ["draft", "discussion", "approved", "retired"])
def test_only_published_versions_are_measured(org, status):
    publish(owner=org.a, status=status)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(30), unit=org.a)
    run()
    assert not Case.objects.exists()
    assert not AttainmentDay.objects.exists()


# --------------------------------------------------------------------------- matching


def test_a_unit_measures_its_own_events_and_those_below_it(org):
    head_office = publish(owner=org.hq)
    region = publish(owner=org.east)
    branch_b = publish(owner=org.b)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.issued", "ticket:2", T0, unit=org.ccc)
    event("floor.ticket.issued", "ticket:3", T0)  # no unit: the head office's only
    run(now=T0 + minutes(1))
    pairs = set(Case.objects.values_list("version_id", "subject"))
    assert pairs == {
        (head_office.pk, "ticket:1"),
        (head_office.pk, "ticket:2"),
        (head_office.pk, "ticket:3"),
        (region.pk, "ticket:1"),
    }
    assert branch_b.pk not in {v for v, _ in pairs}
    # The case belongs to the event's unit; without one, to the owner.
    assert Case.objects.get(subject="ticket:3").unit_id == org.hq.pk
    assert Case.objects.get(subject="ticket:1", version=region).unit_id == org.a.pk


def test_the_event_filter_selects_events(org):
    accounts = publish(owner=org.a, event_filter={"service": ["open_account", "cards"]})
    phone = publish(owner=org.a, event_filter={"channel": "phone", "priority_reason": "vip"})
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a, service="open_account")
    event("floor.ticket.issued", "ticket:2", T0, unit=org.a, service="cash")
    event("floor.ticket.issued", "ticket:3", T0, unit=org.a, channel="phone", priority_reason="vip")
    event("floor.ticket.issued", "ticket:4", T0, unit=org.a, channel="phone")
    event("floor.ticket.issued", "ticket:5", T0, unit=org.a)
    run(now=T0 + minutes(1))
    pairs = set(Case.objects.values_list("version_id", "subject"))
    assert pairs == {(accounts.pk, "ticket:1"), (phone.pk, "ticket:3")}


def test_one_event_stops_one_measure_and_starts_the_next(org):
    wait = publish(owner=org.a, start="floor.ticket.issued", stop="floor.ticket.called")
    serve = publish(
        owner=org.a, start="floor.ticket.called", stop="floor.ticket.finished", target=10
    )
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(5), unit=org.a)
    event("floor.ticket.finished", "ticket:1", T0 + minutes(25), unit=org.a)
    run()
    states = dict(Case.objects.values_list("version_id", "state"))
    assert states == {wait.pk: "met", serve.pk: "breached"}


def test_a_repeated_start_does_not_open_a_second_case(org):
    publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    run(now=T0 + minutes(1))
    event("floor.ticket.issued", "ticket:1", T0 + minutes(2), unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(3), unit=org.a)
    run(now=T0 + minutes(4))
    case = Case.objects.get()
    assert (case.state, case.started_at) == ("met", T0)


# --------------------------------------------------------------------------- business hours


def test_a_warning_at_80_percent_across_closing_time(org):
    # A 15-minute business-hours target started at 16:50 on a Friday: 10 minutes run on
    # Friday, 5 on Monday morning; 80 % (12 minutes) falls at Monday 09:02.
    publish(owner=org.a, calendar=business_hours())
    friday = dt.datetime(2026, 3, 6, 16, 50, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    monday_9 = friday + dt.timedelta(days=2, hours=16, minutes=10)
    event("floor.ticket.issued", "ticket:1", friday, unit=org.a, staff=org.teller)
    run(now=friday + minutes(40))  # Friday 17:30: closed, 10 of 15 minutes used
    case = Case.objects.get()
    assert case.warn_at == monday_9 + minutes(2)
    assert case.due_at == monday_9 + minutes(5)
    assert (case.state, case.warned_at) == ("open", None)
    assert not Alert.objects.exists()
    run(now=monday_9 + minutes(1))
    assert not Alert.objects.exists()
    run(now=monday_9 + minutes(3))
    case.refresh_from_db()
    assert case.warned_at == monday_9 + minutes(2)
    assert set(Alert.objects.values_list("kind", "recipient_id")) == {
        ("warning", org.teller.pk),
        ("warning", org.a_manager.pk),
    }
    # Called at 09:04: met, with 14 open minutes taken.
    event("floor.ticket.called", "ticket:1", monday_9 + minutes(4), unit=org.a)
    run(now=monday_9 + minutes(5))
    case.refresh_from_db()
    assert (case.state, case.value) == ("met", 14 * 60.0)


def test_a_working_day_target_skips_the_weekend(org):
    publish(
        owner=org.hq,
        start="ops.item.requested",
        stop="ops.item.delivered",
        target=1,
        unit="working_days",
        calendar=business_hours(),
    )
    friday = dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    event("ops.item.requested", "item:1", friday, unit=org.a)
    event("ops.item.delivered", "item:1", friday + dt.timedelta(days=3, hours=1), unit=org.a)
    run()
    case = Case.objects.get()
    assert case.due_at == friday + dt.timedelta(days=3)  # Monday 15:00
    assert case.state == "breached"


# --------------------------------------------------------------------------- the log


def test_an_event_committed_late_with_a_lower_id_is_processed_once(org):
    version = publish(owner=org.a)
    base = (ServiceEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000

    def at(pk, kind, subject, when):
        ServiceEvent.objects.create(
            id=pk,
            kind=kind,
            subject=subject,
            occurred_at=when,
            unit=org.a,
            source_key=f"late-{pk}",
        )

    # The start of ticket:1 took id base+1 but commits after base+2 and base+3 were read.
    at(base + 2, "floor.ticket.issued", "ticket:2", T0)
    at(base + 3, "floor.ticket.called", "ticket:1", T0 + minutes(5))
    EngineCursor.objects.update_or_create(name="engine", defaults={"last_id": base})
    run(now=T0 + minutes(6))
    cursor = EngineCursor.objects.get(name="engine")
    assert cursor.last_id == base + 3
    assert [p[0] for p in cursor.pending_ids] == [base + 1]
    assert not Case.objects.filter(subject="ticket:1").exists()
    at(base + 1, "floor.ticket.issued", "ticket:1", T0)
    run(now=T0 + minutes(7))
    run(now=T0 + minutes(8))
    case = Case.objects.get(subject="ticket:1")
    # The stop read before its start still closes it, once.
    assert (case.state, case.value) == ("met", 300.0)
    assert EngineCursor.objects.get(name="engine").pending_ids == []
    assert day_totals(version.commitment) == (1, 1, 0)


def test_a_gap_is_given_up_after_the_wait(org, settings):
    settings.COMMITMENTS_GAP_WAIT_S = 0
    publish(owner=org.a)
    base = (ServiceEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    ServiceEvent.objects.create(
        id=base + 2,
        kind="floor.ticket.issued",
        subject="ticket:2",
        occurred_at=T0,
        unit=org.a,
        source_key="gap-2",
    )
    EngineCursor.objects.update_or_create(name="engine", defaults={"last_id": base})
    run(now=T0 + minutes(1))
    assert EngineCursor.objects.get(name="engine").pending_ids == []


def test_a_crash_in_the_middle_of_a_batch_leaves_nothing_and_the_batch_is_redone(org, monkeypatch):
    version = publish(owner=org.a)
    for n in range(10):
        event("floor.ticket.issued", f"ticket:{n}", T0, unit=org.a)
        event("floor.ticket.called", f"ticket:{n}", T0 + minutes(n * 2), unit=org.a)

    def crash(self, increments):
        raise RuntimeError("power cut")

    # The cases are written, then the process dies before the attainment and the cursor.
    monkeypatch.setattr(engine.Store, "attain", crash)
    monkeypatch.setattr(engine.PostgresStore, "attain", crash)
    with pytest.raises(RuntimeError):
        run()
    assert not Case.objects.exists()
    assert not EngineCursor.objects.filter(name="engine", last_id__gt=0).exists()
    monkeypatch.undo()
    run()
    run()
    assert Case.objects.count() == 10
    assert day_totals(version.commitment) == (10, 8, 2)


def test_two_batches_give_what_one_batch_gives_and_nothing_is_read_twice(org):
    publish(owner=org.a)
    publish(owner=org.hq, start="floor.ticket.called", stop="floor.ticket.finished", target=10)
    log = []
    for n in range(30):
        log.append((T0 + minutes(n), 0, "floor.ticket.issued", f"ticket:{n}"))
        log.append((T0 + minutes(n + n % 20), 1, "floor.ticket.called", f"ticket:{n}"))
        if n % 3:
            log.append(
                (T0 + minutes(n + n % 20 + n % 13), 2, "floor.ticket.finished", f"ticket:{n}")
            )
    for at, _, kind, subject in sorted(log):  # recorded as they happen
        event(kind, subject, at, unit=org.a)

    def snapshot():
        cases = sorted(
            Case.objects.values_list("version_id", "subject", "state", "value", "breached_at")
        )
        days = sorted(
            AttainmentDay.objects.values_list("commitment_id", "unit_id", "day", "total", "met")
        )
        return cases, days

    now = T0 + dt.timedelta(days=1)
    run(now=now)  # one batch
    one = snapshot()
    Case.objects.all().delete()
    AttainmentDay.objects.all().delete()
    EngineCursor.objects.all().delete()
    stats = run(now=now, batch=7)  # many small batches
    assert stats["batches"] >= 12
    assert snapshot() == one
    # Every event was read exactly once, and the cursor stands at the last one.
    assert stats["events"] == ServiceEvent.objects.count()
    last = EngineCursor.objects.get(name="engine").last_id
    assert last == ServiceEvent.objects.order_by("-id").first().pk
    # Nothing new: the next run reads no event at all.
    assert run(now=now)["events"] == 0
    event("floor.ticket.issued", "ticket:99", now, unit=org.a)
    assert run(now=now)["events"] == 1


# --------------------------------------------------------------------------- the process


def test_only_one_engine_holds_the_lease(org):
    first = engine.Engine()
    second = engine.Engine()
    assert first.acquire()
    assert not second.acquire()
    assert engine.tick(now=T0) == {"skipped": True, "holder": first.owner}
    first.release()
    assert second.acquire()
    second.release()


def test_the_task_and_the_command_run_the_engine(org):
    publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    event("floor.ticket.called", "ticket:1", T0 + minutes(5), unit=org.a)
    result = engine_tick.call()
    assert result["events"] == 2
    assert Case.objects.get().state == "met"
    event("floor.ticket.issued", "ticket:2", T0, unit=org.a)
    call_command("commitments_engine", "--once", verbosity=0)
    assert Case.objects.count() == 2
    assert EngineCursor.objects.get(name="engine").owner == ""
