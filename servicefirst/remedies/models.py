"""The remedy when a commitment to a customer is missed.

- `RemedyCase`: one per breached commitment case of a customer (at most one: one-to-one with
  the case), owned by the unit that missed; its reason (objective: outside the bank's control,
  such as a system outage or the customer's own delay; subjective: the bank's fault), status
  open → explained (an apology given) → closed.
- `Apology`: the explanation and apology given to the customer on one channel, rendered from an
  `ApologyTemplate` (per channel, language and optionally reason kind) in the customer's
  language, and recorded on the customer's timeline.
- `Gift`, `GiftStock` (per unit, never below zero), `GiftBudget` (per unit and month) and
  `GiftGrant` (one per remedy: a gift cannot be given twice for one breach). A grant within the
  month's budget takes the stock at once; one over budget waits for a manager's approval and
  takes the stock only when approved.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Staff, Unit
from servicefirst.commitments.models import Case
from servicefirst.core.i18n import chinese_active as _zh
from servicefirst.customers.models import Customer


class ReasonKind(models.TextChoices):
    OBJECTIVE = "objective", _("Objective (outside the bank's control)")
    SUBJECTIVE = "subjective", _("Subjective (our fault)")


class Channel(models.TextChoices):
    COUNTER = "counter", pgettext_lazy("apology channel", "At the counter")
    PHONE = "phone", _("By phone")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")


class RemedyCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("remedy", "Open")
        EXPLAINED = "explained", pgettext_lazy("remedy", "Apologised")
        CLOSED = "closed", pgettext_lazy("remedy", "Closed")

    case = models.OneToOneField(
        Case, verbose_name=_("commitment case"), on_delete=models.PROTECT, related_name="remedy"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="remedies"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit that missed"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reason_kind = models.CharField(
        _("kind of reason"), max_length=10, choices=ReasonKind.choices, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    breached_at = models.DateTimeField(_("missed at"))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    apologised_at = models.DateTimeField(_("apologised"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    handled_by = models.ForeignKey(
        Staff,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    close_note = models.CharField(_("closing note"), max_length=300, blank=True)

    class Meta:
        ordering = ["breached_at", "id"]
        indexes = [
            models.Index(fields=["unit", "status", "breached_at"], name="remedy_queue"),
            models.Index(fields=["breached_at"], name="remedy_breached"),
        ]
        verbose_name = _("remedy case")
        verbose_name_plural = _("remedy cases")

    def __str__(self) -> str:
        return f"R{self.pk:06d}" if self.pk else "R-new"


class ApologyTemplate(models.Model):
    """The wording of an apology for one channel and language (and, optionally, one kind of
    reason). Placeholders: {name}, {commitment}, {date}, {branch}."""

    class Language(models.TextChoices):
        ZH = "zh", "中文"
        EN = "en", "English"

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    reason_kind = models.CharField(
        _("kind of reason"),
        max_length=10,
        choices=ReasonKind.choices,
        blank=True,
        help_text=_("Empty: for any reason."),
    )
    subject = models.CharField(_("subject"), max_length=120, blank=True)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["channel", "language", "reason_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "language", "reason_kind"], name="apology_template_once"
            )
        ]
        verbose_name = _("apology template")
        verbose_name_plural = _("apology templates")

    def __str__(self) -> str:
        return f"{self.channel}/{self.language}/{self.reason_kind or '*'}"


class Apology(models.Model):
    remedy = models.ForeignKey(RemedyCase, on_delete=models.CASCADE, related_name="apologies")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=5)
    subject = models.CharField(_("subject"), max_length=120, blank=True)
    text = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent / handed over"), default=timezone.now)
    by = models.ForeignKey(
        Staff, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    interaction_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("apology")
        verbose_name_plural = _("apologies")

    def __str__(self) -> str:
        return f"{self.remedy_id} {self.channel}"

    @property
    def handed_over(self) -> bool:
        return self.channel in (Channel.COUNTER, Channel.PHONE)


class Gift(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    unit_cost = models.DecimalField(_("cost (¥)"), max_digits=8, decimal_places=2)
    is_active = models.BooleanField(pgettext_lazy("gift", "offered"), default=True)

    class Meta:
        ordering = ["unit_cost", "code"]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")

    def __str__(self) -> str:
        return self.name_zh if _zh() else self.name_en


class GiftStock(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE)
    gift = models.ForeignKey(Gift, verbose_name=_("gift"), on_delete=models.PROTECT)
    quantity = models.IntegerField(_("in stock"), default=0)

    class Meta:
        ordering = ["unit", "gift"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "gift"], name="gift_stock_once"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="gift_stock_not_negative"),
        ]
        verbose_name = _("gift stock")
        verbose_name_plural = _("gift stock")

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.gift_id}: {self.quantity}"


class GiftBudget(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE)
    month = models.DateField(_("month"))  # the first day of the month
    amount = models.DecimalField(_("budget (¥)"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["unit", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="gift_budget_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="gift_budget_not_negative"),
        ]
        verbose_name = _("gift budget")
        verbose_name_plural = _("gift budgets")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}: {self.amount}"


class GiftGrant(models.Model):
    class Approval(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Within budget")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    SPENT = (Approval.NOT_NEEDED, Approval.APPROVED)  # stock taken, cost counts on the budget

    remedy = models.OneToOneField(RemedyCase, on_delete=models.CASCADE, related_name="grant")
    gift = models.ForeignKey(Gift, verbose_name=_("gift"), on_delete=models.PROTECT)
    unit = models.ForeignKey(Unit, verbose_name=_("from the stock of"), on_delete=models.PROTECT)
    month = models.DateField(_("budget month"))
    cost = models.DecimalField(_("cost (¥)"), max_digits=8, decimal_places=2)
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    given_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_status = models.CharField(
        _("approval"), max_length=10, choices=Approval.choices, default=Approval.NOT_NEEDED
    )
    approved_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-given_at"]
        indexes = [models.Index(fields=["unit", "month"], name="gift_grant_month")]
        verbose_name = _("gift given")
        verbose_name_plural = _("gifts given")

    def __str__(self) -> str:
        return f"{self.remedy_id}: {self.gift_id}"
