from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "servicefirst.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from servicefirst.ops import system_checks  # noqa: F401 - registers the deploy check
