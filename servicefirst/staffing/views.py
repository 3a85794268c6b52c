"""The staffing planner page: a form (target, patience, pasted forecast) and the plan it gives,
as a table and a chart. Nothing is stored; the view parses the form and calls the planner."""

import math

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import render

from servicefirst.accounts.permissions import Action, Scope, scope_for
from servicefirst.core.errors import ValidationFailed
from servicefirst.staffing import charts, planner
from servicefirst.staffing.forms import PlannerForm


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _secs(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:.1f}"


def _table(plan) -> list[dict]:
    rows = []
    for r in plan.rows:
        rows.append(
            {
                "start": r.interval.start.strftime("%H:%M"),
                "calls": f"{r.interval.calls:g}",
                "aht": f"{r.interval.aht_s:g}",
                "traffic": f"{r.traffic:.1f}",
                "c": [
                    ("agents_c", str(r.erlang_c.agents)),
                    ("sl_c", _pct(r.erlang_c.service_level)),
                    ("asa_c", _secs(r.erlang_c.asa_s)),
                    ("occ_c", _pct(r.erlang_c.occupancy)),
                ],
                "a": [
                    ("agents_a", str(r.erlang_a.agents)),
                    ("sl_a", _pct(r.erlang_a.service_level)),
                    ("asa_a", _secs(r.erlang_a.asa_s)),
                    ("occ_a", _pct(r.erlang_a.occupancy)),
                    ("abandon_a", _pct(r.erlang_a.abandon)),
                ],
            }
        )
    return rows


def can_plan(user) -> bool:
    # For now, whoever may read the insight dashboards (contact-centre supervisors, analysts,
    # branch managers, auditors); a dedicated action can replace it later.
    return scope_for(user, Action.INSIGHT_VIEW) > Scope.NONE


@login_required
def planner_view(request):
    if not can_plan(request.user):
        raise DjangoPermissionDenied
    form = PlannerForm(request.POST or None)
    plan = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                forecast = planner.parse_forecast(data["forecast"])
            except ValidationFailed as exc:
                for message in exc.errors.get("forecast", []):
                    form.add_error("forecast", message)
            else:
                cap = data["max_occupancy"]
                target = planner.Target(
                    service_level=float(data["service_level"]) / 100,
                    answer_s=data["answer_s"],
                    patience_s=data["patience_s"],
                    max_occupancy=float(cap) / 100 if cap is not None else None,
                )
                plan = planner.plan(forecast, target)
    else:
        plan = planner.plan(
            planner.parse_forecast(planner.sample_forecast_text()), planner.Target()
        )
    return render(
        request,
        "staffing/planner.html",
        {
            "form": form,
            "plan": plan,
            "chart": charts.agents_chart(plan) if plan else "",
            "table": _table(plan) if plan else [],
        },
    )
