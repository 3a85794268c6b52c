"""The seed catalogue: the business calendars and the service commitments of a Chinese retail
bank, loaded with the demo bank (`demo.demo_commitments`).

Where a published rule gives the figure (`../shared/notes/commitments-reference.md`: the
regulator's complaint time limits, the credit-reporting and anti-money-laundering objection
limits, a local branch-service standard, the contact-centre 80/20 convention), the entry says
so in `basis` and names the `source`. Every other figure is the demo bank's own choice
(`basis="own"`); where a source inspired it, `source` says which, but the number is ours.

Attribute values in `event_filter` are the codes the producers put in an event's attrs:
floor service codes (`servicefirst/floor/defaults.py`: cash, account, cards, loans, wealth,
fx), ticket priority reasons (vip, elderly, disabled, appointment), request kinds (complaint,
request, enquiry), severities (simple, complex), request categories (`CATEGORIES`
below), unit codes for `branch` and `from_unit`, and items for second-line deliveries.

Owners are unit codes of the demo organisation; a head-office (`hq`) commitment covers every
branch, because a version measures events of its owner and of every unit below it.
"""

from dataclasses import dataclass, field

# --- calendars -----------------------------------------------------------------------------------

_DAY = [["09:00", "17:00"]]
_OFFICE = [["08:30", "17:30"]]
_NIGHT = [["20:00", "08:00"]]

# code → fields of BusinessCalendar
CALENDARS: dict[str, dict] = {
    "24x7": {
        "name_zh": "全天候（7×24小时）",
        "name_en": "Around the clock (24/7)",
        "always_open": True,
        "weekly_hours": [],
        "observe_holidays": False,
    },
    "branch": {
        "name_zh": "网点营业时间（每日9:00–17:00，法定节假日休息）",
        "name_en": "Branch hours (daily 09:00–17:00, closed on public holidays)",
        "always_open": False,
        "weekly_hours": [_DAY] * 7,
        "observe_holidays": True,
        "makeup_day_hours": _DAY,
    },
    "head-office": {
        "name_zh": "总行工作时间（工作日8:30–17:30）",
        "name_en": "Head-office hours (working days 08:30–17:30)",
        "always_open": False,
        "weekly_hours": [_OFFICE] * 5 + [[], []],
        "observe_holidays": True,
        "makeup_day_hours": _OFFICE,
    },
    "care-center": {
        "name_zh": "客户服务中心（7×24小时）",
        "name_en": "Customer Care Center (24/7)",
        "always_open": True,
        "weekly_hours": [],
        "observe_holidays": False,
    },
    "overnight-ops": {
        "name_zh": "夜间批处理作业（每日20:00至次日8:00）",
        "name_en": "Overnight batch operations (20:00 to 08:00 every night)",
        "always_open": False,
        "weekly_hours": [_NIGHT] * 7,
        "observe_holidays": False,
    },
}

# --- sources (commitments-reference.md) ----------------------------------------------------------

SRC_COMPLAINT = (
    "《银行业保险业消费投诉处理管理办法》（原银保监会，2020年3月1日施行）：事实清楚、争议简单的"
    "投诉15日内处理完毕；情况复杂的可延长至30日；特别复杂的经审批可再延长30日"
    "（新华社2020-01-17报道）"
)
SRC_CREDIT = "《征信业管理条例》（国务院令第631号，2013）第二十五条：异议20日内核查处理并书面答复"
SRC_AML = (
    "《中华人民共和国反洗钱法》（2024年修订，2025年1月1日施行）第三十九条："
    "对洗钱风险管理措施有异议的，15日内处理并答复"
)
SRC_BRANCH_STD = (
    "廊坊市地方标准 DB1310/T 252—2021《银行营业网点服务规范》：营业时间内电话接通率应达到95%及以上"
)
SRC_8020 = (
    "Contact-centre service-level convention: 80% of calls answered within 20 seconds "
    "(客服中心80/20服务水平惯例；2013年银行业客服中心20秒服务水平为71.98%，中国银行业协会)"
)
SRC_ONSITE = (
    "南通市商业银行支行《优质服务承诺》（2007）：接到客户上门服务电话后半小时内给予明确答复"
)

# --- the catalogue -------------------------------------------------------------------------------

BRANCHES = ("bj-cy", "sh-pd", "gz-th")
BRANCH_NAMES = {
    "bj-cy": ("北京朝阳支行", "the Beijing Chaoyang sub-branch"),
    "sh-pd": ("上海浦东支行", "the Shanghai Pudong sub-branch"),
    "gz-th": ("广州天河支行", "the Guangzhou Tianhe sub-branch"),
    "ccc": ("客户服务中心", "the Customer Care Center"),
}
FIRST_LINE = (*BRANCHES, "ccc")

# Request categories the service desk files requests under (request.opened attrs["category"]).
CATEGORIES = {
    "account": ("账户业务", "accounts"),
    "card": ("银行卡业务", "cards"),
    "loan": ("贷款业务", "loans"),
    "wealth": ("理财业务", "wealth management"),
    "payment": ("支付结算", "payments"),
    "ebank": ("网上银行与手机银行", "online and mobile banking"),
    "fees": ("收费问题", "fees and charges"),
    "statement": ("对账单与流水", "statements"),
    "info_change": ("客户信息变更", "changes of personal details"),
    "fx": ("外汇业务", "foreign exchange"),
    "deposit_proof": ("存款证明", "deposit certificates"),
    "pension": ("社保与养老金代发", "pensions and social-security payments"),
    "enquiry": ("一般咨询", "general enquiries"),
    "suggestion": ("意见建议", "suggestions"),
}


@dataclass(frozen=True)
class Entry:
    code: str
    area: str
    owner: str  # unit code
    statement_zh: str
    statement_en: str
    start_event: str
    stop_event: str  # empty for a count
    target_value: float
    target_unit: str
    calendar: str  # calendar code
    measure: str = "duration"
    event_filter: dict = field(default_factory=dict)
    goal_percent: float = 95
    warn_percent: int = 80
    pause_event: str = ""
    resume_event: str = ""
    cancel_events: tuple[str, ...] = ()
    remedy: bool = True
    beneficiary_unit: str = ""  # a first-line unit, for a second-line unit's commitment
    basis: str = "own"
    source: str = ""

    @property
    def beneficiary(self) -> str:
        return "unit" if self.beneficiary_unit else "customers"


# The service desk's own category codes (servicefirst/servicedesk/demo.py) that mean the same
# as a catalogue category: a filter on the one matches the other too.
CATEGORY_ALIASES = {
    "account": ("account-opening", "deposit-rates"),
    "card": ("card-delivery",),
    "loan": ("loan-status",),
    "wealth": ("wealth-complaint",),
    "payment": ("transfer-failure",),
    "ebank": ("online-banking-login",),
    "fees": ("fee-dispute",),
    "statement": ("statement-request",),
    "info_change": ("address-change",),
    "lost_card": ("card-lost",),
    "card_limit": ("credit-card-limit",),
    "card_activation": ("credit-card-limit",),
    "card_fraud": ("suspected-fraud",),
    "unauthorised_payment": ("suspected-fraud",),
    "loan_prepayment": ("mortgage-prepayment",),
    "payment_trace": ("transfer-failure",),
    "atm_cash": ("atm-no-cash",),
    "credit_report": ("credit-report-dispute",),
    "aml_objection": ("account-frozen",),
}

_ENTRIES: list[Entry] = []


def _add(*args, **kwargs) -> None:
    event_filter = dict(kwargs.get("event_filter") or {})
    category = event_filter.get("category")
    if isinstance(category, str) and category in CATEGORY_ALIASES:
        event_filter["category"] = [category, *CATEGORY_ALIASES[category]]
        kwargs["event_filter"] = event_filter
    _ENTRIES.append(Entry(*args, **kwargs))


ISSUED, CALLED, FINISHED = "floor.ticket.issued", "floor.ticket.called", "floor.ticket.finished"
T_CANCEL = ("floor.ticket.cancelled",)
R_OPENED, R_FIRST, R_RESOLVED = "request.opened", "request.first_response", "request.resolved"
R_WAIT, R_REPLIED = "request.waiting_customer", "request.customer_replied"
R_CANCEL = ("request.cancelled",)
PAUSE = {"pause_event": R_WAIT, "resume_event": R_REPLIED}

# Counters: waiting time from the ticket to the counter, per service (head office: every branch).
# fmt: off
_WAITS = (
    ("cash", "现金业务", "cash", 15),
    ("account", "开户业务", "account opening", 20),
    ("cards", "银行卡业务", "card services", 15),
    ("loans", "贷款业务", "loan services", 30),
    ("wealth", "理财业务", "wealth services", 20),
    ("fx", "外汇业务", "foreign exchange", 20),
)
# fmt: on
for service, zh, en, minutes in _WAITS:
    _add(
        f"wait-{service}",
        "counters",
        "hq",
        f"办理{zh}的客户，自取号起{minutes}分钟内叫号到柜台",
        f"Customers queueing for {en} are called to a counter within {minutes} minutes "
        "of taking a ticket",
        ISSUED,
        CALLED,
        minutes,
        "minutes",
        "branch",
        event_filter={"service": service},
        goal_percent=90,
        cancel_events=T_CANCEL,
    )
for branch in BRANCHES:
    zh, en = BRANCH_NAMES[branch]
    _add(
        f"wait-cash-{branch}",
        "counters",
        branch,
        f"{zh}承诺：现金业务取号后10分钟内叫号",
        f"At {en}, cash customers are called within 10 minutes of taking a ticket",
        ISSUED,
        CALLED,
        10,
        "minutes",
        "branch",
        event_filter={"service": "cash"},
        goal_percent=85,
        cancel_events=T_CANCEL,
    )
    _add(
        f"wait-any-{branch}",
        "counters",
        branch,
        f"{zh}承诺：任何业务等候不超过30分钟",
        f"At {en}, no customer waits more than 30 minutes for any service",
        ISSUED,
        CALLED,
        30,
        "minutes",
        "branch",
        goal_percent=98,
        cancel_events=T_CANCEL,
    )
# fmt: off
_PRIORITY = (
    ("vip", "贵宾客户", "VIP customers", 5),
    ("elderly", "老年客户", "elderly customers", 10),
    ("disabled", "残障客户", "customers with a disability", 5),
    ("appointment", "预约客户", "customers with an appointment", 5),
)
# fmt: on
for reason, zh, en, minutes in _PRIORITY:
    _add(
        f"wait-priority-{reason}",
        "counters",
        "hq",
        f"{zh}优先办理，取号后{minutes}分钟内叫号",
        f"{en[0].upper()}{en[1:]} are served first: called within {minutes} minutes "
        "of taking a ticket",
        ISSUED,
        CALLED,
        minutes,
        "minutes",
        "branch",
        event_filter={"priority_reason": reason},
        cancel_events=T_CANCEL,
    )
_add(
    "appointment-honoured",
    "counters",
    "hq",
    "预约客户按时到店签到后，10分钟内开始办理",
    "Customers who keep their appointment are called within 10 minutes of checking in",
    "floor.appointment.checked_in",
    CALLED,
    10,
    "minutes",
    "branch",
    cancel_events=T_CANCEL,
)
_add(
    "appointment-wealth",
    "wealth",
    "wealth",
    "预约理财经理的客户签到后5分钟内由理财经理接待",
    "Customers with a wealth-manager appointment are received within 5 minutes of checking in",
    "floor.appointment.checked_in",
    CALLED,
    5,
    "minutes",
    "branch",
    event_filter={"service": "wealth"},
    cancel_events=T_CANCEL,
)
# fmt: off
_SERVICE_TIMES = (
    ("cash", "现金存取款", "A cash deposit or withdrawal is completed", 10),
    ("cards", "借记卡开卡", "A debit card is issued at the counter", 15),
    ("fx", "外币兑换", "A currency exchange is completed", 15),
    ("loans", "贷款业务受理", "A loan application is taken in", 40),
)
# fmt: on
for service, zh, en, minutes in _SERVICE_TIMES:
    _add(
        f"serve-{service}",
        "counters",
        "hq",
        f"{zh}业务，自叫号起{minutes}分钟内办结",
        f"{en} within {minutes} minutes of being called to the counter",
        CALLED,
        FINISHED,
        minutes,
        "minutes",
        "branch",
        event_filter={"service": service},
        goal_percent=90,
    )

# Accounts.
_add(
    "account-open-15min",
    "accounts",
    "hq",
    "个人开户业务，自取号至办结不超过15分钟",
    "A personal account is opened within 15 minutes, from taking the ticket to the end",
    ISSUED,
    FINISHED,
    15,
    "minutes",
    "branch",
    event_filter={"service": "account"},
    goal_percent=90,
    cancel_events=T_CANCEL,
)
_add(
    "account-open-served-12min",
    "accounts",
    "hq",
    "开户业务在柜台办理时间不超过12分钟",
    "Opening an account takes no more than 12 minutes at the counter",
    CALLED,
    FINISHED,
    12,
    "minutes",
    "branch",
    event_filter={"service": "account"},
    goal_percent=90,
)
# fmt: off
_ACCOUNT_REQUESTS = (
    ("account-change-1wd", "account_change", "账户信息变更申请1个工作日内办结", "A change to an account's details is completed within 1 working day", 1, "working_days", "head-office", "own", ""),
    ("account-reactivate-1wd", "account_reactivation", "久悬账户激活申请1个工作日内办结", "A dormant account is reactivated within 1 working day of the request", 1, "working_days", "head-office", "own", ""),
    ("account-close-1wd", "account_close", "销户申请1个工作日内办结并告知结果", "An account closure is completed and confirmed within 1 working day", 1, "working_days", "head-office", "own", ""),
    ("deposit-proof-4h", "deposit_proof", "存款证明申请4个工作小时内出具", "A deposit certificate is issued within 4 working hours", 4, "hours", "branch", "own", ""),
    ("corporate-account-1wd", "corporate_account", "企业开户资料齐全的，1个工作日内完成开户", "A company account is opened within 1 working day once the papers are complete", 1, "working_days", "head-office", "own", "参考：人民银行武汉分行2019年公告，取消企业银行账户许可后开户最快1个工作日以内（本行自定目标）"),
    ("passbook-stop-15min", "lost_passbook", "存折、存单挂失受理后15分钟内完成止付", "Payment on a lost passbook or certificate is stopped within 15 minutes of the report", 15, "minutes", "24x7", "own", "参考：《储蓄管理条例》第三十一条（受理挂失后立即止付；15分钟为本行自定）"),
    ("passbook-reissue-7d", "lost_passbook", "书面挂失7天后即可补领新存折、存单", "A new passbook or certificate is ready 7 days after the written loss report", 7, "days", "24x7", "own", "参考：银行通行做法，书面挂失7天后补领（本行自定）"),
    ("account-limit-lift-1wd", "account_limit", "非柜面业务限制解除申请，身份核实后1个工作日内办结", "Limits on non-counter services are lifted within 1 working day of identity verification", 1, "working_days", "head-office", "own", ""),
)
# fmt: on
for code, category, zh, en, target, unit, cal, basis, source in _ACCOUNT_REQUESTS:
    first = "first" in code or "stop" in code
    _add(
        code,
        "accounts",
        "hq",
        zh,
        en,
        R_OPENED,
        R_FIRST if first else R_RESOLVED,
        target,
        unit,
        cal,
        event_filter={"category": category},
        cancel_events=R_CANCEL,
        basis=basis,
        source=source,
        **({} if first else PAUSE),
    )

# Cards (the cards centre).
for branch in BRANCHES:
    zh, en = BRANCH_NAMES[branch]
    _add(
        f"card-to-branch-{branch}",
        "internal",
        "cards",
        f"信用卡中心将客户卡片1个工作日内送达{zh}",
        f"The cards centre delivers customers' cards to {en} within 1 working day",
        "ops.item.requested",
        "ops.item.delivered",
        1,
        "working_days",
        "head-office",
        event_filter={"item": "card", "branch": branch},
        beneficiary_unit=branch,
        remedy=False,
    )
# fmt: off
_CARDS = (
    ("card-block-5min", "lost_card", "银行卡挂失7×24小时受理，5分钟内完成止付冻结", "A lost or stolen card is blocked within 5 minutes of the report, day or night", R_FIRST, 5, "minutes", "24x7", 99),
    ("card-replace-5wd", "card_replacement", "补换卡申请5个工作日内寄出新卡", "A replacement card is sent within 5 working days", R_RESOLVED, 5, "working_days", "head-office", 95),
    ("card-apply-3wd", "card_application", "信用卡申请资料齐全的，3个工作日内告知审批结果", "A credit-card application with complete papers is decided within 3 working days", R_RESOLVED, 3, "working_days", "head-office", 95),
    ("card-limit-1wd", "card_limit", "信用卡临时调额申请1个工作日内答复", "A request for a temporary credit-limit increase is answered within 1 working day", R_RESOLVED, 1, "working_days", "head-office", 95),
    ("card-dispute-first-1wd", "card_dispute", "交易争议（拒付）申请1个工作日内首次回复", "A disputed card transaction gets a first answer within 1 working day", R_FIRST, 1, "working_days", "head-office", 95),
    ("card-dispute-resolve-30d", "card_dispute", "交易争议（拒付）30日内处理完毕并告知结果", "A disputed card transaction is resolved within 30 days", R_RESOLVED, 30, "days", "24x7", 95),
    ("card-instalment-1wd", "card_instalment", "账单分期申请1个工作日内办结", "A statement instalment plan is set up within 1 working day", R_RESOLVED, 1, "working_days", "head-office", 95),
    ("card-annual-fee-2wd", "card_fee", "年费减免申请2个工作日内答复", "A request to waive an annual fee is answered within 2 working days", R_RESOLVED, 2, "working_days", "head-office", 95),
    ("card-activate-30min", "card_activation", "卡片激活问题30分钟内解决", "A problem activating a card is solved within 30 minutes", R_RESOLVED, 30, "minutes", "24x7", 90),
    ("card-fraud-first-30min", "card_fraud", "疑似盗刷报告30分钟内首次回复并冻结卡片", "A suspected fraudulent card payment gets a first answer (and the card blocked) within 30 minutes", R_FIRST, 30, "minutes", "24x7", 99),
)
# fmt: on
for code, category, zh, en, stop, target, unit, cal, goal in _CARDS:
    _add(
        code,
        "cards",
        "cards",
        zh,
        en,
        R_OPENED,
        stop,
        target,
        unit,
        cal,
        event_filter={"category": category},
        goal_percent=goal,
        cancel_events=R_CANCEL,
        **(PAUSE if stop == R_RESOLVED and unit != "minutes" else {}),
    )

# Loans.
# fmt: off
_LOANS = (
    ("loan-consumer-3wd", "consumer_loan", "个人消费贷款资料齐全后3个工作日内告知审批结果", "A personal consumer loan is decided within 3 working days of complete papers", R_RESOLVED, 3, "working_days"),
    ("loan-mortgage-10wd", "mortgage", "个人住房贷款资料齐全后10个工作日内完成审批", "A home mortgage is decided within 10 working days of complete papers", R_RESOLVED, 10, "working_days"),
    ("loan-business-5wd", "business_loan", "个体经营贷款资料齐全后5个工作日内告知审批结果", "A small-business loan is decided within 5 working days of complete papers", R_RESOLVED, 5, "working_days"),
    ("loan-first-4h", "loan", "贷款咨询4个工作小时内由客户经理首次联系", "A loan enquiry gets a first call from a loan officer within 4 working hours", R_FIRST, 4, "hours"),
    ("loan-prepay-3wd", "loan_prepayment", "提前还款申请3个工作日内办结", "An early repayment is processed within 3 working days", R_RESOLVED, 3, "working_days"),
    ("loan-payoff-letter-2wd", "loan_payoff_letter", "贷款结清证明2个工作日内出具", "A loan payoff letter is issued within 2 working days", R_RESOLVED, 2, "working_days"),
    ("loan-release-5wd", "mortgage_release", "房贷结清后5个工作日内备齐抵押注销材料", "Papers to release a paid-off mortgage are ready within 5 working days", R_RESOLVED, 5, "working_days"),
    ("loan-schedule-3wd", "loan_schedule", "还款计划变更申请3个工作日内答复", "A request to change a repayment schedule is answered within 3 working days", R_RESOLVED, 3, "working_days"),
    ("loan-disburse-1wd", "loan_disbursement", "贷款合同签订、放款条件落实后1个工作日内放款", "A loan is paid out within 1 working day once the contract is signed and conditions met", R_RESOLVED, 1, "working_days"),
)
# fmt: on
for code, category, zh, en, stop, target, unit in _LOANS:
    _add(
        code,
        "loans",
        "loans",
        zh,
        en,
        R_OPENED,
        stop,
        target,
        unit,
        "head-office",
        event_filter={"category": category},
        cancel_events=R_CANCEL,
        **(PAUSE if stop == R_RESOLVED else {}),
    )

# Wealth management.
# fmt: off
_WEALTH = (
    ("wealth-redeem-first-2h", "wealth_redemption", "理财赎回问题2个工作小时内首次回复", "A question about redeeming a wealth product gets a first answer within 2 working hours", R_FIRST, 2, "hours"),
    ("wealth-statement-2wd", "wealth_statement", "理财持仓对账单申请2个工作日内提供", "A statement of wealth holdings is provided within 2 working days", R_RESOLVED, 2, "working_days"),
    ("wealth-risk-review-1wd", "risk_assessment", "风险承受能力评估复核申请1个工作日内办结", "A review of a risk-tolerance assessment is completed within 1 working day", R_RESOLVED, 1, "working_days"),
    ("wealth-product-info-1wd", "wealth_product", "理财产品信息披露查询1个工作日内答复", "A question about a wealth product's disclosures is answered within 1 working day", R_RESOLVED, 1, "working_days"),
    ("wealth-rm-callback-4h", "wealth_rm", "预约理财经理回电，4个工作小时内联系客户", "A customer asking for their wealth manager is called back within 4 working hours", R_FIRST, 4, "hours"),
)
# fmt: on
for code, category, zh, en, stop, target, unit in _WEALTH:
    _add(
        code,
        "wealth",
        "wealth",
        zh,
        en,
        R_OPENED,
        stop,
        target,
        unit,
        "head-office",
        event_filter={"category": category},
        cancel_events=R_CANCEL,
        **(PAUSE if stop == R_RESOLVED else {}),
    )

# Payments (operations).
# fmt: off
_PAYMENTS = (
    ("pay-trace-first-4h", "payment_trace", "汇款查询查复4个工作小时内首次回复", "A trace on a payment gets a first answer within 4 working hours", R_FIRST, 4, "hours", "head-office"),
    ("pay-trace-2wd", "payment_trace", "汇款查询查复2个工作日内办结", "A payment trace is completed within 2 working days", R_RESOLVED, 2, "working_days", "head-office"),
    ("pay-return-1wd", "payment_return", "退汇款项1个工作日内退回客户账户", "A returned payment is credited back to the customer within 1 working day", R_RESOLVED, 1, "working_days", "head-office"),
    ("pay-unauthorised-30min", "unauthorised_payment", "未经授权交易报告7×24小时受理，30分钟内首次回复", "A report of an unauthorised payment gets a first answer within 30 minutes, day or night", R_FIRST, 30, "minutes", "24x7"),
    ("pay-atm-cash-3wd", "atm_cash", "ATM少吐钞、吞钞争议3个工作日内核实并告知结果", "An ATM cash shortfall or retained cash is checked and answered within 3 working days", R_RESOLVED, 3, "working_days", "head-office"),
    ("pay-atm-card-2wd", "atm_card", "ATM吞卡2个工作日内可到网点领回", "A card retained by an ATM is ready at the branch within 2 working days", R_RESOLVED, 2, "working_days", "head-office"),
    ("pay-crossborder-2wd", "crossborder", "跨境汇款查询2个工作日内答复", "A question about a cross-border payment is answered within 2 working days", R_RESOLVED, 2, "working_days", "head-office"),
)
# fmt: on
for code, category, zh, en, stop, target, unit, cal in _PAYMENTS:
    _add(
        code,
        "payments",
        "ops",
        zh,
        en,
        R_OPENED,
        stop,
        target,
        unit,
        cal,
        event_filter={"category": category},
        goal_percent=99 if unit == "minutes" else 95,
        cancel_events=R_CANCEL,
        **(PAUSE if stop == R_RESOLVED else {}),
    )

# The contact centre.
_CC = "contact.call.offered", "contact.call.answered"
_add(
    "cc-third-ring",
    "contact_centre",
    "ccc",
    "客户来电，三声之内接听",
    "Calls are answered by the third ring",
    "contact.call.answered",
    "",
    3,
    "rings",
    "care-center",
    measure="count",
    goal_percent=95,
    remedy=False,
)
_add(
    "cc-80-20",
    "contact_centre",
    "ccc",
    "80%的来电在20秒内由人工坐席接听",
    "80% of calls reach an agent within 20 seconds",
    *_CC,
    20,
    "seconds",
    "care-center",
    goal_percent=80,
    remedy=False,
    basis="standard",
    source=SRC_8020,
)
_add(
    "cc-answer-60s",
    "contact_centre",
    "ccc",
    "人工接通率不低于95%（60秒内接听，排队中放弃的来电计为未达成）",
    "At least 95% of calls are answered by an agent within 60 seconds "
    "(a call abandoned in the queue counts as missed)",
    *_CC,
    60,
    "seconds",
    "care-center",
    goal_percent=95,
    remedy=False,
    basis="standard",
    source=SRC_BRANCH_STD,
)
_add(
    "cc-english-30s",
    "contact_centre",
    "ccc",
    "英语服务热线80%的来电在30秒内接听",
    "80% of calls to the English line are answered within 30 seconds",
    *_CC,
    30,
    "seconds",
    "care-center",
    event_filter={"language": "en"},
    goal_percent=80,
    remedy=False,
)
_add(
    "cc-vip-10s",
    "contact_centre",
    "ccc",
    "贵宾专线来电10秒内接听",
    "Calls on the VIP line are answered within 10 seconds",
    *_CC,
    10,
    "seconds",
    "care-center",
    event_filter={"queue": "vip"},
    goal_percent=90,
    remedy=False,
)
_add(
    "cc-callback-on-time",
    "contact_centre",
    "ccc",
    "预约回电在约定时间后10分钟内拨出",
    "Promised callbacks are made within 10 minutes of the agreed time",
    "contact.callback.due",
    "contact.callback.made",
    10,
    "minutes",
    "care-center",
    goal_percent=95,
)
_add(
    "cc-onsite-30min",
    "contact_centre",
    "ccc",
    "客户申请上门服务的，30分钟内给予明确答复",
    "A customer asking for a home visit gets a clear answer within 30 minutes",
    R_OPENED,
    R_FIRST,
    30,
    "minutes",
    "care-center",
    event_filter={"category": "onsite_service"},
    cancel_events=R_CANCEL,
    basis="published",
    source=SRC_ONSITE,
)
_add(
    "cc-phone-request-first-2h",
    "contact_centre",
    "ccc",
    "电话受理的服务请求2小时内首次回复客户",
    "Requests made by phone get a first answer within 2 hours",
    R_OPENED,
    R_FIRST,
    2,
    "hours",
    "care-center",
    event_filter={"channel": "phone"},
    cancel_events=R_CANCEL,
)

# Complaints (head office: wherever the complaint is made).
_COMPLAINT = {"kind": "complaint"}
_add(
    "complaint-simple-15d",
    "complaints",
    "hq",
    "事实清楚、争议简单的投诉，15日内处理完毕并告知客户",
    "A simple, clear-cut complaint is closed and the customer told within 15 days",
    R_OPENED,
    R_RESOLVED,
    15,
    "days",
    "24x7",
    event_filter={**_COMPLAINT, "severity": "simple"},
    goal_percent=100,
    cancel_events=R_CANCEL,
    basis="regulation",
    source=SRC_COMPLAINT,
)
_add(
    "complaint-complex-30d",
    "complaints",
    "hq",
    "情况复杂的投诉，30日内处理完毕并告知客户",
    "A complex complaint is closed and the customer told within 30 days",
    R_OPENED,
    R_RESOLVED,
    30,
    "days",
    "24x7",
    event_filter={**_COMPLAINT, "severity": "complex"},
    goal_percent=100,
    cancel_events=R_CANCEL,
    basis="regulation",
    source=SRC_COMPLAINT,
)
_add(
    "complaint-major-60d",
    "complaints",
    "hq",
    "情况特别复杂的投诉，经审批延期后总计不超过60日处理完毕",
    "An especially complex complaint, extended with approval, is closed within 60 days in all",
    R_OPENED,
    R_RESOLVED,
    60,
    "days",
    "24x7",
    event_filter={**_COMPLAINT, "severity": "complex"},
    goal_percent=100,
    cancel_events=R_CANCEL,
    basis="regulation",
    source=SRC_COMPLAINT,
)
_add(
    "complaint-simple-7wd",
    "complaints",
    "hq",
    "本行承诺：简单投诉7个工作日内处理完毕（严于监管15日要求）",
    "Our promise: simple complaints are closed within 7 working days "
    "(tighter than the 15-day rule)",
    R_OPENED,
    R_RESOLVED,
    7,
    "working_days",
    "head-office",
    event_filter={**_COMPLAINT, "severity": "simple"},
    goal_percent=95,
    cancel_events=R_CANCEL,
    **PAUSE,
)
_add(
    "complaint-first-24h",
    "complaints",
    "hq",
    "投诉受理后24小时内首次联系客户",
    "Every complaint gets a first call to the customer within 24 hours",
    R_OPENED,
    R_FIRST,
    24,
    "hours",
    "24x7",
    event_filter=_COMPLAINT,
    goal_percent=98,
    cancel_events=R_CANCEL,
)
_add(
    "complaint-counter-2h",
    "complaints",
    "hq",
    "在网点提出的投诉，2个营业小时内由网点负责人回应",
    "A complaint made at a branch gets an answer from the branch's manager within 2 opening hours",
    R_OPENED,
    R_FIRST,
    2,
    "hours",
    "branch",
    event_filter={**_COMPLAINT, "channel": "counter"},
    cancel_events=R_CANCEL,
)
_add(
    "complaint-letter-3wd",
    "complaints",
    "hq",
    "信函投诉3个工作日内书面确认收到",
    "A complaint by letter is acknowledged in writing within 3 working days",
    R_OPENED,
    R_FIRST,
    3,
    "working_days",
    "head-office",
    event_filter={**_COMPLAINT, "channel": "letter"},
    cancel_events=R_CANCEL,
)
_add(
    "credit-dispute-20d",
    "complaints",
    "hq",
    "对个人征信信息提出异议的，20日内核查处理并书面答复",
    "A dispute about credit-report data is checked and answered in writing within 20 days",
    R_OPENED,
    R_RESOLVED,
    20,
    "days",
    "24x7",
    event_filter={"category": "credit_report"},
    goal_percent=100,
    cancel_events=R_CANCEL,
    basis="regulation",
    source=SRC_CREDIT,
)
_add(
    "aml-objection-15d",
    "complaints",
    "compliance",
    "对本行洗钱风险管理措施有异议的，15日内处理并答复",
    "An objection to an anti-money-laundering restriction on an account is answered within 15 days",
    R_OPENED,
    R_RESOLVED,
    15,
    "days",
    "24x7",
    event_filter={"category": "aml_objection"},
    goal_percent=100,
    cancel_events=R_CANCEL,
    basis="regulation",
    source=SRC_AML,
)
_add(
    "complaint-callback-satisfied-2wd",
    "complaints",
    "ccc",
    "投诉办结后2个工作日内回访客户",
    "The customer is called back within 2 working days of a complaint being closed",
    R_RESOLVED,
    "request.closed",
    2,
    "working_days",
    "head-office",
    event_filter=_COMPLAINT,
    remedy=False,
)

# Service requests by category (the Customer Care Center: first response and resolution).
for category, (zh, en) in CATEGORIES.items():
    _add(
        f"request-{category}-first-4h",
        "requests",
        "ccc",
        f"{zh}类服务请求，4小时内首次回复客户",
        f"Requests about {en} get a first answer within 4 hours",
        R_OPENED,
        R_FIRST,
        4,
        "hours",
        "care-center",
        event_filter={"category": category},
        cancel_events=R_CANCEL,
    )
    days = 1 if category in ("enquiry", "info_change", "statement", "deposit_proof") else 3
    _add(
        f"request-{category}-resolve-{days}wd",
        "requests",
        "ccc",
        f"{zh}类服务请求，{days}个工作日内办结（等待客户补充资料期间暂停计时）",
        f"Requests about {en} are resolved within {days} working "
        f"day{'s' if days > 1 else ''} (the clock stops while we wait for the customer)",
        R_OPENED,
        R_RESOLVED,
        days,
        "working_days",
        "head-office",
        event_filter={"category": category},
        cancel_events=R_CANCEL,
        **PAUSE,
    )

# Second-line units to the first line: transfers accepted and answered.
_T_SENT = "request.transfer.sent"
# unit code → (Chinese name, English name, hours to accept, days to answer, calendar)
_SECOND_LINE = {
    "ops": ("运营管理部", "Operations", 2, 1, "head-office"),
    "cards": ("信用卡中心", "The cards centre", 2, 2, "head-office"),
    "loans": ("个人信贷部", "Personal loans", 4, 2, "head-office"),
    "it": ("信息科技部", "IT", 1, 1, "24x7"),
    "wealth": ("财富管理部", "Wealth management", 4, 1, "head-office"),
    "compliance": ("合规部", "Compliance", 4, 3, "head-office"),
}
for unit, (zh, en, hours, days, cal) in _SECOND_LINE.items():
    for to in FIRST_LINE:
        to_zh, to_en = BRANCH_NAMES[to]
        hours_en = f"{hours} working hour{'s' if hours > 1 else ''}"
        if cal == "24x7":
            hours_en = f"{hours} hour{'s' if hours > 1 else ''}"
        _add(
            f"{unit}-accept-{to}",
            "internal",
            unit,
            f"{zh}受理{to_zh}转办事项，{hours}个{'' if cal == '24x7' else '工作'}小时内接单",
            f"{en} accepts matters passed on by {to_en} within {hours_en}",
            _T_SENT,
            "request.transfer.accepted",
            hours,
            "hours",
            cal,
            event_filter={"from_unit": to},
            beneficiary_unit=to,
            goal_percent=95,
            remedy=False,
        )
        _add(
            f"{unit}-answer-{to}",
            "internal",
            unit,
            f"{zh}对{to_zh}转办事项，{days}个工作日内答复办理结果",
            f"{en} answers matters passed on by {to_en} within {days} working "
            f"day{'s' if days > 1 else ''}",
            _T_SENT,
            "request.transfer.answered",
            days,
            "working_days",
            "head-office",
            event_filter={"from_unit": to},
            beneficiary_unit=to,
            goal_percent=95,
            remedy=False,
        )
for branch in BRANCHES:
    zh, en = BRANCH_NAMES[branch]
    _add(
        f"ops-cash-{branch}",
        "internal",
        "ops",
        f"运营管理部将{zh}的现金调拨1个工作日内送达",
        f"Operations delivers cash orders to {en} within 1 working day",
        "ops.item.requested",
        "ops.item.delivered",
        1,
        "working_days",
        "head-office",
        event_filter={"item": "cash", "branch": branch},
        beneficiary_unit=branch,
        remedy=False,
    )
    _add(
        f"ops-vouchers-{branch}",
        "internal",
        "ops",
        f"运营管理部将{zh}申领的重要空白凭证2个工作日内配送到位",
        f"Operations delivers the blank security forms {en} orders within 2 working days",
        "ops.item.requested",
        "ops.item.delivered",
        2,
        "working_days",
        "head-office",
        event_filter={"item": "vouchers", "branch": branch},
        beneficiary_unit=branch,
        remedy=False,
    )
_add(
    "ops-batch-overnight",
    "payments",
    "ops",
    "代发工资批量文件在夜间批处理时段4小时内完成入账",
    "Payroll files are credited to employees' accounts within 4 hours of the overnight batch window",
    "ops.item.requested",
    "ops.item.delivered",
    4,
    "hours",
    "overnight-ops",
    event_filter={"item": "payroll_batch"},
    remedy=False,
)

CATALOGUE: tuple[Entry, ...] = tuple(_ENTRIES)
