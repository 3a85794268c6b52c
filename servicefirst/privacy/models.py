"""Data retention: legal holds that stop an erasure, and the record of each anonymisation."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff
from servicefirst.customers.models import Customer


class LegalHold(models.Model):
    """While a hold is open (not released) the customer's data must be kept as it is: a dispute,
    an investigation, a court order. At most one open hold per customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.CharField(_("reason"), max_length=300)
    placed_by = models.ForeignKey(
        Staff, verbose_name=_("placed by"), on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        Staff,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(released_at__isnull=True),
                name="legal_hold_one_open",
            )
        ]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class AnonymisationRecord(models.Model):
    """A customer whose personal data was replaced by neutral values: when, by whom, which
    fields (as `app.Model.field` with the number of rows changed). One per customer."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="anonymisation",
    )
    at = models.DateTimeField(_("anonymised"), default=timezone.now)
    by = models.ForeignKey(
        Staff, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    by_username = models.CharField(_("user"), max_length=150, blank=True)
    fields = models.JSONField(_("fields"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.at:%Y-%m-%d}"
