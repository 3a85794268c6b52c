"""A small hand-made bank for the satisfaction tests: head office over two branches and the
Customer Care Center, a few members of staff, and helpers to add touchpoints, answers, offers,
calls, cases and attainment with exact figures."""

import datetime
import uuid

from django.utils import timezone

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.commitments.models import (
    AttainmentDay,
    BusinessCalendar,
    Case,
    Commitment,
    CommitmentVersion,
)
from servicefirst.customers.models import Consent
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.dialer.models import Call, Campaign, Disposition
from servicefirst.insights.models import OfferEvent
from servicefirst.satisfaction.models import SurveyInvitation, SurveyResponse

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def org() -> dict:
    bank = BankFactory()
    hq = UnitFactory(
        bank=bank,
        code="t-hq",
        name_zh="总行",
        name_en="Head office",
        kind=Unit.Kind.HEAD_OFFICE,
        line=Unit.Line.SECOND,
    )

    def unit(code, zh, en, kind=Unit.Kind.BRANCH):
        return UnitFactory(
            bank=bank, parent=hq, code=code, name_zh=zh, name_en=en, kind=kind, line="first"
        )

    o = {
        "bank": bank,
        "hq": hq,
        "bj": unit("t-bj", "北京朝阳支行", "Beijing Chaoyang Branch"),
        "sh": unit("t-sh", "上海浦东支行", "Shanghai Pudong Branch"),
        "ccc": unit("t-ccc", "客户服务中心", "Customer Care Center", Unit.Kind.CARE_CENTER),
    }
    o["bm_bj"] = make_staff(Role.BRANCH_MANAGER, unit=o["bj"], username="bm_bj", name="王经理")
    o["teller_bj"] = make_staff(Role.TELLER, unit=o["bj"], username="teller_bj", name="张敏")
    o["teller2_bj"] = make_staff(Role.TELLER, unit=o["bj"], username="teller2_bj", name="李红")
    o["bm_sh"] = make_staff(Role.BRANCH_MANAGER, unit=o["sh"], username="bm_sh", name="陈经理")
    o["teller_sh"] = make_staff(Role.TELLER, unit=o["sh"], username="teller_sh", name="孙丽")
    o["agent"] = make_staff(Role.CC_AGENT, unit=o["ccc"], username="agent", name="吴婷")
    o["supervisor"] = make_staff(
        Role.CC_SUPERVISOR, unit=o["ccc"], username="supervisor", name="杨帆"
    )
    o["analyst"] = make_staff(Role.MARKETING_ANALYST, unit=o["hq"], username="analyst")
    return o


def customer(name="张三丰", *, branch=None, sms: bool | None = True, language="zh"):
    """A customer; `sms` True: an active SMS consent, False: a withdrawn one, None: none."""
    c = make_customer(name_zh=name, home_branch=branch, preferred_language=language)
    if sms is not None:
        Consent.objects.create(
            customer=c,
            kind=Consent.Kind.SMS,
            source="开户表格",
            withdrawn_at=None if sms else timezone.now(),
        )
    return c


_n = iter(range(1, 10**9))


def invitation(
    *,
    unit,
    staff=None,
    when: datetime.datetime,
    touchpoint="counter",
    customer=None,
    csat=None,
    nps=None,
    comment="",
    subject=None,
) -> SurveyInvitation:
    """An invitation (and its answer when `csat` is given)."""
    inv = SurveyInvitation.objects.create(
        subject=subject or f"{ {'counter': 'ticket'}.get(touchpoint, touchpoint) }:{next(_n)}",
        touchpoint=touchpoint,
        customer=customer,
        staff=staff,
        unit=unit,
        occurred_at=when,
        created_at=when,
        expires_at=when + datetime.timedelta(days=7),
        channel="sms",
        answered_at=when + datetime.timedelta(hours=1) if csat else None,
    )
    if csat:
        SurveyResponse.objects.create(
            invitation=inv,
            csat=csat,
            nps=nps,
            comment=comment,
            answered_at=when + datetime.timedelta(hours=1),
        )
    return inv


def commitment(owner, code="t-wait") -> CommitmentVersion:
    calendar, _c = BusinessCalendar.objects.get_or_create(
        code="t-24x7", defaults={"name_zh": "全天", "name_en": "24/7", "always_open": True}
    )
    c = Commitment.objects.create(code=code, area="counters", owner=owner)
    return CommitmentVersion.objects.create(
        commitment=c,
        number=1,
        status="published",
        statement_zh="15分钟内叫号",
        statement_en="Called within 15 minutes",
        measure="duration",
        start_event="floor.ticket.issued",
        stop_event="floor.ticket.called",
        target_value=15,
        target_unit="minutes",
        calendar=calendar,
    )


def case(version, *, subject, unit, staff=None, state="met", when) -> Case:
    return Case.objects.create(
        version=version,
        commitment=version.commitment,
        subject=subject,
        unit=unit,
        staff_id=staff.pk if staff else None,
        state=state,
        started_at=when - datetime.timedelta(minutes=10),
        stopped_at=when,
        breached_at=when if state == "breached" else None,
    )


def attainment(version, *, unit, day, total, met) -> AttainmentDay:
    return AttainmentDay.objects.create(
        commitment=version.commitment,
        unit=unit,
        day=day,
        total=total,
        met=met,
        breached=total - met,
    )


def offer(*, staff, customer, product_code, stage, when) -> OfferEvent:
    product = ProductFactory(code=product_code)
    return OfferEvent.objects.create(
        customer=customer,
        product=product,
        stage=stage,
        staff=staff,
        unit=staff.unit if staff else None,
        occurred_at=when,
    )


def sale_call(*, agent, customer, when, kind=Disposition.Kind.SALE) -> Call:
    from servicefirst.customers.models import Campaign as CrmCampaign

    crm, _c = CrmCampaign.objects.get_or_create(code="t-camp", defaults={"name": "Deposit"})
    campaign, _c = Campaign.objects.get_or_create(
        crm=crm, defaults={"name": "Deposit", "mode": "progressive"}
    )
    disposition, _c = Disposition.objects.get_or_create(
        campaign=campaign,
        code=kind,
        defaults={"kind": kind, "label_zh": kind, "label_en": kind},
    )
    return Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.PROGRESSIVE,
        campaign=campaign,
        customer=customer,
        phone="13800138000",
        agent=agent,
        state=Call.State.ENDED,
        outcome=Call.Outcome.ANSWERED,
        dial_key=uuid.uuid4().hex,
        created_at=when,
        dialed_at=when,
        answered_at=when,
        connected_at=when,
        ended_at=when + datetime.timedelta(minutes=3),
        disposition=disposition,
    )
