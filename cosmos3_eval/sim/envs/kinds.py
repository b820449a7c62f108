"""Closed-loop policy environments: one gymnasium-style base with lazy camera rendering.

Every env here is a :class:`PolicyEnv`, a ``gymnasium.Env`` with ``reset(seed=)``,
``terminated`` (success) vs ``truncated`` (horizon) and ``info["is_success"]``. On top of the
gymnasium API it exposes what the rollout engine needs to be fast:

* :meth:`PolicyEnv.sim_step` steps without building an observation (no rendering);
* :meth:`PolicyEnv.observe` builds the policy's observation, rendering cameras only when asked
  (decision steps), with the fast render settings of :mod:`cosmos3_eval.sim.render`;
* :meth:`PolicyEnv.expert_chunk` is the scripted expert on privileged simulator state;
* :meth:`PolicyEnv.video_frame` renders a frame only for episodes being recorded.

Determinism: an episode is a function of its seed (and the env config) only. Each env re-seeds
all of its randomness in ``reset(seed=)``; see the env classes for what is fixed per config.

Env kinds (``ENV_KINDS``) are ``"module:attr"`` strings so that a worker process builds its env
from plain JSON-safe arguments.

Success predicates (documented per env, also in the task files):

* ``gym-reacher``: fingertip within ``success_threshold`` (default 0.01 m) of the target.
* ``gym-pusher``: object centre within ``success_threshold`` (default 0.05 m) of the goal.
* ``push-block``: puck centre within the goal disc (radius 0.05 m) — :class:`PushBlockEnv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium
import numpy as np

from cosmos3_eval.api.registry import import_target
from cosmos3_eval.api.types import ActionSpec, Observation
from cosmos3_eval.errors import ConfigError, SampleError
from cosmos3_eval.sim.render import import_mujoco, make_renderer

ENV_KINDS: dict[str, str] = {
    "robosuite": "cosmos3_eval.sim.envs.robosuite:RobosuiteEnv",
    "gym-reacher": "cosmos3_eval.sim.envs.gym:ReacherEnv",
    "gym-pusher": "cosmos3_eval.sim.envs.gym:PusherEnv",
    "push-block": "cosmos3_eval.sim.envs.push_block:PushBlockEnv",
}
"""Env kind -> ``"module:attr"`` of its :class:`PolicyEnv` class. A kind that is itself
``"module:attr"`` names its class directly (third-party envs, test doubles)."""


class EnvInstability(SampleError):
    """The physics diverged (MuJoCo warning or non-finite state): the episode is an error."""


def env_class(kind: str) -> type[PolicyEnv]:
    """The :class:`PolicyEnv` class of a registered kind or of a ``"module:attr"`` kind.

    Raises:
        ConfigError: Unknown kind.
    """
    if kind in ENV_KINDS:
        return import_target(ENV_KINDS[kind])
    if ":" in kind:
        return import_target(kind)
    raise ConfigError(f"unknown env kind '{kind}'; known: {', '.join(sorted(ENV_KINDS))}")


def make_env(kind: str, kwargs: dict[str, Any]) -> PolicyEnv:
    """Build an env of a registered kind from JSON-safe keyword arguments.

    Raises:
        ConfigError: Unknown kind or bad arguments.
    """
    cls = env_class(kind)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"bad arguments for env '{kind}': {exc}") from exc


@dataclass(frozen=True)
class StepResult:
    """Outcome of one env step (no observation: that is built only when needed).

    Attributes:
        reward: Step reward (shaped where the env defines one; never used for success).
        success: ``info["is_success"]`` after this step.
        terminated: Episode ended by success.
        truncated: Episode ended by the horizon.
    """

    reward: float
    success: bool
    terminated: bool
    truncated: bool


@dataclass(frozen=True)
class FreeCamera:
    """A free camera for MJCF models without a suitable named camera."""

    lookat: tuple[float, float, float]
    distance: float
    azimuth: float
    elevation: float


class PolicyEnv(gymnasium.Env):
    """Base of every closed-loop env: gymnasium API plus lazy observations and an expert.

    Args:
        horizon: Max env steps per episode (truncation).
        image_size: Square camera image size in pixels.
        cameras: Camera names included in observations (``()`` = proprio only).
        camera_obs: Whether the gymnasium observation (``reset`` / ``step``) includes images.
            The rollout engine does not use it: it renders via :meth:`observe` at decision steps.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    action_spec: ActionSpec
    instruction: str = ""
    default_cameras: ClassVar[tuple[str, ...]] = ()
    free_cameras: ClassVar[dict[str, FreeCamera]] = {}
    proprio_keys: ClassVar[dict[str, str]] = {}
    """``Observation.proprio`` name -> shape and meaning (``describe TASK`` prints it)."""

    def __init__(self, horizon: int, image_size: int = 128, cameras=None, camera_obs=False):
        self.horizon = int(horizon)
        self.image_size = int(image_size)
        self.cameras = tuple(self.default_cameras if cameras is None else cameras)
        self.camera_obs = bool(camera_obs)
        self._renderer: Any = None
        self._t = 0
        self._warn_base: np.ndarray | None = None
        spec = self.action_spec
        self.action_space = gymnasium.spaces.Box(spec.low, spec.high, (spec.dim,), np.float32)

    def _init_spaces(self) -> None:
        """Build ``observation_space`` from one proprio sample (call after the sim exists)."""
        spaces: dict[str, gymnasium.spaces.Space] = {
            k: gymnasium.spaces.Box(-np.inf, np.inf, np.shape(v), np.float64)
            for k, v in self.proprio().items()
        }
        if self.camera_obs:
            for cam in self.cameras:
                spaces[cam] = gymnasium.spaces.Box(
                    0, 255, (self.image_size, self.image_size, 3), np.uint8
                )
        self.observation_space = gymnasium.spaces.Dict(spaces)

    # ---- to implement -----------------------------------------------------------------------

    def _reset_sim(self, seed: int) -> None:
        raise NotImplementedError

    def _apply(self, action: np.ndarray) -> float:
        """Apply one action and advance the physics; return the reward."""
        raise NotImplementedError

    def _is_success(self) -> bool:
        raise NotImplementedError

    def proprio(self) -> dict[str, np.ndarray]:
        """Proprioceptive state, name -> float64 vector."""
        raise NotImplementedError

    def expert_action(self) -> np.ndarray:
        """The scripted expert's next action on privileged state (may update its phase)."""
        raise NotImplementedError

    def mj(self) -> tuple[Any, Any]:
        """The raw ``(mujoco.MjModel, mujoco.MjData)``."""
        raise NotImplementedError

    # ---- gymnasium API ----------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode; its whole outcome is a function of ``seed``."""
        super().reset(seed=seed)
        if seed is None:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        self._t = 0
        self._reset_sim(int(seed))
        self._warn_base = self._warnings()
        return self._gym_obs(), {"is_success": False}

    def step(self, action):
        """Gymnasium step: ``(obs, reward, terminated, truncated, info)``."""
        r = self.sim_step(np.asarray(action))
        return self._gym_obs(), r.reward, r.terminated, r.truncated, {"is_success": r.success}

    def close(self) -> None:
        """Free the renderer."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # ---- engine API -------------------------------------------------------------------------

    def sim_step(self, action: np.ndarray) -> StepResult:
        """Step without building an observation.

        Raises:
            EnvInstability: MuJoCo reported a bad acceleration / state or the state is not
                finite.
        """
        action = np.clip(
            np.asarray(action, np.float64), self.action_spec.low, self.action_spec.high
        )
        reward = float(self._apply(action))
        self._t += 1
        self._check_stable()
        success = bool(self._is_success())
        return StepResult(reward, success, success, (not success) and self._t >= self.horizon)

    def observe(self, images: bool) -> Observation:
        """The policy's observation; cameras are rendered only if ``images``."""
        imgs = {c: self.render_camera(c) for c in self.cameras} if images else {}
        return Observation(
            images=imgs, proprio={k: np.asarray(v, np.float32) for k, v in self.proprio().items()}
        )

    def expert_chunk(self, n: int) -> np.ndarray:
        """``(n, dim)`` float32: the expert's current action held for ``n`` steps."""
        a = np.asarray(self.expert_action(), np.float32)
        return np.repeat(a[None], max(1, int(n)), axis=0)

    def video_frame(self) -> np.ndarray:
        """A frame of the first camera for episode videos."""
        return self.render_camera(self.cameras[0] if self.cameras else "")

    hidden_geom_groups: tuple[int, ...] = ()
    """Geom groups never drawn (robosuite keeps its collision geoms in group 0)."""

    def render_camera(self, name: str) -> np.ndarray:
        """Render one camera ``(S, S, 3)`` uint8, upright (row 0 = top of the scene)."""
        model, data = self.mj()
        mujoco = import_mujoco()
        if self._renderer is None:
            self._renderer = make_renderer(model, self.image_size, self.image_size)
            self._scene_option = mujoco.MjvOption()
            for group in self.hidden_geom_groups:
                self._scene_option.geomgroup[group] = 0
        if name in self.free_cameras:
            fc = self.free_cameras[name]
            cam = mujoco.MjvCamera()
            cam.lookat[:] = fc.lookat
            cam.distance, cam.azimuth, cam.elevation = fc.distance, fc.azimuth, fc.elevation
            self._renderer.update_scene(data, camera=cam, scene_option=self._scene_option)
        else:
            self._renderer.update_scene(data, camera=name, scene_option=self._scene_option)
        return self._renderer.render().copy()

    # ---- helpers ----------------------------------------------------------------------------

    def _gym_obs(self) -> dict[str, np.ndarray]:
        obs: dict[str, np.ndarray] = {
            k: np.asarray(v, np.float64) for k, v in self.proprio().items()
        }
        if self.camera_obs:
            obs.update({c: self.render_camera(c) for c in self.cameras})
        return obs

    def _warnings(self) -> np.ndarray:
        mujoco = import_mujoco()
        _, data = self.mj()
        idx = [
            mujoco.mjtWarning.mjWARN_BADQACC,
            mujoco.mjtWarning.mjWARN_BADQPOS,
            mujoco.mjtWarning.mjWARN_BADQVEL,
        ]
        return np.array([data.warning[int(i)].number for i in idx])

    def _check_stable(self) -> None:
        _, data = self.mj()
        if not (np.all(np.isfinite(data.qpos)) and np.all(np.isfinite(data.qvel))):
            raise EnvInstability(f"physics diverged at step {self._t}: non-finite state")
        warn = self._warnings()
        if self._warn_base is not None and np.any(warn > self._warn_base):
            raise EnvInstability(
                f"MuJoCo instability warning at step {self._t} (bad qacc/qpos/qvel)"
            )
