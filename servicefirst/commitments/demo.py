"""The demo bank's commitment register: the business calendars, the seed catalogue (every entry
published as version 1, approved and published by the administrator at load time), and a few
commitments in the middle of their lifecycle so the pages have something to show — a tighter
counter wait in discussion with the staff's comments, a new chat promise in discussion at the
Customer Care Center, a draft, and the 80/20 hotline promise in its second version (the first
retired).

Idempotent: calendars and commitments are matched by code; a second run adds nothing. Entries
whose owning unit is missing (a partial organisation) are skipped."""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.commitments.catalogue import CALENDARS, CATALOGUE, Entry
from servicefirst.commitments.models import (
    BusinessCalendar,
    Commitment,
    CommitmentVersion,
    DiscussionComment,
)

Status = CommitmentVersion.Status


def _version_fields(entry: Entry, calendars: dict[str, BusinessCalendar]) -> dict:
    return {
        "statement_zh": entry.statement_zh,
        "statement_en": entry.statement_en,
        "measure": entry.measure,
        "start_event": entry.start_event,
        "stop_event": entry.stop_event,
        "cancel_events": list(entry.cancel_events),
        "pause_event": entry.pause_event,
        "resume_event": entry.resume_event,
        "event_filter": dict(entry.event_filter),
        "target_value": Decimal(str(entry.target_value)),
        "target_unit": entry.target_unit,
        "goal_percent": Decimal(str(entry.goal_percent)),
        "warn_percent": entry.warn_percent,
        "calendar": calendars[entry.calendar],
        "remedy": entry.remedy,
    }


def ensure_calendars() -> dict[str, BusinessCalendar]:
    out = {}
    for code, fields in CALENDARS.items():
        calendar, _created = BusinessCalendar.objects.get_or_create(code=code, defaults=fields)
        out[code] = calendar
    return out


def _staff(username: str) -> Staff | None:
    return Staff.objects.filter(user__username=username).first()


@transaction.atomic
def demo_commitments(progress: Callable[[str], None] | None = None) -> dict[str, int]:
    say = progress or (lambda _m: None)
    calendars = ensure_calendars()
    units = {u.code: u for u in Unit.objects.all()}
    admin = _staff("admin")
    existing = set(Commitment.objects.values_list("code", flat=True))
    now = timezone.now()
    entries = [
        e
        for e in CATALOGUE
        if e.code not in existing
        and e.owner in units
        and (not e.beneficiary_unit or e.beneficiary_unit in units)
    ]
    new = Commitment.objects.bulk_create(
        [
            Commitment(
                code=e.code,
                area=e.area,
                owner=units[e.owner],
                beneficiary=e.beneficiary,
                beneficiary_unit=units.get(e.beneficiary_unit) if e.beneficiary_unit else None,
                basis=e.basis,
                source=e.source,
                created_by=admin,
            )
            for e in entries
        ]
    )
    ids = dict(
        Commitment.objects.filter(code__in=[e.code for e in entries]).values_list("code", "pk")
    )
    history = {"cc-80-20"}
    versions = []
    for e in entries:
        fields = _version_fields(e, calendars)
        stamps = {
            "created_by": admin,
            "discussion_opened_at": now,
            "approved_at": now,
            "approved_by": admin,
        }
        if e.code in history:
            first = {**fields, "goal_percent": Decimal("70")}
            first["statement_zh"] = "70%的来电在20秒内由人工坐席接听"
            first["statement_en"] = "70% of calls reach an agent within 20 seconds"
            versions.append(
                CommitmentVersion(
                    commitment_id=ids[e.code],
                    number=1,
                    status=Status.RETIRED,
                    published_at=now - datetime.timedelta(days=365),
                    published_by=admin,
                    retired_at=now,
                    **{**stamps, "approved_at": now - datetime.timedelta(days=366)},
                    **first,
                )
            )
            versions.append(
                CommitmentVersion(
                    commitment_id=ids[e.code],
                    number=2,
                    status=Status.PUBLISHED,
                    published_at=now,
                    published_by=admin,
                    change_note="服务水平目标由70%提高到80%，与行业惯例一致 / "
                    "Service level raised from 70% to 80%, the industry convention",
                    **stamps,
                    **fields,
                )
            )
            continue
        versions.append(
            CommitmentVersion(
                commitment_id=ids[e.code],
                number=1,
                status=Status.PUBLISHED,
                published_at=now,
                published_by=admin,
                **stamps,
                **fields,
            )
        )
    CommitmentVersion.objects.bulk_create(versions)
    say(f"commitments: {len(new)} published from the catalogue")
    in_progress = _lifecycle_examples(units, calendars, admin, now)
    return {
        "calendars": len(calendars),
        "commitments": len(new) + in_progress,
        "published": Commitment.objects.filter(versions__status=Status.PUBLISHED).count(),
    }


def _lifecycle_examples(units, calendars, admin, now) -> int:
    """A tighter cash wait in discussion (branch staff commenting), a chat promise in
    discussion at the Customer Care Center, and a draft."""
    created = 0
    cash = Commitment.objects.filter(code="wait-cash").first()
    if cash is not None and not cash.versions.filter(number=2).exists():
        base = cash.versions.get(number=1)
        v2 = CommitmentVersion.objects.create(
            commitment=cash,
            number=2,
            status=Status.DISCUSSION,
            created_by=admin,
            discussion_opened_at=now - datetime.timedelta(days=2),
            change_note="等候时间由15分钟收紧至12分钟 / Waiting time tightened from 15 to 12 minutes",
            **{
                f: getattr(base, f)
                for f in (
                    "measure",
                    "start_event",
                    "stop_event",
                    "cancel_events",
                    "pause_event",
                    "resume_event",
                    "event_filter",
                    "target_unit",
                    "goal_percent",
                    "warn_percent",
                    "calendar",
                    "remedy",
                )
            },
            statement_zh="办理现金业务的客户，自取号起12分钟内叫号到柜台",
            statement_en="Customers queueing for cash are called to a counter within "
            "12 minutes of taking a ticket",
            target_value=Decimal("12"),
        )
        _comments(
            v2,
            now,
            [
                ("bm.bj", "午间高峰可以增开一个现金窗口，12分钟能做到。", True),
                ("teller.bj", "月初代发工资日人多，12分钟很难保证，建议这几天除外。", False),
                ("bm.sh", "同意，浦东支行已在试行。", True),
                ("lobby.gz", "大堂可以先引导客户用自助设备分流。", None),
            ],
        )
        created += 1
    ccc = units.get("ccc")
    if ccc is not None and not Commitment.objects.filter(code="cc-wechat-2min").exists():
        chat = Commitment.objects.create(
            code="cc-wechat-2min", area="contact_centre", owner=ccc, created_by=_staff("supervisor")
        )
        version = CommitmentVersion.objects.create(
            commitment=chat,
            number=1,
            status=Status.DISCUSSION,
            created_by=_staff("supervisor"),
            discussion_opened_at=now - datetime.timedelta(days=1),
            statement_zh="微信在线客服咨询2分钟内人工首次回复",
            statement_en="WeChat enquiries get a first reply from an agent within 2 minutes",
            measure="duration",
            start_event="request.opened",
            stop_event="request.first_response",
            event_filter={"channel": "wechat"},
            cancel_events=["request.cancelled"],
            target_value=Decimal("2"),
            target_unit="minutes",
            goal_percent=Decimal("90"),
            calendar=calendars["care-center"],
            remedy=False,
        )
        _comments(
            version,
            now,
            [
                ("agent1", "夜班只有两人在线，建议夜间放宽到5分钟。", None),
                ("agent2", "", True),
                ("agent.en", "Fine for Chinese chats; English chats may need longer.", True),
            ],
        )
        created += 1
    if ccc is not None and not Commitment.objects.filter(code="cc-web-first-4h").exists():
        mail = Commitment.objects.create(
            code="cc-web-first-4h",
            area="requests",
            owner=ccc,
            created_by=_staff("supervisor"),
        )
        CommitmentVersion.objects.create(
            commitment=mail,
            number=1,
            status=Status.DRAFT,
            created_by=_staff("supervisor"),
            statement_zh="网上留言4小时内首次回复",
            statement_en="Messages left on the website get a first reply within 4 hours",
            measure="duration",
            start_event="request.opened",
            stop_event="request.first_response",
            event_filter={"channel": "web"},
            cancel_events=["request.cancelled"],
            target_value=Decimal("4"),
            target_unit="hours",
            goal_percent=Decimal("95"),
            calendar=calendars["care-center"],
            remedy=False,
        )
        created += 1
    return created


def _comments(version, now, rows) -> None:
    staff = {s.user.username: s for s in Staff.objects.select_related("user")}
    at = now - datetime.timedelta(hours=len(rows) + 1)
    for i, (username, text, agrees) in enumerate(rows):
        member = staff.get(username)
        if member is None:
            continue
        DiscussionComment.objects.create(
            version=version,
            staff=member,
            text=text,
            agrees=agrees,
            created_at=at + datetime.timedelta(hours=i),
        )
