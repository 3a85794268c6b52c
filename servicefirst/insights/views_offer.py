"""The "I offered it" button of the next best offer, shared by the teller's page and the agent
desktop: run the page's service, answer with the small "offer recorded" fragment (htmx) or a
notice and a redirect back."""

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed


def offer_response(request, record, *, back: str, template: str):
    """`record()` records the offer (e.g. `serving.offer_made(...)`); `back` is the page's URL
    name, `template` its fragment showing the result."""
    try:
        event = record()
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        if not request.htmx:
            messages.error(request, exc.text())
            return redirect(back)
        return render(request, template, {"error": exc.text()})
    if not request.htmx:
        messages.success(request, _("Offer recorded."))
        return redirect(back)
    return render(request, template, {"event": event})
