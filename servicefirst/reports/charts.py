"""Plotly charts of the branch report, as HTML fragments (the page loads the bundled plotly
script once from static; no CDN)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from servicefirst.reports.selectors import BranchReport
from servicefirst.reports.tables import minutes

CONFIG = {"displayModeBar": False, "responsive": True}


def _html(fig, div_id: str) -> str:
    fig.update_layout(
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=320,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id)


def waits_chart(report: BranchReport) -> str:
    """Mean and 90th-percentile wait per day, against the branch's commitment."""
    days = [f.day.isoformat() for f in report.days]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(name=_("Mean wait"), x=days, y=[minutes(f.mean_wait_s) for f in report.days])
    )
    fig.add_trace(
        go.Scatter(
            name=_("90th percentile"),
            x=days,
            y=[minutes(f.p90_wait_s) for f in report.days],
            mode="lines+markers",
        )
    )
    fig.add_trace(
        go.Scatter(
            name=_("Commitment (%(minutes)s min)") % {"minutes": report.commitment_minutes},
            x=days,
            y=[report.commitment_minutes] * len(days),
            mode="lines",
            line={"dash": "dash", "color": "#dc3545"},
        )
    )
    fig.update_layout(
        title={"text": _("Waits per day (minutes)"), "x": 0},
        xaxis={"type": "category"},
        yaxis={"rangemode": "tozero"},
    )
    return _html(fig, "waits-chart")


def service_chart(report: BranchReport) -> str:
    """Mean and 90th-percentile service time per service."""
    names = [str(s.service) for s in report.services]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            name=_("Mean service time"),
            x=names,
            y=[minutes(s.mean_service_s) for s in report.services],
        )
    )
    fig.add_trace(
        go.Bar(
            name=_("90th percentile"),
            x=names,
            y=[minutes(s.p90_service_s) for s in report.services],
        )
    )
    fig.update_layout(
        barmode="group", title={"text": _("Service times per service (minutes)"), "x": 0}
    )
    return _html(fig, "service-chart")


def walkins_chart(report: BranchReport) -> str:
    """Walk-ins, new prospects and hand-offs per day."""
    days = [f.day.isoformat() for f in report.days]
    peak = max((max(f.walk_ins, f.prospects, f.handoffs) for f in report.days), default=0)
    fig = go.Figure()
    for label, key in (
        (_("Walk-ins"), "walk_ins"),
        (_("Prospects"), "prospects"),
        (_("Hand-offs"), "handoffs"),
    ):
        fig.add_trace(go.Bar(name=label, x=days, y=[getattr(f, key) for f in report.days]))
    fig.update_layout(
        barmode="group",
        title={"text": _("Walk-ins per day"), "x": 0},
        xaxis={"type": "category"},
        yaxis={"rangemode": "nonnegative"},
    )
    if peak < 10:  # whole visitors: no half ticks (and an empty range still starts at 0)
        fig.update_yaxes(dtick=1, range=[0, max(peak, 1) * 1.1])
    return _html(fig, "walkins-chart")
