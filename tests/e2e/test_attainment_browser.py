"""Browser: a branch manager reads the attainment of the commitments they answer to.

Head office promises "served within 15 minutes" (goal 90%) and the branch its own "answered by
the third ring" (goal 80%); the branch met the first in 8 of 10 cases, the second in 4 of 4,
and another branch (not theirs to see) in 10 of 10. The manager opens the attainment page,
charts it per month, sees the chart drawn and the promise below its goal marked."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from servicefirst.accounts.models import Unit
from servicefirst.accounts.tests.factories import UnitFactory
from servicefirst.commitments.models import AttainmentDay, Commitment
from servicefirst.commitments.tests.test_engine_support import publish

pytestmark = pytest.mark.browser


def _measured(code, owner, where, *, goal, total, met, mean=600.0, **kw):
    commitment = Commitment.objects.filter(code=code).first() or Commitment.objects.create(
        code=code, area="counters", owner=owner
    )
    if not commitment.versions.exists():
        version = publish(owner=owner, commitment=commitment, goal=goal, **kw)
        version.statement_en = f"Promise {code}"
        version.save()
    AttainmentDay.objects.create(
        commitment=commitment,
        unit=where,
        day=timezone.localdate() - dt.timedelta(days=3),
        total=total,
        met=met,
        breached=total - met,
        value_sum=mean * total,
        value_count=total,
    )


def test_a_branch_manager_sees_the_promise_below_goal_per_month(
    browser, live_server, e2e_org, e2e_staff, login
):
    branch, other = e2e_org["branch"], e2e_org["other_branch"]
    hq = UnitFactory(
        bank=e2e_org["bank"], code="e2e-hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND
    )
    Unit.objects.filter(pk__in=[branch.pk, other.pk]).update(parent=hq)
    _measured("e2e-wait", hq, branch, goal=90, total=10, met=8)
    _measured("e2e-wait", hq, other, goal=90, total=10, met=10)
    _measured(
        "e2e-rings", branch, branch, goal=80, total=4, met=4, mean=2.5,
        measure="count", start="contact.call.answered", target=3, unit="rings",
    )  # fmt: skip

    page = browser.new_page()
    login(page, "branch_manager")
    page.goto(f"{live_server.url}/commitments/attainment/")
    page.select_option("#f-period", "month")
    page.click("#attainment-show")
    expect(page.locator("#f-period")).to_have_value("month")
    expect(page.locator("#attainment-trend .main-svg").first).to_be_visible()
    expect(page.locator("#attainment-units .main-svg").first).to_be_visible()

    rows = page.locator("#attainment-table tbody tr")
    expect(rows).to_have_count(2)  # nothing of the other branch's figures
    wait = page.locator("#attainment-table tr[data-commitment=e2e-wait]")
    expect(wait).to_contain_text("Promise e2e-wait")
    expect(wait.locator("td[data-col=percent]")).to_have_text("80.0%")
    expect(wait.locator(".goal-badge")).to_have_text("Below goal")
    expect(page.locator("#attainment-table tr.below-goal")).to_have_count(1)
    expect(wait.locator("td[data-col=mean]")).to_have_text("10 min")
    rings = page.locator("#attainment-table tr[data-commitment=e2e-rings]")
    expect(rings.locator(".goal-badge")).to_have_text("Met")
    expect(rings.locator("td[data-col=mean]")).to_have_text("2.5 rings")
