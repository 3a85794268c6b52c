"""Live floor updates: after a change commits, every open board, display and teller page of
the branch is told to refresh the parts it shows (over Channels; see consumers.py)."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def group_name(branch_id: int) -> str:
    return f"floor.{branch_id}"


def _send(branch_id: int, what: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(branch_id), {"type": "floor.changed", "what": what})


def notify_floor(branch_id: int, what: str = "queue") -> None:
    """Tell the branch's live pages that `what` changed (queue, counters, alerts, lobby),
    once the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: _send(branch_id, what))
