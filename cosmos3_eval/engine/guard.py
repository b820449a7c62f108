"""Model fault containment: every capability call runs under a deadline and a guard.

A model call runs in a daemon thread, so a hung call can be abandoned (Python cannot kill a
thread: it is left behind and its samples are recorded as timed out) and whatever the model
raises stays on the samples of that call. ``SystemExit``, ``KeyboardInterrupt`` and other
``BaseException``s raised *by the model* are different: the model asked the process to stop,
so nothing after it can be trusted and the run ends as ``failed`` (:class:`ModelExited`).
A Ctrl-C of the user reaches the main thread, not the model's, and still interrupts the run.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cosmos3_eval.errors import ModelExited, SampleError

T = TypeVar("T")

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
"""OS errors that stop a run (resumably) instead of being recorded as one sample's fault."""


class CallTimedOut(SampleError):
    """A model call did not return within its deadline (recorded on its samples)."""


def run_guarded(fn: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run ``fn()`` in a daemon thread and return its result.

    Args:
        fn: The model call (e.g. ``lambda: call_batched(model.answer, requests)``).
        timeout_s: Seconds to wait before abandoning the call.
        what: The call's name for messages, e.g. ``"answer()"``.

    Raises:
        CallTimedOut: ``fn`` did not return within ``timeout_s``.
        ModelExited: ``fn`` raised a ``BaseException`` that is not an ``Exception``.
        Exception: Whatever ``fn`` raised.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            box["error"] = exc

    th = threading.Thread(target=target, daemon=True, name=f"model-{what}")
    th.start()
    th.join(max(0.0, timeout_s))
    if th.is_alive():
        raise CallTimedOut(f"model timed out: {what} did not return within {timeout_s:.1f} s")
    exc = box.get("error")
    if exc is None:
        return box["result"]
    if not isinstance(exc, Exception):
        raise ModelExited(
            f"the model raised {type(exc).__name__}({exc}) in {what}: a model must not stop "
            "the process"
        ) from exc
    raise exc
