"""Appointments: booked on the public page (no login) or by staff for a customer, checked in at
the kiosk, recorded as missed when the slot passes.

Slots run from the branch's opening time in steps of `slot_minutes`, each ending by closing
time, on working days (no weekends, no Chinese public holidays — the `holidays` package, which
knows the lunar ones). A slot holds as many bookings as the branch has counters that handle
the service. Checking in on time (early, or within `appointment_grace_minutes` of the slot
start) issues a ticket with the appointment priority; later, an ordinary ticket.
"""

import datetime
import functools
import secrets
from dataclasses import dataclass

import holidays
import phonenumbers
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import (
    Action,
    allows_unit,
    branches_for,
    staff_of,
)
from servicefirst.commitments import sources as commitment_events
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.fields import normalise_phone, try_phone
from servicefirst.customers.models import Customer, CustomerPhone, Interaction
from servicefirst.customers.selectors import customer_get
from servicefirst.customers.services import interaction_record
from servicefirst.floor import issuing, selectors
from servicefirst.floor.live import notify_floor
from servicefirst.floor.models import (
    Appointment,
    Counter,
    FloorEvent,
    FloorSettings,
    Service,
    Ticket,
)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
REFERENCE_LENGTH = 8
BOOKING_DAYS = 14  # how far ahead the public page offers days
HOLDING = (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN)


@functools.lru_cache(maxsize=16)
def _cn_holidays(year: int):
    return holidays.country_holidays("CN", years=year)


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday and not a Chinese public holiday."""
    return day.weekday() < 5 and day not in _cn_holidays(day.year)


def holiday_name(day: datetime.date) -> str:
    return _cn_holidays(day.year).get(day) or ""


def booking_days(*, today: datetime.date | None = None, count: int = BOOKING_DAYS) -> list:
    """The next `count` working days, today included."""
    day = today or timezone.localdate()
    out = []
    while len(out) < count:
        if is_working_day(day):
            out.append(day)
        day += datetime.timedelta(days=1)
    return out


@dataclass(frozen=True)
class Slot:
    start: datetime.datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def slot_starts(settings: FloorSettings, day: datetime.date) -> list[datetime.datetime]:
    """The slot start times of a working day (aware, local time); none on other days."""
    if not is_working_day(day):
        return []
    tz = timezone.get_current_timezone()
    step = datetime.timedelta(minutes=max(1, settings.slot_minutes))
    start = datetime.datetime.combine(day, settings.opens_at, tzinfo=tz)
    close = datetime.datetime.combine(day, settings.closes_at, tzinfo=tz)
    out = []
    while start + step <= close:
        out.append(start)
        start += step
    return out


def slot_capacity(branch_id: int, service_id: int) -> int:
    """Bookings a slot can take: the branch's counters handling the service (open or not)."""
    return Counter.objects.filter(branch_id=branch_id, services=service_id).count()


def slots(branch_id: int, service_code: str, day: datetime.date, *, now=None) -> list[Slot]:
    """The day's slots for the service with their capacity and bookings; only slots that have
    not started yet. Raises ValidationFailed naming `service` for a service not offered."""
    now = now or timezone.now()
    settings = selectors.floor_settings(branch_id)
    service = issuing.offered_service(settings, service_code)
    starts = [s for s in slot_starts(settings, day) if s > now]
    if not starts:
        return []
    capacity = slot_capacity(branch_id, service.pk)
    booked = dict(
        Appointment.objects.filter(
            branch_id=branch_id,
            service=service,
            slot_start__in=starts,
            status__in=HOLDING,
        )
        .values_list("slot_start")
        .annotate(n=Count("id"))
        .values_list("slot_start", "n")
    )
    return [Slot(start=s, capacity=capacity, booked=booked.get(s, 0)) for s in starts]


def free_slots(branch_id: int, service_code: str, day: datetime.date, *, now=None) -> list[Slot]:
    return [s for s in slots(branch_id, service_code, day, now=now) if s.free > 0]


def _mobile(raw: str) -> str:
    """A mobile number in E.164; ValueError with a message for the visitor."""
    e164 = normalise_phone(raw)
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError(_("Enter a mobile phone number."))
    return e164


def _reference() -> str:
    while True:
        ref = "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(REFERENCE_LENGTH))
        if not Appointment.objects.filter(reference=ref).exists():
            return ref


def _slot_start(value) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        try:
            dt = datetime.datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            return None
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def _service_and_slot(
    settings: FloorSettings, service_code: str, slot_start, *, now
) -> tuple[Service | None, datetime.datetime | None, dict[str, list[str]]]:
    """The service and slot asked for, checked: offered, a slot of a working day not yet
    started, with a free place. Problems on `service` and `slot`."""
    errors: dict[str, list[str]] = {}
    service = None
    try:
        service = issuing.offered_service(settings, service_code)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    start = _slot_start(slot_start)
    if start is None:
        errors["slot"] = [_("Choose a time.")]
    else:
        local = timezone.localtime(start)
        if start <= now:
            errors["slot"] = [_("This time has passed; choose a later one.")]
        elif not is_working_day(local.date()):
            errors["slot"] = [_("The branch takes no appointments on this day.")]
        elif local not in slot_starts(settings, local.date()):
            errors["slot"] = [_("Choose one of the times offered.")]
        elif service is not None:
            capacity = slot_capacity(settings.branch_id, service.pk)
            taken = Appointment.objects.filter(
                branch_id=settings.branch_id,
                service=service,
                slot_start=start,
                status__in=HOLDING,
            ).count()
            if taken >= capacity:
                errors["slot"] = [_("This time is fully booked; choose another.")]
    return service, start, errors


@transaction.atomic
def appointment_book(
    *,
    branch_id: int,
    service_code: str,
    slot_start,
    name: str,
    phone: str,
    actor=None,
    customer_id: int | None = None,
    now=None,
) -> Appointment:
    """Book a slot. Anyone may book (the public page); staff with FLOOR_BOOK at the branch may
    book for a customer (`customer_id`), who is then recognised at check-in. Every problem is
    reported on its field (`service`, `slot`, `name`, `phone`, `customer`) and nothing is
    booked; a full slot is refused."""
    now = now or timezone.now()
    branch = selectors.branch_get(branch_id)
    # One booking at a time per branch, so a slot is never over-filled.
    settings = FloorSettings.objects.select_for_update().get(
        pk=selectors.floor_settings(branch.pk).pk
    )
    service, start, errors = _service_and_slot(settings, service_code, slot_start, now=now)
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Enter your name.")]
    elif len(name) > 60:
        errors["name"] = [_("The name is too long (60 characters at most).")]
    e164 = ""
    try:
        e164 = _mobile(phone)
    except ValueError as exc:
        errors["phone"] = [str(exc)]
    customer = None
    staff = staff_of(actor)
    if customer_id is not None or staff is not None:
        if not allows_unit(actor, Action.FLOOR_BOOK, branch.pk):
            if customer_id is not None:
                raise PermissionDenied(_("You may not book appointments for this branch."))
            staff = None  # a member of staff booking for themselves, like anyone
        elif customer_id is not None:
            customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
            if customer is None:
                errors["customer"] = [_("There is no such customer.")]
    if (
        start is not None
        and e164
        and not errors.get("slot")
        and Appointment.objects.filter(
            branch=branch, slot_start=start, phone=e164, status=Appointment.Status.BOOKED
        ).exists()
    ):
        errors["slot"] = [_("You already have a booking at this time.")]
    if errors:
        raise ValidationFailed(errors)
    appointment = Appointment.objects.create(
        branch=branch,
        service=service,
        slot_start=start,
        reference=_reference(),
        customer=customer,
        name=name,
        phone=e164,
        booked_by=staff,
    )
    notify_floor(branch.pk, "appointments")
    return appointment


def _find(reference: str, phone: str, branch_id: int, now) -> Appointment:
    reference = (reference or "").strip().upper().replace(" ", "")
    if reference:
        appointment = Appointment.objects.filter(reference=reference, branch_id=branch_id).first()
        if appointment is None:
            raise ValidationFailed(
                {"reference": [_("There is no booking with this reference at this branch.")]}
            )
        return appointment
    e164 = try_phone(phone)
    if not (phone or "").strip():
        raise ValidationFailed({"reference": [_("Enter your booking reference or phone.")]})
    if e164 is None:
        raise ValidationFailed({"phone": [_("This is not a valid phone number.")]})
    today = timezone.localdate(now)
    todays = list(
        Appointment.objects.filter(
            branch_id=branch_id,
            phone=e164,
            slot_start__date=today,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.MISSED),
        ).order_by("slot_start")
    )
    if not todays:
        raise ValidationFailed(
            {"phone": [_("We found no booking for today at this branch with this phone.")]}
        )
    # The booking nearest to now (the one the visitor came for).
    return min(todays, key=lambda a: abs((a.slot_start - now).total_seconds()))


def on_time(appointment: Appointment, settings: FloorSettings, now) -> bool:
    """Early, or no later than the grace period after the slot start."""
    grace = datetime.timedelta(minutes=settings.appointment_grace_minutes)
    return now <= appointment.slot_start + grace


@transaction.atomic
def appointment_check_in(
    *, branch_id: int, reference: str = "", phone: str = "", actor=None, now=None
) -> Ticket:
    """Check a booking in at the kiosk (by reference, or by the phone it was booked with, for
    today) and issue its ticket: appointment priority when on time, ordinary when late."""
    now = now or timezone.now()
    settings = selectors.floor_settings(selectors.branch_get(branch_id).pk)
    found = _find(reference, phone, settings.branch_id, now)
    appointment = Appointment.objects.select_for_update().get(pk=found.pk)
    field = "reference" if (reference or "").strip() else "phone"
    if appointment.status == Appointment.Status.CANCELLED:
        raise ValidationFailed({field: [_("This booking was cancelled.")]})
    if appointment.status == Appointment.Status.CHECKED_IN:
        raise ValidationFailed({field: [_("This booking is already checked in.")]})
    slot_day = timezone.localtime(appointment.slot_start).date()
    if slot_day != timezone.localdate(now):
        raise ValidationFailed(
            {
                field: [
                    _("This booking is for %(when)s; please check in on that day.")
                    % {
                        "when": timezone.localtime(appointment.slot_start).strftime(
                            "%Y-%m-%d %H:%M"
                        )
                    }
                ]
            }
        )
    kept = on_time(appointment, settings, now)
    customer = appointment.customer
    ticket = issuing.issue(
        settings=settings,
        service=appointment.service,
        customer=customer,
        identified_by="appointment" if customer else "",
        appointment=appointment,
        appointment_on_time=kept,
        actor=actor,
        now=now,
    )
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.checked_in_at = now
    appointment.save(update_fields=["status", "checked_in_at"])
    commitment_events.appointment_checked_in(appointment, ticket)
    FloorEvent.objects.create(
        branch_id=settings.branch_id,
        at=now,
        kind=FloorEvent.Kind.CHECK_IN,
        actor=staff_of(actor),
        ticket=ticket,
        detail={
            "reference": appointment.reference,
            "number": ticket.number,
            "on_time": kept,
            "late_s": max(0, round((now - appointment.slot_start).total_seconds())),
        },
    )
    return ticket


@transaction.atomic
def appointment_cancel(*, reference: str, phone: str, actor=None) -> Appointment:
    """Cancel a booking by its reference and the phone it was booked with."""
    reference = (reference or "").strip().upper().replace(" ", "")
    errors: dict[str, list[str]] = {}
    if not reference:
        errors["reference"] = [_("Enter your booking reference.")]
    e164 = try_phone(phone)
    if e164 is None:
        errors["phone"] = [_("Enter the phone number you booked with.")]
    if errors:
        raise ValidationFailed(errors)
    appointment = Appointment.objects.select_for_update().filter(reference=reference).first()
    if appointment is None or appointment.phone != e164:
        raise ValidationFailed(
            {"reference": [_("No booking matches this reference and phone number.")]}
        )
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationFailed(
            {
                "reference": [
                    _("This booking can no longer be cancelled (%(status)s).")
                    % {"status": appointment.get_status_display()}
                ]
            }
        )
    return _cancel(appointment, actor)


def _cancel(appointment: Appointment, actor) -> Appointment:
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    FloorEvent.objects.create(
        branch_id=appointment.branch_id,
        kind=FloorEvent.Kind.CANCEL,
        actor=staff_of(actor),
        detail={"appointment": appointment.reference},
    )
    notify_floor(appointment.branch_id, "appointments")
    return appointment


def appointment_get(reference: str) -> Appointment:
    appointment = (
        Appointment.objects.select_related("branch", "service")
        .filter(reference=(reference or "").strip().upper())
        .first()
    )
    if appointment is None:
        raise NotFound("No such booking.")
    return appointment


@transaction.atomic
def appointments_mark_missed(now=None) -> int:
    """Mark booked appointments whose slot started more than the branch's grace period ago,
    without a check-in, as MISSED (one APPOINTMENT_MISSED floor event each). Returns how many."""
    now = now or timezone.now()
    overdue = list(
        Appointment.objects.select_for_update()
        .filter(status=Appointment.Status.BOOKED, slot_start__lt=now)
        .order_by("branch_id", "slot_start")
    )
    if not overdue:
        return 0
    graces = dict(
        FloorSettings.objects.filter(branch_id__in={a.branch_id for a in overdue}).values_list(
            "branch_id", "appointment_grace_minutes"
        )
    )
    default_grace = FloorSettings._meta.get_field("appointment_grace_minutes").default
    missed = [
        a
        for a in overdue
        if a.slot_start + datetime.timedelta(minutes=graces.get(a.branch_id, default_grace)) < now
    ]
    for a in missed:
        a.status = Appointment.Status.MISSED
    Appointment.objects.bulk_update(missed, ["status"], batch_size=500)
    FloorEvent.objects.bulk_create(
        [
            FloorEvent(
                branch_id=a.branch_id,
                at=now,
                kind=FloorEvent.Kind.APPOINTMENT_MISSED,
                detail={
                    "appointment": a.reference,
                    "service": a.service_id,
                    "slot_start": a.slot_start.isoformat(),
                },
            )
            for a in missed
        ],
        batch_size=500,
    )
    for branch_id in sorted({a.branch_id for a in missed}):
        notify_floor(branch_id, "appointments")
    return len(missed)


# --- the staff desk: book for a customer, list, cancel, check in ----------------------------
# Staff with FLOOR_BOOK at a branch (UNIT scope: their own branch; ALL scope, e.g. the contact
# centre's agents: any branch of their bank) work its appointments.

UPCOMING_SHOWN = 200  # appointments the staff page lists at most


def bookable_branches(actor) -> list[Unit]:
    """The branches whose appointments the actor may work: their own branch, or every branch
    of their bank for bank-wide roles."""
    return branches_for(actor, Action.FLOOR_BOOK)


def desk_branch_get(*, actor, branch_id) -> Unit:
    """The branch, if the actor may work its appointments (NotFound / PermissionDenied)."""
    branch = selectors.branch_get(branch_id)
    if not allows_unit(actor, Action.FLOOR_BOOK, branch.pk):
        raise PermissionDenied(_("You may not work the appointments of this branch."))
    return branch


def appointments_upcoming(*, actor, branch_id: int, now=None) -> list[Appointment]:
    """The branch's appointments of today (every status) and of the days ahead (booked ones),
    in slot order, each with `checked_in_ticket` (the ticket its check-in issued, or None)."""
    branch = desk_branch_get(actor=actor, branch_id=branch_id)
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
    tomorrow = start + datetime.timedelta(days=1)
    rows = list(
        Appointment.objects.filter(branch=branch, slot_start__gte=start)
        .filter(Q(slot_start__lt=tomorrow) | Q(status__in=HOLDING))
        .select_related("service", "customer", "booked_by")
        .prefetch_related(
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related("counter").order_by("issued_at"),
            )
        )
        .order_by("slot_start", "id")[:UPCOMING_SHOWN]
    )
    for a in rows:
        tickets = list(a.tickets.all())
        a.checked_in_ticket = tickets[0] if tickets else None
    return rows


def _desk_appointment(actor, appointment_id) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update().filter(pk=appointment_id).first()
        if str(appointment_id).isdigit()
        else None
    )
    if appointment is None:
        raise NotFound(_("No such booking."))
    desk_branch_get(actor=actor, branch_id=appointment.branch_id)
    return appointment


def _customer_mobile(customer: Customer) -> str:
    """The customer's mobile on record (primary first), or ""."""
    for phone in customer.phones.all():
        if phone.kind == CustomerPhone.Kind.MOBILE:
            try:
                return _mobile(phone.e164)
            except ValueError:
                continue
    return ""


@transaction.atomic
def appointment_book_for_customer(
    *,
    actor,
    branch_id,
    service_code: str,
    slot_start,
    customer_id,
    phone: str = "",
    now=None,
) -> Appointment:
    """Staff book a slot for a customer they found: the booking carries the customer's name
    and their mobile on record (or the mobile given, e.g. a new one said on the phone), is
    linked to the customer (recognised at check-in) and noted on their timeline. Problems are
    reported on their field (`customer`, `service`, `slot`, `phone`); nothing is booked."""
    branch = desk_branch_get(actor=actor, branch_id=branch_id)
    customer = None
    if str(customer_id or "").strip().isdigit():
        try:
            customer = customer_get(actor=actor, customer_id=int(customer_id))
        except NotFound:
            customer = None
    if customer is None:
        # Check the other fields too, so that every problem is reported at once.
        errors = {"customer": [_("Find the customer and choose them from the list.")]}
        settings = selectors.floor_settings(branch.pk)
        _service, _start, slot_errors = _service_and_slot(
            settings, service_code, slot_start, now=now or timezone.now()
        )
        errors.update(slot_errors)
        if (phone or "").strip():
            try:
                _mobile(phone)
            except ValueError as exc:
                errors["phone"] = [str(exc)]
        raise ValidationFailed(errors)
    mobile = phone.strip() if (phone or "").strip() else _customer_mobile(customer)
    if not mobile:
        raise ValidationFailed(
            {"phone": [_("This customer has no mobile number on record; enter one.")]}
        )
    appointment = appointment_book(
        branch_id=branch.pk,
        service_code=service_code,
        slot_start=slot_start,
        name=customer.display_name[:60],
        phone=mobile,
        actor=actor,
        customer_id=customer.pk,
        now=now,
    )
    staff = staff_of(actor)
    with translation.override(django_settings.LANGUAGE_CODE):
        summary = _("Appointment %(reference)s booked: %(service)s at %(branch)s, %(when)s") % {
            "reference": appointment.reference,
            "service": appointment.service,
            "branch": branch,
            "when": timezone.localtime(appointment.slot_start).strftime("%Y-%m-%d %H:%M"),
        }
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.NOTE,
        actor=actor,
        summary=summary,
        channel=Customer.Channel.PHONE
        if staff is not None and staff.unit.kind == Unit.Kind.CARE_CENTER
        else Customer.Channel.BRANCH,
        detail={"appointment": appointment.reference, "branch": branch.code},
    )
    return appointment


@transaction.atomic
def appointment_desk_cancel(*, actor, appointment_id) -> Appointment:
    """Staff cancel a booking of a branch whose appointments they work (logged)."""
    appointment = _desk_appointment(actor, appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationFailed(
            {
                "appointment": [
                    _("This booking can no longer be cancelled (%(status)s).")
                    % {"status": appointment.get_status_display()}
                ]
            }
        )
    return _cancel(appointment, actor)


@transaction.atomic
def appointment_desk_check_in(*, actor, appointment_id, now=None) -> Ticket:
    """Check a booking in at the desk (the customer has arrived): issues its ticket as the
    kiosk would — appointment priority when on time, ordinary when late."""
    appointment = _desk_appointment(actor, appointment_id)
    try:
        return appointment_check_in(
            branch_id=appointment.branch_id,
            reference=appointment.reference,
            actor=actor,
            now=now,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            {"appointment": [m for ms in exc.errors.values() for m in ms]}
        ) from exc
