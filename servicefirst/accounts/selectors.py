"""Reads for the organisation and staff, scoped by the permission matrix."""

from django.conf import settings
from django.db.models import QuerySet

from servicefirst.accounts.models import Role, Staff, Unit
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


# --- the unit tree ---------------------------------------------------------------------------
# A bank's units form a tree (head office → branches, Care Center, second-line units). Callers
# that walk it more than once read the parents once and pass them in.


def unit_parents(bank_id: int | None = None) -> dict[int, int | None]:
    """unit id → parent unit id (None at the top), of one bank or of all."""
    qs = Unit.objects.all() if bank_id is None else Unit.objects.filter(bank_id=bank_id)
    return dict(qs.values_list("pk", "parent_id"))


def units_below(unit_id: int | None, parents: dict[int, int | None] | None = None) -> set[int]:
    """The unit and every unit under it."""
    if unit_id is None:
        return set()
    parents = parents if parents is not None else unit_parents()
    children: dict[int | None, list[int]] = {}
    for pk, parent in parents.items():
        children.setdefault(parent, []).append(pk)
    out, todo = set(), [unit_id]
    while todo:
        pk = todo.pop()
        if pk in out:
            continue
        out.add(pk)
        todo.extend(children.get(pk, ()))
    return out


def unit_chain(unit_id: int | None, parents: dict[int, int | None] | None = None) -> list[int]:
    """The unit and every unit above it, nearest first."""
    parents = parents if parents is not None else unit_parents()
    chain: list[int] = []
    while unit_id is not None and unit_id not in chain:
        chain.append(unit_id)
        unit_id = parents.get(unit_id)
    return chain


# --- signing in: the second factor -------------------------------------------------------


def second_factor_required(user) -> bool:
    """Whether the user must use a second factor: they hold one of settings.OTP_REQUIRED_ROLES
    (a superuser counts as an administrator). Nobody when the setting is empty."""
    required = set(settings.OTP_REQUIRED_ROLES)
    if not required or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser and Role.ADMINISTRATOR in required:
        return True
    staff = staff_of(user)
    return staff is not None and bool(staff.role_codes & required)


def totp_device(user):
    """The user's confirmed authenticator (a django-otp TOTPDevice), or None when they have not
    enrolled."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
