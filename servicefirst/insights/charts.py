"""Plotly charts of the acceptance dashboard, as HTML fragments (the plotly bundle is served
once from static by the page)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from servicefirst.insights.models import OfferEvent

MAX_PRODUCTS = 8
CONFIG = {"displayModeBar": False, "responsive": True}


def _html(fig, div_id: str) -> str:
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 30, "b": 40},
        height=340,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.15},
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id)


def funnel_chart(rows) -> str:
    """Customers at each stage, one bar group per stage and one colour per product."""
    stages = [str(label) for _value, label in OfferEvent.Stage.choices]
    fig = go.Figure()
    for row in rows[:MAX_PRODUCTS]:
        name = f"★ {row.product}" if row.product.is_flagship else str(row.product)
        fig.add_trace(go.Bar(name=name, x=stages, y=row.counts))
    fig.update_layout(barmode="group", title={"text": _("Customers at each stage"), "x": 0})
    return _html(fig, "funnel-chart")


def matrix_chart(products, table) -> str:
    """Lifecycle classes × products, as a heat map of customers holding each."""
    fig = go.Figure(
        go.Heatmap(
            z=[counts for _value, _label, counts in table],
            x=[str(p) for p in products],
            y=[str(label) for _value, label, _counts in table],
            colorscale="Blues",
            hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(title={"text": _("Holders by class and product"), "x": 0})
    return _html(fig, "matrix-chart")
