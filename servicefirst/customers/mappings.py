"""Column mappings for customer imports: each turns one source row into the input of
`validation.clean_customer` plus the extra records the row carries (its upsert key, references
to branches and staff, holdings, campaign contacts).

`MAPPINGS` is the registry (name → Mapping). A mapping is bound to a file's header first
(`bind`), which says which columns are missing; then `convert` is called once per row, in file
order (mappings may keep state across rows, e.g. the UCI file's implied year).

Values written to the database by a mapping are never translated: the same file must produce
the same stored values whatever the language of the person importing it.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicefirst.core.exports import unescape_cell
from servicefirst.customers.models import Customer, Interaction, Product


@dataclass
class HoldingSpec:
    """A product the customer holds according to the source (upsert on customer + product)."""

    product: str
    balance: Decimal = Decimal("0")
    opened_on: datetime.date | None = None
    status: str = "active"
    closed_on: datetime.date | None = None


@dataclass
class InteractionSpec:
    """A timeline entry (upsert on campaign + source_key)."""

    campaign: str
    source_key: str
    kind: str
    occurred_at: datetime.datetime
    channel: str = ""
    outcome: str = ""
    summary: str = ""
    detail: dict = field(default_factory=dict)


@dataclass
class Extras:
    """Everything a row carries besides the customer fields for `clean_customer`."""

    number: str = ""  # an existing customer number: update that customer (it must exist)
    source: str = ""  # with source_key: the stable key of the record in its source system
    source_key: str = ""
    home_branch: str | None = None  # Unit.code; None when the file has no such column
    relationship_manager: str | None = None  # Staff.employee_number
    holdings: list[HoldingSpec] = field(default_factory=list)
    interactions: list[InteractionSpec] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


def _norm_header(text: Any) -> str:
    return str(text or "").replace("\ufeff", "").strip().lower().replace(" ", "_")


class Mapping(ABC):
    """Base class. Subclasses set `name`, `label`, `source`, `required` and implement `convert`."""

    name = ""
    label: Any = ""
    source = ""
    required: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    products: dict[str, tuple[str, str, str]] = {}  # code → (name_zh, name_en, category)
    campaigns: dict[str, dict[str, Any]] = {}  # code → {"name", "product", "started_on"}
    # Our field → the source column reported in errors about it.
    error_columns: dict[str, str] = {}

    def bind(self, headers: list[str]) -> list[tuple[str, str]]:
        """Remember the header; return (column, message) for every problem with it."""
        self.headers = headers
        self.start()
        present = set(headers)
        return [
            (col, _("The file has no column “%(column)s”.") % {"column": col})
            for col in self.required
            if col not in present
        ]

    def start(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Reset any state kept across rows."""

    def column_for(self, field_name: str) -> str:
        return self.error_columns.get(field_name, field_name)

    @abstractmethod
    def convert(self, row: dict[str, Any], line: int) -> tuple[dict[str, Any], Extras]:
        """One source row → (customer fields for `clean_customer`, extra records)."""


# --- helpers shared by the dataset mappings --------------------------------------------------


def _int(value: Any, column: str, errors: list, low: int | None = None, high: int | None = None):
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        errors.append((column, _("“%(value)s” is not a whole number.") % {"value": value}))
        return None
    if (low is not None and n < low) or (high is not None and n > high):
        errors.append(
            (
                column,
                _("%(value)s is outside the range %(low)s–%(high)s.")
                % {"value": n, "low": low, "high": high},
            )
        )
        return None
    return n


def _decimal(value: Any, column: str, errors: list) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors.append((column, _("“%(value)s” is not a number.") % {"value": value}))
        return None
    if not d.is_finite() or d < 0:
        errors.append((column, _("“%(value)s” is not an amount.") % {"value": value}))
        return None
    return d


def _choice(value: Any, column: str, choices: dict, errors: list):
    key = str(value or "").strip()
    if key not in choices:
        errors.append(
            (
                column,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": key, "choices": ", ".join(choices)},
            )
        )
        return None
    return choices[key]


def _born_around(reference: datetime.date, age: int) -> datetime.date:
    """An approximate birth date for someone `age` years old on `reference` (1 July)."""
    return datetime.date(reference.year - age, 7, 1)


def _income_band_cny(yearly_cny: Decimal) -> str:
    if yearly_cny < 50_000:
        return Customer.IncomeBand.UNDER_50K
    if yearly_cny < 100_000:
        return Customer.IncomeBand.FROM_50K
    if yearly_cny < 300_000:
        return Customer.IncomeBand.FROM_100K
    if yearly_cny < 1_000_000:
        return Customer.IncomeBand.FROM_300K
    return Customer.IncomeBand.OVER_1M


def _aum_band_cny(amount: Decimal) -> str:
    if amount < 50_000:
        return Customer.AumBand.UNDER_50K
    if amount < 500_000:
        return Customer.AumBand.FROM_50K
    if amount < 6_000_000:
        return Customer.AumBand.FROM_500K
    return Customer.AumBand.OVER_6M


def _months_before(day: datetime.date, months: int) -> datetime.date:
    total = day.year * 12 + (day.month - 1) - months
    return datetime.date(total // 12, total % 12 + 1, 1)


# --- customers: our own columns, English or Chinese ------------------------------------------

CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_number": ("客户号", "客户编号", "number"),
    "external_id": ("外部编号", "外部id"),
    "name_zh": ("姓名", "中文名", "中文姓名"),
    "name_latin": ("英文名", "拼音名", "英文姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "生日"),
    "id_type": ("证件类型",),
    "id_number": ("证件号码", "身份证号", "身份证号码", "证件号"),
    "phones": ("手机", "手机号", "电话", "phone", "mobile"),
    "email": ("电子邮箱", "邮箱", "e-mail"),
    "home_address": ("住址", "家庭住址"),
    "mailing_address": ("通讯地址",),
    "postal_code": ("邮编", "邮政编码"),
    "marital_status": ("婚姻状况",),
    "dependents": ("供养人数",),
    "occupation": ("职业",),
    "work_nature": ("工作性质",),
    "employer": ("工作单位",),
    "income_band": ("年收入",),
    "education": ("学历",),
    "preferred_language": ("偏好语言",),
    "preferred_channel": ("偏好渠道",),
    "contact_time": ("联系时间",),
    "interests": ("兴趣",),
    "risk_appetite": ("风险偏好",),
    "aum_band": ("资产规模",),
    "value_tier": ("客户等级",),
    "lifecycle": ("客户类别",),
    "lifecycle_reason": ("类别原因",),
    "home_branch": ("所属网点",),
    "relationship_manager": ("客户经理",),
    "do_not_call": ("勿电联",),
}
_CUSTOMER_ALIASES = {
    _norm_header(alias): name
    for name, aliases in CUSTOMER_COLUMNS.items()
    for alias in (name, *aliases)
}


class CustomersMapping(Mapping):
    """Our own customer file: one column per field, headed by the field name or its Chinese
    label (客户号, 姓名, 手机, 证件号码 ...; see `CUSTOMER_COLUMNS`). Several phones in one cell are
    separated by ``;`` or ``,``. Columns not listed are ignored; empty cells leave the stored
    value as it is. A cell our export quoted because it looked like a formula (``'=x``) is
    read without that quote (`core.exports.unescape_cell`), so an export imports losslessly.

    The row's key: `customer_number` (the customer must exist) if given, else `external_id`
    (source "import"), else the identity number (matched by its keyed hash).
    """

    name = "customers"
    label = gettext_lazy("ServiceFirst customer file (English or Chinese column names)")
    source = "import"

    def bind(self, headers: list[str]) -> list[tuple[str, str]]:
        self.headers = headers
        self.columns: dict[str, str] = {}  # field → header as it appears in the file
        problems = []
        for header in headers:
            target = _CUSTOMER_ALIASES.get(_norm_header(header))
            if target is None:
                continue
            if target in self.columns:
                problems.append(
                    (
                        header,
                        _("Columns “%(a)s” and “%(b)s” both give %(field)s.")
                        % {"a": self.columns[target], "b": header, "field": target},
                    )
                )
            self.columns[target] = header
        if not self.columns:
            problems.append(
                ("", _("None of the column names is known; see the list of columns on the page."))
            )
        elif not {"customer_number", "external_id", "id_number"} & self.columns.keys():
            problems.append(
                (
                    "customer_number",
                    _(
                        "The file has none of the columns that say which customer a row is: "
                        "customer_number (客户号), external_id (外部编号) or id_number (证件号码)."
                    ),
                )
            )
        return problems

    def column_for(self, field_name: str) -> str:
        if field_name in ("home_branch_id", "relationship_manager_id"):
            field_name = field_name.removesuffix("_id")
        return self.columns.get(field_name, field_name)

    def convert(self, row: dict[str, Any], line: int) -> tuple[dict[str, Any], Extras]:
        data: dict[str, Any] = {}
        for target, header in self.columns.items():
            value = row.get(header)
            if value is None:
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
                if value[0] == "'":  # our own export quoted a formula-like cell: unquote it
                    value = unescape_cell(value)
            data[target] = value
        extras = Extras()
        extras.number = str(data.pop("customer_number", "")).strip().upper()
        external = str(data.pop("external_id", "")).strip()
        if external:
            if len(external) > 64:
                extras.errors.append((self.column_for("external_id"), _("At most 64 characters.")))
            extras.source, extras.source_key = self.source, external
        if "home_branch" in data:
            extras.home_branch = str(data.pop("home_branch")).strip()
        if "relationship_manager" in data:
            extras.relationship_manager = str(data.pop("relationship_manager")).strip()
        if "phones" in data:
            data["phones"] = str(data["phones"]).replace(";", ",").replace("；", ",")
        if "interests" in data:
            data["interests"] = str(data["interests"]).replace(";", ",").replace("；", ",")
        return data, extras


# --- UCI bank marketing --------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}
_UCI_JOBS = {
    "admin.": Customer.WorkNature.EMPLOYEE,
    "blue-collar": Customer.WorkNature.EMPLOYEE,
    "entrepreneur": Customer.WorkNature.BUSINESS_OWNER,
    "housemaid": Customer.WorkNature.EMPLOYEE,
    "management": Customer.WorkNature.EMPLOYEE,
    "retired": Customer.WorkNature.RETIRED,
    "self-employed": Customer.WorkNature.SELF_EMPLOYED,
    "services": Customer.WorkNature.EMPLOYEE,
    "student": Customer.WorkNature.STUDENT,
    "technician": Customer.WorkNature.EMPLOYEE,
    "unemployed": Customer.WorkNature.UNEMPLOYED,
    "unknown": Customer.WorkNature.UNKNOWN,
}
_UCI_MARITAL = {
    "married": Customer.Marital.MARRIED,
    "single": Customer.Marital.SINGLE,
    "divorced": Customer.Marital.DIVORCED,  # UCI: divorced or widowed
    "unknown": Customer.Marital.UNKNOWN,
}
_YES_NO_UNKNOWN = {"yes": "yes", "no": "no", "unknown": "unknown"}
_CONTACT = {"cellular": "cellular", "telephone": "telephone"}
_POUTCOME = {"failure": "failure", "nonexistent": "nonexistent", "success": "success"}
_YES_NO = {"yes": "yes", "no": "no"}

UCI_CAMPAIGN = "uci-term-deposit"
UCI_TERM_DEPOSIT = "uci-term-deposit"


class UciBankMarketingMapping(Mapping):
    """The UCI bank telemarketing file (Moro, Cortez and Rita, CC BY 4.0;
    `bank-marketing/bank-additional-train.csv`): semicolon-separated, quoted, CRLF.

    Each row becomes one customer (source "uci-bank-marketing", key = the data line number,
    1 for the first row after the header) and one `campaign_call` interaction in the campaign
    "uci-term-deposit" (upsert on campaign + key). The file has no names, so the customer is
    called "UCI client 000123"; its preferred language is Portuguese (a Portuguese bank).

    - Year: the file has none; rows are in date order from May 2008, so the year starts at
      2008 and goes up whenever the month goes back (dec → mar). The day is the first
      `day_of_week` of that month, at 10:00 bank time. Both are nominal.
    - age → birth date 1 July of (contact year − age); job → occupation (as in the file) and
      nature of work; marital → marital status; education → education (as in the file).
    - housing = yes / loan = yes → holdings of a housing loan / personal loan; y = yes → a
      holding of the term deposit. Balances are unknown and stored as 0, opened on the contact
      date. `default` is kept in the interaction detail.
    - Interaction: outcome = y; detail keeps month, day_of_week, contact, campaign, pdays
      (999 → null, "never contacted before"), previous, poutcome, default and the economic
      context columns. `duration` is stored in the detail only: it is known after the call and
      must not be used for anything else.
    """

    name = "uci-bank-marketing"
    label = gettext_lazy("UCI bank telemarketing (bank-additional)")
    source = "uci-bank-marketing"
    required = (
        "age",
        "job",
        "marital",
        "education",
        "default",
        "housing",
        "loan",
        "contact",
        "month",
        "day_of_week",
        "duration",
        "campaign",
        "pdays",
        "previous",
        "poutcome",
        "y",
    )
    context_columns = (
        "emp.var.rate",
        "cons.price.idx",
        "cons.conf.idx",
        "euribor3m",
        "nr.employed",
    )
    products = {
        UCI_TERM_DEPOSIT: ("定期存款", "Term deposit", Product.Category.DEPOSIT),
        "uci-housing-loan": ("住房贷款", "Housing loan", Product.Category.LOAN),
        "uci-personal-loan": ("个人贷款", "Personal loan", Product.Category.LOAN),
    }
    campaigns = {
        UCI_CAMPAIGN: {
            "name": "Term deposit telemarketing (UCI bank marketing)",
            "product": UCI_TERM_DEPOSIT,
            "started_on": datetime.date(2008, 5, 1),
        }
    }
    error_columns = {
        "birth_date": "age",
        "occupation": "job",
        "work_nature": "job",
        "marital_status": "marital",
        "education": "education",
    }

    def start(self) -> None:
        self.year = 2008
        self.last_month = 0
        self.moments: dict[datetime.date, datetime.datetime] = {}

    def convert(self, row: dict[str, Any], line: int) -> tuple[dict[str, Any], Extras]:
        errors: list[tuple[str, str]] = []
        key = line - 1
        age = _int(row.get("age"), "age", errors, 17, 110)
        job = str(row.get("job") or "").strip()
        work = _choice(job, "job", _UCI_JOBS, errors)
        marital = _choice(row.get("marital"), "marital", _UCI_MARITAL, errors)
        default = _choice(row.get("default"), "default", _YES_NO_UNKNOWN, errors)
        housing = _choice(row.get("housing"), "housing", _YES_NO_UNKNOWN, errors)
        loan = _choice(row.get("loan"), "loan", _YES_NO_UNKNOWN, errors)
        contact = _choice(row.get("contact"), "contact", _CONTACT, errors)
        month = _choice(row.get("month"), "month", _MONTHS, errors)
        weekday = _choice(row.get("day_of_week"), "day_of_week", _WEEKDAYS, errors)
        duration = _int(row.get("duration"), "duration", errors, 0)
        campaign = _int(row.get("campaign"), "campaign", errors, 0)
        pdays = _int(row.get("pdays"), "pdays", errors, 0)
        previous = _int(row.get("previous"), "previous", errors, 0)
        poutcome = _choice(row.get("poutcome"), "poutcome", _POUTCOME, errors)
        y = _choice(row.get("y"), "y", _YES_NO, errors)

        if month is not None:
            if month < self.last_month:
                self.year += 1
            self.last_month = month
        extras = Extras(source=self.source, source_key=str(key), errors=errors)
        data: dict[str, Any] = {
            "name_latin": f"UCI client {key:06d}",
            "occupation": "" if job == "unknown" else job,
            "education": "" if row.get("education") == "unknown" else row.get("education"),
            "preferred_language": "pt",
            "lifecycle": Customer.Lifecycle.CURRENT,
        }
        if work is not None:
            data["work_nature"] = work
        if marital is not None:
            data["marital_status"] = marital
        if errors or month is None or weekday is None:
            return data, extras

        first = datetime.date(self.year, month, 1)
        day = first + datetime.timedelta(days=(weekday - first.weekday()) % 7)
        occurred = self.moments.get(day)
        if occurred is None:
            occurred = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
            self.moments[day] = occurred
        data["birth_date"] = _born_around(day, age)
        if housing == "yes":
            extras.holdings.append(HoldingSpec("uci-housing-loan", opened_on=day))
        if loan == "yes":
            extras.holdings.append(HoldingSpec("uci-personal-loan", opened_on=day))
        if y == "yes":
            extras.holdings.append(HoldingSpec(UCI_TERM_DEPOSIT, opened_on=day))
        detail = {
            "month": row["month"],
            "day_of_week": row["day_of_week"],
            "contact": contact,
            "campaign": campaign,
            "pdays": None if pdays == 999 else pdays,
            "previous": previous,
            "poutcome": poutcome,
            "default": default,
            "housing": housing,
            "loan": loan,
            "y": y,
            "duration": duration,  # known only after the call: stored, never used
        }
        for column in self.context_columns:
            if row.get(column) not in (None, ""):
                detail[column] = row[column]
        extras.interactions.append(
            InteractionSpec(
                campaign=UCI_CAMPAIGN,
                source_key=str(key),
                kind=Interaction.Kind.CAMPAIGN_CALL,
                occurred_at=occurred,
                channel=Customer.Channel.PHONE,
                outcome=y,
                summary=f"Term deposit offer ({contact}): {y}",
                detail=detail,
            )
        )
        return data, extras


# --- Churn modelling (Kaggle) ----------------------------------------------------------------

EUR_TO_CNY = Decimal("7.8")
USD_TO_CNY = Decimal("7.1")


class ChurnModellingMapping(Mapping):
    """`churn/Churn_Modelling.csv`: 10,000 customers of a European bank and whether they left.

    Key: CustomerId (source "churn-modelling"). Surname → Latin name; Gender; Age → birth
    date 1 July of (2019 − Age) (the file has no date; 2019-01-01 is the nominal reference
    date); Geography → home address (the country) and preferred language (fr/de/es).
    Balance (EUR) → a savings-deposit holding and the AUM band; EstimatedSalary (EUR) → income
    band; HasCrCard = 1 → a credit-card holding; Tenure (years) → the holdings' opening date;
    NumOfProducts and IsActiveMember → the lifecycle reason; Exited = 1 → lifecycle "former"
    and the holdings closed. Amounts are converted at a nominal 1 EUR = 7.8 CNY.
    CreditScore and RowNumber are not stored.
    """

    name = "churn-modelling"
    label = gettext_lazy("Churn modelling (Churn_Modelling.csv)")
    source = "churn-modelling"
    reference = datetime.date(2019, 1, 1)
    required = (
        "CustomerId",
        "Surname",
        "Geography",
        "Gender",
        "Age",
        "Tenure",
        "Balance",
        "NumOfProducts",
        "HasCrCard",
        "IsActiveMember",
        "EstimatedSalary",
        "Exited",
    )
    products = {
        "churn-savings": ("储蓄存款", "Savings deposit", Product.Category.DEPOSIT),
        "churn-credit-card": ("信用卡", "Credit card", Product.Category.CARD),
    }
    error_columns = {
        "name_latin": "Surname",
        "name_zh": "Surname",
        "gender": "Gender",
        "birth_date": "Age",
        "home_address": "Geography",
    }
    _languages = {"France": "fr", "Germany": "de", "Spain": "es"}

    def convert(self, row: dict[str, Any], line: int) -> tuple[dict[str, Any], Extras]:
        errors: list[tuple[str, str]] = []
        key = _int(row.get("CustomerId"), "CustomerId", errors, 1)
        age = _int(row.get("Age"), "Age", errors, 16, 110)
        tenure = _int(row.get("Tenure"), "Tenure", errors, 0, 100)
        balance = _decimal(row.get("Balance"), "Balance", errors)
        products = _int(row.get("NumOfProducts"), "NumOfProducts", errors, 0, 50)
        card = _int(row.get("HasCrCard"), "HasCrCard", errors, 0, 1)
        active = _int(row.get("IsActiveMember"), "IsActiveMember", errors, 0, 1)
        salary = _decimal(row.get("EstimatedSalary"), "EstimatedSalary", errors)
        exited = _int(row.get("Exited"), "Exited", errors, 0, 1)
        geography = str(row.get("Geography") or "").strip()
        extras = Extras(source=self.source, source_key=str(key or ""), errors=errors)
        data: dict[str, Any] = {
            "name_latin": row.get("Surname"),
            "gender": row.get("Gender"),
            "home_address": geography,
        }
        if geography in self._languages:
            data["preferred_language"] = self._languages[geography]
        if errors:
            return data, extras
        data["birth_date"] = _born_around(self.reference, age)
        data["income_band"] = _income_band_cny(salary * EUR_TO_CNY)
        data["aum_band"] = _aum_band_cny(balance * EUR_TO_CNY)
        data["lifecycle"] = Customer.Lifecycle.FORMER if exited else Customer.Lifecycle.CURRENT
        member = "active member" if active else "inactive member"
        data["lifecycle_reason"] = (
            f"Left the bank; {products} products; {member}"
            if exited
            else f"{products} products; {member}"
        )
        opened = datetime.date(self.reference.year - tenure, 1, 1)
        status = "closed" if exited else "active"
        closed_on = self.reference if exited else None
        extras.holdings.append(
            HoldingSpec(
                "churn-savings",
                balance=(balance * EUR_TO_CNY).quantize(Decimal("0.01")),
                opened_on=opened,
                status=status,
                closed_on=closed_on,
            )
        )
        if card:
            extras.holdings.append(
                HoldingSpec(
                    "churn-credit-card", opened_on=opened, status=status, closed_on=closed_on
                )
            )
        return data, extras


# --- Bank churners (Kaggle credit-card customers) ----------------------------------------------

_CHURNER_INCOME = {
    "Less than $40K": Customer.IncomeBand.FROM_100K,
    "$40K - $60K": Customer.IncomeBand.FROM_300K,
    "$60K - $80K": Customer.IncomeBand.FROM_300K,
    "$80K - $120K": Customer.IncomeBand.FROM_300K,
    "$120K +": Customer.IncomeBand.OVER_1M,
    "Unknown": Customer.IncomeBand.UNKNOWN,
}
_CHURNER_MARITAL = {
    "Married": Customer.Marital.MARRIED,
    "Single": Customer.Marital.SINGLE,
    "Divorced": Customer.Marital.DIVORCED,
    "Unknown": Customer.Marital.UNKNOWN,
}
_CHURNER_ATTRITION = {
    "Existing Customer": Customer.Lifecycle.CURRENT,
    "Attrited Customer": Customer.Lifecycle.FORMER,
}
_CHURNER_CARDS = {
    "Blue": "card-blue",
    "Silver": "card-silver",
    "Gold": "card-gold",
    "Platinum": "card-platinum",
}


class BankChurnersMapping(Mapping):
    """`churn/BankChurners.csv`: 10,127 credit-card customers and whether they closed the
    account.

    Key: CLIENTNUM (source "bank-churners"); the file has no names, so the customer is called
    "Card client 768805383". Attrition_Flag → lifecycle (Attrited → "former", the card closed);
    Customer_Age → birth date 1 July of (2020 − age) (nominal reference date 2020-01-01);
    Gender; Dependent_count → dependants; Education_Level → education; Marital_Status;
    Income_Category (USD) → income band at a nominal 1 USD = 7.1 CNY (under $40K → ¥100k–300k,
    $40K–$120K → ¥300k–1m, $120K+ → over ¥1m); Card_Category → a card holding (Blue, Silver,
    Gold, Platinum) whose balance is Total_Revolving_Bal × 7.1, opened Months_on_book months
    before the reference date. The two Naive_Bayes_Classifier columns are dropped (they are a
    model's output and leak the target); the activity columns are not stored.
    """

    name = "bank-churners"
    label = gettext_lazy("Credit-card customers (BankChurners.csv)")
    source = "bank-churners"
    reference = datetime.date(2020, 1, 1)
    required = (
        "CLIENTNUM",
        "Attrition_Flag",
        "Customer_Age",
        "Gender",
        "Dependent_count",
        "Education_Level",
        "Marital_Status",
        "Income_Category",
        "Card_Category",
        "Months_on_book",
        "Total_Revolving_Bal",
    )
    products = {
        "card-blue": ("蓝卡", "Blue card", Product.Category.CARD),
        "card-silver": ("银卡", "Silver card", Product.Category.CARD),
        "card-gold": ("金卡", "Gold card", Product.Category.CARD),
        "card-platinum": ("白金卡", "Platinum card", Product.Category.CARD),
    }
    error_columns = {
        "gender": "Gender",
        "birth_date": "Customer_Age",
        "dependents": "Dependent_count",
        "education": "Education_Level",
        "marital_status": "Marital_Status",
    }

    def convert(self, row: dict[str, Any], line: int) -> tuple[dict[str, Any], Extras]:
        errors: list[tuple[str, str]] = []
        key = _int(row.get("CLIENTNUM"), "CLIENTNUM", errors, 1)
        lifecycle = _choice(row.get("Attrition_Flag"), "Attrition_Flag", _CHURNER_ATTRITION, errors)
        age = _int(row.get("Customer_Age"), "Customer_Age", errors, 16, 110)
        income = _choice(row.get("Income_Category"), "Income_Category", _CHURNER_INCOME, errors)
        marital = _choice(row.get("Marital_Status"), "Marital_Status", _CHURNER_MARITAL, errors)
        card = _choice(row.get("Card_Category"), "Card_Category", _CHURNER_CARDS, errors)
        months = _int(row.get("Months_on_book"), "Months_on_book", errors, 0, 1200)
        revolving = _decimal(row.get("Total_Revolving_Bal"), "Total_Revolving_Bal", errors)
        education = str(row.get("Education_Level") or "").strip()
        extras = Extras(source=self.source, source_key=str(key or ""), errors=errors)
        data: dict[str, Any] = {
            "name_latin": f"Card client {key}",
            "gender": row.get("Gender"),
            "dependents": row.get("Dependent_count"),
            "education": "" if education == "Unknown" else education,
        }
        if errors:
            return data, extras
        data.update(
            {
                "birth_date": _born_around(self.reference, age),
                "income_band": income,
                "marital_status": marital,
                "lifecycle": lifecycle,
                "lifecycle_reason": "Closed the card account"
                if lifecycle == Customer.Lifecycle.FORMER
                else "",
            }
        )
        former = lifecycle == Customer.Lifecycle.FORMER
        extras.holdings.append(
            HoldingSpec(
                card,
                balance=(revolving * USD_TO_CNY).quantize(Decimal("0.01")),
                opened_on=_months_before(self.reference, months),
                status="closed" if former else "active",
                closed_on=self.reference if former else None,
            )
        )
        return data, extras


MAPPINGS: dict[str, Mapping] = {
    m.name: m
    for m in (
        CustomersMapping(),
        UciBankMarketingMapping(),
        ChurnModellingMapping(),
        BankChurnersMapping(),
    )
}


def get_mapping(name: str) -> Mapping:
    """A fresh instance of the named mapping (mappings keep per-file state)."""
    try:
        return type(MAPPINGS[name])()
    except KeyError:
        raise KeyError(name) from None


def mapping_choices() -> list[tuple[str, str]]:
    return [(name, str(m.label)) for name, m in MAPPINGS.items()]
