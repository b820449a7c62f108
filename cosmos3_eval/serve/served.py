"""What every router shares: the served model behind its lock, and the HTTP error shape."""

import asyncio
import threading
import uuid
from collections.abc import Callable
from typing import Any

from cosmos3_eval.api.model import ModelInfo, capabilities, check_outputs
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.protocols import WireFormatError


def _first_output(out: list[Any]) -> Any:
    (first,) = check_outputs(out, 1)
    if isinstance(first, Exception):
        raise first
    return first


class Served:
    """The model plus the lock that serialises calls into it (models need not be thread-safe).

    Args:
        model: Any model object (``info`` plus capability methods).

    Attributes:
        name: The model name reported to clients (its revision, else its registry name).
    """

    def __init__(self, model: Any):
        self.model = model
        self.info: ModelInfo = model.info
        self.caps = capabilities(model)
        self.lock = threading.Lock()
        self.name = self.info.revision or self.info.name

    def call(self, method: str, request: Any) -> Any:
        """Run one request through the capability ``method`` and return its one output."""
        with self.lock:
            return _first_output(getattr(self.model, method)([request]))

    async def run(self, method: str, build: Callable[[], Any]) -> Any:
        """Decode a request with ``build`` and call the model, both in a worker thread.

        The event loop stays free meanwhile.

        Raises:
            WireFormatError: The request did not decode (the client's fault: HTTP 400).
        """

        def work() -> Any:
            try:
                req = build()
            except WireFormatError:
                raise
            except (ModelOutputError, KeyError, TypeError, ValueError) as exc:
                # Undecodable media or a malformed body is the client's fault: HTTP 400.
                raise WireFormatError(f"{type(exc).__name__}: {exc}") from exc
            return self.call(method, req)

        return await asyncio.to_thread(work)


CLIENT_ERRORS = (WireFormatError, ValueError, KeyError, TypeError)
"""Exceptions a handler answers with HTTP 400 rather than 500."""


def error_response(status: int, message: str, kind: str) -> Any:
    """An OpenAI-style error body with ``status``."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def request_id(headers: Any) -> str:
    """The client's ``X-Request-Id`` header, else a fresh id."""
    return headers.get("x-request-id") or uuid.uuid4().hex
