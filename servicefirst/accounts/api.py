from ninja import Router, Schema

from servicefirst.accounts import selectors
from servicefirst.accounts.permissions import Action, scope_for, staff_of

router = Router(tags=["staff"])


class MeOut(Schema):
    username: str
    name: str | None
    unit: str | None
    roles: list[str]
    permissions: dict[str, str]


class StaffOut(Schema):
    employee_number: str
    name: str
    unit: str
    roles: list[str]
    languages: list[str]


class UnitOut(Schema):
    code: str
    name_zh: str
    name_en: str
    kind: str
    line: str


@router.get("/me", response=MeOut, summary="Who am I, and what may I do")
def me(request):
    staff = staff_of(request.auth)
    return {
        "username": request.auth.username,
        "name": staff.name if staff else None,
        "unit": staff.unit.code if staff else None,
        "roles": sorted(staff.role_codes) if staff else [],
        "permissions": {a: scope_for(request.auth, a).name.lower() for a in Action.ALL},
    }


@router.get("/staff", response=list[StaffOut], summary="Staff you may see")
def list_staff(request, unit: str | None = None):
    return [
        {
            "employee_number": s.employee_number,
            "name": s.name,
            "unit": s.unit.code,
            "roles": sorted(r.role for r in s.roles.all()),
            "languages": s.languages,
        }
        for s in selectors.staff_list(actor=request.auth, unit_code=unit)
    ]


@router.get(
    "/units", response=list[UnitOut], summary="Branches, the Care Center and second-line units"
)
def list_units(request):
    return list(selectors.units())
