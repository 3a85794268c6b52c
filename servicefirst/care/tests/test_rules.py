"""Editing care rules: the standard rules, clear errors that change nothing, and who may edit
which rules."""

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.care import services
from servicefirst.care.defaults import RULES, ensure_rules
from servicefirst.care.models import CarePromptRule
from servicefirst.care.tests.helpers import floor_branch
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return floor_branch()


@pytest.fixture
def admin():
    return make_staff(Role.ADMINISTRATOR).user


@pytest.fixture
def manager(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch).user


def good(**changes):
    data = {
        "name_zh": "节日问候",
        "name_en": "Festival wishes",
        "trigger": "conditions",
        "conditions": [{"field": "value_tier", "op": "eq", "value": "wealth"}],
        "audience": "teller",
        "message_zh": "请向{name}致以节日问候。",
        "message_en": "Wish {name} a happy festival.",
        "is_active": True,
        "order": 70,
    }
    data.update(changes)
    return data


def test_the_standard_rules_are_seeded_once():
    ensure_rules()
    ensure_rules()
    codes = set(CarePromptRule.objects.values_list("code", flat=True))
    assert codes == {code for code, *_rest in RULES}
    active = set(CarePromptRule.objects.filter(is_active=True).values_list("trigger", flat=True))
    assert active == {"raining", "birthday", "elderly", "language", "first_visit"}


def test_admin_adds_a_bank_wide_rule(admin):
    rule = services.rule_save(actor=admin, data=good())
    assert rule.branch is None
    assert rule.trigger == "conditions"
    assert rule.updated_by.user == admin
    event = AuditEvent.objects.get(object_type="care_rule")
    assert event.object_id == str(rule.pk)


def test_a_branch_manager_edits_only_their_branch_rules(manager, branch, admin):
    own = services.rule_save(actor=manager, data=good(branch_id=branch.pk))
    assert own.branch == branch
    services.rule_save(actor=manager, data=good(branch_id=branch.pk, order=5), rule_id=own.pk)
    own.refresh_from_db()
    assert own.order == 5
    umbrella = CarePromptRule.objects.get(code="umbrella")
    with pytest.raises(PermissionDenied):
        services.rule_toggle(actor=manager, rule_id=umbrella.pk)
    with pytest.raises(PermissionDenied):
        services.rule_save(actor=manager, data=good())  # bank-wide
    other = services.rule_save(actor=admin, data=good(branch_id=floor_branch().pk))
    with pytest.raises(PermissionDenied):
        services.rule_save(actor=manager, data=good(branch_id=branch.pk), rule_id=other.pk)
    teller = make_staff(Role.TELLER, unit=branch).user
    with pytest.raises(PermissionDenied):
        services.rule_save(actor=teller, data=good(branch_id=branch.pk))


def test_toggle_switches_a_rule_off_and_on(admin):
    umbrella = CarePromptRule.objects.get(code="umbrella")
    assert services.rule_toggle(actor=admin, rule_id=umbrella.pk).is_active is False
    assert services.rule_toggle(actor=admin, rule_id=umbrella.pk).is_active is True
    assert services.rule_toggle(actor=admin, rule_id=umbrella.pk, is_active=True).is_active
    with pytest.raises(NotFound):
        services.rule_toggle(actor=admin, rule_id=999999)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name_zh": "", "name_en": ""}, "name_zh", "Give the rule a name in Chinese or English."),
        ({"trigger": "thunder"}, "trigger", "Choose when the rule prompts."),
        ({"audience": "everyone"}, "audience", "Choose whom the rule prompts."),
        (
            {"message_zh": "", "message_en": ""},
            "message_zh",
            "Write the message in Chinese or English.",
        ),
        (
            {"message_en": "Hello {nmae}"},
            "message_en",
            "Unknown placeholder {nmae}; use {name}, {age}, {tier}, {branch}, {language}, "
            "{tellers}.",
        ),
        (
            {"message_en": "Counter: {tellers}"},
            "message_en",
            "{tellers} can only be used in a language rule.",
        ),
        ({"trigger": "elderly", "min_age": 200}, "min_age", "Enter an age between 1 and 130."),
        ({"trigger": "vip", "tiers": ["gold"]}, "tiers", "Choose value tiers from the list."),
        ({"conditions": []}, "conditions", "Add at least one condition."),
        ({"order": "first"}, "order", "Enter an order between 0 and 9999."),
        ({"branch_id": 999999}, "branch_id", "Choose a branch."),
    ],
)
def test_bad_rules_are_rejected_naming_the_field(admin, changes, field, message):
    before = CarePromptRule.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.rule_save(actor=admin, data=good(**changes))
    assert exc.value.errors[field] == [message]
    assert CarePromptRule.objects.count() == before


def test_bad_conditions_are_rejected_naming_the_condition(admin):
    conditions = [
        {"field": "value_tier", "op": "eq", "value": "wealth"},
        {"field": "age", "op": "gte", "value": "old"},
        {"field": "shoe_size", "op": "eq", "value": 42},
        {"field": "consent", "op": "gte", "value": "sms"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.rule_save(actor=admin, data=good(conditions=conditions))
    assert exc.value.errors == {
        "conditions.1.value": ["Condition 2 (Age): Enter a number."],
        "conditions.2.field": ["Condition 3: Choose a field."],
        "conditions.3.op": ["Condition 4 (Consent): This operator does not apply to Consent."],
    }
    assert not CarePromptRule.objects.filter(name_en="Festival wishes").exists()


def test_editing_a_rule_with_errors_changes_nothing(admin):
    umbrella = CarePromptRule.objects.get(code="umbrella")
    data = good(trigger="raining", conditions=[], message_en="Umbrella for {who}")
    with pytest.raises(ValidationFailed):
        services.rule_save(actor=admin, data=data, rule_id=umbrella.pk)
    umbrella.refresh_from_db()
    assert umbrella.message_en == "It is raining: offer {name} an umbrella when they leave."
