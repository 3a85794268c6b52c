"""Browser: open a Customer 360, edit a field with a validation error, fix it, and use the
reveal, consent, task and timeline forms."""

import pytest
from playwright.sync_api import expect

from servicefirst.customers.models import CustomerTask

pytestmark = pytest.mark.browser


def open_360(page, live_server, customer):
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#customer-name")).to_have_text(customer.name_zh)


def test_edit_with_a_validation_error_then_fix_it(page, live_server, e2e_customers, login):
    zhang = e2e_customers["张三丰"]
    login(page, "branch_manager")
    open_360(page, live_server, zhang)

    contact = page.locator("#section-contact")
    contact.locator("button[hx-get*='edit=1']").click()
    contact.locator("input[name=phones]").fill("12345")
    contact.locator("button[type=submit]").click()

    error = page.locator("#section-contact .field-error[data-field=phones]")
    expect(error).to_contain_text("Phones")  # the error names the field
    expect(error).to_contain_text("12345")
    expect(page.locator("#section-contact input[name=phones]")).to_have_class(
        "form-control form-control-sm is-invalid"
    )
    zhang.refresh_from_db()
    assert [p.e164 for p in zhang.phones.all()] == ["+8613800138000"]  # nothing changed

    page.locator("#section-contact input[name=phones]").fill("139 1111 2222")
    page.locator("#section-contact button[type=submit]").click()
    expect(page.locator("#section-contact .saved")).to_have_text("Saved")
    expect(page.locator("#section-contact")).to_contain_text("139****2222")
    assert [p.e164 for p in zhang.phones.all()] == ["+8613911112222"]


def test_reveal_consent_task_and_timeline(page, live_server, e2e_customers, login):
    zhang = e2e_customers["张三丰"]
    login(page, "branch_manager")
    open_360(page, live_server, zhang)

    id_value = page.locator("#id_number-value")
    expect(id_value).not_to_contain_text("110105198005171")
    id_value.locator("button.reveal").click()
    expect(page.locator("#id_number-value.revealed")).to_contain_text("110105198005171")

    consents = page.locator("#consents")
    consents.locator("select[name=kind]").select_option("sms")
    consents.locator("input[name=source]").fill("柜台签字")
    consents.locator("button[type=submit]").click()
    expect(page.locator("#consents [data-consent=sms]")).to_contain_text("Granted")

    tasks = page.locator("#tasks")
    tasks.locator("button[type=submit]").click()  # no title
    expect(page.locator("#tasks .field-error[data-field=title]")).to_contain_text("Task")
    page.locator("#tasks input[name=title]").fill("回电确认地址")
    page.locator("#tasks button[type=submit]").click()
    expect(page.locator("#open-tasks")).to_contain_text("回电确认地址")
    assert CustomerTask.objects.filter(customer=zhang, title="回电确认地址").exists()

    page.locator("#timeline input[name=summary]").fill("客户来电咨询理财产品")
    page.locator("#timeline button[type=submit]").click()
    expect(page.locator("#timeline .timeline-item").first).to_contain_text("客户来电咨询理财产品")


def test_a_teller_sees_masked_details_and_no_show_button(page, live_server, e2e_customers, login):
    login(page, "teller")
    open_360(page, live_server, e2e_customers["张三丰"])
    expect(page.locator("#id_number-value")).to_contain_text("1239")
    expect(page.locator("#id_number-value")).not_to_contain_text("110105")
    expect(page.locator("button.reveal")).to_have_count(0)
