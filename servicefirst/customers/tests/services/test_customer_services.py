import datetime

import pytest
from django.db import DatabaseError, connection, transaction

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import ValidationFailed
from servicefirst.core.models import AuditEvent, AuditLogIsAppendOnly
from servicefirst.customers import fields, services
from servicefirst.customers.models import Consent, Customer, HouseholdLink, Interaction
from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office():
    return make_staff(Role.BACK_OFFICE).user


def test_create_validates_every_field_and_names_it(back_office):
    # when staff submit several bad values at once
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(
            actor=back_office,
            data={
                "name_zh": "",
                "phones": ["12345"],
                "id_number": "110105198005171234",
                "email": "nope",
                "dependents": "-1",
            },
        )
    # then each is reported against its field, and nothing was saved
    assert set(exc.value.errors) == {"name_zh", "phones", "id_number", "email", "dependents"}
    assert "check digit" in exc.value.errors["id_number"][0]
    assert Customer.objects.count() == 0


def test_create_derives_birth_date_gender_and_pinyin_from_input(back_office):
    number = resident_id(datetime.date(1990, 2, 3), seq=124)  # even 17th digit → female
    c = services.customer_create(
        actor=back_office,
        data={"name_zh": "欧阳娜娜", "id_number": number, "phones": ["+86 139-1234-5678"]},
    )
    assert c.birth_date == datetime.date(1990, 2, 3)
    assert c.gender == "F"
    assert (c.pinyin_full, c.pinyin_initials) == ("ouyangnana", "oynn")
    assert list(c.phones.values_list("e164", flat=True)) == ["+8613912345678"]
    assert fields.decrypt(c.id_number_encrypted) == number
    assert c.number.startswith("C")
    assert AuditEvent.objects.filter(action="customer.create", customer_id=c.pk).exists()


def test_duplicate_identity_number_is_refused(back_office):
    number = resident_id(datetime.date(1970, 1, 1))
    services.customer_create(actor=back_office, data={"name_zh": "李雷", "id_number": number})
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(actor=back_office, data={"name_zh": "李雷", "id_number": number})
    assert "id_number" in exc.value.errors


def test_update_with_an_error_changes_nothing(back_office):
    c = make_customer(name_zh="韩梅梅", phones=["13800138000"], occupation="会计")
    with pytest.raises(ValidationFailed) as exc:
        services.customer_update(
            actor=back_office, customer_id=c.pk, data={"occupation": "教师", "phones": "12345"}
        )
    assert list(exc.value.errors) == ["phones"]
    c.refresh_from_db()
    assert c.occupation == "会计"
    assert list(c.phones.values_list("e164", flat=True)) == ["+8613800138000"]


def test_update_records_changed_fields_on_the_timeline_without_personal_values(back_office):
    c = make_customer(name_zh="韩梅梅")
    services.customer_update(
        actor=back_office, customer_id=c.pk, data={"occupation": "教师", "phones": "13800138000"}
    )
    change = c.interactions.get(kind=Interaction.Kind.CHANGE)
    assert set(change.detail["fields"]) == {"occupation", "phones"}
    assert "13800138000" not in str(change.detail) + change.summary


def test_merge_keeps_every_interaction_consent_phone_and_holding(back_office):
    survivor = make_customer(name_zh="张伟", phones=["13800138000"])
    duplicate = make_customer(
        name_zh="张伟",
        phones=["13800138000", "13900139000"],
        email="zw@example.com",
        occupation="医生",
    )
    services.interaction_record(customer=survivor, kind="visit", summary="开户")
    services.interaction_record(customer=duplicate, kind="call", summary="咨询理财")
    services.consent_set(
        actor=back_office, customer_id=duplicate.pk, kind="sms", granted=True, source="柜面签字"
    )
    services.holding_open(
        actor=back_office,
        customer_id=duplicate.pk,
        product_code=ProductFactory(code="dep-1y").code,
        balance=50000,
    )
    relative = make_customer(name_zh="李娜")
    services.household_link(
        actor=back_office, customer_id=duplicate.pk, relative_id=relative.pk, relation="spouse"
    )

    merged = services.customer_merge(
        actor=back_office, survivor_id=survivor.pk, duplicate_id=duplicate.pk
    )

    assert set(merged.interactions.values_list("summary", flat=True)) >= {"开户", "咨询理财"}
    assert merged.consents.filter(kind="sms", withdrawn_at__isnull=True).exists()
    assert sorted(merged.phones.values_list("e164", flat=True)) == [
        "+8613800138000",
        "+8613900139000",
    ]
    assert merged.holdings.count() == 1
    assert merged.email == "zw@example.com"
    assert merged.occupation == "医生"
    assert HouseholdLink.objects.filter(
        customer=relative, relative=merged, relation="spouse"
    ).exists()
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == merged.pk
    assert Interaction.objects.filter(customer=duplicate).count() == 0


def test_consent_withdrawal_keeps_history(back_office):
    c = make_customer()
    services.consent_set(
        actor=back_office, customer_id=c.pk, kind="phone", granted=True, source="网银"
    )
    services.consent_set(
        actor=back_office, customer_id=c.pk, kind="phone", granted=False, source="客户来电"
    )
    services.consent_set(
        actor=back_office, customer_id=c.pk, kind="phone", granted=True, source="柜面"
    )
    history = list(Consent.objects.filter(customer=c, kind="phone").order_by("granted_at"))
    assert [h.source for h in history] == ["网银", "柜面"]
    assert history[0].withdrawal_source == "客户来电"
    assert history[0].withdrawn_at
    c.refresh_from_db()
    assert c.do_not_call  # withdrawing phone consent sets do-not-call


def test_consent_requires_a_source(back_office):
    c = make_customer()
    with pytest.raises(ValidationFailed) as exc:
        services.consent_set(
            actor=back_office, customer_id=c.pk, kind="sms", granted=True, source=" "
        )
    assert "source" in exc.value.errors


def test_household_links_both_ways(back_office):
    parent, child = make_customer(name_zh="王父"), make_customer(name_zh="王子")
    services.household_link(
        actor=back_office, customer_id=parent.pk, relative_id=child.pk, relation="child"
    )
    assert HouseholdLink.objects.get(customer=parent, relative=child).relation == "child"
    assert HouseholdLink.objects.get(customer=child, relative=parent).relation == "parent"


def test_reveal_is_audited_and_returns_clear_value():
    unit = UnitFactory()
    manager = make_staff(Role.BRANCH_MANAGER, unit=unit)
    number = resident_id(datetime.date(1985, 6, 1))
    c = make_customer(home_branch=unit, id_number=number)
    assert (
        services.customer_reveal(actor=manager.user, customer_id=c.pk, field="id_number") == number
    )
    event = AuditEvent.objects.get(action="customer.reveal")
    assert (event.actor_username, event.customer_id, event.detail) == (
        manager.user.username,
        c.pk,
        {"field": "id_number"},
    )


def test_audit_log_cannot_be_changed_or_deleted(back_office):
    c = make_customer()
    services.customer_update(actor=back_office, customer_id=c.pk, data={"occupation": "律师"})
    event = AuditEvent.objects.first()
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    # not even raw SQL gets past the database trigger
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET actor_username = 'x'")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditevent")
    assert AuditEvent.objects.filter(actor_username=back_office.username).exists()
