"""Plotly charts of the attainment report, as HTML fragments (the page loads the bundled plotly
script once from static; no CDN)."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
from django.utils.translation import gettext as _

CONFIG = {"displayModeBar": False, "responsive": True}
GOAL_COLOURS = ("#dc3545", "#fd7e14", "#6f42c1", "#20c997")


def _html(fig, div_id: str) -> str:
    fig.update_layout(
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=340,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id)


def trend_chart(
    *,
    periods: list[dt.date],
    series: list[tuple[str, dict[dt.date, float | None]]],
    goals: list[float],
) -> str:
    """Attainment % per period, one line per selected row (label, {period: percent}), with
    each goal among them as a dashed line."""
    x = [p.isoformat() for p in periods]
    fig = go.Figure()
    for label, points in series:
        fig.add_trace(
            go.Scatter(
                name=label,
                x=x,
                y=[points.get(p) for p in periods],
                mode="lines+markers",
                connectgaps=False,
            )
        )
    for i, goal in enumerate(sorted(set(goals))):
        fig.add_trace(
            go.Scatter(
                name=_("Goal %(goal)s%%") % {"goal": f"{goal:g}"},
                x=x,
                y=[goal] * len(x),
                mode="lines",
                line={"dash": "dash", "color": GOAL_COLOURS[i % len(GOAL_COLOURS)]},
            )
        )
    fig.update_layout(
        title={"text": _("Attainment per period (%)"), "x": 0},
        xaxis={"type": "category"},
        yaxis={"range": [0, 105]},
    )
    return _html(fig, "attainment-trend")


def units_chart(*, title: str, bars: list[tuple[str, float | None, int]]) -> str:
    """Attainment % per unit or branch: (name, percent, closed cases)."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            name=_("Attainment (%)"),
            x=[name for name, _p, _n in bars],
            y=[p for _name, p, _n in bars],
            customdata=[n for _name, _p, n in bars],
            hovertemplate="%{x}: %{y}% (%{customdata})<extra></extra>",
        )
    )
    fig.update_layout(title={"text": title, "x": 0}, yaxis={"range": [0, 105]})
    return _html(fig, "attainment-units")
