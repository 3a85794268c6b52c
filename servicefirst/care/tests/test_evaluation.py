"""Each care trigger fires when it should and stays quiet otherwise."""

import datetime

import pytest
from django.utils import timezone, translation

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.care import evaluation, services
from servicefirst.care.models import CarePromptRule
from servicefirst.care.tests.helpers import (
    customer,
    floor_branch,
    rules_only,
    teller_at,
    ticket,
    years_ago,
)
from servicefirst.customers.models import Interaction
from servicefirst.floor.models import FloorSettings, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return floor_branch()


@pytest.fixture
def teller(branch):
    return make_staff(Role.TELLER, unit=branch).user


def prompts(teller, branch, c, t=None, audience="teller"):
    return services.prompts_for_visit(
        actor=teller,
        branch_id=branch.pk,
        customer_id=c.pk,
        audience=audience,
        ticket_id=t.pk if t else None,
    )


def codes(found) -> list[str]:
    return [p.rule.code for p in found]


def test_umbrella_only_when_it_rains(branch, teller):
    rules_only("umbrella")
    # given a customer at the counter on a dry day
    c = customer(name_zh="张三丰")
    t = ticket(branch, c)
    # then there is no umbrella
    assert prompts(teller, branch, c, t) == []
    # when the manager says it is raining
    FloorSettings.objects.filter(branch=branch).update(raining=True)
    found = prompts(teller, branch, c, t)
    # then the teller is prompted to offer one, by name
    assert codes(found) == ["umbrella"]
    assert found[0].text_en == "It is raining: offer 张三丰 an umbrella when they leave."
    assert found[0].text_zh == "外面在下雨：张三丰离开时请递上一把雨伞。"


def test_birthday_today_and_not_yesterday(branch, teller):
    rules_only("birthday")
    today_born = customer(name_zh="寿星", birth_date=years_ago(40))
    yesterday_born = customer(name_zh="昨天", birth_date=years_ago(40, days=1))
    assert codes(prompts(teller, branch, today_born)) == ["birthday"]
    assert prompts(teller, branch, yesterday_born) == []


def test_birthday_on_29_february_is_wished_on_the_28th_in_other_years():
    leap_born = datetime.date(2000, 2, 29)
    assert evaluation.is_birthday(leap_born, datetime.date(2027, 2, 28))
    assert not evaluation.is_birthday(leap_born, datetime.date(2028, 2, 28))
    assert evaluation.is_birthday(leap_born, datetime.date(2028, 2, 29))
    assert not evaluation.is_birthday(None, datetime.date(2028, 2, 29))


def test_elderly_by_the_branch_age_or_the_rule_age(branch, teller):
    rules_only("elderly")
    old = customer(name_zh="老人", birth_date=years_ago(70, days=10))
    young = customer(name_zh="青年", birth_date=years_ago(60))
    # the branch's elderly age is 65
    found = prompts(teller, branch, old)
    assert codes(found) == ["elderly"]
    assert found[0].text_en == "老人 is 70: offer a seat and priority service."
    assert prompts(teller, branch, young) == []
    # a rule of its own age: 75
    CarePromptRule.objects.filter(code="elderly").update(min_age=75)
    other_old = customer(name_zh="老二", birth_date=years_ago(70))
    assert prompts(teller, branch, other_old) == []


def test_elderly_without_a_birth_date_when_the_kiosk_said_so(branch, teller):
    rules_only("elderly")
    c = customer(name_zh="无生日")
    assert prompts(teller, branch, c) == []
    t = ticket(branch, c, reason=Ticket.Reason.ELDERLY)
    assert codes(prompts(teller, branch, c, t)) == ["elderly"]


def test_language_names_the_tellers_on_duty_who_speak_it(branch, teller):
    rules_only("language")
    teller_at(branch, 3, languages=["zh", "en"], name="王芳")
    teller_at(branch, 5, languages=["zh", "en"], name="李雷", paused=True)  # on a break
    teller_at(branch, 6, languages=["en"], name="韩梅梅", is_open=False)  # counter closed
    teller_at(branch, 7, languages=["zh"], name="赵六")
    english = customer(name_zh="史密斯", preferred_language="en")
    found = prompts(teller, branch, english, audience="lobby")
    assert codes(found) == ["language"]
    assert found[0].text_en == "史密斯 speaks English — Counter 3, 王芳 speaks it"
    assert found[0].text_zh == "史密斯使用英文——3号窗口王芳会说"
    chinese = customer(name_zh="张三", preferred_language="zh")
    assert prompts(teller, branch, chinese, audience="lobby") == []


def test_language_nobody_on_duty_speaks(branch, teller):
    rules_only("language")
    teller_at(branch, 1, languages=["zh", "en"], name="王芳")
    japanese = customer(name_zh="山田", preferred_language="ja")
    found = prompts(teller, branch, japanese)
    assert found[0].text_en == "山田 speaks Japanese — no teller on duty speaks it"


def test_language_several_tellers_speak_it(branch, teller):
    rules_only("language")
    teller_at(branch, 2, languages=["yue", "zh"], name="陈晓彤")
    teller_at(branch, 4, languages=["yue"], name="梁嘉欣")
    c = customer(name_zh="黄生", preferred_language="yue")
    found = prompts(teller, branch, c)
    assert found[0].text_en == (
        "黄生 speaks Cantonese — Counter 2, 陈晓彤; Counter 4, 梁嘉欣 speak it"
    )


def test_first_visit_only_without_an_earlier_ticket_or_visit(branch, teller):
    rules_only("first-visit")
    new = customer(name_zh="新客")
    t = ticket(branch, new)
    assert codes(prompts(teller, branch, new, t)) == ["first-visit"]
    # an earlier ticket, at any branch, any day
    regular = customer(name_zh="老客")
    other = floor_branch()
    ticket(other, regular, issued_at=timezone.now() - datetime.timedelta(days=30))
    assert prompts(teller, branch, regular, ticket(branch, regular)) == []
    # a visit on the timeline before today
    visited = customer(name_zh="来过")
    Interaction.objects.create(
        customer=visited,
        kind=Interaction.Kind.VISIT,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
    )
    assert prompts(teller, branch, visited) == []
    # a second ticket the same day is not a first visit
    second = ticket(branch, new, issued_at=timezone.now() + datetime.timedelta(minutes=30))
    assert prompts(teller, branch, new, second) == []


def test_vip_tier_from_the_branch_priorities_or_the_rule(branch, teller):
    rules_only("vip-greeting")
    private = customer(name_zh="贵宾", value_tier="private")
    mass = customer(name_zh="大众", value_tier="mass")
    found = prompts(teller, branch, private)
    assert codes(found) == ["vip-greeting"]
    assert found[0].text_en == "贵宾 is a Private banking customer: greet them by name."
    assert prompts(teller, branch, mass) == []
    CarePromptRule.objects.filter(code="vip-greeting").update(tiers=["affluent"])
    affluent = customer(name_zh="富裕", value_tier="affluent")
    other_private = customer(name_zh="贵宾二", value_tier="private")
    assert codes(prompts(teller, branch, affluent)) == ["vip-greeting"]
    assert prompts(teller, branch, other_private) == []


def test_condition_rule_in_the_insight_language(branch, teller):
    rules_only()
    CarePromptRule.objects.create(
        name_en="Wealth review",
        trigger=CarePromptRule.Trigger.CONDITIONS,
        conditions=[{"field": "value_tier", "op": "in", "value": ["wealth", "private"]}],
        message_en="Offer {name} a wealth review.",
    )
    wealthy = customer(name_zh="富翁", value_tier="wealth")
    plain = customer(name_zh="普通", value_tier="mass")
    found = prompts(teller, branch, wealthy)
    assert [p.text_en for p in found] == ["Offer 富翁 a wealth review."]
    # a message written in one language only is used for both
    assert found[0].text_zh == "Offer 富翁 a wealth review."
    assert prompts(teller, branch, plain) == []


def test_conditions_narrow_another_trigger(branch, teller):
    rules_only()
    FloorSettings.objects.filter(branch=branch).update(raining=True)
    CarePromptRule.objects.create(
        name_en="Umbrella for the elderly",
        trigger=CarePromptRule.Trigger.RAINING,
        conditions=[{"field": "age", "op": "gte", "value": 80}],
        message_en="Walk {name} to the door with an umbrella.",
    )
    assert prompts(teller, branch, customer(name_zh="年轻", birth_date=years_ago(30))) == []
    old = customer(name_zh="高龄", birth_date=years_ago(85))
    assert [p.text_en for p in prompts(teller, branch, old)] == [
        "Walk 高龄 to the door with an umbrella."
    ]


def test_inactive_rules_other_branches_rules_and_audiences_do_not_fire(branch, teller):
    rules_only("birthday")
    c = customer(name_zh="寿星", birth_date=years_ago(50))
    CarePromptRule.objects.filter(code="birthday").update(audience="lobby")
    assert prompts(teller, branch, c, audience="teller") == []
    other = floor_branch()
    CarePromptRule.objects.filter(code="birthday").update(audience="both", branch=other)
    assert prompts(teller, branch, c) == []
    CarePromptRule.objects.filter(code="birthday").update(branch=branch, is_active=False)
    assert prompts(teller, branch, c) == []


def test_language_names_in_both_interface_languages():
    with translation.override("zh-hans"):
        assert evaluation.language_name("en") == "英文"
        assert evaluation.language_name("yue") == "粤语"
    with translation.override("en"):
        assert evaluation.language_name("ja") == "Japanese"
        assert evaluation.language_name("xx") == "xx"
    assert evaluation.is_chinese("zh-hans")
    assert evaluation.is_chinese("")
    assert not evaluation.is_chinese("en")
