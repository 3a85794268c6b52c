"""The contact centre: outbound campaigns and their call lists, every call (outbound and
inbound), callbacks, and the agents' working state.

A call's life (`Call.State`): QUEUED (row written, number not yet dialled) → DIALING (written
*before* the telephony port is asked to originate, so that a restarted dialer never dials the
same row twice) → RINGING → ANSWERED (a live person picked up and waits for an agent) →
CONNECTED (talking to an agent) → WRAP_UP (the agent finishes notes and the disposition) →
ENDED. Calls that are not answered by a person go straight to ENDED with an outcome (no
answer, busy, answering machine, failed); an answered call that finds no free agent within two
seconds is ABANDONED (the customer hears the bank's identification message). Inbound calls
start at OFFERED (in the queue) and are ANSWERED/CONNECTED by an agent or ENDED as abandoned.

`Call.outcome` uses the compliance kernel's vocabulary (`compliance.Outcome`), so the call
history feeds `compliance.may_dial` without translation.
"""

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Staff, Unit
from servicefirst.core.i18n import pick
from servicefirst.customers.models import Campaign as CrmCampaign
from servicefirst.customers.models import Customer, Product
from servicefirst.dialer import compliance

MAX_ABANDON_CAP = Decimal("0.030")


class Campaign(models.Model):
    """An outbound campaign. Its twin `crm` (customers.Campaign) is what the customer's
    timeline entries point at, so campaign calls sit on the timeline next to imported ones."""

    class Mode(models.TextChoices):
        PREVIEW = "preview", _("Preview (agent sees the customer, dials with one key)")
        PROGRESSIVE = "progressive", _("Progressive (one call per free agent)")
        PREDICTIVE = "predictive", _("Predictive (paced to keep agents talking)")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
        ACTIVE = "active", pgettext_lazy("campaign status", "Running")
        PAUSED = "paused", pgettext_lazy("campaign status", "Paused")
        FINISHED = "finished", pgettext_lazy("campaign status", "Finished")

    crm = models.OneToOneField(
        CrmCampaign, on_delete=models.PROTECT, related_name="dialer", editable=False
    )
    name = models.CharField(pgettext_lazy("campaign", "name"), max_length=120)
    purpose = models.TextField(_("purpose"), blank=True)
    script = models.TextField(_("script"), blank=True)
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dialer_campaigns",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("contact centre"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agents = models.ManyToManyField(
        Staff, verbose_name=_("agents"), blank=True, related_name="dialer_campaigns"
    )
    mode = models.CharField(_("dialing mode"), max_length=12, choices=Mode.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    abandon_cap = models.DecimalField(
        _("abandoned-call cap"),
        max_digits=4,
        decimal_places=3,
        default=MAX_ABANDON_CAP,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(MAX_ABANDON_CAP)],
        help_text=_(
            "Abandoned / live-answered calls, over 30 days and over 24 hours (at most 3%)."
        ),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts per customer"), default=5, validators=[MinValueValidator(1)]
    )
    retry_no_answer_hours = models.PositiveSmallIntegerField(
        _("retry after no answer (hours)"), default=4
    )
    retry_busy_hours = models.PositiveSmallIntegerField(_("retry after busy (hours)"), default=1)
    retry_machine_hours = models.PositiveSmallIntegerField(
        _("retry after answering machine (hours)"), default=24
    )
    window_start = models.TimeField(_("calling from"), default=datetime.time(9, 0))
    window_end = models.TimeField(_("calling until"), default=datetime.time(21, 0))
    call_on_holidays = models.BooleanField(_("call on public holidays"), default=False)
    ring_timeout_s = models.PositiveSmallIntegerField(
        _("ring for (seconds)"),
        default=20,
        validators=[MinValueValidator(compliance.Policy().min_ring_s), MaxValueValidator(60)],
    )
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound campaign")
        verbose_name_plural = _("outbound campaigns")

    def __str__(self) -> str:
        return self.name


class Disposition(models.Model):
    """How an agent closes a call. `kind` drives what happens next to the call-list entry."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        INTERESTED = "interested", _("Interested")
        CALLBACK = "callback", _("Call back")
        NOT_INTERESTED = "not_interested", _("Not interested")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        DO_NOT_CALL = "do_not_call", _("Do not call again")
        NO_ANSWER = "no_answer", _("No answer / machine")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="dispositions")
    code = models.SlugField(_("code"), max_length=30)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=60)
    is_final = models.BooleanField(
        _("closes the entry"), default=True, help_text=_("No more calls to this customer.")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["campaign", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="disposition_code_unique")
        ]
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick(self.label_zh, self.label_en)


class CallListEntry(models.Model):
    """One customer on a campaign's call list."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To call")
        SCHEDULED = "scheduled", _("Retry or callback scheduled")
        IN_PROGRESS = "in_progress", _("Being called")
        DONE = "done", _("Done")
        DO_NOT_CALL = "do_not_call", _("Do not call")
        EXHAUSTED = "exhausted", _("Attempts used up")
        REMOVED = "removed", _("Removed")

    class Source(models.TextChoices):
        SEGMENT = "segment", _("Segment")
        FILE = "file", _("File")
        HAND = "hand", _("Hand-picked")
        CALLBACK = "callback", _("Callback")

    OPEN = (Status.PENDING, Status.SCHEDULED)

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("phone"), max_length=20)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=20, blank=True)
    last_call_at = models.DateTimeField(_("last call"), null=True, blank=True)
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="call_list_unique")
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "next_attempt_at"], name="call_list_next")
        ]
        verbose_name = _("call-list entry")
        verbose_name_plural = _("call-list entries")

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"


class Call(models.Model):
    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    class Mode(models.TextChoices):
        CLICK = "click", _("Click-to-dial")
        PREVIEW = "preview", pgettext_lazy("dialing mode", "Preview")
        PROGRESSIVE = "progressive", _("Progressive")
        PREDICTIVE = "predictive", _("Predictive")
        CALLBACK = "callback", _("Callback")
        INBOUND = "inbound", _("Inbound")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DIALING = "dialing", _("Dialling")
        RINGING = "ringing", _("Ringing")
        OFFERED = "offered", _("Waiting in queue")
        ANSWERED = "answered", _("Answered, waiting for an agent")
        CONNECTED = "connected", _("Talking")
        WRAP_UP = "wrap_up", _("Wrap-up")
        ENDED = "ended", _("Ended")

    LIVE = (State.DIALING, State.RINGING, State.OFFERED, State.ANSWERED, State.CONNECTED)
    Outcome = compliance.Outcome
    OUTCOME_CHOICES = [
        (compliance.Outcome.ANSWERED, _("Answered")),
        (compliance.Outcome.NO_ANSWER, _("No answer")),
        (compliance.Outcome.BUSY, _("Busy")),
        (compliance.Outcome.ABANDONED, pgettext_lazy("call outcome", "Abandoned")),
        (compliance.Outcome.MACHINE, _("Answering machine")),
        (compliance.Outcome.REFUSED, _("Refused")),
        (compliance.Outcome.WRONG_NUMBER, _("Wrong number")),
        (compliance.Outcome.FAILED, _("Failed")),
    ]

    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    entry = models.ForeignKey(
        CallListEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(_("number"), max_length=20, blank=True)
    agent = models.ForeignKey(
        Staff,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    requested_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOME_CHOICES, blank=True)
    # The idempotency key handed to the telephony port; the port never originates a key twice.
    dial_key = models.CharField(max_length=40, unique=True)
    adapter = models.CharField(max_length=20, blank=True)
    telephony_ref = models.CharField(max_length=80, blank=True)
    # Inbound routing: what the caller needs (language code, product code) and the queue.
    queue = models.CharField(_("queue"), max_length=30, blank=True)
    needs_language = models.CharField(_("language"), max_length=10, blank=True)
    needs_product = models.CharField(_("product"), max_length=30, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    dialed_at = models.DateTimeField(_("dialled / offered"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected to agent"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wrap_ended_at = models.DateTimeField(_("wrap-up ended"), null=True, blank=True)
    ring_s = models.FloatField(_("ring (s)"), null=True, blank=True)
    wait_s = models.FloatField(
        _("wait for an agent (s)"),
        null=True,
        blank=True,
        help_text=_("Outbound: answered → agent. Inbound: time in the queue."),
    )
    rings_before_answer = models.PositiveSmallIntegerField(
        _("rings before answer"), null=True, blank=True
    )
    talk_s = models.FloatField(_("talk (s)"), null=True, blank=True)
    wrap_s = models.FloatField(_("wrap-up (s)"), null=True, blank=True)
    id_message_played = models.BooleanField(_("identification message played"), default=False)
    # The agent pressed Hang up: the dialer process clears the line (the telephony is its job).
    hangup_requested_at = models.DateTimeField(_("hang-up requested"), null=True, blank=True)
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    notes = models.TextField(_("notes"), blank=True)
    # Where the record came from: "" for live calls, "import:<file>" for imported history.
    source = models.CharField(max_length=60, blank=True)
    source_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "answered_at"], name="call_campaign_answered"),
            models.Index(fields=["customer", "-created_at"], name="call_customer"),
            models.Index(fields=["state"], name="call_state"),
            models.Index(fields=["direction", "dialed_at"], name="call_direction_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~models.Q(source_key=""),
                name="call_source_unique",
            ),
        ]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.direction} {self.dial_key}"

    @property
    def is_live_answer(self) -> bool:
        """Answered by a person (the denominator of the abandonment rate)."""
        return self.answered_at is not None and self.outcome != compliance.Outcome.MACHINE


class Callback(models.Model):
    """A promise to call a customer back at a time, by one agent or by anyone on the campaign."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DUE = "due", _("Due — offered to the agent")
        DONE = "done", _("Done")
        MISSED = "missed", pgettext_lazy("callback status", "Missed")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="callbacks"
    )
    entry = models.ForeignKey(
        CallListEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("phone"), max_length=20)
    due_at = models.DateTimeField(pgettext_lazy("callback", "due"))
    assigned_to = models.ForeignKey(
        Staff,
        verbose_name=pgettext_lazy("callback for an agent", "for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
        help_text=_("Empty: anyone on the campaign."),
    )
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    delivered_at = models.DateTimeField(
        pgettext_lazy("callback offered to agents", "offered"), null=True, blank=True
    )
    done_call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="callback_due")]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.due_at:%Y-%m-%d %H:%M}"


class AgentState(models.Model):
    """Where a contact-centre agent is right now. One row per agent who ever logged in."""

    class Status(models.TextChoices):
        OFFLINE = "offline", pgettext_lazy("agent status", "Logged out")
        READY = "ready", _("Ready")
        RESERVED = "reserved", _("Call coming")
        ON_CALL = "on_call", _("On a call")
        WRAP_UP = "wrap_up", _("Wrap-up")
        PAUSED = "paused", _("Paused")

    class PauseReason(models.TextChoices):
        BREAK = "break", _("Break")
        LUNCH = "lunch", _("Lunch")
        TRAINING = "training", pgettext_lazy("pause reason", "Training")
        MEETING = "meeting", _("Meeting")
        COACHING = "coaching", _("Coaching")
        TECHNICAL = "technical", _("Technical problem")
        OTHER = "other", _("Other")

    staff = models.OneToOneField(Staff, on_delete=models.CASCADE, related_name="agent_state")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE
    )
    pause_reason = models.CharField(
        _("pause reason"), max_length=10, choices=PauseReason.choices, blank=True
    )
    since = models.DateTimeField(_("since"), default=timezone.now)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    takes_inbound = models.BooleanField(_("takes inbound calls"), default=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    phone_uri = models.CharField(
        _("phone"), max_length=120, blank=True, help_text=_("Extension or SIP address.")
    )
    current_call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    logged_in_at = models.DateTimeField(_("logged in"), null=True, blank=True)
    # Where a member of staff goes back to after a call they placed themselves (click-to-dial):
    # logged out for branch staff who never use the desktop, ready or paused for agents.
    resume_status = models.CharField(max_length=10, choices=Status.choices, blank=True)

    class Meta:
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")

    def __str__(self) -> str:
        return f"{self.staff} {self.status}"


class AgentStatusLog(models.Model):
    """Every stretch an agent spent in one status; occupancy = (talk + wrap-up) / logged in."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=AgentState.Status.choices)
    pause_reason = models.CharField(max_length=10, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["staff", "started_at"], name="agent_log_staff")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.status} {self.started_at:%H:%M:%S}"


class DialerProcess(models.Model):
    """A running `servicefirst dialer`: its heartbeat tells the board whether dialing is live."""

    name = models.CharField(max_length=60, unique=True)
    pid = models.PositiveIntegerField()
    host = models.CharField(max_length=120)
    adapter = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


class DoNotCall(models.Model):
    """A number that must not be called: at the customer's request (indefinitely), after a
    refusal (at least six months), a wrong number, or a regulator's list. The dialer checks it
    for every call, across all campaigns."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("Customer asked not to be called")
        REFUSAL = "refusal", _("Refused a call")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        REGULATOR = "regulator", _("Regulator's list")
        OTHER = "other", _("Other")

    phone = models.CharField(_("number"), max_length=20, db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    until = models.DateTimeField(
        _("until"), null=True, blank=True, help_text=_("Empty: until removed.")
    )
    added_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        verbose_name = _("do-not-call entry")
        verbose_name_plural = _("do-not-call list")

    def __str__(self) -> str:
        return f"{self.phone} ({self.reason})"

    def is_active(self, now=None) -> bool:
        return self.until is None or self.until > (now or timezone.now())
