"""From the database to the raw feature columns of `features` (reads only, no permissions:
callers are `services` and `selectors`, which check them).

- `training_history(product)`: every campaign call of a campaign selling the product with a
  yes/no outcome, in time order (occurred_at, id), each described as the bank knew it before
  the call: the interaction's detail (previous contacts, contact type, month, economy...),
  the customer's age at the call and profile, and the other products held before the call.
- `customer_columns(ids, product, context)`: the same columns for customers about to be
  contacted now ("now" being the latest period the model knows, `context["as_of"]`): their
  last campaign call becomes their previous contact, the economy is the latest period's.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from servicefirst.customers.models import Customer, Holding, Interaction, Product
from servicefirst.scoring import features as F

CUSTOMER_FIELDS = (
    "birth_date",
    "occupation",
    "work_nature",
    "marital_status",
    "education",
    "aum_band",
    "income_band",
)
EDUCATION = set(F.CATEGORIES["education"])
MARITAL = set(F.CATEGORIES["marital"])
JOBS = set(F.JOBS)


def _job(occupation: str, work_nature: str) -> str | None:
    if occupation in JOBS:
        return occupation
    return F.WORK_NATURE_TO_JOB.get(work_nature)


def _profile(columns: dict[str, list], row: tuple, on: datetime.date) -> None:
    birth, occupation, work, marital, education, aum, income = row
    columns["age"].append(on.year - birth.year if birth else None)
    columns["job"].append(_job(occupation, work))
    columns["marital"].append(marital if marital in MARITAL else None)
    columns["education"].append(education if education in EDUCATION else None)
    columns["aum_band"].append(aum)
    columns["income_band"].append(None if income == "unknown" else income)


def _empty() -> dict[str, list]:
    return {name: [] for name in F.FEATURES}


def history_queryset(product: Product):
    return Interaction.objects.filter(
        kind=Interaction.Kind.CAMPAIGN_CALL,
        campaign__product=product,
        outcome__in=("yes", "no"),
        customer__merged_into__isnull=True,
    )


def training_history(product: Product, progress=None):
    """(interaction ids, occurred_at list, columns, labels) in time order."""
    rows = list(
        history_queryset(product)
        .order_by("occurred_at", "id")
        .values_list(
            "id",
            "occurred_at",
            "outcome",
            "detail",
            "customer_id",
            *(f"customer__{name}" for name in CUSTOMER_FIELDS),
        )
    )
    holdings = defaultdict(list)
    customer_ids = {r[4] for r in rows}
    held = Holding.objects.exclude(product=product).filter(
        status=Holding.Status.ACTIVE, customer_id__in=customer_ids
    )
    if len(customer_ids) > 5000:  # avoid huge IN lists: fetch all and filter here
        held = Holding.objects.exclude(product=product).filter(status=Holding.Status.ACTIVE)
    for customer_id, opened in held.values_list("customer_id", "opened_on").iterator():
        if customer_id in customer_ids:
            holdings[customer_id].append(opened)
    columns = _empty()
    labels = np.zeros(len(rows), dtype=np.int8)
    for i, (_pk, occurred, outcome, detail, customer_id, *profile) in enumerate(rows):
        detail = detail or {}
        day = occurred.date()
        _profile(columns, profile, day)
        _contact_columns(columns, detail, day)
        columns["campaign"].append(detail.get("campaign"))
        columns["pdays"].append(detail.get("pdays"))
        columns["previous"].append(detail.get("previous", 0))
        columns["poutcome"].append(detail.get("poutcome", "nonexistent"))
        for name in F.CONTEXT[2:]:
            columns[name].append(detail.get(name))
        columns["products_held"].append(sum(1 for d in holdings[customer_id] if d <= day))
        labels[i] = outcome == "yes"
    return [r[0] for r in rows], [r[1] for r in rows], columns, labels


def _contact_columns(columns, detail: dict, day: datetime.date) -> None:
    columns["contact"].append(detail.get("contact"))
    columns["default"].append(detail.get("default"))
    columns["housing"].append(detail.get("housing"))
    columns["loan"].append(detail.get("loan"))
    columns["month"].append(detail.get("month") or F.MONTHS[day.month - 1])
    weekday = day.weekday()
    columns["day_of_week"].append(
        detail.get("day_of_week") or (F.WEEKDAYS[weekday] if weekday < 5 else None)
    )


def latest_context(columns: dict[str, list], occurred: list) -> dict:
    """The latest period's contact month, weekday and economy (from the last history row)."""
    if not occurred:
        return {}
    context = {name: columns[name][-1] for name in F.CONTEXT}
    context["as_of"] = occurred[-1].date().isoformat()
    return context


def customer_columns(ids: list[int], product: Product, context: dict) -> tuple[list[int], dict]:
    """(customer ids in the order of the columns, columns) for customers to be contacted now."""
    as_of = (
        datetime.date.fromisoformat(context["as_of"])
        if context.get("as_of")
        else timezone.localdate()
    )
    ids = sorted(ids)
    if not ids:
        return [], _empty()
    wanted = set(ids)
    # A pk range (batches are contiguous), not a long IN list; rows outside `ids` are skipped.
    span = {"customer_id__gte": ids[0], "customer_id__lte": ids[-1]}
    profiles = {
        r[0]: r[1:]
        for r in Customer.objects.filter(pk__gte=ids[0], pk__lte=ids[-1]).values_list(
            "pk", *CUSTOMER_FIELDS
        )
        if r[0] in wanted
    }
    last_call: dict[int, tuple] = {}
    calls = (
        Interaction.objects.filter(**span, kind=Interaction.Kind.CAMPAIGN_CALL)
        .order_by("customer_id", "occurred_at", "id")
        .values_list("customer_id", "occurred_at", "outcome", "detail")
    )
    for customer_id, occurred, outcome, detail in calls:
        last_call[customer_id] = (occurred, outcome, detail or {})
    held = (
        Holding.objects.filter(**span, status=Holding.Status.ACTIVE)
        .exclude(product=product)
        .values("customer_id")
        .annotate(n=Count("id"), loans=Count("id", filter=Q(product__category="loan")))
    )
    loans, has_loan = {}, set()
    for customer_id, n, n_loans in held.values_list("customer_id", "n", "loans"):
        loans[customer_id] = n
        if n_loans:
            has_loan.add(customer_id)
    order = [pk for pk in ids if pk in profiles]
    columns = _empty()
    for pk in order:
        _profile(columns, profiles[pk], as_of)
        call = last_call.get(pk)
        detail = call[2] if call else {}
        columns["contact"].append(detail.get("contact"))
        columns["default"].append(detail.get("default"))
        columns["housing"].append(detail.get("housing"))
        columns["loan"].append(detail.get("loan") or ("yes" if pk in has_loan else "no"))
        columns["campaign"].append(1)
        if call:
            occurred, outcome, _d = call
            columns["previous"].append(int(detail.get("previous") or 0) + 1)
            columns["pdays"].append(max((as_of - occurred.date()).days, 0))
            columns["poutcome"].append("success" if outcome == "yes" else "failure")
        else:
            columns["previous"].append(0)
            columns["pdays"].append(None)
            columns["poutcome"].append("nonexistent")
        columns["products_held"].append(loans.get(pk, 0))
        for name in F.CONTEXT:
            columns[name].append(context.get(name))
    return order, columns
