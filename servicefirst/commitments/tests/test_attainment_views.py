"""The attainment report and the cases at risk, on a small hand-made set of daily totals and
cases: exact figures per commitment, unit, branch and period; who sees which rows; the CSV;
a bad filter named with a 400."""

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import PASSWORD, BankFactory, UnitFactory, make_staff
from servicefirst.commitments.models import AttainmentDay, Case, Commitment
from servicefirst.commitments.tests.test_engine_support import publish

pytestmark = pytest.mark.django_db

D1 = dt.date(2026, 3, 2)  # a Monday
D2 = dt.date(2026, 3, 10)  # the Tuesday after
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


class World:
    """hq (head office) above branches bj (with its back office bj-ops below it) and sh, and
    the Customer Care Center; four commitments with a few days of totals:

    t-wait    hq,  goal 90: bj 03-02 8/10 (600 s each), sh 03-02 10/10, bj-ops 03-10 2/2 (120 s)
    t-bj-own  bj,  goal 80, rings ≤ 3: bj 03-02 4/4 (2 rings each)
    t-sh-own  sh,  goal 95: sh 03-10 3/5
    t-ccc     ccc, goal 80: ccc 03-02 15/20
    """

    def __init__(self) -> None:
        bank = BankFactory()
        self.hq = UnitFactory(
            bank=bank, code="t-hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND
        )
        self.bj = UnitFactory(bank=bank, code="t-bj", name_en="Beijing", parent=self.hq)
        self.bj_ops = UnitFactory(
            bank=bank,
            code="t-bj-ops",
            name_en="Beijing back office",
            kind=Unit.Kind.OPERATIONS,
            line=Unit.Line.SECOND,
            parent=self.bj,
        )
        self.sh = UnitFactory(bank=bank, code="t-sh", name_en="Shanghai", parent=self.hq)
        self.ccc = UnitFactory(
            bank=bank, code="t-ccc", name_en="Care Center", kind=Unit.Kind.CARE_CENTER
        )
        self.ccc.parent = self.hq
        self.ccc.save()
        self.bm = make_staff(Role.BRANCH_MANAGER, unit=self.bj)
        self.sh_manager = make_staff(Role.BRANCH_MANAGER, unit=self.sh)
        self.analyst = make_staff(Role.MARKETING_ANALYST, unit=self.hq)  # COMMITMENT_VIEW: ALL
        self.wait = self._commitment("t-wait", self.hq, goal=90)
        self.bj_own = self._commitment(
            "t-bj-own",
            self.bj,
            goal=80,
            measure="count",
            start="contact.call.answered",
            target=3,
            unit="rings",
        )
        self.sh_own = self._commitment("t-sh-own", self.sh, goal=95)
        self.ccc_own = self._commitment("t-ccc", self.ccc, goal=80, area="contact_centre")
        self._day(self.wait, self.bj, D1, 10, 8, value_sum=6000, value_count=10)
        self._day(self.wait, self.sh, D1, 10, 10, value_sum=3000, value_count=10)
        self._day(self.wait, self.bj_ops, D2, 2, 2, value_sum=240, value_count=2)
        self._day(self.bj_own, self.bj, D1, 4, 4, value_sum=8, value_count=4)
        self._day(self.sh_own, self.sh, D2, 5, 3)
        self._day(self.ccc_own, self.ccc, D1, 20, 15)

    def _commitment(self, code, owner, *, goal, area="counters", **kw):
        commitment = Commitment.objects.create(code=code, area=area, owner=owner)
        version = publish(owner=owner, commitment=commitment, goal=goal, **kw)
        version.statement_en = f"Statement of {code}"
        version.save()
        return commitment

    @staticmethod
    def _day(commitment, unit, day, total, met, *, value_sum=0.0, value_count=0):
        AttainmentDay.objects.create(
            commitment=commitment,
            unit=unit,
            day=day,
            total=total,
            met=met,
            breached=total - met,
            value_sum=value_sum,
            value_count=value_count,
        )


@pytest.fixture
def world():
    return World()


def _as(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)
    return client


class _Table(HTMLParser):
    """The rows of one table: each row's attributes, its cells by data-col, its text and
    its links."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.depth = table_id, False, 0
        self.rows: list[dict] = []
        self.col: str | None = None
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append({"attrs": a, "cols": {}, "text": "", "links": []})
        elif tag == "td" and self.rows and self.in_body:
            self.col = a.get("data-col")
            if self.col:
                self.rows[-1]["cols"][self.col] = ""
        elif tag == "a" and self.rows and self.in_body:
            self.rows[-1]["links"].append(a.get("href"))

    def handle_endtag(self, tag):
        if tag == "td":
            self.col = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table" and self.inside:
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.in_body and self.rows:
            self.rows[-1]["text"] += data
            if self.col:
                self.rows[-1]["cols"][self.col] += data


def table(response, table_id: str) -> list[dict]:
    parser = _Table(table_id)
    parser.feed(response.content.decode())
    for row in parser.rows:
        row["cols"] = {k: " ".join(v.split()) for k, v in row["cols"].items()}
        row["text"] = " ".join(row["text"].split())
    return parser.rows


def _rows(response) -> list[dict]:
    """The attainment table as the page shows it: one dict per row, by data-col."""
    out = []
    for tr in table(response, "attainment-table"):
        a = tr["attrs"]
        row = {"commitment": a.get("data-commitment"), "unit": a.get("data-unit"), **tr["cols"]}
        row["below"] = "below-goal" in (a.get("class") or "")
        out.append(row)
    return out


def _get(client, **params):
    return client.get(reverse("commitments:attainment"), params)


# --- the table -------------------------------------------------------------------------------


def test_by_commitment_for_the_whole_bank_worst_first(client, world):
    _as(client, world.analyst)
    response = _get(client, **MARCH)
    assert response.status_code == 200
    rows = _rows(response)
    assert [(r["commitment"], r["total"], r["met"], r["missed"], r["percent"]) for r in rows] == [
        ("t-sh-own", "5", "3", "2", "60.0%"),
        ("t-ccc", "20", "15", "5", "75.0%"),
        ("t-wait", "22", "20", "2", "90.9%"),
        ("t-bj-own", "4", "4", "0", "100.0%"),
    ]
    assert [(r["goal"], r["goal-met"], r["below"]) for r in rows] == [
        ("95%", "Below goal", True),
        ("80%", "Below goal", True),
        ("90%", "Met", False),
        ("80%", "Met", False),
    ]
    # mean time: (6000 + 3000 + 240) / 22 s = 420 s; a count measure in its own unit
    assert rows[2]["mean"] == "7 min"
    assert rows[3]["mean"] == "2.0 rings"
    page = response.content.decode()
    assert "Statement of t-wait" in page
    assert 'id="attainment-trend"' in page
    assert 'id="attainment-units"' in page


def test_a_branch_manager_sees_their_branch_under_the_commitments_they_answer_to(client, world):
    _as(client, world.bm)
    rows = _rows(_get(client, **MARCH))
    # t-wait (head office) only for bj and its back office: 8 + 2 met of 12; t-sh-own, t-ccc
    # and Shanghai's figures are not theirs.
    assert [(r["commitment"], r["total"], r["met"], r["percent"], r["below"]) for r in rows] == [
        ("t-wait", "12", "10", "83.3%", True),
        ("t-bj-own", "4", "4", "100.0%", False),
    ]
    assert rows[0]["mean"] == "8 min 40 s"  # (6000 + 240) / 12

    rows = _rows(_get(client, group="commitment-branch", **MARCH))
    assert [(r["commitment"], r["unit"], r["total"], r["met"]) for r in rows] == [
        ("t-wait", "t-bj", "12", "10"),  # the back office rolled up to its branch
        ("t-bj-own", "t-bj", "4", "4"),
    ]
    rows = _rows(_get(client, group="unit", sort="name", **MARCH))
    assert [(r["unit"], r["total"], r["met"], r["goal"], r["mean"]) for r in rows] == [
        ("t-bj", "14", "12", "—", "—"),  # no goal nor mean across different commitments
        ("t-bj-ops", "2", "2", "—", "—"),
    ]


def test_the_other_branch_manager_sees_shanghai_only(client, world):
    _as(client, world.sh_manager)
    rows = _rows(_get(client, group="branch", **MARCH))
    assert [(r["unit"], r["total"], r["met"], r["percent"]) for r in rows] == [
        ("t-sh", "15", "13", "86.7%")  # t-wait 10/10 and t-sh-own 3/5
    ]


def test_filters_area_owner_only_below_goal_and_sorting(client, world):
    _as(client, world.analyst)
    rows = _rows(_get(client, area="contact_centre", **MARCH))
    assert [r["commitment"] for r in rows] == ["t-ccc"]
    rows = _rows(_get(client, owner=world.sh.pk, **MARCH))
    assert [r["commitment"] for r in rows] == ["t-sh-own"]
    rows = _rows(_get(client, below="1", **MARCH))
    assert [r["commitment"] for r in rows] == ["t-sh-own", "t-ccc"]
    rows = _rows(_get(client, sort="total", **MARCH))
    assert [r["commitment"] for r in rows] == ["t-wait", "t-ccc", "t-sh-own", "t-bj-own"]
    rows = _rows(_get(client, sort="name", **MARCH))
    assert [r["commitment"] for r in rows] == ["t-bj-own", "t-ccc", "t-sh-own", "t-wait"]
    # the dates: only 10 March
    rows = _rows(_get(client, **{"from": "2026-03-10", "to": "2026-03-10"}))
    assert [(r["commitment"], r["total"]) for r in rows] == [("t-sh-own", "5"), ("t-wait", "2")]


def test_the_default_range_is_the_last_30_days(client, world):
    today = timezone.localdate()
    World._day(world.ccc_own, world.ccc, today - dt.timedelta(days=29), 3, 1)
    World._day(world.ccc_own, world.ccc, today - dt.timedelta(days=30), 7, 7)
    _as(client, world.analyst)
    response = _get(client)
    assert [(r["commitment"], r["total"], r["met"]) for r in _rows(response)] == [
        ("t-ccc", "3", "1")
    ]
    page = response.content.decode()
    assert f'value="{(today - dt.timedelta(days=29)).isoformat()}"' in page


def test_the_chart_shows_the_worst_rows_per_period_with_their_goals(client, world):
    _as(client, world.analyst)
    page = _get(client, period="week", top="2", **MARCH).content.decode()
    # the two worst rows are ticked for the chart and drawn against their goals
    assert page.count("checked>") == 2
    assert "Goal 95%" in page
    assert "Goal 80%" in page
    assert "Goal 90%" not in page
    assert '"2026-02-23","2026-03-02","2026-03-09","2026-03-16","2026-03-23","2026-03-30"' in page
    # a chosen row instead: t-wait, weeks of 2 March (18 of 20) and 9 March (2 of 2)
    key = f"{world.wait.pk}-0"
    page = _get(client, period="week", row=key, **MARCH).content.decode()
    assert "Goal 90%" in page
    assert "Goal 95%" not in page
    assert "[null,90.0,100.0,null,null,null]" in page.replace(" ", "")


def test_month_period_and_the_bar_chart_by_branch(client, world):
    _as(client, world.analyst)
    page = _get(client, period="month", **MARCH).content.decode()
    assert '"2026-03-01"' in page
    assert "Attainment by branch (%)" in page


def test_nothing_measured_says_so(client, world):
    _as(client, world.analyst)
    response = _get(client, **{"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 200
    assert 'id="no-attainment"' in response.content.decode()


# --- CSV -------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_the_table_then_each_period(client, world):
    _as(client, world.bm)
    response = client.get(reverse("commitments:attainment_csv"), {**MARCH, "period": "week"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attainment-commitment-2026-03-01-2026-03-31.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["level", "period_start", "period_end"]
    table = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    picked = [
        (
            t["level"],
            t["period_start"],
            t["period_end"],
            t["commitment"],
            t["total"],
            t["met"],
            t["missed"],
            t["attainment_percent"],
            t["goal_percent"],
            t["goal_met"],
            t["mean_value"],
            t["mean_unit"],
        )
        for t in table
    ]
    assert picked == [
        ("total", "2026-03-01", "2026-03-31", "t-wait", "12", "10", "2", "83.33", "90", "no",
         "520.0", "seconds"),
        ("total", "2026-03-01", "2026-03-31", "t-bj-own", "4", "4", "0", "100.00", "80", "yes",
         "2.0", "rings"),
        ("week", "2026-03-02", "2026-03-08", "t-bj-own", "4", "4", "0", "100.00", "80", "yes",
         "2.0", "rings"),
        ("week", "2026-03-02", "2026-03-08", "t-wait", "10", "8", "2", "80.00", "90", "no",
         "600.0", "seconds"),
        ("week", "2026-03-09", "2026-03-15", "t-wait", "2", "2", "0", "100.00", "90", "yes",
         "120.0", "seconds"),
    ]  # fmt: skip
    assert table[0]["statement"] == "Statement of t-wait"


def test_the_csv_follows_only_below_goal(client, world):
    _as(client, world.analyst)
    response = client.get(
        reverse("commitments:attainment_csv"), {**MARCH, "below": "1", "period": "month"}
    )
    rows = _csv(response)[1:]
    assert [(r[0], r[3], r[7], r[8]) for r in rows] == [
        ("total", "t-sh-own", "5", "3"),
        ("total", "t-ccc", "20", "15"),
        ("month", "t-ccc", "20", "15"),
        ("month", "t-sh-own", "5", "3"),
    ]


# --- bad input and permissions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "from"),
        ({"period": "year"}, "period"),
        ({"group": "staff"}, "group"),
        ({"area": "nowhere"}, "area"),
        ({"sort": "best"}, "sort"),
        ({"top": "0"}, "top"),
        ({"row": "x-1"}, "row"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(client, world, params, field):
    _as(client, world.analyst)
    response = _get(client, **params)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    response = client.get(reverse("commitments:attainment_csv"), params)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")


def test_an_owner_the_viewer_cannot_see_is_a_bad_filter(client, world):
    _as(client, world.bm)
    response = _get(client, owner=world.sh.pk, **MARCH)
    assert response.status_code == 400
    assert 'data-field="owner"' in response.content.decode()


def test_without_commitment_view_nothing(client, world, django_user_model):
    outsider = django_user_model.objects.create_user(username="outsider", password=PASSWORD)
    client.force_login(outsider)  # a login with no staff record: no role, no scope
    assert _get(client).status_code == 403
    assert client.get(reverse("commitments:attainment_csv")).status_code == 403
    assert client.get(reverse("commitments:at_risk")).status_code == 403
    client.logout()
    assert _get(client).status_code == 302


# --- cases at risk ---------------------------------------------------------------------------


def _case(world, commitment, subject, *, unit, started, due, warn, state="open", staff=None):
    version = commitment.versions.get()
    return Case.objects.create(
        version=version,
        commitment=commitment,
        subject=subject,
        unit=unit,
        state=state,
        started_at=started,
        due_at=due,
        warn_at=warn,
        breached_at=due if state == "breached" else None,
        staff_id=staff.pk if staff else None,
    )


def test_cases_at_risk_for_the_managers_units(client, world):
    from servicefirst.servicedesk.models import RequestCategory, ServiceRequest

    now = timezone.now()
    m = dt.timedelta(minutes=1)
    teller = make_staff(Role.TELLER, unit=world.bj, name="张敏")
    category = RequestCategory.objects.create(
        code="t-card", name_zh="卡片", name_en="Cards", default_unit=world.bj
    )
    req = ServiceRequest.objects.create(
        number="R-2026-0042",
        kind="request",
        category=category,
        channel="phone",
        unit=world.bj,
        subject="Card not received",
        public_token="t-token-42",
    )
    # near: warned, due in 3½ minutes; late: breached 9½ minutes ago and still running
    _case(world, world.wait, "ticket:1", unit=world.bj, started=now - 12 * m,
          due=now + 3.5 * m, warn=now - m, staff=teller)  # fmt: skip
    _case(world, world.wait, f"request:{req.pk}", unit=world.bj_ops, started=now - 25 * m,
          due=now - 9.5 * m, warn=now - 13 * m, state="breached")  # fmt: skip
    # not at risk: not yet warned; already met; another branch
    _case(world, world.wait, "ticket:2", unit=world.bj, started=now, due=now + 15 * m,
          warn=now + 12 * m)  # fmt: skip
    _case(world, world.wait, "ticket:3", unit=world.bj, started=now - 20 * m,
          due=now - 5 * m, warn=now - 8 * m, state="met")  # fmt: skip
    _case(world, world.wait, "ticket:4", unit=world.sh, started=now - 12 * m,
          due=now + 3 * m, warn=now - m)  # fmt: skip
    _as(client, world.bm)
    response = client.get(reverse("commitments:at_risk"))
    assert response.status_code == 200
    rows = table(response, "at-risk-table")
    assert [r["attrs"]["data-subject"] for r in rows] == [f"request:{req.pk}", "ticket:1"]
    late, near = rows
    assert late["attrs"]["data-late"] == "yes"
    assert f"/requests/{req.pk}/" in late["links"]
    assert "R-2026-0042" in late["text"]
    assert late["cols"]["left"].startswith("−9 min")  # 9½ minutes late when the page ran
    assert late["cols"]["left"].endswith("Late")
    assert near["attrs"]["data-late"] == "no"
    assert near["cols"]["left"].startswith("3 min")  # 3½ minutes left when the page ran
    assert "张敏" in near["text"]
    assert "ticket:1" in near["text"]  # no such ticket here: its subject as it is
    assert 'hx-trigger="every 30s"' in response.content.decode()

    # the htmx refresh returns the table alone
    partial = client.get(reverse("commitments:at_risk"), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="at-risk"')
    assert "<html" not in body

    # the Shanghai manager sees only Shanghai's case
    client.logout()
    _as(client, world.sh_manager)
    rows = table(client.get(reverse("commitments:at_risk")), "at-risk-table")
    assert [r["attrs"]["data-subject"] for r in rows] == ["ticket:4"]
