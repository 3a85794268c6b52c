"""The demo bank: 先服银行 / ServiceFirst Bank, loaded by `servicefirst demo`.

Three branches, the Customer Care Center and the second-line units; staff in every role with
one shared demo password; a product catalogue; synthetic Chinese customers written to a CSV
under var/ and imported through the real importer, plus every row of the UCI bank
telemarketing file through its built-in mapping; then, for the synthetic customers, holdings
that add up to their AUM band, consents, household links, two years of interactions, open
tasks.

Every stage is idempotent: the organisation, staff and products are matched by code or login,
imports upsert on their stable keys (and are skipped when already complete), and the
enrichment runs once (its holdings carry source "demo"). A second run reuses the bank and
prints the logins again.
"""

import csv
import datetime
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from servicefirst.accounts.models import Bank, Role, Staff, Unit
from servicefirst.accounts.services import staff_create
from servicefirst.customers.models import (
    Consent,
    Customer,
    CustomerTask,
    Holding,
    HouseholdLink,
    Interaction,
    Product,
)
from servicefirst.customers.synthetic import CUSTOMER_COLUMNS, CustomerGenerator

BANK_CODE = "sfb-demo"
DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed on purpose: it is the demo's shared login
SYNTHETIC_SOURCE = "import"  # the "customers" mapping's source; keys start with EXTERNAL_PREFIX
EXTERNAL_PREFIX = "demo"
UCI_SOURCE = "uci-bank-marketing"


def uci_file() -> Path:
    """The UCI bank telemarketing file: settings.DATASETS_DIR, else the copy shipped in the
    repository's datasets/ folder (CC BY 4.0, credited in datasets/README.md)."""
    base = settings.DATASETS_DIR
    return Path(base) / "bank-marketing" / "bank-additional-train.csv"


UCI_ROWS = 36_000
HOLDING_SOURCE = "demo"

# (code, name_zh, name_en, kind, line, address, phone)
# fmt: off
UNITS = (
    ("hq", "先服银行总行", "ServiceFirst Bank head office", "head_office", "second", "北京市西城区金融大街 18 号", "010-66180000"),
    ("bj-cy", "北京朝阳支行", "Beijing Chaoyang sub-branch", "branch", "first", "北京市朝阳区建国路 88 号", "010-85990001"),
    ("sh-pd", "上海浦东支行", "Shanghai Pudong sub-branch", "branch", "first", "上海市浦东新区世纪大道 1200 号", "021-58880002"),
    ("gz-th", "广州天河支行", "Guangzhou Tianhe sub-branch", "branch", "first", "广州市天河区天河路 385 号", "020-38880003"),
    ("ccc", "客户服务中心", "Customer Care Center", "care_center", "first", "上海市浦东新区张杨路 500 号", "95500"),
    ("ops", "运营管理部", "Operations", "operations", "second", "", ""),
    ("cards", "信用卡中心", "Cards centre", "cards", "second", "", ""),
    ("loans", "个人信贷部", "Personal loans", "loans", "second", "", ""),
    ("it", "信息科技部", "Information technology", "it", "second", "", ""),
    ("wealth", "财富管理部", "Wealth management", "wealth", "second", "", ""),
    ("compliance", "合规部", "Compliance", "compliance", "second", "", ""),
    ("marketing", "市场营销部", "Marketing", "marketing", "second", "", ""),
)
# fmt: on
BRANCH_KEYS = {"bj": "bj-cy", "sh": "sh-pd", "gz": "gz-th"}

# (username, name, employee number, unit, roles, languages, ui language)
# fmt: off
STAFF = (
    ("admin", "周建华", "E1001", "it", [Role.ADMINISTRATOR], ["zh", "en"], "zh-hans"),
    ("bm.bj", "王志强", "E1101", "bj-cy", [Role.BRANCH_MANAGER], ["zh", "en"], "zh-hans"),
    ("lobby.bj", "李娜", "E1102", "bj-cy", [Role.LOBBY_MANAGER], ["zh"], "zh-hans"),
    ("teller.bj", "张敏", "E1103", "bj-cy", [Role.TELLER], ["zh"], "zh-hans"),
    ("rm.bj", "刘洋", "E1104", "bj-cy", [Role.RELATIONSHIP_MANAGER], ["zh", "en"], "zh-hans"),
    ("rm2.bj", "赵雪", "E1105", "bj-cy", [Role.RELATIONSHIP_MANAGER], ["zh", "ja"], "zh-hans"),
    ("bm.sh", "陈国平", "E1201", "sh-pd", [Role.BRANCH_MANAGER], ["zh", "en"], "zh-hans"),
    ("lobby.sh", "徐静", "E1202", "sh-pd", [Role.LOBBY_MANAGER], ["zh"], "zh-hans"),
    ("teller.sh", "孙丽", "E1203", "sh-pd", [Role.TELLER], ["zh"], "zh-hans"),
    ("rm.sh", "朱浩然", "E1204", "sh-pd", [Role.RELATIONSHIP_MANAGER], ["zh", "en"], "zh-hans"),
    ("rm2.sh", "沈佳怡", "E1205", "sh-pd", [Role.RELATIONSHIP_MANAGER], ["zh"], "zh-hans"),
    ("bm.gz", "黄伟明", "E1301", "gz-th", [Role.BRANCH_MANAGER], ["zh", "yue", "en"], "zh-hans"),
    ("lobby.gz", "梁嘉欣", "E1302", "gz-th", [Role.LOBBY_MANAGER], ["zh", "yue"], "zh-hans"),
    ("teller.gz", "陈晓彤", "E1303", "gz-th", [Role.TELLER], ["zh", "yue"], "zh-hans"),
    ("rm.gz", "何俊杰", "E1304", "gz-th", [Role.RELATIONSHIP_MANAGER], ["zh", "yue"], "zh-hans"),
    ("rm2.gz", "林诗琪", "E1305", "gz-th", [Role.RELATIONSHIP_MANAGER], ["zh", "yue", "en"], "zh-hans"),
    ("agent1", "吴婷", "E2001", "ccc", [Role.CC_AGENT], ["zh"], "zh-hans"),
    ("agent2", "郑凯", "E2002", "ccc", [Role.CC_AGENT], ["zh", "yue"], "zh-hans"),
    ("agent3", "高桥由纪", "E2003", "ccc", [Role.CC_AGENT], ["zh", "ja"], "zh-hans"),
    ("agent.en", "Emily Chen", "E2004", "ccc", [Role.CC_AGENT], ["en", "zh"], "en"),
    ("supervisor", "杨帆", "E2101", "ccc", [Role.CC_SUPERVISOR], ["zh", "en"], "zh-hans"),
    ("analyst", "郭欣怡", "E3001", "marketing", [Role.MARKETING_ANALYST], ["zh", "en"], "zh-hans"),
    ("backoffice", "马军", "E4001", "ops", [Role.BACK_OFFICE], ["zh"], "zh-hans"),
    ("cards.officer", "罗敏", "E4101", "cards", [Role.BACK_OFFICE], ["zh"], "zh-hans"),
    ("loans.officer", "谢斌", "E4201", "loans", [Role.BACK_OFFICE], ["zh"], "zh-hans"),
    ("wealth.officer", "宋雅", "E4301", "wealth", [Role.BACK_OFFICE], ["zh", "en"], "zh-hans"),
    ("auditor", "韩磊", "E5001", "compliance", [Role.COMPLIANCE_AUDITOR], ["zh", "en"], "zh-hans"),
)
# fmt: on

# (code, name_zh, name_en, category, risk level, minimum amount, flagship, launched)
# fmt: off
PRODUCTS = (
    ("dep-current", "活期储蓄", "Current savings", "deposit", 1, 0, False, "2010-01-01"),
    ("dep-term-1y", "一年期定期存款", "One-year term deposit", "deposit", 1, 50, True, "2010-01-01"),
    ("dep-term-3y", "三年期定期存款", "Three-year term deposit", "deposit", 1, 50, False, "2010-01-01"),
    ("dep-large-cd", "大额存单", "Large certificate of deposit", "deposit", 1, 200000, True, "2016-06-01"),
    ("fund-money", "先服货币基金", "ServiceFirst money-market fund", "fund", 1, 1, False, "2014-03-01"),
    ("fund-bond", "稳健债券基金", "Steady bond fund", "fund", 2, 1000, False, "2017-05-01"),
    ("fund-balanced", "平衡混合基金", "Balanced mixed fund", "fund", 3, 1000, False, "2018-09-01"),
    ("fund-csi300", "沪深300指数基金", "CSI 300 index fund", "fund", 4, 1000, True, "2019-01-15"),
    ("fund-tech", "科技成长股票基金", "Technology growth equity fund", "fund", 5, 1000, False, "2021-03-01"),
    ("card-debit", "先服借记卡", "ServiceFirst debit card", "card", 1, 0, False, "2010-01-01"),
    ("card-credit-gold", "金卡信用卡", "Gold credit card", "card", 1, 0, False, "2012-01-01"),
    ("card-credit-platinum", "白金信用卡", "Platinum credit card", "card", 1, 0, True, "2015-01-01"),
    ("loan-mortgage", "个人住房贷款", "Home mortgage", "loan", 1, 100000, True, "2010-01-01"),
    ("loan-consumer", "个人消费贷款", "Personal consumer loan", "loan", 1, 10000, False, "2016-01-01"),
    ("loan-business", "个体经营贷款", "Small-business loan", "loan", 1, 50000, False, "2018-01-01"),
    ("ins-critical", "重大疾病保险", "Critical-illness insurance", "insurance", 1, 3000, False, "2015-01-01"),
    ("ins-annuity", "养老年金保险", "Retirement annuity", "insurance", 2, 10000, True, "2019-01-01"),
    ("ins-education", "少儿教育金保险", "Children's education insurance", "insurance", 2, 5000, False, "2017-01-01"),
    ("wm-stable-90d", "先服稳盈90天理财", "ServiceFirst Steady 90-day wealth product", "wealth", 2, 10000, True, "2020-01-01"),
    ("wm-enhanced", "增强收益理财", "Enhanced-yield wealth product", "wealth", 3, 50000, False, "2021-01-01"),
    ("wm-private-equity", "私行专享权益理财", "Private-banking equity mandate", "wealth", 5, 1000000, False, "2022-01-01"),
)
# fmt: on

AUM_RANGES = {
    "lt50k": (1_000, 50_000),
    "50k-500k": (50_000, 500_000),
    "500k-6m": (500_000, 6_000_000),
    "gt6m": (6_000_000, 30_000_000),
}
CONSENT_SOURCES = (
    "开户申请表",
    "手机银行授权",
    "电话银行录音确认",
    "网点营销活动登记表",
    "微信银行授权",
)
WITHDRAWAL_SOURCES = ("客户来电要求", "手机银行取消授权", "网点书面申请")
COMPLAINTS = (
    ("ATM 吞卡，等待三天未处理", "resolved"),
    ("理财产品收益低于宣传的业绩比较基准", "resolved"),
    ("信用卡年费扣收有争议", "resolved"),
    ("网点排队时间过长", "resolved"),
    ("营销电话过于频繁", "resolved"),
    ("手机银行转账失败但已扣款", "open"),
    ("大额取现预约未被执行", "open"),
)
VISITS = (
    "办理定期存款",
    "咨询理财产品",
    "更换借记卡",
    "修改预留手机号",
    "开立账户",
    "领取存折",
    "大额取现",
)
CALLS = (
    "查询信用卡账单",
    "挂失借记卡",
    "咨询贷款利率",
    "修改账单地址",
    "查询理财到期日",
    "咨询外币兑换",
)
NOTES = (
    "客户关注子女教育金规划",
    "客户计划明年购房，关注房贷利率",
    "客户对权益类产品兴趣较大",
    "建议配置养老年金",
    "客户偏好线下面谈，周末方便",
)


@dataclass
class Login:
    username: str
    password: str
    name: str
    roles: list[str]
    unit: str
    languages: list[str]
    ui_language: str


@dataclass
class DemoResult:
    bank: Bank
    logins: list[Login]
    reused: bool
    customers: int
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int, int | None], None]


def _noop(stage: str, done: int, total: int | None) -> None:
    pass


def demo_loaded() -> bool:
    """Whether the demo bank has been loaded completely (its enrichment is the last stage)."""
    return Holding.objects.filter(source=HOLDING_SOURCE).exists()


# --- organisation, staff, products -----------------------------------------------------------


@transaction.atomic
def _organisation() -> tuple[Bank, dict[str, Unit]]:
    bank, _created = Bank.objects.get_or_create(
        code=BANK_CODE, defaults={"name_zh": "先服银行", "name_en": "ServiceFirst Bank"}
    )
    units: dict[str, Unit] = {}
    hq = None
    for code, name_zh, name_en, kind, line, address, phone in UNITS:
        unit, _created = Unit.objects.get_or_create(
            code=code,
            defaults={
                "bank": bank,
                "parent": hq,
                "name_zh": name_zh,
                "name_en": name_en,
                "kind": kind,
                "line": line,
                "address": address,
                "phone": phone,
            },
        )
        units[code] = unit
        if code == "hq":
            hq = unit
    return bank, units


def _staff(units: dict[str, Unit]) -> list[Login]:
    logins = []
    existing = set(Staff.objects.values_list("user__username", flat=True))
    created = []
    for username, name, number, unit, roles, languages, ui in STAFF:
        if username not in existing:
            staff_create(
                username=username,
                password=None,
                name=name,
                employee_number=number,
                unit=units[unit],
                roles=list(roles),
                languages=languages,
                ui_language=ui,
            )
            created.append(username)
        logins.append(
            Login(
                username=username,
                password=DEMO_PASSWORD,
                name=name,
                roles=[str(r) for r in roles],
                unit=units[unit].name_zh,
                languages=languages,
                ui_language=ui,
            )
        )
    if created:
        # One hash for the shared demo password (hashing it 27 times takes seconds).
        get_user_model().objects.filter(username__in=created).update(
            password=make_password(DEMO_PASSWORD)
        )
    return logins


@transaction.atomic
def _products() -> dict[str, Product]:
    products = {}
    for code, zh, en, category, risk, minimum, flagship, launched in PRODUCTS:
        products[code], _created = Product.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "category": category,
                "risk_level": risk,
                "min_amount": Decimal(minimum),
                "is_flagship": flagship,
                "launched_on": datetime.date.fromisoformat(launched),
            },
        )
    return products


# --- customers through the importer ----------------------------------------------------------


def _generator(seed: int) -> CustomerGenerator:
    rms: dict[str, list[str]] = defaultdict(list)
    for _u, _n, number, unit, roles, _l, _ui in STAFF:
        if Role.RELATIONSHIP_MANAGER in roles:
            rms[unit].append(number)
    return CustomerGenerator(
        seed, branches=BRANCH_KEYS, relationship_managers=dict(rms), external_prefix=EXTERNAL_PREFIX
    )


def _import(path: Path, mapping: str, stage: str, total: int, progress: Progress):
    from servicefirst.customers.importing import import_customers

    def report(done: int, _total: int) -> None:
        progress(stage, done, total)

    result = import_customers(actor=None, path=path, mapping=mapping, progress=report)
    if getattr(result, "rejected", False):
        errors = list(getattr(result, "errors", []))[:5]
        raise RuntimeError(f"The demo import of {path.name} was rejected: {errors}")
    progress(stage, total, total)
    return result


def _import_synthetic(n: int, seed: int, var_dir: Path, progress: Progress) -> int:
    have = Customer.objects.filter(
        source=SYNTHETIC_SOURCE, source_key__startswith=f"{EXTERNAL_PREFIX}-"
    ).count()
    if have >= n:
        return 0
    path = var_dir / "demo" / f"demo-customers-{n}-{seed}.csv"
    if not path.exists():
        progress("Writing synthetic customers", 0, n)
        generator = _generator(seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CUSTOMER_COLUMNS)
            for i, row in enumerate(generator.rows(n), 1):
                writer.writerow([row[c] for c in CUSTOMER_COLUMNS])
                if i % 5000 == 0:
                    progress("Writing synthetic customers", i, n)
        tmp.replace(path)
        progress("Writing synthetic customers", n, n)
    _import(path, "customers", "Importing synthetic customers", n, progress)
    return n


def _import_uci(rows: int | None, var_dir: Path, progress: Progress) -> int:
    total = UCI_ROWS if rows is None else min(rows, UCI_ROWS)
    if total <= 0 or Customer.objects.filter(source=UCI_SOURCE).count() >= total:
        return 0
    source = uci_file()
    if not source.exists():
        raise FileNotFoundError(
            f"The bank telemarketing file is not at {source}: set DATASETS_DIR in the settings "
            "to the folder holding bank-marketing/, or load the demo with --skip-uci."
        )
    path = source
    if total < UCI_ROWS:
        # The first `total` data lines, byte for byte (semicolons, quotes, CRLF).
        path = var_dir / "demo" / f"uci-first-{total}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, path.open("wb") as dst:
            for i, line in enumerate(src):
                if i > total:
                    break
                dst.write(line)
    _import(path, UCI_SOURCE, "Importing the bank telemarketing file", total, progress)
    return total


# --- enrichment of the synthetic customers ---------------------------------------------------


def _amount(rng: random.Random, low: float, high: float) -> Decimal:
    """Log-uniform between low and high, rounded to yuan."""
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return Decimal(int(value))


def _holdings_for(rng, customer, products, today) -> list[Holding]:
    """Holdings whose deposit, fund, wealth and insurance balances add up to a sum inside the
    customer's AUM band; cards and loans come on top."""
    if customer.lifecycle != Customer.Lifecycle.CURRENT:
        if customer.lifecycle == Customer.Lifecycle.FORMER:
            opened = today - datetime.timedelta(days=rng.randint(900, 3000))
            return [
                Holding(
                    customer=customer,
                    product=products["dep-current"],
                    balance=Decimal(0),
                    opened_on=opened,
                    closed_on=opened + datetime.timedelta(days=rng.randint(300, 800)),
                    status=Holding.Status.CLOSED,
                    source=HOLDING_SOURCE,
                )
            ]
        return []
    low, high = AUM_RANGES[customer.aum_band]
    aum = _amount(rng, low, high * 0.98)
    appetite = int(customer.risk_appetite[1]) if customer.risk_appetite else 1
    # Split the AUM: current account share, then products the risk appetite allows.
    choices = [p for p in ("dep-term-1y", "dep-term-3y", "fund-money") if p in products]
    if aum >= 200_000:
        choices.append("dep-large-cd")
    choices += [
        p.code
        for p in products.values()
        if p.category in ("fund", "wealth", "insurance")
        and 1 < p.risk_level <= appetite
        and p.min_amount <= aum / 3
    ]
    picked = rng.sample(choices, k=min(len(choices), rng.randint(0, 3)))
    weights = [rng.random() + 0.2 for _ in picked]
    current_share = Decimal(str(round(rng.uniform(0.1, 0.5) if picked else 1.0, 3)))
    current = (aum * current_share).quantize(Decimal("1"))
    rest = aum - current
    holdings = []

    def opened():
        return today - datetime.timedelta(days=rng.randint(30, 3650))

    holdings.append(
        Holding(
            customer=customer,
            product=products["dep-current"],
            balance=current,
            opened_on=opened(),
            source=HOLDING_SOURCE,
        )
    )
    total_weight = sum(weights) or 1
    allotted = Decimal(0)
    for i, (code, weight) in enumerate(zip(picked, weights, strict=True)):
        if i == len(picked) - 1:
            balance = rest - allotted
        else:
            balance = (rest * Decimal(str(weight / total_weight))).quantize(Decimal("1"))
        allotted += balance
        holdings.append(
            Holding(
                customer=customer,
                product=products[code],
                balance=balance,
                opened_on=opened(),
                source=HOLDING_SOURCE,
            )
        )
    holdings.append(
        Holding(
            customer=customer,
            product=products["card-debit"],
            balance=Decimal(0),
            opened_on=opened(),
            source=HOLDING_SOURCE,
        )
    )
    age = customer.age or 40
    if 22 <= age <= 65 and rng.random() < 0.45:
        card = (
            "card-credit-platinum"
            if customer.value_tier in ("wealth", "private")
            else "card-credit-gold"
        )
        holdings.append(
            Holding(
                customer=customer,
                product=products[card],
                balance=_amount(rng, 200, 30_000),
                opened_on=opened(),
                source=HOLDING_SOURCE,
            )
        )
    if 28 <= age <= 55 and rng.random() < 0.22:
        holdings.append(
            Holding(
                customer=customer,
                product=products["loan-mortgage"],
                balance=_amount(rng, 300_000, 3_000_000),
                opened_on=opened(),
                source=HOLDING_SOURCE,
            )
        )
    elif customer.work_nature in ("self_employed", "business_owner") and rng.random() < 0.3:
        holdings.append(
            Holding(
                customer=customer,
                product=products["loan-business"],
                balance=_amount(rng, 50_000, 800_000),
                opened_on=opened(),
                source=HOLDING_SOURCE,
            )
        )
    return holdings


def _aware(day: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(day) if timezone.is_naive(day) else day


@transaction.atomic
def _enrich(seed: int, n: int, progress: Progress) -> dict[str, int]:
    """Holdings, consents, households, interactions and tasks for the synthetic customers."""
    stage = "Holdings, consents, households, timelines"
    rng = random.Random(seed + 1)
    products = {p.code: p for p in Product.objects.all()}
    staff = {s.user.username: s for s in Staff.objects.select_related("user", "unit")}
    by_branch: dict[int, dict[str, list[Staff]]] = defaultdict(lambda: defaultdict(list))
    for s in staff.values():
        for role in s.role_codes:
            by_branch[s.unit_id][role].append(s)
    agents = [s for s in staff.values() if Role.CC_AGENT in s.role_codes]
    supervisor = staff.get("supervisor")
    care_center = Unit.objects.filter(kind=Unit.Kind.CARE_CENTER).first()

    customers = {
        c.source_key: c
        for c in Customer.objects.filter(
            source=SYNTHETIC_SOURCE,
            source_key__startswith=f"{EXTERNAL_PREFIX}-",
            merged_into__isnull=True,
        )
    }
    now = timezone.now()
    today = timezone.localdate()
    holdings: list[Holding] = []
    consents: list[Consent] = []
    interactions: list[Interaction] = []
    tasks: list[CustomerTask] = []
    households: dict[str, list[tuple[str, Customer]]] = defaultdict(list)
    do_not_call: list[int] = []

    def when(max_days: int = 730) -> datetime.datetime:
        return now - datetime.timedelta(
            days=rng.randint(0, max_days), hours=rng.randint(0, 9), minutes=rng.randint(0, 59)
        )

    def business_hours(moment: datetime.datetime) -> datetime.datetime:
        local = timezone.localtime(moment)
        return local.replace(hour=9 + rng.randint(0, 8), minute=rng.randint(0, 59))

    for i, row in enumerate(_generator(seed).rows(n), 1):
        if i % 2000 == 0:
            progress(stage, i, n)
        customer = customers.get(row["external_id"])
        if customer is None:
            continue
        if row["_household"]:
            households[row["_household"]].append((row["_relation"], customer))
        mine = _holdings_for(rng, customer, products, today)
        holdings.extend(mine)

        for kind in row["_consents"]:
            granted = when(1500)
            consent = Consent(
                customer=customer,
                kind=kind,
                granted_at=granted,
                source=rng.choice(CONSENT_SOURCES),
            )
            if rng.random() < 0.05:
                consent.withdrawn_at = granted + (now - granted) * rng.random()
                consent.withdrawal_source = rng.choice(WITHDRAWAL_SOURCES)
                if kind == Consent.Kind.PHONE:
                    do_not_call.append(customer.pk)
            consents.append(consent)

        branch_staff = by_branch.get(customer.home_branch_id, {})
        tellers = branch_staff.get(Role.TELLER, [])
        if customer.lifecycle == Customer.Lifecycle.CURRENT:
            for _v in range(rng.randint(0, 4)):
                interactions.append(
                    Interaction(
                        customer=customer,
                        kind=Interaction.Kind.VISIT,
                        occurred_at=business_hours(when()),
                        channel=Customer.Channel.BRANCH,
                        staff=tellers[0] if tellers else None,
                        unit_id=customer.home_branch_id,
                        summary=rng.choice(VISITS),
                    )
                )
            for _c in range(rng.randint(0, 2)):
                agent = rng.choice(agents) if agents else None
                interactions.append(
                    Interaction(
                        customer=customer,
                        kind=Interaction.Kind.CALL,
                        occurred_at=when(),
                        channel=Customer.Channel.PHONE,
                        staff=agent,
                        unit=care_center,
                        summary=rng.choice(CALLS),
                        outcome="answered",
                    )
                )
            rm = customer.relationship_manager_id
            if rm:
                for _n in range(rng.randint(1, 3)):
                    interactions.append(
                        Interaction(
                            customer=customer,
                            kind=Interaction.Kind.NOTE,
                            occurred_at=when(),
                            staff_id=rm,
                            unit_id=customer.home_branch_id,
                            summary=rng.choice(NOTES),
                        )
                    )
                if customer.birth_date:
                    for year in (today.year - 1, today.year):
                        try:
                            birthday = customer.birth_date.replace(year=year)
                        except ValueError:  # 29 February
                            birthday = datetime.date(year, 2, 28)
                        if birthday <= today:
                            interactions.append(
                                Interaction(
                                    customer=customer,
                                    kind=Interaction.Kind.GREETING,
                                    occurred_at=_aware(
                                        datetime.datetime.combine(birthday, datetime.time(9, 0))
                                    ),
                                    channel=Customer.Channel.SMS,
                                    staff_id=rm,
                                    unit_id=customer.home_branch_id,
                                    summary="生日祝福短信",
                                )
                            )
                if rng.random() < 0.15:
                    tasks.append(
                        CustomerTask(
                            customer=customer,
                            title=rng.choice(
                                (
                                    "定期存款到期续存提醒",
                                    "邀请参加财富管理沙龙",
                                    "年度风险测评到期，请重新评估",
                                )
                            ),
                            due_on=today + datetime.timedelta(days=rng.randint(1, 30)),
                            assigned_to_id=rm,
                        )
                    )
            for holding in mine:
                if holding.product.category in ("fund", "wealth", "insurance"):
                    interactions.append(
                        Interaction(
                            customer=customer,
                            kind=Interaction.Kind.PURCHASE,
                            occurred_at=_aware(
                                datetime.datetime.combine(holding.opened_on, datetime.time(10, 30))
                            ),
                            channel=Customer.Channel.BRANCH,
                            staff_id=rm,
                            unit_id=customer.home_branch_id,
                            summary=holding.product.name_zh,
                            detail={"product": holding.product.code},
                        )
                    )
            if rng.random() < 0.04:
                text, outcome = rng.choice(COMPLAINTS)
                moment = when(365)
                interactions.append(
                    Interaction(
                        customer=customer,
                        kind=Interaction.Kind.COMPLAINT,
                        occurred_at=moment,
                        channel=Customer.Channel.PHONE,
                        staff=supervisor,
                        unit=care_center,
                        summary=text,
                        outcome=outcome,
                    )
                )
                if outcome == "open":
                    tasks.append(
                        CustomerTask(
                            customer=customer,
                            title=f"回复客户投诉：{text}",
                            due_on=today + datetime.timedelta(days=rng.randint(0, 5)),
                            assigned_to=supervisor,
                        )
                    )
        elif (
            customer.lifecycle in (Customer.Lifecycle.POTENTIAL, Customer.Lifecycle.COMPETITOR)
            and agents
            and rng.random() < 0.5
        ):
            interactions.append(
                Interaction(
                    customer=customer,
                    kind=Interaction.Kind.CALL,
                    occurred_at=when(365),
                    channel=Customer.Channel.PHONE,
                    staff=rng.choice(agents),
                    unit=care_center,
                    summary="产品介绍外呼：一年期定期存款",
                    outcome=rng.choice(("interested", "not_interested", "no_answer")),
                )
            )

    links = []
    for members in households.values():
        heads = [c for r, c in members if r == "head"]
        spouses = [c for r, c in members if r == "spouse"]
        children = [c for r, c in members if r == "child"]
        for head in heads:
            for spouse in spouses:
                links += [
                    HouseholdLink(customer=head, relative=spouse, relation="spouse"),
                    HouseholdLink(customer=spouse, relative=head, relation="spouse"),
                ]
            for parent in heads + spouses:
                for child in children:
                    links += [
                        HouseholdLink(customer=parent, relative=child, relation="child"),
                        HouseholdLink(customer=child, relative=parent, relation="parent"),
                    ]

    progress(stage, n, n)
    Holding.objects.bulk_create(holdings, batch_size=2000)
    Consent.objects.bulk_create(consents, batch_size=2000)
    HouseholdLink.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
    Interaction.objects.bulk_create(interactions, batch_size=2000)
    CustomerTask.objects.bulk_create(tasks, batch_size=2000)
    if do_not_call:
        Customer.objects.filter(pk__in=do_not_call).update(do_not_call=True)
    return {
        "holdings": len(holdings),
        "consents": len(consents),
        "household_links": len(links),
        "interactions": len(interactions),
        "tasks": len(tasks),
    }


MIN_HISTORY = 5_000  # campaign calls needed before the demo trains a propensity model


def _offers(seed: int = 2026, share: float = 0.4) -> int:
    """Product offers made to the synthetic customers over the past year, and how far each got
    (offered → interested → applied), so the acceptance funnel has something to show; the
    customers who bought are those holding the product."""
    from servicefirst.insights.models import OfferEvent

    rng = random.Random(seed)
    products = list(Product.objects.filter(is_active=True).exclude(code="uci-term-deposit"))
    if not products:
        return 0
    holders = set(Holding.objects.values_list("customer_id", "product_id"))
    branches = {u.pk: u for u in Unit.objects.filter(kind=Unit.Kind.BRANCH)}
    staff_by_unit: dict[int, list] = {}
    for member in Staff.objects.filter(unit_id__in=branches):
        staff_by_unit.setdefault(member.unit_id, []).append(member)
    now = timezone.now()
    events = []
    customers = Customer.objects.filter(source="import", merged_into__isnull=True).values_list(
        "pk", "home_branch_id"
    )
    for customer_id, branch_id in customers.iterator(chunk_size=5000):
        if rng.random() > share:
            continue
        product = rng.choice(products)
        if (customer_id, product.pk) in holders:
            continue
        channel = rng.choice(["branch", "branch", "phone", "app", "wechat"])
        staff = rng.choice(staff_by_unit.get(branch_id) or [None])
        when = now - datetime.timedelta(days=rng.randint(1, 365), hours=rng.randint(0, 9))
        stages = ["offered"]
        if rng.random() < 0.35 + (0.15 if product.is_flagship else 0):
            stages.append("interested")
            if rng.random() < 0.4:
                stages.append("applied")
        for step, stage in enumerate(stages):
            events.append(
                OfferEvent(
                    customer_id=customer_id,
                    product=product,
                    stage=stage,
                    channel=channel,
                    staff=staff,
                    unit_id=branch_id,
                    occurred_at=when + datetime.timedelta(days=3 * step),
                )
            )
    OfferEvent.objects.bulk_create(events, batch_size=5000)
    return len(events)


def _insight(*, learn: bool) -> dict[str, int]:
    """Classify every customer by the bank's rules and, with enough campaign history, train the
    term-deposit propensity model and score everyone, so the demo's Customer 360 shows a next
    best offer. The same services the insight pages start as background jobs."""
    from servicefirst.core.errors import ValidationFailed
    from servicefirst.customers.mappings import UCI_TERM_DEPOSIT
    from servicefirst.insights.services import classification_run
    from servicefirst.scoring.services import model_train, scores_refresh

    counts = {"offer_events": _offers()}
    counts["classified"] = classification_run(actor=None).get("processed", 0)
    if learn:
        try:
            model_train(actor=None, product_code=UCI_TERM_DEPOSIT)
            counts["scored"] = scores_refresh(actor=None, product_code=UCI_TERM_DEPOSIT)
        except ValidationFailed:
            counts["scored"] = 0
    return counts


def _branch_floor(seed: int, progress: Progress) -> dict[str, int]:
    from servicefirst.care.demo import demo_care
    from servicefirst.floor.demo import demo_floor
    from servicefirst.lobby.demo import demo_lobby

    counts: dict[str, int] = {}
    floor = demo_floor(seed=seed, progress=progress)
    if floor.get("tickets"):
        counts["floor_tickets"] = floor["tickets"]
    lobby = demo_lobby(seed=seed, progress=progress)
    if lobby.get("walk_ins"):
        counts["walk_ins"] = lobby["walk_ins"]
    prompts = demo_care()
    if prompts:
        counts["care_prompts"] = prompts
    return counts


def _floor_logins(known: set[str]) -> list[Login]:
    """The extra tellers the floor demo seats at the counters (teller2.bj …)."""
    out = []
    for member in (
        Staff.objects.filter(user__username__regex=r"^teller[0-9]+\.")
        .select_related("user", "unit")
        .prefetch_related("roles")
        .order_by("unit__code", "user__username")
    ):
        if member.user.username in known:
            continue
        out.append(
            Login(
                username=member.user.username,
                password=DEMO_PASSWORD,
                name=member.name,
                roles=[r.role for r in member.roles.all()],
                unit=member.unit.name_zh,
                languages=list(member.languages),
                ui_language=member.preferred_ui_language,
            )
        )
    return out


def _service_promise(progress: Progress, timings: dict[str, float]) -> dict[str, int]:
    """Service commitments and the Customer Care Center: the register (calendars and the
    published catalogue), service requests around the clock, the events of the floor's and the
    contact centre's history, the engine measuring all of it, remedies for the promises missed,
    the staff's training and confirmations, and customers' answers to satisfaction surveys.
    Each part is idempotent; the engine resumes from its cursor."""
    from servicefirst.commitments import engine, sources
    from servicefirst.commitments.demo import demo_commitments
    from servicefirst.culture.demo import demo_culture
    from servicefirst.remedies.demo import demo_remedies, demo_remedies_catch_up
    from servicefirst.satisfaction.demo import demo_satisfaction
    from servicefirst.servicedesk.demo import demo_servicedesk

    counts: dict[str, int] = {}
    steps = (
        ("commitments", lambda: demo_commitments(lambda message: progress(message, 0, None))),
        (
            "service_requests",
            lambda: demo_servicedesk(progress, requests=settings.DEMO_SERVICE_REQUESTS),
        ),
        ("events_backfilled", lambda: {"events_backfilled": sum(sources.backfill().values())}),
        ("remedy_stock", lambda: demo_remedies(progress)),
        ("measured", lambda: _measured(engine.run_until_caught_up())),
        (
            "remedies",
            lambda: demo_remedies_catch_up(progress, worked=settings.DEMO_REMEDIES_WORKED),
        ),
        ("culture", lambda: demo_culture(progress)),
        ("satisfaction", lambda: demo_satisfaction(progress)),
    )
    for name, step in steps:
        started = time.perf_counter()
        counts.update({k: v for k, v in (step() or {}).items() if isinstance(v, int)})
        timings[name] = time.perf_counter() - started
    return counts


def _measured(result: dict) -> dict[str, int]:
    return {f"engine_{k}": v for k, v in result.items() if isinstance(v, int)}


def demo_load(
    *,
    customers: int = 15_000,
    uci_rows: int | None = None,
    skip_uci: bool = False,
    seed: int = 2026,
    var_dir: Path | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Load (or find) the demo bank. Safe to run again: nothing is duplicated."""
    progress = progress or _noop
    var_dir = Path(var_dir or settings.VAR_DIR)
    reused = demo_loaded()
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}

    started = time.perf_counter()
    bank, units = _organisation()
    logins = _staff(units)
    _products()
    timings["organisation"] = time.perf_counter() - started

    if not reused:
        started = time.perf_counter()
        counts["synthetic_imported"] = _import_synthetic(customers, seed, var_dir, progress)
        timings["synthetic"] = time.perf_counter() - started
        if not skip_uci:
            started = time.perf_counter()
            counts["uci_imported"] = _import_uci(uci_rows, var_dir, progress)
            timings["uci"] = time.perf_counter() - started
        started = time.perf_counter()
        counts.update(_enrich(seed, customers, progress))
        timings["enrichment"] = time.perf_counter() - started
        # Planner statistics for the freshly loaded tables (SQLite has no autovacuum; without
        # them it picks the wrong index for prefix searches).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        started = time.perf_counter()
        counts.update(
            _insight(learn=not skip_uci and (uci_rows is None or uci_rows >= MIN_HISTORY))
        )
        timings["insight"] = time.perf_counter() - started

    # The branch floor: counters, tellers, four weeks of queue history, the lobby's walk-ins
    # and hand-offs, care prompts. Each part is idempotent, so an older demo database gains
    # them on the next run.
    started = time.perf_counter()
    counts.update(_branch_floor(seed, progress))
    timings["branch_floor"] = time.perf_counter() - started
    logins += _floor_logins({login.username for login in logins})

    # The contact centre: running campaigns with call lists, simulated agents for the dialer
    # to drive, and a real call centre's month of inbound calls when its file is present.
    from servicefirst.dialer.demo import demo_contact_centre

    started = time.perf_counter()
    counts.update(demo_contact_centre(progress))
    timings["contact_centre"] = time.perf_counter() - started

    counts.update(_service_promise(progress, timings))

    return DemoResult(
        bank=bank,
        logins=logins,
        reused=reused,
        customers=Customer.objects.filter(merged_into__isnull=True).count(),
        counts=counts,
        timings=timings,
    )
