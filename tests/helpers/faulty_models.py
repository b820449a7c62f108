"""Models that misbehave in the ways a real model can: they stop the process or hang.

Named ``tests.helpers.faulty_models:<Class>`` on the command line, so executor workers build
them too.
"""

from __future__ import annotations

import os
import time

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import TextOutput


class FaultyQA:
    """Answers ``A`` until call ``after`` (0-based), then misbehaves as ``mode`` says.

    Modes: ``sysexit`` (``raise SystemExit(3)``), ``keyboard`` (``raise KeyboardInterrupt``),
    ``os_exit`` (``os._exit(7)``: only under ``--executor process``), ``hang`` (sleeps
    ``hang_s``), ``ok`` (never misbehaves).
    """

    def __init__(self, mode: str = "ok", after: int = 0, hang_s: float = 30.0):
        self.info = ModelInfo(name=f"faulty-{mode}", params={"mode": mode, "after": after})
        self.mode, self.after, self.hang_s = mode, after, hang_s
        self.calls = 0

    def answer(self, requests):
        call, self.calls = self.calls, self.calls + 1
        if call >= self.after:
            if self.mode == "sysexit":
                raise SystemExit(3)
            if self.mode == "keyboard":
                raise KeyboardInterrupt
            if self.mode == "os_exit":
                os._exit(7)
            if self.mode == "hang":
                time.sleep(self.hang_s)
        return [TextOutput("A") for _ in requests]
