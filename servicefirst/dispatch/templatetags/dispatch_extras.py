"""Small formatting for the dispatching board."""

from django import template

register = template.Library()


@register.filter
def mins(seconds) -> int:
    """Seconds as whole minutes (rounded), for durations read at a glance."""
    try:
        return max(0, round(float(seconds) / 60))
    except (TypeError, ValueError):
        return 0


@register.filter
def abs_mins(seconds) -> int:
    """The size of a signed duration, in whole minutes."""
    try:
        return mins(abs(float(seconds)))
    except (TypeError, ValueError):
        return 0


@register.filter
def percent(share) -> int:
    """A share (0.42) as a whole percentage (42)."""
    try:
        return max(0, round(float(share) * 100))
    except (TypeError, ValueError):
        return 0


@register.filter
def bar_width(share) -> int:
    """A share as the width of a progress bar (0–100 %)."""
    return min(100, percent(share))
