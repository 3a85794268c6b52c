"""Warnings, breaches and escalation up the unit chain; digests instead of floods; reading
alerts."""

import datetime as dt

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.commitments import alerts, engine, selectors
from servicefirst.commitments.models import Alert, AlertDigest, Case
from servicefirst.commitments.tests.test_engine_support import T0, Org, event, minutes, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return Org()


def run(now):
    return engine.run_until_caught_up(now=now)


def received(staff):
    return sorted(
        Alert.objects.filter(recipient=staff).values_list("case__subject", "kind", "level")
    )


def test_a_warning_goes_to_the_staff_member_and_their_manager(org):
    publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a, staff=org.teller)
    run(now=T0 + minutes(11))
    assert not Alert.objects.exists()
    run(now=T0 + minutes(13))
    assert received(org.teller) == [("ticket:1", "warning", 0)]
    assert received(org.a_manager) == [("ticket:1", "warning", 0)]
    assert received(org.east_manager) == []
    assert received(org.b_manager) == []
    # Once warned, never again.
    run(now=T0 + minutes(14))
    assert Alert.objects.count() == 2


def test_a_breach_escalates_up_the_chain_and_again_when_left_unresolved(org):
    publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a, staff=org.teller)
    run(now=T0 + minutes(16))
    # The teller and the branch manager hear of the breach, the region's manager of its
    # escalation (level 1); the head office is not troubled yet.
    assert received(org.teller) == [("ticket:1", "breach", 0)]
    assert received(org.a_manager) == [("ticket:1", "breach", 0)]
    assert received(org.east_manager) == [("ticket:1", "escalation", 1)]
    assert received(org.admin) == []
    # Still unresolved a full target (15 minutes) after the due time: level 2.
    run(now=T0 + minutes(29))
    assert received(org.admin) == []
    run(now=T0 + minutes(31))
    assert received(org.admin) == [("ticket:1", "escalation", 2)]
    case = Case.objects.get()
    assert (case.escalation_level, case.escalate_at) == (2, None)
    run(now=T0 + minutes(60))
    assert Alert.objects.count() == 4


def test_a_breach_resolved_in_time_does_not_escalate_again(org):
    publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a)
    run(now=T0 + minutes(16))
    event("floor.ticket.called", "ticket:1", T0 + minutes(20), unit=org.a)
    run(now=T0 + minutes(40))
    assert received(org.admin) == []


def test_a_unit_without_managers_reports_to_the_head_office_administrators(org):
    ops = UnitFactory(code="t-ops", parent=org.hq)
    make_staff(Role.BACK_OFFICE, unit=ops)
    publish(
        owner=ops, start="ops.item.requested", stop="ops.item.delivered", target=1, unit="hours"
    )
    event("ops.item.requested", "item:1", T0, unit=ops)
    run(now=T0 + minutes(61))
    assert received(org.admin) == [("item:1", "breach", 0)]


def test_old_history_counts_but_does_not_alert(org):
    publish(owner=org.a)
    event("floor.ticket.issued", "ticket:1", T0, unit=org.a, staff=org.teller)
    run(now=T0 + dt.timedelta(days=3))
    assert Case.objects.get().state == "breached"
    assert not Alert.objects.exists()


def test_a_flood_becomes_a_digest(org, settings):
    settings.COMMITMENTS_DIGEST_AFTER = 5
    settings.COMMITMENTS_DIGEST_WINDOW_S = 600
    calls = publish(owner=org.a)
    rings = publish(
        owner=org.a, start="contact.call.answered", measure="count", target=3, unit="rings"
    )
    for n in range(8):
        event("floor.ticket.issued", f"ticket:{n}", T0, unit=org.a)
    for n in range(4):
        event("contact.call.answered", f"call:{n}", T0 + minutes(15), unit=org.a, value=6)
    run(now=T0 + minutes(16))
    # 12 breaches: the branch manager sees 5 alerts one by one, then one digest of 7.
    view = selectors.alerts_for(org.a_manager)
    assert len(view.alerts) == 5
    assert view.unread == 12
    (digest,) = view.digests
    assert digest.count == 7
    counts = {code: n for code, _, n in digest.commitments}
    assert sum(counts.values()) == 7
    assert set(counts) <= {calls.commitment.code, rings.commitment.code}
    assert digest.kinds == {"breach": 7}
    assert Alert.objects.filter(recipient=org.a_manager, digest__isnull=False).count() == 7
    # Read: the digest and its alerts.
    changed = alerts.alert_mark_read(staff=org.a_manager, digest_ids=[digest.digest.pk])
    assert changed == 7
    view = selectors.alerts_for(org.a_manager)
    assert (len(view.alerts), view.digests, view.unread) == (5, [], 5)
    # Someone else's alerts are not theirs to mark.
    other = Alert.objects.filter(recipient=org.east_manager).first()
    assert alerts.alert_mark_read(staff=org.a_manager, alert_ids=[other.pk]) == 0
    assert alerts.alert_mark_read(staff=org.a_manager, everything=True) == 5
    assert selectors.unread_alert_count(org.a_manager) == 0
    assert selectors.alerts_for(org.a_manager, include_read=True).digests[0].unread is False


def test_alerts_after_the_window_stand_alone_again(org, settings):
    settings.COMMITMENTS_DIGEST_AFTER = 2
    settings.COMMITMENTS_DIGEST_WINDOW_S = 600
    publish(owner=org.a)
    for n in range(3):
        event("floor.ticket.issued", f"ticket:{n}", T0, unit=org.a)
    run(now=T0 + minutes(16))
    assert AlertDigest.objects.filter(recipient=org.a_manager).get().count == 1
    event("floor.ticket.issued", "ticket:9", T0 + minutes(30), unit=org.a)
    run(now=T0 + minutes(46))
    late = Alert.objects.get(recipient=org.a_manager, case__subject="ticket:9", kind="breach")
    assert late.digest_id is None
