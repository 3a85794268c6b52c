"""Staff sign-in hardening, as a member of staff notices it: Argon2 password hashes, the
password policy, lockout after wrong passwords, the second factor (optional for everyone,
required for administrators and compliance auditors when enforced) and the idle sign-out."""

import base64
import datetime
import re
import time

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

import config.settings as production
from servicefirst.accounts.middleware import IdleTimeoutMiddleware
from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ENFORCED = ["administrator", "compliance_auditor"]


def code(key: bytes, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for the key (optionally for a later 30 s step)."""
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


# --- passwords: Argon2 and the policy ----------------------------------------------------------


def test_production_settings_hash_passwords_with_argon2(client, settings):
    # given the product's hashers (the suite itself hashes with MD5 for speed)
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    # when a member of staff is created
    staff = make_staff(Role.TELLER, username="teller1")
    # then an Argon2id hash is stored, and the password signs in
    staff.user.refresh_from_db()
    assert staff.user.password.startswith("argon2$argon2id$")
    assert sign_in(client, "teller1").status_code == 302


def test_an_older_hash_still_signs_in_and_is_upgraded_to_argon2(client, settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    staff = make_staff(Role.TELLER, username="teller1")
    user = staff.user
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    response = sign_in(client, "teller1")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("new_password", "rule"),
    [
        ("Short-2026", "at least 12 characters"),
        ("only-letters-here", "both letters and digits"),
        ("3141592653589793", "entirely numeric"),
        ("password1234", "too common"),
    ],
)
def test_a_weak_new_password_is_refused_naming_the_rule(client, new_password, rule):
    staff = make_staff(Role.TELLER, username="teller1")
    client.force_login(staff.user)
    page = client.get(reverse("password_change")).content.decode()
    assert "at least 12 characters" in page  # the rules are listed before typing
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert rule in response.content.decode()
    staff.user.refresh_from_db()
    assert staff.user.check_password(PASSWORD)


def test_a_strong_new_password_is_accepted(client):
    staff = make_staff(Role.TELLER, username="teller1")
    client.force_login(staff.user)
    new = "Counter-2027-spring"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Your password has been changed." in response.content.decode()
    staff.user.refresh_from_db()
    assert staff.user.check_password(new)


def test_the_demo_password_still_signs_in_the_demo_staff(client):
    # Policy applies to changing a password; the demo sets its shared password directly.
    from servicefirst.core.demo import DEMO_PASSWORD

    staff = make_staff(Role.TELLER, username="teller.demo")
    staff.user.password = make_password(DEMO_PASSWORD)
    staff.user.save(update_fields=["password"])
    assert sign_in(client, "teller.demo", DEMO_PASSWORD).status_code == 302


# --- lockout after wrong passwords -------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    return settings


def test_five_wrong_passwords_lock_the_login_with_a_message(client, axes_on):
    make_staff(Role.TELLER, username="teller1")
    for _attempt in range(4):
        html = sign_in(client, "teller1", "wrong-guess-1").content.decode()
        assert 'id="login-error"' in html
    # the fifth wrong password locks the login from this address
    response = sign_in(client, "teller1", "wrong-guess-5")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="login-locked"' in html
    assert "blocked for 15 minutes" in html
    # now even the right password is refused
    response = sign_in(client, "teller1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # every refusal is in the audit log
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() >= 5


def test_the_lock_is_per_login_and_address(client, axes_on):
    make_staff(Role.TELLER, username="teller1")
    make_staff(Role.TELLER, username="teller2")
    for _attempt in range(5):
        sign_in(client, "teller1", "wrong-guess")
    assert sign_in(client, "teller1").status_code == 429
    # another login from the same address, and the same login from another address, sign in
    assert sign_in(client, "teller2").status_code == 302
    client.logout()
    assert sign_in(client, "teller1", REMOTE_ADDR="10.1.2.3").status_code == 302


def test_behind_the_tls_proxy_the_address_the_proxy_saw_counts(client, axes_on):
    axes_on.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    make_staff(Role.TELLER, username="teller1")
    # a guesser cannot escape the count by making up X-Forwarded-For entries of their own
    for n in range(5):
        sign_in(client, "teller1", "wrong-guess", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.7")
    assert sign_in(client, "teller1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # a colleague at another address (behind the same proxy) still signs in
    assert sign_in(client, "teller1", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, axes_on):
    make_staff(Role.TELLER, username="teller1")
    for _attempt in range(4):
        sign_in(client, "teller1", "wrong-guess")
    assert sign_in(client, "teller1").status_code == 302
    client.logout()
    for _attempt in range(4):
        assert sign_in(client, "teller1", "wrong-guess").status_code == 200
    assert sign_in(client, "teller1").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, axes_on):
    from axes.models import AccessAttempt

    make_staff(Role.TELLER, username="teller1")
    for _attempt in range(5):
        sign_in(client, "teller1", "wrong-guess")
    assert sign_in(client, "teller1").status_code == 429
    # as if the last failure were 16 minutes ago
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert sign_in(client, "teller1").status_code == 302


def test_an_administrator_unlocks_with_the_command(client, axes_on):
    make_staff(Role.TELLER, username="teller1")
    for _attempt in range(5):
        sign_in(client, "teller1", "wrong-guess")
    assert sign_in(client, "teller1").status_code == 429
    call_command("axes_reset_username", "teller1", verbosity=0)
    assert sign_in(client, "teller1").status_code == 302


def test_an_administrator_unlocks_in_the_admin(client, axes_on):
    from axes.models import AccessAttempt

    make_staff(Role.TELLER, username="teller1")
    for _attempt in range(5):
        sign_in(client, "teller1", "wrong-guess")
    attempt = AccessAttempt.objects.get(username="teller1")
    admin = make_staff(Role.ADMINISTRATOR, username="admin1")
    other = client.__class__()
    other.force_login(admin.user)
    listing = other.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "teller1" in listing.content.decode()
    response = other.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "teller1").status_code == 302


def test_a_teller_cannot_see_locked_logins_in_the_admin(client):
    client.force_login(make_staff(Role.TELLER, username="teller1").user)
    assert client.get("/admin/axes/accessattempt/").status_code in (302, 403)


def test_bearer_tokens_are_not_concerned_by_axes(client, axes_on):
    staff = make_staff(Role.TELLER, username="teller1")
    token = token_create(staff=staff, name="script")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "teller1"


# --- the second factor -------------------------------------------------------------------------


def _key_on(html: str) -> bytes:
    key = re.search(r'data-key="([A-Z2-7=]+)"', html).group(1)
    return base64.b32decode(key)


def _as_if_a_minute_passed() -> None:
    TOTPDevice.objects.update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(minutes=1)
    )


def test_an_enforced_administrator_must_enrol_before_any_page(client, settings):
    settings.OTP_REQUIRED_ROLES = ENFORCED
    make_staff(Role.ADMINISTRATOR, username="admin1")
    assert sign_in(client, "admin1").status_code == 302
    # every page sends them to set up an authenticator app, keeping where they were going
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('otp_setup')}?next=%2Fcustomers%2F"
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/me").status_code == 403
    # the set-up page shows a QR code and the key to type
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<svg" in html
    assert "Your role requires a second step" in html
    key = _key_on(html)
    # a wrong code is refused with a message
    wrong = client.post(reverse("otp_setup"), {"token": "000000", "next": "/customers/"})
    if code(key) != "000000":
        assert "That code is not right" in wrong.content.decode()
        _as_if_a_minute_passed()  # django-otp makes one wait after a wrong code
    # the right code confirms the app and goes on to the page asked for
    response = client.post(reverse("otp_setup"), {"token": code(key), "next": "/customers/"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    assert client.get("/api/me").status_code == 200
    assert TOTPDevice.objects.filter(user__username="admin1", confirmed=True).count() == 1


def test_an_enrolled_auditor_enters_the_code_after_the_password(client, settings):
    settings.OTP_REQUIRED_ROLES = ENFORCED
    auditor = make_staff(Role.COMPLIANCE_AUDITOR, username="auditor1")
    device = TOTPDevice.objects.create(user=auditor.user, name="phone", confirmed=True)
    sign_in(client, "auditor1")
    response = client.get("/customers/")
    assert response["Location"] == f"{reverse('otp_verify')}?next=%2Fcustomers%2F"
    # a password alone cannot replace the app: the set-up page sends them to the code too
    assert client.get(reverse("otp_setup")).status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Enter the code your authenticator app shows" in html
    wrong = client.post(reverse("otp_verify"), {"token": "12345", "next": "/customers/"})
    assert "six digits" in wrong.content.decode()
    assert client.get("/customers/").status_code == 302
    right = client.post(
        reverse("otp_verify"), {"token": code(device.bin_key), "next": "/customers/"}
    )
    assert right["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200


def test_a_bad_second_factor_code_is_audit_logged(client, settings):
    settings.OTP_REQUIRED_ROLES = ENFORCED
    admin = make_staff(Role.ADMINISTRATOR, username="admin1")
    device = TOTPDevice.objects.create(user=admin.user, name="phone", confirmed=True)
    client.force_login(admin.user)
    bad = "111111" if code(device.bin_key) != "111111" else "222222"
    response = client.post(reverse("otp_verify"), {"token": bad})
    assert "That code is not right" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED, actor=admin.user)
    assert event.detail["second_factor"] == "totp"


def test_after_a_wrong_code_the_next_one_waits(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # seconds before the next code is checked
    admin = make_staff(Role.ADMINISTRATOR, username="admin1")
    device = TOTPDevice.objects.create(user=admin.user, name="phone", confirmed=True)
    client.force_login(admin.user)
    right = code(device.bin_key)
    wrong = "111111" if right != "111111" else "222222"
    client.post(reverse("otp_verify"), {"token": wrong})
    response = client.post(reverse("otp_verify"), {"token": right})
    assert "Too many wrong codes in a row: wait a few seconds" in response.content.decode()
    _as_if_a_minute_passed()
    assert client.post(reverse("otp_verify"), {"token": right}).status_code == 302


def test_roles_not_listed_and_no_enforcement_sign_in_with_a_password(client, settings):
    settings.OTP_REQUIRED_ROLES = ENFORCED
    client.force_login(make_staff(Role.TELLER).user)
    assert client.get("/customers/").status_code == 200
    settings.OTP_REQUIRED_ROLES = []
    client.force_login(make_staff(Role.ADMINISTRATOR).user)
    assert client.get("/customers/").status_code == 200


def test_bearer_tokens_work_for_an_enforced_administrator(client, settings):
    settings.OTP_REQUIRED_ROLES = ENFORCED
    admin = make_staff(Role.ADMINISTRATOR, username="admin1")
    token = token_create(staff=admin, name="script")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_any_member_of_staff_may_enrol_from_their_profile_and_stop(client):
    teller = make_staff(Role.TELLER, username="teller1")
    client.force_login(teller.user)
    profile = client.get(reverse("profile")).content.decode()
    assert "Off: your password alone signs you in." in profile
    key = _key_on(client.get(reverse("otp_setup")).content.decode())
    response = client.post(reverse("otp_setup"), {"token": code(key)}, follow=True)
    html = response.content.decode()
    assert "Your authenticator app is set up." in html
    assert "On: after your password you enter a code" in html
    # stopping needs a current code (the next step's: the one just used cannot be replayed)
    kept = client.post(reverse("otp_remove"), {"token": "12"}, follow=True)
    assert "The authenticator app was kept" in kept.content.decode()
    removed = client.post(reverse("otp_remove"), {"token": code(key, steps_ahead=1)}, follow=True)
    assert "no longer used to sign in" in removed.content.decode()
    assert not TOTPDevice.objects.filter(user=teller.user).exists()


# --- idle sign-out -----------------------------------------------------------------------------


def _idle(client, seconds: int) -> None:
    session = client.session
    session[IdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - seconds
    session.save()


def test_an_idle_session_is_signed_out_with_a_message(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(make_staff(Role.TELLER).user)
    assert client.get("/customers/").status_code == 200
    # 29 minutes without a request: still signed in
    _idle(client, 29 * 60)
    assert client.get("/customers/").status_code == 200
    # 31 minutes: signed out, and the login page says why
    _idle(client, 31 * 60)
    response = client.get("/customers/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_idle_htmx_request_reloads_the_login_page(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(make_staff(Role.TELLER).user)
    client.get("/customers/")
    _idle(client, 31 * 60)
    response = client.get("/customers/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("login")


def test_no_idle_timeout_when_set_to_zero(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 0
    client.force_login(make_staff(Role.TELLER).user)
    client.get("/customers/")
    _idle(client, 10 * 3600)
    assert client.get("/customers/").status_code == 200
