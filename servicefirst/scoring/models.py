"""Propensity models (versioned per product), the scores they give, and training/scoring jobs."""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff
from servicefirst.customers.models import Customer, Product


class PropensityModel(models.Model):
    """One trained version of a product's propensity model. At most one version of a product
    is `serving`; a new version replaces it only if it validates better on the latest period."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        SERVING = "serving", _("Serving")
        REJECTED = "rejected", _("Rejected")
        RETIRED = "retired", _("Retired")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"))
    algorithm = models.CharField(_("algorithm"), max_length=40)
    features = models.JSONField(_("features"), default=list)
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    trained_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    training_rows = models.PositiveIntegerField(_("training rows"), default=0)
    positives = models.PositiveIntegerField(_("successes in training"), default=0)
    # The newest interaction used for training: later rows are unseen by this version.
    trained_through_id = models.BigIntegerField(default=0)
    validation_start = models.DateTimeField(_("validation period from"), null=True, blank=True)
    validation_end = models.DateTimeField(_("validation period to"), null=True, blank=True)
    validation_rows = models.PositiveIntegerField(_("validation rows"), default=0)
    validation_auc = models.FloatField(_("validation AUC"), null=True, blank=True)
    validation_alift = models.FloatField(_("validation ALIFT"), null=True, blank=True)
    validation_capture_at_half = models.FloatField(
        _("successes in the best-scored half"), null=True, blank=True
    )
    # How the version compared with the one serving when it was trained.
    comparison = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CANDIDATE
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    artifact = models.BinaryField(editable=False)
    artifact_sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["product", "-version"]
        verbose_name = _("propensity model")
        verbose_name_plural = _("propensity models")
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="propensity_version"),
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(status="serving"),
                name="propensity_one_serving",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} v{self.version} ({self.status})"

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class Score(models.Model):
    """A customer's latest propensity for a product, with the top reasons (codes; the words
    are chosen at display time, in the reader's language)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="scores")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    model_version = models.PositiveIntegerField(_("model version"))
    probability = models.FloatField(_("probability"))
    reasons = models.JSONField(_("top reasons"), default=list)
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["customer", "product"], name="score_customer_product")
        ]
        indexes = [models.Index(fields=["product", "-probability"], name="score_product_rank")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.product_id} {self.probability:.3f}"


class TrainingJob(models.Model):
    """A background training or scoring run, with progress for the page."""

    class Kind(models.TextChoices):
        TRAIN = "train", _("Training")
        SCORE = "score", _("Scoring")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    model = models.ForeignKey(
        PropensityModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("training job")
        verbose_name_plural = _("training jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
