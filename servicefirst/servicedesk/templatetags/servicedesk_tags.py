from django import template
from django.utils.translation import gettext as _

register = template.Library()

STATUS_CLASS = {
    "new": "text-bg-primary",
    "open": "text-bg-info",
    "waiting_customer": "text-bg-warning",
    "resolved": "text-bg-success",
    "closed": "text-bg-secondary",
    "cancelled": "text-bg-light border",
}
CLOCK_CLASS = {
    "running": "text-bg-primary",
    "paused": "text-bg-warning",
    "met": "text-bg-success",
    "missed": "text-bg-danger",
    "void": "text-bg-light border",
}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "text-bg-secondary")


@register.filter
def clock_class(state: str) -> str:
    return CLOCK_CLASS.get(state, "text-bg-secondary")


@register.filter
def duration(seconds) -> str:
    """A span of time as staff read it: "3 d 4 h", "2 h 05 min", "12 min", "40 s"."""
    if seconds is None:
        return ""
    s = int(abs(float(seconds)))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}


@register.filter
def field_errors(errors: dict, name: str) -> list:
    return (errors or {}).get(name, [])


@register.filter
def get_item(mapping: dict, key):
    return (mapping or {}).get(key, 0)
