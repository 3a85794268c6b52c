"""Inviting customers from the service-event log: once per subject, at most once a week per
customer, only customers we may contact, and recorded on the customer's timeline."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.commitments.events import record
from servicefirst.customers.models import Interaction
from servicefirst.satisfaction.models import InviteCursor, SurveyInvitation
from servicefirst.satisfaction.services import invite_from_events
from servicefirst.satisfaction.tasks import invite_customers
from servicefirst.satisfaction.tests import fixtures as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def o():
    return f.org()


def served(o, customer, when, *, n, staff=None, unit=None):
    return record(
        "floor.ticket.finished",
        subject=f"ticket:{n}",
        occurred_at=when,
        source_key=f"t{n}.finished",
        unit_id=(unit or o["bj"]).pk,
        customer_id=customer.pk,
        staff_id=(staff or o["teller_bj"]).pk,
        attrs={"service": "deposit", "outcome": "completed"},
    )


def test_one_invitation_per_subject_and_a_timeline_entry(o):
    # given a served ticket whose event is recorded twice (a producer's retry)
    zhang = f.customer(branch=o["bj"])
    now = timezone.now()
    served(o, zhang, now - datetime.timedelta(minutes=5), n=1)
    served(o, zhang, now - datetime.timedelta(minutes=5), n=1)

    # when the job runs twice
    first = invite_from_events()
    second = invite_from_events()

    # then the customer is asked once, by SMS, about that ticket, in their branch and teller
    assert first["invited"] == 1
    assert second["invited"] == 0
    invitation = SurveyInvitation.objects.get()
    assert invitation.subject == "ticket:1"
    assert invitation.touchpoint == "counter"
    assert invitation.unit == o["bj"]
    assert invitation.staff == o["teller_bj"]
    assert invitation.channel == "sms"
    assert invitation.language == "zh-hans"
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    assert len(invitation.token) >= 20
    entry = Interaction.objects.get(customer=zhang, source_key=f"survey:{invitation.pk}")
    assert entry.detail["subject"] == "ticket:1"
    assert "survey" in entry.summary.lower()
    assert InviteCursor.objects.get().last_id > 0


def test_a_customer_is_asked_at_most_once_a_week(o):
    zhang = f.customer(branch=o["bj"])
    base = timezone.now() - datetime.timedelta(days=20)
    hour = datetime.timedelta(hours=1)

    served(o, zhang, base, n=1)
    assert invite_from_events(now=base + hour)["invited"] == 1

    three_days = base + datetime.timedelta(days=3)
    served(o, zhang, three_days, n=2)
    assert invite_from_events(now=three_days + hour)["throttled"] == 1

    eight_days = base + datetime.timedelta(days=8)
    served(o, zhang, eight_days, n=3)
    assert invite_from_events(now=eight_days + hour)["invited"] == 1

    assert sorted(SurveyInvitation.objects.values_list("subject", flat=True)) == [
        "ticket:1",
        "ticket:3",
    ]


def test_consent_decides_who_is_asked_and_how(o):
    now = timezone.now()
    when = now - datetime.timedelta(minutes=3)
    with_sms = f.customer("有短信", branch=o["bj"], sms=True, language="en")
    without = f.customer("无授权", branch=o["bj"], sms=None)
    withdrew = f.customer("已撤回", branch=o["bj"], sms=False)
    served(o, without, when, n=1)  # counter, no SMS consent: handed over as a QR code
    served(o, withdrew, when, n=2)  # withdrew SMS consent: never asked
    for n, who in ((3, with_sms), (4, without)):
        record(
            "contact.call.ended",
            subject=f"call:{n}",
            occurred_at=when,
            source_key=f"c{n}.ended",
            unit_id=o["ccc"].pk,
            customer_id=who.pk,
            staff_id=o["agent"].pk,
        )

    counts = invite_from_events()

    by_subject = {i.subject: i for i in SurveyInvitation.objects.all()}
    assert set(by_subject) == {"ticket:1", "call:3"}
    assert by_subject["ticket:1"].channel == "qr"
    assert by_subject["call:3"].channel == "sms"
    assert by_subject["call:3"].language == "en"
    assert by_subject["call:3"].touchpoint == "call"
    assert counts["no_consent"] == 2


def test_calls_without_an_agent_transfers_stale_touchpoints_and_other_kinds_are_not_asked(o):
    zhang = f.customer(branch=o["bj"])
    li = f.customer("李四", branch=o["bj"])
    now = timezone.now()
    record(
        "contact.call.ended",
        subject="call:9",
        occurred_at=now,
        source_key="c9.ended",
        unit_id=o["ccc"].pk,
        customer_id=zhang.pk,
    )
    served(o, li, now - datetime.timedelta(days=10), n=7)  # older than an invitation lasts
    record(
        "floor.ticket.finished",
        subject="ticket:6",
        occurred_at=now,
        source_key="t6.finished",
        unit_id=o["bj"].pk,
        customer_id=li.pk,
        staff_id=o["teller_bj"].pk,
        attrs={"outcome": "transferred"},  # the visit goes on at another counter
    )
    record(
        "floor.ticket.called",
        subject="ticket:8",
        occurred_at=now,
        source_key="t8.called",
        unit_id=o["bj"].pk,
        customer_id=zhang.pk,
    )

    counts = invite_from_events()

    assert SurveyInvitation.objects.count() == 0
    assert counts["events"] == 2  # the stale ticket and the called ticket are not even read
    assert counts["skipped"] == 2


def test_a_resolved_request_invites_through_the_scheduled_task(o):
    zhang = f.customer(branch=o["bj"])
    record(
        "request.resolved",
        subject="request:5",
        occurred_at=timezone.now(),
        source_key="r5.resolved",
        unit_id=o["ccc"].pk,
        customer_id=zhang.pk,
        staff_id=o["agent"].pk,
    )

    result = invite_customers.call()

    assert result["invited"] == 1
    invitation = SurveyInvitation.objects.get()
    assert (invitation.touchpoint, invitation.unit, invitation.staff) == (
        "request",
        o["ccc"],
        o["agent"],
    )
