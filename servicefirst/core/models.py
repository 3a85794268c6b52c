from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("audit events cannot be updated")

    def delete(self):
        raise AuditLogIsAppendOnly("audit events cannot be deleted")


class AuditEvent(models.Model):
    """Who did what to which personal data, when and from where. Append-only."""

    class Action(models.TextChoices):
        CUSTOMER_VIEW = "customer.view", _("Opened customer 360")
        CUSTOMER_REVEAL = "customer.reveal", _("Revealed masked field")
        CUSTOMER_CREATE = "customer.create", _("Created customer")
        CUSTOMER_UPDATE = "customer.update", _("Changed customer")
        SETTINGS_CHANGE = "settings.change", _("Changed the bank's settings")
        CUSTOMER_MERGE = "customer.merge", _("Merged customers")
        CUSTOMER_SEARCH = "customer.search", _("Searched customers")
        CONSENT_CHANGE = "consent.change", _("Changed consent")
        EXPORT = "customer.export", _("Exported customers")
        IMPORT = "customer.import", _("Imported customers")
        LOGIN = "auth.login", _("Logged in")
        LOGIN_FAILED = "auth.login_failed", _("Failed login")
        LOGOUT = "auth.logout", _("Logged out")
        CANDIDATE_VIEW = "culture.candidate_view", _("Viewed a job candidate")
        CANDIDATE_INVITE = "culture.candidate_invite", _("Invited a job candidate")
        BACKUP = "ops.backup", _("Backed up the database")
        RESTORE = "ops.restore", _("Restored the database from a backup")
        LEGAL_HOLD_PLACE = "privacy.hold_place", _("Placed a legal hold")
        LEGAL_HOLD_RELEASE = "privacy.hold_release", _("Released a legal hold")
        ANONYMISE = "privacy.anonymise", _("Anonymised a customer")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("client"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditLogIsAppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("audit events cannot be deleted")


class Sequence(models.Model):
    """Named counters for human-facing numbers (customer numbers, tickets). Allocated in blocks
    under a row lock, so concurrent writers never share a number."""

    name = models.CharField(max_length=40, primary_key=True)
    next_value = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.next_value}"


class ScheduledRun(models.Model):
    """One period of a periodic job that the scheduler has enqueued (see core/scheduler.py).
    Unique per job and period, so a restarted scheduler (or a second one) never enqueues the
    same period twice."""

    job = models.CharField(_("job"), max_length=80)
    period = models.CharField(_("period"), max_length=20)  # "2026-11-28" or "2026-11-28T10:15"
    enqueued_at = models.DateTimeField(_("enqueued"), auto_now_add=True)
    task_result_id = models.CharField(_("task"), max_length=64, blank=True)

    class Meta:
        ordering = ["-enqueued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="scheduled_run_once")]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
