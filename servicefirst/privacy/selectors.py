"""Reads of data retention: who may be erased, the holds, the anonymisations."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for
from servicefirst.core.errors import PermissionDenied
from servicefirst.customers.fields import mask_name, mask_phone
from servicefirst.customers.models import Consent, Customer
from servicefirst.privacy.models import AnonymisationRecord, LegalHold

PAGE_ROWS = 200


def require_privacy_manager(actor) -> None:
    if scope_for(actor, Action.PRIVACY_MANAGE) == Scope.NONE:
        raise PermissionDenied(_("Only compliance and administrators manage data retention."))


def grace_days_default() -> int:
    return int(settings.RETENTION_GRACE_DAYS)


def erasure_candidates(
    as_of: datetime.datetime | None = None, grace_days: int | None = None
) -> QuerySet[Customer]:
    """Customers who may be anonymised at `as_of`: they gave consent at some time, have withdrawn
    every consent, the last withdrawal more than `grace_days` ago (settings.RETENTION_GRACE_DAYS,
    env RETENTION_GRACE_DAYS); no open legal hold; not anonymised yet; no service request still
    open (new, in progress or waiting for them). Annotated with `last_withdrawn_at`."""
    as_of = as_of or timezone.now()
    grace = grace_days_default() if grace_days is None else int(grace_days)
    cutoff = as_of - datetime.timedelta(days=grace)
    from servicefirst.servicedesk.models import ServiceRequest

    consents = Consent.objects.filter(customer=OuterRef("pk"))
    open_holds = LegalHold.objects.filter(customer=OuterRef("pk"), released_at__isnull=True)
    open_requests = ServiceRequest.objects.filter(
        customer=OuterRef("pk"), status__in=ServiceRequest.ACTIVE
    )
    return (
        Customer.objects.filter(
            Exists(consents),
            ~Exists(consents.filter(withdrawn_at__isnull=True)),
            ~Exists(consents.filter(withdrawn_at__gt=cutoff)),
            ~Exists(open_holds),
            ~Exists(AnonymisationRecord.objects.filter(customer=OuterRef("pk"))),
            ~Exists(open_requests),
        )
        .annotate(
            last_withdrawn_at=Subquery(
                consents.order_by("-withdrawn_at").values("withdrawn_at")[:1]
            )
        )
        .order_by("last_withdrawn_at", "pk")
    )


def is_erasure_candidate(customer_id: int, *, as_of=None, grace_days=None) -> bool:
    return erasure_candidates(as_of, grace_days).filter(pk=customer_id).exists()


def open_hold(customer_id: int) -> LegalHold | None:
    return LegalHold.objects.filter(customer_id=customer_id, released_at__isnull=True).first()


@dataclass(frozen=True)
class MaskedCustomer:
    id: int
    number: str
    name: str
    phone: str
    branch: str


def masked_customer(customer: Customer) -> MaskedCustomer:
    phones = list(customer.phones.all())
    return MaskedCustomer(
        id=customer.pk,
        number=customer.number,
        name=mask_name(customer.name_zh or customer.name_latin),
        phone=mask_phone(phones[0].e164) if phones else "",
        branch=str(customer.home_branch) if customer.home_branch_id else "",
    )


@dataclass(frozen=True)
class RetentionOverview:
    as_of: datetime.datetime
    grace_days: int
    candidate_count: int
    candidates: list[tuple[MaskedCustomer, datetime.datetime | None]]
    holds: list[tuple[LegalHold, MaskedCustomer]]
    anonymised: list[AnonymisationRecord]


def retention_overview(*, actor, as_of=None, grace_days=None) -> RetentionOverview:
    """The compliance page: candidates (masked), open holds, recent anonymisations."""
    require_privacy_manager(actor)
    as_of = as_of or timezone.now()
    grace = grace_days_default() if grace_days is None else int(grace_days)
    candidates = erasure_candidates(as_of, grace)
    rows = list(candidates.select_related("home_branch").prefetch_related("phones")[:PAGE_ROWS])
    holds = list(
        LegalHold.objects.filter(released_at__isnull=True)
        .select_related("customer__home_branch", "placed_by")
        .prefetch_related("customer__phones")[:PAGE_ROWS]
    )
    anonymised = list(
        AnonymisationRecord.objects.select_related("customer")[:20]  # ids and numbers only
    )
    return RetentionOverview(
        as_of=as_of,
        grace_days=grace,
        candidate_count=candidates.count(),
        candidates=[(masked_customer(c), c.last_withdrawn_at) for c in rows],
        holds=[(h, masked_customer(h.customer)) for h in holds],
        anonymised=anonymised,
    )
