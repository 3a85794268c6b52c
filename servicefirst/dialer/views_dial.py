"""Click-to-dial (/contact/dial/): a member of staff clicks a customer's number on any page.
The call is queued for the dialer, which rings the customer and puts them through; the button
shows "Calling…", then how the call went, or why it may not be made (do-not-call, outside the
calling hours, no right to call). The number itself never travels: the page posts the
customer and the id of one of their phones."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicefirst.accounts.permissions import staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import CustomerPhone
from servicefirst.dialer import calls
from servicefirst.dialer.models import Call

LIVE = (Call.State.QUEUED, *Call.LIVE)


def _back(request):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


def _result(request, call: Call | None = None, error: str = ""):
    context = {"call": call, "error": error}
    if call is not None:
        context["live"] = call.state in LIVE
        context["outcome"] = dict(Call.OUTCOME_CHOICES).get(call.outcome, call.outcome) or "—"
    return render(request, "dialer/_dial_result.html", context)


@login_required
@require_POST
def dial(request):
    customer_id = request.POST.get("customer_id", "")
    phone_id = request.POST.get("phone_id", "")
    error, call = "", None
    try:
        if not customer_id.isdigit():
            raise NotFound(_("No such customer."))
        number = ""
        if phone_id:
            phone = (
                CustomerPhone.objects.filter(pk=int(phone_id), customer_id=int(customer_id))
                .only("e164")
                .first()
                if phone_id.isdigit()
                else None
            )
            if phone is None:
                raise ValidationFailed({"phone": [_("This number is not one of the customer's.")]})
            number = phone.e164
        call = calls.click_to_dial(actor=request.user, customer_id=int(customer_id), phone=number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        error = " ".join(str(m) for ms in exc.errors.values() for m in ms)
    if not request.htmx:
        if error:
            messages.error(request, _("Not called: %(reason)s") % {"reason": error})
        else:
            messages.success(request, _("Calling… the dialer rings the customer, then you."))
        return _back(request)
    return _result(request, call, error)


@login_required
@require_GET
def dial_status(request, call_id: int):
    """How a click-to-dial call placed by the actor is going (polled by the button)."""
    staff = staff_of(request.user)
    call = Call.objects.filter(pk=call_id, requested_by=staff).first() if staff else None
    if call is None:
        raise Http404(_("No such call."))
    return _result(request, call)
