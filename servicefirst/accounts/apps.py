from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "servicefirst.accounts"
    label = "accounts"
    verbose_name = _("Organisation and staff")

    def ready(self) -> None:
        from servicefirst.accounts import signals  # noqa: F401
