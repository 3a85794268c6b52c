"""The branch manager's actions on the floor: open and close counters, move a teller to
another counter, set the services a counter handles (how a teller is moved to another
service, and how a recommendation of the board is applied), raise or lower a waiting ticket's
priority, and say whether it is raining at the branch.

Each action is atomic, takes a keyword-only `actor` (the user), needs `floor.manage` at the
counter's branch, writes one FloorEvent with the actor and what changed, and tells the
branch's live pages once it commits. Bad input raises ValidationFailed naming the field and
changes nothing.

The branch's floor settings (`floor_settings_save`) and adding or removing counters
(`counter_add`, `counter_remove`) are configuration rather than floor actions: they are
recorded in the audit log (object types "floor_settings" and "counter", before → after)
instead of the floor log, whose kinds are fixed by the floor models.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, allows_unit, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.dispatch.selectors import (
    SLOT_CHOICES,
    VIP_TIERS,
    branch_get,
    serving_roles,
    settings_values,
)
from servicefirst.floor.live import notify_floor
from servicefirst.floor.models import Counter, FloorEvent, FloorSettings, Service, Ticket

MAX_PRIORITY = 100
REASON_MAX = 200


def _require_manage(actor, branch_id: int) -> None:
    if not allows_unit(actor, Action.FLOOR_MANAGE, branch_id):
        raise PermissionDenied(_("You may not manage the floor of this branch."))


def _counter_locked(actor, counter_id) -> Counter:
    try:
        counter_id = int(counter_id)
    except (TypeError, ValueError):
        raise ValidationFailed({"counter_id": [_("Choose a counter.")]}) from None
    counter = Counter.objects.select_for_update().filter(pk=counter_id).first()
    if counter is None:
        raise NotFound(_("No such counter."))
    _require_manage(actor, counter.branch_id)
    return counter


def _event(actor, counter_or_branch_id, kind: str, *, counter=None, ticket=None, **detail):
    return FloorEvent.objects.create(
        branch_id=counter_or_branch_id,
        kind=kind,
        actor=staff_of(actor),
        counter=counter,
        ticket=ticket,
        detail=detail,
    )


def _serving_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.filter(counter=counter, status=Ticket.Status.CALLED)
        .order_by("-called_at")
        .first()
    )


@transaction.atomic
def counter_open(*, actor, counter_id) -> Counter:
    """Open a counter (it takes tickets as soon as a teller is at it) and end any pause."""
    counter = _counter_locked(actor, counter_id)
    if counter.is_open and not counter.paused:
        raise ValidationFailed({"counter_id": [_("This counter is already open.")]})
    was_paused = counter.is_open and counter.paused
    counter.is_open, counter.paused, counter.pause_reason = True, False, ""
    counter.save(update_fields=["is_open", "paused", "pause_reason"])
    _event(
        actor,
        counter.branch_id,
        FloorEvent.Kind.OPEN_COUNTER,
        counter=counter,
        number=counter.number,
        was_paused=was_paused,
    )
    notify_floor(counter.branch_id, "counters")
    return counter


@transaction.atomic
def counter_close(*, actor, counter_id) -> Counter:
    """Close a counter: it calls no more tickets (whoever is being served there is finished
    by the teller as usual). Tickets transferred to this very counter go back to their
    service's queue, so that nobody waits for a closed counter."""
    counter = _counter_locked(actor, counter_id)
    if not counter.is_open:
        raise ValidationFailed({"counter_id": [_("This counter is already closed.")]})
    counter.is_open, counter.paused, counter.pause_reason = False, False, ""
    counter.save(update_fields=["is_open", "paused", "pause_reason"])
    requeued = list(
        Ticket.objects.filter(target_counter=counter, status=Ticket.Status.WAITING).values_list(
            "number", flat=True
        )
    )
    if requeued:
        Ticket.objects.filter(target_counter=counter, status=Ticket.Status.WAITING).update(
            target_counter=None
        )
    serving = _serving_ticket(counter)
    _event(
        actor,
        counter.branch_id,
        FloorEvent.Kind.CLOSE_COUNTER,
        counter=counter,
        number=counter.number,
        requeued=requeued,
        serving=serving.number if serving else "",
    )
    notify_floor(counter.branch_id, "counters")
    return counter


@transaction.atomic
def teller_move(*, actor, staff_id, counter_id) -> Counter:
    """Move a teller of the branch to a counter: they work there from now on (the counter
    opens), the counter they leave closes, and a teller who was at the target counter leaves
    it. Refused while either teller is serving a customer."""
    counter = _counter_locked(actor, counter_id)
    try:
        staff = Staff.objects.filter(pk=int(staff_id)).first()
    except (TypeError, ValueError):
        staff = None
    if staff is None:
        raise ValidationFailed({"staff_id": [_("Choose a teller.")]})
    if staff.unit_id != counter.branch_id:
        raise ValidationFailed(
            {"staff_id": [_("%(name)s does not work at this branch.") % {"name": staff.name}]}
        )
    if not staff.roles.filter(role__in=serving_roles()).exists():
        raise ValidationFailed(
            {"staff_id": [_("%(name)s does not work at counters.") % {"name": staff.name}]}
        )
    if counter.staff_id == staff.pk:
        raise ValidationFailed(
            {"counter_id": [_("%(name)s is already at this counter.") % {"name": staff.name}]}
        )
    previous = list(
        Counter.objects.select_for_update().filter(branch_id=counter.branch_id, staff=staff)
    )
    for old in previous:
        busy = _serving_ticket(old)
        if busy is not None:
            raise ValidationFailed(
                {
                    "staff_id": [
                        _(
                            "%(name)s is serving %(ticket)s at counter %(number)s; wait until they finish."
                        )
                        % {"name": staff.name, "ticket": busy.number, "number": old.number}
                    ]
                }
            )
    displaced = counter.staff
    if displaced is not None:
        busy = _serving_ticket(counter)
        if busy is not None:
            raise ValidationFailed(
                {
                    "counter_id": [
                        _("%(name)s is serving %(ticket)s at this counter; wait until they finish.")
                        % {"name": displaced.name, "ticket": busy.number}
                    ]
                }
            )
    for old in previous:
        old.staff, old.is_open, old.paused, old.pause_reason = None, False, False, ""
        old.save(update_fields=["staff", "is_open", "paused", "pause_reason"])
    counter.staff, counter.is_open, counter.paused, counter.pause_reason = staff, True, False, ""
    counter.save(update_fields=["staff", "is_open", "paused", "pause_reason"])
    _event(
        actor,
        counter.branch_id,
        FloorEvent.Kind.MOVE_TELLER,
        counter=counter,
        staff_id=staff.pk,
        staff=staff.name,
        from_counters=[old.number for old in previous],
        to_counter=counter.number,
        displaced=displaced.name if displaced else "",
    )
    notify_floor(counter.branch_id, "counters")
    return counter


def _services_by_code(service_codes) -> list[Service]:
    if isinstance(service_codes, str):
        service_codes = [c for c in service_codes.replace(",", " ").split() if c]
    codes = list(dict.fromkeys(str(c).strip() for c in (service_codes or []) if str(c).strip()))
    if not codes:
        raise ValidationFailed({"service_codes": [_("Choose at least one service.")]})
    found = {s.code: s for s in Service.objects.filter(code__in=codes, is_active=True)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationFailed(
            {"service_codes": [_("Unknown service: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    return [found[c] for c in codes]


@transaction.atomic
def counter_services_set(*, actor, counter_id, service_codes) -> Counter:
    """Set the services a counter handles (by service code). Moving a teller to another
    service, and applying the board's recommendation, both go through here."""
    counter = _counter_locked(actor, counter_id)
    services = _services_by_code(service_codes)
    before = sorted(counter.services.values_list("code", flat=True))
    after = sorted(s.code for s in services)
    if before == after:
        raise ValidationFailed(
            {"service_codes": [_("The counter already handles exactly these services.")]}
        )
    counter.services.set(services)
    _event(
        actor,
        counter.branch_id,
        FloorEvent.Kind.COUNTER_SERVICES,
        counter=counter,
        number=counter.number,
        before=before,
        after=after,
    )
    notify_floor(counter.branch_id, "counters")
    return counter


@transaction.atomic
def recommendation_apply(*, actor, counter_id, service_code) -> Counter:
    """Apply a recommended move: the counter takes this service as well as its own."""
    counter = _counter_locked(actor, counter_id)
    codes = list(counter.services.values_list("code", flat=True))
    if service_code in codes:
        raise ValidationFailed({"service_code": [_("The counter already handles this service.")]})
    return counter_services_set(
        actor=actor, counter_id=counter.pk, service_codes=[*codes, service_code]
    )


@transaction.atomic
def ticket_reprioritise(*, actor, ticket_id, priority, reason) -> Ticket:
    """Give a waiting ticket the manager's priority (points as in the branch's priority
    rules: higher is served earlier; the fairness guard still applies), with the reason."""
    try:
        ticket = Ticket.objects.select_for_update().filter(pk=int(ticket_id)).first()
    except (TypeError, ValueError):
        ticket = None
    if ticket is None:
        raise ValidationFailed({"ticket_id": [_("Choose a waiting ticket.")]})
    _require_manage(actor, ticket.branch_id)
    errors: dict[str, list[str]] = {}
    if ticket.status != Ticket.Status.WAITING:
        errors["ticket_id"] = [
            _("Ticket %(number)s is no longer waiting.") % {"number": ticket.number}
        ]
    try:
        points = int(str(priority).strip())
    except (TypeError, ValueError):
        points = None
    if points is None or not 0 <= points <= MAX_PRIORITY:
        errors["priority"] = [_("Give a priority from 0 to %(max)s.") % {"max": MAX_PRIORITY}]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the priority changes.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX}]
    if errors:
        raise ValidationFailed(errors)
    before, before_reason = ticket.priority, ticket.priority_reason
    ticket.priority, ticket.priority_reason = points, Ticket.Reason.MANAGER
    ticket.save(update_fields=["priority", "priority_reason"])
    _event(
        actor,
        ticket.branch_id,
        FloorEvent.Kind.REPRIORITISE,
        ticket=ticket,
        number=ticket.number,
        before=before,
        before_reason=before_reason,
        after=points,
        reason=reason,
    )
    notify_floor(ticket.branch_id, "queue")
    return ticket


def _settings_locked(branch_id: int) -> FloorSettings:
    settings = FloorSettings.objects.select_for_update().filter(branch_id=branch_id).first()
    if settings is None:
        from servicefirst.floor.selectors import floor_settings

        floor_settings(branch_id)
        settings = FloorSettings.objects.select_for_update().get(branch_id=branch_id)
    return settings


@transaction.atomic
def weather_set(*, actor, branch_id, raining) -> FloorSettings:
    """Say whether it is raining at the branch (the care prompts offer an umbrella)."""
    try:
        branch = Unit.objects.filter(pk=int(branch_id), kind=Unit.Kind.BRANCH).first()
    except (TypeError, ValueError):
        branch = None
    if branch is None:
        raise NotFound(_("No such branch."))
    _require_manage(actor, branch.pk)
    if isinstance(raining, str):
        value = raining.strip().lower()
        if value not in {"1", "0", "true", "false", "on", "off", "yes", "no"}:
            raise ValidationFailed({"raining": [_("Say whether it is raining.")]})
        raining = value in {"1", "true", "on", "yes"}
    raining = bool(raining)
    settings = _settings_locked(branch.pk)
    if settings.raining == raining:
        raise ValidationFailed(
            {
                "raining": [
                    _("It is already marked as raining.")
                    if raining
                    else _("It is already marked as not raining.")
                ]
            }
        )
    settings.raining = raining
    settings.raining_since = timezone.now() if raining else None
    settings.save(update_fields=["raining", "raining_since"])
    _event(actor, branch.pk, FloorEvent.Kind.WEATHER, raining=raining)
    notify_floor(branch.pk, "alerts")
    return settings


# --- the branch's floor settings and its counters ----------------------------------------------

# field → (lowest, highest) for the whole-number settings
SETTING_RANGES = {
    "commitment_minutes": (1, 240),
    "max_wait_minutes": (1, 240),
    **{f"vip_priority.{tier}": (0, MAX_PRIORITY) for tier in VIP_TIERS},
    "elderly_age": (50, 100),
    "elderly_priority": (0, MAX_PRIORITY),
    "disabled_priority": (0, MAX_PRIORITY),
    "appointment_priority": (0, MAX_PRIORITY),
    "appointment_grace_minutes": (0, 120),
}
FACTOR_RANGE = (Decimal("1.0"), Decimal("10.0"))
SETTING_FIELDS = (
    *SETTING_RANGES,
    "slot_minutes",
    "opens_at",
    "closes_at",
    "long_service_factor",
    "services",
)


def _whole(value, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text.isascii() or not text.lstrip("-").isdigit():
            return None
        number = int(text)
    return number if low <= number <= high else None


def _time(value) -> datetime.time | None:
    if isinstance(value, datetime.time):
        return value.replace(second=0, microsecond=0)
    text = str(value or "").strip()
    if len(text) == 4 and text[1] == ":":  # 9:00
        text = "0" + text
    try:
        parsed = datetime.time.fromisoformat(text)
    except ValueError:
        return None
    return None if parsed.tzinfo else parsed.replace(second=0, microsecond=0)


def _factor(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    low, high = FACTOR_RANGE
    if not number.is_finite() or not low <= number <= high:
        return None
    rounded = number.quantize(Decimal("0.1"))
    return rounded if rounded == number else None


def _flat_settings(data: dict) -> dict:
    """The posted values under their field names; a nested `vip_priority` dict is spread into
    `vip_priority.<tier>` keys."""
    flat = {k: v for k, v in data.items() if k != "vip_priority"}
    nested = data.get("vip_priority")
    if isinstance(nested, dict):
        for tier, points in nested.items():
            flat.setdefault(f"vip_priority.{tier}", points)
    return flat


def floor_settings_clean(data: dict, current: dict) -> dict:
    """Check the posted settings against the rules; returns every setting (the posted ones
    replacing the current ones). Raises ValidationFailed naming each bad field."""
    data = _flat_settings(data)
    errors: dict[str, list[str]] = {}
    out = dict(current)
    unknown = sorted(k for k in data if k not in SETTING_FIELDS)
    if unknown:
        errors["__all__"] = [_("Unknown setting: %(names)s.") % {"names": ", ".join(unknown)}]
    for name, (low, high) in SETTING_RANGES.items():
        if name not in data:
            continue
        value = _whole(data[name], low, high)
        if value is None:
            errors[name] = [
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
        else:
            out[name] = value
    if "slot_minutes" in data:
        value = _whole(data["slot_minutes"], 1, 10_000)
        if value not in SLOT_CHOICES:
            errors["slot_minutes"] = [
                _("Choose a slot length of %(choices)s minutes.")
                % {"choices": ", ".join(map(str, SLOT_CHOICES))}
            ]
        else:
            out["slot_minutes"] = value
    for name in ("opens_at", "closes_at"):
        if name in data:
            value = _time(data[name])
            if value is None:
                errors[name] = [_("Give a time as hours:minutes, e.g. 09:00.")]
            else:
                out[name] = value
    if "opens_at" not in errors and "closes_at" not in errors:
        if out["opens_at"] >= out["closes_at"]:
            errors["closes_at"] = [_("The branch must close after it opens.")]
        elif "slot_minutes" not in errors:
            opens, closes = out["opens_at"], out["closes_at"]
            open_minutes = (closes.hour - opens.hour) * 60 + closes.minute - opens.minute
            if open_minutes < out["slot_minutes"]:
                errors["slot_minutes"] = [
                    _("An appointment slot cannot be longer than the opening hours.")
                ]
    if "long_service_factor" in data:
        value = _factor(data["long_service_factor"])
        if value is None:
            errors["long_service_factor"] = [
                _("Give a number from 1.0 to 10.0 with at most one decimal.")
            ]
        else:
            out["long_service_factor"] = value
    if "services" in data:
        try:
            services = _services_by_code(data["services"])
        except ValidationFailed as exc:
            errors["services"] = exc.errors.get("service_codes", [])
        else:
            out["services"] = sorted(s.code for s in services)
    if errors:
        raise ValidationFailed(errors)
    return out


def _audit_value(value):
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return str(value)
    return value


@transaction.atomic
def floor_settings_save(*, actor, branch_id, data: dict) -> FloorSettings:
    """Change the branch's floor rules: the wait commitment and the fairness guard, the
    priority points (per value tier, elderly and from which age, disabled, appointments and
    their grace), the appointment slot length, opening hours, the long-service alert factor
    and the services offered at the kiosk. Only the fields given are changed. New priorities
    apply to tickets issued from now on; the fairness guard applies at the next call. The
    change is recorded in the audit log (before and after)."""
    branch = branch_get(actor=actor, branch_id=branch_id)
    settings = _settings_locked(branch.pk)
    current = settings_values(settings)
    cleaned = floor_settings_clean(data or {}, current)
    changed = [name for name in SETTING_FIELDS if cleaned[name] != current[name]]
    if not changed:
        return settings
    for name in changed:
        if name.startswith("vip_priority.") or name == "services":
            continue
        setattr(settings, name, cleaned[name])
    settings.vip_priority = {
        tier: cleaned[f"vip_priority.{tier}"]
        for tier in VIP_TIERS
        if cleaned[f"vip_priority.{tier}"] > 0
    }
    settings.save()
    if "services" in changed:
        settings.services.set(Service.objects.filter(code__in=cleaned["services"]))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="floor_settings",
        object_id=branch.pk,
        detail={
            "branch": branch.code,
            "before": {name: _audit_value(current[name]) for name in changed},
            "after": {name: _audit_value(cleaned[name]) for name in changed},
        },
    )
    notify_floor(branch.pk, "counters")
    return settings


@transaction.atomic
def counter_add(*, actor, branch_id, service_codes) -> Counter:
    """Add a counter to the branch with the lowest free number, handling these services; it
    starts closed with no teller (a teller signs in, or the manager moves one there)."""
    branch = branch_get(actor=actor, branch_id=branch_id)
    try:
        services = _services_by_code(service_codes)
    except ValidationFailed as exc:
        raise ValidationFailed({"service_codes": exc.errors["service_codes"]}) from None
    # Lock the branch's counters so that two additions never pick the same number.
    taken = set(
        Counter.objects.select_for_update().filter(branch=branch).values_list("number", flat=True)
    )
    number = next(n for n in range(1, len(taken) + 2) if n not in taken)
    counter = Counter.objects.create(branch=branch, number=number, is_open=False)
    counter.services.set(services)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="counter",
        object_id=counter.pk,
        detail={
            "branch": branch.code,
            "added": number,
            "services": sorted(s.code for s in services),
        },
    )
    notify_floor(branch.pk, "counters")
    return counter


@transaction.atomic
def counter_remove(*, actor, counter_id) -> int:
    """Remove a counter of the branch; returns its number. Only a closed counter with nobody
    at it, nobody being served there and no ticket waiting for it can go. Its past tickets
    stay (without the counter)."""
    counter = _counter_locked(actor, counter_id)
    errors = []
    if counter.is_open:
        errors.append(_("Close the counter first."))
    if counter.staff_id is not None:
        errors.append(
            _("%(name)s is at this counter; move them first.") % {"name": counter.staff.name}
        )
    serving = _serving_ticket(counter)
    if serving is not None:
        errors.append(_("Ticket %(number)s is being served here.") % {"number": serving.number})
    waiting = list(
        Ticket.objects.filter(target_counter=counter, status=Ticket.Status.WAITING).values_list(
            "number", flat=True
        )
    )
    if waiting:
        errors.append(_("Waiting for this counter: %(numbers)s.") % {"numbers": ", ".join(waiting)})
    if errors:
        raise ValidationFailed({"counter_id": errors})
    number, branch_id = counter.number, counter.branch_id
    services = sorted(counter.services.values_list("code", flat=True))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="counter",
        object_id=counter.pk,
        detail={"branch": counter.branch.code, "removed": number, "services": services},
    )
    counter.delete()
    notify_floor(branch_id, "counters")
    return number
