"""Policy-only baselines.

* ``zero`` — a chunk of zero actions in the task's action dimension: "do nothing" for delta
  and velocity action spaces (it must not succeed; it is also the cheapest possible policy, used
  to measure the harness's own overhead in ``benchmarks/perf/policy_throughput.py``).
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.model import ModelInfo
from cosmos3_eval.types import ActionChunk, ActRequest


class ZeroModel:
    """Zero action chunks of length ``chunk`` in each request's ``action_spec.dim``.

    Args:
        chunk: Chunk length (default 1).
    """

    reads_images = False
    """The engine renders no camera observation for this policy (it reads none)."""

    def __init__(self, chunk: int = 1) -> None:
        if int(chunk) < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        self.chunk = int(chunk)
        self.info = ModelInfo(name="zero", params={"chunk": self.chunk})

    def act(self, requests: list[ActRequest]) -> list[ActionChunk]:
        """One zero chunk per request."""
        out = []
        for r in requests:
            if r.action_spec is None:
                raise RuntimeError("zero policy needs the task's action_spec on the request")
            out.append(ActionChunk(np.zeros((self.chunk, r.action_spec.dim), np.float32)))
        return out
