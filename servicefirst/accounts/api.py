from ninja import Router, Schema

from servicefirst.accounts.permissions import Action, scope_for, staff_of

router = Router(tags=["staff"])


class MeOut(Schema):
    username: str
    name: str | None
    unit: str | None
    roles: list[str]
    permissions: dict[str, str]


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
