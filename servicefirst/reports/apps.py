from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "servicefirst.reports"
    label = "branchreports"
    verbose_name = _("Branch reports")
