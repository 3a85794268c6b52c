"""HTTP API for the customer database: validated schema in → one service or selector → schema out."""

from ninja import Query, Router

from servicefirst.customers import selectors, services
from servicefirst.customers.fields import mask_phone
from servicefirst.customers.schemas import (
    ConsentIn,
    Customer360Out,
    CustomerIn,
    CustomerSummary,
    CustomerUpdateIn,
    ErrorOut,
    HouseholdIn,
    InteractionIn,
    InteractionOut,
    MergeIn,
    RevealIn,
    RevealOut,
)

router = Router(tags=["customers"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def summary(c) -> dict:
    phones = list(c.phones.all())
    return {
        "id": c.pk,
        "number": c.number,
        "name_zh": c.name_zh,
        "name_latin": c.name_latin,
        "gender": c.gender,
        "age": c.age,
        "phone": mask_phone(phones[0].e164) if phones else "",
        "home_branch": str(c.home_branch) if c.home_branch else "",
        "value_tier": c.value_tier,
        "lifecycle": c.lifecycle,
    }


def interaction_out(i) -> dict:
    return {
        "id": i.pk,
        "kind": i.kind,
        "occurred_at": i.occurred_at,
        "channel": i.channel,
        "summary": i.summary,
        "outcome": i.outcome,
        "staff": i.staff.name if i.staff else None,
        "campaign": i.campaign.name if i.campaign else None,
    }


def view_360(view: selectors.Customer360) -> dict:
    c, m = view.customer, view.masked
    return {
        **{
            k: getattr(c, k)
            for k in (
                "number",
                "version",
                "name_zh",
                "name_latin",
                "gender",
                "age",
                "id_type",
                "marital_status",
                "dependents",
                "occupation",
                "work_nature",
                "employer",
                "income_band",
                "preferred_language",
                "preferred_channel",
                "contact_time",
                "interests",
                "risk_appetite",
                "channels_used",
                "aum_band",
                "do_not_call",
                "value_tier",
                "lifecycle",
                "lifecycle_reason",
            )
        },
        "id": c.pk,
        **m,
        "home_branch": str(c.home_branch) if c.home_branch else None,
        "relationship_manager": c.relationship_manager.name if c.relationship_manager else None,
        "household": [
            {
                "relation": h.relation,
                "customer_id": h.relative_id,
                "number": h.relative.number,
                "name": h.relative.display_name,
            }
            for h in view.household
        ],
        "holdings": [
            {
                "product_code": h.product.code,
                "product": str(h.product),
                "category": h.product.category,
                "balance": h.balance,
                "opened_on": h.opened_on,
            }
            for h in view.holdings
        ],
        "consents": [
            {
                "kind": k.kind,
                "granted": k.withdrawn_at is None,
                "granted_at": k.granted_at,
                "source": k.source,
                "withdrawn_at": k.withdrawn_at,
            }
            for k in view.consent_history
        ],
        "timeline": [interaction_out(i) for i in view.timeline],
        "open_tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "due_on": t.due_on,
                "assigned_to": t.assigned_to.name if t.assigned_to else None,
            }
            for t in view.open_tasks
        ],
    }


@router.get(
    "/customers", response={200: list[CustomerSummary], **ERRORS}, summary="Search customers"
)
def search_customers(
    request,
    q: str = Query(
        ...,
        min_length=1,
        max_length=100,
        description="Chinese name, pinyin, initials, phone, identity or customer number",
    ),
    limit: int = Query(20, ge=1, le=100),
):
    return [summary(c) for c in selectors.customer_search(actor=request.auth, query=q, limit=limit)]


@router.post("/customers", response={201: Customer360Out, **ERRORS}, summary="Register a customer")
def create_customer(request, payload: CustomerIn):
    customer = services.customer_create(actor=request.auth, data=payload.dict(exclude_unset=True))
    return 201, view_360(
        selectors.customer_360(actor=request.auth, customer_id=customer.pk, record=False)
    )


# Declared before /customers/{customer_id}, which would otherwise take "merge" for an id.
@router.post(
    "/customers/merge",
    response={200: Customer360Out, **ERRORS},
    summary="Merge a duplicate into a survivor",
)
def merge_customers(request, payload: MergeIn):
    survivor = services.customer_merge(
        actor=request.auth, survivor_id=payload.survivor_id, duplicate_id=payload.duplicate_id
    )
    return view_360(
        selectors.customer_360(actor=request.auth, customer_id=survivor.pk, record=False)
    )


@router.get(
    "/customers/{customer_id}",
    response={200: Customer360Out, **ERRORS},
    summary="Customer 360 (audit-logged)",
)
def get_customer(request, customer_id: int):
    return view_360(selectors.customer_360(actor=request.auth, customer_id=customer_id))


@router.patch(
    "/customers/{customer_id}",
    response={200: Customer360Out, 409: ErrorOut, **ERRORS},
    summary="Change customer fields",
    description=(
        "Send the customer's `version` (as GET returned it) to make the change only if nobody "
        "changed the customer since: otherwise 409, nothing changed, with who changed it and "
        "when in `detail`. The answer carries the new `version`."
    ),
)
def update_customer(request, customer_id: int, payload: CustomerUpdateIn):
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    services.customer_update(
        actor=request.auth, customer_id=customer_id, data=data, version=version
    )
    return view_360(
        selectors.customer_360(actor=request.auth, customer_id=customer_id, record=False)
    )


@router.post(
    "/customers/{customer_id}/reveal",
    response={200: RevealOut, **ERRORS},
    summary="Unmask a personal field (audit-logged)",
)
def reveal_field(request, customer_id: int, payload: RevealIn):
    return {
        "field": payload.field,
        "value": services.customer_reveal(
            actor=request.auth, customer_id=customer_id, field=payload.field
        ),
    }


@router.post(
    "/customers/{customer_id}/consents",
    response={204: None, **ERRORS},
    summary="Grant or withdraw a consent",
)
def set_consent(request, customer_id: int, payload: ConsentIn):
    services.consent_set(
        actor=request.auth,
        customer_id=customer_id,
        kind=payload.kind,
        granted=payload.granted,
        source=payload.source,
    )
    return 204, None


@router.post(
    "/customers/{customer_id}/interactions",
    response={201: InteractionOut, **ERRORS},
    summary="Add to the timeline",
)
def add_interaction(request, customer_id: int, payload: InteractionIn):
    return 201, interaction_out(
        services.interaction_add(
            actor=request.auth,
            customer_id=customer_id,
            kind=payload.kind,
            summary=payload.summary,
            channel=payload.channel,
        )
    )


@router.post(
    "/customers/{customer_id}/household",
    response={204: None, **ERRORS},
    summary="Link a relative",
)
def link_household(request, customer_id: int, payload: HouseholdIn):
    services.household_link(
        actor=request.auth,
        customer_id=customer_id,
        relative_id=payload.relative_id,
        relation=payload.relation,
    )
    return 204, None
