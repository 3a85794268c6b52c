"""Writes for the organisation and staff."""

import datetime
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from servicefirst.accounts.models import ApiToken, Role, Staff, StaffRole, Unit
from servicefirst.core.errors import ValidationFailed


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    name: str,
    employee_number: str,
    unit: Unit,
    roles: list[str],
    languages: list[str] | None = None,
    ui_language: str = "zh-hans",
    email: str = "",
) -> Staff:
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationFailed({"roles": [f"Unknown role(s): {', '.join(bad)}"]})
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationFailed({"username": [f"The login {username} is taken."]})
    user = user_model.objects.create_user(username=username, password=password, email=email)
    if Role.ADMINISTRATOR in roles:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    staff = Staff.objects.create(
        user=user,
        name=name,
        employee_number=employee_number,
        unit=unit,
        languages=languages or ["zh"],
        preferred_ui_language=ui_language,
    )
    StaffRole.objects.bulk_create([StaffRole(staff=staff, role=r) for r in roles])
    return staff


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, staff: Staff, name: str, days: int | None = 90) -> str:
    """Create an API token; the plain token is returned once and only its hash is kept."""
    token = "sf_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        staff=staff,
        name=name,
        token_hash=_digest(token),
        expires_at=timezone.now() + datetime.timedelta(days=days) if days else None,
    )
    return token


def token_user(token: str):
    """The user a bearer token belongs to, or None if unknown, expired or revoked."""
    row = (
        ApiToken.objects.select_related("staff__user")
        .filter(token_hash=_digest(token), revoked_at__isnull=True)
        .first()
    )
    if (
        row is None
        or (row.expires_at and row.expires_at < timezone.now())
        or not row.staff.user.is_active
    ):
        return None
    return row.staff.user


# --- signing in: the second factor (TOTP) ------------------------------------------------


def totp_enrol_start(*, user):
    """The user's authenticator waiting to be confirmed (created on first call, the same one
    until confirmed, so reloading the page shows the same key)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_enrol_confirm(*, user, device) -> None:
    """Confirm the authenticator (once it has shown a right code, see device.verify_token): it
    becomes the user's only one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if device.user_id != user.pk:
        raise ValidationFailed({"device": ["This authenticator belongs to someone else."]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()


def totp_remove(*, user) -> int:
    """Forget the user's authenticators (they may enrol again); returns how many."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _rows = TOTPDevice.objects.filter(user=user).delete()
    return deleted
