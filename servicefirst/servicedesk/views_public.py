"""Public pages, no login: a web form to send the bank an enquiry or a complaint (channel web,
a few per address per hour), and the status page behind the link the customer keeps, where
they read the bank's replies and answer. They show the request's own conversation only —
never internal notes, staff names or anything else about the customer."""

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.core.context import current_origin
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.servicedesk import selectors, services
from servicefirst.servicedesk.models import Kind

WEB_LIMIT_PER_HOUR = 5  # unless settings.SERVICEDESK_WEB_LIMIT_PER_HOUR says otherwise
WEB_WINDOW_S = 3600
PUBLIC_KINDS = [(k, label) for k, label in Kind.choices if k != Kind.REQUEST]


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _client_ip(request) -> str:
    return current_origin().ip or request.META.get("REMOTE_ADDR", "") or "unknown"


def _over_limit(request) -> bool:
    """Count this address's submissions in the cache; True once it sent too many this hour."""
    key = f"servicedesk:web:{_client_ip(request)}"
    cache.add(key, 0, WEB_WINDOW_S)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WEB_WINDOW_S)
        count = 1
    return count > getattr(settings, "SERVICEDESK_WEB_LIMIT_PER_HOUR", WEB_LIMIT_PER_HOUR)


def _form(request, *, data=None, errors=None, status=200):
    return render(
        request,
        "servicedesk/public_new.html",
        {
            "data": data or {},
            "errors": errors or {},
            "kinds": PUBLIC_KINDS,
            "categories": selectors.categories(public=True),
        },
        status=status,
    )


def public_new(request):
    if request.method != "POST":
        return _form(request, data=request.GET)
    data = request.POST
    if _over_limit(request):
        errors = {
            "general": [
                _(
                    "We received several messages from you in the last hour. Please try again later or call us."
                )
            ]
        }
        return _form(request, data=data, errors=errors, status=429)
    try:
        req = services.open_web_request(
            kind=data.get("kind", ""),
            category_code=data.get("category", ""),
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            subject=data.get("subject", ""),
            description=data.get("description", ""),
            language=_language(),
        )
    except ValidationFailed as exc:
        errors = dict(exc.errors)
        errors["general"] = errors.pop("__all__", [])
        errors["name"] = errors.pop("contact_name", [])
        errors["phone"] = errors.pop("contact_phone", [])
        errors["email"] = errors.pop("contact_email", [])
        errors = {k: v for k, v in errors.items() if v}
        return _form(request, data=data, errors=errors, status=422)
    return redirect(reverse("servicedesk:public_status", args=[req.public_token]) + "?new=1")


def _status(request, token: str, *, errors=None, body="", status=200):
    try:
        req = selectors.request_by_token(token)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "servicedesk/public_status.html",
        {
            "r": req,
            "conversation": selectors.public_messages(req),
            "errors": errors or {},
            "body": body,
            "new": request.GET.get("new") == "1",
            "sent": request.GET.get("sent") == "1",
            "token": token,
        },
        status=status,
    )


def public_status(request, token: str):
    return _status(request, token)


@require_POST
def public_reply(request, token: str):
    body = request.POST.get("body", "")
    try:
        services.customer_reply(token=token, body=body)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        return _status(request, token, errors=exc.errors, body=body, status=422)
    return redirect(reverse("servicedesk:public_status", args=[token]) + "?sent=1")
