"""Exporting customers to CSV or XLSX, masked according to the role, and audit-logged.

Only customers in the actor's `customer.export` scope are exported. Personal fields (phones,
identity number, e-mail, addresses, birth date) are exported in clear only when the actor's
`customer.reveal` scope is ALL; everyone else gets the masked values the pages show (phone
``138****8000``, identity number with only its last four). The columns are those of the
"customers" import mapping, so an unmasked export can be imported again.

Every export writes one audit event (format, count, masked or not, filter) and, when it is
unmasked, one event per exported customer, so that each customer's own trail shows who took
their data out.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.exports import safe_csv_writer, safe_xlsx_row
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record, audit_record_many
from servicefirst.customers import fields as f
from servicefirst.customers.mappings import CUSTOMER_COLUMNS
from servicefirst.customers.models import Customer
from servicefirst.customers.selectors import visible_customers

FORMATS = ("csv", "xlsx")

# The importer's columns (so an export can be imported again), less its external key.
COLUMNS = tuple(c for c in CUSTOMER_COLUMNS if c != "external_id")


@dataclass
class Export:
    filename: str
    content_type: str
    count: int
    masked: bool
    chunks: Iterator[bytes]


def export_is_masked(actor) -> bool:
    return scope_for(actor, Action.CUSTOMER_REVEAL) != Scope.ALL


def export_queryset(
    *, actor, branch: int | None = None, lifecycle: str = "", tier: str = ""
) -> QuerySet[Customer]:
    """The customers the actor may export, filtered by home branch, lifecycle and tier."""
    if scope_for(actor, Action.CUSTOMER_EXPORT) == Scope.NONE:
        raise PermissionDenied(_("You may not export customers."))
    errors: dict[str, list[str]] = {}
    if lifecycle and lifecycle not in Customer.Lifecycle.values:
        errors["lifecycle"] = [_("Unknown lifecycle class.")]
    if tier and tier not in Customer.Tier.values:
        errors["tier"] = [_("Unknown value tier.")]
    if errors:
        raise ValidationFailed(errors)
    qs = visible_customers(actor, Action.CUSTOMER_EXPORT)
    if branch:
        qs = qs.filter(home_branch_id=branch)
    if lifecycle:
        qs = qs.filter(lifecycle=lifecycle)
    if tier:
        qs = qs.filter(value_tier=tier)
    return qs.order_by("pk")


def _row(c: Customer, masked: bool) -> list:
    phones = [p.e164 for p in c.phones.all()]
    if masked:
        phone_text = ";".join(f.mask_phone(p) for p in phones)
        id_text = f.mask_id(c.id_number_last4)
        email = f.mask_email(c.email)
        home, mailing = f.mask_address(c.home_address), f.mask_address(c.mailing_address)
        birth = f"{c.birth_date:%Y}-**-**" if c.birth_date else ""
    else:
        phone_text = ";".join(phones)
        id_text = f.decrypt(c.id_number_encrypted)
        email, home, mailing = c.email, c.home_address, c.mailing_address
        birth = c.birth_date.isoformat() if c.birth_date else ""
    return [
        c.number,
        c.name_zh,
        c.name_latin,
        c.gender,
        birth,
        c.id_type,
        id_text,
        phone_text,
        email,
        home,
        mailing,
        c.postal_code,
        c.marital_status,
        "" if c.dependents is None else c.dependents,
        c.occupation,
        c.work_nature,
        c.employer,
        c.income_band,
        c.education,
        c.preferred_language,
        c.preferred_channel,
        c.contact_time,
        ";".join(c.interests or []),
        c.risk_appetite,
        c.aum_band,
        c.value_tier,
        c.lifecycle,
        c.lifecycle_reason,
        c.home_branch.code if c.home_branch_id else "",
        c.relationship_manager.employee_number if c.relationship_manager_id else "",
        "yes" if c.do_not_call else "no",
    ]


def _customers(qs: QuerySet[Customer]) -> Iterator[list[Customer]]:
    """The customers in chunks of IMPORT_BATCH_SIZE, with their phones, branch and RM."""
    size = max(int(settings.IMPORT_BATCH_SIZE), 1)
    rows = qs.select_related("home_branch", "relationship_manager").prefetch_related("phones")
    chunk: list[Customer] = []
    for c in rows.iterator(chunk_size=size):
        chunk.append(c)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _audit_chunk(actor, chunk: list[Customer], masked: bool, fmt: str) -> None:
    if not masked:
        audit_record_many(
            actor=actor,
            action=AuditEvent.Action.EXPORT,
            customer_ids=[c.pk for c in chunk],
            detail={"format": fmt, "masked": False},
        )


def _csv_chunks(qs, actor, masked: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer)
    buffer.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer.writerow(COLUMNS)
    for chunk in _customers(qs):
        _audit_chunk(actor, chunk, masked, "csv")
        for c in chunk:
            writer.writerow(_row(c, masked))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(qs, actor, masked: bool) -> Iterator[bytes]:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    sheet.append(safe_xlsx_row(COLUMNS))
    for chunk in _customers(qs):
        _audit_chunk(actor, chunk, masked, "xlsx")
        for c in chunk:
            sheet.append(safe_xlsx_row(_row(c, masked)))
    with tempfile.TemporaryFile(prefix="sf-export-") as fh:
        workbook.save(fh)
        fh.seek(0)
        while data := fh.read(1 << 16):
            yield data


def export_customers(
    *,
    actor,
    fmt: str = "csv",
    branch: int | None = None,
    lifecycle: str = "",
    tier: str = "",
) -> Export:
    """Prepare an export: checks, counts and audit-logs it now; the file is produced while
    `chunks` is iterated (CSV streams chunk by chunk; XLSX is built in a temporary file)."""
    if fmt not in FORMATS:
        raise ValidationFailed({"format": [_("Choose CSV or XLSX.")]})
    qs = export_queryset(actor=actor, branch=branch, lifecycle=lifecycle, tier=tier)
    masked = export_is_masked(actor)
    count = qs.count()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="export",
        detail={
            "format": fmt,
            "count": count,
            "masked": masked,
            "filter": {"branch": branch, "lifecycle": lifecycle, "tier": tier},
        },
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        return Export(
            filename=f"customers-{stamp}.csv",
            content_type="text/csv; charset=utf-8",
            count=count,
            masked=masked,
            chunks=_csv_chunks(qs, actor, masked),
        )
    return Export(
        filename=f"customers-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        count=count,
        masked=masked,
        chunks=_xlsx_chunks(qs, actor, masked),
    )
