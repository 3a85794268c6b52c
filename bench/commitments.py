#!/usr/bin/env python
"""The commitments benchmark: 150 published commitments evaluated over a year of service
events by the product's engine, next to a baseline that recomputes attainment with one SQL
query per commitment, and the time from a breach to its alert being visible.

    createdb -h 127.0.0.1 -U postgres sf_bench_eng            # a database of its own
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_bench_eng SERVICEFIRST_DEV=1 \\
        .venv/bin/python bench/commitments.py                 # 10,000,000 events, the table
    ... bench/commitments.py --events 1000000 --json

The database. The bench writes a bank, units, staff, calendars, 150 commitments and millions
of events, and empties the engine's tables (cases, alerts, digests, attainment, cursor) before
each measurement, so it runs only on a database whose name contains "bench" (a dedicated one,
as above; `migrate` is run first). The events of a run stay in the database: a later run
with the same --events and --seed reuses them (generating 10 million takes a few minutes);
--fresh deletes and regenerates them. A full run (10 million) requires PostgreSQL; smaller
runs work on SQLite too.

What is measured:

1. Setup (untimed): hq (head office, an administrator) with four branches (a manager and
   tellers each), the Customer Care Center (a supervisor, agents), operations and cards
   units (back office, no managers: their alerts go to the head office). Two calendars:
   24/7 and business hours (Monday–Friday 09:00–17:00, Chinese holidays). 150 published
   commitments (see `catalogue()`): ticket waits per branch and service, service times,
   VIP and app-booked waits, calls answered within N seconds (abandons void), rings before
   answer (a count), request first response and resolution per category and severity
   (waiting for the customer pauses the clock; withdrawal voids), the regulator's 15-day
   complaint rule, transfers answered by the receiving unit within a working day, and
   second-line deliveries to branches.
2. Events (untimed): --events over the year before now, recorded in time order (ids follow
   time, as producers' transactions make them), with COPY on PostgreSQL: tickets (issued,
   called, finished; some cancelled or no-show), calls (offered, answered with rings or
   abandoned), callbacks, requests (opened, first response, sometimes waiting for the
   customer and replying, resolved, closed; some withdrawn, some transferred), and items
   requested from and delivered by the second line. About one in ten cases breaches.
3. events_per_s: the engine (`engine.Engine.catch_up` then `sweep`, the same code as
   `servicefirst commitments_engine`, batches of --batch events) from an empty cursor to the
   end of the log: every case opened, closed, breached, voided; attainment per commitment,
   unit and day; alerts and escalations for the breaches of the last 24 hours. events ÷
   wall time.
4. baseline_events_per_s: for each commitment one SQL query over all events that recomputes
   its attainment — its start events (kind, `event_filter` on the attributes, unit in the
   owner's subtree) left-joined by subject to the first stop event, met when the stop came
   within the target (a count: value <= target) → met/total. The baseline judges wall-clock
   time (no business hours, no pauses, no working days: one plain query cannot), so it does
   less than the engine. events ÷ the sum of the 150 queries' times. This is what a report
   that recomputes attainment costs every time it is asked; the engine pays once per event.
   --baseline-sample K times K commitments spread over the catalogue and extrapolates to
   150 (printed as such).
5. breach_visible_p95_s: the engine loop runs in a thread (its own connection, the lease,
   1-second interval, sleeping until the next deadline); the main thread records --samples
   breaches through `events.record` and polls from its own connection until the Alert row of
   the breach is visible: half are deadlines passing without a stop (a call offered so that
   its 20-second target runs out 1–3 s later; the breach happens at the due time), half are
   counts over target (a call answered after 6 rings; the breach happens when it is
   recorded). The time from the breach to the first moment the alert is visible; the 95th
   percentile.

Options: --events N (10,000,000), --batch N (50,000), --seed S (1), --samples N (40),
--baseline-sample K (all 150), --fresh, --json (print only {"events", "events_per_s",
"baseline_events_per_s", "breach_visible_p95_s"}).
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench-"
LIVE = "call:live-"  # subjects of the breaches recorded live by the visibility measurement
SERVICES = ["cash", "transfer", "open_account", "cards", "loans", "wealth", "fx", "enquiry"]
QUEUES = ["general", "cards", "loans", "wealth", "complaints", "english"]
CATEGORIES = [
    "account",
    "card",
    "loan",
    "payment",
    "wealth",
    "complaint",
    "fee",
    "online_banking",
    "atm",
    "other",
]
ITEMS = [
    "card_stock",
    "cash_delivery",
    "token",
    "cheque_book",
    "statement",
    "pin_mailer",
    "coin",
    "forms",
    "seal",
    "safe_key",
    "ukey",
    "passbook",
    "notes_fit",
    "notes_new",
    "fx_cash",
    "gold",
    "atm_parts",
    "printer_paper",
    "queue_tickets",
    "brochures",
]
CAMPAIGNS = ["cards_upgrade", "loan_followup", "wealth_review", "service_recovery"]
CHANNELS = ["counter", "phone", "web", "letter", "app"]
BRANCHES = 4


def log(quiet: bool, message: str) -> None:
    print(message, file=sys.stderr if quiet else sys.stdout, flush=True)


# --------------------------------------------------------------------------- setup


def setup_org() -> dict:
    from servicefirst.accounts.models import Bank, Role, Staff, Unit
    from servicefirst.accounts.services import staff_create
    from servicefirst.commitments.models import BusinessCalendar

    bank, _ = Bank.objects.get_or_create(
        code="bench", defaults={"name_zh": "基准银行", "name_en": "Bench Bank"}
    )

    def unit(code, kind, parent=None, line="first"):
        return Unit.objects.get_or_create(
            code=f"{PREFIX}{code}",
            defaults={
                "bank": bank,
                "parent": parent,
                "name_zh": code,
                "name_en": code,
                "kind": kind,
                "line": line,
            },
        )[0]

    hq = unit("hq", Unit.Kind.HEAD_OFFICE, line="second")
    branches = [unit(f"br{i}", Unit.Kind.BRANCH, hq) for i in range(1, BRANCHES + 1)]
    ccc = unit("ccc", Unit.Kind.CARE_CENTER, hq)
    ops = unit("ops", Unit.Kind.OPERATIONS, hq, "second")
    cards = unit("cards", Unit.Kind.CARDS, hq, "second")
    loans = unit("loans", Unit.Kind.LOANS, hq, "second")

    def staff(name, unit_, *roles):
        login = f"{PREFIX}{name}"
        existing = Staff.objects.filter(user__username=login).first()
        if existing:
            return existing
        return staff_create(
            username=login,
            password="bench-only-2026!",  # noqa: S106 - a bench login
            name=name,
            employee_number=login[:20],
            unit=unit_,
            roles=list(roles),
        )

    staff("admin", hq, Role.ADMINISTRATOR)
    tellers = {}
    for b in branches:
        staff(f"bm-{b.code}", b, Role.BRANCH_MANAGER)
        tellers[b.pk] = [staff(f"t{k}-{b.code}", b, Role.TELLER).pk for k in range(3)]
    staff("sup", ccc, Role.CC_SUPERVISOR)
    agents = [staff(f"agent{k}", ccc, Role.CC_AGENT).pk for k in range(5)]
    staff("ops1", ops, Role.BACK_OFFICE)
    always, _ = BusinessCalendar.objects.get_or_create(
        code=f"{PREFIX}24x7", defaults={"name_zh": "全天候", "name_en": "24/7", "always_open": True}
    )
    office, _ = BusinessCalendar.objects.get_or_create(
        code=f"{PREFIX}office",
        defaults={
            "name_zh": "营业时间",
            "name_en": "Business hours",
            "weekly_hours": [[["09:00", "17:00"]]] * 5 + [[], []],
            "observe_holidays": True,
        },
    )
    return {
        "hq": hq,
        "branches": branches,
        "ccc": ccc,
        "ops": ops,
        "cards": cards,
        "loans": loans,
        "tellers": tellers,
        "agents": agents,
        "always": always,
        "office": office,
    }


def catalogue(org: dict) -> list[dict]:
    """The 150 commitments: dicts of version fields plus code and owner."""
    always, office = org["always"], org["office"]
    rows = []

    def add(code, owner, start, stop="", **fields):
        fields.setdefault("measure", "duration")
        fields.setdefault("calendar", always)
        rows.append(
            {"code": f"{PREFIX}{code}", "owner": owner, "start": start, "stop": stop, **fields}
        )

    cancel_ticket = ["floor.ticket.cancelled", "floor.ticket.no_show"]
    for b in org["branches"]:  # 32: waits per branch and service
        for k, service in enumerate(SERVICES):
            add(
                f"wait-{b.code}-{service}",
                b,
                "floor.ticket.issued",
                "floor.ticket.called",
                target=(10, 15, 20)[k % 3],
                unit="minutes",
                filter={"service": service},
                cancel=cancel_ticket,
                calendar=office if k % 2 else always,
            )
    for k, service in enumerate(SERVICES):  # 8: service times
        add(
            f"serve-{service}",
            org["hq"],
            "floor.ticket.called",
            "floor.ticket.finished",
            target=(10, 20, 30, 45)[k % 4],
            unit="minutes",
            filter={"service": service},
        )
    add(
        "vip-wait",
        org["hq"],
        "floor.ticket.issued",
        "floor.ticket.called",
        target=5,
        unit="minutes",
        filter={"priority_reason": ["vip", "elderly"]},
        cancel=cancel_ticket,
    )
    for b in org["branches"]:  # 4: app-booked tickets
        add(
            f"app-wait-{b.code}",
            b,
            "floor.ticket.issued",
            "floor.ticket.called",
            target=10,
            unit="minutes",
            filter={"channel": "app"},
            cancel=cancel_ticket,
        )
    for q in QUEUES:  # 12: calls answered in N seconds, by queue and language
        for lang in ("zh", "en"):
            add(
                f"answer-{q}-{lang}",
                org["ccc"],
                "contact.call.offered",
                "contact.call.answered",
                target=20 if lang == "zh" else 30,
                unit="seconds",
                filter={"queue": q, "language": lang},
                cancel=["contact.call.abandoned"],
            )
    for q in QUEUES:  # 6: rings before answer (a count)
        add(
            f"rings-{q}",
            org["ccc"],
            "contact.call.answered",
            measure="count",
            target=3,
            unit="rings",
            filter={"queue": q},
        )
    for c in CATEGORIES:  # 10: first response
        add(
            f"first-response-{c}",
            org["ccc"],
            "request.opened",
            "request.first_response",
            target=2,
            unit="hours",
            filter={"category": c},
            cancel=["request.cancelled"],
        )
    for c in CATEGORIES:  # 20: resolution by severity, paused while waiting for the customer
        for severity, target, unit_ in (("normal", 5, "days"), ("high", 2, "working_days")):
            add(
                f"resolve-{c}-{severity}",
                org["hq"],
                "request.opened",
                "request.resolved",
                target=target,
                unit=unit_,
                filter={"category": c, "severity": severity},
                cancel=["request.cancelled"],
                pause="request.waiting_customer",
                resume="request.customer_replied",
                calendar=office,
            )
    add(  # 1: the regulator's 15 days for complaints
        "complaint-15-days",
        org["hq"],
        "request.opened",
        "request.resolved",
        target=15,
        unit="days",
        filter={"kind": "complaint"},
        cancel=["request.cancelled"],
    )
    for ch in CHANNELS:  # 5: closed within 7 days, by channel
        add(
            f"close-{ch}",
            org["hq"],
            "request.opened",
            "request.closed",
            target=7,
            unit="days",
            filter={"channel": ch},
            cancel=["request.cancelled"],
        )
    for unit_ in ("ops", "cards", "loans"):  # 18: transfers answered by the receiving unit
        for c in CATEGORIES[:6]:
            add(
                f"transfer-{unit_}-{c}",
                org[unit_],
                "request.transfer.sent",
                "request.transfer.answered",
                target=1,
                unit="working_days",
                filter={"category": c},
                calendar=office,
            )
    for k, item in enumerate(ITEMS):  # 20: second-line deliveries to branches
        add(
            f"deliver-{item}",
            org["ops"] if k % 2 else org["cards"],
            "ops.item.requested",
            "ops.item.delivered",
            target=(4, 1)[k % 2],
            unit=("hours", "working_days")[k % 2],
            filter={"item": item},
            calendar=office,
        )
    for camp in CAMPAIGNS:  # 4: callbacks made within 10 minutes of their time
        add(
            f"callback-{camp}",
            org["ccc"],
            "contact.callback.due",
            "contact.callback.made",
            target=10,
            unit="minutes",
            filter={"campaign": camp},
        )
    add("hq-wait-30", org["hq"], "floor.ticket.issued", "floor.ticket.called", target=30,
        unit="minutes", cancel=cancel_ticket)  # fmt: skip
    for b in org["branches"][:2]:  # 2: issue to finish within 45 minutes
        add(
            f"visit-{b.code}",
            b,
            "floor.ticket.issued",
            "floor.ticket.finished",
            target=45,
            unit="minutes",
            cancel=cancel_ticket,
        )
    add(
        "answer-any-60",
        org["ccc"],
        "contact.call.offered",
        "contact.call.answered",
        target=60,
        unit="seconds",
        cancel=["contact.call.abandoned"],
    )
    add(
        "complaint-first-response",
        org["hq"],
        "request.opened",
        "request.first_response",
        target=1,
        unit="hours",
        filter={"kind": "complaint", "severity": "high"},
        cancel=["request.cancelled"],
    )
    for b in org["branches"]:  # 4: requests opened at a branch, first response
        add(
            f"branch-response-{b.code}",
            b,
            "request.opened",
            "request.first_response",
            target=4,
            unit="hours",
            calendar=office,
        )
    assert len(rows) == 150, len(rows)
    return rows


def publish_catalogue(org: dict) -> list:
    from decimal import Decimal

    from django.utils import timezone

    from servicefirst.commitments.models import Commitment, CommitmentVersion

    versions = []
    for row in catalogue(org):
        commitment, _ = Commitment.objects.get_or_create(
            code=row["code"],
            defaults={"area": Commitment.Area.COUNTERS, "owner": row["owner"], "basis": "own"},
        )
        version = commitment.versions.filter(status="published").first()
        if version is None:
            version = CommitmentVersion.objects.create(
                commitment=commitment,
                number=commitment.versions.count() + 1,
                status=CommitmentVersion.Status.PUBLISHED,
                statement_zh=row["code"],
                statement_en=row["code"],
                measure=row["measure"],
                start_event=row["start"],
                stop_event=row["stop"],
                cancel_events=row.get("cancel", []),
                pause_event=row.get("pause", ""),
                resume_event=row.get("resume", ""),
                event_filter=row.get("filter", {}),
                target_value=Decimal(str(row["target"])),
                target_unit=row["unit"],
                goal_percent=Decimal("90"),
                warn_percent=80,
                calendar=row["calendar"],
                published_at=timezone.now(),
            )
        versions.append(version)
    return versions


# --------------------------------------------------------------------------- events


class Generator:
    """A year of events, in time order. Each flow (a ticket, a call, a request …) schedules
    its events; a heap releases them in order as the day being generated moves on."""

    def __init__(self, org: dict, seed: int, start: dt.datetime, end: dt.datetime) -> None:
        self.org = org
        self.rng = random.Random(seed)
        self.start = start
        self.end = end
        self.heap: list = []
        self.seq = 0
        self.subject = 0

    def push(self, at, kind, subject, unit, staff=None, value=None, attrs=None):
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, subject, unit, staff, value, attrs))

    def ticket(self, at):
        r = self.rng
        b = r.choice(self.org["branches"])
        self.subject += 1
        s = f"ticket:{self.subject}"
        service = r.choice(SERVICES)
        prio = "vip" if r.random() < 0.08 else ("elderly" if r.random() < 0.1 else "")
        channel = "app" if r.random() < 0.2 else "kiosk"
        attrs = {"service": service, "channel": channel}
        if prio:
            attrs["priority_reason"] = prio
        self.push(at, "floor.ticket.issued", s, b.pk, attrs=attrs)
        u = r.random()
        wait = r.expovariate(1 / 420)  # mean 7 minutes: some waits run over
        if u < 0.04:
            self.push(at + dt.timedelta(seconds=wait), "floor.ticket.cancelled", s, b.pk)
            return 2
        if u < 0.06:
            self.push(at + dt.timedelta(seconds=wait), "floor.ticket.no_show", s, b.pk)
            return 2
        teller = r.choice(self.org["tellers"][b.pk])
        called = at + dt.timedelta(seconds=wait)
        self.push(called, "floor.ticket.called", s, b.pk, staff=teller, attrs={"service": service})
        done = called + dt.timedelta(seconds=r.lognormvariate(6.3, 0.6))
        self.push(done, "floor.ticket.finished", s, b.pk, staff=teller, attrs={"service": service})
        return 3

    def call(self, at):
        r = self.rng
        ccc = self.org["ccc"].pk
        self.subject += 1
        s = f"call:{self.subject}"
        attrs = {"queue": r.choice(QUEUES), "language": "en" if r.random() < 0.1 else "zh"}
        self.push(at, "contact.call.offered", s, ccc, attrs=attrs)
        wait = r.expovariate(1 / 12)
        if r.random() < 0.05:
            self.push(
                at + dt.timedelta(seconds=wait), "contact.call.abandoned", s, ccc, attrs=attrs
            )
            return 2
        rings = max(1, round(wait / 6 + 0.5))
        self.push(
            at + dt.timedelta(seconds=wait),
            "contact.call.answered",
            s,
            ccc,
            staff=r.choice(self.org["agents"]),
            value=rings,
            attrs=attrs,
        )
        return 2

    def callback(self, at):
        r = self.rng
        ccc = self.org["ccc"].pk
        self.subject += 1
        s = f"callback:{self.subject}"
        attrs = {"campaign": r.choice(CAMPAIGNS)}
        self.push(at, "contact.callback.due", s, ccc, attrs=attrs)
        made = at + dt.timedelta(seconds=r.expovariate(1 / 240))
        self.push(made, "contact.callback.made", s, ccc, staff=r.choice(self.org["agents"]))
        return 2

    def request(self, at):
        r = self.rng
        owner = self.org["ccc"] if r.random() < 0.7 else r.choice(self.org["branches"])
        self.subject += 1
        s = f"request:{self.subject}"
        category = r.choice(CATEGORIES)
        attrs = {
            "category": category,
            "channel": r.choice(CHANNELS),
            "kind": "complaint" if category == "complaint" else "request",
            "severity": "high" if r.random() < 0.2 else "normal",
        }
        self.push(at, "request.opened", s, owner.pk, attrs=attrs)
        n = 1
        if r.random() < 0.03:
            self.push(at + dt.timedelta(hours=r.uniform(1, 48)), "request.cancelled", s, owner.pk)
            return 2
        first = at + dt.timedelta(seconds=r.expovariate(1 / 2400))
        self.push(first, "request.first_response", s, owner.pk, attrs={"category": category})
        n += 1
        t = first
        if r.random() < 0.25:
            t += dt.timedelta(hours=r.uniform(1, 20))
            self.push(t, "request.waiting_customer", s, owner.pk)
            t += dt.timedelta(hours=r.expovariate(1 / 30))
            self.push(t, "request.customer_replied", s, owner.pk)
            n += 2
        if r.random() < 0.15:  # a transfer to a second-line unit, its own subject
            unit = self.org[r.choice(("ops", "cards", "loans"))]
            self.subject += 1
            ts = f"transfer:{self.subject}"
            sent = t + dt.timedelta(minutes=r.uniform(5, 120))
            self.push(sent, "request.transfer.sent", ts, unit.pk, attrs={"category": category})
            answered = sent + dt.timedelta(hours=r.expovariate(1 / 14))
            self.push(answered, "request.transfer.answered", ts, unit.pk)
            t = answered
            n += 2
        resolved = t + dt.timedelta(hours=r.expovariate(1 / 40))
        self.push(resolved, "request.resolved", s, owner.pk, attrs=attrs)
        closed = resolved + dt.timedelta(hours=r.expovariate(1 / 24))
        self.push(closed, "request.closed", s, owner.pk)
        return n + 2

    def item(self, at):
        r = self.rng
        unit = self.org["ops"] if r.random() < 0.5 else self.org["cards"]
        self.subject += 1
        s = f"item:{self.subject}"
        b = r.choice(self.org["branches"])
        attrs = {"item": r.choice(ITEMS), "branch": b.code}
        self.push(at, "ops.item.requested", s, unit.pk, attrs=attrs)
        done = at + dt.timedelta(hours=r.expovariate(1 / 10))
        self.push(done, "ops.item.delivered", s, unit.pk, attrs=attrs)
        return 2

    def rows(self, total: int):
        """Yield (kind, occurred_at, subject, unit_id, staff_id, value, attrs) until `total`
        events, in time order, spread over start..end."""
        r = self.rng
        flows = [
            (self.ticket, 0.42),
            (self.call, 0.40),
            (self.callback, 0.05),
            (self.request, 0.08),
            (self.item, 0.05),
        ]
        funcs = [f for f, _ in flows]
        weights = [w for _, w in flows]
        span = (self.end - self.start).total_seconds()
        # Slightly more flows than the events need: the stream reaches `total` a few days
        # before `end`, so no event lies in the future.
        rate = 1.03 * total / 2.6 / span  # flows per second
        at = self.start
        emitted = 0
        step = dt.timedelta(hours=1)
        while emitted < total and at < self.end:
            horizon = at + step
            while at < horizon:
                at += dt.timedelta(seconds=r.expovariate(rate))
                r.choices(funcs, weights)[0](at)
            while self.heap and self.heap[0][0] < horizon and emitted < total:
                ev = heapq.heappop(self.heap)
                emitted += 1
                yield ev[2], ev[0], ev[3], ev[4], ev[5], ev[6], ev[7]


def write_events(org: dict, n: int, seed: int, quiet: bool) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from servicefirst.commitments.models import ServiceEvent

    end = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    gen = Generator(org, seed, end - dt.timedelta(days=365), end)
    t0 = time.perf_counter()
    chunk = 200_000
    rows = []
    written = 0
    table = ServiceEvent._meta.db_table
    columns = (
        "kind, occurred_at, recorded_at, subject, unit_id, customer_id, staff_id, value, "
        "attrs, source_key"
    )

    def flush():
        nonlocal rows, written
        if not rows:
            return
        with transaction.atomic():
            if connection.vendor == "postgresql":
                connection.ensure_connection()
                with (
                    connection.connection.cursor() as cur,
                    cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                ServiceEvent.objects.bulk_create(
                    [
                        ServiceEvent(
                            kind=k,
                            occurred_at=at,
                            subject=s,
                            unit_id=u,
                            customer_id=c,
                            staff_id=st,
                            value=v,
                            attrs=json.loads(a),
                            source_key=key,
                        )
                        for k, at, _rec, s, u, c, st, v, a, key in rows
                    ],
                    batch_size=2000,
                )
        written += len(rows)
        rows = []
        rate = written / (time.perf_counter() - t0)
        log(quiet, f"  {written:,} events written ({rate:,.0f}/s)")

    for i, (kind, at, subject, unit, staff, value, attrs) in enumerate(gen.rows(n)):
        rows.append(
            (
                kind,
                at,
                at,
                subject,
                unit,
                None,
                staff,
                value,
                json.dumps(attrs or {}),
                f"{PREFIX}{seed}-{i}",
            )
        )
        if len(rows) >= chunk:
            flush()
    flush()


def prepare(n: int, seed: int, fresh: bool, quiet: bool) -> dict:
    from django.db import connection

    from servicefirst.commitments.models import ServiceEvent

    org = setup_org()
    publish_catalogue(org)
    # The live breaches of an earlier visibility measurement (normally removed after it).
    ServiceEvent.objects.filter(subject__startswith=LIVE).delete()
    ours = ServiceEvent.objects.filter(source_key__startswith=f"{PREFIX}{seed}-")
    have = ServiceEvent.objects.count()
    if fresh or have != n or ours.count() != n:
        log(quiet, f"events: generating {n:,} over a year…")
        reset_engine()
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"TRUNCATE {ServiceEvent._meta.db_table} RESTART IDENTITY CASCADE")
        else:
            ServiceEvent.objects.all().delete()
        write_events(org, n, seed, quiet)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"VACUUM ANALYZE {ServiceEvent._meta.db_table}")
    else:
        log(quiet, f"events: reusing the {n:,} events of an earlier run")
    return org


def reset_engine() -> None:
    from django.db import connection

    from servicefirst.commitments.models import (
        Alert,
        AlertDigest,
        AttainmentDay,
        Case,
        EngineCursor,
    )

    tables = [m._meta.db_table for m in (Alert, AlertDigest, AttainmentDay, Case, EngineCursor)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    else:
        for model in (Alert, AlertDigest, AttainmentDay, Case, EngineCursor):
            model.objects.all().delete()


# --------------------------------------------------------------------------- measurements


def measure_engine(batch: int, quiet: bool) -> tuple[float, dict]:
    from django.db import connection

    from servicefirst.commitments import engine

    reset_engine()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("CHECKPOINT")
    runner = engine.Engine(engine.Options.from_settings(batch=batch))
    t0 = time.perf_counter()
    last = [t0]

    def progress() -> bool:
        now = time.perf_counter()
        if now - last[0] > 10:
            last[0] = now
            if runner.horizon is not None:
                log(quiet, f"  engine: up to {runner.horizon:%Y-%m-%d} ({now - t0:.0f} s)")
        return False

    stats = runner.catch_up(should_stop=progress)
    stats.add(runner.sweep())
    elapsed = time.perf_counter() - t0
    return elapsed, stats.as_dict()


def baseline_sql(version, owner_units: list[int]) -> tuple[str, list]:
    from servicefirst.commitments.models import ServiceEvent

    table = ServiceEvent._meta.db_table
    params: list = [version.start_event, owner_units]
    where = ["s.kind = %s", "s.unit_id = ANY(%s)"]
    for attr, want in sorted((version.event_filter or {}).items()):
        values = [str(v) for v in (want if isinstance(want, list) else [want])]
        where.append("s.attrs ->> %s = ANY(%s)")
        params += [attr, values]
    target = float(version.target_value)
    if version.measure == "count":
        sql = (
            f"SELECT count(*), count(*) FILTER (WHERE s.value <= %s) FROM {table} s "  # noqa: S608
            f"WHERE {' AND '.join(where)}"
        )
        return sql, [target, *params]
    seconds = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}.get(
        version.target_unit, 86400
    )
    sql = (
        "SELECT count(*), count(*) FILTER (WHERE e.stopped <= s.occurred_at + "  # noqa: S608
        "make_interval(secs => %s)) "
        f"FROM {table} s LEFT JOIN (SELECT subject, min(occurred_at) AS stopped FROM {table} "
        "WHERE kind = %s GROUP BY subject) e ON e.subject = s.subject "
        f"WHERE {' AND '.join(where)}"
    )
    return sql, [target * seconds, version.stop_event, *params]


def measure_baseline(sample: int | None, quiet: bool) -> tuple[float, int, int]:
    """Seconds for the 150 queries (extrapolated from `sample` of them when given)."""
    from django.db import connection

    from servicefirst.accounts.models import Unit
    from servicefirst.commitments.models import CommitmentVersion

    parents = dict(Unit.objects.values_list("id", "parent_id"))

    def subtree(root: int) -> list[int]:
        out = []
        for u in parents:
            x = u
            while x is not None:
                if x == root:
                    out.append(u)
                    break
                x = parents.get(x)
        return out

    versions = list(
        CommitmentVersion.objects.filter(status="published", commitment__code__startswith=PREFIX)
        .select_related("commitment")
        .order_by("commitment__code")
    )
    chosen = versions
    if sample and sample < len(versions):
        step = len(versions) / sample
        chosen = [versions[int(i * step)] for i in range(sample)]
    total_s = 0.0
    if connection.vendor != "postgresql":
        return float("nan"), 0, len(versions)
    with connection.cursor() as cur:
        for k, version in enumerate(chosen, 1):
            sql, params = baseline_sql(version, subtree(version.commitment.owner_id))
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            total_s += time.perf_counter() - t0
            if k % 10 == 0:
                log(quiet, f"  baseline: {k}/{len(chosen)} queries ({total_s:.0f} s)")
    return total_s * len(versions) / len(chosen), len(chosen), len(versions)


def measure_visibility(samples: int, quiet: bool) -> list[float]:
    """Breach → visible alert, seconds, for `samples` breaches (see the module doc)."""
    from django.db import close_old_connections, connection, transaction
    from django.utils import timezone

    from servicefirst.accounts.models import Unit
    from servicefirst.commitments import engine, events
    from servicefirst.commitments.models import Alert, ServiceEvent

    ccc = Unit.objects.get(code=f"{PREFIX}ccc")
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop():
        try:
            runner = engine.Engine(engine.Options.from_settings(interval_s=1.0))
            runner.run(should_stop=stop.is_set, sleep=lambda s: stop.wait(s))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name="commitments-engine", daemon=True)
    thread.start()
    # Let it catch up with whatever is there (the log is read to its end already).
    time.sleep(3)
    rng = random.Random(7)
    latencies = []
    try:
        for k in range(samples):
            subject = f"{LIVE}{time.time_ns()}-{k}"
            now = timezone.now()
            with transaction.atomic():
                if k % 2 == 0:  # a deadline: offered so that 20 s run out in 1–3 s
                    lead = rng.uniform(1.0, 3.0)
                    events.record(
                        "contact.call.offered",
                        subject=subject,
                        occurred_at=now - dt.timedelta(seconds=20 - lead),
                        source_key=f"{subject}:offered",
                        unit_id=ccc.pk,
                        attrs={"queue": "general", "language": "zh"},
                    )
                    breach_at = now + dt.timedelta(seconds=lead)
                else:  # a count over target: breached when recorded
                    events.record(
                        "contact.call.answered",
                        subject=subject,
                        occurred_at=now,
                        source_key=f"{subject}:answered",
                        unit_id=ccc.pk,
                        value=6,
                        attrs={"queue": "general", "language": "zh"},
                    )
                    breach_at = timezone.now()
            while True:
                if Alert.objects.filter(case__subject=subject, kind="breach").exists():
                    seen = timezone.now()
                    break
                if errors:
                    raise errors[0]
                if (timezone.now() - breach_at).total_seconds() > 60:
                    seen = None
                    break
                time.sleep(0.02)
            if seen is not None:
                latencies.append(max(0.0, (seen - breach_at).total_seconds()))
                log(quiet, f"  breach {k + 1}/{samples}: visible after {latencies[-1]:.2f} s")
            else:
                latencies.append(float("inf"))
                log(quiet, f"  breach {k + 1}/{samples}: not visible within 60 s")
            time.sleep(rng.uniform(0.1, 0.6))
    finally:
        stop.set()
        thread.join(timeout=30)
        close_old_connections()
        # The log stays the generated one, for the next run to reuse.
        ServiceEvent.objects.filter(subject__startswith=LIVE).delete()
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1)))))
    return ordered[k]


# --------------------------------------------------------------------------- main


def print_table(figures: dict, extra: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=110)
    table = Table(title=f"Commitments: {figures['events']:,} events, 150 published commitments")
    table.add_column("")
    table.add_column("engine (ours)", justify="right")
    table.add_column("baseline (1 SQL query / commitment)", justify="right")
    table.add_column("ratio", justify="right")
    ours, base = figures["events_per_s"], figures["baseline_events_per_s"]
    ratio = f"{ours / base:,.1f}×" if base and base == base else "–"
    table.add_row("events / s", f"{ours:,.0f}", f"{base:,.0f}" if base == base else "–", ratio)
    table.add_row(
        "seconds for the log",
        f"{extra['engine_s']:,.1f}",
        f"{extra['baseline_s']:,.1f}" + (" (extrapolated)" if extra["extrapolated"] else ""),
        "",
    )
    table.add_row(
        "breach → alert visible, p95",
        f"{figures['breach_visible_p95_s']:.2f} s",
        "– (recomputes on demand)",
        "",
    )
    console.print(table)
    stats = extra["stats"]
    console.print(
        f"cases opened {stats['cases_opened']:,}, closed {stats['cases_closed']:,}, breached by "
        f"the clock {stats['breaches']:,}, warnings {stats['warnings']:,}, alerts "
        f"{stats['alerts']:,}; batches {stats['batches']:,}. Visibility over "
        f"{extra['samples']} breaches: median {extra['median']:.2f} s, max {extra['max']:.2f} s."
    )
    verdict = ours >= 50_000 and figures["breach_visible_p95_s"] <= 5
    console.print(
        "target (>= 50,000 events/s, breach visible within 5 s p95): "
        + ("[green]met[/green]" if verdict else "[red]not met[/red]")
    )
    print(json.dumps(figures))  # the --json line, for the record


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--baseline-sample", type=int, default=None)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from servicefirst.core.context import request_context

    name = str(connection.settings_dict.get("NAME") or "")
    if "bench" not in Path(name).name:
        parser.error(f"the database {name!r} is not a bench database (its name must say bench)")
    if args.events >= 10_000_000 and connection.vendor != "postgresql":
        parser.error("a full run (10,000,000 events) needs PostgreSQL (DATABASE_URL)")
    quiet = args.json
    call_command("migrate", verbosity=0)
    with request_context(channel="cli"):
        prepare(args.events, args.seed, args.fresh, quiet)
        log(quiet, "engine: evaluating the log from the start…")
        engine_s, stats = measure_engine(args.batch, quiet)
        log(quiet, f"engine: {args.events / engine_s:,.0f} events/s ({engine_s:.1f} s)")
        log(quiet, "baseline: one query per commitment…")
        baseline_s, timed, total = measure_baseline(args.baseline_sample, quiet)
        log(quiet, "breach visibility: the engine loop against live breaches…")
        latencies = measure_visibility(args.samples, quiet)
    figures = {
        "events": args.events,
        "events_per_s": round(args.events / engine_s, 1),
        "baseline_events_per_s": round(args.events / baseline_s, 1) if baseline_s else None,
        "breach_visible_p95_s": round(p95(latencies), 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        finite = sorted(v for v in latencies if v != float("inf")) or [float("nan")]
        print_table(
            figures,
            {
                "engine_s": engine_s,
                "baseline_s": baseline_s,
                "extrapolated": timed < total,
                "stats": stats,
                "samples": len(latencies),
                "median": finite[len(finite) // 2],
                "max": finite[-1],
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
