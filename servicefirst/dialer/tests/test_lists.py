"""Call lists: building them (segment, file, hand-picked; dedupe; who is left out and why),
the compliance check when the dialer claims the next customers (it never hands out a
do-not-call, no-consent, refused, recently abandoned, over-the-weekly-limit or outside-the-
window customer, and looks at each blocked entry once), and what a finished call does to its
entry."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Consent, Interaction
from servicefirst.dialer import compliance, lists
from servicefirst.dialer.models import (
    Callback,
    CallListEntry,
    Campaign,
    Disposition,
    DoNotCall,
)
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.campaign_factories import ADDED, TUESDAY_NOON, sh

pytestmark = pytest.mark.django_db
Status = CallListEntry.Status
Outcome = compliance.Outcome


@pytest.fixture
def boss(db):
    return f.supervisor(name="周主管")


@pytest.fixture
def camp(boss):
    return f.campaign(boss, agents=[f.agent()])


def add(boss, camp, *customers):
    return lists.entries_add_customers(
        actor=boss, campaign_id=camp.pk, customer_ids=[c.pk for c in customers], now=ADDED
    )


def entry_of(camp, customer) -> CallListEntry:
    return CallListEntry.objects.get(campaign=camp, customer=customer)


# --- the policy ---------------------------------------------------------------------------------


def test_the_policy_is_the_campaigns_window_holidays_and_ring(boss, settings):
    camp = f.campaign(
        boss,
        window_start="10:00",
        window_end="18:30",
        call_on_holidays=True,
        ring_timeout_s=25,
    )
    policy = lists.policy_for(camp)
    assert (policy.window_start, policy.window_end) == (dt.time(10, 0), dt.time(18, 30))
    assert policy.call_on_holidays
    assert compliance.ring_timeout_s(policy) == 25
    assert policy.max_attempts_per_week == 3
    settings.DIALER_MAX_ATTEMPTS_PER_WEEK = 2
    assert lists.policy_for(camp).max_attempts_per_week == 2


# --- building a list ----------------------------------------------------------------------------


def test_hand_picked_customers_are_added_once_with_their_primary_phone(boss, camp):
    wang = f.customer("王五", phones=["13800138001", "13900139002"])
    li = f.customer("李四")
    result = add(boss, camp, wang, li, wang)
    assert (result.added, result.already, result.excluded_total) == (2, 1, 0)
    assert entry_of(camp, wang).phone == "+8613800138001"
    assert entry_of(camp, wang).source == CallListEntry.Source.HAND
    again = add(boss, camp, wang)
    assert (again.added, again.already) == (0, 1)
    assert CallListEntry.objects.filter(campaign=camp).count() == 2
    event = AuditEvent.objects.filter(object_type="call_list", object_id=str(camp.pk)).first()
    assert event.detail["added"] == 0
    assert event.detail["already"] == 1


def test_who_may_not_be_called_is_left_out_and_counted_by_reason(boss, camp):
    ok = f.customer("张可")
    flagged = f.customer("赵旗", do_not_call=True)
    listed = f.customer("钱列")
    DoNotCall.objects.create(phone=listed.phones.first().e164, reason=DoNotCall.Reason.REGULATOR)
    expired = f.customer("孙过")
    DoNotCall.objects.create(
        phone=expired.phones.first().e164,
        reason=DoNotCall.Reason.REFUSAL,
        until=ADDED - dt.timedelta(days=1),
    )
    no_phone = f.customer("李无", phones=[])
    no_marketing = f.customer("周营", consents=[Consent.Kind.PHONE])
    no_calls = f.customer("吴电", consents=[Consent.Kind.MARKETING])
    withdrawn = f.customer("郑撤")
    Consent.objects.filter(customer=withdrawn, kind=Consent.Kind.PHONE).update(
        withdrawn_at=timezone.now()
    )
    result = add(
        boss, camp, ok, flagged, listed, expired, no_phone, no_marketing, no_calls, withdrawn
    )
    assert result.added == 2  # ok and the one whose do-not-call entry has ended
    assert result.as_dict()["excluded"] == {
        "do_not_call": 2,
        "no_phone": 1,
        "no_phone_consent": 2,
        "no_marketing_consent": 1,
    }
    assert set(CallListEntry.objects.values_list("customer_id", flat=True)) == {ok.pk, expired.pk}


def test_a_refusal_blocks_the_customer_whatever_the_number(boss, camp):
    c = f.customer("钱拒", phones=["13800138011", "13900139011"])
    DoNotCall.objects.create(
        phone="+8613900139011",
        customer=c,
        reason=DoNotCall.Reason.REFUSAL,
        until=ADDED + dt.timedelta(days=100),
    )
    assert add(boss, camp, c).as_dict()["excluded"] == {"do_not_call": 1}


def test_a_removed_customer_can_be_added_again(boss, camp):
    c = f.customer()
    add(boss, camp, c)
    lists.entry_remove(actor=boss, entry_id=entry_of(camp, c).pk)
    assert entry_of(camp, c).status == Status.REMOVED
    assert add(boss, camp, c).added == 1
    assert entry_of(camp, c).status == Status.PENDING


def test_adding_needs_campaign_management_and_an_unfinished_campaign(boss, camp):
    c = f.customer()
    with pytest.raises(PermissionDenied):
        lists.entries_add_customers(actor=f.agent().user, campaign_id=camp.pk, customer_ids=[c.pk])
    with pytest.raises(ValidationFailed) as exc:
        lists.entries_add_customers(actor=boss, campaign_id=camp.pk, customer_ids=[c.pk, 999999])
    assert "999999" in str(exc.value)
    assert not CallListEntry.objects.exists()
    Campaign.objects.filter(pk=camp.pk).update(status=Campaign.Status.FINISHED)
    with pytest.raises(ValidationFailed):
        add(boss, camp, c)
    with pytest.raises(NotFound):
        lists.entries_add_customers(actor=boss, campaign_id=424242, customer_ids=[c.pk])


def test_a_segment_becomes_a_call_list(boss, camp):
    from servicefirst.insights.models import Segment

    a, b = f.customer("甲", lifecycle="current"), f.customer("乙", lifecycle="current")
    f.customer("丙", lifecycle="potential")
    no_consent = f.customer("丁", lifecycle="current", consents=[])
    segment = Segment.objects.create(
        name="Current", definition=[{"field": "lifecycle", "op": "in", "value": ["current"]}]
    )
    result = lists.entries_add_from_segment(
        actor=boss, campaign_id=camp.pk, segment_id=segment.pk, now=ADDED
    )
    assert (result.added, result.as_dict()["excluded"]) == (2, {"no_phone_consent": 1})
    assert set(CallListEntry.objects.values_list("customer_id", flat=True)) == {a.pk, b.pk}
    assert entry_of(camp, a).source == CallListEntry.Source.SEGMENT
    assert not CallListEntry.objects.filter(customer=no_consent).exists()
    with pytest.raises(ValidationFailed) as exc:
        lists.entries_add_from_segment(actor=boss, campaign_id=camp.pk, segment_id=987654)
    assert "segment" in exc.value.errors


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def test_a_csv_file_with_chinese_headers_adds_its_customers(boss, camp):
    a = f.customer("甲", phones=["13800138021", "13900139021"])
    b = f.customer("乙", phones=["13800138022"])
    content = csv_bytes(f"客户号,手机\n{a.number},139 0013 9021\n,13800138022\n{a.number},\n")
    result = lists.entries_add_from_file(
        actor=boss, campaign_id=camp.pk, name="名单.csv", content=content, now=ADDED
    )
    assert (result.added, result.already) == (2, 1)
    assert entry_of(camp, a).phone == "+8613900139021"  # the phone the file names
    assert entry_of(camp, b).source == CallListEntry.Source.FILE


def test_a_gbk_csv_with_semicolons_is_read(boss, camp):
    a = f.customer("甲")
    content = csv_bytes(f"姓名;客户编号\n甲;{a.number}\n", "gb18030")
    result = lists.entries_add_from_file(
        actor=boss, campaign_id=camp.pk, name="a.csv", content=content
    )
    assert result.added == 1


def test_an_xlsx_file_with_english_headers(boss, camp):
    import openpyxl

    a = f.customer("甲", phones=["13800138031"])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone"])
    sheet.append(["x", 13800138031])  # a number cell, as Excel keeps phones
    buffer = io.BytesIO()
    book.save(buffer)
    result = lists.entries_add_from_file(
        actor=boss, campaign_id=camp.pk, name="list.xlsx", content=buffer.getvalue()
    )
    assert result.added == 1
    assert entry_of(camp, a).phone == "+8613800138031"


def test_a_file_with_bad_rows_adds_nothing_and_names_every_bad_row(boss, camp):
    a = f.customer("甲", phones=["13800138041"])
    f.customer("乙", phones=["13800138042"])
    f.customer("丙", phones=["13800138042"])  # two customers share this number
    content = csv_bytes(
        "customer number,phone\n"
        f"{a.number},\n"  # row 2: fine
        "C9999999999,\n"  # row 3
        f"{a.number},13800138049\n"  # row 4: not a's phone
        ",13800138042\n"  # row 5: ambiguous
        ",12345\n"  # row 6: not a phone
        ",\n"  # row 7: blank: skipped
        "x,\n"  # row 8: unknown number
        ",13700137000\n"  # row 9: nobody has it
    )
    with pytest.raises(ValidationFailed) as exc:
        lists.entries_add_from_file(actor=boss, campaign_id=camp.pk, name="a.csv", content=content)
    messages = exc.value.errors["file"]
    assert messages[0] == "row 3: unknown customer number C9999999999."
    assert [m.split(":")[0] for m in messages] == [
        "row 3",
        "row 4",
        "row 5",
        "row 6",
        "row 8",
        "row 9",
    ]
    assert "138****8049" in messages[1]
    assert "12345" in messages[3]
    assert not CallListEntry.objects.exists()


def test_a_file_without_the_columns_or_of_another_kind_is_refused(boss, camp):
    with pytest.raises(ValidationFailed) as exc:
        lists.entries_add_from_file(
            actor=boss, campaign_id=camp.pk, name="a.csv", content=b"name,age\nx,3\n"
        )
    assert "客户号" in exc.value.errors["file"][0]
    with pytest.raises(ValidationFailed):
        lists.entries_add_from_file(
            actor=boss, campaign_id=camp.pk, name="a.pdf", content=b"%PDF-1.4"
        )
    with pytest.raises(ValidationFailed):
        lists.entries_add_from_file(
            actor=boss, campaign_id=camp.pk, name="a.xlsx", content=b"not a workbook"
        )


# --- claiming entries ---------------------------------------------------------------------------


def claim(camp, n=10, now=TUESDAY_NOON):
    return lists.claim_entries(camp, n, now=now)


def test_claiming_takes_due_entries_in_order_and_marks_them_in_progress(boss, camp):
    a, b, c, d = (f.customer(n) for n in "甲乙丙丁")
    add(boss, camp, a, b, c, d)
    CallListEntry.objects.filter(campaign=camp, customer=c).update(priority=5)
    CallListEntry.objects.filter(campaign=camp, customer=d).update(
        status=Status.SCHEDULED, next_attempt_at=TUESDAY_NOON + dt.timedelta(hours=1)
    )
    got = claim(camp, 2)
    assert [e.customer_id for e in got] == [c.pk, a.pk]
    assert all(e.status == Status.IN_PROGRESS and e.attempts == 1 for e in got)
    rest = claim(camp, 10)
    assert [e.customer_id for e in rest] == [b.pk]  # d is not due yet
    assert claim(camp, 10, now=TUESDAY_NOON + dt.timedelta(hours=2))[0].customer_id == d.pk


def test_a_campaign_that_is_not_running_gives_nothing(boss, camp):
    add(boss, camp, f.customer())
    Campaign.objects.filter(pk=camp.pk).update(status=Campaign.Status.PAUSED)
    assert claim(camp) == []
    assert CallListEntry.objects.get().status == Status.PENDING


def test_claim_never_returns_a_customer_the_rules_forbid(boss, camp):
    other = f.campaign(boss, name="Cards")
    ok = f.customer("可")
    dnc_flag = f.customer("旗")
    dnc_number = f.customer("列")
    no_consent = f.customer("无")
    refused = f.customer("拒")
    abandoned = f.customer("弃")
    weekly = f.customer("周")
    add(boss, camp, ok, dnc_flag, dnc_number, no_consent, refused, abandoned, weekly)
    # What happened after they were put on the list:
    dnc_flag.do_not_call = True
    dnc_flag.save()
    DoNotCall.objects.create(phone=dnc_number.phones.first().e164, reason=DoNotCall.Reason.REQUEST)
    Consent.objects.filter(customer=no_consent, kind=Consent.Kind.MARKETING).update(
        withdrawn_at=TUESDAY_NOON - dt.timedelta(days=1)
    )
    f.call(
        refused, at=TUESDAY_NOON - dt.timedelta(days=100), outcome=Outcome.REFUSED, campaign=other
    )
    f.call(
        abandoned,
        at=TUESDAY_NOON - dt.timedelta(hours=24),
        outcome=Outcome.ABANDONED,
        campaign=other,
    )
    for days in (1, 2, 3):
        f.call(weekly, at=TUESDAY_NOON - dt.timedelta(days=days), campaign=other)

    got = claim(camp, 10)
    assert [e.customer_id for e in got] == [ok.pk]
    assert entry_of(camp, dnc_flag).status == Status.DO_NOT_CALL
    assert entry_of(camp, dnc_number).status == Status.DO_NOT_CALL
    assert entry_of(camp, no_consent).status == Status.DO_NOT_CALL
    refused_at = TUESDAY_NOON - dt.timedelta(days=100)
    assert entry_of(camp, refused).next_attempt_at >= refused_at + dt.timedelta(days=183)
    assert entry_of(camp, abandoned).next_attempt_at == TUESDAY_NOON + dt.timedelta(hours=48)
    assert entry_of(camp, weekly).next_attempt_at == TUESDAY_NOON + dt.timedelta(days=4)
    for c in (refused, abandoned, weekly):
        assert entry_of(camp, c).status == Status.PENDING  # still to call, later
        assert entry_of(camp, c).attempts == 0
    # At the moment each block lifts, the customer may be called (and not a moment before).
    lifted = entry_of(camp, abandoned).next_attempt_at
    assert claim(camp, 10, now=lifted - dt.timedelta(seconds=1)) == []
    assert [e.customer_id for e in claim(camp, 10, now=lifted)] == [abandoned.pk]


def test_the_weekly_limit_follows_the_setting(boss, camp, settings):
    c = f.customer()
    add(boss, camp, c)
    f.call(c, at=TUESDAY_NOON - dt.timedelta(days=1))
    settings.DIALER_MAX_ATTEMPTS_PER_WEEK = 1
    assert claim(camp) == []
    assert entry_of(camp, c).next_attempt_at == TUESDAY_NOON + dt.timedelta(days=6)


def test_outside_the_window_and_on_holidays_entries_wait_for_the_next_opening(boss, camp):
    a, b = f.customer("甲"), f.customer("乙")
    add(boss, camp, a, b)
    late = sh(2026, 12, 1, 21, 0)  # the window ends at 21:00 (exclusive)
    assert claim(camp, now=late) == []
    assert entry_of(camp, a).next_attempt_at == sh(2026, 12, 2, 9, 0)
    national_day = sh(2026, 10, 1, 12, 0)
    CallListEntry.objects.update(next_attempt_at=None)
    assert claim(camp, now=national_day) == []
    # after the statutory holidays (1–3 October; make-up days are the bank's own calendar)
    assert entry_of(camp, b).next_attempt_at == sh(2026, 10, 4, 9, 0)
    CallListEntry.objects.update(next_attempt_at=None)
    Campaign.objects.filter(pk=camp.pk).update(call_on_holidays=True)
    assert len(claim(camp, now=national_day)) == 2


def test_a_foreign_number_is_called_in_its_own_local_time(boss, camp):
    c = f.customer("Smith", phones=["+12125551234"])
    add(boss, camp, c)
    assert claim(camp, now=TUESDAY_NOON) == []  # 23:00 in New York
    assert entry_of(camp, c).next_attempt_at == dt.datetime(
        2026, 12, 1, 14, 0, tzinfo=dt.UTC
    )  # 09:00 EST


def test_a_customer_on_a_call_elsewhere_is_looked_at_later(boss, camp):
    other = f.campaign(boss, name="Cards")
    c = f.customer()
    add(boss, camp, c)
    add(boss, other, c)
    assert [e.campaign_id for e in claim(other)] == [other.pk]
    assert claim(camp) == []
    assert entry_of(camp, c).next_attempt_at == TUESDAY_NOON + lists.BUSY_ELSEWHERE


def test_entries_out_of_attempts_are_exhausted(boss, camp):
    c = f.customer()
    add(boss, camp, c)
    CallListEntry.objects.update(attempts=camp.max_attempts)
    assert claim(camp) == []
    assert entry_of(camp, c).status == Status.EXHAUSTED


def test_an_entry_waiting_for_a_callback_is_left_to_the_callback(boss, camp):
    from servicefirst.dialer.callbacks import GRACE, callbacks_mark_missed

    c = f.customer()
    add(boss, camp, c)
    entry = entry_of(camp, c)
    Callback.objects.create(
        campaign=camp, entry=entry, customer=c, phone=entry.phone, due_at=TUESDAY_NOON
    )
    assert claim(camp) == []
    assert entry_of(camp, c).next_attempt_at == TUESDAY_NOON + GRACE
    assert callbacks_mark_missed(TUESDAY_NOON + GRACE) == 1
    assert len(claim(camp, now=TUESDAY_NOON + GRACE)) == 1


def test_blocked_entries_are_looked_at_once_and_the_work_does_not_grow_with_the_list(boss, camp):
    people = [f.customer(f"客{i}") for i in range(120)]
    add(boss, camp, *people)
    night = sh(2026, 12, 1, 23, 0)
    with CaptureQueriesContext(connection) as first:
        assert claim(camp, 5, now=night) == []
    assert CallListEntry.objects.filter(next_attempt_at=sh(2026, 12, 2, 9, 0)).count() == 120
    with CaptureQueriesContext(connection) as again:
        assert claim(camp, 5, now=night) == []
    assert len(again) <= 8  # nothing due: the campaign and four short index probes
    with CaptureQueriesContext(connection) as morning:
        assert len(claim(camp, 5, now=sh(2026, 12, 2, 9, 0))) == 5
    assert len(morning) <= 20  # one batch: probes, facts, history, callbacks, the update
    assert len(first) <= 40  # batches that grow while nothing can be called


# An independent statement of the rules (not the kernel's code), to check the wiring.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flagged=st.booleans(),
    on_list=st.booleans(),
    phone_consent=st.booleans(),
    marketing_consent=st.booleans(),
    refused_days_ago=st.one_of(st.none(), st.integers(1, 400)),
    abandoned_hours_ago=st.one_of(st.none(), st.integers(1, 200)),
    recent_calls=st.lists(st.integers(1, 13), max_size=5),
    hour=st.integers(0, 23),
)
def test_claim_agrees_with_the_rules_for_any_customer(
    boss,
    flagged,
    on_list,
    phone_consent,
    marketing_consent,
    refused_days_ago,
    abandoned_hours_ago,
    recent_calls,
    hour,
):
    from django.db import transaction

    now = sh(2026, 12, 2, hour, 30)
    with transaction.atomic():
        camp = f.campaign(boss)
        c = f.customer(
            consents=[
                k
                for k, on in (
                    (Consent.Kind.PHONE, phone_consent),
                    (Consent.Kind.MARKETING, marketing_consent),
                )
                if on
            ]
        )
        CallListEntry.objects.create(
            campaign=camp, customer=c, phone=c.phones.first().e164, source="hand"
        )
        c.do_not_call = flagged
        c.save()
        if on_list:
            DoNotCall.objects.create(phone=c.phones.first().e164, reason=DoNotCall.Reason.REQUEST)
        attempts = []
        if refused_days_ago is not None:
            attempts.append((now - dt.timedelta(days=refused_days_ago), Outcome.REFUSED))
        if abandoned_hours_ago is not None:
            attempts.append((now - dt.timedelta(hours=abandoned_hours_ago), Outcome.ABANDONED))
        attempts += [(now - dt.timedelta(days=d / 2), Outcome.NO_ANSWER) for d in recent_calls]
        for at, outcome in attempts:
            f.call(c, at=at, outcome=outcome)
        got = lists.claim_entries(camp, 1, now=now)
        in_week = sum(1 for at, _o in attempts if now - at < dt.timedelta(days=7))
        forbidden = (
            flagged
            or on_list
            or not (phone_consent and marketing_consent)
            or (refused_days_ago is not None and refused_days_ago < 183)
            or (abandoned_hours_ago is not None and abandoned_hours_ago < 72)
            or in_week >= 3
            or not 9 <= hour < 21
        )
        assert bool(got) == (not forbidden)
        entry = CallListEntry.objects.get(campaign=camp)
        if forbidden:
            assert entry.status in (Status.PENDING, Status.DO_NOT_CALL)
            assert entry.status == Status.DO_NOT_CALL or entry.next_attempt_at > now
        transaction.set_rollback(True)


# --- after a call -------------------------------------------------------------------------------


@pytest.fixture
def claimed(boss, camp):
    """An entry just claimed by the dialer, and a helper to end its call."""
    c = f.customer("王五")
    add(boss, camp, c)
    (entry,) = claim(camp, 1)
    agent = camp.agents.first()

    def end(outcome=Outcome.ANSWERED, disposition: str | None = None, at=TUESDAY_NOON):
        d = Disposition.objects.get(campaign=camp, code=disposition) if disposition else None
        made = f.call(
            c, at=at, outcome=outcome, campaign=camp, entry=entry, agent=agent, disposition=d
        )
        return made, lists.entry_after_call(made, now=made.ended_at)

    return entry, end


ENDED = TUESDAY_NOON + dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("outcome", "hours"),
    [(Outcome.NO_ANSWER, 4), (Outcome.BUSY, 1), (Outcome.MACHINE, 24), (Outcome.ABANDONED, 72)],
)
def test_unanswered_calls_are_retried_after_the_campaigns_hours(claimed, outcome, hours):
    _entry, end = claimed
    made, entry = end(outcome)
    assert entry.status == Status.SCHEDULED
    start = made.answered_at if outcome == Outcome.ABANDONED else ENDED
    assert entry.next_attempt_at == start + dt.timedelta(hours=hours)
    assert (entry.last_outcome, entry.last_call_at) == (outcome, ENDED)


def test_an_entry_is_exhausted_after_the_last_attempt(claimed, camp):
    entry, end = claimed
    CallListEntry.objects.filter(pk=entry.pk).update(attempts=camp.max_attempts)
    assert end(Outcome.NO_ANSWER)[1].status == Status.EXHAUSTED


def test_a_sale_closes_the_entry(claimed):
    _entry, end = claimed
    made, entry = end(disposition="sale")
    assert (entry.status, entry.disposition.code) == (Status.DONE, "sale")
    assert not DoNotCall.objects.exists()


def test_not_interested_is_a_refusal_six_months_on_the_list(claimed, boss):
    _entry, end = claimed
    made, entry = end(disposition="not_interested")
    assert entry.status == Status.DONE
    made.refresh_from_db()
    assert made.outcome == Outcome.REFUSED
    dnc = DoNotCall.objects.get()
    assert (dnc.reason, dnc.phone, dnc.customer_id) == (
        DoNotCall.Reason.REFUSAL,
        made.phone,
        made.customer_id,
    )
    assert dnc.until == ENDED + dt.timedelta(days=183)
    # No other campaign may call them during those six months.
    other = f.campaign(boss, name="Cards")
    CallListEntry.objects.create(
        campaign=other, customer=made.customer, phone=made.phone, source="hand"
    )
    assert lists.claim_entries(other, 1, now=TUESDAY_NOON + dt.timedelta(days=182)) == []


def test_do_not_call_again_flags_the_customer_everywhere(claimed, boss):
    entry, end = claimed
    other = f.campaign(boss, name="Cards")
    customer = entry.customer
    CallListEntry.objects.create(
        campaign=other, customer=customer, phone=entry.phone, source="hand"
    )
    Callback.objects.create(
        customer=customer, phone=entry.phone, due_at=TUESDAY_NOON + dt.timedelta(days=1)
    )
    made, entry = end(disposition="do_not_call")
    assert entry.status == Status.DO_NOT_CALL
    customer.refresh_from_db()
    assert customer.do_not_call
    dnc = DoNotCall.objects.get()
    assert (dnc.reason, dnc.until) == (DoNotCall.Reason.REQUEST, None)
    assert CallListEntry.objects.get(campaign=other).status == Status.DO_NOT_CALL
    assert Callback.objects.get().status == Callback.Status.CANCELLED
    change = Interaction.objects.get(customer=customer, kind=Interaction.Kind.CHANGE)
    assert change.detail["fields"] == ["do_not_call"]
    assert change.campaign_id == entry.campaign.crm_id
    audit = AuditEvent.objects.get(
        action=AuditEvent.Action.CUSTOMER_UPDATE, customer_id=customer.pk
    )
    assert audit.actor_username == made.agent.user.username


def test_a_wrong_number_puts_that_number_on_the_list(claimed):
    _entry, end = claimed
    made, entry = end(disposition="wrong_number")
    assert entry.status == Status.DONE
    dnc = DoNotCall.objects.get()
    assert (dnc.reason, dnc.phone) == (DoNotCall.Reason.WRONG_NUMBER, made.phone)
    made.customer.refresh_from_db()
    assert not made.customer.do_not_call


def test_a_callback_keeps_the_entry_scheduled_at_the_callback_time(claimed, camp):
    entry, end = claimed
    due = TUESDAY_NOON + dt.timedelta(days=1, hours=3)
    Callback.objects.create(
        campaign=camp, entry=entry, customer=entry.customer, phone=entry.phone, due_at=due
    )
    CallListEntry.objects.filter(pk=entry.pk).update(attempts=camp.max_attempts)
    _made, entry = end(disposition="callback")
    assert (entry.status, entry.next_attempt_at) == (Status.SCHEDULED, due)


def test_applying_the_same_call_twice_changes_nothing(claimed):
    _entry, end = claimed
    made, entry = end(disposition="not_interested")
    again = lists.entry_after_call(made, now=made.ended_at + dt.timedelta(minutes=5))
    assert again.status == Status.DONE
    assert DoNotCall.objects.count() == 1


def test_a_call_without_an_entry_is_ignored(boss):
    c = f.customer()
    assert lists.entry_after_call(f.call(c, at=TUESDAY_NOON)) is None


# --- the do-not-call list -----------------------------------------------------------------------


def test_numbers_are_added_to_and_removed_from_the_do_not_call_list_with_the_reason_audited(boss):
    c = f.customer(phones=["13800138099"])
    dnc = lists.dnc_add(
        actor=boss, phone="138 0013 8099", reason=DoNotCall.Reason.REQUEST, note="电话要求"
    )
    assert (dnc.phone, dnc.customer_id, dnc.until) == ("+8613800138099", c.pk, None)
    with pytest.raises(ValidationFailed) as exc:
        lists.dnc_add(actor=boss, phone="13800138099", reason=DoNotCall.Reason.REQUEST)
    assert "phone" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        lists.dnc_add(actor=boss, phone="12", reason="whim")
    assert set(exc.value.errors) == {"phone", "reason"}
    with pytest.raises(ValidationFailed):
        lists.dnc_remove(actor=boss, dnc_id=dnc.pk, reason=" ")
    lists.dnc_remove(actor=boss, dnc_id=dnc.pk, reason="客户重新同意")
    dnc.refresh_from_db()
    assert not dnc.is_active()
    events = AuditEvent.objects.filter(object_type="do_not_call", object_id=str(dnc.pk))
    assert {e.detail.get("reason") for e in events} == {"request", "客户重新同意"}
    assert all("13800138099" not in str(e.detail) for e in events)  # masked in the log
    with pytest.raises(PermissionDenied):
        lists.dnc_add(actor=f.agent().user, phone="13800138098", reason=DoNotCall.Reason.OTHER)


# --- several dialers at once --------------------------------------------------------------------

ENGINE = connection.vendor


def claim_together(camp, threads: int, n: int) -> tuple[list[list[int]], list[BaseException]]:
    """`threads` dialers (each its own connection, released together by a barrier) claim `n`
    entries at a time until the list is empty. Returns what each got and any errors."""
    import threading

    barrier = threading.Barrier(threads)
    got: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def work(i):
        try:
            barrier.wait(timeout=60)
            while True:
                entries = lists.claim_entries(camp, n, now=TUESDAY_NOON)
                if not entries:
                    break
                got[i].extend(e.pk for e in entries)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in workers), "a dialer never returned"
    return got, errors


def _list_of(size: int):
    boss = f.supervisor()
    camp = f.campaign(boss)
    people = [f.customer(f"客{i}") for i in range(size)]
    add(boss, camp, *people)
    return camp


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(ENGINE != "postgresql", reason="row locks (SKIP LOCKED) exist on PostgreSQL")
def test_parallel_dialers_never_claim_the_same_entry():
    camp = _list_of(120)
    got, errors = claim_together(camp, threads=8, n=3)
    assert not errors, errors
    claimed = [pk for picks in got for pk in picks]
    assert len(claimed) == len(set(claimed)) == 120
    assert sum(1 for picks in got if picks) > 1  # the work was shared
    assert set(CallListEntry.objects.values_list("status", "attempts")) == {(Status.IN_PROGRESS, 1)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(ENGINE != "sqlite", reason="the SQLite variant (serialised writers)")
def test_parallel_dialers_never_claim_the_same_entry_on_sqlite():
    camp = _list_of(30)
    got, errors = claim_together(camp, threads=3, n=2)
    assert not errors, errors
    claimed = [pk for picks in got for pk in picks]
    assert len(claimed) == len(set(claimed)) == 30
    assert set(CallListEntry.objects.values_list("status", "attempts")) == {(Status.IN_PROGRESS, 1)}


def test_a_disposition_given_after_the_call_was_applied_still_counts(claimed):
    entry, end = claimed
    made, entry = end(Outcome.ANSWERED)  # the call ended; no disposition yet
    assert entry.status == Status.DONE
    made.disposition = Disposition.objects.get(campaign=entry.campaign, code="do_not_call")
    made.save()
    entry = lists.entry_after_call(made)
    assert entry.status == Status.DO_NOT_CALL
    assert made.customer.__class__.objects.get(pk=made.customer_id).do_not_call
