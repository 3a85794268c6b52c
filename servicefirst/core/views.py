"""The compliance auditor's page: the audit log, filtered and paginated."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicefirst.core import selectors
from servicefirst.core.errors import PermissionDenied
from servicefirst.core.models import AuditEvent

DETAIL_KEYS = {
    "fields": gettext_lazy("fields"),
    "field": gettext_lazy("field"),
    "kind": gettext_lazy("kind"),
    "granted": gettext_lazy("granted"),
    "household": gettext_lazy("household"),
    "relative": gettext_lazy("relative"),
    "duplicate": gettext_lazy("duplicate"),
    "rows": gettext_lazy("rows"),
    "file": gettext_lazy("file"),
    "format": gettext_lazy("format"),
}


CHANNELS = {
    "web": gettext_lazy("web"),
    "api": gettext_lazy("API"),
    "cli": gettext_lazy("command line"),
    "task": gettext_lazy("background task"),
    "system": gettext_lazy("system"),
}
OBJECT_TYPES = {
    "customer": gettext_lazy("customer"),
    "user": gettext_lazy("login account"),
    "import": gettext_lazy("import"),
    "export": gettext_lazy("export"),
}


def _field_label(name: str) -> str:
    from servicefirst.customers.models import Customer

    if name == "phones":
        return str(_("phones"))
    if name == "id_number":
        return str(_("identity number"))
    try:
        return str(Customer._meta.get_field(name).verbose_name)
    except Exception:  # not a customer field: show the name as recorded
        return name


def _detail_items(detail: dict) -> list[tuple[str, str]]:
    """The event's detail as (label, text) pairs readable by an auditor."""
    items = []
    for key, value in (detail or {}).items():
        if isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif isinstance(value, list | tuple):
            labels = [_field_label(v) if key == "fields" else str(v) for v in value]
            text = ", ".join(labels)
        elif key == "field":
            text = _field_label(str(value))
        elif key == "kind":
            from servicefirst.customers.models import Consent

            text = str(dict(Consent.Kind.choices).get(value, value))
        else:
            text = str(value)
        items.append((str(DETAIL_KEYS.get(key, key)), text))
    return items


def _customer_numbers(events) -> dict[int, str]:
    """Customer numbers for the events on one page, in one query."""
    from servicefirst.customers.models import Customer

    ids = {e.customer_id for e in events if e.customer_id}
    if not ids:
        return {}
    return dict(Customer.objects.filter(pk__in=ids).values_list("pk", "number"))


@login_required
def audit_list(request):
    """Every audit event, newest first; only roles holding audit.view (others get 404)."""
    try:
        page = selectors.audit_events(
            actor=request.user, filters=request.GET, page=request.GET.get("page", 1)
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    events = list(page.object_list)
    numbers = _customer_numbers(events)
    for event in events:
        event.customer_number = numbers.get(event.customer_id, "")
        event.detail_items = _detail_items(event.detail)
        event.channel_label = CHANNELS.get(event.channel, event.channel)
        event.object_label = OBJECT_TYPES.get(event.object_type, event.object_type)
    filters = {
        key: request.GET.get(key, "").strip()
        for key in ("user", "action", "customer", "since", "until")
    }
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "events": events,
            "filters": filters,
            "filtered": any(filters.values()),
            "actions": AuditEvent.Action.choices,
        },
    )
