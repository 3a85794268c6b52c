"""Template tags of the contact centre.

- `{% dial_button customer phone %}`: click-to-dial on any page that shows a customer's number.
  Renders the masked number on a small "Call" button (nothing at all for staff without
  `call.dial` for this customer, or while the contact-centre pages are not mounted). The
  button posts the customer and the CustomerPhone id — never the number itself — to
  /contact/dial/, and shows "Calling…", then the result or the reason the call may not be made
  (do-not-call, outside the calling hours) next to it. `phone` is a CustomerPhone (default: the
  primary one); `compact=True` shows just "Call" (for places that show the number already).
- Filters: `duration` (seconds → 4:05 or 1:02:03), `pct` (0.873 → "87.3%").
"""

from django import template
from django.urls import NoReverseMatch, reverse

from servicefirst.accounts.permissions import Action, allows_customer
from servicefirst.customers.fields import mask_phone

register = template.Library()


def may_dial(user, customer) -> bool:
    """Whether the user may click-to-dial this customer (`call.dial` in scope)."""
    if user is None or customer is None or not getattr(user, "is_authenticated", False):
        return False
    return allows_customer(user, Action.CALL_DIAL, customer)


@register.inclusion_tag("dialer/_dial_button.html", takes_context=True)
def dial_button(context, customer, phone=None, compact=False):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    out = {"show": False, "compact": compact}
    if not may_dial(user, customer):
        return out
    try:
        url = reverse("dialer:dial")
    except NoReverseMatch:  # the contact centre's pages are not mounted
        return out
    if phone is None:
        phone = customer.phones.first()
        if phone is None:
            return out
    out.update(
        {
            "show": True,
            "url": url,
            "customer_id": customer.pk,
            "phone_id": phone.pk,
            "masked": mask_phone(phone.e164),
            "csrf_token": context.get("csrf_token"),
        }
    )
    return out


@register.filter
def duration(seconds) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour on ("—" for nothing)."""
    if seconds is None or seconds == "":
        return "—"
    try:
        total = max(0, int(float(seconds)))
    except (TypeError, ValueError):
        return "—"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@register.filter
def pct(share, digits: int = 1) -> str:
    """A share (0.0273) as a percentage ("2.7%"); "—" for None."""
    if share is None or share == "":
        return "—"
    try:
        return f"{float(share) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "—"


@register.simple_tag
def poll_every() -> str:
    """How often a live contact-centre page also asks for news over HTTP. The dialer is its own
    process: its pushes reach the web server only through a shared channel layer (Redis,
    REDIS_URL). With the in-memory layer (the embedded default) the pages poll every 3 s
    instead of 30 s."""
    from django.conf import settings

    backend = getattr(settings, "CHANNEL_LAYERS", {}).get("default", {}).get("BACKEND", "")
    return "3s" if not backend or "InMemory" in backend else "30s"
