"""Live contact-centre updates over Channels. Only "something changed" pings travel on the
websocket (no personal data); pages then refresh their fragments over HTTP, where permissions
apply. Groups: one per agent (their desktop) and one for the supervisors' board."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

BOARD_GROUP = "dialer.board"


def agent_group(staff_id: int) -> str:
    return f"dialer.agent.{staff_id}"


def _send(group: str, what: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": "dialer.changed", "what": what})


def notify_agent(staff_id: int | None, what: str = "state") -> None:
    """Tell an agent's desktop that `what` changed (state, call, callbacks), after commit."""
    if staff_id:
        group = agent_group(staff_id)
        transaction.on_commit(lambda: _send(group, what))


def notify_board(what: str = "board") -> None:
    """Tell every supervisor's board to refresh, after commit."""
    transaction.on_commit(lambda: _send(BOARD_GROUP, what))
