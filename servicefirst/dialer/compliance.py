"""The dialer's compliance kernel: may this customer be dialled now, and if not, when?

Pure Python (no database), so that the dialer, the call-list builder and the tests apply
exactly the same rules. The caller gathers the facts (a `Contact`, the customer's call
`Attempt` history across *all* campaigns and phones) and asks `may_dial` or
`next_allowed_at`.

Rules (issue #5, section 1):

- never dial a customer flagged do-not-call, or one without active phone-call *and* marketing
  consent (`do_not_call`, `no_consent`);
- only inside the calling window in the customer's local time (default 09:00–21:00; start
  inclusive, end exclusive), and not on a public holiday (China's calendar, lunar festivals
  included, on the customer's local date) unless the policy allows it
  (`outside_window`, `holiday`);
- at most N attempts per customer in any rolling 7 days, across all campaigns (`weekly_limit`);
- a refusal blocks the customer for at least six months (`refused_recently`);
- no call within 72 hours after an abandoned call (`after_abandoned`);
- let a call ring at least 15 seconds (`ring_timeout_s`).

The local time zone comes from the phone number. A number that may belong to several zones
(e.g. an Australian or Russian mobile) gets the most restrictive reading: the window must
hold, and the day must not be a holiday, in every candidate zone. A number whose zone cannot
be told is never dialled (`unknown_time_zone`). Attempts dated after `now` (clock skew) count
as if they had just happened.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import timezone as phone_timezone

UTC = dt.UTC
WEEK = dt.timedelta(days=7)
# How far past the last history-based block next_allowed_at looks for an open window. China's
# longest run of public holidays is 8 days; a longer search only matters for numbers whose
# candidate zones are so far apart that their windows never overlap (then: never).
SEARCH_DAYS = 31
CHINA_ZONE = "Asia/Shanghai"


class Outcome(enum.StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    ABANDONED = "abandoned"
    MACHINE = "machine"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    FAILED = "failed"


class Reason(enum.StrEnum):
    DO_NOT_CALL = "do_not_call"
    NO_CONSENT = "no_consent"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    REFUSED_RECENTLY = "refused_recently"
    AFTER_ABANDONED = "after_abandoned"
    WEEKLY_LIMIT = "weekly_limit"
    OUTSIDE_WINDOW = "outside_window"
    HOLIDAY = "holiday"


REASON_MESSAGES = {
    Reason.DO_NOT_CALL: _("The customer is on the do-not-call list."),
    Reason.NO_CONSENT: _("The customer has not given consent to phone calls and marketing."),
    Reason.UNKNOWN_TIME_ZONE: _("The customer's local time cannot be told from the number."),
    Reason.REFUSED_RECENTLY: _("The customer refused a call less than six months ago."),
    Reason.AFTER_ABANDONED: _("A call to the customer was abandoned less than 72 hours ago."),
    Reason.WEEKLY_LIMIT: _("The customer has had the most calls allowed in a week."),
    Reason.OUTSIDE_WINDOW: _("It is outside the calling hours in the customer's local time."),
    Reason.HOLIDAY: _("It is a public holiday where the customer is."),
}

# Reasons that no passage of time lifts.
PERMANENT = frozenset({Reason.DO_NOT_CALL, Reason.NO_CONSENT, Reason.UNKNOWN_TIME_ZONE})


def _require_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a time-zone-aware datetime, got {value!r}")


@functools.cache
def china_holidays() -> holidays_lib.HolidayBase:
    """Mainland China's public holidays (Spring Festival, Mid-Autumn etc.), years on demand."""
    return holidays_lib.country_holidays("CN")


@dataclass(frozen=True)
class Policy:
    """The rules a campaign dials by. Defaults are the legal minimum; stricter is allowed."""

    window_start: dt.time = dt.time(9, 0)
    window_end: dt.time = dt.time(21, 0)
    call_on_holidays: bool = False
    max_attempts_per_week: int = 3
    refusal_dnc_days: int = 183
    after_abandon_hours: int = 72
    min_ring_s: int = 15
    # Anything answering `date in calendar`; None means China's public holidays.
    holiday_calendar: Container[dt.date] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.window_start.tzinfo is not None or self.window_end.tzinfo is not None:
            raise ValueError("The calling window is local wall-clock time, without a time zone.")
        if not self.window_start < self.window_end:
            raise ValueError("The calling window must start before it ends.")
        if self.max_attempts_per_week < 1:
            raise ValueError("At least one attempt a week must be allowed.")
        if self.refusal_dnc_days < 183:
            raise ValueError("A refusal blocks calls for at least 183 days (six months).")
        if self.after_abandon_hours < 72:
            raise ValueError("An abandoned call blocks calls for at least 72 hours.")
        if self.min_ring_s < 15:
            raise ValueError("A call must ring for at least 15 seconds.")

    @property
    def calendar(self) -> Container[dt.date]:
        return china_holidays() if self.holiday_calendar is None else self.holiday_calendar


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=4096)
def phone_time_zones(e164: str) -> tuple[str, ...]:
    """Candidate IANA zones of a number; () when it cannot be told. Mainland China is one zone."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    if number.country_code == 86:
        return (CHINA_ZONE,)
    zones = phone_timezone.time_zones_for_number(number)
    return tuple(sorted(z for z in set(zones) if z != "Etc/Unknown" and _known_zone(z)))


@dataclass(frozen=True)
class Contact:
    customer_id: int
    phone: str  # E.164
    do_not_call: bool = False
    phone_consent: bool = False  # an active (not withdrawn) Consent of kind "phone"
    marketing_consent: bool = False  # an active Consent of kind "marketing"
    # Derived from the number when not given.
    time_zones: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.time_zones:
            object.__setattr__(self, "time_zones", phone_time_zones(self.phone))
        for name in self.time_zones:
            if not _known_zone(name):
                raise ValueError(f"Unknown time zone {name!r}")


@dataclass(frozen=True)
class Attempt:
    at: dt.datetime
    campaign_id: int | str | None = None
    outcome: Outcome | str = Outcome.NO_ANSWER

    def __post_init__(self) -> None:
        _require_aware(self.at, "Attempt.at")
        object.__setattr__(self, "outcome", Outcome(self.outcome))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def messages(self) -> list:
        return [REASON_MESSAGES[Reason(code)] for code in self.reasons]


def _static_reasons(contact: Contact) -> list[Reason]:
    reasons = []
    if contact.do_not_call:
        reasons.append(Reason.DO_NOT_CALL)
    if not (contact.phone_consent and contact.marketing_consent):
        reasons.append(Reason.NO_CONSENT)
    if not contact.time_zones:
        reasons.append(Reason.UNKNOWN_TIME_ZONE)
    return reasons


def _history_blocks(history: Iterable[Attempt], policy: Policy) -> dict[Reason, dt.datetime]:
    """For each history-based rule that blocks at some point: the moment it stops blocking."""
    refusal = dt.timedelta(days=policy.refusal_dnc_days)
    abandon = dt.timedelta(hours=policy.after_abandon_hours)
    blocks: dict[Reason, dt.datetime] = {}
    expiries = []
    for attempt in history:
        # Elapsed real time: aware arithmetic within one zone is wall-clock arithmetic, which
        # would make "72 hours" 71 across a change to summer time.
        at = attempt.at.astimezone(UTC)
        expiries.append(at + WEEK)
        if attempt.outcome == Outcome.REFUSED:
            until = at + refusal
            blocks[Reason.REFUSED_RECENTLY] = max(until, blocks.get(Reason.REFUSED_RECENTLY, until))
        elif attempt.outcome == Outcome.ABANDONED:
            until = at + abandon
            blocks[Reason.AFTER_ABANDONED] = max(until, blocks.get(Reason.AFTER_ABANDONED, until))
    if len(expiries) >= policy.max_attempts_per_week:
        # Fewer than max attempts lie in (t - 7 days, ...] once t reaches the max-th latest expiry.
        expiries.sort(reverse=True)
        blocks[Reason.WEEKLY_LIMIT] = expiries[policy.max_attempts_per_week - 1]
    return blocks


def _local_reasons(
    moment: dt.datetime, zones: Iterable[str], policy: Policy, *, first_only: bool = False
) -> list[Reason]:
    reasons: list[Reason] = []
    calendar = policy.calendar
    for name in zones:
        local = moment.astimezone(ZoneInfo(name))
        if Reason.OUTSIDE_WINDOW not in reasons and not (
            policy.window_start <= local.time() < policy.window_end
        ):
            reasons.append(Reason.OUTSIDE_WINDOW)
        if (
            Reason.HOLIDAY not in reasons
            and not policy.call_on_holidays
            and local.date() in calendar
        ):
            reasons.append(Reason.HOLIDAY)
        if reasons and first_only:
            break
    return reasons


def may_dial(
    contact: Contact, history: Iterable[Attempt], policy: Policy, now: dt.datetime
) -> Verdict:
    """Every rule checked; the verdict lists all reasons that forbid dialling now."""
    _require_aware(now, "now")
    history = list(history)
    reasons = _static_reasons(contact)
    for reason, until in _history_blocks(history, policy).items():
        if now < until:
            reasons.append(reason)
    reasons.extend(_local_reasons(now, contact.time_zones, policy))
    order = list(Reason)
    reasons.sort(key=order.index)
    return Verdict(allowed=not reasons, reasons=[str(r) for r in reasons])


def _transitions(zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """UTC-offset changes of a zone between two instants (to the second)."""
    found = []
    step = dt.timedelta(hours=12)
    # Step in UTC on whole seconds: zone changes happen on whole seconds, and aware arithmetic
    # in a local zone would be wall-clock arithmetic.
    a = start.astimezone(UTC).replace(microsecond=0)
    end = end.astimezone(UTC)
    while a < end:
        b = a + step
        if a.astimezone(zone).utcoffset() != b.astimezone(zone).utcoffset():
            lo, hi = a, b  # offset(lo) differs from offset(hi); find the first second of hi's
            target = b.astimezone(zone).utcoffset()
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + dt.timedelta(seconds=(hi - lo).total_seconds() // 2)
                if mid.astimezone(zone).utcoffset() == target:
                    hi = mid
                else:
                    lo = mid
            found.append(hi)
        a = b
    return found


def _openings(
    name: str, start: dt.datetime, end: dt.datetime, opens_at: dt.time
) -> set[dt.datetime]:
    """Instants around which a zone's window can open: local window starts and DST changes."""
    zone = ZoneInfo(name)
    found = set(_transitions(zone, start, end))
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    while day <= last:
        wall = dt.datetime.combine(day, opens_at)
        for fold in (0, 1):
            found.add(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC))
        day += dt.timedelta(days=1)
    return found


def next_allowed_at(
    contact: Contact, history: Iterable[Attempt], policy: Policy, now: dt.datetime
) -> dt.datetime | None:
    """The earliest moment at or after `now` when may_dial allows; None if never.

    Never: do-not-call, no consent, unknown time zone, or no open window within
    SEARCH_DAYS after the history-based blocks lift. The result is in UTC (or `now` itself).
    """
    _require_aware(now, "now")
    if _static_reasons(contact):
        return None
    zones = contact.time_zones
    earliest = max([now, *_history_blocks(list(history), policy).values()])
    if not _local_reasons(earliest, zones, policy, first_only=True):
        return earliest
    horizon = earliest + dt.timedelta(days=SEARCH_DAYS)
    candidates: set[dt.datetime] = set()
    for name in zones:
        candidates |= _openings(name, earliest, horizon, policy.window_start)
    for moment in sorted(c for c in candidates if earliest < c <= horizon):
        if not _local_reasons(moment, zones, policy, first_only=True):
            return moment
    return None


def ring_timeout_s(policy: Policy, requested: float | None = None) -> float:
    """How long to let a call ring: as requested, but never below the policy's minimum."""
    if requested is None:
        return policy.min_ring_s
    return max(policy.min_ring_s, requested)
