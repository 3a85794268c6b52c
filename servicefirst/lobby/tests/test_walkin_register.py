"""Registering a walk-in: minimal fields, phone normalised and matched, prospects created,
consent captured explicitly, the visit on the timeline; bad input changes nothing."""

import pytest

from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Consent, Customer, Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.lobby.models import WalkIn
from servicefirst.lobby.services import walkin_register

pytestmark = pytest.mark.django_db


def test_a_new_visitor_becomes_a_prospect_with_consent_and_a_visit_on_the_timeline(
    lobby, branch, services
):
    # given a visitor who gives a name and a phone in any format, and agrees to contact
    # when
    walk_in = walkin_register(
        actor=lobby,
        data={
            "name": "王小红",
            "phone": "138-0013-8000",
            "channel": "flyer",
            "consent": "yes",
            "need_service": services["wealth"].pk,
            "company": "星辰科技",
            "job_title": "财务总监",
            "email": "Wang@Example.cn",
        },
    )
    # then a potential customer of this branch exists, with the normalised phone
    customer = walk_in.customer
    assert walk_in.created_prospect
    assert walk_in.phone == "+8613800138000"
    assert customer.lifecycle == Customer.Lifecycle.POTENTIAL
    assert customer.home_branch == branch
    assert customer.name_zh == "王小红"
    assert customer.employer == "星辰科技"
    assert customer.occupation == "财务总监"
    assert customer.email == "wang@example.cn"
    assert list(customer.phones.values_list("e164", flat=True)) == ["+8613800138000"]
    # and the consent was recorded from the lobby
    consent = customer.consents.get()
    assert consent.kind == Consent.Kind.MARKETING
    assert consent.source == "lobby walk-in"
    assert consent.withdrawn_at is None
    # and the visit is on the timeline
    visit = customer.interactions.get(kind=Interaction.Kind.VISIT)
    assert "Flyer" in visit.summary
    assert visit.detail["walk_in"] == walk_in.pk


def test_without_consent_no_consent_is_recorded(lobby, services):
    walk_in = walkin_register(
        actor=lobby,
        data={"name": "Tom Baker", "phone": "13900001111", "channel": "passing", "consent": "no"},
    )
    assert walk_in.consent is False
    assert walk_in.customer.name_latin == "Tom Baker"
    assert not walk_in.customer.consents.exists()


def test_an_existing_customer_is_found_by_phone(lobby, branch):
    # given a customer with this mobile
    known = make_customer(name_zh="张三丰", phones=["+86 138 0013 8000"], home_branch=branch)
    # when a visitor gives the number in another format (no name needed)
    walk_in = walkin_register(
        actor=lobby, data={"phone": "+86 13800138000", "channel": "window", "consent": "yes"}
    )
    # then the walk-in is that customer; no prospect is created
    assert walk_in.customer == known
    assert not walk_in.created_prospect
    assert Customer.objects.count() == 1
    assert known.consents.filter(kind="marketing", source="lobby walk-in").exists()
    # and the lobby manager's look at the customer is audit-logged
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW, customer_id=known.pk
    ).exists()


def test_existing_consent_is_not_duplicated(lobby, branch):
    known = make_customer(name_zh="张三丰", phones=["13800138000"], home_branch=branch)
    Consent.objects.create(customer=known, kind="marketing", source="开户表格")
    walkin_register(
        actor=lobby, data={"phone": "13800138000", "channel": "online", "consent": "yes"}
    )
    assert known.consents.count() == 1


def test_saying_no_does_not_withdraw_an_earlier_consent(lobby, branch):
    known = make_customer(name_zh="张三丰", phones=["13800138000"], home_branch=branch)
    Consent.objects.create(customer=known, kind="marketing", source="开户表格")
    walkin_register(
        actor=lobby, data={"phone": "13800138000", "channel": "online", "consent": "no"}
    )
    assert known.consents.get().withdrawn_at is None


def test_a_customer_of_another_branch_gives_consent_in_this_lobby(lobby, other_branch):
    known = make_customer(name_zh="赵三峰", phones=["13700001111"], home_branch=other_branch)
    walk_in = walkin_register(
        actor=lobby, data={"phone": "13700001111", "channel": "referral", "consent": "yes"}
    )
    assert walk_in.customer == known
    assert walk_in.consent is True
    consent = known.consents.get()
    assert consent.kind == "marketing"
    assert consent.withdrawn_at is None


def test_an_anonymous_passer_by_is_counted_without_a_customer(lobby):
    walk_in = walkin_register(actor=lobby, data={"channel": "window"})
    assert walk_in.customer is None
    assert walk_in.consent is None
    assert walk_in.display_name == "Visitor"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "王五", "consent": "yes"}, "channel"),
        ({"name": "王五", "channel": "tv"}, "channel"),
        ({"name": "王五", "channel": "flyer"}, "consent"),
        ({"name": "王五", "phone": "12345", "channel": "flyer", "consent": "yes"}, "phone"),
        ({"name": "王五", "email": "not-an-email", "channel": "flyer", "consent": "no"}, "email"),
        ({"phone": "13911112222", "channel": "flyer", "consent": "yes"}, "name"),
        ({"name": "王" * 61, "channel": "flyer", "consent": "yes"}, "name"),
        (
            {"name": "王五", "channel": "flyer", "consent": "yes", "need_service": 999999},
            "need_service",
        ),
        ({"name": "王五", "channel": "flyer", "consent": "yes", "campaign": 999999}, "campaign"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(lobby, services, data, field):
    with pytest.raises(ValidationFailed) as exc:
        walkin_register(actor=lobby, data=data)
    assert field in exc.value.errors
    assert not WalkIn.objects.exists()
    assert not Customer.objects.exists()


def test_only_lobby_staff_register_walk_ins(rm, teller):
    for user in (rm, teller):
        with pytest.raises(PermissionDenied):
            walkin_register(actor=user, data={"channel": "window"})


def test_a_lobby_manager_works_only_at_their_own_branch(lobby, other_branch):
    with pytest.raises(PermissionDenied):
        walkin_register(actor=lobby, data={"channel": "window"}, branch_id=other_branch.pk)
