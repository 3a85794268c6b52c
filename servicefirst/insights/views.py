"""Insight pages: product acceptance with drill-downs, the segment builder with a live htmx
preview and outreach lists, and the classification rules with dry-run and rerun. Each view
parses the request and calls one service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.permissions import Action
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.insights import charts, conditions, forms, selectors, services
from servicefirst.insights.models import (
    ClassificationJob,
    ClassificationRule,
    OfferEvent,
    OutreachList,
    Segment,
)


def _require(request, action: str) -> None:
    if not selectors.can(request.user, action):
        raise DjangoPermissionDenied


def _errors_onto(form, errors: dict[str, list[str]], rename=None) -> None:
    for field, msgs in errors.items():
        key = rename(field) if rename else field
        key = key if key in form.fields else None
        for message in msgs:
            form.add_error(key, message)


# --- product acceptance ---------------------------------------------------------------------


def _filters(request):
    form = forms.FunnelFilterForm(request.GET or None)
    try:
        filters = selectors.funnel_filters(request.GET)
    except ValidationFailed as exc:
        form.is_valid()
        _errors_onto(form, exc.errors)
        filters = selectors.FunnelFilters()
    return form, filters


def _drill_url(query: str, figure: str, product: str, key: str) -> str:
    params = QueryDict(query, mutable=True)
    for name, value in (("figure", figure), ("product", product), ("key", key)):
        params[name] = value
    return f"{reverse('insights:drill')}?{params.urlencode()}"


def _pct(rate) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _funnel_row(row, query: str) -> dict:
    return {
        "product": row.product,
        "cells": [
            (stage, n, _drill_url(query, "funnel", row.product.code, stage))
            for stage, n in zip(selectors.STAGES, row.counts, strict=True)
        ],
        "rates": [_pct(r) for r in row.rates],
        "overall": _pct(row.overall),
    }


@login_required
def acceptance(request):
    _require(request, Action.INSIGHT_VIEW)
    form, filters = _filters(request)
    try:
        rows = selectors.funnel(actor=request.user, filters=filters)
        products, matrix = selectors.class_matrix(actor=request.user, filters=filters)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    query = request.GET.urlencode()
    table = [_funnel_row(row, query) for row in rows]
    matrix_rows = [
        (
            label,
            [
                (n, _drill_url(query, "matrix", p.code, value))
                for p, n in zip(products, counts, strict=False)
            ],
        )
        for value, label, counts in matrix
    ]
    return render(
        request,
        "insights/acceptance.html",
        {
            "form": form,
            "rows": table,
            "stages": OfferEvent.Stage.choices,
            "products": products,
            "matrix": matrix_rows,
            "funnel_chart": charts.funnel_chart(rows) if rows else "",
            "matrix_chart": charts.matrix_chart(products, matrix) if products else "",
            "query": query,
        },
    )


@login_required
def drill(request):
    _require(request, Action.INSIGHT_VIEW)
    try:
        filters = selectors.funnel_filters(request.GET)
        result = selectors.drill_down(
            actor=request.user,
            filters=filters,
            figure=request.GET.get("figure", ""),
            product_code=request.GET.get("product", ""),
            key=request.GET.get("key", ""),
        )
    except ValidationFailed as exc:
        return HttpResponseBadRequest("; ".join(m for ms in exc.errors.values() for m in ms))
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    template = "insights/_drill.html" if request.htmx else "insights/drill.html"
    return render(request, template, {"drill": result})


# --- segments -------------------------------------------------------------------------------


@login_required
def segment_list(request):
    _require(request, Action.SEGMENT_MANAGE)
    return render(
        request,
        "insights/segments.html",
        {
            "segments": selectors.segments(actor=request.user),
            "lists": OutreachList.objects.select_related("segment")[:20],
        },
    )


def _definition_errors(form, errors):
    """Service errors name `definition.N...`; show them at the top of the builder."""
    for field, msgs in errors.items():
        for message in msgs:
            form.add_error(field if field in form.fields else None, message)


@login_required
def segment_edit(request, segment_id: int | None = None):
    _require(request, Action.SEGMENT_MANAGE)
    segment = get_object_or_404(Segment, pk=segment_id) if segment_id else None
    preview = None
    if request.method == "POST":
        form = forms.SegmentForm(request.POST)
        if form.is_valid():
            try:
                segment = services.segment_save(
                    actor=request.user,
                    segment_id=segment.pk if segment else None,
                    data={
                        "name": form.cleaned_data["name"],
                        "description": form.cleaned_data["description"],
                        "definition": form.definition(),
                    },
                )
            except ValidationFailed as exc:
                _definition_errors(form, exc.errors)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            else:
                messages.success(
                    request,
                    _("Saved the segment “%(name)s” (%(count)s customers).")
                    % {"name": segment.name, "count": segment.last_count},
                )
                return redirect("insights:segment_edit", segment_id=segment.pk)
    else:
        form = forms.SegmentForm(
            initial=forms.SegmentForm.initial_for(segment) if segment else None
        )
        if segment:
            preview = _preview(request, segment.definition)
    return render(
        request,
        "insights/segment_edit.html",
        {
            "form": form,
            "segment": segment,
            "preview": preview,
            "outreach_form": forms.OutreachForm(),
            "description": conditions.describe(segment.definition) if segment else "",
        },
    )


def _preview(request, definition):
    try:
        return selectors.segment_preview(actor=request.user, definition=definition)
    except ValidationFailed as exc:
        return {"errors": [m for ms in exc.errors.values() for m in ms]}


@login_required
@require_POST
def segment_preview(request):
    _require(request, Action.SEGMENT_MANAGE)
    form = forms.SegmentForm(request.POST)
    if form.is_valid():
        definition = form.definition()
        preview = _preview(request, definition)
        words = conditions.describe(definition) if not isinstance(preview, dict) else ""
    else:
        preview = {
            "errors": [
                f"{form.fields[k].label if k in form.fields else ''}: {m}"
                for k, ms in form.errors.items()
                for m in ms
            ]
        }
        words = ""
    return render(request, "insights/_preview.html", {"preview": preview, "description": words})


@login_required
@require_POST
def outreach_create(request, segment_id: int):
    _require(request, Action.SEGMENT_MANAGE)
    form = forms.OutreachForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a purpose and a channel."))
        return redirect("insights:segment_edit", segment_id=segment_id)
    try:
        outreach = services.outreach_create(
            actor=request.user,
            segment_id=segment_id,
            purpose=form.cleaned_data["purpose"],
            channel=form.cleaned_data["channel"],
            campaign_code=form.cleaned_data["campaign"],
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        messages.error(request, "; ".join(m for ms in exc.errors.values() for m in ms))
        return redirect("insights:segment_edit", segment_id=segment_id)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    return redirect("insights:outreach", outreach_id=outreach.pk)


@login_required
def outreach_detail(request, outreach_id: int):
    _require(request, Action.SEGMENT_MANAGE)
    outreach = get_object_or_404(OutreachList.objects.select_related("segment"), pk=outreach_id)
    members = list(
        outreach.members.select_related("customer__home_branch").order_by("position")[:50]
    )
    rows = selectors.masked_rows([m.customer for m in members])
    for row, member in zip(rows, members, strict=True):
        row["position"], row["probability"] = member.position, member.probability
    return render(
        request,
        "insights/outreach.html",
        {
            "outreach": outreach,
            "exclusions": selectors.exclusion_rows(outreach.excluded),
            "rows": rows,
            "excluded_total": sum(outreach.excluded.values()),
        },
    )


# --- classification rules -------------------------------------------------------------------


@login_required
def rule_list(request):
    if not (
        selectors.can(request.user, Action.RULE_MANAGE)
        or selectors.can(request.user, Action.INSIGHT_VIEW)
    ):
        raise DjangoPermissionDenied
    groups = []
    for target, label in ClassificationRule.Target.choices:
        rules = list(ClassificationRule.objects.filter(target=target))
        for rule in rules:
            rule.words = conditions.describe(rule.conditions)
        groups.append((target, label, rules))
    return render(
        request,
        "insights/rules.html",
        {
            "groups": groups,
            "can_manage": selectors.can(request.user, Action.RULE_MANAGE),
            "jobs": ClassificationJob.objects.all()[:5],
        },
    )


@login_required
def rule_edit(request, rule_id: int | None = None):
    _require(request, Action.RULE_MANAGE)
    rule = get_object_or_404(ClassificationRule, pk=rule_id) if rule_id else None
    if request.method == "POST":
        form = forms.RuleForm(request.POST)
        if form.is_valid():
            data, rows = form.data_for_service()
            try:
                services.rule_save(actor=request.user, data=data, rule_id=rule.pk if rule else None)
            except ValidationFailed as exc:
                for field, msgs in exc.errors.items():
                    parts = field.split(".")
                    if parts[0] == "conditions" and len(parts) >= 3:
                        key = f"cond-{rows.get(int(parts[1]), parts[1])}-{parts[2]}"
                    elif parts[0] == "conditions" and len(parts) == 2:
                        key = f"cond-{rows.get(int(parts[1]), parts[1])}-field"
                    else:
                        key = field
                    for message in msgs:
                        form.add_error(key if key in form.fields else None, message)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            else:
                messages.success(
                    request,
                    _("Saved the rule. Run the classification to apply it to every customer."),
                )
                return redirect("insights:rules")
    else:
        form = forms.RuleForm(initial=forms.RuleForm.initial_for(rule) if rule else None)
    return render(
        request,
        "insights/rule_edit.html",
        {"form": form, "rule": rule, "fields": conditions.FIELDS.values()},
    )


@login_required
@require_POST
def rule_move(request, rule_id: int):
    _require(request, Action.RULE_MANAGE)
    try:
        services.rule_move(
            actor=request.user, rule_id=rule_id, direction=request.POST.get("direction", "")
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        return HttpResponseBadRequest("; ".join(m for ms in exc.errors.values() for m in ms))
    return redirect("insights:rules")


@login_required
def rule_dry_run(request):
    _require(request, Action.RULE_MANAGE)
    services.metrics_refresh()  # the run would start from today's balances too
    effects = selectors.rules_dry_run()
    return render(request, "insights/_dry_run.html", {"effects": effects})


@login_required
@require_POST
def classification_start(request):
    _require(request, Action.RULE_MANAGE)
    with transaction.atomic():
        job = services.classification_job_start(actor=request.user)
    return redirect("insights:job", job_id=job.pk)


@login_required
def job_status(request, job_id: int):
    _require(request, Action.RULE_MANAGE)
    job = get_object_or_404(ClassificationJob, pk=job_id)
    finished = job.status in (ClassificationJob.Status.DONE, ClassificationJob.Status.FAILED)
    template = "insights/_job.html" if request.htmx else "insights/job.html"
    return render(request, template, {"job": job, "finished": finished})
