"""Plotly charts of the scorecards and the Customer Care Center dashboard, as HTML fragments
(the page loads the bundled plotly script once from static; no CDN)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from servicefirst.satisfaction.selectors import CareCenterDashboard, Figures

CONFIG = {"displayModeBar": False, "responsive": True}


def _html(fig, div_id: str, height: int = 320) -> str:
    fig.update_layout(
        margin={"l": 50, "r": 50, "t": 40, "b": 40},
        height=height,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id)


def satisfaction_trend(trend: list[tuple], div_id: str = "satisfaction-chart") -> str:
    """CSAT (left axis, 1–5) and NPS (right axis, −100…100) per week or month."""
    x = [b.isoformat() for b, _f in trend]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(name=_("CSAT (1–5)"), x=x, y=[f.csat for _b, f in trend], mode="lines+markers")
    )
    fig.add_trace(
        go.Scatter(
            name=_("NPS"),
            x=x,
            y=[f.nps for _b, f in trend],
            mode="lines+markers",
            yaxis="y2",
            line={"dash": "dot"},
        )
    )
    fig.update_layout(
        title={"text": _("Customer satisfaction over time"), "x": 0},
        xaxis={"type": "category"},
        yaxis={"range": [1, 5.2], "title": {"text": _("CSAT")}},
        yaxis2={
            "range": [-100, 100],
            "overlaying": "y",
            "side": "right",
            "title": {"text": _("NPS")},
        },
    )
    return _html(fig, div_id)


def results_trend(trend: list[tuple[object, Figures]], div_id: str = "results-chart") -> str:
    """Commitments met (%) and response rate (%) per week or month, with sales and requests
    resolved as counts on the right axis."""
    x = [b.isoformat() for b, _f in trend]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            name=_("Commitments met (%)"),
            x=x,
            y=[f.attainment for _b, f in trend],
            mode="lines+markers",
        )
    )
    fig.add_trace(
        go.Scatter(
            name=_("Response rate (%)"),
            x=x,
            y=[f.response_rate for _b, f in trend],
            mode="lines+markers",
            line={"dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            name=_("Sales through service"),
            x=x,
            y=[f.sales for _b, f in trend],
            mode="lines+markers",
            yaxis="y2",
        )
    )
    fig.add_trace(
        go.Scatter(
            name=_("Requests resolved"),
            x=x,
            y=[f.requests_resolved for _b, f in trend],
            mode="lines+markers",
            yaxis="y2",
        )
    )
    fig.update_layout(
        title={"text": _("Results over time"), "x": 0},
        xaxis={"type": "category"},
        yaxis={"range": [0, 105], "title": {"text": "%"}},
        yaxis2={"rangemode": "tozero", "overlaying": "y", "side": "right"},
    )
    return _html(fig, div_id)


def contacts_heatmap(board: CareCenterDashboard) -> str:
    """Contacts handled by hour of day × day of week."""
    days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    fig = go.Figure(
        go.Heatmap(
            z=board.heatmap,
            x=[f"{h:02d}" for h in range(24)],
            y=days,
            colorscale="Blues",
            hovertemplate="%{y} %{x}:00 — %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": _("Contacts handled by hour and day of week"), "x": 0},
        xaxis={"type": "category", "title": {"text": _("Hour")}},
        yaxis={"autorange": "reversed"},
    )
    return _html(fig, "contacts-heatmap", height=340)


def contacts_per_day(board: CareCenterDashboard) -> str:
    x = [d.isoformat() for d, _c, _r in board.per_day]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Calls"), x=x, y=[c for _d, c, _r in board.per_day]))
    fig.add_trace(go.Bar(name=_("Requests"), x=x, y=[r for _d, _c, r in board.per_day]))
    fig.update_layout(
        barmode="stack",
        title={"text": _("Contacts handled per day"), "x": 0},
        xaxis={"type": "category"},
        yaxis={"rangemode": "nonnegative"},
    )
    return _html(fig, "contacts-per-day")
