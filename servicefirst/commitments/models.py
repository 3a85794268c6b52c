"""Service commitments: the register (what the bank promises, to whom, measured how), the
event log every measurement is made from, and the cases, alerts and attainment the engine
keeps from it.

- `BusinessCalendar`: when a commitment's clock runs (24/7, or business hours with Chinese
  public holidays and make-up working days; hours may run past midnight).
- `Commitment` and its `CommitmentVersion`s: the owning unit, the beneficiary, and per version
  the statement (Chinese and English), the measure (time between two event kinds, or a count
  carried by one event), target, attainment goal, calendar and pause conditions. A version
  moves draft → discussion → approved → published → retired; only a published version is
  measured, and publishing a new version retires the one before it.
- `ServiceEvent`: every event a commitment can measure, recorded once (unique `source_key`)
  in the same transaction as the change that produced it.
- `Case`: one measured instance (one ticket, one call, one request) of one published version,
  with its clock; `Alert`: warnings, breaches and escalations; `AttainmentDay`: the running
  totals per commitment, unit and day that reports read; `EngineCursor`: how far the engine
  has read the event log.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Staff, Unit
from servicefirst.core.i18n import chinese_active as _zh


class BusinessCalendar(models.Model):
    """When a commitment's clock runs.

    `weekly_hours` holds seven lists (Monday … Sunday) of ["HH:MM", "HH:MM"] periods; a period
    whose end is not after its start runs past midnight into the next day ("20:00"–"08:00").
    With `observe_holidays`, China's public holidays (from the `holidays` package) are closed
    and the weekend days the State Council makes working days (调休上班) take `makeup_day_hours`.
    `always_open` ignores all of this: the clock runs around the clock, every day."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    always_open = models.BooleanField(_("around the clock (24/7)"), default=False)
    weekly_hours = models.JSONField(_("weekly hours"), default=list, blank=True)
    observe_holidays = models.BooleanField(_("closed on Chinese public holidays"), default=True)
    makeup_day_hours = models.JSONField(
        _("hours on make-up working days"), default=list, blank=True
    )
    holiday_hours = models.JSONField(
        _("hours on public holidays"),
        default=list,
        blank=True,
        help_text=_("Empty: closed on public holidays."),
    )
    extra_closed_days = models.JSONField(_("other closed days"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name_zh if _zh() else self.name_en


class Commitment(models.Model):
    """A promise with an owner. Its wording and measure live in its versions."""

    class Area(models.TextChoices):
        COUNTERS = "counters", _("Counters")
        ACCOUNTS = "accounts", _("Accounts")
        CARDS = "cards", _("Cards")
        LOANS = "loans", _("Loans")
        WEALTH = "wealth", _("Wealth management")
        PAYMENTS = "payments", _("Payments")
        CONTACT_CENTRE = "contact_centre", _("Contact centre")
        COMPLAINTS = "complaints", _("Complaints")
        REQUESTS = "requests", _("Service requests")
        INTERNAL = "internal", _("Internal (second line to first line)")

    class Beneficiary(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        UNIT = "unit", _("A first-line unit")

    class Basis(models.TextChoices):
        REGULATION = "regulation", _("Law or regulator's rule")
        STANDARD = "standard", _("Industry or local standard")
        PUBLISHED = "published", _("A bank's published promise")
        OWN = "own", _("This bank's own choice")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    owner = models.ForeignKey(
        Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="commitments"
    )
    beneficiary = models.CharField(
        _("beneficiary"), max_length=10, choices=Beneficiary.choices, default="customers"
    )
    beneficiary_unit = models.ForeignKey(
        Unit,
        verbose_name=_("beneficiary unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments_received",
        help_text=_("For a second-line unit's commitment to a first-line unit."),
    )
    basis = models.CharField(_("basis"), max_length=12, choices=Basis.choices, default="own")
    source = models.CharField(_("source"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area", "code"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return self.code


class CommitmentVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("commitment", "Draft")
        DISCUSSION = "discussion", pgettext_lazy("commitment", "In discussion")
        APPROVED = "approved", pgettext_lazy("commitment", "Approved")
        PUBLISHED = "published", pgettext_lazy("commitment", "Published")
        RETIRED = "retired", pgettext_lazy("commitment", "Retired")

    class Measure(models.TextChoices):
        DURATION = "duration", _("Time between two events")
        COUNT = "count", _("A count carried by one event")

    class TargetUnit(models.TextChoices):
        SECONDS = "seconds", _("seconds")
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")
        WORKING_DAYS = "working_days", _("working days")
        RINGS = "rings", _("rings")
        TIMES = "times", _("times")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default="draft", db_index=True
    )
    statement_zh = models.CharField(_("statement (Chinese)"), max_length=300)
    statement_en = models.CharField(_("statement (English)"), max_length=300)
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    start_event = models.CharField(_("clock starts at"), max_length=40)
    stop_event = models.CharField(_("clock stops at"), max_length=40, blank=True)
    cancel_events = models.JSONField(
        _("events that void a case"), default=list, blank=True
    )  # e.g. a ticket cancelled before it was called: nothing to measure
    pause_event = models.CharField(_("clock pauses at"), max_length=40, blank=True)
    resume_event = models.CharField(_("clock resumes at"), max_length=40, blank=True)
    event_filter = models.JSONField(
        _("only events with"), default=dict, blank=True
    )  # {"service": ["open_account"], "channel": "phone"}: an attribute equals / is one of
    target_value = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    target_unit = models.CharField(_("target unit"), max_length=14, choices=TargetUnit.choices)
    goal_percent = models.DecimalField(
        _("attainment goal (%)"), max_digits=5, decimal_places=2, default=95
    )
    # xgettext:no-python-format
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of target)"), default=80)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+"
    )
    remedy = models.BooleanField(
        _("remedy when missed"),
        default=True,
        help_text=_("A missed case for a customer opens a remedy case."),
    )
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discussion_opened_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["commitment", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "number"], name="commitment_version_once"
            ),
            # At most one published version per commitment: it is the one measured.
            models.UniqueConstraint(
                fields=["commitment"],
                condition=models.Q(status="published"),
                name="commitment_one_published",
            ),
        ]
        verbose_name = _("commitment version")
        verbose_name_plural = _("commitment versions")

    def __str__(self) -> str:
        return f"{self.commitment.code} v{self.number}"

    @property
    def statement(self) -> str:
        return self.statement_zh if _zh() else self.statement_en


class DiscussionComment(models.Model):
    """A member of the owning unit's staff on a version in discussion: a comment and, when
    given, whether they agree to be bound by it."""

    version = models.ForeignKey(
        CommitmentVersion, on_delete=models.CASCADE, related_name="comments"
    )
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"), blank=True)
    agrees = models.BooleanField(_("agrees"), null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("discussion comment")
        verbose_name_plural = _("discussion comments")

    def __str__(self) -> str:
        return f"{self.version} · {self.staff_id}"


class ServiceEvent(models.Model):
    """One thing that happened which a commitment can measure. Append-only; `source_key` makes
    it recorded once however often the producer retries. `unit` is the unit responsible (the
    branch for a ticket, the receiving unit for a transfer); `subject` names what is measured
    ("ticket:42", "call:7", "request:9", "transfer:3") so a stop event finds its start."""

    kind = models.CharField(_("event"), max_length=40)
    occurred_at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(_("subject"), max_length=60)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    customer_id = models.BigIntegerField(null=True, blank=True)
    staff_id = models.BigIntegerField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    attrs = models.JSONField(default=dict, blank=True)
    source_key = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject", "kind"], name="serviceevent_subject")]
        verbose_name = _("service event")
        verbose_name_plural = _("service events")

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} @ {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class Case(models.Model):
    """One measured instance of one published version: its clock and its result."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("case", "Running")
        PAUSED = "paused", pgettext_lazy("case", "Paused")
        MET = "met", pgettext_lazy("case", "Met")
        BREACHED = "breached", pgettext_lazy("case", "Missed")
        VOID = "void", pgettext_lazy("case", "Void")

    OPEN_STATES = (State.OPEN, State.PAUSED)

    # Only the engine writes cases (millions of them, with COPY), with ids it has just read;
    # PROTECT keeps their targets from being deleted. The database does not re-check these
    # three keys row by row at every commit (db_constraint=False): that check cost more than
    # the rest of writing a case. Nor does each key get an index of its own (every index is paid
    # for on every case written, ten million times a year): the unique (subject, version) index
    # finds a subject's cases, partial indexes the running and breached ones; reports read
    # AttainmentDay, not cases.
    version = models.ForeignKey(
        CommitmentVersion,
        on_delete=models.PROTECT,
        related_name="cases",
        db_constraint=False,
        db_index=False,
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        related_name="cases",
        db_constraint=False,
        db_index=False,
    )
    subject = models.CharField(max_length=60)
    unit = models.ForeignKey(
        Unit,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    customer_id = models.BigIntegerField(null=True, blank=True)
    staff_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default="open")
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_s = models.FloatField(default=0)  # open (calendar) seconds spent paused so far
    stopped_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)  # open seconds taken, or the count
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # A breach still unresolved a further full target after its due time escalates once more
    # (level 2); cleared when the case stops or has escalated.
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            # Subject first: the same index finds a subject's cases (the engine, request pages).
            models.UniqueConstraint(fields=["subject", "version"], name="case_once_per_subject")
        ]
        indexes = [
            # The engine's deadline sweep reads only running cases: partial indexes stay small
            # (closed cases, the vast majority, are not in them).
            models.Index(
                fields=["due_at"], name="case_state_due", condition=models.Q(state="open")
            ),
            models.Index(
                fields=["warn_at"],
                name="case_warn_pending",
                condition=models.Q(state="open", warned_at__isnull=True),
            ),
            models.Index(
                fields=["escalate_at"],
                name="case_escalate_pending",
                condition=models.Q(escalate_at__isnull=False),
            ),
            # Breaches (a small share of the cases): remedies and reports by unit and time.
            models.Index(
                fields=["unit", "breached_at"],
                name="case_breached",
                condition=models.Q(state="breached"),
            ),
        ]
        verbose_name = _("commitment case")
        verbose_name_plural = _("commitment cases")

    def __str__(self) -> str:
        return f"{self.commitment_id}:{self.subject} {self.state}"


class Alert(models.Model):
    """A warning before a breach, the breach itself, or its escalation up the unit chain, for
    one recipient. Recipients see them on their alerts page; many at once become a digest."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")
        ESCALATION = "escalation", _("Escalation")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="commitment_alerts")
    level = models.PositiveSmallIntegerField(default=0)  # 0 owner, 1 their manager's unit, …
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "AlertDigest", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "recipient"], name="alert_once_per_recipient"
            )
        ]
        verbose_name = _("commitment alert")
        verbose_name_plural = _("commitment alerts")

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id} → {self.recipient_id}"


class AlertDigest(models.Model):
    """Alerts for one recipient gathered into one message instead of a flood."""

    recipient = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=0)
    # {"commitments": {"<code>": n, …}, "kinds": {"warning": n, …}}
    summary = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.count}"


class AttainmentDay(models.Model):
    """Running totals of closed cases per commitment, unit and local day, kept by the engine as
    cases close; reports read these, never the events."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, null=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    total = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    value_sum = models.FloatField(default=0)
    value_count = models.PositiveIntegerField(default=0)  # cases with a value in value_sum

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "unit", "day"], name="attainment_once_per_day"
            )
        ]
        indexes = [models.Index(fields=["day"], name="attainment_day")]

    def __str__(self) -> str:
        return f"{self.commitment_id}/{self.unit_id}/{self.day}: {self.met}/{self.total}"


class EngineCursor(models.Model):
    """How far the engine has read the event log, and which lower ids it still waits for (an
    id taken by a transaction that had not committed when the engine read past it)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    pending_ids = models.JSONField(default=list, blank=True)  # [[id, first seen (epoch s)], …]
    updated_at = models.DateTimeField(auto_now=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.last_id}"
