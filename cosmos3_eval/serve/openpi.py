"""``serve --protocol openpi``: a WebSocket at ``/`` speaking msgpack-numpy.

The first message is the server metadata, then one reply ``{"actions": (T, dim)}`` per
observation, as OpenPI servers do. The codec is :mod:`cosmos3_eval.protocols.openpi`, the
same one :mod:`cosmos3_eval.models.openpi` uses.
"""

import time
import traceback
from typing import Any

from cosmos3_eval.protocols import openpi as wire
from cosmos3_eval.serve.served import Served


def add_routes(app: Any, served: Served) -> None:
    """Add the policy WebSocket for ``served`` to the FastAPI ``app``."""
    # FastAPI reads the handler annotations at definition time: no postponed annotations here.
    from fastapi import WebSocket, WebSocketDisconnect

    metadata = wire.server_metadata(served.name, served.info.action_spec)

    @app.websocket("/")
    async def policy(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_bytes(wire.pack_msgpack(metadata))
        try:
            while True:
                data = await ws.receive_bytes()
                start = time.monotonic()
                try:
                    out = await served.run(
                        "act", lambda d=data: wire.act_request_from_obs(wire.unpack_msgpack(d))
                    )
                    reply = wire.actions_reply(out, 1000 * (time.monotonic() - start))
                    await ws.send_bytes(wire.pack_msgpack(reply))
                except Exception:
                    # OpenPI convention: an error is sent as text, then the socket closes.
                    await ws.send_text(traceback.format_exc())
                    await ws.close(code=1011)
                    return
        except WebSocketDisconnect:
            return
