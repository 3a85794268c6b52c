"""The demo's satisfaction data: invitations and answers for the event log's touchpoints, with
the weekly throttle kept, and a second run adding nothing."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.commitments.events import record
from servicefirst.satisfaction.demo import demo_satisfaction
from servicefirst.satisfaction.models import SurveyInvitation, SurveyResponse
from servicefirst.satisfaction.tests import fixtures as f

pytestmark = pytest.mark.django_db


def test_demo_satisfaction_is_realistic_and_idempotent():
    # given three weeks of served tickets for ten customers, one a day each
    o = f.org()
    customers = [f.customer(f"客户{i}", branch=o["bj"]) for i in range(10)]
    now = timezone.now()
    n = 0
    for day in range(1, 22):
        for c in customers:
            n += 1
            record(
                "floor.ticket.finished",
                subject=f"ticket:{n}",
                occurred_at=now - datetime.timedelta(days=day, hours=1),
                source_key=f"t{n}",
                unit_id=o["bj"].pk,
                customer_id=c.pk,
                staff_id=o["teller_bj"].pk,
            )

    # when the demo runs twice
    first = demo_satisfaction()
    second = demo_satisfaction()

    # then some customers were asked, none more than once a week, and some answered
    assert first == second
    assert 10 <= first["survey_invitations"] <= 30
    assert 0 < first["survey_responses"] < first["survey_invitations"]
    assert SurveyInvitation.objects.count() == first["survey_invitations"]
    for c in customers:
        times = sorted(
            SurveyInvitation.objects.filter(customer=c).values_list("occurred_at", flat=True)
        )
        assert all(
            b - a >= datetime.timedelta(days=7) for a, b in zip(times, times[1:], strict=False)
        )
    assert all(1 <= r.csat <= 5 for r in SurveyResponse.objects.all())
