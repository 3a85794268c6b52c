"""The planner's chart over the day, as an HTML fragment (the plotly bundle is served once from
static by the page, as in servicefirst/insights/charts.py)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

CONFIG = {"displayModeBar": False, "responsive": True}


def agents_chart(plan) -> str:
    """Agents needed per half-hour by Erlang C and Erlang A, with the offered load."""
    x = [r.interval.start.strftime("%H:%M") for r in plan.rows]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[round(r.traffic, 1) for r in plan.rows],
            name=_("Offered load (Erlangs)"),
            mode="lines",
            line={"dash": "dot", "color": "#adb5bd"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r.erlang_c.agents for r in plan.rows],
            name=_("Agents (Erlang C)"),
            mode="lines+markers",
            line={"shape": "hv", "color": "#0d6efd"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r.erlang_a.agents for r in plan.rows],
            name=_("Agents (Erlang A)"),
            mode="lines+markers",
            line={"shape": "hv", "color": "#198754"},
        )
    )
    fig.update_layout(
        title={"text": _("Agents needed over the day"), "x": 0},
        xaxis={"title": _("Half-hour starting"), "type": "category"},
        yaxis={"title": _("Agents"), "rangemode": "tozero"},
        margin={"l": 50, "r": 10, "t": 40, "b": 50},
        height=380,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.25},
        hovermode="x unified",
    )
    return fig.to_html(
        full_html=False, include_plotlyjs=False, config=CONFIG, div_id="staffing-chart"
    )
