"""Writes of the satisfaction app: inviting customers from the service-event log, and taking
their answer on the public page.

Who is asked (`invite_from_events`, every 5 minutes):
- after a served ticket (`floor.ticket.finished`, not one transferred to another counter: the
  visit goes on there), a resolved request (`request.resolved`) and a call that reached an agent
  (`contact.call.ended` with a `staff_id`), when the event names the customer and the unit;
- once per subject (a ticket, request or call is asked about once however often its events
  are replayed: `SurveyInvitation.subject` is unique);
- at most once per customer per `THROTTLE_DAYS` (7) days of touchpoints: a customer served
  three times in a week is asked about the first of those visits only;
- only customers we may contact. The link is sent by SMS to customers with an active SMS
  consent (channel "sms"). A customer without one is never messaged: after a counter visit the
  teller hands the link over as a QR code at the counter (channel "qr"); after a call or a
  request there is no way to hand it over, so they are not asked. A customer who withdrew
  their SMS consent is not asked at all.
- touchpoints older than the invitation's validity (7 days) are not asked about any more, so a
  first run over a long history sends nothing stale.

No SMS is sent from here (there is no SMS gateway yet): the invitation is recorded on the
customer's timeline as "satisfaction survey sent", and staff can open the invitation's page
(`/satisfaction/invitations/<id>/`) to show or hand over the link.

The cursor: events are read in id order from `InviteCursor.last_id`, up to `MAX_BATCHES` ×
`BATCH_SIZE` a run. An id can become visible after a higher one (a producer's transaction
committing late), so each run also re-reads the events recorded in the last `LOOKBACK` minutes
(within `LOOKBACK_IDS` ids of the cursor, so the read stays on the primary key); unique subjects
make that harmless.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff
from servicefirst.commitments.models import Case, ServiceEvent
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.customers.models import Consent, Customer, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.satisfaction.models import (
    INVITATION_VALID_DAYS,
    InviteCursor,
    SurveyInvitation,
    SurveyResponse,
)

log = logging.getLogger(__name__)

THROTTLE_DAYS = 7
BATCH_SIZE = 500
MAX_BATCHES = 20  # per run: a backlog is caught up 10,000 events at a time
LOOKBACK_IDS = 10_000  # how far behind the cursor a late-committed id is looked for
LOOKBACK = datetime.timedelta(minutes=10)
CURSOR_NAME = "events"
COMMENT_MAX = 1000

TOUCHPOINT_OF_KIND = {
    "floor.ticket.finished": SurveyInvitation.Touchpoint.COUNTER,
    "request.resolved": SurveyInvitation.Touchpoint.REQUEST,
    "contact.call.ended": SurveyInvitation.Touchpoint.CALL,
}


def survey_language(preferred: str | None) -> str:
    """The page language for a customer's preferred language (English or Chinese)."""
    return "en" if (preferred or "").lower().startswith("en") else "zh-hans"


def _sms_consent(customer_ids: set[int]) -> tuple[set[int], set[int]]:
    """(customers with an active SMS consent, customers who withdrew theirs and have no active
    one)."""
    active, withdrawn = set(), set()
    for customer_id, withdrawn_at in Consent.objects.filter(
        customer_id__in=customer_ids, kind=Consent.Kind.SMS
    ).values_list("customer_id", "withdrawn_at"):
        (withdrawn if withdrawn_at else active).add(customer_id)
    return active, withdrawn - active


def _throttled(customer_id: int, at: datetime.datetime) -> bool:
    window = datetime.timedelta(days=THROTTLE_DAYS)
    return SurveyInvitation.objects.filter(
        customer_id=customer_id, occurred_at__gt=at - window, occurred_at__lt=at + window
    ).exists()


def invitation_create(
    *,
    subject: str,
    touchpoint: str,
    customer: Customer,
    unit_id: int,
    staff_id: int | None,
    occurred_at: datetime.datetime,
    channel: str,
    now: datetime.datetime,
    event_id: int | None = None,
) -> SurveyInvitation:
    """One invitation, recorded on the customer's timeline. Call inside a transaction."""
    invitation = SurveyInvitation.objects.create(
        subject=subject,
        touchpoint=touchpoint,
        customer=customer,
        staff_id=staff_id,
        unit_id=unit_id,
        language=survey_language(customer.preferred_language),
        occurred_at=occurred_at,
        created_at=now,
        expires_at=now + datetime.timedelta(days=INVITATION_VALID_DAYS),
        channel=channel,
        event_id=event_id,
    )
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.NOTE,
        summary=_("Satisfaction survey sent (%(touchpoint)s, %(channel)s)")
        % {
            "touchpoint": invitation.get_touchpoint_display(),
            "channel": invitation.get_channel_display(),
        },
        channel=Customer.Channel.SMS if channel == SurveyInvitation.Channel.SMS else "",
        occurred_at=now,
        detail={"survey_invitation": invitation.pk, "subject": subject},
        source_key=f"survey:{invitation.pk}",
    )
    return invitation


@transaction.atomic
def invite_from_events(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Read the new service events and invite the customers they served (see the module doc).
    Returns counts: events read, invitations created, and why the others were skipped."""
    now = now or timezone.now()
    cursor, _created = InviteCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    counts = dict.fromkeys(
        ("events", "invited", "already", "throttled", "no_consent", "skipped"), 0
    )
    oldest = now - datetime.timedelta(days=INVITATION_VALID_DAYS)
    for batch in range(MAX_BATCHES):
        new = Q(id__gt=cursor.last_id)
        if batch == 0:  # ids a late commit made visible behind the cursor
            new |= Q(recorded_at__gte=now - LOOKBACK)
        events = list(
            ServiceEvent.objects.filter(
                new,
                id__gt=cursor.last_id - LOOKBACK_IDS,
                kind__in=TOUCHPOINT_OF_KIND,
                occurred_at__gte=oldest,
            ).order_by("id")[:BATCH_SIZE]
        )
        counts["events"] += len(events)
        if events:
            _invite_batch(events, now=now, counts=counts)
            cursor.last_id = max(cursor.last_id, events[-1].pk)
        if len(events) < BATCH_SIZE:
            break
    cursor.save(update_fields=["last_id", "updated_at"])
    return counts


def _invite_batch(events: list[ServiceEvent], *, now, counts: dict[str, int]) -> None:
    subjects = {e.subject for e in events}
    done = set(
        SurveyInvitation.objects.filter(subject__in=subjects).values_list("subject", flat=True)
    )
    customer_ids = {e.customer_id for e in events if e.customer_id}
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=customer_ids)}
    staff_ids = set(
        Staff.objects.filter(pk__in={e.staff_id for e in events if e.staff_id}).values_list(
            "pk", flat=True
        )
    )
    sms_ok, refused = _sms_consent(set(customers))
    for event in events:
        touchpoint = TOUCHPOINT_OF_KIND[event.kind]
        customer = customers.get(event.customer_id)
        if (
            customer is None
            or event.unit_id is None
            or (touchpoint == SurveyInvitation.Touchpoint.CALL and not event.staff_id)
            or (event.attrs or {}).get("outcome") == "transferred"
        ):
            counts["skipped"] += 1
            continue
        if event.subject in done:
            counts["already"] += 1
            continue
        if customer.pk in sms_ok:
            channel = SurveyInvitation.Channel.SMS
        elif customer.pk not in refused and touchpoint == SurveyInvitation.Touchpoint.COUNTER:
            channel = SurveyInvitation.Channel.QR
        else:
            counts["no_consent"] += 1
            continue
        if _throttled(customer.pk, event.occurred_at):
            counts["throttled"] += 1
            continue
        invitation_create(
            subject=event.subject,
            touchpoint=touchpoint,
            customer=customer,
            unit_id=event.unit_id,
            staff_id=event.staff_id if event.staff_id in staff_ids else None,
            occurred_at=event.occurred_at,
            channel=channel,
            now=now,
            event_id=event.pk,
        )
        done.add(event.subject)
        counts["invited"] += 1


# --- the answer ------------------------------------------------------------------------------


class SurveyClosed(Exception):
    """The invitation can no longer be answered: `reason` is "answered" or "expired"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _int_in(raw, low: int, high: int) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high else None


@transaction.atomic
def survey_answer(
    *,
    token: str,
    csat,
    nps=None,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> SurveyResponse:
    """The customer's answer to one invitation (no login: the token is the key). Raises
    NotFound for an unknown token, SurveyClosed when already answered or expired, and
    ValidationFailed naming `csat`, `nps` or `comment`. One answer per token."""
    now = now or timezone.now()
    invitation = SurveyInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise NotFound(_("This survey link is not valid."))
    if invitation.answered_at is not None:
        raise SurveyClosed("answered")
    if invitation.is_expired(now):
        raise SurveyClosed("expired")
    errors: dict[str, list[str]] = {}
    csat_value = _int_in(csat, 1, 5)
    if csat_value is None:
        errors["csat"] = [_("Choose how satisfied you were, from 1 to 5.")]
    nps_value = None
    if nps not in (None, ""):
        nps_value = _int_in(nps, 0, 10)
        if nps_value is None:
            errors["nps"] = [_("Choose a number from 0 to 10.")]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            _("Please keep the comment under %(n)s characters.") % {"n": COMMENT_MAX}
        ]
    if errors:
        raise ValidationFailed(errors)
    response = SurveyResponse.objects.create(
        invitation=invitation,
        csat=csat_value,
        nps=nps_value,
        comment=comment,
        answered_at=now,
        case_ids=list(
            Case.objects.filter(subject=invitation.subject)
            .order_by("id")
            .values_list("id", flat=True)
        ),
    )
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    return response
