"""Customer satisfaction: after a served ticket, a resolved request or a call, the customer is
asked by a link for a rating (CSAT 1–5 and the NPS question); answers attach to the member of
staff, the unit and the commitment cases of the same subject.

- `SurveyInvitation`: one per touchpoint (`subject` "ticket:<id>", "request:<id>", "call:<id>",
  unique), with an unguessable `token` for the public answer page, the touchpoint's unit and
  member of staff, the language to ask in, and when it expires.
- `SurveyResponse`: the one answer an invitation can receive.
- `InviteCursor`: how far `services.invite_from_events` has read the service-event log.
"""

import datetime
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Staff, Unit
from servicefirst.customers.models import Customer

INVITATION_VALID_DAYS = 7


def new_token() -> str:
    return secrets.token_urlsafe(16)


class SurveyInvitation(models.Model):
    class Touchpoint(models.TextChoices):
        COUNTER = "counter", _("Counter visit")
        REQUEST = "request", _("Service request")
        CALL = "call", pgettext_lazy("touchpoint", "Call")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS link")
        LINK = "link", _("Link")
        QR = "qr", _("QR code handed over")

    class Source(models.TextChoices):
        EVENTS = "events", _("Service events")
        DEMO = "demo", _("Demo data")

    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    subject = models.CharField(_("subject"), max_length=60, unique=True)
    touchpoint = models.CharField(_("touchpoint"), max_length=10, choices=Touchpoint.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="survey_invitations"
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    occurred_at = models.DateTimeField(_("touchpoint time"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(pgettext_lazy("survey", "answered"), null=True, blank=True)
    channel = models.CharField(_("delivered by"), max_length=5, choices=Channel.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EVENTS)
    event_id = models.BigIntegerField(null=True, blank=True)  # the ServiceEvent it came from

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="survey_inv_customer"),
            models.Index(fields=["unit", "occurred_at"], name="survey_inv_unit"),
            models.Index(fields=["staff", "occurred_at"], name="survey_inv_staff"),
        ]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_touchpoint_display()})"

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class SurveyResponse(models.Model):
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    csat = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend (0–10)"), null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(pgettext_lazy("survey", "answered"), default=timezone.now)
    # The commitment cases (commitments.Case ids) of the same subject when the answer came.
    case_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__gte=1) & Q(csat__lte=5), name="survey_csat_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | (Q(nps__gte=0) & Q(nps__lte=10)),
                name="survey_nps_0_to_10",
            ),
        ]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.csat}/{self.nps}"


class InviteCursor(models.Model):
    """The highest ServiceEvent id `invite_from_events` has read (one row, name "events")."""

    name = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.last_id}"
