"""The compliance page of data retention: erasure candidates (masked), legal holds, running the
anonymisation for the customers selected. Only roles holding privacy.manage (others get 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Customer
from servicefirst.privacy import selectors, services

# At most this many customers are anonymised by one press of the button.
SELECT_MAX = 200


def _allowed(request) -> None:
    try:
        selectors.require_privacy_manager(request.user)
    except PermissionDenied as exc:
        raise Http404 from exc


@login_required
def retention(request):
    _allowed(request)
    overview = selectors.retention_overview(actor=request.user)
    return render(request, "privacy/retention.html", {"overview": overview})


@login_required
@require_POST
def hold_place(request):
    _allowed(request)
    number = request.POST.get("customer", "").strip()
    customer_id = Customer.objects.filter(number=number).values_list("pk", flat=True).first()
    try:
        if customer_id is None:
            raise ValidationFailed({"customer": [_("No customer with number %s.") % number]})
        services.legal_hold_place(
            actor=request.user, customer_id=customer_id, reason=request.POST.get("reason", "")
        )
    except ValidationFailed as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, _("Legal hold placed on %s.") % number)
    return redirect("privacy:retention")


@login_required
@require_POST
def hold_release(request, hold_id: int):
    _allowed(request)
    try:
        hold = services.legal_hold_release(actor=request.user, hold_id=hold_id)
    except NotFound as exc:
        raise Http404 from exc
    except ValidationFailed as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, _("Legal hold on %s released.") % hold.customer.number)
    return redirect("privacy:retention")


@login_required
@require_POST
def anonymise(request):
    _allowed(request)
    ids = [v for v in request.POST.getlist("customer") if v.isdigit()][:SELECT_MAX]
    if not ids:
        messages.error(request, _("Select the customers to anonymise."))
        return redirect("privacy:retention")
    done, refused = 0, []
    for customer_id in ids:
        try:
            services.anonymise_customer(
                actor=request.user, customer=int(customer_id), only_if_candidate=True
            )
            done += 1
        except ValidationFailed as exc:
            refused.append(exc.text())
    if done:
        messages.success(request, _("Anonymised %d customer(s).") % done)
    for text in refused:
        messages.error(request, text)
    return redirect("privacy:retention")
