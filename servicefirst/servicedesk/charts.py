"""Plotly charts of the request report, as HTML fragments (the page loads the bundled plotly
script from static; no CDN)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from servicefirst.servicedesk.reports import RequestReport

CONFIG = {"displayModeBar": False, "responsive": True}


def opened_resolved_chart(report: RequestReport) -> str:
    """Requests opened and resolved per day of the period."""
    days = [d.day.isoformat() for d in report.per_day]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Opened"), x=days, y=[d.opened for d in report.per_day]))
    fig.add_trace(go.Bar(name=_("Resolved"), x=days, y=[d.resolved for d in report.per_day]))
    fig.update_layout(
        title={"text": _("Requests opened and resolved per day"), "x": 0},
        barmode="group",
        xaxis={"type": "category"},
        yaxis={"rangemode": "tozero"},
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=320,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html(
        full_html=False, include_plotlyjs=False, config=CONFIG, div_id="sd-opened-resolved-chart"
    )
