"""A fault-injecting env for testing the rollout engine's error handling (a test double).

:class:`FaultyEnv` is the real :class:`~cosmos3_eval.sim.envs.push_block.PushBlockEnv` that,
for the episode seeds listed in ``faults``, raises, hangs or blows up the physics at step
``at_step``. Other episodes are untouched, so a test can check that faults stay confined to
their episode.
Tests name it as the env kind ``"tests.helpers.faulty_env:FaultyEnv"``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from cosmos3_eval.sim.envs.kinds import StepResult
from cosmos3_eval.sim.envs.push_block import PushBlockEnv


class FaultyEnv(PushBlockEnv):
    """push-block with injected faults on some episodes.

    Args:
        faults: Episode seed (as a string: JSON keys) -> ``"raise"`` (RuntimeError),
            ``"hang"`` (sleeps far past any timeout) or ``"unstable"`` (a huge joint velocity,
            as an exploding controller makes: MuJoCo's bad-qvel warning fires).
        at_step: Env step at which the fault happens.
        **kw: :class:`PushBlockEnv` arguments.
    """

    def __init__(self, faults: dict[str, str], at_step: int = 3, **kw: Any):
        self.faults = {int(k): v for k, v in faults.items()}
        self.at_step = int(at_step)
        self._seed = -1
        super().__init__(**kw)

    def _reset_sim(self, seed: int) -> None:
        self._seed = seed
        super()._reset_sim(seed)

    def sim_step(self, action: np.ndarray) -> StepResult:
        fault = self.faults.get(self._seed)
        if fault is not None and self._t == self.at_step:
            if fault == "raise":
                raise RuntimeError("injected env fault")
            if fault == "hang":
                time.sleep(3600)
            if fault == "unstable":
                self.data.qvel[:] = 1e12
        return super().sim_step(action)
