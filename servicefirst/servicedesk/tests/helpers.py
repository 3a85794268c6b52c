"""A published commitment and the case the engine would keep for a request, so pages can show
a clock without running the engine."""

import datetime

from django.utils import timezone

from servicefirst.commitments.models import BusinessCalendar, Case, Commitment, CommitmentVersion


def measure(req, *, subject: str = "", statement_en: str = "", hours: int = 2, unit=None) -> Case:
    calendar, _ = BusinessCalendar.objects.get_or_create(
        code="24x7", defaults={"name_zh": "全天候", "name_en": "24/7", "always_open": True}
    )
    n = Commitment.objects.count() + 1
    commitment = Commitment.objects.create(
        code=f"sd-test-{n}", area="requests", owner=unit or req.unit
    )
    version = CommitmentVersion.objects.create(
        commitment=commitment,
        number=1,
        status="published",
        statement_zh=statement_en,
        statement_en=statement_en,
        measure="duration",
        start_event="request.opened",
        stop_event="request.first_response",
        target_value=hours,
        target_unit="hours",
        calendar=calendar,
    )
    start = timezone.now()
    return Case.objects.create(
        version=version,
        commitment=commitment,
        subject=subject or f"request:{req.pk}",
        unit=unit or req.unit,
        customer_id=req.customer_id,
        started_at=start,
        due_at=start + datetime.timedelta(hours=hours),
        warn_at=start + datetime.timedelta(hours=hours * 0.8),
    )
