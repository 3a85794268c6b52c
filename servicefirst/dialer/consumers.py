"""The contact centre's websockets. They carry only "something changed" pings (no personal
data); the pages then refresh their fragments over HTTP, where permissions apply.

- ws/contact/agent/: the logged-in member of staff's own group (their desktop, and the
  "Calling…" state of a click-to-dial button); nobody can listen to another's group.
- ws/contact/board/: the supervisors' board (`contact.supervise`)."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.dialer.live import BOARD_GROUP, agent_group


@database_sync_to_async
def _staff_id(user) -> int | None:
    staff = staff_of(user)
    return staff.pk if staff is not None else None


@database_sync_to_async
def _may_supervise(user) -> bool:
    return scope_for(user, Action.CONTACT_SUPERVISE) > Scope.NONE


class _Pings(AsyncJsonWebsocketConsumer):
    group = ""

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def dialer_changed(self, event):
        await self.send_json({"event": "changed", "what": event.get("what", "state")})


class AgentConsumer(_Pings):
    async def connect(self):
        staff_id = await _staff_id(self.scope.get("user"))
        if staff_id is None:
            await self.close(code=4403)
            return
        self.group = agent_group(staff_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()


class BoardConsumer(_Pings):
    async def connect(self):
        if not await _may_supervise(self.scope.get("user")):
            await self.close(code=4403)
            return
        self.group = BOARD_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
