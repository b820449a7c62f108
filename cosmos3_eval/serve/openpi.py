"""``serve --protocol openpi``: a WebSocket at ``/`` speaking msgpack-numpy.

The first message is the server metadata, then one reply ``{"actions": (T, dim)}`` per
observation, as OpenPI servers do. The codec is :mod:`cosmos3_eval.protocols.openpi`, the
same one :mod:`cosmos3_eval.models.openpi` uses.

An error is sent as one text message (OpenPI's convention; the client raises it) and the
socket is closed with a proper close frame: 1003 for a text frame, 1007 for a malformed
observation, 1011 for a server fault. The text names the problem, never a traceback or path.
"""

import logging
import time
from typing import Any

from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.protocols import WireFormatError
from cosmos3_eval.protocols import openpi as wire
from cosmos3_eval.serve.served import Served, public_message

UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007
INTERNAL_ERROR = 1011

log = logging.getLogger("cosmos3_eval.serve")


def add_routes(app: Any, served: Served) -> None:
    """Add the policy WebSocket for ``served`` to the FastAPI ``app``."""
    # FastAPI reads the handler annotations at definition time: no postponed annotations here.
    from fastapi import WebSocket
    from starlette.websockets import WebSocketDisconnect

    metadata = wire.server_metadata(served.name, served.info.action_spec)
    limits = served.limits.media

    async def fail(ws: WebSocket, code: int, message: str) -> None:
        try:
            await ws.send_text(f"error: {message}")
            await ws.close(code=code)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client is already gone

    @app.websocket("/")
    async def policy(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_bytes(wire.pack_msgpack(metadata))
        while True:
            try:
                message = await ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                await fail(ws, UNSUPPORTED_DATA, "expected a binary msgpack observation")
                return
            start = time.monotonic()
            try:
                out = await served.run(
                    "act",
                    lambda d=data: wire.act_request_from_obs(wire.unpack_untrusted(d), limits),
                )
                reply = wire.pack_msgpack(
                    wire.actions_reply(out, 1000 * (time.monotonic() - start))
                )
            except (WireFormatError, ModelOutputError) as exc:
                await fail(ws, INVALID_PAYLOAD, public_message(exc))
                return
            except Exception:
                log.exception("openpi observation failed")
                await fail(ws, INTERNAL_ERROR, "internal server error")
                return
            try:
                await ws.send_bytes(reply)
            except (WebSocketDisconnect, RuntimeError):
                return
