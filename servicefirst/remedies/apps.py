from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _default_templates(sender, using="default", **kwargs) -> None:
    """Every bank starts with the standard apology on every channel in Chinese and English
    (created when missing, edits kept), so a remedy can be completed from the first breach."""
    from servicefirst.remedies.defaults import ensure_templates

    ensure_templates()


class RemediesConfig(AppConfig):
    name = "servicefirst.remedies"
    label = "remedies"
    verbose_name = _("Remedies")

    def ready(self) -> None:
        """A breach of a commitment to a customer opens a remedy case (the engine sends
        `case_breached` after its commit, with the ids of the breached cases)."""
        from servicefirst.commitments.signals import case_breached
        from servicefirst.remedies.services import on_case_breached

        case_breached.connect(on_case_breached, dispatch_uid="remedies.open_for_breach")
        post_migrate.connect(_default_templates, sender=self, dispatch_uid="remedies.templates")
