"""Logging in and out, the home page and the interface language."""

import pytest
from django.conf import settings
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import CustomerTask
from servicefirst.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_log_in_goes_home_and_is_audit_logged(client):
    staff = make_staff(Role.TELLER, username="teller1")
    response = client.post(reverse("login"), {"username": "teller1", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=staff.user).exists()


def test_wrong_password_shows_an_error(client):
    make_staff(Role.TELLER, username="teller1")
    response = client.post(reverse("login"), {"username": "teller1", "password": "wrong"})
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_greets_and_lists_my_open_tasks(client):
    staff = make_staff(Role.RELATIONSHIP_MANAGER, name="Chen Jing")
    customer = make_customer(name_zh="张三丰")
    CustomerTask.objects.create(customer=customer, title="Renew the deposit", assigned_to=staff)
    CustomerTask.objects.create(
        customer=customer, title="Old one", assigned_to=staff, status=CustomerTask.Status.DONE
    )
    client.force_login(staff.user)
    html = client.get(reverse("home")).content.decode()
    assert "Welcome, Chen Jing" in html
    assert "Relationship manager" in html
    assert "Renew the deposit" in html
    assert "Old one" not in html
    assert reverse("customers:detail", args=[customer.pk]) in html


def test_navigation_follows_the_permission_matrix(client):
    client.force_login(make_staff(Role.TELLER).user)
    html = client.get(reverse("home")).content.decode()
    assert reverse("customers:search") in html
    assert reverse("audit:list") not in html
    client.force_login(make_staff(Role.COMPLIANCE_AUDITOR).user)
    assert reverse("audit:list") in client.get(reverse("home")).content.decode()


def test_home_without_staff_record(client, django_user_model, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product's default
    client.force_login(django_user_model.objects.create_user("loner", password="x"))
    html = client.get(reverse("home")).content.decode()
    assert "没有员工档案" in html  # no staff record, so the default language: Chinese


def test_log_out_needs_post(client):
    client.force_login(make_staff(Role.TELLER).user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("ui_language", "expected", "absent"),
    [("zh-hans", "退出", ">Log out<"), ("en", ">Log out<", "退出")],
)
def test_each_member_of_staff_works_in_their_own_language(client, ui_language, expected, absent):
    client.force_login(make_staff(Role.TELLER, ui_language=ui_language).user)
    html = client.get(reverse("home")).content.decode()
    assert expected in html
    assert absent not in html


def test_the_language_switcher_wins_over_the_staff_record(client):
    client.force_login(make_staff(Role.TELLER, ui_language="en").user)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "退出" in client.get(reverse("home")).content.decode()


def test_anonymous_pages_default_to_chinese(client, settings):
    from config import settings as product_settings

    assert product_settings.LANGUAGE_CODE == "zh-hans"  # unless LANGUAGE_CODE is set
    settings.LANGUAGE_CODE = product_settings.LANGUAGE_CODE
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert "员工登录" in html
