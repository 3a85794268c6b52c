from django import template
from django.utils import timezone

from servicefirst.accounts.permissions import staff_of
from servicefirst.lobby.models import Recognition

register = template.Library()


@register.simple_tag(takes_context=True)
def recognised_today(context, customer) -> bool:
    """Whether the member of staff viewing the page has recorded knowing this customer today."""
    if context.get("recognised"):
        return True
    request = context.get("request")
    staff = staff_of(getattr(request, "user", None))
    if staff is None or customer is None:
        return False
    return Recognition.objects.filter(
        staff=staff, customer_id=getattr(customer, "pk", customer), day=timezone.localdate()
    ).exists()
