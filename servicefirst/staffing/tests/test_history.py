"""The real inbound history: importing the bank call-centre month as inbound calls, the service
report read back from them, and the page."""

import datetime
import io
import json
import math
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.dialer.models import Call
from servicefirst.staffing import erlang, history

pytestmark = pytest.mark.django_db

JERUSALEM = ZoneInfo("Asia/Jerusalem")
HEADER = "\t".join(history.COLUMNS)


def rows(text: str) -> list[str]:
    """Rows written like the real file's, columns separated by spaces here for reading."""
    return ["\t".join(line.split()) for line in text.strip().splitlines()]


# Tuesday 2 February 1999, in the format of the real file (tabs, CRLF). Offered calls:
# answered after 3 s, 12 s and 18 s, abandoned after 10 s and 30 s (10:00 half-hour);
# answered at once by an agent, and at once with no agent recorded (10:30 half-hour).
# Not offered: one hang-up in the voice menu (108), one phantom (109).
# vru+line call_id customer_id priority type date vru_entry vru_exit vru_time
#   q_start q_exit q_time outcome ser_start ser_exit ser_time server
CALLS = rows("""
AA0101 101 0 2 PS 990202 9:59:55 10:00:00 5 10:00:00 10:00:03 3 AGENT 10:00:03 10:02:03 120 ALICE
AA0101 102 0 0 PS 990202 10:04:55 10:05:00 5 10:05:00 10:05:12 12 AGENT 10:05:12 10:08:12 180 BOB
AA0101 103 0 0 PS 990202 10:09:55 10:10:00 5 10:10:00 10:10:18 18 AGENT 10:10:18 10:11:18 60 ALICE
AA0101 104 0 0 PS 990202 10:14:55 10:15:00 5 10:15:00 10:15:10 10 HANG 0:00:00 0:00:00 0 NO_SERVER
AA0101 105 0 0 NW 990202 10:19:55 10:20:00 5 10:20:00 10:20:30 30 HANG 0:00:00 0:00:00 0 NO_SERVER
AA0101 106 0 0 PS 990202 10:39:50 10:40:00 10 0:00:00 0:00:00 0 AGENT 10:40:00 10:41:30 90 CAROL
AA0101 107 0 0 PS 990202 10:44:50 10:45:00 10 0:00:00 0:00:00 0 AGENT 10:44:59 10:45:05 6 NO_SERVER
AA0101 108 0 0 PS 990202 10:50:00 10:50:20 20 0:00:00 0:00:00 0 HANG 0:00:00 0:00:00 0 NO_SERVER
AA0101 109 0 0 PS 990202 10:55:00 10:55:10 10 10:55:10 10:55:40 30 PHANTOM 10:55:39 10:55:44 5 NO_SERVER
""")


def write(tmp_path, lines, name="calls.txt"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join([HEADER, *lines]) + "\r\n").encode())
    return path


@pytest.fixture
def calls_file(tmp_path):
    return write(tmp_path, CALLS)


def at(hms, day=2):
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime.datetime(1999, 2, day, h, m, s, tzinfo=JERUSALEM)


# --- import -----------------------------------------------------------------------------------


def test_import_writes_one_inbound_call_per_offered_row(calls_file):
    seen = []
    result = history.import_inbound_history(calls_file, progress=lambda d, t: seen.append((d, t)))
    assert (result.rows, result.created, result.already_imported) == (9, 7, 0)
    assert (result.phantom, result.vru_only, result.no_talk_time) == (1, 1, 1)
    assert seen[0] == (0, 9)
    assert seen[-1] == (9, 9)

    calls = {c.source_key: c for c in Call.objects.all()}
    assert set(calls) == {f"990202-AA0101-{n}" for n in range(101, 108)}
    first = calls["990202-AA0101-101"]
    assert first.direction == first.mode == "inbound"
    assert first.state == "ended"
    assert first.source == "import:calls.txt"
    assert first.dial_key == "imp-990202-AA0101-101"
    assert (first.queue, first.priority, first.telephony_ref) == ("PS", 2, "ALICE")
    assert first.agent is None
    assert first.dialed_at == at("10:00:00")  # entered the queue, Israeli time
    assert first.answered_at == first.connected_at == at("10:00:03")
    assert first.ended_at == at("10:02:03")
    assert (first.wait_s, first.talk_s, first.outcome) == (3, 120, "answered")
    assert [calls[f"990202-AA0101-{n}"].rings_before_answer for n in (101, 102, 103, 106)] == [
        1,  # 3 s: the first ring
        3,  # 12 s: the third ring (10–15 s)
        4,  # 18 s: the fourth
        1,  # picked up at once
    ]
    abandoned = calls["990202-AA0101-105"]
    assert (abandoned.outcome, abandoned.wait_s, abandoned.answered_at) == ("abandoned", 30, None)
    assert abandoned.ended_at == at("10:20:30")
    assert abandoned.rings_before_answer is None
    direct = calls["990202-AA0101-106"]
    assert direct.dialed_at == direct.answered_at == at("10:40:00")
    assert direct.wait_s == 0
    no_agent = calls["990202-AA0101-107"]  # NO_SERVER: answered, but no reliable talk time
    assert (no_agent.outcome, no_agent.talk_s, no_agent.telephony_ref) == ("answered", None, "")
    assert no_agent.dialed_at == at("10:44:59")


def test_a_call_past_midnight_ends_the_next_day(tmp_path):
    line = "AA0101 7 0 0 PS 990202 23:59:50 23:59:55 5 23:59:55 0:00:05 10 AGENT 0:00:05 0:01:05 60 DANA"
    history.import_inbound_history(write(tmp_path, rows(line)))
    call = Call.objects.get()
    assert call.dialed_at == at("23:59:55")
    assert call.answered_at == at("0:00:05", day=3)
    assert call.ended_at == at("0:01:05", day=3)
    assert (call.wait_s, call.talk_s) == (10, 60)


def test_a_queue_that_started_at_midnight_is_not_mistaken_for_none(tmp_path):
    # The real file has one: q_start 0:00:00 is midnight here, as q_exit and q_time show.
    line = (
        "AA0102 8 0 2 PS 990215 23:59:54 23:59:54 0 0:00:00 0:00:27 27 AGENT 0:00:26 0:01:33 67 AVI"
    )
    history.import_inbound_history(write(tmp_path, rows(line)))
    call = Call.objects.get()
    assert call.dialed_at == at("0:00:00", day=16)
    assert call.wait_s == 27
    assert call.rings_before_answer == 6


def test_importing_twice_changes_nothing(calls_file):
    history.import_inbound_history(calls_file)
    before = sorted(Call.objects.values_list("source_key", "wait_s", "talk_s", "outcome"))
    again = history.import_inbound_history(calls_file)
    assert (again.created, again.already_imported, again.calls) == (0, 7, 7)
    assert sorted(Call.objects.values_list("source_key", "wait_s", "talk_s", "outcome")) == before


def test_an_import_that_crashed_halfway_is_completed_by_running_it_again(calls_file):
    def crash_after_first_batch(done, total):
        if done:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        history.import_inbound_history(calls_file, batch_size=3, progress=crash_after_first_batch)
    assert Call.objects.count() == 3  # the first batch was committed
    result = history.import_inbound_history(calls_file, batch_size=3)
    assert (result.created, result.already_imported) == (4, 3)
    assert Call.objects.count() == 7


def test_a_malformed_row_is_named_and_nothing_is_written(calls_file, tmp_path):
    history.import_inbound_history(calls_file)
    bad = list(CALLS)
    bad[2] = bad[2].replace("\t18\t", "\tabc\t")  # line 4 (the header is line 1)
    bad.append("AA0101\t999\t0")  # line 11: too few columns
    path = write(tmp_path, bad, name="calls.txt")  # the same file, corrected badly
    Call.objects.filter(source_key="990202-AA0101-107").delete()
    with pytest.raises(ValidationFailed) as exc:
        history.import_inbound_history(path, batch_size=2)
    messages = exc.value.errors["file"]
    assert messages[0] == "Line 4, column “q_time”: “abc” is not a whole number of 0 or more."
    assert messages[1].startswith("Line 11: expected 17 tab-separated columns, found 3")
    # Nothing written, not even the good rows before line 4; the earlier import is untouched.
    assert Call.objects.count() == 6


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"date": "990230"}, "date"),
        ({"vru_entry": "25:00:00"}, "vru_entry"),
        ({"outcome": "TRANSFER"}, "outcome"),
        ({"ser_time": "-5"}, "ser_time"),
    ],
)
def test_each_kind_of_bad_value_names_its_column(tmp_path, cells, column):
    values = CALLS[0].split("\t")
    for name, value in cells.items():
        values[history.COLUMNS.index(name)] = value
    path = write(tmp_path, ["\t".join(values)])
    with pytest.raises(ValidationFailed) as exc:
        history.import_inbound_history(path)
    assert exc.value.errors["file"][0].startswith(f"Line 2, column “{column}”")
    assert not Call.objects.exists()


def test_a_file_of_another_shape_is_refused_at_line_1(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValidationFailed) as exc:
        history.import_inbound_history(path)
    assert exc.value.errors["file"][0].startswith("Line 1: expected the header vru+line call_id")


def test_only_supervisors_may_import(calls_file):
    agent = make_staff(Role.CC_AGENT)
    with pytest.raises(PermissionDenied):
        history.import_inbound_history(calls_file, actor=agent.user)
    supervisor = make_staff(Role.CC_SUPERVISOR)
    assert history.import_inbound_history(calls_file, actor=supervisor.user).created == 7


def test_the_command_imports_and_reports(calls_file):
    out = io.StringIO()
    call_command("import_inbound_calls", "--file", str(calls_file), "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 7
    out = io.StringIO()
    call_command("import_inbound_calls", "--file", str(calls_file), stdout=out, verbosity=0)
    assert "0 calls imported, 7 already there" in out.getvalue()
    with pytest.raises(CommandError, match="There is no file"):
        call_command("import_inbound_calls", "--file", str(calls_file) + ".missing")


# --- report -----------------------------------------------------------------------------------


def test_report_figures_are_exact(calls_file):
    history.import_inbound_history(calls_file)
    report = history.inbound_report("import:calls.txt")
    t = report.totals
    assert (t.offered, t.answered, t.abandoned) == (7, 5, 2)
    assert t.offered == t.answered + t.abandoned
    assert t.abandonment == pytest.approx(2 / 7)
    # answered within 15 s: 3, 12, 0, 0 seconds; within 20 s: and 18
    assert t.sl15 == pytest.approx(4 / 7)
    assert t.sl15_excl == pytest.approx(4 / 6)  # the call abandoned after 10 s left out
    assert t.sl20 == pytest.approx(5 / 7)
    assert t.sl20_excl == pytest.approx(5 / 6)
    assert t.third_ring_share == pytest.approx(4 / 5)
    assert t.aht_s == pytest.approx((120 + 180 + 60 + 90) / 4)  # no talk time for NO_SERVER
    assert t.asa_s == pytest.approx((3 + 12 + 18) / 5)
    assert report.patience_s == pytest.approx((3 + 12 + 18 + 10 + 30) / 2)

    (day,) = report.days
    assert day.day == datetime.date(1999, 2, 2)
    rows = {r.start: r for r in day.rows}
    ten, half_past = rows[datetime.time(10, 0)], rows[datetime.time(10, 30)]
    assert [r.start for r in day.rows] == [datetime.time(10, 0), datetime.time(10, 30)]
    assert (ten.figures.offered, ten.figures.answered, ten.figures.abandoned) == (5, 3, 2)
    assert ten.figures.sl15 == pytest.approx(2 / 5)
    assert ten.figures.sl15_excl == pytest.approx(2 / 4)
    assert ten.figures.sl20 == pytest.approx(3 / 5)
    assert ten.aht_s == pytest.approx(120)
    assert ten.agents_working == 2  # ALICE (twice) and BOB
    assert (half_past.figures.offered, half_past.agents_working) == (2, 1)  # CAROL only
    assert half_past.aht_s == 90

    # The planner's staffing for what was offered: 5 calls in the half-hour, 120 s each.
    assert ten.plan.interval.calls == 5
    assert ten.erlang_c == erlang.agents_for_service_level(5 / 1800, 120, 0.9, 15)
    assert ten.erlang_a == erlang.agents_for_service_level_a(5 / 1800, 120, 36.5, 0.9, 15)
    assert day.peak_working == 2
    assert day.agent_hours_working == 1.5

    # A Tuesday: the working-week profile is that one day.
    assert report.working_week.days == 1
    assert report.working_week.figures.offered == 7


def test_report_over_a_range_and_the_working_week_average(tmp_path):
    # Friday 5 Feb is outside the centre's week; Sunday 7 and Monday 8 are in.
    calls = rows("""
AA0101 1 0 0 PS 990205 9:00:00 9:00:05 5 9:00:05 9:00:25 20 HANG 0:00:00 0:00:00 0 NO_SERVER
AA0101 2 0 0 PS 990207 9:00:00 9:00:05 5 0:00:00 0:00:00 0 AGENT 9:00:05 9:02:05 120 A
AA0101 3 0 0 PS 990207 9:10:00 9:10:05 5 0:00:00 0:00:00 0 AGENT 9:10:05 9:11:05 60 B
AA0101 4 0 0 PS 990208 9:00:00 9:00:05 5 0:00:00 0:00:00 0 AGENT 9:00:05 9:03:05 180 A
""")
    history.import_inbound_history(write(tmp_path, calls))
    report = history.inbound_report()
    assert [d.day.day for d in report.days] == [5, 7, 8]
    week = report.working_week
    assert week.days == 2
    (nine,) = week.rows
    assert nine.calls == 1.5  # 3 calls over 2 days
    assert nine.agents_working == 1.5  # 2 then 1
    assert nine.aht_s == 120  # pooled
    assert report.patience_s == 20
    only_sunday = history.inbound_report(
        date_from=datetime.date(1999, 2, 7), date_to=datetime.date(1999, 2, 7)
    )
    assert only_sunday.totals.offered == 2
    assert math.isinf(only_sunday.patience_s)  # nobody hung up: Erlang A is Erlang C


def test_empty_report():
    report = history.inbound_report("import:nothing.txt")
    assert report.totals.offered == 0
    assert report.days == []
    assert report.working_week is None
    assert report.totals.sl15 is None


# --- the page ---------------------------------------------------------------------------------


def _client(client, role):
    staff = make_staff(role)
    client.login(username=staff.user.username, password=PASSWORD)
    return client


def test_supervisor_sees_the_month_and_a_day(client, calls_file):
    history.import_inbound_history(calls_file)
    c = _client(client, Role.CC_SUPERVISOR)
    html = c.get(reverse("staffing:history")).content.decode()
    assert 'data-summary="sl15">57.1%<' in html
    assert 'data-summary="sl20">71.4%<' in html
    assert 'data-summary="abandoned">28.6%<' in html
    assert 'data-summary="third_ring">80.0%<' in html
    assert "66.7% not counting calls abandoned within 15 s" in html
    assert 'id="history-chart"' in html
    assert "ALICE" not in html  # agents are counted, never named
    assert "BOB" not in html

    response = c.get(reverse("staffing:history"), {"day": "1999-02-02"})
    assert response.context["day"] == datetime.date(1999, 2, 2)
    html = response.content.decode()
    assert html.count("<tr data-start=") == 2
    ten = html.split('<tr data-start="10:00">')[1].split("</tr>")[0]
    assert 'data-col="offered">5<' in ten
    assert 'data-col="sl15">40.0%' in ten
    assert 'data-col="working">2<' in ten
    expected_c = erlang.agents_for_service_level(5 / 1800, 120, 0.9, 15)
    assert f'data-col="erlang_c">{expected_c}<' in ten


def test_page_without_history_says_how_to_import(client):
    html = _client(client, Role.CC_SUPERVISOR).get(reverse("staffing:history")).content.decode()
    assert 'id="history-empty"' in html
    assert "import_inbound_calls" in html


@pytest.mark.parametrize("role", [Role.MARKETING_ANALYST, Role.COMPLIANCE_AUDITOR])
def test_insight_readers_and_contact_supervisors_may_look(client, role):
    assert _client(client, role).get(reverse("staffing:history")).status_code == 200


@pytest.mark.parametrize("role", [Role.CC_AGENT, Role.TELLER])
def test_agents_are_refused(client, role):
    assert _client(client, role).get(reverse("staffing:history")).status_code == 403


# --- the real month ---------------------------------------------------------------------------

REAL = history.default_file()


@pytest.mark.skipif(not REAL.exists(), reason=f"the call-centre data set is not at {REAL}")
def test_the_real_month():
    result = history.import_inbound_history(REAL)
    # 33,344 rows: 278 phantoms and 1,941 hang-ups in the voice menu are not offered calls.
    assert (result.rows, result.phantom, result.vru_only) == (33_344, 278, 1_941)
    assert result.created == 33_344 - 278 - 1_941 == 31_125
    # 491 answered rows without an agent, 50 without a service start: no talk time.
    assert result.no_talk_time == 541

    report = history.inbound_report(result.source)
    t = report.totals
    assert (t.offered, t.answered, t.abandoned) == (31_125, 27_162, 3_963)
    assert t.answered == Call.objects.filter(outcome="answered").count()
    # The README: 18,336 calls entered the queue (phantoms included), 3,963 hung up there. We
    # count one more: the call that queued at midnight, whose q_start reads 0:00:00.
    queued = (
        Call.objects.filter(wait_s__gt=0).count()
        + Call.objects.filter(outcome="abandoned", wait_s=0).count()
    )
    assert queued + 278 == 18_336 + 1
    assert (t.answered_15, t.answered_20) == (15_400, 16_209)
    assert t.third_ring == t.answered_15  # three rings = 15 s
    assert round(t.answered_20 / t.answered, 2) == 0.60  # "about 60% of served calls"
    assert 0.49 < t.sl15 < t.sl15_excl < t.sl20 < t.sl20_excl < 0.55
    assert round(t.abandonment, 3) == 0.127
    assert t.talked == 27_162 - 541
    assert 170 < t.aht_s < 190  # the README: mean service time 177 s (rows with an agent: 179)
    assert 300 < report.patience_s < 400
    assert len(report.days) == 28
    assert report.working_week.days == 20  # Sunday–Thursday
    assert sum(d.figures.offered for d in report.days) == t.offered
    for day in report.days:
        assert sum(r.figures.offered for r in day.rows) == day.figures.offered
        for r in day.rows:
            assert r.erlang_a <= r.erlang_c  # patient callers: Erlang A never asks for more
    busiest = max(report.working_week.rows, key=lambda r: r.calls)
    assert datetime.time(9, 0) <= busiest.start <= datetime.time(16, 0)
    # The centre ran short of the 90%-in-15-s staffing at its peak.
    assert busiest.agents_working < busiest.erlang_c
