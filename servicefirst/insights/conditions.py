"""The small declarative language of classification rules and segments.

A condition list is JSON: `[{"field": "aum", "op": "gte", "value": 500000}, ...]`; every
condition must hold. Each field has a kind that fixes its operators and the shape of its value.
`validate` names the bad condition and part (`conditions.2.value`); `compile_q` turns a valid
list into one `Q` over `Customer` built from indexed columns and EXISTS/correlated subqueries,
so the database answers it set-wise. Nothing here evaluates text as code."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicefirst.customers.models import (
    Consent,
    Customer,
    Holding,
    Interaction,
    Product,
)

# Assets under management: what the customer keeps with the bank (not what they owe).
ASSET_CATEGORIES = ("deposit", "fund", "wealth", "insurance")

CHOICE_OPS = ("eq", "ne", "in", "not_in")
NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte")
EXISTS_OPS = ("has", "lacks")
OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "has": gettext_lazy("has"),
    "lacks": gettext_lazy("has no"),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any
    kind: str  # choice | bool | number | money | count | days | exists
    column: str = ""
    choices: Any = None

    @property
    def ops(self) -> tuple[str, ...]:
        if self.kind == "choice":
            return CHOICE_OPS
        if self.kind == "bool":
            return ("eq",)
        if self.kind == "exists":
            return EXISTS_OPS
        return NUMBER_OPS


def _choices(model_choices):
    return lambda: list(model_choices.choices)


def _branch_choices():
    from servicefirst.accounts.models import Unit

    return [(str(u.pk), str(u)) for u in Unit.objects.filter(kind=Unit.Kind.BRANCH)]


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec(
            "lifecycle",
            gettext_lazy("Lifecycle"),
            "choice",
            "lifecycle",
            _choices(Customer.Lifecycle),
        ),
        FieldSpec(
            "value_tier",
            gettext_lazy("Value tier"),
            "choice",
            "value_tier",
            _choices(Customer.Tier),
        ),
        FieldSpec("gender", gettext_lazy("Gender"), "choice", "gender", _choices(Customer.Gender)),
        FieldSpec(
            "marital_status",
            gettext_lazy("Marital status"),
            "choice",
            "marital_status",
            _choices(Customer.Marital),
        ),
        FieldSpec(
            "work_nature",
            gettext_lazy("Nature of work"),
            "choice",
            "work_nature",
            _choices(Customer.WorkNature),
        ),
        FieldSpec(
            "income_band",
            gettext_lazy("Income"),
            "choice",
            "income_band",
            _choices(Customer.IncomeBand),
        ),
        FieldSpec(
            "risk_appetite",
            gettext_lazy("Risk appetite"),
            "choice",
            "risk_appetite",
            _choices(Customer.RiskAppetite),
        ),
        FieldSpec(
            "aum_band",
            gettext_lazy("AUM band (as recorded)"),
            "choice",
            "aum_band",
            _choices(Customer.AumBand),
        ),
        FieldSpec(
            "preferred_channel",
            gettext_lazy("Preferred channel"),
            "choice",
            "preferred_channel",
            _choices(Customer.Channel),
        ),
        FieldSpec(
            "home_branch", gettext_lazy("Home branch"), "choice", "home_branch_id", _branch_choices
        ),
        FieldSpec("do_not_call", gettext_lazy("Do not call"), "bool", "do_not_call"),
        FieldSpec("age", gettext_lazy("Age"), "number"),
        FieldSpec("dependents", gettext_lazy("Dependants"), "number", "dependents"),
        FieldSpec(
            "aum",
            gettext_lazy("Assets with the bank (deposits, funds, wealth, insurance)"),
            "money",
        ),
        FieldSpec("deposit_balance", gettext_lazy("Total deposit balance"), "money"),
        FieldSpec("active_holdings", gettext_lazy("Products held now"), "count"),
        FieldSpec("holdings_ever", gettext_lazy("Products ever held"), "count"),
        FieldSpec("interactions", gettext_lazy("Contacts on the timeline"), "count"),
        FieldSpec("campaign_calls", gettext_lazy("Campaign calls received"), "count"),
        FieldSpec("days_since_contact", gettext_lazy("Days since last contact"), "days"),
        FieldSpec("consent", gettext_lazy("Consent"), "exists", choices=_choices(Consent.Kind)),
        FieldSpec("holding", gettext_lazy("Holding"), "exists"),
        FieldSpec("interaction", gettext_lazy("Interaction"), "exists"),
        FieldSpec("offer", gettext_lazy("Offer"), "exists"),
        FieldSpec("score", gettext_lazy("Propensity score"), "exists"),
    )
}

# Shapes of the structured values of `exists` fields (all keys optional unless said).
HOLDING_KEYS = {"product", "category", "min_balance", "max_balance", "status"}
INTERACTION_KEYS = {"kind", "from", "to", "outcome", "campaign", "channel"}
OFFER_KEYS = {"product", "stage", "from", "to"}
SCORE_KEYS = {"product", "min", "max"}


def score_model():
    """The scoring app's Score model, if it exists yet (built in parallel)."""
    try:
        from servicefirst.scoring.models import Score  # noqa: PLC0415
    except Exception:  # noqa: BLE001 - app without models, or not migrated
        return None
    return Score


# --- validation ---------------------------------------------------------------------------


def _number(value, errors, key, allow_decimal=True):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[key] = [_("Enter a number.")]
        return None
    if not number.is_finite():
        errors[key] = [_("Enter a number.")]
        return None
    if not allow_decimal and number != number.to_integral_value():
        errors[key] = [_("Enter a whole number.")]
        return None
    return number


def _date(value, errors, key):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors[key] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def _check_struct(spec: FieldSpec, value, errors, key) -> dict:
    if spec.name == "consent":
        if value not in Consent.Kind.values:
            errors[key] = [_("Choose a kind of consent.")]
        return {}
    allowed = {
        "holding": HOLDING_KEYS,
        "interaction": INTERACTION_KEYS,
        "offer": OFFER_KEYS,
        "score": SCORE_KEYS,
    }[spec.name]
    if not isinstance(value, dict):
        errors[key] = [_("Give the details as an object.")]
        return {}
    unknown = set(value) - allowed
    if unknown:
        errors[key] = [_("Unknown part: %(names)s.") % {"names": ", ".join(sorted(unknown))}]
        return {}
    if value.get("product") and not Product.objects.filter(code=value["product"]).exists():
        errors[f"{key}.product"] = [_("No such product.")]
    if value.get("category") and value["category"] not in Product.Category.values:
        errors[f"{key}.category"] = [_("Unknown product category.")]
    for part in ("min_balance", "max_balance", "min", "max"):
        if value.get(part) not in (None, ""):
            _number(value[part], errors, f"{key}.{part}")
    for part in ("from", "to"):
        if value.get(part):
            _date(value[part], errors, f"{key}.{part}")
    if (
        spec.name == "interaction"
        and value.get("kind")
        and value["kind"] not in Interaction.Kind.values
    ):
        errors[f"{key}.kind"] = [_("Unknown kind of interaction.")]
    if spec.name == "offer" and value.get("stage"):
        from servicefirst.insights.models import OfferEvent

        if value["stage"] not in OfferEvent.Stage.values:
            errors[f"{key}.stage"] = [_("Unknown stage.")]
    if spec.name == "score":
        if score_model() is None:
            errors[key] = [_("Scores are not available yet.")]
        elif not value.get("product"):
            errors[f"{key}.product"] = [_("Choose the product of the score.")]
    return value


def validate(conditions, prefix: str = "conditions") -> dict[str, list[str]]:
    """Field errors of a condition list (empty when it is valid)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(conditions, list):
        return {prefix: [_("Give a list of conditions.")]}
    for i, cond in enumerate(conditions):
        key = f"{prefix}.{i}"
        if not isinstance(cond, dict):
            errors[key] = [_("Each condition needs a field, an operator and a value.")]
            continue
        spec = FIELDS.get(cond.get("field"))
        if spec is None:
            errors[f"{key}.field"] = [_("Choose a field.")]
            continue
        op = cond.get("op")
        if op not in spec.ops:
            errors[f"{key}.op"] = [
                _("This operator does not apply to %(field)s.") % {"field": spec.label}
            ]
            continue
        value = cond.get("value")
        vkey = f"{key}.value"
        if spec.kind == "choice":
            values = value if op in ("in", "not_in") else [value]
            if not isinstance(values, list) or not values:
                errors[vkey] = [_("Choose at least one value.")]
                continue
            valid = {str(c) for c, _label in spec.choices()}
            if any(str(v) not in valid for v in values):
                errors[vkey] = [_("Choose one of the listed values.")]
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                errors[vkey] = [_("Choose yes or no.")]
        elif spec.kind in ("number", "money", "count", "days"):
            if value in (None, ""):
                errors[vkey] = [_("Enter a number.")]
            else:
                number = _number(value, errors, vkey, allow_decimal=spec.kind == "money")
                if number is not None and number < 0:
                    errors[vkey] = [_("Enter a number of zero or more.")]
        else:
            _check_struct(spec, value, errors, vkey)
    return errors


# --- compilation ----------------------------------------------------------------------------


def _holdings(**filters):
    return Holding.objects.filter(customer=OuterRef("pk"), **filters)


LOOKUP_NAMES = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}
PY_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _aggregate_q(rows, aggregate, op: str, value) -> Q:
    """Compare a per-customer aggregate (sum of balances, count of contacts) with a value,
    set-wise: one GROUP BY ... HAVING over the detail table instead of a subquery per
    customer. Customers without rows have the aggregate 0."""
    grouped = rows.order_by().values("customer_id").annotate(agg=aggregate)
    matching = ~Q(agg=value) if op == "ne" else Q(**{f"agg__{LOOKUP_NAMES[op]}": value})
    if PY_OPS[op](0, value):  # customers with no rows match: exclude those whose total fails
        return ~Q(pk__in=grouped.exclude(matching).values("customer_id"))
    return Q(pk__in=grouped.filter(matching).values("customer_id"))


COUNT_SOURCES = {
    "active_holdings": lambda: Holding.objects.filter(status=Holding.Status.ACTIVE),
    "holdings_ever": lambda: Holding.objects.all(),
    "interactions": lambda: Interaction.objects.all(),
    "campaign_calls": lambda: Interaction.objects.filter(kind=Interaction.Kind.CAMPAIGN_CALL),
}


LOOKUPS = {
    "eq": Exact,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
}


def _compare(expr, op: str, value) -> Q:
    if op == "ne":
        return ~Q(Exact(expr, value))
    return Q(LOOKUPS[op](expr, value))


def _count_q(source, op: str, n: int) -> Q:
    """Counts: "none" and "at least one" become (NOT) EXISTS; other numbers GROUP BY."""
    exists = Exists(source.filter(customer=OuterRef("pk")))
    if (op == "gt" and n == 0) or (op == "gte" and n == 1) or (op == "ne" and n == 0):
        return Q(exists)
    if (op == "eq" and n == 0) or (op == "lt" and n == 1) or (op == "lte" and n == 0):
        return ~Q(exists)
    return _aggregate_q(source, Count("pk"), op, n)


def _age_q(op: str, years: int) -> Q:
    """Age compared by birth date, so the birth-date column answers it (unknown age: no)."""
    today = timezone.localdate()

    def born_before(n):  # age >= n  <=>  born on or before today - n years
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)

    at_least = Q(birth_date__lte=born_before(years))
    more_than = Q(birth_date__lte=born_before(years + 1))
    known = Q(birth_date__isnull=False)
    return {
        "gte": at_least,
        "gt": more_than,
        "lt": known & ~at_least,
        "lte": known & ~more_than,
        "eq": at_least & ~more_than,
        "ne": known & ~(at_least & ~more_than),
    }[op]


def _days_q(op: str, days: int) -> Q:
    """Days since the last contact (never contacted counts as infinitely long ago)."""
    since = timezone.now() - datetime.timedelta(days=days)
    within = Exists(Interaction.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since))
    strictly_within = Exists(
        Interaction.objects.filter(customer=OuterRef("pk"), occurred_at__gt=since)
    )
    return {
        "lte": Q(within),
        "lt": Q(strictly_within),
        "gt": ~Q(within),
        "gte": ~Q(strictly_within),
        "eq": Q(within) & ~Q(strictly_within),
        "ne": ~(Q(within) & ~Q(strictly_within)),
    }[op]


def _bounds(value: dict, lo: str, hi: str, column: str) -> dict:
    filters = {}
    if value.get(lo) not in (None, ""):
        filters[f"{column}__gte"] = Decimal(str(value[lo]))
    if value.get(hi) not in (None, ""):
        filters[f"{column}__lte"] = Decimal(str(value[hi]))
    return filters


def _day_start(day) -> datetime.datetime:
    day = datetime.date.fromisoformat(str(day)) if not isinstance(day, datetime.date) else day
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _exists_source(name: str, value):
    if name == "consent":
        return Consent.objects.filter(
            customer=OuterRef("pk"), kind=value, withdrawn_at__isnull=True
        )
    if name == "holding":
        filters = {"status": value.get("status") or Holding.Status.ACTIVE}
        if value.get("product"):
            filters["product__code"] = value["product"]
        if value.get("category"):
            filters["product__category"] = value["category"]
        filters.update(_bounds(value, "min_balance", "max_balance", "balance"))
        return _holdings(**filters)
    if name == "interaction":
        filters = {}
        for key in ("kind", "outcome", "channel"):
            if value.get(key):
                filters[key] = value[key]
        if value.get("campaign"):
            filters["campaign__code"] = value["campaign"]
        if value.get("from"):
            filters["occurred_at__gte"] = _day_start(value["from"])
        if value.get("to"):
            filters["occurred_at__lt"] = _day_start(value["to"]) + datetime.timedelta(days=1)
        return Interaction.objects.filter(customer=OuterRef("pk"), **filters)
    if name == "offer":
        from servicefirst.insights.models import OfferEvent

        filters = {}
        if value.get("product"):
            filters["product__code"] = value["product"]
        if value.get("stage"):
            filters["stage"] = value["stage"]
        if value.get("from"):
            filters["occurred_at__gte"] = _day_start(value["from"])
        if value.get("to"):
            filters["occurred_at__lt"] = _day_start(value["to"]) + datetime.timedelta(days=1)
        return OfferEvent.objects.filter(customer=OuterRef("pk"), **filters)
    if name == "score":
        score = score_model()
        filters = {"product__code": value["product"]}
        filters.update(_bounds(value, "min", "max", "probability"))
        return score.objects.filter(customer=OuterRef("pk"), **filters)
    raise ValueError(name)


def condition_q(cond: dict, live: bool = False) -> Q:
    spec = FIELDS[cond["field"]]
    op, value = cond["op"], cond.get("value")
    if spec.kind == "choice":
        if op in ("in", "not_in"):
            q = Q(**{f"{spec.column}__in": value})
            return q if op == "in" else ~q
        q = Q(**{spec.column: value})
        return q if op == "eq" else ~q
    if spec.kind == "bool":
        return Q(**{spec.column: bool(value)})
    if spec.kind == "exists":
        q = Q(Exists(_exists_source(spec.name, value)))
        return q if op == "has" else ~q
    number = Decimal(str(value))
    if spec.name == "age":
        return _age_q(op, int(number))
    if spec.name == "dependents":
        return _compare(F("dependents"), op, int(number))
    if spec.name == "days_since_contact":
        return _days_q(op, int(number))
    if spec.kind == "count":
        return _count_q(COUNT_SOURCES[spec.name](), op, int(number))
    if live:
        categories = ASSET_CATEGORIES if spec.name == "aum" else ("deposit",)
        rows = Holding.objects.filter(
            status=Holding.Status.ACTIVE, product__category__in=categories
        )
        return _aggregate_q(rows, Sum("balance"), op, number)
    return _metrics_q(spec.name, op, number)


def _metrics_q(column: str, op: str, value) -> Q:
    """Balances from the refreshed per-customer metrics (one primary-key probe per customer,
    or a semi-join over the indexed column); no row means 0."""
    from servicefirst.insights.models import CustomerMetrics

    matching = (
        ~Q(**{column: value}) if op == "ne" else Q(**{f"{column}__{LOOKUP_NAMES[op]}": value})
    )
    mine = CustomerMetrics.objects.filter(customer=OuterRef("pk"))
    if PY_OPS[op](0, value):
        return ~Q(Exists(mine.exclude(matching)))
    return Q(Exists(mine.filter(matching)))


def compile_q(conditions: list[dict], live: bool = False) -> Q:
    """One Q for a valid condition list (all must hold; an empty list matches everyone).

    Balances (`aum`, `deposit_balance`) come from the per-customer metrics refreshed by the
    classification (fast over a million customers); `live=True` sums the holdings instead,
    for checks of one customer that must see a change made a moment ago."""
    if not conditions:
        return Q(pk__isnull=False)  # always true, and usable in CASE WHEN
    q = Q()
    for cond in conditions:
        q &= condition_q(cond, live)
    return q


# --- words ----------------------------------------------------------------------------------


def _value_words(spec: FieldSpec, value) -> str:
    if spec.kind == "choice":
        labels = {str(c): str(label) for c, label in spec.choices()}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if spec.kind == "bool":
        return _("yes") if value else _("no")
    if spec.kind == "money":
        return f"¥{Decimal(str(value)):,.0f}"
    if spec.name == "consent":
        return str(dict(Consent.Kind.choices).get(value, value))
    if isinstance(value, dict):
        parts = []
        for key, part in value.items():
            if part not in (None, ""):
                parts.append(f"{key}={part}")
        return "(" + ", ".join(parts) + ")" if parts else ""
    return str(value)


def describe(conditions: list[dict]) -> str:
    """A condition list in words staff can read: "Products held now > 0 and Consent has SMS"."""
    if not conditions:
        return _("everyone else")
    words = []
    for cond in conditions:
        spec = FIELDS.get(cond.get("field"))
        if spec is None:
            continue
        words.append(
            f"{spec.label} {OP_LABELS[cond['op']]} {_value_words(spec, cond.get('value'))}"
        )
    return _(" and ").join(words)
