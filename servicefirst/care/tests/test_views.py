"""The care pages: rules list and form, switching a rule, today's prompts and the htmx
endpoint that marks a prompt."""

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.care import services
from servicefirst.care.models import CarePrompt, CarePromptRule
from servicefirst.care.tests.helpers import customer, floor_branch, rules_only, ticket, years_ago
from servicefirst.customers.models import Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    b = floor_branch(raining=True)
    rules_only("umbrella", "birthday")
    return b


@pytest.fixture
def manager(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch, name="李建国").user


@pytest.fixture
def admin():
    return make_staff(Role.ADMINISTRATOR).user


def test_rules_page_lists_the_rules_with_who_may_edit_them(client, manager):
    client.force_login(manager)
    response = client.get(reverse("care:rules"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Umbrella when it rains" in html
    assert "Every branch" in html
    # bank-wide rules are read-only for a branch manager
    umbrella = CarePromptRule.objects.get(code="umbrella")
    assert reverse("care:rule_edit", args=[umbrella.pk]) not in html


def test_rules_page_needs_the_care_grant(client, branch):
    teller = make_staff(Role.TELLER, unit=branch).user
    client.force_login(teller)
    assert client.get(reverse("care:rules")).status_code == 403


def test_admin_toggles_a_rule_with_htmx(client, admin):
    client.force_login(admin)
    umbrella = CarePromptRule.objects.get(code="umbrella")
    response = client.post(reverse("care:rule_toggle", args=[umbrella.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-active="0"' in response.content.decode()
    umbrella.refresh_from_db()
    assert not umbrella.is_active


def test_manager_adds_a_branch_rule_through_the_form(client, manager, branch):
    client.force_login(manager)
    response = client.post(
        reverse("care:rule_new"),
        {
            "name_zh": "理财复查",
            "name_en": "Wealth review",
            "trigger": "conditions",
            "audience": "teller",
            "message_en": "Offer {name} a wealth review.",
            "order": "80",
            "is_active": "on",
            "cond-0-field": "value_tier",
            "cond-0-op": "in",
            "cond-0-value": "wealth, private",
        },
    )
    assert response.status_code == 302
    rule = CarePromptRule.objects.get(name_en="Wealth review")
    assert rule.branch == branch
    assert rule.conditions == [{"field": "value_tier", "op": "in", "value": ["wealth", "private"]}]


def test_the_form_shows_a_bad_condition_on_its_row(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("care:rule_new"),
        {
            "name_en": "Broken",
            "trigger": "conditions",
            "audience": "both",
            "message_en": "Hello {name}",
            "cond-0-field": "value_tier",
            "cond-0-op": "eq",
            "cond-0-value": "wealth",
            "cond-2-field": "age",
            "cond-2-op": "gte",
            "cond-2-value": "old",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-error-for="cond-2-value"' in html
    assert "Condition 2 (Age): Enter a number." in html
    assert not CarePromptRule.objects.filter(name_en="Broken").exists()


def test_resolve_returns_the_updated_list(client, branch, manager):
    zhang = customer(name_zh="张三丰", birth_date=years_ago(45))
    t = ticket(branch, zhang)
    umbrella, birthday = services.prompts_for_visit(
        actor=manager, branch_id=branch.pk, customer_id=zhang.pk, audience="teller", ticket_id=t.pk
    )
    client.force_login(manager)
    response = client.post(
        reverse("care:resolve"),
        {"prompt_id": umbrella.pk, "status": "done", "shown": [umbrella.pk, birthday.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "care-changed"
    html = response.content.decode()
    assert f'data-prompt="{umbrella.pk}" data-status="done"' in html
    assert f'data-prompt="{birthday.pk}" data-status="open"' in html
    assert "李建国" in html
    assert Interaction.objects.filter(customer=zhang, kind="note").count() == 1
    # twice: the list says so and nothing changes
    again = client.post(
        reverse("care:resolve"),
        {"prompt_id": umbrella.pk, "status": "skipped", "shown": [umbrella.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert "already marked done" in again.content.decode()
    assert CarePrompt.objects.get(pk=umbrella.pk).status == "done"


def test_resolve_without_javascript_goes_back(client, branch, manager):
    zhang = customer(name_zh="张三丰")
    prompt = services.prompts_for_visit(
        actor=manager, branch_id=branch.pk, customer_id=zhang.pk, audience="lobby"
    )[0]
    client.force_login(manager)
    response = client.post(
        reverse("care:resolve"),
        {"prompt_id": prompt.pk, "status": "skipped", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("care:today")


def test_resolve_of_another_branch_prompt_is_not_found(client, branch, manager):
    zhang = customer(name_zh="张三丰")
    prompt = services.prompts_for_visit(
        actor=manager, branch_id=branch.pk, customer_id=zhang.pk, audience="lobby"
    )[0]
    stranger = make_staff(Role.BRANCH_MANAGER, unit=floor_branch()).user
    client.force_login(stranger)
    response = client.post(reverse("care:resolve"), {"prompt_id": prompt.pk, "status": "done"})
    assert response.status_code == 404
    assert CarePrompt.objects.get(pk=prompt.pk).status == "open"


def test_today_page_raises_and_lists_the_prompts_of_the_hall(client, branch, manager):
    zhang = customer(name_zh="张三丰", birth_date=years_ago(45))
    ticket(branch, zhang)
    client.force_login(manager)
    response = client.get(reverse("care:today"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "It is raining: offer 张三丰 an umbrella when they leave." in html
    assert "Today is 张三丰&#x27;s birthday" in html
    assert 'data-total="2"' in html
    assert "floor/live.js" in html
    partial = client.get(reverse("care:today"), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()


def test_today_page_needs_floor_work(client, branch):
    analyst = make_staff(Role.MARKETING_ANALYST).user
    client.force_login(analyst)
    assert client.get(reverse("care:today")).status_code == 403


def test_the_care_pages_in_chinese(client, branch):
    manager = make_staff(Role.BRANCH_MANAGER, unit=branch, ui_language="zh-hans").user
    zhang = customer(name_zh="张三丰", birth_date=years_ago(45))
    ticket(branch, zhang)
    client.force_login(manager)
    today = client.get(reverse("care:today")).content.decode()
    assert "今日关怀提示" in today
    assert "外面在下雨：张三丰离开时请递上一把雨伞。" in today
    assert "已办" in today
    rules = client.get(reverse("care:rules")).content.decode()
    assert "雨天送伞" in rules
    assert "网点所在地下雨" in rules
    form = client.get(reverse("care:rule_new")).content.decode()
    assert "触发条件" in form
