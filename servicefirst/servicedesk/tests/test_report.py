"""The supervisors' request report on a small hand-made month: every figure is worked out by
hand below, so the page and the CSV must show exactly these numbers.

Period 2026-11-02 .. 2026-11-04 (Beijing time); asked at 2026-11-05 12:00.

  R1  complaint fee-dispute  phone  ccc    opened 11-02 09:00, replied 09:30, resolved 13:00
  R2  request   card-lost    phone  cards  opened 11-02 10:00, replied 12:00, resolved 11-03 10:00
  R3  enquiry   card-lost    web    ops    opened 11-03 08:00 (cards), sent to ops 09:00, open
  R4  complaint counter      counter bj    opened 11-03 11:00, sent to ops 11:30, accepted 12:30,
                                           answered and returned 14:30, replied 15:00, open
  R5  complaint fee-dispute  phone  ccc    opened 11-01 10:00 (before), replied 11-02 10:00,
                                           resolved 11-04 10:00
  R6  complaint fee-dispute  phone  ccc    opened 11-05 10:00 (after the period), open
  R7  complaint fee-dispute  phone  ccc    opened 10-20 10:00 (long before), open

First responses in the period: R1 30 min, R2 2 h, R4 4 h, R5 24 h
  -> median (2 h + 4 h) / 2 = 3 h = 10800 s; p90 = 4 h + 0.7 * 20 h = 18 h = 64800 s.
Resolutions in the period: R1 4 h, R2 24 h, R5 72 h
  -> median 24 h = 86400 s; p90 = 24 h + 0.8 * 48 h = 62.4 h = 224640 s.
"""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.urls import reverse

from servicefirst.commitments.models import BusinessCalendar, Case, Commitment, CommitmentVersion
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.servicedesk import reports, services

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 5, 12, 0, tzinfo=TZ)
PERIOD = reports.Period(datetime.date(2026, 11, 2), datetime.date(2026, 11, 4))


def at(month, day, hour, minute=0):
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def _commitment(code, statement, owner):
    calendar, _ = BusinessCalendar.objects.get_or_create(
        code="24x7", defaults={"name_zh": "全天候", "name_en": "24/7", "always_open": True}
    )
    commitment = Commitment.objects.create(code=code, area="requests", owner=owner)
    version = CommitmentVersion.objects.create(
        commitment=commitment,
        number=1,
        status="published",
        statement_zh=statement,
        statement_en=statement,
        measure="duration",
        start_event="request.opened",
        stop_event="request.first_response",
        target_value=2,
        target_unit="hours",
        calendar=calendar,
    )
    return version


def _case(version, subject, unit, state, when):
    return Case.objects.create(
        version=version,
        commitment=version.commitment,
        subject=subject,
        unit=unit,
        state=state,
        started_at=when - datetime.timedelta(hours=1),
        due_at=when,
        stopped_at=when if state == "met" else None,
        breached_at=when if state == "breached" else None,
    )


@pytest.fixture
def month(org):
    agent, teller, ops = org.staff.agent.user, org.staff.teller_bj.user, org.staff.ops.user

    def open_(actor, when, **kw):
        data = {
            "kind": "complaint",
            "category_code": "fee-dispute",
            "channel": "phone",
            "subject": "年费",
            "customer_id": org.customer.pk,
        }
        data.update(kw)
        return services.open_request(actor=actor, at=when, **data)

    r1 = open_(agent, at(11, 2, 9))
    services.reply_to_customer(actor=agent, request_id=r1.pk, body="已受理", at=at(11, 2, 9, 30))
    services.resolve(actor=agent, request_id=r1.pk, resolution="已退费", at=at(11, 2, 13))

    r2 = open_(agent, at(11, 2, 10), kind="request", category_code="card-lost")
    services.reply_to_customer(actor=agent, request_id=r2.pk, body="已挂失", at=at(11, 2, 12))
    services.resolve(actor=agent, request_id=r2.pk, resolution="新卡已寄出", at=at(11, 3, 10))

    r3 = services.open_web_request(
        kind="enquiry",
        category_code="card-lost",
        name="王女士",
        phone="13911112222",
        subject="补卡要多久",
        description="补卡要多久？",
        at=at(11, 3, 8),
    )
    t3 = services.transfer(
        actor=agent, request_id=r3.pk, to_unit_id=org.units.ops.pk, reason="请核实", at=at(11, 3, 9)
    )

    r4 = open_(
        teller,
        at(11, 3, 11),
        category_code="counter-service",
        channel="counter",
        customer_id=None,
        contact_name="李先生",
    )
    t4 = services.transfer(
        actor=teller,
        request_id=r4.pk,
        to_unit_id=org.units.ops.pk,
        reason="查流水",
        at=at(11, 3, 11, 30),
    )
    services.accept_transfer(actor=ops, transfer_id=t4.pk, at=at(11, 3, 12, 30))
    services.answer_transfer(actor=ops, transfer_id=t4.pk, answer="流水正常", at=at(11, 3, 14, 30))
    services.reply_to_customer(actor=teller, request_id=r4.pk, body="已核实", at=at(11, 3, 15))

    r5 = open_(agent, at(11, 1, 10))
    services.reply_to_customer(actor=agent, request_id=r5.pk, body="处理中", at=at(11, 2, 10))
    services.resolve(actor=agent, request_id=r5.pk, resolution="已解决", at=at(11, 4, 10))

    r6 = open_(agent, at(11, 5, 10))
    r7 = open_(agent, at(10, 20, 10))

    first = _commitment("sd-first-response", "First response within 2 hours", org.units.hq)
    transfer = _commitment("sd-transfer-answer", "Transfers answered within 4 hours", org.units.hq)
    u = org.units
    _case(first, f"request:{r1.pk}", u.ccc, "met", at(11, 2, 9, 30))
    _case(first, f"request:{r2.pk}", u.cards, "breached", at(11, 2, 12))
    _case(first, f"request:{r5.pk}", u.ccc, "met", at(11, 2, 10))
    _case(first, f"request:{r4.pk}", u.bj, "breached", at(11, 3, 13))
    _case(transfer, f"transfer:{t4.pk}", u.ops, "met", at(11, 3, 14, 30))
    _case(first, f"request:{r7.pk}", u.ccc, "breached", at(10, 21, 10))  # before the period
    _case(transfer, f"transfer:{t3.pk}", u.ops, "open", at(11, 3, 13))  # still running
    _case(first, "ticket:1", u.bj, "met", at(11, 3, 9))  # not a request
    return {"r": [r1, r2, r3, r4, r5, r6, r7], "t3": t3, "t4": t4}


def _line(lines, key):
    return next(line for line in lines if line.key == key)


def _figures(line):
    return (
        line.opened,
        line.resolved,
        line.first_response_median_s,
        line.first_response_p90_s,
        line.resolution_median_s,
        line.resolution_p90_s,
    )


def test_the_bank_wide_report_has_exactly_the_hand_worked_figures(org, month):
    # when
    report = reports.request_report(actor=org.staff.supervisor.user, period=PERIOD, now=NOW)
    # then: opened and resolved, with times to first response and resolution
    assert _figures(report.total) == (4, 3, 10800, 64800, 86400, 224640)
    assert _figures(_line(report.by_kind, "complaint")) == (2, 2, 14400, 72000, 136800, 234720)
    assert _figures(_line(report.by_kind, "request")) == (1, 1, 7200, 7200, 86400, 86400)
    assert _figures(_line(report.by_kind, "enquiry")) == (1, 0, None, None, None, None)
    assert [(x.key, x.opened, x.resolved) for x in report.by_channel] == [
        ("phone", 2, 3),
        ("counter", 1, 0),
        ("web", 1, 0),
    ]
    assert [(x.key, x.opened, x.resolved) for x in report.by_category] == [
        ("card-lost", 2, 1),
        ("fee-dispute", 1, 2),
        ("counter-service", 1, 0),
    ]
    # the owning unit is the unit that owns the request now (R3 went to operations)
    assert [(x.key, x.opened, x.resolved) for x in report.by_unit] == [
        ("ccc", 1, 2),
        ("cards", 1, 1),
        ("bj", 1, 0),
        ("ops", 1, 0),
    ]
    assert _figures(_line(report.by_unit, "ccc")) == (1, 2, 44100, 77940, 136800, 234720)
    # per day
    assert [(d.day.day, d.opened, d.resolved) for d in report.per_day] == [
        (2, 2, 1),
        (3, 2, 1),
        (4, 0, 1),
    ]
    # transfers per receiving unit: one answered in 3 h (accepted after 1 h), one waiting
    (ops,) = report.transfers
    assert (ops.key, ops.sent, ops.accepted, ops.answered, ops.returned, ops.pending) == (
        "ops",
        2,
        1,
        1,
        1,
        1,
    )
    assert (ops.accept_median_s, ops.answer_median_s) == (3600, 10800)
    # the open backlog now, by age: R6 2 h, R3 52 h, R4 49 h, R7 16 days
    assert report.backlog_total.bands == {"lt4h": 1, "4-24h": 0, "1-3d": 2, "3-7d": 0, "gt7d": 1}
    assert {x.key: x.total for x in report.backlog} == {"ccc": 2, "ops": 1, "bj": 1}
    assert _line(report.backlog, "ccc").bands["gt7d"] == 1
    # commitment cases of requests and transfers decided in the period
    assert [(x.key, x.met, x.missed) for x in report.commitments] == [
        ("sd-first-response", 2, 2),
        ("sd-transfer-answer", 1, 0),
    ]
    total = report.commitments_total
    assert (total.met, total.missed, total.met_pct) == (3, 2, 60.0)


def test_a_branch_manager_sees_their_own_unit_only(org, month):
    # when: asking for another unit changes nothing
    report = reports.request_report(
        actor=org.staff.bm_bj.user, period=PERIOD, unit_id=org.units.ccc.pk, now=NOW
    )
    # then
    assert report.unit == org.units.bj
    assert _figures(report.total) == (1, 0, 14400, 14400, None, None)
    assert [x.key for x in report.by_unit] == ["bj"]
    (ops,) = report.transfers  # the transfer bj sent to operations
    assert (ops.sent, ops.answered, ops.accept_median_s, ops.answer_median_s) == (1, 1, 3600, 10800)
    assert report.backlog_total.bands["1-3d"] == 1
    assert report.backlog_total.total == 1
    assert [(x.key, x.met, x.missed) for x in report.commitments] == [("sd-first-response", 0, 1)]
    assert report.commitments_total.met_pct == 0.0


def test_a_bank_wide_supervisor_can_look_at_one_unit(org, month):
    report = reports.request_report(
        actor=org.staff.supervisor.user, period=PERIOD, unit_id=str(org.units.ops.pk), now=NOW
    )
    assert (report.total.opened, report.total.resolved) == (1, 0)
    assert [x.key for x in report.transfers] == ["ops"]
    assert [(x.key, x.met, x.missed) for x in report.commitments] == [("sd-transfer-answer", 1, 0)]
    with pytest.raises(ValidationFailed) as exc:
        reports.request_report(actor=org.staff.supervisor.user, period=PERIOD, unit_id="999999")
    assert list(exc.value.errors) == ["unit"]


def test_staff_without_supervision_get_no_report(org):
    for staff in (org.staff.agent, org.staff.teller_bj, org.staff.analyst):
        with pytest.raises(PermissionDenied):
            reports.request_report(actor=staff.user, period=PERIOD)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-11-05", "end": "2026-11-01"}, "start"),
        ({"start": "2025-01-01", "end": "2026-11-01"}, "start"),
    ],
)
def test_a_bad_period_names_the_field(params, field):
    with pytest.raises(ValidationFailed) as exc:
        reports.report_period(params, today=datetime.date(2026, 11, 5))
    assert list(exc.value.errors) == [field]


def test_the_period_defaults_to_the_last_30_days():
    period = reports.report_period({}, today=datetime.date(2026, 11, 30))
    assert (period.start, period.end) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


def test_the_page_the_chart_and_the_csv(client, org, month):
    client.force_login(org.staff.supervisor.user)
    url = reverse("servicedesk:report")
    query = {"start": "2026-11-02", "end": "2026-11-04"}

    page = client.get(url, query)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-kpi="opened">4<' in html
    assert 'data-kpi="resolved">3<' in html
    assert 'data-kpi="frt-median">3 h 00 min<' in html
    assert 'data-kpi="res-median">1 d 0 h<' in html
    assert "60.0%" in html
    assert 'id="sd-opened-resolved-chart"' in html  # the plotly chart, drawn by the bundled JS
    assert "plotly/plotly.min.js" in html
    assert "cdn." not in html

    export = client.get(reverse("servicedesk:report_csv"), query)
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    assert "requests-all-2026-11-02-2026-11-04.csv" in export["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "code", "group", "measure", "value"]
    values = {(r[0], r[1], r[3]): r[4] for r in rows[1:]}
    assert values["total", "total", "opened"] == "4"
    assert values["total", "total", "first_response_p90_s"] == "64800"
    assert values["kind", "complaint", "resolution_median_s"] == "136800"
    assert values["day", "2026-11-03", "opened"] == "2"
    assert values["transfers", "ops", "answer_median_s"] == "10800"
    assert values["commitments", "total", "met_pct"] == "60.0"

    bad = client.get(url, {"start": "2026-11-05", "end": "2026-11-01"})
    assert bad.status_code == 400
    assert 'data-error-for="start"' in bad.content.decode()
    assert client.get(reverse("servicedesk:report_csv"), {"end": "x"}).status_code == 400


def test_only_supervisors_open_the_report_and_see_it_in_the_menu(client, org):
    url = reverse("servicedesk:report")
    for staff in (org.staff.agent, org.staff.analyst):
        client.force_login(staff.user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("servicedesk:report_csv")).status_code == 403
        assert (
            'id="nav-request-report"'
            not in client.get(reverse("servicedesk:list")).content.decode()
        )
    client.force_login(org.staff.bm_bj.user)
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="report-own-unit"' in page.content.decode()  # no choice of unit
    assert 'id="nav-request-report"' in page.content.decode()
