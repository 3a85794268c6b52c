"""Plotly charts of the advertising effect, as HTML fragments (the plotly bundle is served once
from static by the page, as on the insight pages)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from servicefirst.insights.charts import _html
from servicefirst.lobby.models import WalkIn
from servicefirst.lobby.selectors import AdvertisingEffect


def _week_labels(effect: AdvertisingEffect) -> list[str]:
    return [w.strftime("%m-%d") for w in effect.weeks]


def walkins_by_channel_chart(effect: AdvertisingEffect) -> str:
    """Walk-ins per week, stacked by the channel that brought them in, with the new customers
    they became as a line."""
    labels = dict(WalkIn.Channel.choices)
    x = _week_labels(effect)
    fig = go.Figure()
    for channel, series in effect.by_channel.items():
        fig.add_trace(
            go.Bar(
                name=str(labels.get(channel, channel)),
                x=x,
                y=[series[w].walk_ins for w in effect.weeks],
            )
        )
    new_customers = [
        sum(series[w].new_customers for series in effect.by_channel.values()) for w in effect.weeks
    ]
    fig.add_trace(
        go.Scatter(
            name=_("New customers"),
            x=x,
            y=new_customers,
            mode="lines+markers",
            line={"color": "#198754", "width": 3},
        )
    )
    fig.update_layout(
        barmode="stack",
        title={"text": _("Walk-ins per week by channel"), "x": 0},
        xaxis_title=_("Week starting"),
        xaxis={"type": "category"},
    )
    return _html(fig, "advertising-channel-chart")


def funnel_by_campaign_chart(effect: AdvertisingEffect) -> str:
    """Walk-ins, prospects and new customers per campaign, as horizontal bars (campaign names
    are long)."""
    names = [name or _("No campaign") for name in effect.campaign_totals]
    totals = list(effect.campaign_totals.values())
    fig = go.Figure()
    for label, values in (
        (_("Walk-ins"), [t.walk_ins for t in totals]),
        (_("Prospects"), [t.prospects for t in totals]),
        (_("New customers"), [t.new_customers for t in totals]),
    ):
        fig.add_trace(go.Bar(name=label, y=names, x=values, orientation="h"))
    fig.update_layout(
        barmode="group",
        title={"text": _("By campaign"), "x": 0},
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
    )
    return _html(fig, "advertising-campaign-chart")
