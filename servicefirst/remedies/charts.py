"""Plotly charts of the remedy report, as HTML fragments (the page loads the bundled plotly
script from static; no CDN)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from servicefirst.remedies.selectors import RemedyReport

CONFIG = {"displayModeBar": False, "responsive": True}


def _html(fig, div_id: str) -> str:
    fig.update_layout(
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=320,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
        barmode="group",
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id)


def remedied_chart(report: RemedyReport) -> str:
    """Breaches to customers per unit, next to those remedied with an apology."""
    names = [str(line.unit) for line in report.units]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Breaches"), x=names, y=[u.breaches for u in report.units]))
    fig.add_trace(go.Bar(name=_("Apologised"), x=names, y=[u.apologised for u in report.units]))
    fig.update_layout(title={"text": _("Breaches and apologies per unit"), "x": 0})
    return _html(fig, "remedied-chart")


def cost_chart(report: RemedyReport) -> str:
    """Gift cost per unit against its budget for the months of the period (yuan)."""
    names = [str(line.unit) for line in report.units]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Gift cost"), x=names, y=[float(u.cost) for u in report.units]))
    fig.add_trace(go.Bar(name=_("Budget"), x=names, y=[float(u.budget) for u in report.units]))
    fig.update_layout(title={"text": _("Gift cost against budget (¥)"), "x": 0})
    return _html(fig, "cost-chart")
