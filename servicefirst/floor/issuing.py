"""Issuing queue tickets: at the kiosk (anyone) or by staff for a customer.

A ticket's number is its service's letter and the next number of that letter at the branch
that day (A001, A002 …; B001 …), drawn from a named sequence under a row lock, so two kiosks
never print the same number. A visitor may identify themselves by phone (any format) or by
card / customer number; the ticket then carries the customer's priority (value tier, age) and
the language they prefer, and the visit goes on the customer's timeline. Self-declared
"elderly" and "disabled" buttons give those priorities without identification.
"""

import re

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import staff_of
from servicefirst.commitments import sources as commitment_events
from servicefirst.core.errors import ValidationFailed
from servicefirst.core.services import sequence_allocate
from servicefirst.customers.fields import try_phone
from servicefirst.customers.models import Customer, CustomerPhone, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.floor import ranking, selectors
from servicefirst.floor.live import notify_floor
from servicefirst.floor.models import Appointment, FloorEvent, FloorSettings, Service, Ticket
from servicefirst.floor.prediction import predict_wait_s

_SEPARATORS = re.compile(r"[\s\-]")
_CUSTOMER_NUMBER = re.compile(r"C\d{1,10}")


def sequence_name(branch_id: int, day, letter: str) -> str:
    return f"ticket:{branch_id}:{day:%Y%m%d}:{letter}"


def ticket_number_next(branch_id: int, day, letter: str) -> str:
    """The next ticket number of this letter at the branch on that day: A001, A002, …"""
    (n,) = sequence_allocate(sequence_name(branch_id, day, letter))
    return f"{letter}{n:03d}"


def _follow_merges(customer: Customer) -> Customer:
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


def customer_identify(
    identify: str, *, branch_id: int | None = None
) -> tuple[Customer | None, str]:
    """The customer a visitor named by phone number (any format) or by card / customer number
    (C0000000123, or just 123), and how: ("phone" | "number"). (None, "") when nobody matches."""
    text = _SEPARATORS.sub("", identify or "").upper()
    if not text:
        return None, ""
    if _CUSTOMER_NUMBER.fullmatch(text):
        numbers = [f"C{int(text[1:]):010d}", text]
    else:
        e164 = try_phone(identify)
        if e164:
            owners = list(
                Customer.objects.filter(
                    pk__in=CustomerPhone.objects.filter(e164=e164).values("customer_id")
                ).order_by("id")
            )
            if owners:
                # A shared number (a family phone): prefer a customer of this branch.
                owners.sort(
                    key=lambda c: (c.home_branch_id != branch_id, c.merged_into_id is not None)
                )
                return _follow_merges(owners[0]), "phone"
        numbers = [f"C{int(text):010d}"] if text.isdigit() and len(text) <= 10 else []
    for number in numbers:
        customer = Customer.objects.filter(number=number).first()
        if customer is not None:
            return _follow_merges(customer), "number"
    return None, ""


def offered_service(settings: FloorSettings, service_code: str) -> Service:
    """The service by code, if the branch offers it; else ValidationFailed on `service`."""
    code = (service_code or "").strip()
    if not code:
        raise ValidationFailed({"service": [_("Choose a service.")]})
    service = Service.objects.filter(code=code, is_active=True).first()
    if service is None:
        raise ValidationFailed({"service": [_("There is no service “%(code)s”.") % {"code": code}]})
    if not settings.services.filter(pk=service.pk).exists():
        raise ValidationFailed(
            {"service": [_("This branch does not offer %(service)s.") % {"service": service}]}
        )
    return service


def language_needed(customer: Customer | None) -> str:
    """The customer's preferred language when it is not Chinese (the branch's own)."""
    language = (customer.preferred_language or "").strip() if customer else ""
    return "" if not language or language.lower().startswith("zh") else language


def priority_for(
    settings: FloorSettings,
    *,
    customer: Customer | None,
    elderly: bool = False,
    disabled: bool = False,
    appointment_on_time: bool = False,
) -> tuple[int, str]:
    """Priority points and reason from the branch's rules: the customer's value tier and age,
    self-declared elderly / disabled, an appointment kept on time (the largest applies)."""
    age = customer.age if customer else None
    if elderly:
        age = max(age or 0, settings.elderly_age)
    return ranking.ticket_priority(
        ranking.PriorityRules.of(settings),
        tier=customer.value_tier if customer else "",
        age=age,
        disabled=disabled,
        appointment_on_time=appointment_on_time,
    )


def issue(
    *,
    settings: FloorSettings,
    service: Service,
    customer: Customer | None = None,
    identified_by: str = "",
    elderly: bool = False,
    disabled: bool = False,
    appointment: Appointment | None = None,
    appointment_on_time: bool = False,
    actor=None,
    now=None,
) -> Ticket:
    """Create the ticket (inputs already checked): number, priority, language, predicted wait;
    the visit on the customer's timeline; the floor log; the live pages told on commit."""
    now = now or timezone.now()
    branch = settings.branch
    day = timezone.localdate(now)
    priority, reason = priority_for(
        settings,
        customer=customer,
        elderly=elderly,
        disabled=disabled,
        appointment_on_time=appointment_on_time,
    )
    ticket = Ticket.objects.create(
        branch=branch,
        service=service,
        day=day,
        number=ticket_number_next(branch.pk, day, service.letter),
        customer=customer,
        identified_by=identified_by,
        priority=priority,
        priority_reason=reason,
        language=language_needed(customer),
        appointment=appointment,
        issued_at=now,
    )
    ticket.predicted_wait_s = predict_wait_s(branch.pk, service.pk, ticket=ticket, now=now)
    ticket.save(update_fields=["predicted_wait_s"])
    staff = staff_of(actor)
    if customer is not None:
        with translation.override(django_settings.LANGUAGE_CODE):
            summary = _("Took ticket %(number)s for %(service)s at %(branch)s") % {
                "number": ticket.number,
                "service": service,
                "branch": branch,
            }
        visit = interaction_record(
            customer=customer,
            kind=Interaction.Kind.VISIT,
            actor=actor,
            summary=summary,
            channel=Customer.Channel.BRANCH,
            occurred_at=now,
            detail={"ticket_id": ticket.pk, "ticket": ticket.number, "service": service.code},
        )
        if visit.unit_id != branch.pk:
            visit.unit = branch
            visit.save(update_fields=["unit"])
    FloorEvent.objects.create(
        branch=branch,
        at=now,
        kind=FloorEvent.Kind.ISSUE,
        actor=staff,
        ticket=ticket,
        detail={
            "number": ticket.number,
            "service": service.code,
            "priority": priority,
            "reason": reason,
            "identified": customer is not None,
            "elderly": bool(elderly),
            "disabled": bool(disabled),
            "appointment": appointment.reference if appointment else "",
            "predicted_wait_s": ticket.predicted_wait_s,
        },
    )
    commitment_events.ticket_issued(ticket)
    notify_floor(branch.pk, "queue")
    return ticket


@transaction.atomic
def ticket_issue(
    *,
    branch_id: int,
    service_code: str,
    identify: str = "",
    elderly: bool = False,
    disabled: bool = False,
    actor=None,
) -> Ticket:
    """Issue a queue ticket at the branch (kiosk or staff). `identify`: the visitor's phone or
    card / customer number (optional). Raises ValidationFailed naming `service` or
    `identify`, NotFound for an unknown branch."""
    settings = selectors.floor_settings(selectors.branch_get(branch_id).pk)
    errors: dict[str, list[str]] = {}
    service = None
    try:
        service = offered_service(settings, service_code)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    customer, how = customer_identify(identify, branch_id=settings.branch_id)
    if (identify or "").strip() and customer is None:
        errors["identify"] = [
            _(
                "We could not find a customer with this phone or card number. Check it, or "
                "leave it empty to take a ticket without it."
            )
        ]
    if errors:
        raise ValidationFailed(errors)
    return issue(
        settings=settings,
        service=service,
        customer=customer,
        identified_by=how,
        elderly=elderly,
        disabled=disabled,
        actor=actor,
    )
