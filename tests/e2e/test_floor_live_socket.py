"""The floor's websocket, through the real ASGI server and Redis: a change at a branch reaches
that branch's live pages and no other branch's."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import websockets

from servicefirst.floor.live import notify_floor


def test_floor_change_reaches_that_branchs_pages_only(asgi_server, e2e_org):
    branch, other = e2e_org["branch"], e2e_org["other_branch"]
    ws_base = asgi_server.url.replace("http://", "ws://")
    headers = {"Origin": asgi_server.url}

    async def scenario():
        async with (
            websockets.connect(f"{ws_base}/ws/floor/{branch.pk}/", origin=headers["Origin"]) as a,
            websockets.connect(f"{ws_base}/ws/floor/{other.pk}/", origin=headers["Origin"]) as b,
        ):
            await asyncio.sleep(0.3)
            await asyncio.to_thread(notify_floor, branch.pk, "queue")
            msg = json.loads(await asyncio.wait_for(a.recv(), timeout=5))
            assert msg == {"event": "changed", "what": "queue"}
            try:
                await asyncio.wait_for(b.recv(), timeout=0.5)
                raise AssertionError("the other branch was told of a change it did not have")
            except TimeoutError:
                pass

    # Its own thread: Playwright's sync API may have left an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()
