"""The lobby of the demo bank: weeks of walk-ins at each demo branch (brought in by window
displays, flyers, referrals ... some by a campaign), prospects of whom some became customers,
hand-offs to the relationship managers (some overdue), after-hours follow-ups, the customers
tellers and lobby managers recognised with the offers they made, and today's greetings.

`demo_lobby()` runs after `core.demo.demo_load()`. It is idempotent (the walk-ins carry source
"demo"; a second run only schedules today's greetings, which are idempotent themselves) and
fast (everything is bulk-created)."""

import datetime
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.customers import fields as f
from servicefirst.customers.models import (
    Campaign,
    Consent,
    Customer,
    CustomerPhone,
    CustomerTask,
    Holding,
    Interaction,
    Product,
)
from servicefirst.customers.services import customer_numbers
from servicefirst.customers.synthetic import CustomerGenerator
from servicefirst.lobby.models import FollowUp, Handoff, Recognition, WalkIn
from servicefirst.lobby.services import CONSENT_SOURCE, greetings_schedule

SOURCE = "demo"
PROSPECT_SOURCE = "lobby-demo"
BRANCHES = {"bj-cy": "bj", "sh-pd": "sh", "gz-th": "gz"}

# (code, name, channel it works through, product code)
CAMPAIGNS = (
    ("lobby-window-cd", "橱窗展示：大额存单", "window", "dep-large-cd"),
    ("lobby-flyer-bond", "社区传单：稳健债券基金", "flyer", "fund-bond"),
    ("lobby-event-pension", "养老规划讲座", "event", "ins-annuity"),
)
CHANNEL_WEIGHTS = {
    "passing": 30,
    "window": 20,
    "flyer": 18,
    "referral": 12,
    "online": 10,
    "event": 6,
    "other": 4,
}
# Chance that a prospect brought by the channel later becomes a customer.
CONVERSION = {
    "referral": 0.45,
    "event": 0.35,
    "online": 0.25,
    "window": 0.2,
    "flyer": 0.18,
    "passing": 0.1,
    "other": 0.1,
}
NEEDS = ("咨询大额存单利率", "想了解基金定投", "办理借记卡", "咨询房贷", "外币兑换", "养老理财规划")
FOLLOWUP_RESULTS = {
    "call": ("已电话回访，客户约周六面谈", "客户暂不需要，留存联系方式", "未接通，改日再联系"),
    "visit": ("已上门拜访，介绍理财产品", "拜访客户单位，介绍代发工资服务", "客户不在，留下名片"),
}
HANDOFF_NOTES = ("有大额资金到期", "关注子女教育金", "小微企业主，有贷款需求", "")

Progress = Callable[[str, int, int | None], None]


def _noop(stage: str, done: int, total: int | None) -> None:
    pass


def _aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _campaigns() -> dict[str, Campaign]:
    out = {}
    for code, name, channel, product_code in CAMPAIGNS:
        campaign, _created = Campaign.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "product": Product.objects.filter(code=product_code).first(),
                "started_on": timezone.localdate() - datetime.timedelta(days=90),
            },
        )
        out[channel] = campaign
    return out


def _staff(username: str) -> Staff | None:
    return Staff.objects.filter(user__username=username).first()


def demo_lobby(*, seed: int = 2026, days: int = 60, progress: Progress | None = None) -> dict:
    """Load the demo lobby (or find it loaded). Returns counts of what was created."""
    progress = progress or _noop
    branches = {u.code: u for u in Unit.objects.filter(code__in=BRANCHES)}
    counts: dict = {"reused": WalkIn.objects.filter(source=SOURCE).exists()}
    if branches and not counts["reused"]:
        counts.update(_generate(branches, seed=seed, days=days, progress=progress))
    progress("greetings", 0, None)
    greeted = greetings_schedule(day=timezone.localdate())
    counts["greetings_sent"] = greeted["sent"]
    return counts


@transaction.atomic
def _generate(branches: dict[str, Unit], *, seed: int, days: int, progress: Progress) -> dict:
    rng = random.Random(seed)
    campaigns = _campaigns()
    products = {p.code: p for p in Product.objects.filter(is_active=True)}
    default_product = products.get("dep-term-1y") or next(iter(products.values()), None)
    today = timezone.localdate()
    now = timezone.now()
    people = CustomerGenerator(seed=seed + 4242, external_prefix="lobby").rows(days * 40)
    taken_phones: set[str] = set()
    counts = {"walk_ins": 0, "prospects": 0, "handoffs": 0, "followups": 0}
    channels = list(CHANNEL_WEIGHTS)
    weights = list(CHANNEL_WEIGHTS.values())

    plans = []  # one dict per walk-in
    for b_index, (code, branch) in enumerate(sorted(branches.items())):
        key = BRANCHES[code]
        lobby = _staff(f"lobby.{key}")
        rms = [s for s in (_staff(f"rm.{key}"), _staff(f"rm2.{key}")) if s]
        regulars = list(
            Customer.objects.filter(
                home_branch=branch, merged_into__isnull=True, phones__isnull=False
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()[:400]
        )
        for offset in range(days, -1, -1):
            day = today - datetime.timedelta(days=offset)
            weekend = day.weekday() >= 5
            n = rng.randint(4, 9) + (3 if weekend else 0)
            if offset == 0:
                n = 4
            for _i in range(n):
                if offset == 0:
                    at = now - datetime.timedelta(minutes=rng.randint(5, 240))
                else:
                    at = _aware(day, rng.randint(9, 16), rng.randint(0, 59))
                channel = rng.choices(channels, weights)[0]
                campaign = campaigns.get(channel) if rng.random() < 0.75 else None
                kind = rng.random()
                plan = {
                    "branch": branch,
                    "lobby": lobby,
                    "rms": rms,
                    "at": at,
                    "day": timezone.localdate(at),
                    "channel": channel,
                    "campaign": campaign,
                    "need": rng.choice(NEEDS),
                    "customer_id": None,
                    "prospect": None,
                    "consent": None,
                    "b_index": b_index,
                }
                if kind < 0.22:
                    pass  # left no details
                elif kind < 0.5 and regulars:
                    plan["customer_id"] = rng.choice(regulars)
                    plan["consent"] = rng.random() < 0.8
                else:
                    person = next(people)
                    phone = (
                        f.try_phone(person["phones"].split(",")[0]) if person["phones"] else None
                    )
                    if phone is None or phone in taken_phones:
                        continue
                    taken_phones.add(phone)
                    plan["prospect"] = {
                        "name": person["name_zh"],
                        "phone": phone,
                        "company": person["employer"] if rng.random() < 0.4 else "",
                        "job_title": person["occupation"] if rng.random() < 0.4 else "",
                        "email": person["email"] if rng.random() < 0.3 else "",
                        "converts": rng.random() < CONVERSION[channel],
                    }
                    plan["consent"] = rng.random() < 0.75
                plans.append(plan)
    progress("walk-ins", 0, len(plans))

    # Phones the demo customers already use are matched, not duplicated.
    existing = dict(
        CustomerPhone.objects.filter(
            e164__in=[p["prospect"]["phone"] for p in plans if p["prospect"]]
        ).values_list("e164", "customer_id")
    )
    prospects = [p for p in plans if p["prospect"] and p["prospect"]["phone"] not in existing]
    for p in plans:
        if p["prospect"] and p["prospect"]["phone"] in existing:
            p["customer_id"] = existing[p["prospect"]["phone"]]
            p["prospect"] = None
    numbers = customer_numbers(len(prospects))
    new_customers = []
    for number, p in zip(numbers, prospects, strict=True):
        info = p["prospect"]
        full, initials = f.pinyin_keys(info["name"], "")
        handoff = bool(p["consent"]) and p["rms"] and rng.random() < 0.45
        p["handoff_to"] = rng.choice(p["rms"]) if handoff else None
        new_customers.append(
            Customer(
                number=number,
                name_zh=info["name"],
                pinyin_full=full,
                pinyin_initials=initials,
                email=info["email"],
                employer=info["company"],
                occupation=info["job_title"],
                home_branch=p["branch"],
                relationship_manager=p["handoff_to"],
                lifecycle=Customer.Lifecycle.CURRENT
                if info["converts"]
                else Customer.Lifecycle.POTENTIAL,
                lifecycle_reason=f"大堂来访：{p['branch'].name_zh}",
                source=PROSPECT_SOURCE,
                source_key=number,
            )
        )
    Customer.objects.bulk_create(new_customers, batch_size=1000)
    for customer, p in zip(new_customers, prospects, strict=True):
        p["customer_id"] = customer.pk
    CustomerPhone.objects.bulk_create(
        [
            CustomerPhone(customer=c, e164=p["prospect"]["phone"], is_primary=True)
            for c, p in zip(new_customers, prospects, strict=True)
        ],
        batch_size=1000,
    )
    holdings = []
    for p in prospects:
        if p["prospect"]["converts"] and default_product is not None:
            product = (p["campaign"].product if p["campaign"] else None) or default_product
            opened = min(today, p["day"] + datetime.timedelta(days=rng.randint(0, 20)))
            holdings.append(
                Holding(
                    customer_id=p["customer_id"],
                    product=product,
                    balance=rng.choice([20_000, 50_000, 100_000, 300_000]),
                    opened_on=opened,
                    source=SOURCE,
                )
            )
    Holding.objects.bulk_create(holdings, batch_size=1000)

    consented = {p["customer_id"]: p["at"] for p in plans if p["consent"] and p["customer_id"]}
    have_consent = set(
        Consent.objects.filter(
            customer_id__in=consented, kind=Consent.Kind.MARKETING, withdrawn_at__isnull=True
        ).values_list("customer_id", flat=True)
    )
    Consent.objects.bulk_create(
        [
            Consent(
                customer_id=cid, kind=Consent.Kind.MARKETING, granted_at=at, source=CONSENT_SOURCE
            )
            for cid, at in consented.items()
            if cid not in have_consent
        ],
        batch_size=1000,
    )

    walk_ins = [
        WalkIn(
            branch=p["branch"],
            registered_by=p["lobby"],
            at=p["at"],
            day=p["day"],
            customer_id=p["customer_id"],
            created_prospect=p["prospect"] is not None,
            name=p["prospect"]["name"] if p["prospect"] else "",
            phone=p["prospect"]["phone"] if p["prospect"] else "",
            company=p["prospect"]["company"] if p["prospect"] else "",
            job_title=p["prospect"]["job_title"] if p["prospect"] else "",
            email=p["prospect"]["email"] if p["prospect"] else "",
            need_text=p["need"],
            channel=p["channel"],
            campaign=p["campaign"],
            consent=p["consent"],
            outcome=WalkIn.Outcome.HANDED_OFF if p.get("handoff_to") else WalkIn.Outcome.MET,
            source=SOURCE,
        )
        for p in plans
    ]
    WalkIn.objects.bulk_create(walk_ins, batch_size=1000)
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer_id=p["customer_id"],
                kind=Interaction.Kind.VISIT,
                occurred_at=p["at"],
                channel=Customer.Channel.BRANCH,
                staff=p["lobby"],
                unit=p["branch"],
                campaign=p["campaign"],
                summary=f"大堂来访（{w.get_channel_display()}）：{p['need']}",
                detail={"walk_in": w.pk, "branch": p["branch"].pk, "channel": p["channel"]},
            )
            for p, w in zip(plans, walk_ins, strict=True)
            if p["customer_id"]
        ],
        batch_size=1000,
    )
    counts["walk_ins"] = len(walk_ins)
    counts["prospects"] = len(prospects)
    progress("walk-ins", len(plans), len(plans))

    # Hand-offs: due two to five days after the visit; past ones mostly closed, some overdue.
    handoffs, tasks = [], []
    for p, w in zip(plans, walk_ins, strict=True):
        rm = p.get("handoff_to")
        if rm is None:
            continue
        due = p["day"] + datetime.timedelta(days=rng.randint(2, 5))
        # Most are closed in time; a few recent ones are still waiting (overdue).
        closed = due < today and rng.random() < (0.97 if (today - due).days > 10 else 0.6)
        converts = p["prospect"]["converts"]
        outcome = (
            (Handoff.Outcome.CUSTOMER if converts else rng.choice(["met", "not_interested"]))
            if closed
            else ""
        )
        tasks.append(
            CustomerTask(
                customer_id=p["customer_id"],
                title="大堂转介：" + p["need"],
                due_on=due,
                assigned_to=rm,
                status=CustomerTask.Status.DONE if closed else CustomerTask.Status.OPEN,
            )
        )
        handoffs.append(
            Handoff(
                branch=p["branch"],
                walk_in=w,
                customer_id=p["customer_id"],
                assigned_to=rm,
                created_by=p["lobby"],
                created_at=p["at"] + datetime.timedelta(minutes=10),
                due_on=due,
                note=rng.choice(HANDOFF_NOTES),
                status=Handoff.Status.DONE if closed else Handoff.Status.OPEN,
                outcome=outcome,
                done_at=_aware(min(due, today), 17) if closed else None,
            )
        )
    CustomerTask.objects.bulk_create(tasks, batch_size=1000)
    for handoff, task in zip(handoffs, tasks, strict=True):
        handoff.task = task
    Handoff.objects.bulk_create(handoffs, batch_size=1000)
    counts["handoffs"] = len(handoffs)

    # After-hours follow-ups for some visitors who agreed to be contacted.
    followups = []
    for p, w in zip(plans, walk_ins, strict=True):
        if not (p["consent"] and p["customer_id"]) or p.get("handoff_to") or rng.random() > 0.2:
            continue
        due = _aware(p["day"] + datetime.timedelta(days=rng.randint(1, 3)), 18, 30)
        done = due < now and rng.random() < (0.97 if (now - due).days > 7 else 0.7)
        kind = rng.choice(["call", "call", "visit"])
        followups.append(
            FollowUp(
                branch=p["branch"],
                customer_id=p["customer_id"],
                walk_in=w,
                kind=kind,
                due_at=due,
                assigned_to=p["lobby"] if rng.random() < 0.5 or not p["rms"] else p["rms"][0],
                created_by=p["lobby"],
                created_at=p["at"],
                note=p["need"],
                status=FollowUp.Status.DONE if done else FollowUp.Status.OPEN,
                result=rng.choice(FOLLOWUP_RESULTS[kind]) if done else "",
                done_at=due + datetime.timedelta(minutes=20) if done else None,
            )
        )
    FollowUp.objects.bulk_create([fu for fu in followups if fu.assigned_to_id], batch_size=1000)
    counts["followups"] = len(followups)

    counts.update(_recognitions_and_offers(rng, branches, days, products, progress))
    return counts


def _recognitions_and_offers(rng, branches, days, products, progress) -> dict:
    """Tellers and lobby managers recognise regular customers of their branch day after day,
    and offer them products; some of those offers are bought later."""
    from servicefirst.insights.models import OfferEvent

    today = timezone.localdate()
    offerable = [p for p in products.values() if p.category in ("deposit", "fund", "wealth")]
    recognitions, offers = [], []
    for code, branch in branches.items():
        key = BRANCHES[code]
        regulars = list(
            Customer.objects.filter(home_branch=branch, merged_into__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:150]
        )
        if not regulars:
            continue
        for username, per_day, offer_share in ((f"teller.{key}", 5, 0.4), (f"lobby.{key}", 3, 0.2)):
            staff = _staff(username)
            if staff is None:
                continue
            # Each member of staff knows a part of the regulars, some better than others.
            known = rng.sample(regulars, k=min(len(regulars), rng.randint(40, 90)))
            for offset in range(days, -1, -1):
                day = today - datetime.timedelta(days=offset)
                if day.weekday() >= 5 and rng.random() < 0.5:
                    continue
                for customer_id in rng.sample(known, k=min(per_day, len(known))):
                    at = _aware(day, rng.randint(9, 16), rng.randint(0, 59))
                    recognitions.append(
                        Recognition(
                            staff=staff, customer_id=customer_id, branch=branch, at=at, day=day
                        )
                    )
                    if offerable and rng.random() < offer_share:
                        product = rng.choice(offerable)
                        offers.append(
                            OfferEvent(
                                customer_id=customer_id,
                                product=product,
                                stage="offered",
                                channel="branch",
                                staff=staff,
                                unit=branch,
                                occurred_at=at,
                            )
                        )
                        if rng.random() < 0.25:
                            bought_day = day + datetime.timedelta(days=rng.randint(0, 10))
                            if bought_day <= today:
                                offers.append(
                                    OfferEvent(
                                        customer_id=customer_id,
                                        product=product,
                                        stage="bought",
                                        channel="branch",
                                        staff=None,
                                        unit=branch,
                                        occurred_at=_aware(bought_day, 15),
                                    )
                                )
    Recognition.objects.bulk_create(recognitions, batch_size=2000, ignore_conflicts=True)
    OfferEvent.objects.bulk_create(offers, batch_size=2000)
    progress("recognitions", len(recognitions), len(recognitions))
    return {"recognitions": len(recognitions), "offers": len(offers)}
