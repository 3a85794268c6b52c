"""Service requests: the Customer Care Center's work, open around the clock.

- `RequestCategory`: what a request is about, with the unit that owns it by default (or the
  customer's home branch) and whether it is usually simple or complex.
- `ServiceRequest`: one request, enquiry or complaint from any channel, with its owner,
  assignee, status and the times its commitments measure (opened, first response, resolved).
- `RequestNote`: internal notes, for staff only.
- `RequestMessage`: the conversation with the customer (to and from them).
- `RequestTransfer`: the request handed to another unit; the receiving unit owns it until it
  answers, and the transfer is itself measured against the receiving unit's commitment.

Every change goes through `services.py`, which records the commitments' events in the same
transaction.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Staff, Unit
from servicefirst.core.i18n import chinese_active as _zh
from servicefirst.customers.models import Customer


class Kind(models.TextChoices):
    REQUEST = "request", pgettext_lazy("service request kind", "Request")
    ENQUIRY = "enquiry", pgettext_lazy("service request kind", "Enquiry")
    COMPLAINT = "complaint", pgettext_lazy("service request kind", "Complaint")


class Complexity(models.TextChoices):
    SIMPLE = "simple", pgettext_lazy("service request", "Simple")
    COMPLEX = "complex", pgettext_lazy("service request", "Complex")


class RequestCategory(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80)
    kind = models.CharField(_("usual kind"), max_length=10, choices=Kind.choices, default="request")
    default_unit = models.ForeignKey(
        Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    to_home_branch = models.BooleanField(
        _("owned by the customer's home branch"),
        default=False,
        help_text=_("When the customer has a home branch, that branch owns the request."),
    )
    complexity = models.CharField(
        _("usual complexity"), max_length=10, choices=Complexity.choices, default="simple"
    )
    public = models.BooleanField(
        _("offered on the public web form"), default=True
    )  # internal categories are not offered to customers
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")

    def __str__(self) -> str:
        return self.name_zh if _zh() else self.name_en


class ServiceRequest(models.Model):
    class Channel(models.TextChoices):
        COUNTER = "counter", pgettext_lazy("request channel", "Counter")
        PHONE = "phone", pgettext_lazy("request channel", "Phone")
        WEB = "web", pgettext_lazy("request channel", "Web")
        LETTER = "letter", pgettext_lazy("request channel", "Letter")
        APP = "app", pgettext_lazy("request channel", "Mobile app")
        WECHAT = "wechat", pgettext_lazy("request channel", "WeChat")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("request status", "New")
        OPEN = "open", pgettext_lazy("request status", "In progress")
        WAITING_CUSTOMER = (
            "waiting_customer",
            pgettext_lazy("request status", "Waiting for the customer"),
        )
        RESOLVED = "resolved", pgettext_lazy("request status", "Resolved")
        CLOSED = "closed", pgettext_lazy("request status", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("request status", "Withdrawn")

    class Language(models.TextChoices):
        ZH = "zh", _("Chinese")
        EN = "en", _("English")

    ACTIVE = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER)

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.ForeignKey(
        RequestCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    # Who wrote in when no customer is identified (a web enquiry), and how to reach them.
    contact_name = models.CharField(_("name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        Staff,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default="new", db_index=True
    )
    severity = models.CharField(
        _("complexity"), max_length=10, choices=Complexity.choices, default="simple"
    )
    subject = models.CharField(_("subject"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("customer's language"), max_length=2, choices=Language.choices, default="zh"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        Staff,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    public_token = models.CharField(max_length=43, unique=True, editable=False)
    # How many times the request waited for the customer / was reopened: event keys count them.
    waits = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="sr_unit_status"),
            models.Index(fields=["assignee", "status"], name="sr_assignee_status"),
        ]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def __str__(self) -> str:
        return self.number

    @property
    def subject_key(self) -> str:
        """The commitments' name for this request."""
        return f"request:{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def requester_name(self) -> str:
        return self.customer.display_name if self.customer_id else self.contact_name


class RequestNote(models.Model):
    """An internal note: staff only, never shown to the customer."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("note"))
    by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"{self.request_id} · {self.by_id}"


class RequestMessage(models.Model):
    """One message of the conversation with the customer."""

    class Direction(models.TextChoices):
        IN = "in", _("From the customer")
        OUT = "out", _("To the customer")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    body = models.TextField(_("message"))
    channel = models.CharField(_("channel"), max_length=10, choices=ServiceRequest.Channel.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # empty for the customer's own messages

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.request_id} {self.direction}"


class RequestTransfer(models.Model):
    """The request handed to another unit, which owns it until it answers."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    sent_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True)
    returned = models.BooleanField(
        _("returned to the sender"), default=False
    )  # False after an answer: the receiving unit kept the request

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["to_unit", "answered_at"], name="sr_transfer_to_open")]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_unit_id} → {self.to_unit_id}"

    @property
    def subject_key(self) -> str:
        return f"transfer:{self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.answered_at is None
