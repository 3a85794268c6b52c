"""Example-based tests of the dialer's compliance rules, one rule and its edges at a time."""

import datetime as dt
import gettext
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from servicefirst.dialer import compliance
from servicefirst.dialer.compliance import (
    REASON_MESSAGES,
    Attempt,
    Contact,
    Outcome,
    Policy,
    Reason,
    Verdict,
    may_dial,
    next_allowed_at,
    phone_time_zones,
    ring_timeout_s,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
CN_MOBILE = "+8613800138000"
NY_PHONE = "+12125551234"
AU_MOBILE = "+61412345678"  # eight candidate zones, Cocos (UTC+6:30) to Lord Howe (UTC+11)

NO_HOLIDAYS = Policy(holiday_calendar=frozenset())


def contact(phone=CN_MOBILE, **kwargs):
    values = {"do_not_call": False, "phone_consent": True, "marketing_consent": True}
    values.update(kwargs)
    return Contact(customer_id=1, phone=phone, **values)


def sh(*args):
    """A wall-clock time in Shanghai. 2026-12-01 is an ordinary Tuesday."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


TUESDAY_NOON = sh(2026, 12, 1, 12, 0)


def test_an_ordinary_weekday_noon_is_allowed():
    verdict = may_dial(contact(), [], Policy(), TUESDAY_NOON)
    assert verdict == Verdict(allowed=True, reasons=[])
    assert verdict
    assert next_allowed_at(contact(), [], Policy(), TUESDAY_NOON) == TUESDAY_NOON


# --- do not call and consent ------------------------------------------------------------------


def test_do_not_call_is_never_dialled():
    customer = contact(do_not_call=True)
    assert may_dial(customer, [], Policy(), TUESDAY_NOON).reasons == ["do_not_call"]
    assert next_allowed_at(customer, [], Policy(), TUESDAY_NOON) is None


@pytest.mark.parametrize(
    ("phone_consent", "marketing_consent"), [(False, True), (True, False), (False, False)]
)
def test_without_phone_and_marketing_consent_nobody_is_dialled(phone_consent, marketing_consent):
    customer = contact(phone_consent=phone_consent, marketing_consent=marketing_consent)
    assert may_dial(customer, [], Policy(), TUESDAY_NOON).reasons == ["no_consent"]
    assert next_allowed_at(customer, [], Policy(), TUESDAY_NOON) is None


def test_every_reason_is_reported_not_only_the_first():
    customer = contact(do_not_call=True, phone_consent=False)
    history = [
        Attempt(sh(2027, 2, 5, 10), "a", Outcome.REFUSED),
        Attempt(sh(2027, 2, 5, 11), "b", Outcome.ABANDONED),
        Attempt(sh(2027, 2, 5, 12), "c", Outcome.BUSY),
    ]
    night_of_spring_festival = sh(2027, 2, 6, 22, 0)
    verdict = may_dial(customer, history, Policy(), night_of_spring_festival)
    assert not verdict.allowed
    assert verdict.reasons == [
        "do_not_call",
        "no_consent",
        "refused_recently",
        "after_abandoned",
        "weekly_limit",
        "outside_window",
        "holiday",
    ]


def test_reasons_have_readable_english_messages():
    verdict = may_dial(contact(do_not_call=True), [], Policy(), sh(2026, 12, 1, 22))
    with translation.override("en"):
        assert [str(m) for m in verdict.messages] == [
            "The customer is on the do-not-call list.",
            "It is outside the calling hours in the customer's local time.",
        ]


def test_every_reason_has_a_chinese_message():
    # The dialer app is not registered yet, so read its catalogue directly.
    catalogue = gettext.translation(
        "django", localedir=Path(compliance.__file__).parent / "locale", languages=["zh_Hans"]
    )
    with translation.override("en"):
        english = {reason: str(REASON_MESSAGES[reason]) for reason in Reason}
    for reason, text in english.items():
        chinese = catalogue.gettext(text)
        assert chinese != text, reason
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), reason
    assert catalogue.gettext(english[Reason.HOLIDAY]) == "客户所在地今天是法定节假日。"


def test_a_number_without_a_known_zone_is_not_dialled():
    customer = contact(phone="not a number")
    assert customer.time_zones == ()
    assert may_dial(customer, [], Policy(), TUESDAY_NOON).reasons == ["unknown_time_zone"]
    assert next_allowed_at(customer, [], Policy(), TUESDAY_NOON) is None


# --- calling window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "allowed"),
    [
        (dt.time(8, 59, 59), False),
        (dt.time(9, 0), True),
        (dt.time(20, 59, 59), True),
        (dt.time(21, 0), False),
        (dt.time(0, 0), False),
    ],
)
def test_window_boundaries_in_local_time(wall, allowed):
    now = dt.datetime.combine(dt.date(2026, 12, 1), wall, tzinfo=SHANGHAI)
    verdict = may_dial(contact(), [], Policy(), now)
    assert verdict.allowed is allowed
    assert verdict.reasons == ([] if allowed else ["outside_window"])


def test_the_window_is_read_in_local_time_whatever_zone_now_is_given_in():
    # 00:59:59 UTC is 08:59:59 in Shanghai, 01:00 UTC is 09:00 there.
    assert not may_dial(contact(), [], Policy(), dt.datetime(2026, 12, 1, 0, 59, 59, tzinfo=UTC))
    assert may_dial(contact(), [], Policy(), dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC))


def test_after_hours_the_next_chance_is_nine_the_next_morning():
    assert next_allowed_at(contact(), [], Policy(), sh(2026, 12, 1, 21, 0)) == sh(2026, 12, 2, 9)
    assert next_allowed_at(contact(), [], Policy(), sh(2026, 12, 2, 6, 30)) == sh(2026, 12, 2, 9)


def test_a_campaign_may_narrow_the_window():
    policy = Policy(window_start=dt.time(10, 0), window_end=dt.time(18, 30))
    assert not may_dial(contact(), [], policy, sh(2026, 12, 1, 9, 30))
    assert may_dial(contact(), [], policy, sh(2026, 12, 1, 18, 29))
    assert not may_dial(contact(), [], policy, sh(2026, 12, 1, 18, 30))


def test_customer_abroad_is_called_in_their_own_hours():
    customer = contact(phone=NY_PHONE)
    assert customer.time_zones == ("America/New_York",)
    ten_in_new_york = dt.datetime(2026, 12, 1, 10, tzinfo=NEW_YORK)  # 23:00 in Shanghai
    assert may_dial(customer, [], NO_HOLIDAYS, ten_in_new_york)
    ten_in_shanghai = sh(2026, 12, 1, 10)  # 21:00 the evening before in New York
    assert may_dial(customer, [], NO_HOLIDAYS, ten_in_shanghai).reasons == ["outside_window"]
    assert next_allowed_at(customer, [], NO_HOLIDAYS, ten_in_shanghai) == dt.datetime(
        2026, 12, 1, 9, tzinfo=NEW_YORK
    )


def test_a_multi_zone_number_must_be_inside_the_window_in_every_zone():
    customer = contact(phone=AU_MOBILE)
    assert len(customer.time_zones) == 8
    # 23:00 UTC on 30 Nov: 10:00 in Sydney (summer time) but 07:00 in Perth.
    now = dt.datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert may_dial(customer, [], NO_HOLIDAYS, now).reasons == ["outside_window"]
    # Opens when it is 09:00 in the westernmost zone, Cocos (UTC+6:30), i.e. 13:30 on Lord Howe.
    opens = next_allowed_at(customer, [], NO_HOLIDAYS, now)
    assert opens == dt.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    assert may_dial(customer, [], NO_HOLIDAYS, opens)
    # And closes when it is 21:00 on Lord Howe (UTC+11) – 16:30 at Cocos.
    assert may_dial(customer, [], NO_HOLIDAYS, dt.datetime(2026, 12, 1, 9, 59, tzinfo=UTC))
    assert not may_dial(customer, [], NO_HOLIDAYS, dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC))


def test_mainland_numbers_are_in_shanghai_time():
    assert phone_time_zones("+8613800138000") == ("Asia/Shanghai",)
    assert phone_time_zones("+862787654321") == ("Asia/Shanghai",)  # Wuhan landline
    assert phone_time_zones("+85291234567") == ("Asia/Hong_Kong",)


# --- public holidays ---------------------------------------------------------------------------


def test_spring_festival_2027_a_lunar_date_is_a_holiday():
    # Spring Festival 2027 falls on 6 February (lunar new year's day).
    verdict = may_dial(contact(), [], Policy(), sh(2027, 2, 6, 10))
    assert verdict.reasons == ["holiday"]
    # The statutory break runs to 10 February; the next chance is the 11th at nine.
    assert next_allowed_at(contact(), [], Policy(), sh(2027, 2, 6, 10)) == sh(2027, 2, 11, 9)


def test_mid_autumn_festival_is_a_holiday():
    assert may_dial(contact(), [], Policy(), sh(2027, 9, 15, 10)).reasons == ["holiday"]


def test_a_campaign_may_call_on_holidays():
    policy = Policy(call_on_holidays=True)
    assert may_dial(contact(), [], policy, sh(2027, 2, 6, 10))
    assert not may_dial(contact(), [], policy, sh(2027, 2, 6, 21))


def test_the_holiday_is_the_customers_local_date():
    customer = contact(phone=NY_PHONE)
    calendar = frozenset({dt.date(2026, 12, 2)})
    policy = Policy(holiday_calendar=calendar)
    # 09:30 on 1 Dec in New York is already 2 Dec in Shanghai: not a holiday for this customer.
    assert may_dial(customer, [], policy, dt.datetime(2026, 12, 1, 9, 30, tzinfo=NEW_YORK))
    assert may_dial(
        customer, [], policy, dt.datetime(2026, 12, 2, 9, 30, tzinfo=NEW_YORK)
    ).reasons == ["holiday"]


def test_the_holiday_calendar_can_be_injected():
    policy = Policy(holiday_calendar={dt.date(2026, 12, 1), dt.date(2026, 12, 2)})
    assert may_dial(contact(), [], policy, TUESDAY_NOON).reasons == ["holiday"]
    assert next_allowed_at(contact(), [], policy, TUESDAY_NOON) == sh(2026, 12, 3, 9)


# --- attempts per week -------------------------------------------------------------------------


def three_attempts():
    """Monday, Tuesday, Wednesday at ten, from three different campaigns."""
    return [
        Attempt(sh(2026, 11, 30, 10), "loans", Outcome.NO_ANSWER),
        Attempt(sh(2026, 12, 1, 10), "cards", Outcome.BUSY),
        Attempt(sh(2026, 12, 2, 10), "funds", Outcome.MACHINE),
    ]


def test_two_attempts_in_a_week_leave_room_for_a_third():
    assert may_dial(contact(), three_attempts()[:2], Policy(), sh(2026, 12, 2, 12))


def test_three_attempts_across_campaigns_block_the_rest_of_the_week():
    history = three_attempts()
    assert may_dial(contact(), history, Policy(), sh(2026, 12, 2, 12)).reasons == ["weekly_limit"]
    # Day 7 (the next Sunday, evening): still within 7 days of Monday's attempt.
    assert may_dial(contact(), history, Policy(), sh(2026, 12, 6, 20)).reasons == ["weekly_limit"]
    assert not may_dial(contact(), history, Policy(), sh(2026, 12, 7, 9, 59, 59))
    # Day 8 at the hour of the first attempt: it has left the rolling week.
    assert may_dial(contact(), history, Policy(), sh(2026, 12, 7, 10))
    assert next_allowed_at(contact(), history, Policy(), sh(2026, 12, 2, 12)) == sh(2026, 12, 7, 10)


def test_a_stricter_weekly_limit():
    policy = Policy(max_attempts_per_week=1)
    history = [Attempt(sh(2026, 12, 1, 10), "loans", Outcome.ANSWERED)]
    assert may_dial(contact(), history, policy, TUESDAY_NOON).reasons == ["weekly_limit"]
    assert next_allowed_at(contact(), history, policy, TUESDAY_NOON) == sh(2026, 12, 8, 10)


# --- refusal -----------------------------------------------------------------------------------


def test_a_refusal_blocks_for_six_months():
    refused_at = sh(2026, 6, 1, 10)
    history = [Attempt(refused_at, "loans", Outcome.REFUSED)]
    after_182 = refused_at + dt.timedelta(days=182)
    after_184 = refused_at + dt.timedelta(days=184)
    assert may_dial(contact(), history, Policy(), after_182).reasons == ["refused_recently"]
    assert may_dial(contact(), history, Policy(), after_184)
    assert next_allowed_at(contact(), history, Policy(), after_182) == refused_at + dt.timedelta(
        days=183
    )


def test_a_refusal_in_one_campaign_blocks_every_campaign():
    history = [Attempt(sh(2026, 11, 1, 10), "cards", Outcome.REFUSED)]
    assert not may_dial(contact(), history, Policy(), TUESDAY_NOON)


# --- abandoned calls ---------------------------------------------------------------------------


def test_no_call_within_72_hours_of_an_abandoned_call():
    abandoned_at = sh(2026, 12, 1, 10)
    history = [Attempt(abandoned_at, "loans", Outcome.ABANDONED)]
    almost = abandoned_at + dt.timedelta(hours=71, minutes=59)
    assert may_dial(contact(), history, Policy(), almost).reasons == ["after_abandoned"]
    assert may_dial(contact(), history, Policy(), abandoned_at + dt.timedelta(hours=72))


def test_when_a_block_ends_after_hours_the_next_chance_is_the_next_morning():
    # A stricter campaign: 84 hours after an abandoned call at 20:30 is 08:30 on the 5th.
    policy = Policy(after_abandon_hours=84)
    history = [Attempt(sh(2026, 12, 1, 20, 30), "loans", Outcome.ABANDONED)]
    assert next_allowed_at(contact(), history, policy, sh(2026, 12, 1, 21)) == sh(2026, 12, 5, 9)


def test_72_hours_are_real_hours_across_a_change_to_summer_time():
    # New York moves its clocks forward on 8 March 2026: 72 hours after 10:00 EST on the 7th
    # is 11:00 EDT on the 10th, not 10:00.
    customer = contact(phone=NY_PHONE)
    history = [Attempt(dt.datetime(2026, 3, 7, 10, tzinfo=NEW_YORK), "loans", Outcome.ABANDONED)]
    ten_thirty = dt.datetime(2026, 3, 10, 10, 30, tzinfo=NEW_YORK)
    assert may_dial(customer, history, NO_HOLIDAYS, ten_thirty).reasons == ["after_abandoned"]
    assert next_allowed_at(customer, history, NO_HOLIDAYS, ten_thirty) == dt.datetime(
        2026, 3, 10, 15, tzinfo=UTC
    )


def test_a_window_opening_inside_the_spring_forward_gap_opens_when_the_clocks_jump():
    # On 8 March 2026 New York's clocks jump from 02:00 to 03:00 (07:00 UTC); 02:30 never
    # happens, so a window opening at 02:30 opens at the jump.
    policy = Policy(window_start=dt.time(2, 30), window_end=dt.time(10), holiday_calendar=())
    customer = contact(phone=NY_PHONE)
    now = dt.datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert next_allowed_at(customer, [], policy, now) == dt.datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_a_window_reopens_when_the_clocks_fall_back_into_it():
    # On 1 November 2026 New York goes from 01:59:59 EDT back to 01:00 EST (06:00 UTC); a
    # window closing at 01:30 is shut from 05:30 UTC and open again from 06:00 to 06:30 UTC.
    policy = Policy(window_start=dt.time(0, 0), window_end=dt.time(1, 30), holiday_calendar=())
    customer = contact(phone=NY_PHONE)
    now = dt.datetime(2026, 11, 1, 5, 45, tzinfo=UTC)
    assert may_dial(customer, [], policy, now).reasons == ["outside_window"]
    assert next_allowed_at(customer, [], policy, now) == dt.datetime(2026, 11, 1, 6, tzinfo=UTC)


# --- ringing, policy and input checks -----------------------------------------------------------


@pytest.mark.parametrize(("requested", "expected"), [(None, 15), (5, 15), (15, 15), (30, 30)])
def test_a_call_rings_at_least_fifteen_seconds(requested, expected):
    assert ring_timeout_s(Policy(), requested) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"refusal_dnc_days": 182},
        {"after_abandon_hours": 71},
        {"min_ring_s": 10},
        {"max_attempts_per_week": 0},
        {"window_start": dt.time(21), "window_end": dt.time(9)},
    ],
)
def test_a_policy_cannot_be_laxer_than_the_rules(kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        Policy(**kwargs)


def test_naive_times_are_refused():
    naive = dt.datetime(2026, 12, 1, 12)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        may_dial(contact(), [], Policy(), naive)
    with pytest.raises(ValueError, match="aware"):
        next_allowed_at(contact(), [], Policy(), naive)
    with pytest.raises(ValueError, match="aware"):
        Attempt(naive, "loans", Outcome.BUSY)


def test_an_attempt_dated_in_the_future_counts_as_recent():
    history = [Attempt(TUESDAY_NOON + dt.timedelta(minutes=5), "loans", Outcome.ABANDONED)]
    assert may_dial(contact(), history, Policy(), TUESDAY_NOON).reasons == ["after_abandoned"]
