"""Scorecards on a small hand-made bank, with exact figures: satisfaction (CSAT, NPS, response
rate), sales through service, requests resolved and commitments met, per unit, per member of
staff and per week; who may see which unit; the pages."""

import datetime

import pytest
from django.urls import reverse

from servicefirst.commitments.events import record
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.dialer.models import Disposition
from servicefirst.satisfaction import selectors
from servicefirst.satisfaction.selectors import Period, nps_score
from servicefirst.satisfaction.tests import fixtures as f

pytestmark = pytest.mark.django_db

D = datetime.date
PERIOD = Period(D(2026, 11, 2), D(2026, 11, 15), "week")  # two whole weeks, Monday to Sunday


@pytest.fixture
def bank():
    o = f.org()
    bj, sh, ccc = o["bj"], o["sh"], o["ccc"]
    t1, t2, tsh, agent = o["teller_bj"], o["teller2_bj"], o["teller_sh"], o["agent"]
    c1 = f.customer("客户一", branch=bj)
    c2 = f.customer("客户二", branch=bj)
    c3 = f.customer("客户三", branch=bj)

    # satisfaction: Beijing 5 invitations in the period (4 answered), one answer before it
    f.invitation(unit=bj, staff=t1, when=f.at(D(2026, 11, 3)), csat=5, nps=10)
    f.invitation(unit=bj, staff=t1, when=f.at(D(2026, 11, 4)), csat=4, nps=8)
    f.invitation(unit=bj, staff=t1, when=f.at(D(2026, 11, 10)), csat=2, nps=3)
    f.invitation(unit=bj, staff=t1, when=f.at(D(2026, 11, 11)))
    f.invitation(unit=bj, staff=t2, when=f.at(D(2026, 11, 12)), csat=5, nps=9, comment="很好")
    f.invitation(unit=bj, staff=t1, when=f.at(D(2026, 10, 20)), csat=1, nps=0)
    # Shanghai: two answers, one without the NPS question
    f.invitation(unit=sh, staff=tsh, when=f.at(D(2026, 11, 5)), csat=3, nps=6)
    f.invitation(unit=sh, staff=tsh, when=f.at(D(2026, 11, 6)), csat=4)

    # sales: teller 1 offered two products (one bought later by the customer, online); teller 2
    # sold one at the counter; the agent closed two calls as sales and one as not interested
    f.offer(staff=t1, customer=c1, product_code="p-a", stage="offered", when=f.at(D(2026, 11, 3)))
    f.offer(staff=None, customer=c1, product_code="p-a", stage="bought", when=f.at(D(2026, 11, 5)))
    f.offer(staff=t1, customer=c2, product_code="p-b", stage="offered", when=f.at(D(2026, 11, 4)))
    f.offer(staff=t2, customer=c3, product_code="p-c", stage="bought", when=f.at(D(2026, 11, 9)))
    f.sale_call(agent=agent, customer=c1, when=f.at(D(2026, 11, 3), 20))
    f.sale_call(agent=agent, customer=c2, when=f.at(D(2026, 11, 10), 21))
    f.sale_call(
        agent=agent,
        customer=c3,
        when=f.at(D(2026, 11, 10), 22),
        kind=Disposition.Kind.NOT_INTERESTED,
    )

    # requests resolved: the agent three times in the period and once after; Beijing once
    for n, day in enumerate((D(2026, 11, 3), D(2026, 11, 9), D(2026, 11, 10), D(2026, 11, 20))):
        record(
            "request.resolved",
            subject=f"request:{n}",
            occurred_at=f.at(day),
            source_key=f"r{n}",
            unit_id=ccc.pk,
            staff_id=agent.pk,
        )
    record(
        "request.resolved",
        subject="request:9",
        occurred_at=f.at(D(2026, 11, 4)),
        source_key="r9",
        unit_id=bj.pk,
        staff_id=o["bm_bj"].pk,
    )

    # commitments: the engine's daily totals per unit, and teller 1's own cases
    version = f.commitment(bj)
    f.attainment(version, unit=bj, day=D(2026, 11, 3), total=10, met=9)
    f.attainment(version, unit=bj, day=D(2026, 11, 10), total=10, met=8)
    f.attainment(version, unit=sh, day=D(2026, 11, 4), total=4, met=2)
    f.attainment(version, unit=sh, day=D(2026, 10, 30), total=50, met=0)
    for n, state in enumerate(("met", "met", "breached")):
        f.case(
            version,
            subject=f"ticket:c{n}",
            unit=bj,
            staff=t1,
            state=state,
            when=f.at(D(2026, 11, 3 + n)),
        )
    return o


def test_nps_is_promoters_minus_detractors_of_those_who_answered():
    assert nps_score(promoters=2, detractors=1, answers=4) == 25.0
    assert nps_score(promoters=3, detractors=0, answers=3) == 100.0
    assert nps_score(promoters=0, detractors=1, answers=3) == -33.3
    assert nps_score(promoters=0, detractors=0, answers=0) is None


def test_the_unit_comparison_puts_attainment_next_to_satisfaction(bank):
    card = selectors.overview(actor=bank["analyst"].user, period=PERIOD)

    rows = {r.unit.code: r.figures for r in card.rows}
    assert list(rows) == ["t-bj", "t-ccc", "t-sh"]
    bj, sh, ccc = rows["t-bj"], rows["t-sh"], rows["t-ccc"]
    assert (bj.invitations, bj.responses, bj.csat, bj.nps, bj.response_rate) == (
        5,
        4,
        4.0,
        25.0,
        80.0,
    )
    assert (bj.cases_met, bj.cases_total, bj.attainment) == (17, 20, 85.0)
    assert (bj.offers_made, bj.offers_accepted, bj.dialer_sales, bj.sales) == (3, 2, 0, 2)
    assert bj.requests_resolved == 1
    assert (sh.responses, sh.csat, sh.nps, sh.attainment) == (2, 3.5, -100.0, 50.0)
    assert (ccc.dialer_sales, ccc.requests_resolved, ccc.csat) == (2, 3, None)
    assert (card.total.responses, card.total.csat) == (6, 3.83)


def test_a_units_staff_and_its_weekly_trend(bank):
    card = selectors.unit_scorecard(actor=bank["bm_bj"].user, code="t-bj", period=PERIOD)

    staff = {r.staff.name: r.figures for r in card.rows}
    teller1, teller2 = staff["张敏"], staff["李红"]
    assert (teller1.invitations, teller1.responses, teller1.csat, teller1.nps) == (
        4,
        3,
        3.67,
        0.0,
    )
    assert (teller1.offers_made, teller1.offers_accepted) == (2, 1)
    assert (teller1.cases_met, teller1.cases_total, teller1.attainment) == (2, 3, 66.7)
    assert (teller2.responses, teller2.csat, teller2.nps, teller2.sales) == (1, 5.0, 100.0, 1)
    assert staff["王经理"].requests_resolved == 1

    weeks = [(b, fig.responses, fig.csat, fig.attainment) for b, fig in card.trend]
    assert weeks == [
        (D(2026, 11, 2), 2, 4.5, 90.0),
        (D(2026, 11, 9), 2, 3.5, 80.0),
    ]


def test_a_staff_scorecard(bank):
    card = selectors.staff_scorecard(
        actor=bank["supervisor"].user, staff_id=bank["agent"].pk, period=PERIOD
    )

    assert (card.total.dialer_sales, card.total.requests_resolved) == (2, 3)
    assert [(b, fig.sales) for b, fig in card.trend] == [(D(2026, 11, 2), 1), (D(2026, 11, 9), 1)]


def test_a_branch_manager_sees_only_their_branch(bank):
    actor = bank["bm_bj"].user

    card = selectors.overview(actor=actor, period=PERIOD)

    assert [r.unit.code for r in card.rows] == ["t-bj"]
    assert card.total.responses == 4
    with pytest.raises(NotFound):
        selectors.unit_scorecard(actor=actor, code="t-sh", period=PERIOD)
    with pytest.raises(NotFound):
        selectors.staff_scorecard(actor=actor, staff_id=bank["teller_sh"].pk, period=PERIOD)
    with pytest.raises(NotFound):
        selectors.care_center_dashboard(actor=actor, period=PERIOD)


def test_the_care_center_dashboard(bank):
    board = selectors.care_center_dashboard(actor=bank["supervisor"].user, period=PERIOD)

    assert board.unit == bank["ccc"]
    assert board.calls == 3  # calls an agent took, whatever their outcome
    assert board.heatmap[1][20] == 1  # Tuesday 3 Nov, 20:00 local
    assert board.heatmap[1][21] == 1  # Tuesday 10 Nov
    assert board.heatmap[1][22] == 1
    assert (board.total.dialer_sales, board.total.requests_resolved) == (2, 3)
    assert {d: c for d, c, _r in board.per_day}[D(2026, 11, 10)] == 2


def test_the_period_is_checked():
    with pytest.raises(ValidationFailed) as error:
        selectors.period_params({"from": "2026-11-20", "to": "2026-11-01"})
    assert "from" in error.value.errors
    with pytest.raises(ValidationFailed) as error:
        selectors.period_params({"from": "yesterday", "grain": "year"})
    assert set(error.value.errors) == {"from", "grain"}


# --- the pages -------------------------------------------------------------------------------

Q = "?from=2026-11-02&to=2026-11-15&grain=week"


def test_the_pages_show_the_figures_and_the_charts(client, bank):
    client.force_login(bank["analyst"].user)

    overview = client.get(reverse("satisfaction:overview") + Q).content.decode()
    unit = client.get(reverse("satisfaction:unit", args=["t-bj"]) + Q).content.decode()
    staff = client.get(
        reverse("satisfaction:staff", args=[bank["teller2_bj"].pk]) + Q
    ).content.decode()

    assert 'data-unit="t-bj"' in overview
    assert "85.0%" in overview
    assert 'id="satisfaction-chart"' in overview
    assert 'id="results-chart"' in overview
    assert f'data-staff="{bank["teller_bj"].pk}"' in unit
    assert "很好" in staff  # the comment
    assert 'data-kpi="csat">5.0<' in staff


def test_the_pages_enforce_the_scope(client, bank):
    client.force_login(bank["bm_bj"].user)
    assert client.get(reverse("satisfaction:unit", args=["t-sh"])).status_code == 404
    assert client.get(reverse("satisfaction:staff", args=[bank["teller_sh"].pk])).status_code == 404
    assert client.get(reverse("satisfaction:care_center")).status_code == 403

    client.force_login(bank["teller_bj"].user)
    assert client.get(reverse("satisfaction:overview")).status_code == 403

    client.force_login(bank["supervisor"].user)
    page = client.get(reverse("satisfaction:care_center") + Q)
    assert page.status_code == 200
    assert 'id="contacts-heatmap"' in page.content.decode()


def test_a_bad_period_is_named_and_the_default_shown(client, bank):
    client.force_login(bank["analyst"].user)

    page = client.get(reverse("satisfaction:overview") + "?from=soon").content.decode()

    assert 'data-error-for="from"' in page
    assert 'data-unit="t-bj"' in page
