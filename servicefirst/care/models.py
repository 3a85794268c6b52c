"""Care in the details: prompts raised for staff from rules the bank edits without code.

A rule says when to prompt (it is raining at the branch, the customer's birthday, an elderly
customer, a language other than Chinese, a first visit, a VIP tier, or any condition list of
the insight condition language), whom to prompt (teller, lobby manager or both) and what to
say, in Chinese and English with placeholders such as {name}. When a customer is served or
seen in the lobby, the rules are evaluated and each rule that fires raises one prompt for the
visit; staff mark it done (recorded on the customer's timeline) or skipped.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Staff, Unit
from servicefirst.core.i18n import chinese_active as _zh
from servicefirst.customers.models import Customer


class Audience(models.TextChoices):
    TELLER = "teller", _("Teller")
    LOBBY = "lobby", _("Lobby manager")
    BOTH = "both", _("Teller and lobby manager")


class CarePromptRule(models.Model):
    class Trigger(models.TextChoices):
        RAINING = "raining", _("It is raining at the branch")
        BIRTHDAY = "birthday", _("Birthday today")
        ELDERLY = "elderly", _("Elderly customer")
        LANGUAGE = "language", _("Prefers a language other than Chinese")
        FIRST_VISIT = "first_visit", _("First visit to the bank")
        VIP = "vip", _("VIP tier")
        CONDITIONS = "conditions", _("Customer conditions")

    code = models.SlugField(
        _("code"),
        max_length=40,
        blank=True,
        help_text=_("Set on the standard rules, so that they are created only once."),
    )
    name_zh = models.CharField(_("Chinese name"), max_length=80, blank=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    trigger = models.CharField(_("when"), max_length=20, choices=Trigger.choices)
    min_age = models.PositiveSmallIntegerField(
        _("from age"),
        null=True,
        blank=True,
        help_text=_("Elderly rules: leave empty to use the branch's elderly age."),
    )
    tiers = models.JSONField(
        _("value tiers"),
        default=list,
        blank=True,
        help_text=_("VIP rules: leave empty for the tiers the branch gives priority."),
    )
    conditions = models.JSONField(
        _("conditions"),
        default=list,
        blank=True,
        help_text=_("Condition rules: the customer conditions, all of which must hold."),
    )
    branch = models.ForeignKey(
        Unit,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="care_rules",
        help_text=_("Empty: every branch."),
    )
    audience = models.CharField(
        _("prompt"), max_length=10, choices=Audience.choices, default=Audience.BOTH
    )
    message_zh = models.CharField(_("message (Chinese)"), max_length=300, blank=True)
    message_en = models.CharField(_("message (English)"), max_length=300, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    updated_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="carerule_code_unique"
            )
        ]
        verbose_name = _("care prompt rule")
        verbose_name_plural = _("care prompt rules")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return (self.name_zh or self.name_en) if _zh() else (self.name_en or self.name_zh)

    @property
    def message(self) -> str:
        return (
            (self.message_zh or self.message_en) if _zh() else (self.message_en or self.message_zh)
        )


class CarePrompt(models.Model):
    """One prompt raised for one visit: once per ticket, or once per customer, branch and day
    when the customer has no ticket. The text is kept as it was said, in both languages."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("care prompt", "Open")
        DONE = "done", pgettext_lazy("care prompt", "Done")
        SKIPPED = "skipped", pgettext_lazy("care prompt", "Skipped")

    rule = models.ForeignKey(
        CarePromptRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="prompts"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="care_prompts"
    )
    branch = models.ForeignKey(
        Unit, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="care_prompts"
    )
    day = models.DateField(_("day"), default=timezone.localdate)
    ticket = models.ForeignKey(
        "floor.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_prompts",
    )
    audience = models.CharField(_("for"), max_length=10, choices=Audience.choices)
    text_zh = models.CharField(_("text (Chinese)"), max_length=400)
    text_en = models.CharField(_("text (English)"), max_length=400)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    resolved_by = models.ForeignKey(
        Staff,
        verbose_name=_("marked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["branch", "day", "status"], name="careprompt_branch_day"),
            models.Index(fields=["customer", "day"], name="careprompt_customer_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket"],
                condition=Q(ticket__isnull=False),
                name="careprompt_once_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["rule", "customer", "branch", "day"],
                condition=Q(ticket__isnull=True),
                name="careprompt_once_per_day",
            ),
        ]
        verbose_name = _("care prompt")
        verbose_name_plural = _("care prompts")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return (self.text_zh or self.text_en) if _zh() else (self.text_en or self.text_zh)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
