"""Campaigns: creating and changing them (every field validated and named, the twin for the
timeline, default dispositions, audit before → after), starting / pausing / finishing,
dispositions, and the reads: who sees which campaign, progress, abandonment rates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Campaign as CrmCampaign
from servicefirst.customers.tests.factories import ProductFactory
from servicefirst.dialer import campaigns, lists, selectors
from servicefirst.dialer.models import Call, CallListEntry, Campaign, Disposition
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.campaign_factories import ADDED, TUESDAY_NOON

pytestmark = pytest.mark.django_db
Outcome = Call.Outcome


@pytest.fixture
def boss(db):
    return f.supervisor(name="周主管")


@pytest.fixture
def agents(db):
    return [f.agent(name="小李"), f.agent(name="小王")]


def create(actor, **data):
    data.setdefault("name", "定期续存")
    data.setdefault("mode", "progressive")
    return campaigns.campaign_create(actor=actor, data=data)


# --- create -------------------------------------------------------------------------------------


def test_a_new_campaign_has_defaults_a_twin_and_the_standard_dispositions(boss, agents):
    product = ProductFactory(code="dep1y")
    c = create(boss, product="dep1y", agents=[a.pk for a in agents], purpose="续存提醒")
    assert c.status == Campaign.Status.DRAFT
    assert (c.abandon_cap, c.window_start, c.window_end, c.ring_timeout_s) == (
        Decimal("0.030"),
        dt.time(9),
        dt.time(21),
        20,
    )
    assert c.unit_id == boss.staff.unit_id
    assert set(c.agents.all()) == set(agents)
    assert (c.crm.name, c.crm.product, c.crm.code.startswith("call-")) == (
        "定期续存",
        product,
        True,
    )
    assert {d.code: (d.kind, d.is_final) for d in c.dispositions.all()} == {
        "sale": ("sale", True),
        "interested": ("interested", True),
        "callback": ("callback", False),
        "not_interested": ("not_interested", True),
        "wrong_number": ("wrong_number", True),
        "do_not_call": ("do_not_call", True),
        "no_answer": ("no_answer", False),
    }
    d = c.dispositions.get(code="not_interested")
    with translation.override("zh-hans"):
        assert d.label == "不感兴趣"
    with translation.override("en"):
        assert d.label == "Not interested"
    event = AuditEvent.objects.get(object_type="campaign", object_id=str(c.pk))
    assert event.action == AuditEvent.Action.SETTINGS_CHANGE
    assert event.detail["after"]["abandon_cap"] == "0.030"


def test_twins_get_unique_codes_even_for_the_same_name(boss):
    a, b = create(boss, name="Spring deposit"), create(boss, name="Spring deposit")
    assert a.crm.code != b.crm.code
    assert "spring-deposit" in a.crm.code
    assert CrmCampaign.objects.count() == 2


def test_every_bad_field_is_named_and_nothing_is_made(boss, agents):
    teller = make_staff(Role.TELLER, name="柜员")
    with pytest.raises(ValidationFailed) as exc:
        create(
            boss,
            name="",
            mode="robocall",
            abandon_cap="0.05",
            max_attempts=0,
            retry_no_answer_hours="soon",
            window_start="20:00",
            window_end="10:00",
            ring_timeout_s=10,
            agents=[agents[0].pk, teller.pk, 987654],
            product="nope",
        )
    errors = exc.value.errors
    assert set(errors) == {
        "name",
        "mode",
        "abandon_cap",
        "max_attempts",
        "retry_no_answer_hours",
        "window_end",
        "ring_timeout_s",
        "agents",
        "product",
    }
    assert "3%" in errors["abandon_cap"][0]
    assert "15" in errors["ring_timeout_s"][0]
    assert any("柜员" in m for m in errors["agents"])
    assert any("987654" in m for m in errors["agents"])
    assert not Campaign.objects.exists()
    assert not CrmCampaign.objects.exists()


def test_the_window_stays_inside_the_legal_hours(boss):
    with pytest.raises(ValidationFailed) as exc:
        create(boss, window_start="08:00")
    assert "09:00" in exc.value.errors["window_start"][0]
    with pytest.raises(ValidationFailed) as exc:
        create(boss, window_end="21:30")
    assert "window_end" in exc.value.errors
    assert create(boss, window_start="10:00", window_end="20:00", ring_timeout_s=15).pk


def test_a_cap_below_three_percent_is_allowed(boss):
    assert create(boss, abandon_cap="0.01").abandon_cap == Decimal("0.010")
    with pytest.raises(ValidationFailed):
        create(boss, abandon_cap="0")


def test_only_campaign_managers_create_campaigns(agents):
    with pytest.raises(PermissionDenied):
        create(agents[0].user)
    analyst = make_staff(Role.MARKETING_ANALYST).user
    assert create(analyst).created_by == analyst.staff


# --- change -------------------------------------------------------------------------------------


def test_changes_are_recorded_before_and_after_and_the_twin_follows(boss, agents):
    c = create(boss)
    campaigns.campaign_update(
        actor=boss,
        campaign_id=c.pk,
        data={
            "name": "续存2",
            "retry_busy_hours": 2,
            "agents": [agents[1].pk],
            "mode": "progressive",
        },
    )
    c.refresh_from_db()
    assert (c.name, c.retry_busy_hours, list(c.agents.all())) == ("续存2", 2, [agents[1]])
    assert c.crm.name == "续存2"
    event = AuditEvent.objects.filter(object_type="campaign", object_id=str(c.pk)).first()
    assert event.detail["before"] == {"name": "定期续存", "retry_busy_hours": 1, "agents": []}
    assert event.detail["after"] == {
        "name": "续存2",
        "retry_busy_hours": 2,
        "agents": [agents[1].pk],
    }


def test_a_bad_change_changes_nothing(boss):
    c = create(boss)
    with pytest.raises(ValidationFailed) as exc:
        campaigns.campaign_update(
            actor=boss, campaign_id=c.pk, data={"name": "新", "window_end": "08:30"}
        )
    assert "window_end" in exc.value.errors
    c.refresh_from_db()
    assert c.name == "定期续存"
    with pytest.raises(ValidationFailed):
        campaigns.campaign_update(actor=boss, campaign_id=c.pk, data={"status": "active"})
    with pytest.raises(NotFound):
        campaigns.campaign_update(actor=boss, campaign_id=98765, data={"name": "x"})


# --- status ---------------------------------------------------------------------------------------


def test_start_pause_resume_finish(boss, agents):
    c = create(boss)
    with pytest.raises(ValidationFailed) as exc:
        campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="start")
    assert "agent" in exc.value.errors["action"][0]
    campaigns.campaign_update(actor=boss, campaign_id=c.pk, data={"agents": [agents[0].pk]})
    assert (
        campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="start").status
        == "active"
    )
    c.crm.refresh_from_db()
    assert c.crm.started_on is not None
    assert (
        campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="pause").status
        == "paused"
    )
    with pytest.raises(ValidationFailed):
        campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="pause")
    campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="start")
    campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="finish")
    with pytest.raises(ValidationFailed):
        campaigns.campaign_set_status(actor=boss, campaign_id=c.pk, action="start")
    with pytest.raises(ValidationFailed):
        campaigns.campaign_update(actor=boss, campaign_id=c.pk, data={"name": "again"})
    statuses = [
        (e.detail["before"]["status"], e.detail["after"]["status"])
        for e in AuditEvent.objects.filter(
            object_type="campaign", detail__has_key="status"
        ).order_by("id")
    ]
    assert statuses == [
        ("draft", "active"),
        ("active", "paused"),
        ("paused", "active"),
        ("active", "finished"),
    ]
    with pytest.raises(PermissionDenied):
        campaigns.campaign_set_status(actor=agents[0].user, campaign_id=c.pk, action="pause")


# --- dispositions -------------------------------------------------------------------------------


def test_dispositions_are_added_and_changed_with_their_rules(boss):
    c = create(boss)
    d = campaigns.disposition_add(
        actor=boss,
        campaign_id=c.pk,
        data={
            "code": "sent_sms",
            "kind": "other",
            "label_zh": "已发短信",
            "label_en": "SMS sent",
            "is_final": False,
        },
    )
    assert (d.is_final, d.sort_order) == (False, 80)
    with pytest.raises(ValidationFailed) as exc:
        campaigns.disposition_add(
            actor=boss,
            campaign_id=c.pk,
            data={"code": "sale", "kind": "nonsense", "label_zh": "", "label_en": "x"},
        )
    assert set(exc.value.errors) == {"code", "kind", "label_zh"}
    sale = c.dispositions.get(code="sale")
    campaigns.disposition_update(
        actor=boss, disposition_id=sale.pk, data={"label_en": "Sold", "is_final": False}
    )
    sale.refresh_from_db()
    assert (sale.label_en, sale.is_final) == ("Sold", True)  # a sale always closes the entry
    campaigns.disposition_update(actor=boss, disposition_id=d.pk, data={"kind": "callback"})
    d.refresh_from_db()
    assert (d.kind, d.is_final) == ("callback", False)
    events = AuditEvent.objects.filter(object_type="disposition")
    assert events.count() == 3
    assert events.filter(object_id=str(sale.pk)).get().detail["after"] == {"label_en": "Sold"}


# --- reads ----------------------------------------------------------------------------------------


def test_who_sees_which_campaign(boss, agents):
    mine = create(boss, agents=[agents[0].pk])
    other = create(boss, name="Other")
    assert set(selectors.visible_campaigns(boss)) == {mine, other}
    assert list(selectors.visible_campaigns(agents[0].user)) == [mine]
    assert list(selectors.visible_campaigns(agents[1].user)) == []
    auditor = make_staff(Role.COMPLIANCE_AUDITOR).user
    assert set(selectors.visible_campaigns(auditor)) == {mine, other}
    teller = make_staff(Role.TELLER).user
    assert list(selectors.visible_campaigns(teller)) == []
    with pytest.raises(NotFound):
        selectors.campaign_get(actor=agents[1].user, campaign_id=mine.pk)


def test_progress_counts_the_list_penetration_results_and_contact_rate(boss, agents):
    c = f.campaign(boss, agents=agents)
    people = [f.customer(n) for n in "甲乙丙丁戊"]
    lists.entries_add_customers(
        actor=boss, campaign_id=c.pk, customer_ids=[p.pk for p in people], now=ADDED
    )
    claimed = lists.claim_entries(c, 3, now=TUESDAY_NOON)
    sale = Disposition.objects.get(campaign=c, code="sale")
    results = [(Outcome.ANSWERED, sale), (Outcome.NO_ANSWER, None), (Outcome.MACHINE, None)]
    for entry, (outcome, d) in zip(claimed, results, strict=True):
        made = f.call(
            entry.customer, at=TUESDAY_NOON, outcome=outcome, campaign=c, entry=entry, disposition=d
        )
        lists.entry_after_call(made, now=made.ended_at)
    lists.entry_remove(actor=boss, entry_id=CallListEntry.objects.get(customer=people[4]).pk)
    p = selectors.campaign_progress(c, now=TUESDAY_NOON + dt.timedelta(minutes=5))
    assert (p.total, p.attempted, p.attempts) == (4, 3, 3)
    assert p.penetration == 0.75
    assert p.by_status == {"done": 1, "scheduled": 2, "pending": 1, "removed": 1}
    assert p.open == 3
    assert p.due_now == 1
    assert [(code, n) for code, _label, n in p.by_disposition] == [("sale", 1)]
    assert (p.calls, p.live_answered) == (3, 1)  # the machine is not a contact
    many = selectors.progress_many([c.pk])[c.pk]
    assert (many.total, many.attempted, many.open) == (4, 3, 3)


def test_abandonment_rates_over_24_hours_and_30_days_in_one_query(boss):
    c = f.campaign(boss)
    other = f.campaign(boss, name="Other")
    x = f.customer()
    now = TUESDAY_NOON

    def calls(outcome, hours_ago, n=1, campaign=c):
        for _ in range(n):
            f.call(x, at=now - dt.timedelta(hours=hours_ago), outcome=outcome, campaign=campaign)

    calls(Outcome.ABANDONED, 2)
    calls(Outcome.ANSWERED, 3, n=9)
    calls(Outcome.MACHINE, 1, n=5)  # not live: not in the denominator
    calls(Outcome.NO_ANSWER, 1, n=5)  # never answered
    calls(Outcome.ABANDONED, 24 * 10)
    calls(Outcome.ANSWERED, 24 * 10, n=40)
    calls(Outcome.ABANDONED, 24 * 31)  # older than 30 days
    calls(Outcome.ABANDONED, 1, n=3, campaign=other)
    with CaptureQueriesContext(connection) as queries:
        rates = selectors.abandon_rates(c, now)
    assert len(queries) == 1
    assert rates["24h"] == (1, 10, 0.1)
    assert rates["30d"] == (2, 51, pytest.approx(2 / 51))
    assert selectors.abandon_rates(c.pk, now) == rates
    assert selectors.abandon_rates_many([c.pk, other.pk], now) == {
        c.pk: rates,
        other.pk: {"24h": (3, 3, 1.0), "30d": (3, 3, 1.0)},
    }
    empty = f.campaign(boss, name="Empty")
    assert selectors.abandon_rates(empty, now) == {"24h": (0, 0, 0.0), "30d": (0, 0, 0.0)}
    assert selectors.over_cap(rates, c.abandon_cap)
