"""Customer insight: classification rules, segments, outreach lists and the product funnel."""

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.customers.models import Campaign, Customer, Product


class ClassificationRule(models.Model):
    """One readable rule: "when every condition holds, the customer's <target> is <outcome>".

    Rules of one target are tried in `position` order and the first that matches wins. The
    conditions are data (a list of `{"field", "op", "value"}`, see `conditions.py`), never code.
    Suitability rules say which product category a customer is *not* a target for."""

    class Target(models.TextChoices):
        LIFECYCLE = "lifecycle", _("Lifecycle class")
        VALUE_TIER = "value_tier", _("Value tier")
        SUITABILITY = "suitability", _("Not a target for (product category)")

    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    target = models.CharField(_("sets"), max_length=20, choices=Target.choices)
    outcome = models.CharField(_("result"), max_length=20)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    reason_zh = models.CharField(_("reason (Chinese)"), max_length=90)
    reason_en = models.CharField(_("reason (English)"), max_length=90)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["target", "position", "id"]
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")

    def __str__(self) -> str:
        return self.reason

    @property
    def reason(self) -> str:
        return self.reason_zh if (get_language() or "").startswith("zh") else self.reason_en

    def outcome_label(self) -> str:
        choices = {
            self.Target.LIFECYCLE: Customer.Lifecycle,
            self.Target.VALUE_TIER: Customer.Tier,
            self.Target.SUITABILITY: Product.Category,
        }[self.target]
        try:
            return str(choices(self.outcome).label)
        except ValueError:
            return self.outcome


class ClassificationJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("classification run")
        verbose_name_plural = _("classification runs")

    def __str__(self) -> str:
        return f"classification {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


class Segment(models.Model):
    """A saved set of filters over customers; members are computed when asked for."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    definition = models.JSONField(_("filters"), default=list)
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class OutreachList(models.Model):
    """A segment turned into a call list or greeting list, without the customers who may not
    be contacted that way."""

    class Purpose(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign (marketing)")
        GREETING = "greeting", _("Greeting (service)")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="outreach_lists")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    segment_count = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    excluded = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outreach list")
        verbose_name_plural = _("outreach lists")

    def __str__(self) -> str:
        return f"{self.segment} · {self.get_purpose_display()} · {self.get_channel_display()}"


class OutreachMember(models.Model):
    outreach = models.ForeignKey(OutreachList, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    # Call order: for a campaign whose product has a serving model, best score first.
    position = models.PositiveIntegerField(default=0)
    probability = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["outreach", "customer"], name="outreach_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.outreach_id}:{self.customer_id}"


class OfferEvent(models.Model):
    """One step of a product offer to one customer: offered → interested → applied → bought."""

    class Stage(models.TextChoices):
        OFFERED = "offered", _("Offered")
        INTERESTED = "interested", _("Interested")
        APPLIED = "applied", _("Applied")
        BOUGHT = "bought", _("Bought")

    RANK = {"offered": 1, "interested": 2, "applied": 3, "bought": 4}

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="offer_events")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="offer_events")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Customer.Channel.choices, blank=True
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["product", "stage", "occurred_at"], name="offer_product_stage"),
            models.Index(fields=["customer", "product"], name="offer_customer_product"),
        ]
        verbose_name = _("offer event")
        verbose_name_plural = _("offer events")

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.product_id} {self.stage}"


class CustomerMetrics(models.Model):
    """Per-customer balances that segments and rules compare against, kept narrow and indexed
    so a million customers can be filtered on them at once. Refreshed set-wise by every
    classification run and for one customer by `services.classify_customer`. Customers
    without an active holding have no row (their balances are 0)."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="insight_metrics"
    )
    aum = models.DecimalField(max_digits=18, decimal_places=2, default=0, db_index=True)
    deposit_balance = models.DecimalField(max_digits=18, decimal_places=2, default=0, db_index=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer balances")
        verbose_name_plural = _("customer balances")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.aum}"
