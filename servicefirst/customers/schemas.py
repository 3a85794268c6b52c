import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class CustomerIn(Schema):
    name_zh: str | None = None
    name_latin: str | None = None
    gender: str | None = None
    birth_date: datetime.date | None = None
    id_type: str | None = None
    id_number: str | None = None
    marital_status: str | None = None
    dependents: int | None = None
    occupation: str | None = None
    work_nature: str | None = None
    employer: str | None = None
    income_band: str | None = None
    education: str | None = None
    home_address: str | None = None
    mailing_address: str | None = None
    postal_code: str | None = None
    email: str | None = None
    phones: list[str] | None = None
    preferred_language: str | None = None
    preferred_channel: str | None = None
    contact_time: str | None = None
    interests: list[str] | None = None
    risk_appetite: str | None = None
    channels_used: list[str] | None = None
    aum_band: str | None = None
    do_not_call: bool | None = None
    value_tier: str | None = None
    lifecycle: str | None = None
    lifecycle_reason: str | None = None
    home_branch_id: int | None = None
    relationship_manager_id: int | None = None


class CustomerUpdateIn(CustomerIn):
    version: int | None = Field(
        None,
        ge=1,
        description=(
            "Optimistic locking: the customer's `version` as last read (GET returns it). When "
            "the customer has changed since, nothing is changed and the answer is 409 with the "
            "message (who changed it, when); read it again and reapply. Left out, the change "
            "applies to whatever is current (last write wins)."
        ),
    )


class CustomerSummary(Schema):
    id: int
    number: str
    name_zh: str
    name_latin: str
    gender: str
    age: int | None
    phone: str
    home_branch: str
    value_tier: str
    lifecycle: str


class HouseholdOut(Schema):
    relation: str
    customer_id: int
    number: str
    name: str


class HoldingOut(Schema):
    product_code: str
    product: str
    category: str
    balance: Decimal
    opened_on: datetime.date


class ConsentOut(Schema):
    kind: str
    granted: bool
    granted_at: datetime.datetime | None
    source: str
    withdrawn_at: datetime.datetime | None


class InteractionOut(Schema):
    id: int
    kind: str
    occurred_at: datetime.datetime
    channel: str
    summary: str
    outcome: str
    staff: str | None
    campaign: str | None


class TaskOut(Schema):
    id: int
    title: str
    due_on: datetime.date | None
    assigned_to: str | None


class Customer360Out(Schema):
    id: int
    number: str
    version: int = Field(
        ..., description="Changes with every write; send it back with PATCH (optimistic locking)."
    )
    name_zh: str
    name_latin: str
    gender: str
    age: int | None
    birth_date: str
    id_type: str
    id_number: str
    phones: list[str]
    email: str
    home_address: str
    mailing_address: str
    marital_status: str
    dependents: int | None
    occupation: str
    work_nature: str
    employer: str
    income_band: str
    preferred_language: str
    preferred_channel: str
    contact_time: str
    interests: list[str]
    risk_appetite: str
    channels_used: list[str]
    aum_band: str
    do_not_call: bool
    value_tier: str
    lifecycle: str
    lifecycle_reason: str
    home_branch: str | None
    relationship_manager: str | None
    household: list[HouseholdOut]
    holdings: list[HoldingOut]
    consents: list[ConsentOut]
    timeline: list[InteractionOut]
    open_tasks: list[TaskOut]


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    field: str
    value: Any


class ConsentIn(Schema):
    kind: str
    granted: bool
    source: str


class InteractionIn(Schema):
    kind: str
    summary: str
    channel: str = ""


class HouseholdIn(Schema):
    relative_id: int
    relation: str


class MergeIn(Schema):
    survivor_id: int
    duplicate_id: int


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []
