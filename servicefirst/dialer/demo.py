"""The demo bank's contact centre: two running campaigns at the Customer Care Center, the call
lists built from customers who agreed to phone calls and marketing, the centre's agents on
them, and a floor of simulated ("robot") agents that the dialer process drives, so that the
supervisor's board is alive as soon as `make demo` starts. Inbound history: February 1999 of a
real bank call centre, when the data file is present (its licence keeps it out of the
repository; see `servicefirst/staffing/history.py`).

Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db.models import Exists, OuterRef

from servicefirst.accounts.models import Role, Staff, Unit
from servicefirst.accounts.services import staff_create
from servicefirst.customers.models import Consent, Customer, CustomerPhone
from servicefirst.dialer import campaigns, lists
from servicefirst.dialer.models import AgentState, Call, Campaign

ROBOTS = 12
ROBOT_PREFIX = "sim.agent"
HUMAN_AGENTS = ("agent1", "agent2", "agent3", "agent.en")

CAMPAIGNS = (
    {
        "name": "一年期定期存款到期续存 · One-year deposit renewal",
        "purpose": "提醒到期客户续存并介绍一年期定期存款。Remind customers whose deposits mature "
        "to renew, and present the one-year term deposit.",
        "script": "您好，我是先服银行客户服务中心的{agent}。请问是{customer}吗？"
        "您在我行的定期存款即将到期，想了解一下您的续存安排……\n\n"
        "Good day, this is {agent} from ServiceFirst Bank's Customer Care Center. "
        "May I speak with {customer}? Your term deposit with us matures soon; may I ask "
        "how you would like to renew it?",
        "product": "dep-term-1y",
        "mode": "predictive",
        "list_size": 4000,
        "robots": True,
    },
    {
        "name": "白金信用卡邀约 · Platinum card invitation",
        "purpose": "邀请符合条件的客户申领白金信用卡。Invite eligible customers to apply for "
        "the platinum credit card.",
        "script": "您好，我是先服银行的{agent}。根据您的用卡情况，您可以免年费升级白金信用卡……\n\n"
        "Hello, this is {agent} from ServiceFirst Bank. Based on how you use your card, "
        "you can upgrade to our platinum card with no annual fee…",
        "product": "card-credit-platinum",
        "mode": "preview",
        "list_size": 300,
        "robots": False,
    },
)


def _noop(stage: str, done: int, total: int | None) -> None:
    pass


def _care_center() -> Unit | None:
    return Unit.objects.filter(kind=Unit.Kind.CARE_CENTER).order_by("code").first()


def _robots(unit: Unit) -> list[Staff]:
    out = []
    for n in range(1, ROBOTS + 1):
        username = f"{ROBOT_PREFIX}{n:02d}"
        staff = Staff.objects.filter(user__username=username).first()
        if staff is None:
            staff = staff_create(
                username=username,
                password=secrets.token_urlsafe(24),
                name=f"模拟坐席 {n:02d}",
                employee_number=f"S{n:05d}",
                unit=unit,
                roles=[Role.CC_AGENT],
                languages=["zh"],
            )
            user = staff.user
            user.set_unusable_password()  # simulated: driven by the dialer, never logs in
            user.save(update_fields=["password"])
        out.append(staff)
    return out


def _callable_customers(limit: int, *, skip: set[int]) -> list[int]:
    active = {"withdrawn_at__isnull": True, "customer": OuterRef("pk")}
    ids = (
        Customer.objects.filter(merged_into__isnull=True, do_not_call=False)
        .filter(Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"))))
        .filter(Exists(Consent.objects.filter(kind=Consent.Kind.PHONE, **active)))
        .filter(Exists(Consent.objects.filter(kind=Consent.Kind.MARKETING, **active)))
        .exclude(pk__in=skip)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(ids[:limit])


def demo_contact_centre(progress=None) -> dict[str, int]:
    progress = progress or _noop
    unit = _care_center()
    supervisor = Staff.objects.filter(user__username="supervisor").select_related("user").first()
    if unit is None or supervisor is None:
        return {}
    counts: dict[str, int] = {}
    robots = _robots(unit)
    humans = list(Staff.objects.filter(user__username__in=HUMAN_AGENTS))
    taken: set[int] = set(
        Campaign.objects.values_list("entries__customer_id", flat=True).exclude(
            entries__customer_id=None
        )
    )
    for spec in CAMPAIGNS:
        progress("Contact centre: campaigns and call lists", 0, None)
        campaign = Campaign.objects.filter(name=spec["name"]).first()
        if campaign is None:
            agents = humans + (robots if spec["robots"] else [])
            campaign = campaigns.campaign_create(
                actor=supervisor.user,
                data={
                    "name": spec["name"],
                    "purpose": spec["purpose"],
                    "script": spec["script"],
                    "product": spec["product"],
                    "unit": unit.pk,
                    "mode": spec["mode"],
                    "agents": [a.pk for a in agents],
                },
            )
            ids = _callable_customers(spec["list_size"], skip=taken)
            taken.update(ids)
            if ids:
                result = lists.entries_add_customers(
                    actor=supervisor.user, campaign_id=campaign.pk, customer_ids=ids
                )
                counts["call_list_entries"] = counts.get("call_list_entries", 0) + result.added
            campaigns.campaign_set_status(
                actor=supervisor.user, campaign_id=campaign.pk, action="start"
            )
            counts["campaigns"] = counts.get("campaigns", 0) + 1
        if spec["robots"]:
            for robot in robots:
                AgentState.objects.update_or_create(
                    staff=robot,
                    defaults={
                        "status": AgentState.Status.READY,
                        "campaign": campaign,
                        "takes_inbound": False,
                        "languages": ["zh"],
                        "phone_uri": f"sim:robot:{robot.user.username}",
                    },
                )
    history = _inbound_history(progress)
    if history:
        counts["inbound_history_calls"] = history
    return counts


def _inbound_history(progress) -> int:
    from servicefirst.staffing import history

    if not getattr(settings, "DEMO_INBOUND_HISTORY", True):
        return 0
    path = history.default_file()
    if not path.exists() or Call.objects.filter(source__startswith="import:").exists():
        return 0
    result = history.import_inbound_history(
        path, progress=lambda done, total: progress("Inbound call history", done, total)
    )
    return result.created
