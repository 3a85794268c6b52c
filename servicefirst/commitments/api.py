"""HTTP API of the commitment register.

- `GET /api/commitments/` and `GET /api/commitments/{code}`: the bank's published commitments to
  customers, as on the public page. No login: they carry no personal data.
- `POST /api/commitments/events`: an external producer (the cards centre's system, the cash
  logistics system…) records an event a commitment measures. It needs a token; the caller
  must hold `commitment.view` — bank-wide, or for UNIT scope only events of their own unit or
  a unit below it. Idempotent by `source_key`: posting the same event again answers 200 with
  the event already recorded (201 the first time). Errors name the field.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Router, Schema

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.accounts.selectors import units_below
from servicefirst.commitments import services
from servicefirst.commitments.events import KINDS, record
from servicefirst.commitments.models import CommitmentVersion, ServiceEvent
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.schemas import ErrorOut

router = Router(tags=["commitments"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CommitmentOut(Schema):
    code: str
    area: str
    owner: str
    version: int
    statement_zh: str
    statement_en: str
    statement: str
    measure: str
    start_event: str
    stop_event: str
    target_value: Decimal
    target_unit: str
    target: str
    goal_percent: Decimal
    calendar: str
    basis: str
    source: str
    published_at: datetime.datetime | None


def _out(version: CommitmentVersion) -> dict:
    c = version.commitment
    return {
        "code": c.code,
        "area": c.area,
        "owner": c.owner.code,
        "version": version.number,
        "statement_zh": version.statement_zh,
        "statement_en": version.statement_en,
        "statement": version.statement,
        "measure": version.measure,
        "start_event": version.start_event,
        "stop_event": version.stop_event,
        "target_value": version.target_value,
        "target_unit": version.target_unit,
        "target": services.target_words(version),
        "goal_percent": version.goal_percent,
        "calendar": version.calendar.code,
        "basis": c.basis,
        "source": c.source,
        "published_at": version.published_at,
    }


@router.get("/", response={200: list[CommitmentOut], 422: ErrorOut}, auth=None)
def commitments_list(request, area: str = ""):
    """The published commitments to customers (optionally of one area)."""
    versions = services.published_for_customers().select_related("commitment__owner")
    if area:
        versions = versions.filter(commitment__area=area)
    return [_out(v) for v in versions]


class EventIn(Schema):
    kind: str
    subject: str
    occurred_at: datetime.datetime
    source_key: str
    unit: str = ""  # unit code
    value: float | None = None
    attrs: dict = {}


class EventOut(Schema):
    id: int
    kind: str
    subject: str
    occurred_at: datetime.datetime
    source_key: str
    unit: str
    created: bool


def _event_record(*, actor, data: EventIn) -> tuple[ServiceEvent, bool]:
    scope = scope_for(actor, Action.COMMITMENT_VIEW)
    if scope == Scope.NONE:
        raise PermissionDenied("you may not record commitment events")
    errors: dict[str, list[str]] = {}
    kind = KINDS.get(data.kind)
    if kind is None:
        errors["kind"] = [_("“%(kind)s” is not an event the bank records.") % {"kind": data.kind}]
    subject = (data.subject or "").strip()
    if not subject or len(subject) > 60:
        errors["subject"] = [_("Give the subject (at most 60 characters), e.g. card:12345.")]
    key = (data.source_key or "").strip()
    if not key or len(key) > 100:
        errors["source_key"] = [_("Give a unique key for this event (at most 100 characters).")]
    if data.occurred_at.tzinfo is None:
        errors["occurred_at"] = [
            _("Give the time with its time zone, e.g. 2027-03-01T09:30:00+08:00.")
        ]
    unit = None
    if data.unit:
        unit = Unit.objects.filter(code=data.unit).first()
        if unit is None:
            errors["unit"] = [_("No unit has the code “%(code)s”.") % {"code": data.unit}]
    if kind is not None:
        for attr in data.attrs:
            if attr not in kind.attrs:
                errors.setdefault(f"attrs.{attr}", []).append(
                    _("“%(kind)s” has no attribute “%(attr)s” (it has: %(attrs)s).")
                    % {"kind": data.kind, "attr": attr, "attrs": ", ".join(kind.attrs) or "—"}
                )
    if errors:
        raise ValidationFailed(errors)
    if scope == Scope.UNIT:
        staff = staff_of(actor)
        if unit is None or unit.pk not in units_below(staff.unit_id):
            raise ValidationFailed(
                {"unit": [_("You may record events of your own unit (or the units below it).")]}
            )
    with transaction.atomic():
        existed = ServiceEvent.objects.filter(source_key=key).first()
        if existed is not None:
            return existed, False
        event = record(
            data.kind,
            subject=subject,
            occurred_at=data.occurred_at,
            source_key=key,
            unit_id=unit.pk if unit else None,
            value=data.value,
            attrs=data.attrs,
        )
    return event, True


@router.post("/events", response={200: EventOut, 201: EventOut, **ERRORS})
def events_post(request, payload: EventIn):
    """Record one event a commitment measures, once."""
    event, created = _event_record(actor=request.auth, data=payload)
    unit_code = Unit.objects.filter(pk=event.unit_id).values_list("code", flat=True).first()
    return 201 if created else 200, {
        "id": event.pk,
        "kind": event.kind,
        "subject": event.subject,
        "occurred_at": event.occurred_at,
        "source_key": event.source_key,
        "unit": unit_code or "",
        "created": created,
    }


# Declared after /events so that POST /events is not taken for a code.
@router.get("/{code}", response={200: CommitmentOut, 404: ErrorOut, 422: ErrorOut}, auth=None)
def commitments_get(request, code: str):
    version = (
        services.published_for_customers()
        .select_related("commitment__owner")
        .filter(commitment__code=code)
        .first()
    )
    if version is None:
        raise NotFound("no such published commitment")
    return _out(version)
