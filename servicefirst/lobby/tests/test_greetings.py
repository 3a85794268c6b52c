"""Birthday and holiday greetings: Chinese public holidays (lunar ones included) from the
`holidays` package, only for consenting customers, on the timeline, safe to rerun, set-based."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicefirst.customers.models import Consent, Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.lobby.models import Greeting
from servicefirst.lobby.services import greetings_schedule, holiday_occasions

pytestmark = pytest.mark.django_db

MID_AUTUMN_2026 = datetime.date(2026, 9, 25)  # 15th day of the 8th lunar month


def consenting(name, kind="marketing", **data):
    customer = make_customer(name_zh=name, **data)
    Consent.objects.create(customer=customer, kind=kind, source="开户表格")
    return customer


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (MID_AUTUMN_2026, [("Mid-Autumn Festival", "中秋节")]),
        (datetime.date(2026, 6, 19), [("Dragon Boat Festival", "端午节")]),
        (datetime.date(2026, 2, 17), [("Chinese New Year (Spring Festival)", "春节")]),
        (datetime.date(2027, 2, 6), [("Chinese New Year (Spring Festival)", "春节")]),
        (datetime.date(2026, 10, 1), [("National Day", "国庆节")]),
        (datetime.date(2026, 1, 1), [("New Year's Day", "元旦")]),
        (datetime.date(2026, 2, 16), []),  # New Year's Eve: greeted the next day
        (datetime.date(2026, 2, 18), []),  # second day of the Spring Festival
        (datetime.date(2026, 2, 20), []),  # a day off moved to make a long weekend
        (datetime.date(2026, 4, 5), []),  # Qingming: no "happy" greeting on a day of mourning
        (datetime.date(2026, 9, 24), []),
    ],
)
def test_holiday_occasions(day, expected):
    assert holiday_occasions(day) == expected


def test_greetings_on_a_lunar_holiday_only_for_consenting_customers():
    # given
    zh = consenting("张三丰", phones=["13800138000"])
    en = consenting(
        "李雷",
        kind="email",
        name_latin="Li Lei",
        email="li@example.cn",
        preferred_language="en",
        preferred_channel="email",
    )
    unreachable = consenting("王五")  # consent, but neither phone nor e-mail
    no_consent = make_customer(name_zh="赵六", phones=["13900001111"])
    withdrawn = consenting("孙七", phones=["13900002222"])
    Consent.objects.filter(customer=withdrawn).update(withdrawn_at=timezone.now())
    do_not_call = consenting("周八", phones=["13900003333"], do_not_call=True)
    merged = consenting("吴九", phones=["13900004444"])
    merged.merged_into = zh
    merged.save()
    # when
    counts = greetings_schedule(day=MID_AUTUMN_2026)
    # then
    greeted = {g.customer_id: g for g in Greeting.objects.filter(occasion="Mid-Autumn Festival")}
    assert set(greeted) == {zh.pk, en.pk, unreachable.pk}
    assert greeted[zh.pk].channel == "sms"
    assert greeted[zh.pk].occasion_zh == "中秋节"
    assert greeted[en.pk].channel == "email"
    assert greeted[unreachable.pk].status == Greeting.Status.SKIPPED
    assert counts["sent"] == 2
    assert counts["skipped"] == 1
    # and each greeting sent is on the customer's timeline, in the customer's language
    zh_entry = zh.interactions.get(kind=Interaction.Kind.GREETING)
    assert "中秋" in zh_entry.summary
    assert "张三丰" in zh_entry.summary
    assert timezone.localtime(zh_entry.occurred_at).date() == MID_AUTUMN_2026
    en_entry = en.interactions.get(kind=Interaction.Kind.GREETING)
    assert "Mid-Autumn" in en_entry.summary
    assert "Li Lei" in en_entry.summary
    assert not unreachable.interactions.exists()
    for other in (no_consent, withdrawn, do_not_call, merged):
        assert not Greeting.objects.filter(customer=other).exists()
        assert not other.interactions.filter(kind=Interaction.Kind.GREETING).exists()


def test_birthday_greetings_only_for_consenting_customers():
    day = datetime.date(2026, 3, 10)
    born_today = consenting("生日快", phones=["13800138000"], birth_date="1980-03-10")
    make_customer(name_zh="不同意", phones=["13800138001"], birth_date="1985-03-10")
    consenting("别的日子", phones=["13800138002"], birth_date="1980-03-11")
    counts = greetings_schedule(day=day)
    assert counts == {"sent": 1, "skipped": 0, "birthday": 1}
    greeting = Greeting.objects.get()
    assert (greeting.customer, greeting.occasion) == (born_today, "birthday")
    assert "生日快乐" in born_today.interactions.get(kind="greeting").summary


def test_born_on_29_february_is_greeted_on_28_february_in_other_years():
    leapling = consenting("闰日", phones=["13800138000"], birth_date="1996-02-29")
    greetings_schedule(day=datetime.date(2027, 2, 28))
    assert Greeting.objects.get().customer == leapling


def test_rerunning_greets_nobody_twice():
    consenting("张三丰", phones=["13800138000"], birth_date="1980-09-25")
    first = greetings_schedule(day=MID_AUTUMN_2026)
    assert first["sent"] == 2  # birthday and Mid-Autumn
    again = greetings_schedule(day=MID_AUTUMN_2026)
    assert again["sent"] == 0
    assert Greeting.objects.count() == 2
    assert Interaction.objects.filter(kind="greeting").count() == 2


def test_the_query_count_does_not_grow_with_the_customers():
    def queries_for(n: int, offset: int) -> int:
        for i in range(n):
            consenting(f"客户{offset + i}", phones=[f"139{offset + i:08d}"])
        with CaptureQueriesContext(connection) as ctx:
            greetings_schedule(day=datetime.date(2026 + offset // 100, 10, 1))
        return len(ctx.captured_queries)

    assert queries_for(3, 0) == queries_for(40, 100)
