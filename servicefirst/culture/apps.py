from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CultureConfig(AppConfig):
    name = "servicefirst.culture"
    label = "culture"
    verbose_name = _("Customer-first culture")
