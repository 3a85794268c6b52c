"""The inbound history page (/staffing/history/): an imported call-centre month read back from
its call records: the month's service level, abandonment and rings, then one day (or the
working-week average) per half-hour, the agents who were working next to the agents Erlang C
and Erlang A recommend for the same arrivals. Agents' names are never shown, only counted."""

import datetime
import math

import plotly.graph_objects as go
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for
from servicefirst.staffing import history
from servicefirst.staffing.charts import CONFIG


def can_view_history(user) -> bool:
    return (
        scope_for(user, Action.INSIGHT_VIEW) > Scope.NONE
        or scope_for(user, Action.CONTACT_SUPERVISE) > Scope.NONE
    )


def _pct(x) -> str:
    return "—" if x is None else f"{x:.1%}"


def _num(x, places: int) -> str:
    return "—" if x is None else f"{x:,.{places}f}"


def _table(report: history.DayReport) -> list[dict]:
    average = report.days > 1
    rows = []
    for r in report.rows:
        f = r.figures
        rows.append(
            {
                "start": r.start.strftime("%H:%M"),
                "cells": [
                    ("offered", _num(r.calls, 1 if average else 0), ""),
                    ("sl15", _pct(f.sl15), _pct(f.sl15_excl)),
                    ("sl20", _pct(f.sl20), _pct(f.sl20_excl)),
                    ("abandoned", _pct(f.abandonment), ""),
                    ("aht", _num(f.aht_s, 0), ""),
                    ("working", _num(r.agents_working, 1 if average else 0), ""),
                    ("erlang_c", _num(r.erlang_c, 0), ""),
                    ("erlang_a", _num(r.erlang_a, 0), ""),
                ],
            }
        )
    return rows


def history_chart(report: history.DayReport) -> str:
    """Agents working per half-hour (bars) against the Erlang C and Erlang A recommendations
    (steps), with the calls offered on a second axis."""
    x = [r.start.strftime("%H:%M") for r in report.rows]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=x,
            y=[round(r.agents_working, 1) for r in report.rows],
            name=_("Agents working (data)"),
            marker={"color": "#adb5bd"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r.erlang_c for r in report.rows],
            name=_("Recommended (Erlang C)"),
            mode="lines+markers",
            line={"shape": "hv", "color": "#0d6efd"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r.erlang_a for r in report.rows],
            name=_("Recommended (Erlang A)"),
            mode="lines+markers",
            line={"shape": "hv", "color": "#198754"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[round(r.calls, 1) for r in report.rows],
            name=_("Calls offered"),
            mode="lines",
            line={"dash": "dot", "color": "#fd7e14"},
            yaxis="y2",
        )
    )
    fig.update_layout(
        title={"text": _("Agents working and agents recommended over the day"), "x": 0},
        xaxis={"title": _("Half-hour starting"), "type": "category"},
        yaxis={"title": _("Agents"), "rangemode": "tozero"},
        yaxis2={
            "title": _("Calls offered"),
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickformat": ",.0f",
        },
        margin={"l": 50, "r": 50, "t": 40, "b": 50},
        height=400,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.25},
        hovermode="x unified",
        barmode="overlay",
    )
    return fig.to_html(
        full_html=False, include_plotlyjs=False, config=CONFIG, div_id="history-chart"
    )


def _summary(month: history.InboundReport) -> list[dict]:
    t = month.totals
    patience = month.patience_s
    return [
        {
            "key": "offered",
            "label": _("Calls offered"),
            "value": _num(t.offered, 0),
            "note": _("%(answered)s answered, %(abandoned)s abandoned")
            % {"answered": _num(t.answered, 0), "abandoned": _num(t.abandoned, 0)},
        },
        {
            "key": "sl15",
            "label": _("Answered within 15 s"),
            "value": _pct(t.sl15),
            "note": _("of calls offered; %(pct)s not counting calls abandoned within 15 s")
            % {"pct": _pct(t.sl15_excl)},
        },
        {
            "key": "sl20",
            "label": _("Answered within 20 s"),
            "value": _pct(t.sl20),
            "note": _("of calls offered; %(pct)s not counting calls abandoned within 20 s")
            % {"pct": _pct(t.sl20_excl)},
        },
        {
            "key": "abandoned",
            "label": _("Abandoned"),
            "value": _pct(t.abandonment),
            "note": _("hung up in the queue, of calls offered"),
        },
        {
            "key": "third_ring",
            "label": _("Answered by the third ring"),
            "value": _pct(t.third_ring_share),
            "note": _("of answered calls; %(pct)s of calls offered")
            % {"pct": _pct(t.third_ring_of_offered)},
        },
        {
            "key": "aht",
            "label": _("Mean talk time"),
            "value": _("%(s)s s") % {"s": _num(t.aht_s, 0)},
            "note": _("mean wait of answered calls %(s)s s") % {"s": _num(t.asa_s, 0)},
        },
        {
            "key": "patience",
            "label": _("Mean patience (Erlang A)"),
            "value": _("%(s)s s") % {"s": _num(patience, 0)} if math.isfinite(patience) else "—",
            "note": _("total queue time of the calls offered / calls abandoned"),
        },
    ]


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


@login_required
def history_view(request):
    if not can_view_history(request.user):
        raise DjangoPermissionDenied
    sources = history.import_sources()
    context = {"sources": sources, "command": "manage.py import_inbound_calls"}
    if not sources:
        return render(request, "staffing/history.html", context)
    names = [s["source"] for s in sources]
    source = request.GET.get("source")
    if source not in names:
        source = names[0]
    day = _day(request.GET.get("day", ""))
    month = history.inbound_report(source, plan_days=False, plan_week=day is None)
    days = {d.day: d for d in month.days}
    if day not in days:
        day = None
        if month.working_week is None:  # no Sunday–Thursday in the data: show the first day
            day = month.days[0].day
    if day is None:
        shown = month.working_week
    else:
        shown = history.inbound_report(source, day, day, patience_s=month.patience_s).days[0]
    context.update(
        {
            "source": source,
            "month": month,
            "day": day,
            "days": month.days,
            "shown": shown,
            "table": _table(shown),
            "chart": history_chart(shown),
            "summary": _summary(month),
            "target_sl": f"{month.target.service_level:.0%}",
            "target_s": f"{month.target.answer_s:g}",
        }
    )
    return render(request, "staffing/history.html", context)
