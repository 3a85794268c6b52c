from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "servicefirst.scoring"
    label = "scoring"
    verbose_name = _("Propensity scoring and next best offer")
