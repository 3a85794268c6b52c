from django.core.paginator import Page, Paginator
from django.utils.dateparse import parse_date

from servicefirst.accounts.permissions import Action, scope_for
from servicefirst.core.errors import PermissionDenied
from servicefirst.core.models import AuditEvent

AUDIT_PAGE_SIZE = 50


def audit_events(*, actor, filters, page=1) -> Page:
    """The audit log, newest first, filtered by user, action, customer and dates (auditors only)."""
    if scope_for(actor, Action.AUDIT_VIEW) == 0:
        raise PermissionDenied("audit log")
    qs = AuditEvent.objects.all()
    if filters.get("user"):
        qs = qs.filter(actor_username__icontains=filters["user"].strip())
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("customer"):
        value = filters["customer"].strip()
        if value.isdigit():
            qs = qs.filter(customer_id=int(value))
        else:
            from servicefirst.customers.models import Customer

            qs = qs.filter(
                customer_id__in=Customer.objects.filter(number=value.upper()).values("pk")
            )
    if filters.get("since") and parse_date(filters["since"]):
        qs = qs.filter(created_at__date__gte=parse_date(filters["since"]))
    if filters.get("until") and parse_date(filters["until"]):
        qs = qs.filter(created_at__date__lte=parse_date(filters["until"]))
    return Paginator(qs, AUDIT_PAGE_SIZE).get_page(page)
