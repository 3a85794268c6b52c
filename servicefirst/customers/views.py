"""Customer pages: search and the Customer 360 with htmx partial edits. Each view validates the
request and calls one service or selector; errors come back on the named field and nothing
changes. Every partial is also reachable without htmx (it then renders inside the full page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers import forms, selectors, services
from servicefirst.customers.fields import mask_phone
from servicefirst.customers.models import Consent, Customer


def _not_found(exc):
    raise Http404(str(exc)) from exc


def _errors_onto(form, exc: ValidationFailed) -> None:
    """Put a service's field errors onto the bound form: on the field when the form has it (in
    place of the form's own, vaguer message for that field), else at the top."""
    form.is_valid()
    for field, msgs in exc.errors.items():
        key = field if field in form.fields else None
        if key is not None:
            form.errors.pop(key, None)
        for message in msgs:
            form.add_error(key, message)


def _consent_rows(view) -> list[tuple[str, str, Consent | None]]:
    """One row per kind of consent with its latest record (granted, withdrawn or never asked)."""
    return [(kind, label, view.consents.get(kind)) for kind, label in Consent.Kind.choices]


def _context(request, view, **extra) -> dict:
    """What every part of the Customer 360 needs, so each partial renders the same way alone
    or inside the page."""
    customer = view.customer
    context = {
        "v": view,
        "c": customer,
        "sections": forms.SECTIONS,
        "can_add": selectors.allows_customer(request.user, Action.INTERACTION_ADD, customer),
        "consent_rows": _consent_rows(view),
        "language_label": forms.language_label(customer.preferred_language),
        "interaction_form": forms.InteractionForm(),
        "household_form": forms.HouseholdForm(),
        "consent_form": forms.ConsentForm(),
        "task_form": forms.TaskForm(),
    }
    context.update(extra)
    return context


def _view(request, customer_id: int):
    try:
        return selectors.customer_360(actor=request.user, customer_id=customer_id, record=False)
    except NotFound as exc:
        _not_found(exc)


def _part(request, template: str, context: dict, status: int = 200):
    """An htmx request gets the fragment; a plain request gets it inside the full page."""
    if request.htmx:
        return render(request, template, context, status=status)
    return render(request, "customers/part_page.html", {**context, "part": template}, status=status)


@login_required
def search(request):
    if not selectors.can(request.user, Action.CUSTOMER_VIEW):
        raise Http404
    query = request.GET.get("q", "").strip()[:100]
    results = selectors.customer_search(actor=request.user, query=query) if query else []
    for customer in results:  # phones are prefetched by the selector
        phones = list(customer.phones.all())
        customer.masked_phone = mask_phone(phones[0].e164) if phones else ""
        customer.first_phone = phones[0] if phones else None
    template = (
        "customers/_results.html"
        if request.htmx and not request.htmx.boosted
        else "customers/search.html"
    )
    return render(request, template, {"query": query, "results": results})


@login_required
def detail(request, customer_id: int):
    try:
        view = selectors.customer_360(actor=request.user, customer_id=customer_id)
    except NotFound as exc:
        _not_found(exc)
    return render(request, "customers/detail.html", _context(request, view))


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
            services.customer_update(
                actor=request.user,
                customer_id=customer.pk,
                data=forms.data_for_service(name, form),
                version=forms.version_for_service(form),
            )
        except PermissionDenied as exc:
            return HttpResponseForbidden(str(exc))
        except services.StaleCustomer as exc:
            # Someone else saved first: their change stays, this one is not applied. The form
            # keeps what was typed (and its old version, so saving again is refused too).
            form.is_valid()
            context = {"c": customer, "name": name, "form": form, "conflict": str(exc)}
            return _part(
                request,
                "customers/_section_form.html",
                context,
                status=200 if request.htmx else 409,
            )
        except ValidationFailed as exc:
            _errors_onto(form, exc)
            context = {"c": customer, "name": name, "form": form}
            return _part(
                request,
                "customers/_section_form.html",
                context,
                status=200 if request.htmx else 422,
            )
        if not request.htmx:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", customer_id=customer.pk)
        view = _view(request, customer.pk)
        return render(
            request, "customers/_section.html", _context(request, view, name=name, saved=True)
        )
    if request.GET.get("edit"):
        if not selectors.allows_customer(request.user, Action.CUSTOMER_EDIT, customer):
            return HttpResponseForbidden(_("You may not change this customer."))
        form = form_class(initial=forms.initial_for(name, customer))
        return _part(
            request, "customers/_section_form.html", {"c": customer, "name": name, "form": form}
        )
    if not request.htmx:
        return redirect("customers:detail", customer_id=customer.pk)
    view = _view(request, customer.pk)
    return render(request, "customers/_section.html", _context(request, view, name=name))


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


def _card_post(
    request, customer_id: int, *, form, blank, act, template: str, form_key: str, flag: str
):
    """The shape every card form on the Customer 360 shares: run one service call; on success
    show the card with an empty form and `flag` set, on bad input the same form with its errors
    named by field; 404 for a customer the actor may not see, 403 for an action they may not do."""
    done = False
    try:
        act()
        form = blank()
        done = True
    except NotFound as exc:
        _not_found(exc)
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationFailed as exc:
        _errors_onto(form, exc)
    view = _view(request, customer_id)
    return _part(request, template, _context(request, view, **{form_key: form, flag: done}))


@login_required
@require_POST
def add_interaction(request, customer_id: int):
    def act():
        services.interaction_add(
            actor=request.user,
            customer_id=customer_id,
            kind=request.POST.get("kind", ""),
            summary=request.POST.get("summary", ""),
        )

    return _card_post(
        request,
        customer_id,
        form=forms.InteractionForm(request.POST),
        blank=forms.InteractionForm,
        act=act,
        template="customers/_timeline.html",
        form_key="interaction_form",
        flag="added",
    )


@login_required
@require_POST
def add_household(request, customer_id: int):
    number = request.POST.get("relative", "").strip().upper()

    def act():
        if not number:
            raise ValidationFailed({"relative": [_("Enter the relative's customer number.")]})
        relative = (
            Customer.objects.filter(number=number, merged_into__isnull=True).only("pk").first()
        )
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

    return _card_post(
        request,
        customer_id,
        form=forms.HouseholdForm(request.POST),
        blank=forms.HouseholdForm,
        act=act,
        template="customers/_household.html",
        form_key="household_form",
        flag="added",
    )


@login_required
@require_POST
def set_consent(request, customer_id: int):
    """Grant or withdraw one kind of consent through `services.consent_set`."""
    granted = request.POST.get("granted", "")

    def act():
        if granted not in ("0", "1"):
            raise ValidationFailed({"granted": [_("Choose grant or withdraw.")]})
        services.consent_set(
            actor=request.user,
            customer_id=customer_id,
            kind=request.POST.get("kind", ""),
            granted=granted == "1",
            source=request.POST.get("source", ""),
        )

    return _card_post(
        request,
        customer_id,
        form=forms.ConsentForm(request.POST),
        blank=forms.ConsentForm,
        act=act,
        template="customers/_consents.html",
        form_key="consent_form",
        flag="saved",
    )


@login_required
@require_POST
def add_task(request, customer_id: int):
    """Add an open follow-up through `services.task_add` (assigned to the author)."""
    form = forms.TaskForm(request.POST)

    def act():
        form.is_valid()
        if "due_on" in form.errors:
            raise ValidationFailed({"due_on": [_("Enter the due date as YYYY-MM-DD.")]})
        services.task_add(
            actor=request.user,
            customer_id=customer_id,
            title=request.POST.get("title", "")[:200],
            due_on=form.cleaned_data.get("due_on"),
        )

    return _card_post(
        request,
        customer_id,
        form=form,
        blank=forms.TaskForm,
        act=act,
        template="customers/_tasks.html",
        form_key="task_form",
        flag="added",
    )
