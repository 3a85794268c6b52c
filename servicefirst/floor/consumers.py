"""The websocket every live floor page listens on. It carries only "something changed" pings
(no personal data): the page then refreshes its fragments over HTTP, where permissions apply."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from servicefirst.floor.live import group_name


class FloorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = group_name(int(self.scope["url_route"]["kwargs"]["branch_id"]))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def floor_changed(self, event):
        await self.send_json({"event": "changed", "what": event.get("what", "queue")})
