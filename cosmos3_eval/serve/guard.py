"""What makes ``serve`` safe to face a network: request limits and optional bearer-token auth.

:class:`Guard` is a plain ASGI middleware in front of every router: it refuses a request
without the API key (401, or WebSocket close 1008) and a body over the size limit (413, read
from ``Content-Length`` and counted as the body streams in), before any handler runs.
"""

import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from cosmos3_eval.api.media import MediaLimits

OPEN_PATHS = frozenset({"/health", "/"})
"""HTTP GET paths served without the API key (health checks; ``/`` is NVIDIA's health)."""


@dataclass(frozen=True)
class ServeLimits:
    """Bounds on what one request may make the server read, decode or produce.

    Attributes:
        max_body_bytes: Request body (or WebSocket message) size.
        media: Image size, frame count and pixel bounds of decoded and requested media.
    """

    max_body_bytes: int = 32 * 2**20
    media: MediaLimits = field(default_factory=MediaLimits)


class BodyTooLarge(Exception):
    """The request body exceeded :attr:`ServeLimits.max_body_bytes` (HTTP 413)."""


def _json(status: int, message: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"error": {"message": message, "type": kind}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


class Guard:
    """ASGI middleware: API-key check and body-size limit.

    Args:
        app: The wrapped ASGI app.
        limits: The body-size limit.
        api_key: Required token (``Authorization: Bearer <key>``, or OpenPI's ``Api-Key
            <key>``); ``None`` serves without authentication.
    """

    def __init__(self, app: Any, limits: ServeLimits, api_key: str | None = None):
        self.app = app
        self.limits = limits
        self.api_key = api_key

    def _authorized(self, scope: dict[str, Any]) -> bool:
        if self.api_key is None:
            return True
        if scope["type"] == "http" and scope.get("method") == "GET" and scope["path"] in OPEN_PATHS:
            return True
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() not in ("bearer", "api-key"):
            return False
        # Constant-time comparison: the check must not leak the key byte by byte.
        return hmac.compare_digest(token.strip().encode(), self.api_key.encode())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not self._authorized(scope):
            if scope["type"] == "websocket":
                await receive()  # websocket.connect; closing before accept answers HTTP 403
                await send({"type": "websocket.close", "code": 1008})
            else:
                for message in _json(401, "missing or invalid API key", "authentication_error"):
                    await send(message)
            return
        if scope["type"] == "websocket":  # message size is uvicorn's ws_max_size
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_body_bytes
        length = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            for message in _json(413, f"request body over {limit} bytes", "request_too_large"):
                await send(message)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # a chunked body that lied about (or omitted) its length
                raise BodyTooLarge(f"request body over {limit} bytes")
            return message

        await self.app(scope, counted, send)
