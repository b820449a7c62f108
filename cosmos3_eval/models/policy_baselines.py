"""Policy-only baselines.

* ``zero`` — a chunk of zero actions in the task's action dimension: "do nothing" for delta
  and velocity action spaces (it must not succeed; it is also the cheapest possible policy, used
  to measure the harness's own overhead in ``benchmarks/perf/policy_throughput.py``).
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.api.actions import CONVENTIONS
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import ActionChunk, ActRequest
from cosmos3_eval.errors import unknown


@declare_args
class ZeroModel:
    """Zero action chunks of length ``chunk`` in each request's ``action_spec.dim``.

    Args:
        chunk: Chunk length (default 1).
        convention: Declare an action convention (``robosuite_osc_7d``, ``cosmos_10d``);
            default: adapt to the task's.
    """

    reads_images = False
    """The engine renders no camera observation for this policy (it reads none)."""

    def __init__(self, chunk: int = 1, convention: str | None = None) -> None:

        if int(chunk) < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        if convention is not None and convention not in CONVENTIONS:
            raise unknown("action convention", convention, CONVENTIONS)
        self.chunk = int(chunk)
        params: dict[str, object] = {"chunk": self.chunk}
        if convention is not None:
            params["convention"] = convention
        # With a convention the policy declares what it emits, like a real model: the task's
        # contract check then runs against it (a mismatch stops the run before step one).
        spec = CONVENTIONS[convention] if convention else None
        self.info = ModelInfo(name="zero", params=params, action_spec=spec)

    def act(self, requests: list[ActRequest]) -> list[ActionChunk]:
        """One zero chunk per request."""
        out = []
        for r in requests:
            if r.action_spec is None:
                raise RuntimeError("zero policy needs the task's action_spec on the request")
            out.append(ActionChunk(np.zeros((self.chunk, r.action_spec.dim), np.float32)))
        return out
