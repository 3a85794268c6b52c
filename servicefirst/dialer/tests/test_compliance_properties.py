"""Property-based tests that try to make the dialer break a compliance rule.

Each rule is re-stated here as a simple, independent reference (the obvious reading of the
law, checked one moment at a time); hypothesis then throws random customers, histories,
policies, calendars and times at the kernel and compares.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezone

from servicefirst.dialer.compliance import (
    SEARCH_DAYS,
    Attempt,
    Contact,
    Outcome,
    Policy,
    may_dial,
    next_allowed_at,
    ring_timeout_s,
)

UTC = dt.UTC
PHONES = [
    "+8613800138000",  # mainland mobile
    "+862787654321",  # mainland landline
    "+85291234567",  # Hong Kong
    "+12125551234",  # New York (daylight saving)
    "+14155551234",  # Los Angeles
    "+447911123456",  # UK mobile: four zones, one offset
    "+61412345678",  # Australian mobile: eight zones, UTC+6:30 to UTC+11
    "+79161234567",  # Russian mobile: sixteen zones
    "+33612345678",  # France
]
NOW_ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")]
EDGES = [
    dt.timedelta(days=7),
    dt.timedelta(hours=72),
    dt.timedelta(days=183),
    dt.timedelta(days=184),
    dt.timedelta(days=182),
]

# SF_HYPOTHESIS_EXAMPLES=5000 for a long hunt; 200 keeps the suite quick.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("SF_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- the reference: each rule on its own, read literally ----------------------------------------


def reference_zones(phone):
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return []
    if number.country_code == 86:
        return ["Asia/Shanghai"]
    return [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]


def calendar_of(policy):
    if policy.holiday_calendar is not None:
        return policy.holiday_calendar
    import holidays

    return holidays.country_holidays("CN")


def violations(contact, history, policy, now):
    broken = set()
    if contact.do_not_call:
        broken.add("do_not_call")
    if not contact.phone_consent or not contact.marketing_consent:
        broken.add("no_consent")
    zones = reference_zones(contact.phone)
    if not zones:
        broken.add("unknown_time_zone")
    for name in zones:
        local = now.astimezone(ZoneInfo(name))
        if not policy.window_start <= local.time() < policy.window_end:
            broken.add("outside_window")
        if not policy.call_on_holidays and local.date() in calendar_of(policy):
            broken.add("holiday")
    # Ages in real elapsed time (UTC), not wall-clock time across daylight-saving changes.
    ages = [(now.astimezone(UTC) - a.at.astimezone(UTC), a.outcome) for a in history]
    last_week = [age for age, _ in ages if age < dt.timedelta(days=7)]
    if len(last_week) >= policy.max_attempts_per_week:
        broken.add("weekly_limit")
    for age, outcome in ages:
        if outcome == Outcome.REFUSED and age < dt.timedelta(days=policy.refusal_dnc_days):
            broken.add("refused_recently")
        if outcome == Outcome.ABANDONED and age < dt.timedelta(hours=policy.after_abandon_hours):
            broken.add("after_abandoned")
    return broken


# --- strategies ----------------------------------------------------------------------------------

nows = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from(NOW_ZONES),
)


@st.composite
def contacts(draw, *, dnc=None, consent=None):
    phone_consent, marketing_consent = draw(
        st.tuples(st.booleans(), st.booleans()) if consent is None else st.just(consent)
    )
    return Contact(
        customer_id=draw(st.integers(1, 10**6)),
        phone=draw(st.sampled_from(PHONES)),
        do_not_call=draw(st.booleans()) if dnc is None else dnc,
        phone_consent=phone_consent,
        marketing_consent=marketing_consent,
    )


def allowed_contacts():
    return contacts(dnc=False, consent=(True, True))


@st.composite
def policies(draw, now):
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 1, 23 * 60 + 59))
    holidays_kind = draw(st.sampled_from(["china", "random", "none"]))
    if holidays_kind == "china":
        calendar = None
    elif holidays_kind == "none":
        calendar = frozenset()
    else:
        base = now.astimezone(UTC).date()
        offsets = draw(st.sets(st.integers(-2, 12), max_size=10))
        calendar = frozenset(base + dt.timedelta(days=o) for o in offsets)
    return Policy(
        window_start=dt.time(start // 60, start % 60),
        window_end=dt.time(end // 60, end % 60),
        call_on_holidays=draw(st.booleans()),
        max_attempts_per_week=draw(st.integers(1, 5)),
        refusal_dnc_days=draw(st.integers(183, 400)),
        after_abandon_hours=draw(st.integers(72, 200)),
        min_ring_s=draw(st.integers(15, 60)),
        holiday_calendar=calendar,
    )


@st.composite
def histories(draw, now, max_size=8):
    offsets = st.one_of(
        st.integers(-10 * 86400, 3600).map(lambda s: dt.timedelta(seconds=s)),
        st.integers(-400 * 86400, 0).map(lambda s: dt.timedelta(seconds=s)),
        st.tuples(st.sampled_from(EDGES), st.integers(-2, 2)).map(
            lambda e: -e[0] + dt.timedelta(seconds=e[1])
        ),
    )
    attempts = draw(st.lists(st.tuples(offsets, st.sampled_from(list(Outcome))), max_size=max_size))
    return [
        Attempt(now + offset, f"campaign-{i % 3}", outcome)
        for i, (offset, outcome) in enumerate(attempts)
    ]


@st.composite
def situations(draw, contact_strategy=None):
    now = draw(nows)
    contact = draw(contacts() if contact_strategy is None else contact_strategy)
    return contact, draw(histories(now)), draw(policies(now)), now


# --- properties -----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(situations())
def test_the_verdict_names_exactly_the_rules_broken(situation):
    contact, history, policy, now = situation
    verdict = may_dial(contact, history, policy, now)
    broken = violations(contact, history, policy, now)
    assert set(verdict.reasons) == broken
    assert len(verdict.reasons) == len(broken)
    # Whenever the dialer allows a call, no rule is violated.
    assert verdict.allowed == (not broken)


@PROPERTY_SETTINGS
@given(situations(allowed_contacts()), st.data())
def test_next_allowed_at_is_the_first_allowed_moment(situation, data):
    contact, history, policy, now = situation
    first = next_allowed_at(contact, history, policy, now)
    if first is None:
        # Never within the search horizon: probe a few moments to make sure.
        now = now.astimezone(UTC)
        latest = max([now, *(a.at for a in history)])
        horizon = latest + dt.timedelta(days=max(policy.refusal_dnc_days, 7) + SEARCH_DAYS)
        span = int((horizon - now).total_seconds())
        for _ in range(5):
            probe = now + dt.timedelta(seconds=data.draw(st.integers(0, span)))
            assert violations(contact, history, policy, probe)
        return
    assert first >= now
    assert may_dial(contact, history, policy, first).allowed
    assert not violations(contact, history, policy, first)
    if first == now:
        return
    # Nothing earlier is allowed: just before, at now, and at random minutes in between
    # (stepped in UTC: aware arithmetic in a local zone is wall-clock arithmetic).
    now = now.astimezone(UTC)
    span = int((first - now).total_seconds())
    probes = [first - dt.timedelta(seconds=1), now]
    probes += [
        now + dt.timedelta(minutes=m)
        for m in data.draw(st.lists(st.integers(0, max(0, span // 60 - 1)), max_size=5))
    ]
    probes += [
        first - dt.timedelta(minutes=m)
        for m in data.draw(st.lists(st.integers(1, 120), max_size=3))
        if first - dt.timedelta(minutes=m) >= now
    ]
    for probe in probes:
        assert probe < first
        assert not may_dial(contact, history, policy, probe).allowed, probe
        assert violations(contact, history, policy, probe), probe


@PROPERTY_SETTINGS
@given(
    st.one_of(
        situations(contacts(dnc=True)),
        situations(contacts(consent=(False, True))),
        situations(contacts(consent=(True, False))),
        situations(contacts(consent=(False, False))),
    ),
    st.lists(st.integers(0, 400 * 86400), max_size=5),
)
def test_do_not_call_or_no_consent_is_never_dialled(situation, later):
    contact, history, policy, now = situation
    assert next_allowed_at(contact, history, policy, now) is None
    for seconds in [0, *later]:
        verdict = may_dial(contact, history, policy, now + dt.timedelta(seconds=seconds))
        assert not verdict.allowed
        assert {"do_not_call", "no_consent"} & set(verdict.reasons)


@PROPERTY_SETTINGS
@given(st.data())
def test_more_attempts_never_turn_a_refusal_into_an_allowance(data):
    contact, history, policy, now = data.draw(situations())
    extra = data.draw(histories(now, max_size=4))
    mixed = data.draw(st.permutations(history + extra))
    before = may_dial(contact, history, policy, now)
    after = may_dial(contact, mixed, policy, now)
    assert set(before.reasons) <= set(after.reasons)
    if not before.allowed:
        assert not after.allowed
    first_before = next_allowed_at(contact, history, policy, now)
    first_after = next_allowed_at(contact, mixed, policy, now)
    if first_before is not None and first_after is not None:
        assert first_after >= first_before
    if first_after is not None:
        assert may_dial(contact, history, policy, first_after).allowed


@PROPERTY_SETTINGS
@given(
    st.integers(15, 120),
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-100, 1000)),
)
def test_a_call_never_rings_less_than_the_minimum(min_ring_s, requested):
    policy = Policy(min_ring_s=min_ring_s)
    timeout = ring_timeout_s(policy, requested)
    assert timeout >= min_ring_s >= 15
    if requested is not None and requested >= min_ring_s:
        assert timeout == requested
