"""The proactive lobby: every visitor met and remembered (walk-ins), promising prospects handed
to a relationship manager (hand-offs), after-hours follow-ups, birthday and holiday greetings,
and the customers each member of staff knows by sight (recognitions)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.customers.models import Campaign, Customer, CustomerTask


class WalkIn(models.Model):
    """One visitor met in the lobby: an existing customer (found by phone), a new prospect, or
    someone who left no details (still counted for the advertising effect)."""

    class Channel(models.TextChoices):
        WINDOW = "window", _("Window display")
        FLYER = "flyer", _("Flyer")
        REFERRAL = "referral", _("Referral")
        ONLINE = "online", _("Online")
        PASSING = "passing", _("Passing by")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        MET = "met", _("Met and informed")
        COUNTER = "counter", _("Sent to a counter")
        HANDED_OFF = "handed_off", _("Handed to a relationship manager")
        FOLLOW_UP = "follow_up", _("Follow-up planned")
        LEFT = "left", _("Left")

    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="walk_ins"
    )
    registered_by = models.ForeignKey(
        Staff,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    day = models.DateField(_("day"))  # local date of `at`, for per-day counts
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="walk_ins",
    )
    created_prospect = models.BooleanField(_("new prospect"), default=False)
    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    company = models.CharField(_("company"), max_length=120, blank=True)
    job_title = models.CharField(_("job title"), max_length=80, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    need_service = models.ForeignKey(
        "floor.Service",
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    need_text = models.CharField(_("need (in words)"), max_length=200, blank=True)
    channel = models.CharField(
        _("what brought them"), max_length=10, choices=Channel.choices, default=Channel.PASSING
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="walk_ins",
    )
    # True: agreed to be contacted (a Consent was recorded); False: declined; None: not asked
    # (the visitor left no contact details).
    consent = models.BooleanField(_("agreed to be contacted"), null=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.MET
    )
    source = models.CharField(max_length=20, blank=True)  # "demo" for the demo bank's rows

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["branch", "day"], name="walkin_branch_day")]
        verbose_name = _("walk-in")
        verbose_name_plural = _("walk-ins")

    def __str__(self) -> str:
        return f"{self.day} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.customer_id and self.customer:
            return self.customer.display_name
        return self.name or str(_("Visitor"))

    @property
    def need(self) -> str:
        parts = [str(self.need_service) if self.need_service_id else "", self.need_text]
        return " · ".join(p for p in parts if p)


class Handoff(models.Model):
    """A promising prospect (or customer) handed to a relationship manager of the branch."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        MET = "met", _("Met the customer")
        CUSTOMER = "customer", _("Became a customer / bought")
        NOT_INTERESTED = "not_interested", _("Not interested")
        UNREACHABLE = "unreachable", _("Could not reach")

    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="handoffs"
    )
    walk_in = models.ForeignKey(
        WalkIn,
        verbose_name=_("walk-in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handoffs",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="handoffs"
    )
    assigned_to = models.ForeignKey(
        Staff,
        verbose_name=_("relationship manager"),
        on_delete=models.PROTECT,
        related_name="handoffs",
    )
    created_by = models.ForeignKey(
        Staff,
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("handed over"), default=timezone.now)
    due_on = models.DateField(_("due"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, blank=True, default=""
    )
    outcome_note = models.CharField(
        pgettext_lazy("hand-off", "what happened"), max_length=300, blank=True
    )
    done_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    task = models.ForeignKey(
        CustomerTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="handoff_assignee_status"),
            models.Index(fields=["branch", "status", "due_on"], name="handoff_branch_due"),
        ]
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.assigned_to_id} ({self.due_on})"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_on < timezone.localdate()


class FollowUp(models.Model):
    """An after-hours follow-up visit or call to a customer or prospect."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="followups"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="followups"
    )
    walk_in = models.ForeignKey(
        WalkIn,
        verbose_name=_("walk-in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    assigned_to = models.ForeignKey(
        Staff, verbose_name=_("assigned to"), on_delete=models.PROTECT, related_name="followups"
    )
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    result = models.CharField(_("result"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    task = models.ForeignKey(
        CustomerTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="followup_assignee_status"),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()


class Greeting(models.Model):
    """A birthday or holiday greeting to one customer on one day. Unique per customer, occasion
    and day, so scheduling the greetings again changes nothing."""

    BIRTHDAY = "birthday"

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="greetings"
    )
    # "birthday", or the holiday's English name as the `holidays` package gives it
    # ("Mid-Autumn Festival"); `occasion_zh` is its Chinese name (中秋节).
    occasion = models.CharField(_("occasion"), max_length=60)
    occasion_zh = models.CharField(max_length=60, blank=True)
    day = models.DateField(_("day"))
    channel = models.CharField(
        _("channel"), max_length=10, choices=Customer.Channel.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=80, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "occasion", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "occasion", "day"], name="greeting_once_per_day"
            )
        ]
        indexes = [models.Index(fields=["day", "occasion"], name="greeting_day")]
        verbose_name = _("greeting")
        verbose_name_plural = _("greetings")

    def __str__(self) -> str:
        return f"{self.day} {self.occasion} {self.customer_id}"

    @property
    def occasion_label(self) -> str:
        if self.occasion == self.BIRTHDAY:
            return str(_("Birthday"))
        if (get_language() or "").startswith("zh") and self.occasion_zh:
            return self.occasion_zh
        return self.occasion


class Recognition(models.Model):
    """A member of staff recognised a customer (greeted them by name): "customers known"."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="recognitions",
    )
    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    day = models.DateField(_("day"))
    ticket = models.ForeignKey(
        "floor.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "customer", "day"], name="recognition_once_per_day"
            )
        ]
        indexes = [models.Index(fields=["branch", "day"], name="recognition_branch_day")]
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")

    def __str__(self) -> str:
        return f"{self.staff_id} knows {self.customer_id} ({self.day})"
