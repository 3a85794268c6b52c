"""Customer pages: search and the Customer 360 with htmx section edits. Each view validates the
request and calls one service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers import forms, selectors, services
from servicefirst.customers.models import Customer


def _not_found(exc):
    raise Http404(str(exc)) from exc


@login_required
def search(request):
    if not selectors.can(request.user, Action.CUSTOMER_VIEW):
        raise Http404
    query = request.GET.get("q", "").strip()[:100]
    results = selectors.customer_search(actor=request.user, query=query) if query else []
    template = "customers/_results.html" if request.htmx else "customers/search.html"
    return render(request, template, {"query": query, "results": results})


@login_required
def detail(request, customer_id: int):
    try:
        view = selectors.customer_360(actor=request.user, customer_id=customer_id)
    except NotFound as exc:
        _not_found(exc)
    return render(
        request,
        "customers/detail.html",
        {
            "v": view,
            "c": view.customer,
            "sections": forms.SECTIONS,
            "interaction_form": forms.InteractionForm(),
            "household_form": forms.HouseholdForm(),
        },
    )


@login_required
def section(request, customer_id: int, name: str):
    """GET: the read-only section or (with ?edit=1) its form; POST: save, or the form with errors."""
    if name not in forms.SECTIONS:
        raise Http404
    try:
        customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    except NotFound as exc:
        _not_found(exc)
    form_class = forms.SECTIONS[name]
    if request.method == "POST":
        form = form_class(request.POST)
        try:
            customer = services.customer_update(
                actor=request.user, customer_id=customer.pk, data=forms.data_for_service(name, form)
            )
        except PermissionDenied as exc:
            return HttpResponseForbidden(str(exc))
        except ValidationFailed as exc:
            form.is_valid()
            for field, msgs in exc.errors.items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
            return render(
                request,
                "customers/_section_form.html",
                {"c": customer, "name": name, "form": form},
                status=422 if not request.htmx else 200,
            )
        if not request.htmx:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", customer_id=customer.pk)
        view = selectors.customer_360(actor=request.user, customer_id=customer.pk, record=False)
        return render(
            request,
            "customers/_section.html",
            {"v": view, "c": view.customer, "name": name, "saved": True},
        )
    if request.GET.get("edit"):
        if not selectors.allows_customer(request.user, Action.CUSTOMER_EDIT, customer):
            return HttpResponseForbidden(_("You may not change this customer."))
        form = form_class(initial=forms.initial_for(name, customer))
        return render(
            request, "customers/_section_form.html", {"c": customer, "name": name, "form": form}
        )
    view = selectors.customer_360(actor=request.user, customer_id=customer.pk, record=False)
    return render(request, "customers/_section.html", {"v": view, "c": view.customer, "name": name})


@login_required
@require_POST
def reveal(request, customer_id: int, field: str):
    try:
        value = services.customer_reveal(actor=request.user, customer_id=customer_id, field=field)
    except NotFound as exc:
        _not_found(exc)
    except (PermissionDenied, ValidationFailed) as exc:
        return HttpResponseForbidden(str(exc))
    if isinstance(value, list):
        value = ", ".join(value)
    return render(request, "customers/_revealed.html", {"value": value, "field": field})


@login_required
@require_POST
def add_interaction(request, customer_id: int):
    form = forms.InteractionForm(request.POST)
    try:
        services.interaction_add(
            actor=request.user,
            customer_id=customer_id,
            kind=request.POST.get("kind", ""),
            summary=request.POST.get("summary", ""),
        )
    except NotFound as exc:
        _not_found(exc)
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        for field, msgs in exc.errors.items():
            for m in msgs:
                form.add_error(field if field in form.fields else None, m)
        view = selectors.customer_360(actor=request.user, customer_id=customer_id, record=False)
        return render(
            request,
            "customers/_timeline.html",
            {"v": view, "c": view.customer, "interaction_form": form},
        )
    view = selectors.customer_360(actor=request.user, customer_id=customer_id, record=False)
    return render(
        request,
        "customers/_timeline.html",
        {"v": view, "c": view.customer, "interaction_form": forms.InteractionForm()},
    )


@login_required
@require_POST
def add_household(request, customer_id: int):
    form = forms.HouseholdForm(request.POST)
    number = request.POST.get("relative", "").strip().upper()
    relative = Customer.objects.filter(number=number, merged_into__isnull=True).only("pk").first()
    try:
        if relative is None:
            raise ValidationFailed(
                {"relative": [_("No customer has the number “%(number)s”.") % {"number": number}]}
            )
        services.household_link(
            actor=request.user,
            customer_id=customer_id,
            relative_id=relative.pk,
            relation=request.POST.get("relation", ""),
        )
        form = forms.HouseholdForm()
    except NotFound as exc:
        _not_found(exc)
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        form.is_valid()
        for field, msgs in exc.errors.items():
            for m in msgs:
                form.add_error(field if field in form.fields else None, m)
    view = selectors.customer_360(actor=request.user, customer_id=customer_id, record=False)
    return render(
        request,
        "customers/_household.html",
        {"v": view, "c": view.customer, "household_form": form},
    )
