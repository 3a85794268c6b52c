"""Browser: customer-first culture.

The branch manager invites a job candidate; the candidate opens the one-time link without
logging in, meets "Who pays your salary?" first, answers and hands in; the link then no
longer opens the questionnaire. A teller confirms the published commitments of their unit on
"My unit's commitments"; the branch manager's completion report shows the teller's
confirmations and the candidate's result."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion
from servicefirst.culture.defaults import HIRING_CODE, ensure_builtin_questionnaires
from servicefirst.culture.models import CommitmentConfirmation, Questionnaire, Response

pytestmark = pytest.mark.browser


@pytest.fixture
def published(e2e_org):
    calendar = BusinessCalendar.objects.create(
        code="e2e-hours", name_zh="营业时间", name_en="Opening hours", always_open=True
    )

    def promise(code, owner, zh, en, value, unit, beneficiary_unit=None):
        c = Commitment.objects.create(
            code=code,
            area=Commitment.Area.ACCOUNTS,
            owner=owner,
            beneficiary="unit" if beneficiary_unit else "customers",
            beneficiary_unit=beneficiary_unit,
        )
        return CommitmentVersion.objects.create(
            commitment=c,
            number=1,
            status="published",
            statement_zh=zh,
            statement_en=en,
            measure="duration",
            start_event="ticket.issued",
            stop_event="ticket.finished",
            target_value=Decimal(value),
            target_unit=unit,
            calendar=calendar,
        )

    branch = e2e_org["branch"]
    return [
        promise(
            "e2e-open-account",
            branch,
            "开立账户15分钟内办结",
            "An account is opened within 15 minutes",
            15,
            "minutes",
        ),
        promise(
            "e2e-cards-back",
            e2e_org["operations"],
            "卡片一个工作日内送回网点",
            "Cards are back at the branch within 1 working day",
            1,
            "working_days",
            beneficiary_unit=branch,
        ),
    ]


def _right_answers(page, questionnaire):
    for q in questionnaire.questions.order_by("order"):
        if q.kind == "text":
            page.fill(f"textarea[name=q{q.pk}]", "I stayed after closing to finish a transfer.")
            continue
        for o in q.options:
            if o["correct"]:
                page.check(f"input[name=q{q.pk}][value='{o['key']}']")
                if q.kind != "multiple":
                    break


def test_a_candidate_answers_and_a_teller_confirms_then_the_report_shows_both(
    page, browser, live_server, e2e_staff, published, login
):
    ensure_builtin_questionnaires()
    hiring = Questionnaire.objects.get(code=HIRING_CODE)

    # The branch manager invites a candidate and gets the one-time link.
    login(page, "branch_manager")
    page.goto(f"{live_server.url}/culture/questionnaires/")
    page.locator(f"#questionnaires tr[data-code={HIRING_CODE}]").get_by_role(
        "link", name="Invite a candidate"
    ).click()
    page.fill("#id_name", "刘晓雯")
    page.fill("#id_contact", "139 1111 2222")
    page.fill("#id_position", "Teller")
    page.click("#create-link")
    link = page.locator("#candidate-link").input_value()
    assert "/culture/apply/" in link

    # The candidate, not logged in, opens it: the first question is who pays their salary.
    candidate = browser.new_context().new_page()
    candidate.goto(link)
    first = candidate.locator("#question-1")
    expect(first).to_contain_text("Who pays your salary?")
    expect(first).to_contain_text("谁在给你发工资？")
    expect(first.locator("label.option")).to_have_count(5)
    # Handing in with the first question left empty names it.
    candidate.click("#submit-answers")
    expect(candidate.locator("#question-1 .question-error")).to_contain_text(
        "Question 1: choose one answer"
    )
    first.get_by_text("The customers", exact=True).click()
    _right_answers(candidate, hiring)
    candidate.click("#submit-answers")
    expect(candidate.locator("#thanks")).to_be_visible()
    candidate.goto(link)
    expect(candidate.locator("#link-closed")).to_contain_text("already been used")
    r = Response.objects.get(candidate_name="刘晓雯")
    assert r.passed is True
    assert r.score == 100
    candidate.context.close()

    # The teller confirms the commitments of their unit.
    teller_page = browser.new_context().new_page()
    login(teller_page, "teller")
    teller_page.click("#nav-service")
    teller_page.click("#nav-culture-commitments")
    rows = teller_page.locator("#my-commitments .commitment")
    expect(rows).to_have_count(2)
    expect(teller_page.locator("#my-commitments")).to_contain_text(
        "An account is opened within 15 minutes"
    )
    expect(teller_page.locator("#to-confirm-count")).to_contain_text("2 to confirm")
    for version in published:
        row = teller_page.locator(f"#commitment-{version.pk}")
        row.locator("button.confirm").click()
        expect(teller_page.locator(f"#commitment-{version.pk}")).to_have_attribute(
            "data-confirmed", "1"
        )
    assert CommitmentConfirmation.objects.filter(staff=e2e_staff[Role.TELLER]).count() == 2
    teller_page.context.close()

    # The branch manager's completion report shows them.
    page.goto(f"{live_server.url}/culture/report/")
    teller_row = page.locator(
        f"#staff-progress tr[data-staff={e2e_staff[Role.TELLER].employee_number}]"
    )
    expect(teller_row.locator(".confirmed")).to_have_text("2/2")
    expect(page.locator("#unit-summary")).to_contain_text("1 passed of 1 answered")
