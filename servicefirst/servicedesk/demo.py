"""Service requests for the demo bank: the request categories (each with the unit that owns it
by default) and about 300 requests over the last four weeks, around the clock — nights and
weekends too, since the Customer Care Center never closes — in every state, some transferred
to second-line units and answered.

Every request is played through the services with its historic times (`at=`), so the
commitments' events, the messages and the customers' timelines exist exactly as if the month
had happened. A request's life is drawn first (response, waiting, transfer, resolution,
closing); steps that would fall after now are left for the future, which is what leaves the
recent requests open. Idempotent: categories are upserted, requests are generated once."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from servicefirst.accounts.models import Staff, Unit
from servicefirst.customers.models import Customer
from servicefirst.servicedesk import services
from servicefirst.servicedesk.models import RequestCategory, RequestTransfer, ServiceRequest

REQUESTS = 300
DAYS = 28
SEED = 2026
JUST_ARRIVED = 3

# (code, 中文, English, usual kind, owning unit ("branch": the customer's home branch, else
#  the Care Center), usual complexity, offered on the public form,
#  second-line unit a transfer goes to, subjects (zh, en))
# fmt: off
CATEGORIES = (
    ("account-opening", "开户咨询", "Account opening query", "enquiry", "ccc", "simple", True, "ops",
     [("开立个人结算账户需要哪些材料", "Documents needed to open a personal account"), ("外籍人士开户咨询", "Opening an account as a foreign national")]),
    ("card-lost", "银行卡挂失补办", "Card lost or replaced", "request", "cards", "simple", True, "",
     [("借记卡丢失需要挂失补办", "Debit card lost, needs blocking and replacement"), ("卡片消磁无法使用", "Card demagnetised, cannot be used")]),
    ("card-delivery", "新卡寄送至网点", "Card delivery to branch", "request", "cards", "simple", True, "",
     [("补办的新卡何时到网点", "When will the replacement card reach my branch"), ("新卡寄错网点", "New card sent to the wrong branch")]),
    ("credit-card-limit", "信用卡额度与激活", "Credit card limit and activation", "request", "cards", "simple", True, "",
     [("申请临时提额", "Temporary credit limit increase"), ("信用卡无法激活", "Credit card cannot be activated")]),
    ("loan-status", "贷款申请进度", "Loan application status", "enquiry", "loans", "simple", True, "",
     [("房贷审批进度查询", "Mortgage approval status"), ("消费贷放款时间", "When the consumer loan will be paid out")]),
    ("mortgage-prepayment", "房贷提前还款", "Mortgage early repayment", "request", "loans", "complex", True, "",
     [("申请部分提前还款", "Partial early repayment"), ("提前还款违约金咨询", "Early repayment charges")]),
    ("wealth-complaint", "理财产品投诉", "Wealth product complaint", "complaint", "wealth", "complex", True, "",
     [("理财产品净值下跌，销售时未充分提示风险", "Fund value fell; risks were not explained at sale"), ("理财赎回资金未按时到账", "Redemption money not received on time")]),
    ("fee-dispute", "费用争议", "Fee dispute", "complaint", "ccc", "complex", True, "ops",
     [("年费重复扣收", "Annual fee charged twice"), ("短信通知费未经同意扣收", "SMS alert fee charged without consent")]),
    ("counter-service", "柜面服务投诉", "Counter service complaint", "complaint", "branch", "simple", True, "",
     [("柜员服务态度差", "Rude service at the counter"), ("办理业务时被要求重复提供材料", "Asked for the same documents twice")]),
    ("branch-wait", "网点排队时间过长", "Long wait at a branch", "complaint", "branch", "simple", True, "",
     [("周六排队超过一小时", "Waited over an hour on Saturday"), ("窗口开放太少", "Too few counters open")]),
    ("transfer-failure", "转账失败或延迟", "Transfer failed or delayed", "request", "ccc", "complex", True, "ops",
     [("跨行转账显示成功但对方未收到", "Interbank transfer shows success but was not received"), ("转账被退回未说明原因", "Transfer returned without a reason")]),
    ("online-banking-login", "网银及手机银行登录", "Online banking login", "request", "ccc", "simple", True, "",
     [("手机银行登录提示密码错误被锁", "Mobile banking locked after password errors"), ("更换手机后无法接收验证码", "No verification codes after changing phone")]),
    ("statement-request", "对账单与流水打印", "Statement request", "request", "ccc", "simple", True, "ops",
     [("需要近一年银行流水用于签证", "Statement of the last year for a visa"), ("补寄信用卡纸质账单", "Paper credit card statement re-sent")]),
    ("credit-report-dispute", "征信异议（20日内答复）", "Credit report dispute (answer within 20 days)", "complaint", "ccc", "complex", True, "compliance",
     [("征信报告显示非本人贷款逾期", "Credit report shows an overdue loan that is not mine"), ("已结清贷款仍显示未结清", "Settled loan still shown as open")]),
    ("address-change", "地址及联系方式变更", "Address or contact change", "request", "branch", "simple", True, "",
     [("变更通讯地址", "Change of mailing address"), ("更新预留手机号", "Update registered mobile number")]),
    ("atm-no-cash", "ATM 扣款未吐钞", "ATM cash not dispensed", "complaint", "ccc", "complex", True, "ops",
     [("ATM 取款扣款但未吐钞", "ATM debited but dispensed no cash"), ("ATM 吞卡", "ATM retained the card")]),
    ("suspected-fraud", "疑似诈骗或盗刷", "Suspected fraud", "request", "ccc", "complex", True, "cards",
     [("收到陌生消费短信，疑似盗刷", "Unknown card payment, possible fraud"), ("接到冒充客服的诈骗电话", "Call from someone posing as the bank")]),
    ("deposit-rates", "存款利率咨询", "Deposit rates enquiry", "enquiry", "ccc", "simple", True, "",
     [("三年期定期利率", "Three-year term deposit rate"), ("大额存单起存金额", "Minimum for a large certificate of deposit")]),
    ("account-frozen", "账户冻结与解冻", "Account frozen", "request", "compliance", "complex", True, "",
     [("账户被冻结无法转账", "Account frozen, cannot transfer"), ("非柜面交易被限制", "Non-counter transactions restricted")]),
    ("marketing-calls", "营销电话打扰", "Unwanted marketing calls", "complaint", "ccc", "simple", True, "",
     [("多次接到理财推销电话", "Repeated calls selling wealth products"), ("已拒绝仍收到推销短信", "Sales texts after opting out")]),
)
# fmt: on

CHANNELS = (("phone", 44), ("web", 16), ("counter", 14), ("app", 11), ("wechat", 9), ("letter", 6))
# Contacts by hour of the day (Beijing time): busiest in office hours, never zero at night.
HOURLY = (2, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 9, 8, 7, 6, 6, 5, 5, 4, 3)
AGENTS = ("agent1", "agent2", "agent3", "agent.en")
WORKERS = {
    "ccc": AGENTS,
    "ops": ("backoffice",),
    "cards": ("cards.officer",),
    "loans": ("loans.officer",),
    "wealth": ("wealth.officer",),
    "compliance": ("supervisor",),  # compliance officers do not work requests: the supervisor
    "bj-cy": ("bm.bj", "teller.bj"),
    "sh-pd": ("bm.sh", "teller.sh"),
    "gz-th": ("bm.gz", "teller.gz"),
}
TELLERS = ("teller.bj", "teller.sh", "teller.gz")
CONTACTS = ("王女士", "李先生", "张女士", "刘先生", "陈女士", "杨先生", "Ms Smith", "Mr Brown")

REPLIES = (
    "您好，我们已收到您的来信，正在为您核实，请耐心等待。",
    "您好，已为您登记，相关部门会尽快处理。",
    "Hello, we have received your message and are looking into it.",
)
WAITS = (
    "为便于核实，请提供交易时间和金额。",
    "请上传身份证件照片以便我们继续处理。",
    "Please send us the date and amount of the transaction.",
)
CUSTOMER_REPLIES = ("交易时间是昨晚 10 点左右，金额 2000 元。", "已上传，请查收。", "Sent, thanks.")
ANSWERS = (
    "已核实：系统对账差错，资金已退回客户账户。",
    "已处理完毕，请转告客户。",
    "经核查无误，已向客户解释。",
)
RESOLUTIONS = (
    "您好，问题已处理完毕，相关款项已退回您的账户。感谢您的耐心。",
    "您好，已按您的要求办理完成。如有疑问请随时联系我们。",
    "Your request has been completed. Thank you for your patience.",
)


def _noop(*_args, **_kwargs) -> None:
    return None


def ensure_categories() -> dict[str, RequestCategory]:
    units = {u.code: u for u in Unit.objects.all()}
    fallback = units.get("ccc") or Unit.objects.exclude(kind=Unit.Kind.HEAD_OFFICE).first()
    out = {}
    for code, zh, en, kind, unit, complexity, public, _to, _subjects in CATEGORIES:
        out[code], _created = RequestCategory.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "kind": kind,
                "default_unit": units.get(unit, fallback),
                "to_home_branch": unit == "branch",
                "complexity": complexity,
                "public": public,
                "is_active": True,
            },
        )
    return out


class _Player:
    """Plays one request's life through the services, stopping at now."""

    def __init__(self, rng: random.Random, staff: dict[str, Staff], now: datetime.datetime):
        self.rng = rng
        self.staff = staff
        self.now = now
        self.units = {u.code: u for u in Unit.objects.all()}

    def worker(self, unit_code: str) -> Staff | None:
        names = [n for n in WORKERS.get(unit_code, AGENTS) if n in self.staff]
        if not names:
            names = [n for n in AGENTS if n in self.staff]
        return self.staff[self.rng.choice(names)] if names else None

    def minutes(self, low: float, high: float) -> datetime.timedelta:
        # log-uniform: most steps are quick, a few take long
        import math

        return datetime.timedelta(minutes=math.exp(self.rng.uniform(math.log(low), math.log(high))))

    def play(self, req: ServiceRequest, spec, at: datetime.datetime) -> None:
        rng, complex_ = self.rng, req.severity == "complex"
        unit_code = req.unit.code
        worker = self.worker(unit_code)
        if worker is None:
            return
        # first response (a few of the last day's are still waiting in the queue)
        if self.now - at < datetime.timedelta(hours=24) and rng.random() < 0.25:
            return
        at += self.minutes(3, 240 if complex_ else 90)
        if at > self.now:
            return
        if rng.random() < 0.05:
            services.cancel(
                actor=worker.user, request_id=req.pk, reason="客户表示问题已自行解决", at=at
            )
            return
        services.reply_to_customer(
            actor=worker.user, request_id=req.pk, body=rng.choice(REPLIES), at=at
        )
        # waiting for the customer
        if rng.random() < 0.2:
            services.wait_for_customer(
                actor=worker.user, request_id=req.pk, message=rng.choice(WAITS), at=at
            )
            at += self.minutes(20, 3 * 24 * 60)
            if at > self.now or rng.random() < 0.1:
                return  # still waiting
            services.customer_reply(
                token=req.public_token, body=rng.choice(CUSTOMER_REPLIES), at=at
            )
        # a transfer to the second line
        to_code = spec[7]
        if to_code and to_code != unit_code and rng.random() < 0.55:
            at += self.minutes(5, 120)
            if at > self.now:
                return
            to_unit = self.units.get(to_code)
            if to_unit is not None:
                moved = services.transfer(
                    actor=worker.user,
                    request_id=req.pk,
                    to_unit_id=to_unit.pk,
                    reason=f"请{to_unit.name_zh}协助核查：{req.subject}",
                    at=at,
                )
                officer = self.worker(to_code)
                at += self.minutes(10, 12 * 60)
                if at > self.now or officer is None:
                    return
                services.accept_transfer(actor=officer.user, transfer_id=moved.pk, at=at)
                at += self.minutes(30, (5 if complex_ else 2) * 24 * 60)
                if at > self.now:
                    return
                keep = rng.random() < 0.2
                services.answer_transfer(
                    actor=officer.user,
                    transfer_id=moved.pk,
                    answer=rng.choice(ANSWERS),
                    keep=keep,
                    at=at,
                )
                if keep:
                    worker = officer
        # resolution
        at += self.minutes(10, (4 if complex_ else 1) * 24 * 60)
        if at > self.now or rng.random() < 0.04:
            return  # still being worked on (a few are simply late)
        services.resolve(
            actor=worker.user, request_id=req.pk, resolution=rng.choice(RESOLUTIONS), at=at
        )
        at += self.minutes(6 * 60, 3 * 24 * 60)
        if at > self.now:
            return
        services.close(actor=worker.user, request_id=req.pk, at=at)


def _opened_times(rng: random.Random, n: int, now: datetime.datetime) -> list[datetime.datetime]:
    local_now = timezone.localtime(now)
    start = (local_now - datetime.timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    hours = int((local_now - start).total_seconds() // 3600)
    weights = []
    for h in range(hours):
        moment = start + datetime.timedelta(hours=h)
        weight = HOURLY[moment.hour] * (0.7 if moment.weekday() >= 5 else 1.0)
        weights.append(weight)
    picks = rng.choices(range(hours), weights=weights, k=n)
    times = []
    for h in picks:
        moment = start + datetime.timedelta(hours=h, seconds=rng.randrange(3600))
        times.append(min(moment, now - datetime.timedelta(minutes=2)))
    return sorted(times)


def demo_servicedesk(
    progress=None, *, requests: int = REQUESTS, seed: int = SEED
) -> dict[str, int]:
    """Categories, then (once) `requests` requests over the last four weeks."""
    progress = progress or _noop
    progress("Service requests", 0, requests)
    cats = ensure_categories()
    counts = {"request_categories": len(cats)}
    if ServiceRequest.objects.exists():
        counts["service_requests"] = ServiceRequest.objects.count()
        return counts
    staff = {
        s.user.username: s
        for s in Staff.objects.filter(
            user__username__in={n for names in WORKERS.values() for n in names} | set(TELLERS)
        ).select_related("user", "unit")
    }
    if not any(a in staff for a in AGENTS):
        return counts
    rng = random.Random(seed)
    now = timezone.now()
    customer_ids = list(
        Customer.objects.filter(merged_into__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:5000]
    )
    channels, channel_weights = zip(*CHANNELS, strict=True)
    player = _Player(rng, staff, now)
    specs = {c[0]: c for c in CATEGORIES}
    with transaction.atomic():
        for i, opened in enumerate(_opened_times(rng, requests, now)):
            spec = rng.choice(CATEGORIES)
            code = spec[0]
            kind = spec[3]
            channel = rng.choices(channels, weights=channel_weights)[0]
            subject_zh, subject_en = rng.choice(spec[8])
            english = rng.random() < 0.08
            subject = subject_en if english else subject_zh
            language = "en" if english else "zh"
            if channel == "web" or not customer_ids:
                req = services.open_web_request(
                    kind=kind if kind != "request" else "enquiry",
                    category_code=code,
                    name=rng.choice(CONTACTS),
                    phone=f"139{rng.randrange(10**8):08d}",
                    subject=subject,
                    description=subject,
                    language=language,
                    at=opened,
                )
            else:
                opener = (
                    staff.get(rng.choice(TELLERS)) if channel == "counter" else None
                ) or staff[rng.choice([a for a in AGENTS if a in staff])]
                req = services.open_request(
                    actor=opener.user,
                    kind=kind,
                    category_code=code,
                    channel=channel,
                    subject=subject,
                    description=subject,
                    customer_id=rng.choice(customer_ids),
                    language=language,
                    severity="complex" if rng.random() < 0.1 else "",
                    at=opened,
                )
            if i < requests - JUST_ARRIVED:  # the last few have just come in: nobody yet
                player.play(req, specs[code], opened)
            if i % 25 == 0:
                progress("Service requests", i, requests)
    progress("Service requests", requests, requests)
    counts["service_requests"] = ServiceRequest.objects.count()
    counts["request_transfers"] = RequestTransfer.objects.count()
    return counts
