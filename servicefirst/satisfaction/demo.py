"""Demo satisfaction data: survey invitations and answers for a realistic share of the demo's
served tickets and agent calls (and resolved requests, when the event log has them) over the
last four weeks. Ratings differ a little by unit and by member of staff, so the scorecards
have something to compare. Idempotent: a second run finds the demo's invitations and stops.

Touchpoints come from the service-event log when it has them, and from the floor's served
tickets and the contact centre's connected calls otherwise (same subjects, "ticket:<id>" and
"call:<id>", so nothing is asked twice).
"""

import datetime
import random
import zlib

from django.db import transaction
from django.utils import timezone

from servicefirst.commitments.models import Case, ServiceEvent
from servicefirst.customers.models import Customer
from servicefirst.satisfaction.models import (
    INVITATION_VALID_DAYS,
    SurveyInvitation,
    SurveyResponse,
    new_token,
)
from servicefirst.satisfaction.services import THROTTLE_DAYS, TOUCHPOINT_OF_KIND, survey_language

DAYS = 28
MAX_TOUCHPOINTS = 20_000
INVITE_SHARE = 0.5
SEED = 2026

COMMENTS = {
    5: [
        "柜员非常耐心，讲解很清楚。",
        "办理很快，服务态度很好！",
        "客服一次就帮我解决了问题，谢谢。",
        "Very friendly staff, quick service.",
    ],
    4: ["整体不错，就是排队时间有点长。", "服务挺好，希望手机银行也能办理。"],
    3: ["等候时间太长了。", "问题解决了，但转了两次电话。"],
    2: ["需要的材料没提前告知，又跑了一趟。", "电话等了很久才接通。"],
    1: ["非常失望，问题到现在也没解决。", "态度冷淡，不会再来这个网点。"],
}


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def _bias(key: str, spread: float) -> float:
    """A stable offset in [-spread, +spread] for a unit or member of staff."""
    return (zlib.crc32(key.encode()) % 1000 / 999 * 2 - 1) * spread


def _touchpoints(since: datetime.datetime) -> list[dict]:
    """Served touchpoints with a customer since `since`, oldest first, one per subject."""
    found: dict[str, dict] = {}
    events = (
        ServiceEvent.objects.filter(
            kind__in=TOUCHPOINT_OF_KIND,
            occurred_at__gte=since,
            customer_id__isnull=False,
            unit_id__isnull=False,
        )
        .order_by("occurred_at")
        .values_list("kind", "subject", "unit_id", "staff_id", "customer_id", "occurred_at")
    )
    for kind, subject, unit_id, staff_id, customer_id, at in events[:MAX_TOUCHPOINTS]:
        if kind == "contact.call.ended" and not staff_id:
            continue
        found.setdefault(
            subject,
            {
                "subject": subject,
                "touchpoint": TOUCHPOINT_OF_KIND[kind],
                "unit_id": unit_id,
                "staff_id": staff_id,
                "customer_id": customer_id,
                "at": at,
            },
        )
    from servicefirst.floor.models import Ticket

    tickets = (
        Ticket.objects.filter(
            status=Ticket.Status.DONE, customer__isnull=False, finished_at__gte=since
        )
        .order_by("finished_at")
        .values_list("pk", "branch_id", "served_by_id", "customer_id", "finished_at")
    )
    for pk, unit_id, staff_id, customer_id, at in tickets[:MAX_TOUCHPOINTS]:
        found.setdefault(
            f"ticket:{pk}",
            {
                "subject": f"ticket:{pk}",
                "touchpoint": SurveyInvitation.Touchpoint.COUNTER,
                "unit_id": unit_id,
                "staff_id": staff_id,
                "customer_id": customer_id,
                "at": at,
            },
        )
    from servicefirst.dialer.models import Call

    calls = (
        Call.objects.filter(customer__isnull=False, agent__isnull=False, connected_at__gte=since)
        .order_by("connected_at")
        .values_list("pk", "agent__unit_id", "agent_id", "customer_id", "connected_at", "ended_at")
    )
    for pk, unit_id, staff_id, customer_id, connected, ended in calls[:MAX_TOUCHPOINTS]:
        found.setdefault(
            f"call:{pk}",
            {
                "subject": f"call:{pk}",
                "touchpoint": SurveyInvitation.Touchpoint.CALL,
                "unit_id": unit_id,
                "staff_id": staff_id,
                "customer_id": customer_id,
                "at": ended or connected,
            },
        )
    return sorted(found.values(), key=lambda t: t["at"])


def _chunks(items: list, size: int = 2000):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _csat(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.85))))


def _nps(rng: random.Random, csat: int) -> int:
    return max(0, min(10, round(csat * 2 + rng.gauss(-0.3, 1.3))))


@transaction.atomic
def demo_satisfaction(progress=None) -> dict[str, int]:
    progress = progress or _noop
    existing = SurveyInvitation.objects.filter(source=SurveyInvitation.Source.DEMO)
    if existing.exists():
        return {
            "survey_invitations": existing.count(),
            "survey_responses": SurveyResponse.objects.filter(invitation__in=existing).count(),
        }
    rng = random.Random(SEED)
    now = timezone.now()
    since = now - datetime.timedelta(days=DAYS)
    touchpoints = _touchpoints(since)
    taken = set(
        SurveyInvitation.objects.filter(occurred_at__gte=since).values_list("subject", flat=True)
    )
    languages: dict[int, str] = {}
    for chunk in _chunks(sorted({t["customer_id"] for t in touchpoints})):
        languages.update(
            Customer.objects.filter(pk__in=chunk).values_list("pk", "preferred_language")
        )
    last_asked: dict[int, datetime.datetime] = {}
    window = datetime.timedelta(days=THROTTLE_DAYS)
    invitations: list[SurveyInvitation] = []
    answers: dict[str, tuple] = {}
    total = len(touchpoints)
    for i, t in enumerate(touchpoints, 1):
        if i % 2000 == 0:
            progress("satisfaction", i, total)
        if t["subject"] in taken or t["customer_id"] not in languages or not t["unit_id"]:
            continue
        if rng.random() > INVITE_SHARE:
            continue
        previous = last_asked.get(t["customer_id"])
        if previous is not None and t["at"] - previous < window:
            continue
        last_asked[t["customer_id"]] = t["at"]
        created = t["at"] + datetime.timedelta(minutes=rng.randint(2, 30))
        counter = t["touchpoint"] == SurveyInvitation.Touchpoint.COUNTER
        invitation = SurveyInvitation(
            token=new_token(),
            subject=t["subject"],
            touchpoint=t["touchpoint"],
            customer_id=t["customer_id"],
            staff_id=t["staff_id"],
            unit_id=t["unit_id"],
            language=survey_language(languages[t["customer_id"]]),
            occurred_at=t["at"],
            created_at=created,
            expires_at=created + datetime.timedelta(days=INVITATION_VALID_DAYS),
            channel=(
                SurveyInvitation.Channel.QR
                if counter and rng.random() < 0.3
                else SurveyInvitation.Channel.SMS
            ),
            source=SurveyInvitation.Source.DEMO,
        )
        mean = 4.15 + _bias(f"unit:{t['unit_id']}", 0.35) + _bias(f"staff:{t['staff_id']}", 0.3)
        rate = 0.42 + _bias(f"rate:{t['unit_id']}", 0.1)
        answered_at = created + datetime.timedelta(minutes=rng.randint(3, 36 * 60))
        if rng.random() < rate and answered_at < now:
            csat = _csat(rng, mean)
            nps = _nps(rng, csat) if rng.random() < 0.88 else None
            comment = rng.choice(COMMENTS[csat]) if rng.random() < 0.22 else ""
            invitation.answered_at = answered_at
            answers[t["subject"]] = (csat, nps, comment, answered_at)
        invitations.append(invitation)
    SurveyInvitation.objects.bulk_create(invitations, batch_size=1000)
    ids = dict(
        SurveyInvitation.objects.filter(
            source=SurveyInvitation.Source.DEMO, answered_at__isnull=False
        ).values_list("subject", "pk")
    )
    cases: dict[str, list[int]] = {}
    for chunk in _chunks(sorted(answers)):
        for subject, case_id in Case.objects.filter(subject__in=chunk).values_list("subject", "id"):
            cases.setdefault(subject, []).append(case_id)
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                invitation_id=ids[subject],
                csat=csat,
                nps=nps,
                comment=comment,
                answered_at=answered_at,
                case_ids=sorted(cases.get(subject, [])),
            )
            for subject, (csat, nps, comment, answered_at) in answers.items()
        ],
        batch_size=1000,
    )
    progress("satisfaction", total, total)
    return {"survey_invitations": len(invitations), "survey_responses": len(answers)}
