"""Reads for the organisation and staff, scoped by the permission matrix."""

from django.db.models import QuerySet

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of


def staff_list(*, actor, unit_code: str | None = None) -> QuerySet[Staff]:
    """Staff the actor may see: a branch manager sees their own unit's staff, a compliance
    auditor or administrator everyone, a role without staff.view nobody."""
    scope = scope_for(actor, Action.STAFF_VIEW)
    qs = (
        Staff.objects.select_related("unit", "user")
        .prefetch_related("roles")
        .filter(user__is_active=True)
    )
    if scope == Scope.NONE:
        return qs.none()
    if scope in (Scope.UNIT, Scope.ASSIGNED):
        qs = qs.filter(unit_id=staff_of(actor).unit_id)
    if unit_code:
        qs = qs.filter(unit__code=unit_code)
    return qs.order_by("unit__code", "employee_number")


def units(*, first_line: bool | None = None) -> QuerySet[Unit]:
    qs = Unit.objects.all()
    if first_line is not None:
        qs = qs.filter(line=Unit.Line.FIRST if first_line else Unit.Line.SECOND)
    return qs
