"""Writes of data retention: legal holds, anonymising a customer, the retention job.

Every write is atomic and audit-logged. A member of staff needs `privacy.manage` (compliance
auditors, administrators); the retention job itself runs as the system (actor None) from the
command line or a background task."""

import datetime
from collections.abc import Callable

from django.apps import apps
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.customers.models import Customer
from servicefirst.privacy import selectors
from servicefirst.privacy.models import AnonymisationRecord, LegalHold
from servicefirst.privacy.plan import PLAN

REASON_MAX = 300
# Progress is reported every this many customers by the retention job.
PROGRESS_EVERY = 50


def _manager(actor):
    """The member of staff managing retention (holds need one: they are signed)."""
    selectors.require_privacy_manager(actor)
    staff = staff_of(actor)
    if staff is None:  # pragma: no cover - scope_for already needs a staff record
        raise PermissionDenied(_("Only staff manage data retention."))
    return staff


def _lock_customer(customer_id) -> Customer:
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        pk = None
    customer = Customer.objects.select_for_update().filter(pk=pk).first() if pk else None
    if customer is None:
        raise ValidationFailed({"customer": [_("No such customer.")]})
    return customer


@transaction.atomic
def legal_hold_place(*, actor, customer_id: int, reason: str) -> LegalHold:
    """Place a legal hold: the customer's data may not be anonymised until it is released."""
    staff = _manager(actor)
    customer = _lock_customer(customer_id)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the data must be kept (case, order, dispute).")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": REASON_MAX}]
    if AnonymisationRecord.objects.filter(customer=customer).exists():
        errors["customer"] = [
            _("%(number)s was already anonymised; there is no personal data left to hold.")
            % {"number": customer.number}
        ]
    elif selectors.open_hold(customer.pk) is not None:
        errors["customer"] = [
            _("%(number)s is already under a legal hold.") % {"number": customer.number}
        ]
    if errors:
        raise ValidationFailed(errors)
    hold = LegalHold.objects.create(customer=customer, reason=reason, placed_by=staff)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.LEGAL_HOLD_PLACE,
        object_type="customer",
        object_id=customer.pk,
        customer_id=customer.pk,
        detail={"hold": hold.pk, "reason": reason},
    )
    return hold


@transaction.atomic
def legal_hold_release(*, actor, hold_id: int) -> LegalHold:
    staff = _manager(actor)
    hold = LegalHold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise NotFound(_("No such legal hold."))
    if hold.released_at is not None:
        raise ValidationFailed({"hold": [_("This legal hold was already released.")]})
    hold.released_at = timezone.now()
    hold.released_by = staff
    hold.save(update_fields=["released_at", "released_by"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.LEGAL_HOLD_RELEASE,
        object_type="customer",
        object_id=hold.customer_id,
        customer_id=hold.customer_id,
        detail={"hold": hold.pk},
    )
    return hold


def _apply_plan(customer_id: int) -> dict[str, int]:
    """Replace the customer's personal fields everywhere (see plan.py). Returns
    `app.Model.field` → rows whose value changed."""
    changed: dict[str, int] = {}
    for target in PLAN:
        try:
            model = apps.get_model(target.model)
        except LookupError:  # an app not installed in this deployment
            continue
        rows = model._default_manager.filter(**{target.customer_path: customer_id})
        if target.fields:
            counts = rows.aggregate(
                **{
                    f"changed_{name}": Count("pk", filter=~Q(**{name: value}))
                    for name, value in target.fields.items()
                }
            )
            fields = {name: counts[f"changed_{name}"] for name in target.fields}
            fields = {name: n for name, n in fields.items() if n}
            if fields:
                rows.update(**target.fields)
                for name, n in fields.items():
                    changed[f"{target.model}.{name}"] = n
        for name, value_for in (target.per_row or {}).items():
            n = 0
            for pk, current in rows.values_list("pk", name):
                value = value_for(pk)
                if current != value:
                    model._default_manager.filter(pk=pk).update(**{name: value})
                    n += 1
            if n:
                changed[f"{target.model}.{name}"] = n
    return changed


@transaction.atomic
def anonymise_customer(
    *, actor, customer, only_if_candidate: bool = False, as_of=None, grace_days=None
) -> AnonymisationRecord:
    """Replace the customer's personal data with neutral values, keeping every row, id and
    figure (see plan.py), and record it. Idempotent: a customer already anonymised is left as
    is and their record returned. Refused while a legal hold is open; with `only_if_candidate`
    also when the customer is no longer an erasure candidate (consent given again, a request
    opened since the list was read). `actor` None is the retention job itself."""
    staff = None
    if actor is not None:
        staff = _manager(actor)
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    locked = _lock_customer(customer_id)
    existing = AnonymisationRecord.objects.filter(customer=locked).first()
    if existing is not None:
        return existing
    hold = selectors.open_hold(locked.pk)
    if hold is not None:
        raise ValidationFailed(
            {
                "customer": [
                    _(
                        "%(number)s is under a legal hold placed on %(date)s (%(reason)s): "
                        "their data must be kept until the hold is released."
                    )
                    % {
                        "number": locked.number,
                        "date": timezone.localtime(hold.placed_at).date().isoformat(),
                        "reason": hold.reason,
                    }
                ]
            }
        )
    if only_if_candidate and not selectors.is_erasure_candidate(
        locked.pk, as_of=as_of, grace_days=grace_days
    ):
        raise ValidationFailed(
            {
                "customer": [
                    _(
                        "%(number)s is no longer a candidate for erasure (consent given again, "
                        "a request open, or the grace period not over)."
                    )
                    % {"number": locked.number}
                ]
            }
        )
    changed = _apply_plan(locked.pk)
    bump = {"updated_at": timezone.now()}
    if any(f.name == "version" for f in Customer._meta.concrete_fields):
        bump["version"] = F("version") + 1  # pages holding the old version must reload
    Customer.objects.filter(pk=locked.pk).update(**bump)
    record = AnonymisationRecord.objects.create(
        customer=locked,
        by=staff,
        by_username=getattr(actor, "username", "") or "system",
        fields=changed,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ANONYMISE,
        object_type="customer",
        object_id=locked.pk,
        customer_id=locked.pk,
        detail={"fields": sorted(changed), "rows": sum(changed.values())},
    )
    return record


def retention_run(
    *,
    actor=None,
    apply: bool = False,
    as_of: datetime.datetime | None = None,
    grace_days: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The retention job: list the erasure candidates and, with `apply`, anonymise each (one
    transaction per customer, so a long run commits as it goes and can be stopped). A customer
    who stopped being a candidate meanwhile, or was put under a hold, is skipped."""
    as_of = as_of or timezone.now()
    ids = list(selectors.erasure_candidates(as_of, grace_days).values_list("pk", flat=True))
    result = {"candidates": len(ids), "anonymised": 0, "skipped": 0, "applied": apply}
    if not apply:
        return result
    total = len(ids)
    for i, customer_id in enumerate(ids, 1):
        try:
            anonymise_customer(
                actor=actor,
                customer=customer_id,
                only_if_candidate=True,
                as_of=as_of,
                grace_days=grace_days,
            )
            result["anonymised"] += 1
        except ValidationFailed:
            result["skipped"] += 1
        if progress is not None and (i % PROGRESS_EVERY == 0 or i == total):
            progress(i, total)
    return result
