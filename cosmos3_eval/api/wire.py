"""Wire bytes of network adapters: one thread-safe counter every adapter exposes as ``wire``.

The runner reads ``model.wire.snapshot()`` before and after a task and puts the difference in
the manifest's ``cost`` section (``bytes_sent`` / ``bytes_received``). Counts are HTTP bodies
plus header lines (every attempt, retries included) or WebSocket message payloads; framing
below that (TLS, TCP, WebSocket frame headers) is not counted.
"""

from __future__ import annotations

import threading
from typing import Any


def _header_bytes(headers: Any) -> int:
    return sum(len(str(k)) + len(str(v)) + 4 for k, v in headers.items())


def _size(data: Any) -> int:
    return len(data.encode() if isinstance(data, str) else data)


class WireCounter:
    """Bytes sent and received by one model adapter (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.received = 0

    def add(self, sent: int = 0, received: int = 0) -> None:
        """Count ``sent`` and ``received`` bytes."""
        with self._lock:
            self.sent += int(sent)
            self.received += int(received)

    def snapshot(self) -> dict[str, int]:
        """``{"sent": bytes, "received": bytes}`` so far."""
        with self._lock:
            return {"sent": self.sent, "received": self.received}

    def httpx_hooks(self) -> dict[str, list[Any]]:
        """``event_hooks`` for an ``httpx.Client`` that count every request and response."""

        def on_request(request: Any) -> None:
            try:
                body = len(request.content)
            except Exception:  # a streamed body not read yet (httpx.RequestNotRead)
                body = 0
            self.add(sent=body + _header_bytes(request.headers) + len(str(request.url)))

        def on_response(response: Any) -> None:
            response.read()
            self.add(received=len(response.content) + _header_bytes(response.headers))

        return {"request": [on_request], "response": [on_response]}

    def requests_hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A ``requests`` response hook (``session.hooks["response"].append(...)``)."""
        req = response.request
        self.add(
            sent=_size(req.body or b"") + _header_bytes(req.headers) + len(req.url or ""),
            received=len(response.content) + _header_bytes(response.headers),
        )
        return response

    def socket(self, ws: Any) -> Any:
        """Wrap a WebSocket connection so its messages are counted."""
        return _CountingSocket(ws, self)


class _CountingSocket:
    """Forwards to a WebSocket connection, counting ``send`` / ``recv`` payloads."""

    def __init__(self, ws: Any, counter: WireCounter) -> None:
        self._ws, self._counter = ws, counter

    def send(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        self._counter.add(sent=_size(data))
        return self._ws.send(data, *args, **kwargs)

    def recv(self, *args: Any, **kwargs: Any) -> Any:
        data = self._ws.recv(*args, **kwargs)
        self._counter.add(received=_size(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)
