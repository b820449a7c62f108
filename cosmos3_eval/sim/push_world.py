"""push-block as an in-process world: snapshot / restore, replay, perturbed twins.

The consistency tasks (and the reference models that imagine with a simulator) drive
:class:`~cosmos3_eval.sim.envs.push_block.PushBlockEnv` directly. One world serves many
episodes: an episode's state is a :class:`WorldState` (MuJoCo's whole integration state, so a
restored episode continues bit-identically whatever ran in between), which is what makes the
scores independent of batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosmos3_eval.sim.envs.push_block import PushBlockEnv
from cosmos3_eval.sim.render import import_mujoco

CAMERA = "top"


@dataclass(frozen=True)
class WorldState:
    """A restorable push-block state.

    Attributes:
        physics: ``mj_getState(..., mjSTATE_INTEGRATION)`` (time, qpos, qvel, ctrl, mocap,
            warm start).
        goal: Goal centre (x, y) in m.
        t: Env steps taken in the episode.
    """

    physics: np.ndarray
    goal: np.ndarray
    t: int

    def to_json(self) -> dict[str, list[float] | int]:
        """JSON-safe form (reference models receive it as privileged state)."""
        return {"physics": self.physics.tolist(), "goal": self.goal.tolist(), "t": self.t}

    @classmethod
    def from_json(cls, d: dict) -> WorldState:
        """Inverse of :meth:`to_json`."""
        return cls(np.asarray(d["physics"], np.float64), np.asarray(d["goal"]), int(d["t"]))


@dataclass(frozen=True)
class Replay:
    """What the simulator did with an action sequence.

    Attributes:
        frames: Rendered frames ``(T // frame_every, S, S, 3)`` after every ``frame_every``
            actions (the start frame excluded).
        positions: ``(T, 2, 2)`` pusher and puck (x, y) after each action (m).
        success: The puck reached the goal at some step.
        steps: Actions executed before success (``T`` without success).
        end: The state after the replay.
    """

    frames: np.ndarray
    positions: np.ndarray
    success: bool
    steps: int
    end: WorldState


class PushWorld:
    """One push-block simulator with episode snapshots (module doc).

    Args:
        image_size: Camera image size (the ``top`` camera).
        max_speed: Pusher speed at action 1 (m/s); a miscalibrated reference model builds its
            world with a different value.
    """

    def __init__(self, image_size: int = 96, max_speed: float = 0.3):
        self.env = PushBlockEnv(horizon=10**9, max_speed=max_speed, image_size=image_size)
        self._mj = import_mujoco()
        self._spec = self._mj.mjtState.mjSTATE_INTEGRATION

    def reset(self, seed: int) -> WorldState:
        """The initial state of episode ``seed`` (push-block's own seeded placement)."""
        self.env.reset(seed=int(seed))
        return self.snapshot()

    def snapshot(self) -> WorldState:
        """The current state."""
        model, data = self.env.mj()
        size = self._mj.mj_stateSize(model, self._spec)
        out = np.empty(size, np.float64)
        self._mj.mj_getState(model, data, out, self._spec)
        return WorldState(out, self.env._goal.copy(), self.env._t)

    def restore(self, state: WorldState) -> None:
        """Continue from ``state`` (bit-identical to having never left it)."""
        model, data = self.env.mj()
        self._mj.mj_setState(model, data, state.physics, self._spec)
        self.env._goal = state.goal.copy()
        self.env._t = state.t
        self._mj.mj_forward(model, data)

    def perturbed(self, state: WorldState, seed: int, sigma_m: float) -> WorldState:
        """``state`` with pusher and puck positions shifted by seeded N(0, sigma) (the twin)."""
        self.restore(state)
        model, data = self.env.mj()
        rng = np.random.default_rng([seed, 0x7717])
        for joint in ("pusher_x", "pusher_y", "puck_x", "puck_y"):
            data.qpos[model.joint(joint).qposadr[0]] += rng.normal(0.0, sigma_m)
        self._mj.mj_forward(model, data)
        return self.snapshot()

    def frame(self) -> np.ndarray:
        """The ``top`` camera now ``(S, S, 3)`` uint8."""
        return self.env.render_camera(CAMERA)

    def positions(self) -> np.ndarray:
        """``(2, 2)``: pusher (x, y) and puck (x, y) in m."""
        return np.stack([self.env._pusher(), self.env._puck()])

    def success(self) -> bool:
        """The puck is in the goal disc."""
        return bool(self.env._is_success())

    def replay(
        self, state: WorldState, actions: np.ndarray, frame_every: int = 1, render: bool = True
    ) -> Replay:
        """Execute ``actions`` open-loop from ``state``; the episode ends at success.

        After success the world is frozen (as a finished episode is): later positions and
        frames repeat the final ones, so a clip always has its requested length.
        """
        self.restore(state)
        frames: list[np.ndarray] = []
        pos = []
        steps, done = len(actions), self.success()
        frozen: np.ndarray | None = None  # the frame of the frozen world, rendered once
        for i, a in enumerate(np.asarray(actions)):
            if not done:
                self.env.sim_step(np.asarray(a, np.float64))
                if self.success():
                    done, steps = True, i + 1
            pos.append(self.positions())
            if render and (i + 1) % frame_every == 0:
                if done and frozen is None:
                    frozen = self.frame()
                frames.append(frozen if done else self.frame())
        end = self.snapshot()
        shape = (0, self.env.image_size, self.env.image_size, 3)
        video = np.stack(frames) if frames else np.zeros(shape, np.uint8)
        positions = np.stack(pos) if pos else np.zeros((0, 2, 2))
        return Replay(video, positions, done, steps, end)

    def expert_actions(
        self, state: WorldState, n: int, noise: float = 0.0, seed: int = 0
    ) -> np.ndarray:
        """``(n, 2)`` float32: the scripted expert run closed-loop from ``state``.

        Args:
            state: Start state.
            n: Number of actions.
            noise: Std of seeded Gaussian noise added to each action (then clipped).
            seed: Seed of the noise.
        """
        self.restore(state)
        rng = np.random.default_rng([seed, 0xE]) if noise > 0 else None
        out = []
        for _ in range(n):
            a = np.asarray(self.env.expert_action(), np.float64)
            if rng is not None:
                a = np.clip(a + rng.normal(0.0, noise, a.shape), -1.0, 1.0)
            out.append(a)
            if not self.success():
                self.env.sim_step(a)
        return np.asarray(out, np.float32)

    def close(self) -> None:
        """Free the renderer."""
        self.env.close()
