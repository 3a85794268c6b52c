"""The customer pages: search, the Customer 360 and its htmx partial edits."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import (
    Consent,
    CustomerTask,
    Holding,
    HouseholdLink,
    Interaction,
)
from servicefirst.customers.services import interaction_record
from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ZHANG_ID = resident_id(datetime.date(1980, 5, 17))


@pytest.fixture
def branch():
    return UnitFactory()


@pytest.fixture
def zhang(branch):
    return make_customer(
        name_zh="张三丰",
        phones=["+86 138 0013 8000"],
        id_number=ZHANG_ID,
        email="zhang@example.cn",
        home_branch=branch,
    )


def client_for(client, staff):
    client.force_login(staff.user)
    return client


@pytest.fixture
def teller(client, branch):
    return client_for(client, make_staff(Role.TELLER, unit=branch))


@pytest.fixture
def manager(client, branch):
    return client_for(client, make_staff(Role.BRANCH_MANAGER, unit=branch))


def url(name, customer, *args):
    return reverse(f"customers:{name}", args=[customer.pk, *args])


def events(action, customer):
    return AuditEvent.objects.filter(action=action, customer_id=customer.pk)


# --- search -----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, zhang):
    for target in (reverse("customers:search"), url("detail", zhang)):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_search_page_and_htmx_fragment(teller, zhang):
    page = teller.get(reverse("customers:search"), {"q": "zsf"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html
    assert 'id="customer-search"' in html
    assert "张三丰" in html

    fragment = teller.get(reverse("customers:search"), {"q": "zsf"}, **HTMX)
    html = fragment.content.decode()
    assert "<html" not in html
    assert 'id="results-table"' in html
    assert "张三丰" in html
    assert "138****8000" in html
    assert "13800138000" not in html


def test_search_without_matches_says_so(teller, zhang):
    html = teller.get(reverse("customers:search"), {"q": "nobody"}, **HTMX).content.decode()
    assert 'id="no-results"' in html
    assert "nobody" in html


def test_login_without_staff_record_cannot_search(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("loner", password="x"))
    assert client.get(reverse("customers:search")).status_code == 404


# --- Customer 360 -----------------------------------------------------------------------------


def test_teller_sees_masked_id_and_no_show_button(teller, zhang):
    response = teller.get(url("detail", zhang))
    assert response.status_code == 200
    html = response.content.decode()
    assert "**************" + ZHANG_ID[-4:] in html
    assert ZHANG_ID not in html
    assert "13800138000" not in html
    assert "/reveal/" not in html
    # and cannot reveal by posting directly
    assert teller.post(url("reveal", zhang, "id_number")).status_code == 403
    assert not events(AuditEvent.Action.CUSTOMER_REVEAL, zhang).exists()


def test_opening_a_customer_360_is_audit_logged(teller, zhang):
    teller.get(url("detail", zhang))
    assert events(AuditEvent.Action.CUSTOMER_VIEW, zhang).count() == 1


def test_branch_manager_of_the_branch_reveals_and_it_is_logged(manager, zhang):
    html = manager.get(url("detail", zhang)).content.decode()
    assert url("reveal", zhang, "id_number") in html
    response = manager.post(url("reveal", zhang, "id_number"), **HTMX)
    assert response.status_code == 200
    assert ZHANG_ID in response.content.decode()
    event = events(AuditEvent.Action.CUSTOMER_REVEAL, zhang).get()
    assert event.detail == {"field": "id_number"}
    assert event.actor_username == response.wsgi_request.user.username


def test_branch_manager_of_another_branch_cannot_reveal(client, zhang):
    client_for(client, make_staff(Role.BRANCH_MANAGER, unit=UnitFactory()))
    assert "/reveal/" not in client.get(url("detail", zhang)).content.decode()
    assert client.post(url("reveal", zhang, "id_number")).status_code == 403
    assert not events(AuditEvent.Action.CUSTOMER_REVEAL, zhang).exists()


def test_reveal_needs_post(manager, zhang):
    assert manager.get(url("reveal", zhang, "id_number")).status_code == 405


def test_unknown_customer_is_404(teller):
    assert teller.get(reverse("customers:detail", args=[999999])).status_code == 404


def test_customer_360_shows_every_part(manager, zhang, branch):
    product = ProductFactory(name_zh="定期存款", name_en="Time deposit")
    Holding.objects.create(customer=zhang, product=product, balance=Decimal("1000.50"))
    Holding.objects.create(customer=zhang, product=product, balance=Decimal("2000.25"))
    Consent.objects.create(customer=zhang, kind="marketing", source="form")
    CustomerTask.objects.create(customer=zhang, title="Call back about the deposit")
    spouse = make_customer(name_zh="李秀英", home_branch=branch)
    HouseholdLink.objects.create(customer=zhang, relative=spouse, relation="spouse")
    interaction_record(customer=zhang, kind=Interaction.Kind.VISIT, summary="Asked about rates")
    html = manager.get(url("detail", zhang)).content.decode()
    for text in (
        "Time deposit",
        "¥3,000.75",  # the total of the holdings
        "Granted",
        "Call back about the deposit",
        "李秀英",
        "Asked about rates",
        'id="consents"',
        'id="tasks"',
        'id="household"',
        'id="timeline"',
    ):
        assert text in html, text


def test_customer_360_query_count_is_bounded(manager, zhang, branch, django_assert_max_num_queries):
    product = ProductFactory()
    staff = make_staff(Role.RELATIONSHIP_MANAGER, unit=branch)
    for i in range(8):
        Holding.objects.create(customer=zhang, product=product, balance=i)
        Consent.objects.create(customer=zhang, kind=Consent.Kind.values[i % 4], source="form")
        CustomerTask.objects.create(customer=zhang, title=f"task {i}", assigned_to=staff)
        relative = make_customer(name_zh=f"亲属{i}", home_branch=branch)
        HouseholdLink.objects.create(customer=zhang, relative=relative, relation="sibling")
        interaction_record(customer=zhang, kind=Interaction.Kind.CALL, actor=staff.user)
    # 13 today: session, user, staff, roles, customer (+branch, RM), holdings (+product),
    # consents, tasks (+staff), the audit insert, phones, household (+relative), timeline
    # (+staff, campaign), the unit for the navigation bar. None grows with the data.
    manager.get("/")  # the first request of a session notes its activity time (idle sign-out)
    with django_assert_max_num_queries(15):
        assert manager.get(url("detail", zhang)).status_code == 200


# --- section edits ----------------------------------------------------------------------------


def test_edit_form_is_an_htmx_fragment(teller, zhang):
    response = teller.get(url("section", zhang, "contact") + "?edit=1", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'name="phones"' in html
    # without htmx the same form comes inside the full page
    html = teller.get(url("section", zhang, "contact") + "?edit=1").content.decode()
    assert "<html" in html
    assert 'name="phones"' in html


def test_plain_get_of_a_section_goes_back_to_the_page(teller, zhang):
    response = teller.get(url("section", zhang, "contact"))
    assert response.status_code == 302
    assert response["Location"] == url("detail", zhang)
    assert teller.get(url("section", zhang, "nope"), **HTMX).status_code == 404


def test_edit_with_an_invalid_phone_names_the_field_and_changes_nothing(teller, zhang):
    response = teller.post(url("section", zhang, "contact"), {"phones": "12345"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="phones"' in html
    assert "Phones: " in html
    assert "12345" in html
    assert [p.e164 for p in zhang.phones.all()] == ["+8613800138000"]
    assert not events(AuditEvent.Action.CUSTOMER_UPDATE, zhang).exists()
    # without htmx: 422 and the full page
    response = teller.post(url("section", zhang, "contact"), {"phones": "12345"})
    assert response.status_code == 422
    assert "<html" in response.content.decode()


def test_edit_with_a_bad_birth_date_names_the_field(teller, zhang):
    html = teller.post(
        url("section", zhang, "identity"), {"name_zh": "张三丰", "birth_date": "2999-01-01"}, **HTMX
    ).content.decode()
    assert 'data-field="birth_date"' in html
    assert "Birth date: " in html


def test_valid_edit_saves_and_shows_saved(teller, zhang):
    response = teller.post(
        url("section", zhang, "work"), {"occupation": "教师", "marital_status": "married"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saved" in html
    assert "教师" in html
    zhang.refresh_from_db()
    assert (zhang.occupation, zhang.marital_status) == ("教师", "married")
    assert events(AuditEvent.Action.CUSTOMER_UPDATE, zhang).count() == 1


def test_plain_post_redirects_with_a_message(teller, zhang):
    response = teller.post(url("section", zhang, "work"), {"occupation": "医生"})
    assert response.status_code == 302
    assert response["Location"] == url("detail", zhang)


def test_role_without_edit_cannot_open_or_post_the_form(client, zhang):
    client_for(client, make_staff(Role.COMPLIANCE_AUDITOR))
    assert client.get(url("section", zhang, "work") + "?edit=1", **HTMX).status_code == 403
    response = client.post(url("section", zhang, "work"), {"occupation": "x"}, **HTMX)
    assert response.status_code == 403
    zhang.refresh_from_db()
    assert zhang.occupation == ""
    html = client.get(url("detail", zhang)).content.decode()
    assert "?edit=1" not in html
    assert url("add_interaction", zhang) not in html


# --- consents, tasks, timeline, household -----------------------------------------------------


def test_grant_and_withdraw_consent_keeps_history(manager, zhang):
    response = manager.post(
        url("set_consent", zhang), {"kind": "sms", "granted": "1", "source": "柜台"}, **HTMX
    )
    assert response.status_code == 200
    assert 'data-consent="sms"' in response.content.decode()
    manager.post(
        url("set_consent", zhang), {"kind": "sms", "granted": "0", "source": "电话"}, **HTMX
    )
    consent = Consent.objects.get(customer=zhang, kind="sms")
    assert consent.source == "柜台"
    assert consent.withdrawn_at
    assert consent.withdrawal_source == "电话"
    assert events(AuditEvent.Action.CONSENT_CHANGE, zhang).count() == 2


def test_consent_without_source_names_the_field(manager, zhang):
    html = manager.post(
        url("set_consent", zhang), {"kind": "sms", "granted": "1", "source": ""}, **HTMX
    ).content.decode()
    assert 'data-field="source"' in html
    assert "Source: " in html
    assert not Consent.objects.filter(customer=zhang).exists()


def test_add_task_and_its_errors(teller, zhang):
    html = teller.post(url("add_task", zhang), {"title": ""}, **HTMX).content.decode()
    assert 'data-field="title"' in html
    assert "Task: " in html
    html = teller.post(
        url("add_task", zhang), {"title": "回电", "due_on": "not a date"}, **HTMX
    ).content.decode()
    assert 'data-field="due_on"' in html
    assert not CustomerTask.objects.filter(customer=zhang).exists()
    html = teller.post(
        url("add_task", zhang), {"title": "回电", "due_on": "2027-01-15"}, **HTMX
    ).content.decode()
    task = CustomerTask.objects.get(customer=zhang)
    assert task.due_on == datetime.date(2027, 1, 15)
    assert task.assigned_to.user.username
    assert "回电" in html
    assert "2027-01-15" in html


def test_add_interaction_and_its_errors(teller, zhang):
    html = teller.post(
        url("add_interaction", zhang), {"kind": "visit", "summary": " "}, **HTMX
    ).content.decode()
    assert 'data-field="summary"' in html
    teller.post(url("add_interaction", zhang), {"kind": "call", "summary": "来电"}, **HTMX)
    assert Interaction.objects.filter(customer=zhang, kind="call", summary="来电").exists()


def test_link_household_and_its_errors(manager, zhang, branch):
    html = manager.post(
        url("add_household", zhang), {"relative": "C999", "relation": "spouse"}, **HTMX
    ).content.decode()
    assert 'data-field="relative"' in html
    assert "C999" in html
    spouse = make_customer(name_zh="李秀英", home_branch=branch)
    html = manager.post(
        url("add_household", zhang),
        {"relative": spouse.number.lower(), "relation": "spouse"},
        **HTMX,
    ).content.decode()
    assert "李秀英" in html
    assert HouseholdLink.objects.filter(customer=spouse, relative=zhang, relation="spouse").exists()
