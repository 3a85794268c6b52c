from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "servicefirst.satisfaction"
    label = "satisfaction"
    verbose_name = _("Customer satisfaction")
