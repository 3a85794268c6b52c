"""Browser: a care prompt appears for a customer in the hall and is marked done.

It is raining at the branch and 张三丰 has taken a ticket: the branch manager's page of
today's care prompts shows "offer 张三丰 an umbrella"; the manager marks it done, the page
moves it to the done list with their name, and the care act is on the customer's timeline."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.care.defaults import ensure_rules
from servicefirst.care.models import CarePrompt
from servicefirst.care.tests.helpers import ticket
from servicefirst.customers.models import Interaction
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import FloorSettings

pytestmark = pytest.mark.browser


@pytest.fixture
def rainy_hall(e2e_org, e2e_customers):
    ensure_services()
    ensure_rules()
    branch = e2e_org["branch"]
    FloorSettings.objects.create(branch=branch, raining=True)
    zhang = e2e_customers["张三丰"]
    ticket(branch, zhang)
    return zhang


def test_a_prompt_appears_and_is_marked_done(page, live_server, e2e_staff, rainy_hall, login):
    zhang = rainy_hall
    login(page, "branch_manager")
    page.goto(f"{live_server.url}/care/today/")

    umbrella = page.locator("#care-open .care-prompt[data-rule=umbrella]")
    expect(umbrella).to_contain_text("It is raining: offer 张三丰 an umbrella when they leave.")
    expect(umbrella).to_contain_text("A")  # the ticket number

    umbrella.get_by_role("button", name="Done").click()

    expect(page.locator("#care-resolved [data-status=done]")).to_contain_text(
        "offer 张三丰 an umbrella"
    )
    expect(page.locator("#care-resolved")).to_contain_text("李建国")
    expect(page.locator("#care-open .care-prompt[data-rule=umbrella]")).to_have_count(0)
    prompt = CarePrompt.objects.get(rule__code="umbrella")
    assert prompt.status == "done"
    assert prompt.resolved_by == e2e_staff[Role.BRANCH_MANAGER]
    note = Interaction.objects.get(customer=zhang, kind=Interaction.Kind.NOTE)
    assert "umbrella" in note.summary


def test_the_manager_switches_a_rule_off(page, live_server, e2e_staff, rainy_hall, login):
    login(page, "administrator")
    page.goto(f"{live_server.url}/care/rules/")
    row = page.locator("#care-rules tr[data-code=umbrella]")
    expect(row).to_have_attribute("data-active", "1")
    row.get_by_role("button", name="On").click()
    expect(page.locator("#care-rules tr[data-code=umbrella]")).to_have_attribute("data-active", "0")


def test_the_teller_sees_the_prompt_while_serving_and_marks_it_done(
    page, live_server, e2e_staff, rainy_hall, login
):
    from servicefirst.floor import serving
    from servicefirst.floor.models import Counter, Service

    zhang = rainy_hall
    teller = e2e_staff[Role.TELLER]
    counter = Counter.objects.create(branch=teller.unit, number=3)
    counter.services.set(Service.objects.filter(code="cash"))

    def sit_and_call():
        serving.counter_sign_in(actor=teller.user, counter_id=counter.pk)
        return serving.call_next(actor=teller.user, counter_id=counter.pk)

    # Floor services notify live pages through async_to_sync, which cannot run in the thread
    # where Playwright's event loop runs.
    with ThreadPoolExecutor(max_workers=1) as pool:
        called = pool.submit(sit_and_call).result()
    assert called.customer == zhang

    login(page, "teller")
    page.goto(f"{live_server.url}/floor/teller/")
    umbrella = page.locator(".care-prompt[data-rule=umbrella]")
    expect(umbrella).to_contain_text("offer 张三丰 an umbrella")
    umbrella.get_by_role("button", name="Done").click()
    expect(page.locator(".care-prompt[data-rule=umbrella]")).to_have_attribute(
        "data-status", "done"
    )
    expect(page.locator(".care-prompt[data-rule=umbrella] .care-status")).to_contain_text("王小明")
    prompt = CarePrompt.objects.get(rule__code="umbrella")
    assert (prompt.status, prompt.ticket_id, prompt.resolved_by) == ("done", called.pk, teller)
