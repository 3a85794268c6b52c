"""Writes to the customer database. Every function is atomic, takes a keyword-only `actor`,
checks the permission matrix and records what it did."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, allows, allows_customer, scope_for, staff_of
from servicefirst.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record, sequence_allocate
from servicefirst.customers import fields as f
from servicefirst.customers.models import (
    Consent,
    Customer,
    CustomerPhone,
    CustomerTask,
    Holding,
    HouseholdLink,
    Interaction,
    Product,
)
from servicefirst.customers.signals import customer_changed_on_commit
from servicefirst.customers.validation import clean_customer

CUSTOMER_NUMBER_SEQUENCE = "customer_number"

# Fields whose values are personal: changes to them are logged by name only, never by value.
PERSONAL_FIELDS = frozenset(
    {"id_number", "phones", "email", "home_address", "mailing_address", "birth_date", "postal_code"}
)


def field_labels(names: list[str]) -> list[str]:
    """Staff-facing names of customer fields, in the actor's language."""
    extra = {"phones": _("phones"), "id_number": _("identity number")}
    labels = []
    for name in names:
        if name in extra:
            labels.append(str(extra[name]))
            continue
        try:
            labels.append(str(Customer._meta.get_field(name.removesuffix("_id")).verbose_name))
        except Exception:  # not a model field
            labels.append(name)
    return labels


def customer_numbers(count: int) -> list[str]:
    return [f"C{n:010d}" for n in sequence_allocate(CUSTOMER_NUMBER_SEQUENCE, count)]


def apply_cleaned(customer: Customer, cleaned: dict[str, Any]) -> list[str]:
    """Copy validated values onto a customer (not saved). Returns the names of changed fields,
    phones excluded (they live in their own table)."""
    changed = []
    for key, value in cleaned.items():
        if key in ("phones",):
            continue
        if key == "id_number":
            digest = f.keyed_hash(value)
            if digest != customer.id_number_hash:
                customer.id_number_encrypted = f.encrypt(value)
                customer.id_number_hash = digest
                customer.id_number_last4 = value[-4:]
                changed.append("id_number")
            continue
        if getattr(customer, key) != value:
            setattr(customer, key, value)
            changed.append(key)
    if {"name_zh", "name_latin"} & set(changed) or not customer.pinyin_full:
        customer.pinyin_full, customer.pinyin_initials = f.pinyin_keys(
            customer.name_zh, customer.name_latin
        )
    return changed


def _set_phones(customer: Customer, phones: list[str]) -> bool:
    existing = list(customer.phones.all()) if customer.pk else []
    if [p.e164 for p in existing] == phones:
        return False
    CustomerPhone.objects.filter(customer=customer).exclude(e164__in=phones).delete()
    have = {p.e164 for p in existing}
    for i, e164 in enumerate(phones):
        if e164 in have:
            CustomerPhone.objects.filter(customer=customer, e164=e164).update(is_primary=i == 0)
        else:
            CustomerPhone.objects.create(customer=customer, e164=e164, is_primary=i == 0)
    return True


def _check_refs(cleaned: dict) -> None:
    errors = {}
    if (
        cleaned.get("home_branch_id")
        and not Unit.objects.filter(pk=cleaned["home_branch_id"], kind=Unit.Kind.BRANCH).exists()
    ):
        errors["home_branch_id"] = [_("No such branch.")]
    if (
        cleaned.get("relationship_manager_id")
        and not Staff.objects.filter(pk=cleaned["relationship_manager_id"]).exists()
    ):
        errors["relationship_manager_id"] = [_("No such member of staff.")]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def customer_create(*, actor, data: dict[str, Any]) -> Customer:
    if scope_for(actor, Action.CUSTOMER_CREATE) == 0:
        raise PermissionDenied(_("You may not register customers."))
    cleaned, errors = clean_customer(data)
    if errors:
        raise ValidationFailed(errors)
    _check_refs(cleaned)
    staff = staff_of(actor)
    customer = Customer(number=customer_numbers(1)[0])
    if "home_branch_id" not in cleaned and staff and staff.unit.kind == Unit.Kind.BRANCH:
        customer.home_branch_id = staff.unit_id
    apply_cleaned(customer, cleaned)
    if (
        customer.id_number_hash
        and Customer.objects.filter(
            id_number_hash=customer.id_number_hash, merged_into__isnull=True
        ).exists()
    ):
        raise ValidationFailed(
            {"id_number": [_("A customer with this identity number already exists.")]}
        )
    customer.save()
    _set_phones(customer, cleaned.get("phones", []))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_CREATE,
        object_type="customer",
        object_id=customer.pk,
        customer_id=customer.pk,
    )
    customer_changed_on_commit(customer.pk)
    return customer


class StaleCustomer(Conflict):
    """The customer was changed by someone else since the editor read it (optimistic locking)."""


# The audit actions that change a customer's record: who made the latest one is named when an
# edit from an older version is refused.
_WRITES = (
    AuditEvent.Action.CUSTOMER_CREATE,
    AuditEvent.Action.CUSTOMER_UPDATE,
    AuditEvent.Action.CUSTOMER_MERGE,
    AuditEvent.Action.CONSENT_CHANGE,
)


def _stale(customer_id: int) -> StaleCustomer:
    """The refusal of an edit made from an older version: who changed the customer last, and
    when (in the reader's time zone)."""
    current = Customer.objects.filter(pk=customer_id).only("updated_at").first()
    last = (
        AuditEvent.objects.filter(customer_id=customer_id, action__in=_WRITES)
        .order_by("-created_at", "-id")
        .first()
    )
    who = ""
    if last is not None:
        staff = Staff.objects.filter(user_id=last.actor_id).only("name").first()
        who = staff.name if staff is not None else last.actor_username
    at = current.updated_at if current is not None else timezone.now()
    return StaleCustomer(
        _(
            "This customer was changed by someone else (by %(who)s at %(time)s); "
            "reload to see their changes."
        )
        % {
            "who": who or _("another user"),
            "time": timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )


def _next_version(customer: Customer, expected: int) -> None:
    """Move the customer from version `expected` to the next, atomically (UPDATE … WHERE
    id = … AND version = …): when another write got there first, nothing is changed and
    StaleCustomer is raised (the caller's transaction rolls back)."""
    moved = Customer.objects.filter(pk=customer.pk, version=expected).update(
        version=F("version") + 1
    )
    if moved != 1:
        raise _stale(customer.pk)
    customer.version = expected + 1


def _editable_customer(actor, customer_id: int, action: str = Action.CUSTOMER_EDIT) -> Customer:
    customer = (
        Customer.objects.select_for_update()
        .filter(pk=customer_id, merged_into__isnull=True)
        .first()
    )
    if customer is None or scope_for(actor, Action.CUSTOMER_VIEW) == 0:
        raise NotFound(_("No such customer."))
    if not allows_customer(actor, action, customer):
        raise PermissionDenied(_("You may not change this customer."))
    return customer


@transaction.atomic
def customer_update(
    *, actor, customer_id: int, data: dict[str, Any], version: int | None = None
) -> Customer:
    """Change some fields. Errors name the field and nothing is saved.

    `version` is the customer's version the editor read (the edit form's hidden field, the
    API's `version`): when the customer has changed since, StaleCustomer says by whom and
    when, and nothing is saved. Without it the edit applies to whatever is current."""
    customer = _editable_customer(actor, customer_id)
    if version is not None and customer.version != version:
        raise _stale(customer.pk)
    cleaned, errors = clean_customer(data, partial=True, current=customer)
    if errors:
        raise ValidationFailed(errors)
    _check_refs(cleaned)
    if ("home_branch_id" in cleaned or "relationship_manager_id" in cleaned) and not allows(
        actor,
        Action.CUSTOMER_EDIT,
        home_branch_id=cleaned.get("home_branch_id", customer.home_branch_id),
        relationship_manager_id=cleaned.get(
            "relationship_manager_id", customer.relationship_manager_id
        ),
    ):
        raise PermissionDenied(_("You may not move this customer outside your own scope."))
    changed = apply_cleaned(customer, cleaned)
    if (
        "id_number" in changed
        and Customer.objects.filter(
            id_number_hash=customer.id_number_hash, merged_into__isnull=True
        )
        .exclude(pk=customer.pk)
        .exists()
    ):
        raise ValidationFailed({"id_number": [_("Another customer has this identity number.")]})
    if "phones" in cleaned and _set_phones(customer, cleaned["phones"]):
        changed.append("phones")
    if changed:
        _next_version(customer, customer.version if version is None else version)
        customer.save()
        interaction_record(
            customer=customer,
            kind=Interaction.Kind.CHANGE,
            actor=actor,
            summary=_("Changed: %(fields)s") % {"fields": ", ".join(field_labels(changed))},
            detail={"fields": changed},
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CUSTOMER_UPDATE,
            object_type="customer",
            object_id=customer.pk,
            customer_id=customer.pk,
            detail={"fields": changed},
        )
        customer_changed_on_commit(customer.pk)
    return customer


def interaction_record(
    *,
    customer: Customer,
    kind: str,
    actor=None,
    summary: str = "",
    channel: str = "",
    outcome: str = "",
    occurred_at=None,
    detail: dict | None = None,
    campaign=None,
    source_key: str = "",
) -> Interaction:
    """Append one entry to a customer's timeline. The one way every capability records contact."""
    staff = staff_of(actor)
    return Interaction.objects.create(
        customer=customer,
        kind=kind,
        summary=summary[:300],
        channel=channel,
        outcome=outcome,
        occurred_at=occurred_at or timezone.now(),
        detail=detail or {},
        campaign=campaign,
        staff=staff,
        unit=staff.unit if staff else None,
        source_key=source_key,
    )


@transaction.atomic
def interaction_add(
    *, actor, customer_id: int, kind: str, summary: str, channel: str = ""
) -> Interaction:
    customer = _editable_customer(actor, customer_id, Action.INTERACTION_ADD)
    errors = {}
    if kind not in {
        Interaction.Kind.VISIT,
        Interaction.Kind.CALL,
        Interaction.Kind.COMPLAINT,
        Interaction.Kind.NOTE,
        Interaction.Kind.GREETING,
        Interaction.Kind.PURCHASE,
    }:
        errors["kind"] = [_("Choose a kind of interaction.")]
    if not summary.strip():
        errors["summary"] = [_("Write what happened.")]
    if channel and channel not in Customer.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if errors:
        raise ValidationFailed(errors)
    return interaction_record(
        customer=customer, kind=kind, actor=actor, summary=summary.strip(), channel=channel
    )


@transaction.atomic
def consent_set(
    *, actor, customer_id: int, kind: str, granted: bool, source: str
) -> Consent | None:
    """Grant or withdraw one kind of consent. Withdrawing stamps the open grant; history stays.

    Whoever serves the customer may record what the customer says (a customer of another
    branch at this counter, a caller to the care centre): the permission is the one for adding
    to the timeline, not for editing the profile."""
    customer = _editable_customer(actor, customer_id, Action.INTERACTION_ADD)
    if kind not in Consent.Kind.values:
        raise ValidationFailed({"kind": [_("Unknown consent.")]})
    if not source.strip():
        raise ValidationFailed(
            {"source": [_("Say where the consent came from (form, call, app...).")]}
        )
    open_grant = customer.consents.filter(kind=kind, withdrawn_at__isnull=True).first()
    result = None
    if granted and open_grant is None:
        result = Consent.objects.create(customer=customer, kind=kind, source=source.strip())
    elif not granted and open_grant is not None:
        open_grant.withdrawn_at = timezone.now()
        open_grant.withdrawal_source = source.strip()
        open_grant.save(update_fields=["withdrawn_at", "withdrawal_source"])
        result = open_grant
    if kind == Consent.Kind.PHONE and not granted and not customer.do_not_call:
        customer.do_not_call = True
        customer.version += 1  # the row is locked (select_for_update)
        customer.save(update_fields=["do_not_call", "version", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CONSENT_CHANGE,
        object_type="customer",
        object_id=customer.pk,
        customer_id=customer.pk,
        detail={"kind": kind, "granted": granted},
    )
    customer_changed_on_commit(customer.pk)
    return result


@transaction.atomic
def household_link(*, actor, customer_id: int, relative_id: int, relation: str) -> HouseholdLink:
    """Link two customers both ways: "relative is the customer's <relation>"."""
    customer = _editable_customer(actor, customer_id)
    if relation not in HouseholdLink.Relation.values:
        raise ValidationFailed({"relation": [_("Choose spouse, parent, child or sibling.")]})
    if relative_id == customer.pk:
        raise ValidationFailed({"relative": [_("A customer cannot be their own relative.")]})
    relative = Customer.objects.filter(pk=relative_id, merged_into__isnull=True).first()
    if relative is None:
        raise ValidationFailed({"relative": [_("No such customer.")]})
    link, _created = HouseholdLink.objects.update_or_create(
        customer=customer, relative=relative, defaults={"relation": relation}
    )
    HouseholdLink.objects.update_or_create(
        customer=relative, relative=customer, defaults={"relation": HouseholdLink.INVERSE[relation]}
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_UPDATE,
        object_type="customer",
        object_id=customer.pk,
        customer_id=customer.pk,
        detail={"household": relation, "relative": relative.pk},
    )
    return link


@transaction.atomic
def holding_open(*, actor, customer_id: int, product_code: str, balance, opened_on=None) -> Holding:
    customer = _editable_customer(actor, customer_id)
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        raise ValidationFailed({"product": [_("No such product.")]})
    holding = Holding.objects.create(
        customer=customer,
        product=product,
        balance=balance,
        opened_on=opened_on or timezone.localdate(),
    )
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.PURCHASE,
        actor=actor,
        summary=str(product),
        detail={"product": product.code},
    )
    customer_changed_on_commit(customer.pk)
    return holding


@transaction.atomic
def task_add(
    *, actor, customer_id: int, title: str, due_on=None, assigned_to_id: int | None = None
) -> CustomerTask:
    customer = _editable_customer(actor, customer_id, Action.INTERACTION_ADD)
    if not title.strip():
        raise ValidationFailed({"title": [_("Say what is to be done.")]})
    staff = staff_of(actor)
    return CustomerTask.objects.create(
        customer=customer,
        title=title.strip(),
        due_on=due_on,
        assigned_to_id=assigned_to_id or (staff.pk if staff else None),
    )


@transaction.atomic
def customer_merge(*, actor, survivor_id: int, duplicate_id: int) -> Customer:
    """Fold a duplicate record into the survivor. Every interaction, consent, phone, holding,
    task and household link moves over; blank fields of the survivor are filled from the
    duplicate; the duplicate stays as a pointer to the survivor."""
    if survivor_id == duplicate_id:
        raise ValidationFailed({"duplicate": [_("Choose two different customers.")]})
    survivor = _editable_customer(actor, survivor_id, Action.CUSTOMER_MERGE)
    duplicate = _editable_customer(actor, duplicate_id, Action.CUSTOMER_MERGE)

    Interaction.objects.filter(customer=duplicate).update(customer=survivor)
    Consent.objects.filter(customer=duplicate).update(customer=survivor)
    Holding.objects.filter(customer=duplicate).update(customer=survivor)
    CustomerTask.objects.filter(customer=duplicate).update(customer=survivor)
    have = set(survivor.phones.values_list("e164", flat=True))
    for phone in duplicate.phones.all():
        if phone.e164 in have:
            phone.delete()
        else:
            CustomerPhone.objects.filter(pk=phone.pk).update(customer=survivor, is_primary=False)
    linked = set(survivor.household_links.values_list("relative_id", flat=True))
    for link in HouseholdLink.objects.filter(customer=duplicate):
        if link.relative_id not in linked and link.relative_id != survivor.pk:
            HouseholdLink.objects.filter(pk=link.pk).update(customer=survivor)
        else:
            link.delete()
    for link in HouseholdLink.objects.filter(relative=duplicate):
        if (
            link.customer_id == survivor.pk
            or HouseholdLink.objects.filter(
                customer_id=link.customer_id, relative=survivor
            ).exists()
        ):
            link.delete()
        else:
            HouseholdLink.objects.filter(pk=link.pk).update(relative=survivor)

    filled = []
    for field in Customer._meta.concrete_fields:
        name = field.attname
        if name in {
            "id",
            "number",
            "merged_into_id",
            "created_at",
            "updated_at",
            "source",
            "source_key",
            "version",
        }:
            continue
        mine, theirs = getattr(survivor, name), getattr(duplicate, name)
        if mine in ("", None, [], "U", "unknown") and theirs not in ("", None, [], "U", "unknown"):
            setattr(survivor, name, theirs)
            filled.append(name)
    survivor.do_not_call = survivor.do_not_call or duplicate.do_not_call
    survivor.version += 1  # both rows are locked (select_for_update)
    survivor.save()
    duplicate.merged_into = survivor
    duplicate.id_number_hash = ""  # the survivor now carries the identity
    duplicate.version += 1
    duplicate.save(update_fields=["merged_into", "id_number_hash", "version", "updated_at"])
    interaction_record(
        customer=survivor,
        kind=Interaction.Kind.CHANGE,
        actor=actor,
        summary=_("Merged duplicate record %(number)s") % {"number": duplicate.number},
        detail={"merged": duplicate.number, "filled": filled},
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_MERGE,
        object_type="customer",
        object_id=survivor.pk,
        customer_id=survivor.pk,
        detail={"duplicate": duplicate.pk},
    )
    customer_changed_on_commit(survivor.pk)
    return survivor


REVEALABLE = ("id_number", "phones", "email", "home_address", "mailing_address", "birth_date")


def customer_reveal(*, actor, customer_id: int, field: str) -> Any:
    """Unmask one personal field for an actor allowed to; the reveal is audit-logged."""
    if field not in REVEALABLE:
        raise ValidationFailed({"field": [_("This field cannot be revealed.")]})
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None or scope_for(actor, Action.CUSTOMER_VIEW) == 0:
        raise NotFound(_("No such customer."))
    if not allows_customer(actor, Action.CUSTOMER_REVEAL, customer):
        raise PermissionDenied(_("Your role may not see this customer's unmasked details."))
    if field == "id_number":
        value: Any = f.decrypt(customer.id_number_encrypted)
    elif field == "phones":
        value = [f.format_phone(p.e164) for p in customer.phones.all()]
    elif field == "birth_date":
        value = customer.birth_date.isoformat() if customer.birth_date else ""
    else:
        value = getattr(customer, field)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_REVEAL,
        object_type="customer",
        object_id=customer.pk,
        customer_id=customer.pk,
        detail={"field": field},
    )
    return value
