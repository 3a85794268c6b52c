"""Customer-first culture: questionnaires for hiring and for staff training, and staff
confirming the service commitments of their unit.

- `Questionnaire` with its `Question`s (Chinese and English; single or multiple choice, free
  text, or a scale; each option carries its points and whether it is correct; an explanation
  shown after answering in training).
- `Assignment`: a training questionnaire set for one member of staff or a whole unit (and the
  units below it), with a due date.
- `Response` and its `Answer`s: one sitting, by a member of staff or by a job candidate who
  came through a one-time link (only a hash of the link's token is stored). A candidate's name,
  contact and position are personal data.
- `CommitmentConfirmation`: a member of staff has read one published commitment version and
  will keep it; a new version needs a new confirmation.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.commitments.models import CommitmentVersion
from servicefirst.core.i18n import chinese_active as _zh


class Questionnaire(models.Model):
    class Purpose(models.TextChoices):
        HIRING = "hiring", _("Hiring")
        TRAINING = "training", _("Staff training")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    pass_percent = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    is_active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole bank's questionnaire."),
    )
    builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["purpose", "code"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_zh if _zh() else self.title_en

    @property
    def intro(self) -> str:
        return self.intro_zh if _zh() else self.intro_en

    @property
    def is_training(self) -> bool:
        return self.purpose == self.Purpose.TRAINING


class Question(models.Model):
    """`options`: a list of {"key": "a", "zh": "…", "en": "…", "correct": bool, "points": n}.
    Single choice and scale score the chosen option's points; multiple choice scores the sum
    of the correct options' points only when exactly the correct ones are chosen; free text
    is not scored."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("One answer")
        MULTIPLE = "multiple", _("Several answers")
        TEXT = "text", _("Free text")
        SCALE = "scale", _("Scale")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE)

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default="single")
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    options = models.JSONField(_("options"), default=list, blank=True)
    explanation_zh = models.TextField(_("explanation (Chinese)"), blank=True)
    explanation_en = models.TextField(_("explanation (English)"), blank=True)
    required = models.BooleanField(_("an answer is required"), default=True)

    class Meta:
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "order"], name="question_order_once")
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return f"{self.questionnaire_id} #{self.order}"

    @property
    def text(self) -> str:
        return self.text_zh if _zh() else self.text_en

    @property
    def text_other(self) -> str:
        return self.text_en if _zh() else self.text_zh

    @property
    def explanation(self) -> str:
        return self.explanation_zh if _zh() else self.explanation_en

    @property
    def labelled_options(self) -> list[dict]:
        zh = _zh()
        return [
            {**o, "label": o["zh"] if zh else o["en"], "other": o["en"] if zh else o["zh"]}
            for o in self.options
        ]

    @property
    def max_points(self) -> float:
        if self.kind == self.Kind.TEXT or not self.options:
            return 0
        if self.kind == self.Kind.MULTIPLE:
            return sum(float(o.get("points", 0)) for o in self.options if o.get("correct"))
        return max(float(o.get("points", 0)) for o in self.options)


class Assignment(models.Model):
    """A training questionnaire set for one member of staff, or for a unit: everyone working
    in it or in a unit below it."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="assignments"
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.CASCADE, related_name="culture_assignments"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    assigned_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff__isnull=False, unit__isnull=True)
                | models.Q(staff__isnull=True, unit__isnull=False),
                name="assignment_staff_or_unit",
            ),
            models.UniqueConstraint(
                fields=["questionnaire", "staff"],
                condition=models.Q(staff__isnull=False),
                name="assignment_once_per_staff",
            ),
            models.UniqueConstraint(
                fields=["questionnaire", "unit"],
                condition=models.Q(unit__isnull=False),
                name="assignment_once_per_unit",
            ),
        ]
        verbose_name = _("training assignment")
        verbose_name_plural = _("training assignments")

    def __str__(self) -> str:
        return f"{self.questionnaire_id} → {self.staff_id or self.unit_id}"


class Response(models.Model):
    """One sitting of a questionnaire, by a member of staff or by a candidate."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    questionnaire_version = models.PositiveIntegerField(default=1)
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.CASCADE, related_name="culture_responses"
    )
    unit = models.ForeignKey(
        Unit, null=True, on_delete=models.PROTECT, related_name="+"
    )  # the staff member's unit, or the unit hiring the candidate
    # A candidate: personal data, shown only to those who manage the culture of the unit.
    candidate_name = models.CharField(_("candidate's name"), max_length=60, blank=True)
    candidate_contact = models.CharField(_("phone or e-mail"), max_length=120, blank=True)
    candidate_position = models.CharField(_("position applied for"), max_length=120, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    invited_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff__isnull=False) | ~models.Q(candidate_name=""),
                name="response_staff_or_candidate",
            )
        ]
        indexes = [models.Index(fields=["staff", "questionnaire"], name="response_staff_q")]
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")

    def __str__(self) -> str:
        return f"{self.questionnaire_id}: {self.staff_id or 'candidate'} {self.pk}"

    @property
    def is_candidate(self) -> bool:
        return self.staff_id is None

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choices = models.JSONField(default=list, blank=True)  # the chosen option keys
    text = models.TextField(blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    correct = models.BooleanField(null=True)  # None: not scored (free text)

    class Meta:
        ordering = ["question__order"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class CommitmentConfirmation(models.Model):
    """ "I have read and will keep this commitment": one member of staff, one published
    version. A new version of the commitment needs a new confirmation."""

    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="commitment_confirmations"
    )
    version = models.ForeignKey(
        CommitmentVersion, on_delete=models.CASCADE, related_name="confirmations"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-confirmed_at"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "version"], name="confirmation_once")
        ]
        verbose_name = _("commitment confirmation")
        verbose_name_plural = _("commitment confirmations")

    def __str__(self) -> str:
        return f"{self.staff_id} ✓ {self.version_id}"
