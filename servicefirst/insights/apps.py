from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "servicefirst.insights"
    label = "insights"
    verbose_name = _("Customer insight")

    def ready(self) -> None:
        from servicefirst.customers.signals import customer_changed

        customer_changed.connect(_reclassify, dispatch_uid="insights-reclassify")


def _reclassify(sender, customer_id: int, **kwargs) -> None:
    """A customer's holdings, consents or profile changed: apply the bank's rules again."""
    from servicefirst.insights.services import classify_customer

    classify_customer(customer_id)
