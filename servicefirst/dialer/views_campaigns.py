"""Campaign pages: the campaign list (status, mode, progress, abandonment against the cap),
create and edit (every field, agents, dispositions), the campaign page (progress, the call
list with masked phones, adding customers from a segment, a file or by hand, removing them,
start / pause / finish) and the do-not-call list. Each view parses the request and calls one
service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action, scope_for
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record_many
from servicefirst.customers.fields import mask_name, mask_phone
from servicefirst.dialer import campaigns, forms, lists, selectors
from servicefirst.dialer.models import CallListEntry, Campaign, Disposition


def _errors_onto(form, errors: dict[str, list[str]]) -> None:
    for field, msgs in errors.items():
        key = field if field in form.fields else None
        for message in msgs:
            form.add_error(key, message)


def _flat(exc: ValidationFailed) -> str:
    return " ".join(m for msgs in exc.errors.values() for m in msgs)


def _campaign(request, campaign_id) -> Campaign:
    try:
        return selectors.campaign_get(actor=request.user, campaign_id=campaign_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _managed(request, campaign_id) -> Campaign:
    campaign = _campaign(request, campaign_id)
    if not campaigns.may_manage(request.user, campaign):
        raise DjangoPermissionDenied
    return campaign


def _rates_rows(rates: dict, cap) -> list[dict]:
    return [
        {
            "window": key,
            "abandoned": abandoned,
            "live": live,
            "rate": rate,
            "percent": f"{rate * 100:.1f}%",
            "over": rate > float(cap),
        }
        for key, (abandoned, live, rate) in rates.items()
    ]


# --- the list -------------------------------------------------------------------------------


@login_required
def campaign_list(request):
    if not selectors.can_see_campaigns(request.user):
        raise DjangoPermissionDenied
    rows = list(selectors.visible_campaigns(request.user).select_related("product", "unit", "crm"))
    now = timezone.now()
    progress = selectors.progress_many([c.pk for c in rows])
    rates = selectors.abandon_rates_many([c.pk for c in rows], now)
    for c in rows:
        c.progress = progress[c.pk]
        c.rates = _rates_rows(rates[c.pk], c.abandon_cap)
        c.cap_percent = float(c.abandon_cap) * 100
    return render(
        request,
        "dialer/campaign_list.html",
        {
            "campaigns": rows,
            "can_manage": campaigns.may_manage(request.user),
            "can_dnc": selectors.can_see_dnc(request.user),
        },
    )


# --- create and edit ------------------------------------------------------------------------


def _disposition_forms(campaign: Campaign, bound: dict | None = None) -> list:
    out = []
    for d in campaign.dispositions.all():
        form = (bound or {}).get(d.pk) or forms.DispositionForm(
            initial=forms.DispositionForm.initial_for(d), prefix=f"d{d.pk}"
        )
        out.append((d, form))
    return out


def _edit_page(request, form, campaign=None, *, new_disposition=None, bound=None, status=200):
    return render(
        request,
        "dialer/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "dispositions": _disposition_forms(campaign, bound) if campaign else [],
            "new_disposition": new_disposition or forms.DispositionForm(prefix="new"),
            "can_dnc": selectors.can_see_dnc(request.user),
        },
        status=status,
    )


@login_required
def campaign_new(request):
    if not campaigns.may_manage(request.user):
        raise DjangoPermissionDenied
    if request.method == "POST":
        form = forms.CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = campaigns.campaign_create(
                    actor=request.user, data=form.data_for_service()
                )
            except ValidationFailed as exc:
                _errors_onto(form, exc.errors)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            else:
                messages.success(
                    request,
                    _("Created the campaign “%(name)s”. Add customers to its call list.")
                    % {"name": campaign.name},
                )
                return redirect("dialer:campaign_detail", campaign_id=campaign.pk)
    else:
        form = forms.CampaignForm()
    return _edit_page(request, form)


@login_required
def campaign_edit(request, campaign_id: int):
    campaign = _managed(request, campaign_id)
    if request.method == "POST":
        form = forms.CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaigns.campaign_update(
                    actor=request.user, campaign_id=campaign.pk, data=form.data_for_service()
                )
            except ValidationFailed as exc:
                _errors_onto(form, exc.errors)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            else:
                messages.success(request, _("Saved the campaign."))
                return redirect("dialer:campaign_detail", campaign_id=campaign.pk)
    else:
        form = forms.CampaignForm(initial=forms.CampaignForm.initial_for(campaign))
    return _edit_page(request, form, campaign)


@login_required
@require_POST
def disposition_add(request, campaign_id: int):
    campaign = _managed(request, campaign_id)
    form = forms.DispositionForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            d = campaigns.disposition_add(
                actor=request.user, campaign_id=campaign.pk, data=form.data_for_service()
            )
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            messages.success(request, _("Added the disposition “%(label)s”.") % {"label": d.label})
            return redirect("dialer:campaign_edit", campaign_id=campaign.pk)
    return _edit_page(
        request,
        forms.CampaignForm(initial=forms.CampaignForm.initial_for(campaign)),
        campaign,
        new_disposition=form,
        status=422,
    )


@login_required
@require_POST
def disposition_edit(request, campaign_id: int, disposition_id: int):
    campaign = _managed(request, campaign_id)
    disposition = Disposition.objects.filter(pk=disposition_id, campaign=campaign).first()
    if disposition is None:
        raise Http404
    form = forms.DispositionForm(request.POST, prefix=f"d{disposition.pk}")
    if form.is_valid():
        try:
            campaigns.disposition_update(
                actor=request.user, disposition_id=disposition.pk, data=form.data_for_service()
            )
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            messages.success(request, _("Saved the disposition."))
            return redirect("dialer:campaign_edit", campaign_id=campaign.pk)
    return _edit_page(
        request,
        forms.CampaignForm(initial=forms.CampaignForm.initial_for(campaign)),
        campaign,
        bound={disposition.pk: form},
        status=422,
    )


# --- the campaign page ----------------------------------------------------------------------


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() else 1


def _entries_context(request, campaign: Campaign) -> dict:
    page = selectors.call_list_page(
        campaign, status=request.GET.get("status", ""), page=_page_number(request)
    )
    if page.rows:
        audit_record_many(
            actor=request.user,
            action=AuditEvent.Action.EXPORT,
            customer_ids=[r["customer_id"] for r in page.rows],
            detail={"campaign": campaign.pk, "drilldown": "call_list", "masked": True},
        )
    return {
        "campaign": campaign,
        "list": page,
        "statuses": CallListEntry.Status.choices,
        "can_manage": campaigns.may_manage(request.user, campaign),
    }


def _detail_context(request, campaign: Campaign, **extra) -> dict:
    now = timezone.now()
    manage = campaigns.may_manage(request.user, campaign)
    context = {
        **_entries_context(request, campaign),
        "progress": selectors.campaign_progress(campaign, now),
        "rates": _rates_rows(selectors.abandon_rates(campaign, now), campaign.abandon_cap),
        "cap_percent": float(campaign.abandon_cap) * 100,
        "agents": list(campaign.agents.order_by("name")),
        "dispositions": list(campaign.dispositions.all()),
        "can_manage": manage,
        "actions": [
            a
            for a, (sources, _target) in campaigns.TRANSITIONS.items()
            if campaign.status in sources
        ]
        if manage
        else [],
        "open": campaign.status != Campaign.Status.FINISHED,
        "can_dnc": selectors.can_see_dnc(request.user),
    }
    if manage and context["open"]:
        context.setdefault("segment_form", forms.SegmentForm())
        context.setdefault("upload_form", forms.UploadForm())
    context.update(extra)
    return context


@login_required
def campaign_detail(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    return render(request, "dialer/campaign_detail.html", _detail_context(request, campaign))


@login_required
def campaign_entries(request, campaign_id: int):
    """The call list (a page of it), for htmx paging and filtering."""
    campaign = _campaign(request, campaign_id)
    return render(request, "dialer/campaign_entries.html", _entries_context(request, campaign))


@login_required
@require_POST
def campaign_status(request, campaign_id: int):
    campaign = _managed(request, campaign_id)
    action = request.POST.get("action", "")
    try:
        campaign = campaigns.campaign_set_status(
            actor=request.user, campaign_id=campaign.pk, action=action
        )
    except ValidationFailed as exc:
        messages.error(request, _flat(exc))
    else:
        messages.success(
            request,
            _("The campaign is now %(status)s.")
            % {"status": campaign.get_status_display().lower()},
        )
    return redirect("dialer:campaign_detail", campaign_id=campaign.pk)


def _added_message(request, result: lists.AddResult) -> None:
    text = _(
        "Added %(added)d customers; %(already)d were on the list already; %(excluded)d left out."
    ) % {"added": result.added, "already": result.already, "excluded": result.excluded_total}
    reasons = "; ".join(f"{label}: {n}" for _k, label, n in result.exclusion_rows())
    messages.success(request, f"{text} {reasons}".strip())


def _add(request, campaign_id, call):
    campaign = _managed(request, campaign_id)
    try:
        result = call(campaign)
    except ValidationFailed as exc:
        return campaign, exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    _added_message(request, result)
    return campaign, None


@login_required
@require_POST
def entries_segment(request, campaign_id: int):
    form = forms.SegmentForm(request.POST)
    segment = request.POST.get("segment", "") if form.is_valid() else ""
    campaign, error = _add(
        request,
        campaign_id,
        lambda c: lists.entries_add_from_segment(
            actor=request.user, campaign_id=c.pk, segment_id=segment
        ),
    )
    if error is not None:
        messages.error(request, _flat(error))
    return redirect("dialer:campaign_detail", campaign_id=campaign.pk)


@login_required
@require_POST
def entries_file(request, campaign_id: int):
    _managed(request, campaign_id)  # before the upload is looked at
    form = forms.UploadForm(request.POST, request.FILES)
    upload = request.FILES.get("file") if form.is_valid() else None
    if upload is None:
        refused = form.errors.get("file") if "file" in request.FILES else None
        messages.error(request, " ".join(refused or [_("Choose a CSV or XLSX file.")]))
        return redirect("dialer:campaign_detail", campaign_id=campaign_id)
    campaign, error = _add(
        request,
        campaign_id,
        lambda c: lists.entries_add_from_file(
            actor=request.user, campaign_id=c.pk, name=upload.name, content=upload.read()
        ),
    )
    if error is None:
        return redirect("dialer:campaign_detail", campaign_id=campaign.pk)
    file_errors = [m for msgs in error.errors.values() for m in msgs]
    return render(
        request,
        "dialer/campaign_detail.html",
        _detail_context(request, campaign, file_errors=file_errors, file_name=upload.name),
        status=422,
    )


@login_required
@require_POST
def entries_customers(request, campaign_id: int):
    ids = request.POST.getlist("customer_ids")
    campaign, error = _add(
        request,
        campaign_id,
        lambda c: lists.entries_add_customers(
            actor=request.user, campaign_id=c.pk, customer_ids=ids
        ),
    )
    if error is not None:
        messages.error(request, _flat(error))
    return redirect("dialer:campaign_detail", campaign_id=campaign.pk)


@login_required
def pick_search(request, campaign_id: int):
    """Customers matching a search, masked, to tick and add to the call list (htmx)."""
    from servicefirst.customers.selectors import customer_search

    campaign = _managed(request, campaign_id)
    query = request.GET.get("q", "").strip()[:100]
    results = []
    if query and scope_for(request.user, Action.CUSTOMER_VIEW) > 0:
        on_list = set(
            CallListEntry.objects.filter(campaign=campaign)
            .exclude(status=CallListEntry.Status.REMOVED)
            .values_list("customer_id", flat=True)
        )
        for c in customer_search(actor=request.user, query=query):
            phones = list(c.phones.all())
            results.append(
                {
                    "id": c.pk,
                    "number": c.number,
                    "name": mask_name(c.name_zh or c.name_latin),
                    "phone": mask_phone(phones[0].e164) if phones else "",
                    "do_not_call": c.do_not_call,
                    "on_list": c.pk in on_list,
                }
            )
    return render(
        request,
        "dialer/campaign_pick.html",
        {"campaign": campaign, "query": query, "results": results},
    )


@login_required
@require_POST
def entry_remove(request, campaign_id: int, entry_id: int):
    campaign = _managed(request, campaign_id)
    if not CallListEntry.objects.filter(pk=entry_id, campaign=campaign).exists():
        raise Http404
    try:
        lists.entry_remove(actor=request.user, entry_id=entry_id)
    except ValidationFailed as exc:
        messages.error(request, _flat(exc))
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    if request.htmx:
        return render(request, "dialer/campaign_entries.html", _entries_context(request, campaign))
    messages.success(request, _("Removed the customer from the call list."))
    return redirect("dialer:campaign_detail", campaign_id=campaign.pk)


# --- the do-not-call list -------------------------------------------------------------------


@login_required
def dnc_list(request):
    if not selectors.can_see_dnc(request.user):
        raise DjangoPermissionDenied
    can_change = lists.may_keep_dnc(request.user)
    form = forms.DncAddForm()
    status = 200
    if request.method == "POST":
        if not can_change:
            raise DjangoPermissionDenied
        form = forms.DncAddForm(request.POST)
        if form.is_valid():
            try:
                lists.dnc_add(actor=request.user, **form.cleaned_data)
            except ValidationFailed as exc:
                _errors_onto(form, exc.errors)
                status = 422
            else:
                messages.success(request, _("Added the number to the do-not-call list."))
                return redirect("dialer:dnc_list")
        else:
            status = 422
    query = request.GET.get("q", "").strip()[:40]
    include_ended = request.GET.get("ended") == "1"
    return render(
        request,
        "dialer/campaign_dnc.html",
        {
            "form": form,
            "entries": selectors.dnc_entries(query=query, include_ended=include_ended),
            "query": query,
            "include_ended": include_ended,
            "can_change": can_change,
        },
        status=status,
    )


@login_required
@require_POST
def dnc_remove(request, dnc_id: int):
    if not lists.may_keep_dnc(request.user):
        raise DjangoPermissionDenied
    try:
        lists.dnc_remove(actor=request.user, dnc_id=dnc_id, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        messages.error(request, _flat(exc))
    else:
        messages.success(request, _("The number may be called again."))
    return redirect("dialer:dnc_list")
