"""What every router shares: the served model behind its lock, and the HTTP error shape.

A client error is answered 4xx with a JSON body whose message names the problem; anything
else is 500 with a generic message and the request id, the traceback going to the server log
only. No message carries a server path, a traceback or a credential (:func:`public_message`).
"""

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from cosmos3_eval.api.media import Cancelled
from cosmos3_eval.api.model import ModelInfo, capabilities, check_outputs
from cosmos3_eval.api.redact import redact_text
from cosmos3_eval.errors import ModelOutputError, UserError
from cosmos3_eval.protocols import WireFormatError, loads_json
from cosmos3_eval.serve.guard import BodyTooLarge, ServeLimits

log = logging.getLogger("cosmos3_eval.serve")

_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.~+-]+){2,}[\\/]?")
_MAX_MESSAGE = 300


def public_message(exc: BaseException) -> str:
    """``exc`` as a message safe to send to a client: no paths, credentials or huge echoes."""
    text = redact_text(_PATH.sub("<path>", str(exc)))
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


def _first_output(out: list[Any]) -> Any:
    (first,) = check_outputs(out, 1)
    if isinstance(first, Exception):
        raise first
    return first


class Served:
    """The model plus the lock that serialises calls into it (models need not be thread-safe).

    Args:
        model: Any model object (``info`` plus capability methods).
        limits: Request limits (default :class:`ServeLimits`).

    Attributes:
        name: The model name reported to clients (its revision, else its registry name).
    """

    def __init__(self, model: Any, limits: ServeLimits | None = None):
        self.model = model
        self.info: ModelInfo = model.info
        self.caps = capabilities(model)
        self.lock = threading.Lock()
        self.name = self.info.revision or self.info.name
        self.limits = limits or ServeLimits()

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
            except (WireFormatError, ModelOutputError) as exc:
                raise WireFormatError(public_message(exc)) from None
            except (KeyError, TypeError, ValueError, OverflowError, RecursionError) as exc:
                # A request record refused the decoded values: still the client's fault.
                raise WireFormatError(f"{type(exc).__name__}: {public_message(exc)}") from None
            try:
                return self.call(method, req)
            except UserError as exc:
                # The model needs something the request lacks (e.g. the task's action spec).
                raise WireFormatError(public_message(exc)) from None

        return await asyncio.to_thread(work)


async def read_json(request: Any) -> Any:
    """The request body parsed as JSON (any JSON value; the codec validates its shape).

    Raises:
        WireFormatError: Not JSON or nested too deeply.
        BodyTooLarge: Over the body limit (from :class:`~cosmos3_eval.serve.guard.Guard`).
    """
    return loads_json(await request.body(), "request body")


async def until_disconnect(request: Any, work: Callable[[threading.Event], Any]) -> Any:
    """Run ``work(cancel)`` in a thread; set ``cancel`` if the client disconnects meanwhile.

    ``work`` stops its child processes when ``cancel`` is set (the video encoder's ffmpeg),
    so nothing outlives a request whose client has gone.
    """
    cancel = threading.Event()
    task = asyncio.ensure_future(asyncio.to_thread(work, cancel))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=0.2)
            if not task.done() and await request.is_disconnected():
                cancel.set()
        return task.result()
    finally:
        cancel.set()  # also on this coroutine's own cancellation (server shutdown)


async def respond(
    request: Any,
    handler: Callable[[], Awaitable[Any]],
    error: Callable[[int, str, str], Any] | None = None,
) -> Any:
    """``await handler()``, mapping exceptions to the error responses of the protocol.

    Args:
        request: The Starlette request (for its id in the server log).
        handler: Produces the success response.
        error: ``(status, message, kind) -> response``; default :func:`error_response`.
    """
    error = error or error_response
    try:
        return await handler()
    except BodyTooLarge as exc:
        return error(413, str(exc), "request_too_large")
    except (WireFormatError, ModelOutputError) as exc:
        return error(400, public_message(exc), "invalid_request_error")
    except Cancelled:
        return error(499, "request cancelled", "cancelled")  # nobody is listening
    except Exception:
        rid = request_id(request.headers)
        log.exception("request %s failed", rid)
        return error(500, f"internal server error (request {rid})", "server_error")


def error_response(status: int, message: str, kind: str) -> Any:
    """An OpenAI-style error body with ``status``."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def request_id(headers: Any) -> str:
    """The client's ``X-Request-Id`` header (if short and plain), else a fresh id."""
    rid = headers.get("x-request-id") or ""
    return rid if re.fullmatch(r"[\w.-]{1,64}", rid) else uuid.uuid4().hex
