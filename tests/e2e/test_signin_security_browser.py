"""Browser: with the second factor enforced, an administrator signs in with the password, is
sent to set up an authenticator app, types the key shown into it (here: computes the code from
the key the page shows), enters the code and reaches the home page."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_PASSWORD

pytestmark = pytest.mark.browser


def test_an_enforced_administrator_enrols_and_reaches_home(page, live_server, e2e_staff, settings):
    settings.OTP_REQUIRED_ROLES = ["administrator", "compliance_auditor"]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "administrator")
    page.fill("#id_password", E2E_PASSWORD)
    page.click("form button[type=submit]")

    # sent to set up two-step sign-in: a QR code and the key to type
    expect(page.locator("#otp-required")).to_be_visible()
    expect(page.locator("svg.qr-code")).to_be_visible()
    key = page.locator("#otp-key").get_attribute("data-key")
    totp = TOTP(base64.b32decode(key), step=30, t0=0, digits=6)
    totp.time = time.time()

    # another page is not reachable before the code is entered: back to the same set-up
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("#otp-key")).to_have_attribute("data-key", key)

    page.goto(f"{live_server.url}/")
    page.fill("#id_token", f"{totp.token():06d}")
    page.click("#otp-submit")
    expect(page.locator("h1")).to_contain_text("Welcome, Administrator")
    expect(page.locator("#who")).to_be_visible()
    assert page.url == f"{live_server.url}/"
