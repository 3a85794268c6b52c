from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FloorConfig(AppConfig):
    name = "servicefirst.floor"
    label = "floor"
    verbose_name = _("Branch floor: queue, counters and dispatching")
