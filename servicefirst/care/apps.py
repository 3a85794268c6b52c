from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "servicefirst.care"
    label = "care"
    verbose_name = _("Care in the details")
