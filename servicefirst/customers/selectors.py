"""Reads of the customer database: search, the Customer 360 and masked views."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    Func,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.lookups import GreaterThanOrEqual, LessThan, StartsWith
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, allows_customer, scope_filter, scope_for  # noqa: F401 - allows_customer re-exported for views
from servicefirst.core.errors import NotFound
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers import fields as f
from servicefirst.customers.models import Customer, CustomerPhone, CustomerTask, HouseholdLink

_NUMBER = re.compile(r"C\d{6,12}", re.IGNORECASE)
_ID_LIKE = re.compile(r"(\d{17}[\dX])|([A-Z]{1,2}\d{6,10})")
_PHONE_CHARS = re.compile(r"[\d\s\-()+]{5,}")
_LETTERS = re.compile(r"[A-Za-z][A-Za-z\s'\-·.]*")


def _prefix(field_name: str, prefix: str) -> Q:
    """`field LIKE 'prefix%'` that uses a btree index on both databases: on PostgreSQL through
    the varchar_pattern_ops index, on SQLite as a range on the (binary-collated) column."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field_name}__startswith": prefix})


def _given_name_prefix(prefix: str) -> Q:
    """The given name (the name after a one-character surname) starts with `prefix`; answered
    by the `substr(name_zh, 2)` index of migration 0003 on both databases."""
    given = Func(
        F("name_zh"),
        # The position is written into the SQL (not a parameter) so the index matches.
        template="SUBSTR(%(expressions)s, 2)"
        if connection.vendor == "sqlite"
        else "SUBSTRING(%(expressions)s, 2)",
        output_field=CharField(),
    )
    if connection.vendor == "sqlite":
        return Q(GreaterThanOrEqual(given, prefix)) & Q(LessThan(given, prefix + "\U0010ffff"))
    return Q(StartsWith(given, prefix))


def visible_customers(actor, action: str = Action.CUSTOMER_VIEW) -> QuerySet[Customer]:
    filters = scope_filter(actor, action)
    if filters is None:
        return Customer.objects.none()
    return Customer.objects.filter(merged_into__isnull=True, **filters)


ORDER = ("pinyin_full", "id")


@dataclass
class SearchPlan:
    kind: str
    tiers: list[Q] = field(default_factory=list)
    order: tuple = ORDER  # within a tier


def search_plan(query: str) -> SearchPlan:
    """What a query looks like and which index lookups answer it, best matches first."""
    q = query.strip()
    compact = re.sub(r"[\s\-()]", "", q)
    if _NUMBER.fullmatch(compact):
        return SearchPlan("number", [Q(number=compact.upper())])
    upper = compact.upper()
    if _ID_LIKE.fullmatch(upper) and not (compact.isdigit() and len(compact) <= 15):
        return SearchPlan("id", [Q(id_number_hash=f.keyed_hash(upper))])
    if _PHONE_CHARS.fullmatch(q) and sum(c.isdigit() for c in q) >= 7:
        e164 = f.try_phone(q)
        tiers = []
        if e164:
            tiers.append(Q(pk__in=CustomerPhone.objects.filter(e164=e164).values("customer_id")))
        digits = re.sub(r"\D", "", q)
        if len(digits) == 10 and digits.isdigit():
            tiers.append(Q(number=f"C{digits}"))
        return SearchPlan("phone", tiers)
    if f.has_cjk(q):
        name = re.sub(r"\s+", "", q)
        if len(name) >= 3 and connection.vendor == "postgresql":
            # pg_trgm answers substrings of three characters or more, and what contains such
            # a name is few rows: one query, exact matches first, then prefixes, then the rest.
            rank = Case(
                When(name_zh=name, then=Value(0)),
                When(name_zh__startswith=name, then=Value(1)),
                default=Value(2),
            )
            return SearchPlan("name", [Q(name_zh__contains=name)], (rank, *ORDER))
        # A shorter substring has no trigram (and SQLite has no trigram index at all), so a
        # contains-match would read every row: the last tier matches the start of the given
        # name instead, which the expression index of migration 0003 answers.
        return SearchPlan(
            "name", [Q(name_zh=name), _prefix("name_zh", name), _given_name_prefix(name)]
        )
    if _LETTERS.fullmatch(q):
        letters = re.sub(r"[^a-z]", "", q.lower())
        if not letters:
            return SearchPlan("none")
        tiers = [Q(pinyin_initials=letters), Q(pinyin_full=letters)]
        if len(letters) >= 2:
            tiers += [_prefix("pinyin_full", letters), _prefix("pinyin_initials", letters)]
        if len(letters) >= 3 and connection.vendor == "postgresql":
            tiers.append(Q(name_latin__icontains=q.strip()))  # pg_trgm GIN on UPPER(name_latin)
        return SearchPlan("pinyin", tiers)
    return SearchPlan("none")


def customer_search(*, actor, query: str, limit: int = 20) -> list[Customer]:
    """Find customers by Chinese name, full pinyin, pinyin initials, phone in any format,
    identity number or customer number. Exact matches rank first, then prefixes, then
    substrings; each tier is one index lookup, and later tiers run only to fill the page."""
    base = visible_customers(actor)
    plan = search_plan(query)
    found: dict[int, Customer] = {}
    for tier in plan.tiers:
        remaining = limit - len(found)
        if remaining <= 0:
            break
        rows = base.filter(tier)
        if found:
            rows = rows.exclude(pk__in=list(found))
        for c in rows.order_by(*plan.order).select_related("home_branch")[:remaining]:
            found.setdefault(c.pk, c)
    customers = list(found.values())
    prefetch_related_objects(customers, "phones")  # one query for the whole page
    return customers


def customer_get(*, actor, customer_id: int) -> Customer:
    """The customer, if the actor may see it; NotFound for both "missing" and "not yours"."""
    customer = (
        visible_customers(actor)
        .filter(pk=customer_id)
        .select_related("home_branch", "relationship_manager")
        .first()
    )
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def masked_profile(customer: Customer) -> dict[str, Any]:
    """Personal fields as every role sees them by default."""
    phones = list(customer.phones.all())
    return {
        "phones": [f.mask_phone(p.e164) for p in phones],
        "id_number": f.mask_id(customer.id_number_last4),
        "email": f.mask_email(customer.email),
        "home_address": f.mask_address(customer.home_address),
        "mailing_address": f.mask_address(customer.mailing_address),
        "birth_date": f"{customer.birth_date:%Y}-**-**" if customer.birth_date else "",
    }


@dataclass
class Customer360:
    customer: Customer
    masked: dict[str, Any]
    can_edit: bool
    can_reveal: bool
    household: list[HouseholdLink]
    holdings: list
    total_balance: Any
    consents: dict[str, Any]
    consent_history: list
    timeline: list
    open_tasks: list[CustomerTask]
    assigned_staff: list


def customer_360(
    *, actor, customer_id: int, timeline_limit: int = 50, record: bool = True
) -> Customer360:
    """Everything the bank knows about one customer, for one screen. Opening it is audit-logged."""
    customer = customer_get(actor=actor, customer_id=customer_id)
    holdings = list(customer.holdings.select_related("product").filter(status="active"))
    consents_all = list(customer.consents.all())
    current = {}
    for consent in consents_all:
        if consent.kind not in current:
            current[consent.kind] = consent
    tasks = list(
        customer.tasks.filter(status=CustomerTask.Status.OPEN).select_related("assigned_to")
    )
    staff = []
    if customer.relationship_manager:
        staff.append((_("Relationship manager"), customer.relationship_manager))
    for task in tasks:
        if task.assigned_to and all(
            s is not task.assigned_to and s.pk != task.assigned_to.pk for _r, s in staff
        ):
            staff.append((_("Follow-up"), task.assigned_to))
    if record:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
        )
    return Customer360(
        customer=customer,
        masked=masked_profile(customer),
        can_edit=allows_customer(actor, Action.CUSTOMER_EDIT, customer),
        can_reveal=allows_customer(actor, Action.CUSTOMER_REVEAL, customer),
        household=list(customer.household_links.select_related("relative")),
        holdings=holdings,
        total_balance=sum((h.balance for h in holdings), 0),
        consents=current,
        consent_history=consents_all,
        timeline=list(customer.interactions.select_related("staff", "campaign")[:timeline_limit]),
        open_tasks=tasks,
        assigned_staff=staff,
    )


def can(actor, action: str) -> bool:
    return scope_for(actor, action) > 0
