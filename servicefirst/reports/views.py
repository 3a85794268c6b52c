"""The branch report page (branch and date range pickers, tables and charts) and its CSV and
XLSX exports. Each view parses the query and calls one selector or service."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.reports import charts, selectors, services
from servicefirst.reports.tables import report_tables


@login_required
def branch(request):
    actor = request.user
    branches = selectors.report_branches(actor)
    if not branches:
        raise DjangoPermissionDenied
    errors: dict[str, list[str]] = {}
    try:
        chosen, day_from, day_to = selectors.report_params(actor, request.GET)
    except ValidationFailed as exc:
        errors = exc.errors
        chosen, day_from, day_to = selectors.report_params(actor, {})
    report = selectors.branch_report(
        actor=actor, branch_id=chosen.pk, day_from=day_from, day_to=day_to
    )
    has_waits = any(f.waits for f in report.days)
    query = f"branch={chosen.pk}&from={day_from.isoformat()}&to={day_to.isoformat()}"
    return render(
        request,
        "reports/branch.html",
        {
            "branches": branches,
            "report": report,
            "tables": report_tables(report),
            "errors": errors,
            "values": {
                "from": request.GET.get("from") or day_from.isoformat(),
                "to": request.GET.get("to") or day_to.isoformat(),
            },
            "query": query,
            "waits_chart": charts.waits_chart(report) if has_waits else "",
            "service_chart": charts.service_chart(report) if report.services else "",
            "walkins_chart": charts.walkins_chart(report) if report.lobby else "",
        },
    )


@login_required
def export(request):
    actor = request.user
    if not selectors.report_branches(actor):
        raise DjangoPermissionDenied
    try:
        chosen, day_from, day_to = selectors.report_params(actor, request.GET)
        result = services.report_export(
            actor=actor,
            branch_id=chosen.pk,
            day_from=day_from,
            day_to=day_to,
            fmt=request.GET.get("format", "csv"),
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except ValidationFailed as exc:
        message = "; ".join(m for ms in exc.errors.values() for m in ms)
        return HttpResponse(
            _("Cannot export: %(reason)s") % {"reason": message},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response
