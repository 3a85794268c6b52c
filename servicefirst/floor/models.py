"""The branch floor: services offered at counters, each branch's floor settings, counters,
appointments, queue tickets and the log of every floor action.

A ticket's life: WAITING (issued at the kiosk or checked in from an appointment) → CALLED (a
counter called it; the customer is at the counter being served) → DONE with an outcome, or
NO_SHOW, or TRANSFERRED (a new WAITING ticket with the same number continues it at another
service or counter), or CANCELLED. Times are kept for every step so that waits and service
times can be measured and learned from.
"""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.core.i18n import pick
from servicefirst.customers.models import Customer


def _localized(obj) -> str:
    return pick(obj.name_zh, obj.name_en)


class Service(models.Model):
    """A kind of counter business (cash, account opening, cards...). Its letter prefixes the
    ticket numbers: A023."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    letter = models.CharField(_("ticket letter"), max_length=1, unique=True)
    typical_minutes = models.PositiveSmallIntegerField(
        _("typical service time (minutes)"),
        default=5,
        help_text=_("Used for wait estimates until the branch has its own history."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("counter service")
        verbose_name_plural = _("counter services")

    def __str__(self) -> str:
        return _localized(self)


def default_vip_priority() -> dict:
    return {"private": 30, "wealth": 20, "affluent": 10}


class FloorSettings(models.Model):
    """A branch's floor rules: its wait commitment, priorities and the fairness guard."""

    branch = models.OneToOneField(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="floor_settings"
    )
    services = models.ManyToManyField(Service, verbose_name=_("services offered"), blank=True)
    commitment_minutes = models.PositiveSmallIntegerField(
        _("wait commitment (minutes)"),
        default=15,
        help_text=_("The branch promises to serve every ticket within this many minutes."),
    )
    max_wait_minutes = models.PositiveSmallIntegerField(
        _("fairness guard (minutes)"),
        default=20,
        help_text=_("Anyone who has waited this long is served next, whatever their priority."),
    )
    vip_priority = models.JSONField(
        _("priority per value tier"),
        default=default_vip_priority,
        blank=True,
        help_text=_('Value tier → priority points, e.g. {"private": 30, "wealth": 20}.'),
    )
    elderly_age = models.PositiveSmallIntegerField(_("elderly from age"), default=65)
    elderly_priority = models.PositiveSmallIntegerField(_("priority for the elderly"), default=20)
    disabled_priority = models.PositiveSmallIntegerField(
        _("priority for disabled customers"), default=25
    )
    appointment_priority = models.PositiveSmallIntegerField(
        _("priority for appointments on time"), default=25
    )
    appointment_grace_minutes = models.PositiveSmallIntegerField(
        _("appointment grace (minutes)"),
        default=15,
        help_text=_(
            "Check-ins later than this after the slot start lose the appointment priority."
        ),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("appointment slot (minutes)"), default=30)
    opens_at = models.TimeField(_("opens"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("closes"), default=datetime.time(17, 0))
    long_service_factor = models.DecimalField(
        _("long service alert (× usual time)"), max_digits=3, decimal_places=1, default=2
    )
    raining = models.BooleanField(_("raining at the branch"), default=False)
    raining_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("floor settings")
        verbose_name_plural = _("floor settings")

    def __str__(self) -> str:
        return str(self.branch)


class Counter(models.Model):
    """A counter (window) of a branch: the services it handles and the teller at it."""

    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="counters"
    )
    number = models.PositiveSmallIntegerField(_("counter number"))
    services = models.ManyToManyField(Service, verbose_name=_("services"), blank=True)
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("teller"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counters",
    )
    is_open = models.BooleanField(_("open"), default=False)
    paused = models.BooleanField(_("paused"), default=False)
    pause_reason = models.CharField(_("pause reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["branch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "number"], name="counter_branch_number")
        ]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return _("Counter %(number)s") % {"number": self.number}

    @property
    def accepting(self) -> bool:
        return self.is_open and not self.paused and self.staff_id is not None


class Appointment(models.Model):
    """A booked visit: service, branch and time slot. Booked on the public page (no login)
    or by staff; checked in at the kiosk, which issues a ticket with the appointment's
    priority; recorded as missed when the slot passes without a check-in."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="appointments"
    )
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT)
    slot_start = models.DateTimeField(_("time slot"))
    reference = models.CharField(_("booking reference"), max_length=12, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    booked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot_start"]
        indexes = [models.Index(fields=["branch", "slot_start"], name="appt_branch_slot")]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return f"{self.reference} {self.slot_start:%Y-%m-%d %H:%M}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("At the counter")
        DONE = "done", _("Served")
        NO_SHOW = "no_show", _("No-show")
        TRANSFERRED = "transferred", _("Transferred")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        NONE = "", _("Ordinary")
        VIP = "vip", _("VIP")
        ELDERLY = "elderly", _("Elderly")
        DISABLED = "disabled", _("Disabled")
        APPOINTMENT = "appointment", _("Appointment")
        MANAGER = "manager", _("Raised by the manager")
        TRANSFER = "transfer", _("Transferred")

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REFERRED = "referred", _("Referred to a relationship manager")
        INCOMPLETE = "incomplete", _("Could not complete (documents missing)")
        DECLINED = "declined", _("Customer declined")

    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="tickets"
    )
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT)
    day = models.DateField(_("day"))
    number = models.CharField(_("ticket"), max_length=8)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    identified_by = models.CharField(_("identified by"), max_length=20, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    priority_reason = models.CharField(
        _("priority reason"), max_length=12, choices=Reason.choices, blank=True
    )
    language = models.CharField(
        _("language needed"),
        max_length=10,
        blank=True,
        help_text=_("Set when the customer prefers a language other than Chinese."),
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.WAITING
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    counter = models.ForeignKey(
        Counter,
        verbose_name=_("counter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    target_counter = models.ForeignKey(
        Counter,
        verbose_name=_("to be served at"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    served_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="served_tickets"
    )
    recall_count = models.PositiveSmallIntegerField(_("recalls"), default=0)
    out_of_order_reason = models.CharField(
        _("served out of order because"), max_length=200, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("note"), max_length=300, blank=True)
    transferred_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    predicted_wait_s = models.PositiveIntegerField(_("predicted wait (s)"), null=True, blank=True)

    class Meta:
        ordering = ["issued_at"]
        indexes = [
            models.Index(fields=["branch", "status", "service"], name="ticket_queue"),
            models.Index(fields=["branch", "day"], name="ticket_branch_day"),
            models.Index(fields=["customer", "issued_at"], name="ticket_customer"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return self.number

    @property
    def wait_s(self) -> float | None:
        end = self.called_at or (timezone.now() if self.status == self.Status.WAITING else None)
        return (end - self.issued_at).total_seconds() if end else None

    @property
    def service_s(self) -> float | None:
        if self.called_at and self.finished_at:
            return (self.finished_at - self.called_at).total_seconds()
        return None


class FloorEvent(models.Model):
    """Every action on the floor, by whom and when: calls, recalls, transfers, out-of-order
    service, pauses, counters opened and closed, tellers moved, tickets reprioritised."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Ticket issued")
        CHECK_IN = "check_in", _("Appointment checked in")
        CALL = "call", _("Called")
        RECALL = "recall", _("Recalled")
        NO_SHOW = "no_show", _("No-show")
        TRANSFER = "transfer", _("Transferred")
        SERVE_SPECIFIC = "serve_specific", _("Served out of order")
        FINISH = "finish", _("Finished")
        CANCEL = "cancel", _("Cancelled")
        PAUSE = "pause", _("Counter paused")
        RESUME = "resume", _("Counter resumed")
        OPEN_COUNTER = "open_counter", _("Counter opened")
        CLOSE_COUNTER = "close_counter", _("Counter closed")
        SIGN_IN = "sign_in", _("Teller signed in at counter")
        SIGN_OUT = "sign_out", _("Teller left counter")
        MOVE_TELLER = "move_teller", _("Teller moved")
        COUNTER_SERVICES = "counter_services", _("Counter services changed")
        REPRIORITISE = "reprioritise", _("Ticket reprioritised")
        WEATHER = "weather", _("Weather changed")
        APPOINTMENT_MISSED = "appt_missed", _("Appointment missed")

    branch = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="floor_events")
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["branch", "at"], name="floorevent_branch_at")]
        verbose_name = _("floor action")
        verbose_name_plural = _("floor actions")

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind}"


class ServiceTimeStat(models.Model):
    """Learned from a branch's finished tickets: service-time distribution per service and
    hour of day. Recomputed by a background task; read by the wait prediction."""

    branch = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    hour = models.PositiveSmallIntegerField()
    samples = models.PositiveIntegerField(default=0)
    mean_s = models.FloatField()
    p50_s = models.FloatField()
    p90_s = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "service", "hour"], name="servicetime_branch_service_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id}@{self.hour}h: {self.mean_s:.0f}s"
