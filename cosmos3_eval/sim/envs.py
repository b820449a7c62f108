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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import gymnasium
import numpy as np

from cosmos3_eval.config import PROJECT_ROOT
from cosmos3_eval.errors import ConfigError, SampleError
from cosmos3_eval.registry import import_target
from cosmos3_eval.sim.render import import_mujoco, make_renderer
from cosmos3_eval.types import ActionSpec, Observation

ENV_KINDS: dict[str, str] = {
    "robosuite": "cosmos3_eval.sim.envs_robosuite:RobosuiteEnv",
    "gym-reacher": "cosmos3_eval.sim.envs:ReacherEnv",
    "gym-pusher": "cosmos3_eval.sim.envs:PusherEnv",
    "push-block": "cosmos3_eval.sim.envs:PushBlockEnv",
    "faulty": "cosmos3_eval.sim.envs_testing:FaultyEnv",
}
"""Env kind -> ``"module:attr"`` of its :class:`PolicyEnv` class."""


class EnvInstability(SampleError):
    """The physics diverged (MuJoCo warning or non-finite state): the episode is an error."""


def make_env(kind: str, kwargs: dict[str, Any]) -> PolicyEnv:
    """Build an env of a registered kind from JSON-safe keyword arguments.

    Raises:
        ConfigError: Unknown kind or bad arguments.
    """
    if kind not in ENV_KINDS:
        raise ConfigError(f"unknown env kind '{kind}'; known: {', '.join(sorted(ENV_KINDS))}")
    cls = import_target(ENV_KINDS[kind])
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


# =============================================================================== gymnasium


class _GymMujocoEnv(PolicyEnv):
    """A gymnasium MuJoCo v5 env (unwrapped: horizon and success are ours)."""

    gym_id: ClassVar[str] = ""

    def __init__(self, horizon: int, success_threshold: float, **kw: Any):
        import_mujoco()
        self.env = gymnasium.make(self.gym_id).unwrapped
        self.success_threshold = float(success_threshold)
        super().__init__(horizon, **kw)
        self.env.reset(seed=0)
        self._init_spaces()

    def mj(self):
        return self.env.model, self.env.data

    def _reset_sim(self, seed: int) -> None:
        # gymnasium's reset(seed=) re-seeds np_random, the only source of randomness here.
        self.env.reset(seed=seed)
        self._expert_reset()

    def _expert_reset(self) -> None:
        pass

    def _apply(self, action: np.ndarray) -> float:
        _, reward, _, _, _ = self.env.step(action.astype(np.float32))
        return float(reward)

    def close(self) -> None:
        super().close()
        self.env.close()


class ReacherEnv(_GymMujocoEnv):
    """``Reacher-v5``: a 2-link planar arm reaches a random target (50 Hz control).

    Success: fingertip within ``success_threshold`` (default 0.01 m) of the target; the episode
    terminates there. Horizon 50 steps (gymnasium's). Expert: analytic inverse kinematics of the
    two links (0.1 m, 0.11 m) and a joint-space PD controller on the torques.
    """

    gym_id = "Reacher-v5"
    instruction = "Move the fingertip to the red target."
    default_cameras = ("top",)
    free_cameras = {"top": FreeCamera((0.0, 0.0, 0.0), 0.75, 90.0, -90.0)}
    action_spec = ActionSpec(
        kind="gym_reacher_torque",
        dim=2,
        names=("tau_shoulder", "tau_elbow"),
        units=("200 N*m (gear)", "200 N*m (gear)"),
        low=-1.0,
        high=1.0,
        gripper="none",
        rotation="none",
        control_hz=50.0,
        chunk_size=1,
    )

    def __init__(self, horizon: int = 50, success_threshold: float = 0.01, **kw: Any):
        super().__init__(horizon, success_threshold, **kw)

    def _dist(self) -> float:
        e = self.env
        return float(np.linalg.norm(e.get_body_com("fingertip")[:2] - e.get_body_com("target")[:2]))

    def _is_success(self) -> bool:
        return self._dist() < self.success_threshold

    def proprio(self) -> dict[str, np.ndarray]:
        d = self.env.data
        return {
            "joint_pos": d.qpos[:2].copy(),
            "joint_vel": d.qvel[:2].copy(),
            "fingertip_pos": self.env.get_body_com("fingertip")[:2].copy(),
            "target_pos": self.env.get_body_com("target")[:2].copy(),
        }

    def expert_action(self) -> np.ndarray:
        d = self.env.data
        tx, ty = self.env.get_body_com("target")[:2]
        l1, l2 = 0.1, 0.11
        r2 = tx * tx + ty * ty
        c2 = np.clip((r2 - l1 * l1 - l2 * l2) / (2 * l1 * l2), -1.0, 1.0)
        q1s, q2s = d.qpos[0], d.qpos[1]
        best = None
        for sign in (1.0, -1.0):  # two IK branches: take the one closest to the current pose
            q2 = sign * np.arccos(c2)
            q1 = np.arctan2(ty, tx) - np.arctan2(l2 * np.sin(q2), l1 + l2 * np.cos(q2))
            dq1 = (q1 - q1s + np.pi) % (2 * np.pi) - np.pi
            cost = abs(dq1) + abs(q2 - q2s)
            if best is None or cost < best[0]:
                best = (cost, dq1, q2 - q2s)
        _, e1, e2 = best
        tau = np.array([4.0 * e1 - 0.3 * d.qvel[0], 4.0 * e2 - 0.3 * d.qvel[1]])
        return np.clip(tau, -1.0, 1.0)


class PusherEnv(_GymMujocoEnv):
    """``Pusher-v5``: a 7-DoF arm pushes a cylinder to a fixed goal (20 Hz control).

    Success: object centre within ``success_threshold`` (default 0.05 m) of the goal (x, y); the
    episode terminates there. Default horizon 200 steps, twice gymnasium's 100: in this model
    the cylinder cannot be pushed faster than about 0.06 m/s (see below), so in 100 steps
    (5 s, less ~0.5-1 s to bring the fork down from its start pose) it moves at most ~0.27 m,
    while 5-13 % of the start positions need more (5 % start over 0.32 m from the goal): no
    policy reaches 95 % success within 100 steps. The expert gets ~55 % within 100.

    Why pushing is slow: the cylinder's slide joints have armature 0.04 and damping 0.5, and the
    fork-cylinder contact is very soft (its regulariser R is ~6700), so the contact force is
    only ~0.4 N per metre of penetration. Moving the fork faster than the cylinder can follow
    drives it through the cylinder. With the cylinder held in an inner corner of the fork (two
    contacts) the steady speed is ~0.06 m/s; against the cross bar alone (one contact), ~0.03.

    Expert (privileged state; 100/100 seeds within 200 steps, 99 within 150, median 96): the
    wrist ends in a U-shaped fork (a 0.2 m cross bar and two 0.1 m prongs, capsules of radius
    0.02, the only arm geoms that touch the cylinder). The expert puts the cylinder in the
    inner corner of the U, with the fork heading at ``alpha`` (45, 65 or 85 degrees either side)
    to the push direction: the pair that inverse kinematics reaches best, since objects near
    the shoulder cannot be reached from straight behind. It then glides down to the corner pose
    at mid cylinder height and pushes the corner towards the goal, re-planning from the current
    state every step (and re-approaching if the cylinder leaves the fork). Control: damped
    least-squares IK of the wrist pose (position first, fork level and heading second) to joint
    targets, then joint PD scaled by the mass matrix plus the bias forces, clipped to the
    torque limits.
    """

    gym_id = "Pusher-v5"
    instruction = "Push the white cylinder onto the red goal."
    default_cameras = ("top",)
    free_cameras = {"top": FreeCamera((0.2, -0.2, -0.3), 1.6, 90.0, -90.0)}
    action_spec = ActionSpec(
        kind="gym_pusher_torque",
        dim=7,
        names=(
            "shoulder_pan",
            "shoulder_lift",
            "upper_arm_roll",
            "elbow_flex",
            "forearm_roll",
            "wrist_flex",
            "wrist_roll",
        ),
        units=("N*m",) * 7,
        low=-2.0,
        high=2.0,
        gripper="none",
        rotation="none",
        control_hz=20.0,
        chunk_size=1,
    )

    # Expert constants (metres / radians). Cylinder: radius 0.05, z in [-0.325, -0.225].
    _Z_PUSH = -0.275  # fork at mid cylinder height: contacts stay horizontal
    _Z_HOVER = -0.16  # fork clear of the cylinder's top while travelling
    _CORNER = (0.07, 0.03)  # cylinder centre in the fork frame, touching bar and a prong
    _BACK = 0.03  # approach pose this far behind the corner pose
    _DEPTH = 0.07  # push target this far into the cylinder (deeper drives through it)
    _NEAR, _GLIDE = 0.04, 0.1  # descend over the last GLIDE metres; push once within NEAR
    _ALPHAS = tuple(np.radians([45.0, -45.0, 65.0, -65.0, 85.0, -85.0]))
    _KP, _KD = 100.0, 15.0  # joint PD gains (1/s^2, 1/s), scaled by the mass matrix
    _W_ROT = 0.05  # orientation weight in IK (m/rad): position comes first

    def __init__(self, horizon: int = 200, success_threshold: float = 0.05, **kw: Any):
        super().__init__(horizon, success_threshold, **kw)
        mujoco = import_mujoco()
        model = self.env.model
        self._wrist = model.body("r_wrist_roll_link").id
        self._qlo, self._qhi = model.jnt_range[:7, 0].copy(), model.jnt_range[:7, 1].copy()
        self._pan_xy = model.body("r_shoulder_pan_link").pos[:2].copy()
        self._ik_data = mujoco.MjData(model)  # scratch data: IK never touches the live state
        self._expert_reset()

    def _expert_reset(self) -> None:
        self._phase = "approach"
        self._alpha: float | None = None
        self._q_plan = np.zeros(7)
        self._q_star = np.zeros(7)

    def _obj(self) -> np.ndarray:
        return self.env.get_body_com("object")[:2].copy()

    def _goal(self) -> np.ndarray:
        return self.env.get_body_com("goal")[:2].copy()

    def _is_success(self) -> bool:
        return float(np.linalg.norm(self._obj() - self._goal())) < self.success_threshold

    def proprio(self) -> dict[str, np.ndarray]:
        d = self.env.data
        return {
            "joint_pos": d.qpos[:7].copy(),
            "joint_vel": d.qvel[:7].copy(),
            "fingertip_pos": self.env.get_body_com("tips_arm").copy(),
            "object_pos": self.env.get_body_com("object").copy(),
            "goal_pos": self.env.get_body_com("goal").copy(),
        }

    @staticmethod
    def _rot(v: np.ndarray, angle: float) -> np.ndarray:
        c, s = np.cos(angle), np.sin(angle)
        return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])

    def _corner_offset(self, heading: np.ndarray, alpha: float) -> np.ndarray:
        """Planar offset wrist -> cylinder centre in the inner corner that pushes at ``alpha``."""
        side = np.array([-heading[1], heading[0]])
        cx, cy = self._CORNER
        # u at +alpha (towards the fork's +y) is pushed by the prong at y = -0.1, and vice versa
        return cx * heading - np.sign(alpha) * cy * side

    def _ik(self, q: np.ndarray, target: np.ndarray, heading: np.ndarray, iters: int):
        """Damped least-squares IK for the wrist: ``(q, position residual)``."""
        mujoco = import_mujoco()
        model, sd = self.env.model, self._ik_data
        x_des = np.array([heading[0], heading[1], 0.0])
        z_des = np.array([0.0, 0.0, 1.0])
        jp, jr = np.zeros((3, model.nv)), np.zeros((3, model.nv))
        err = np.inf
        for _ in range(iters):
            sd.qpos[:7] = q
            mujoco.mj_kinematics(model, sd)
            mujoco.mj_comPos(model, sd)
            rot = sd.xmat[self._wrist].reshape(3, 3)
            e_pos = target - sd.xpos[self._wrist]
            err = float(np.linalg.norm(e_pos))
            # fork level (z up) and heading along x_des; small-angle rotation error
            e_rot = 0.5 * (np.cross(rot[:, 0], x_des) + np.cross(rot[:, 2], z_des))
            mujoco.mj_jacBody(model, sd, jp, jr, self._wrist)
            jac = np.vstack([jp[:, :7], self._W_ROT * jr[:, :7]])
            e = np.concatenate([e_pos, self._W_ROT * e_rot])
            dq = jac.T @ np.linalg.solve(jac @ jac.T + 1e-3 * np.eye(6), e)
            n = np.linalg.norm(dq)
            if n > 0.2:  # small steps keep the iteration on one IK branch
                dq *= 0.2 / n
            q = np.clip(q + dq, self._qlo, self._qhi)
        return q, err

    def _plan(self, obj: np.ndarray, u: np.ndarray) -> None:
        """Pick the corner angle whose approach pose IK reaches best (ties -> 45 degrees)."""
        best = None
        for alpha in self._ALPHAS:
            heading = self._rot(u, -alpha)
            pre = obj - self._corner_offset(heading, alpha) - self._BACK * u
            pan = np.arctan2(*(pre - self._pan_xy)[::-1])  # shoulder pan facing the pose
            for roll in (0.0, 1.2, -1.2):  # a few postures: IK from one alone gets stuck
                seed = np.array([pan, 1.0, roll, -1.8, 0.0, -0.3, 0.0])
                q, err = self._ik(seed, np.array([*pre, self._Z_PUSH]), heading, 80)
                cost = 100.0 * err + 0.03 * abs(abs(np.degrees(alpha)) - 45.0)
                if best is None or cost < best[0]:
                    best = (cost, float(alpha), q)
        _, self._alpha, self._q_plan = best
        self._q_star = self._q_plan.copy()

    def expert_action(self) -> np.ndarray:
        mujoco = import_mujoco()
        model, data = self.mj()
        obj, goal = self._obj(), self._goal()
        u = goal - obj
        u = u / max(float(np.linalg.norm(u)), 1e-9)
        wrist = data.xpos[self._wrist].copy()
        rot = data.xmat[self._wrist].reshape(3, 3)
        hx = rot[:2, 0] / max(float(np.linalg.norm(rot[:2, 0])), 1e-9)
        hy = np.array([-hx[1], hx[0]])
        rel = obj - wrist[:2]
        in_fork = 0.0 < rel @ hx < 0.13 and abs(rel @ hy) < 0.1 and wrist[2] < self._Z_PUSH + 0.03
        if self._phase == "push" and not in_fork:
            self._phase, self._alpha = "approach", None  # lost the cylinder: plan again
        if self._alpha is None:
            self._plan(obj, u)
        heading = self._rot(u, -self._alpha)
        if self._phase == "approach":
            pre = obj - self._corner_offset(heading, self._alpha) - self._BACK * u
            dxy = float(np.linalg.norm(wrist[:2] - pre))
            lift = np.clip((dxy - self._NEAR) / self._GLIDE, 0.0, 1.0)
            target = np.array([*pre, self._Z_PUSH + lift * (self._Z_HOVER - self._Z_PUSH)])
            if dxy < self._NEAR and wrist[2] < self._Z_PUSH + 0.02:
                self._phase = "push"
        if self._phase == "push":
            # corner from the fork's actual heading: it need not match the planned one
            alpha = float(np.arctan2(u @ hy, u @ hx))
            side = -self._CORNER[1] * np.clip(alpha / np.radians(20.0), -1.0, 1.0)
            corner = self._CORNER[0] * hx + side * hy
            target = np.array([*(obj - corner + self._DEPTH * u), self._Z_PUSH])
        start = self._q_plan if self._phase == "approach" else self._q_star
        self._q_star, _ = self._ik(start, target, heading, 15)
        q = data.qpos[:7]
        mass = np.zeros((model.nv, model.nv))
        mujoco.mj_fullM(model, mass, data.qM)
        acc = self._KP * (self._q_star - q) - self._KD * data.qvel[:7]
        tau = mass[:7, :7] @ acc + data.qfrc_bias[:7]
        return np.clip(tau, -2.0, 2.0)


# =============================================================================== push-block

PUSH_BLOCK_XML = PROJECT_ROOT / "tasks" / "assets" / "push_block.xml"


class PushBlockEnv(PolicyEnv):
    """The project's own task: a point-mass pusher pushes a puck into a goal disc (MJCF).

    Scene (``tasks/assets/push_block.xml``): a 0.6 m x 0.6 m table with walls; a pusher
    (sphere, radius 0.02 m, slide x/y, velocity actuators) and a puck (cylinder, radius 0.03 m,
    slide x/y); a goal disc of radius 0.05 m (visual only). Per episode (from the seed): pusher
    in [-0.2, 0.2]^2, puck and goal in [-0.15, 0.15]^2, puck at least 0.15 m from the goal.

    Action: 2-D pusher velocity command in ``[-1, 1]`` x 0.3 m/s; 10 Hz control.
    Success: puck centre within 0.05 m of the goal centre (terminates). Horizon 100 steps.
    Expert: go to the point behind the puck (opposite the goal), then push along the line.

    Args:
        horizon: Max steps.
        max_speed: Velocity at action 1 (m/s). Absurd values make the physics diverge, which
            the engine records as an instability error.
        image_size: Camera image size.
        cameras: Camera names (``top``).
        camera_obs: Include images in the gymnasium observation.
    """

    instruction = "Push the blue puck into the green goal region."
    default_cameras = ("top",)
    goal_radius: ClassVar[float] = 0.05
    action_spec = ActionSpec(
        kind="push_block_velocity",
        dim=2,
        names=("vx", "vy"),
        units=("0.3 m/s", "0.3 m/s"),
        low=-1.0,
        high=1.0,
        gripper="none",
        rotation="none",
        control_hz=10.0,
        chunk_size=1,
    )

    def __init__(
        self,
        horizon: int = 100,
        max_speed: float = 0.3,
        xml: str | None = None,
        image_size: int = 128,
        cameras=None,
        camera_obs: bool = False,
    ):
        mujoco = import_mujoco()
        path = Path(xml) if xml else PUSH_BLOCK_XML
        self.model = mujoco.MjModel.from_xml_path(str(path))
        self.data = mujoco.MjData(self.model)
        self.max_speed = float(max_speed)
        self._frame_skip = int(round(1.0 / (10.0 * self.model.opt.timestep)))
        self._goal = np.zeros(2)
        self._pusher_q = self.model.joint("pusher_x").qposadr[0]
        self._puck_q = self.model.joint("puck_x").qposadr[0]
        self._goal_mocap = self.model.body("goal").mocapid[0]
        super().__init__(horizon, image_size, cameras, camera_obs)
        self._reset_sim(0)
        self._init_spaces()

    def mj(self):
        return self.model, self.data

    def _reset_sim(self, seed: int) -> None:
        mujoco = import_mujoco()
        rng = np.random.default_rng(seed)
        mujoco.mj_resetData(self.model, self.data)
        while True:
            pusher = rng.uniform(-0.2, 0.2, 2)
            puck, goal = rng.uniform(-0.15, 0.15, (2, 2))
            if np.linalg.norm(puck - goal) > 0.15 and np.linalg.norm(pusher - puck) > 0.08:
                break
        self.data.qpos[self._pusher_q : self._pusher_q + 2] = pusher
        self.data.qpos[self._puck_q : self._puck_q + 2] = puck
        self._goal = goal
        self.data.mocap_pos[self._goal_mocap, :2] = goal
        mujoco.mj_forward(self.model, self.data)

    def _apply(self, action: np.ndarray) -> float:
        mujoco = import_mujoco()
        self.data.ctrl[:2] = action * self.max_speed
        mujoco.mj_step(self.model, self.data, nstep=self._frame_skip)
        return -float(np.linalg.norm(self._puck() - self._goal))

    def _puck(self) -> np.ndarray:
        return self.data.qpos[self._puck_q : self._puck_q + 2].copy()

    def _pusher(self) -> np.ndarray:
        return self.data.qpos[self._pusher_q : self._pusher_q + 2].copy()

    def _is_success(self) -> bool:
        return float(np.linalg.norm(self._puck() - self._goal)) < self.goal_radius

    def proprio(self) -> dict[str, np.ndarray]:
        return {
            "pusher_pos": self._pusher(),
            "pusher_vel": self.data.qvel[self._pusher_q : self._pusher_q + 2].copy(),
        }

    def expert_action(self) -> np.ndarray:
        puck, pusher, goal = self._puck(), self._pusher(), self._goal
        u = goal - puck
        u = u / max(np.linalg.norm(u), 1e-9)
        behind = puck - 0.06 * u
        rel = pusher - puck
        along = float(np.dot(rel, u))
        lateral = rel - along * u
        if along > -0.04 or np.linalg.norm(lateral) > 0.015:
            # Not lined up behind the puck: head for the point behind it, via a side waypoint
            # when the straight path would touch the puck (so we never push it the wrong way).
            target = behind
            seg = behind - pusher
            tpar = np.clip(np.dot(puck - pusher, seg) / max(np.dot(seg, seg), 1e-12), 0.0, 1.0)
            if np.linalg.norm(pusher + tpar * seg - puck) < 0.055:
                side = lateral / max(np.linalg.norm(lateral), 1e-9)
                if np.linalg.norm(lateral) < 1e-6:
                    side = np.array([-u[1], u[0]])
                target = puck + 0.075 * side - 0.04 * u
            v = 12.0 * (target - pusher)
        else:
            v = 6.0 * (goal - puck) + 0.6 * u - 8.0 * lateral
        speed = np.linalg.norm(v)
        if speed > 1.0:
            v = v / speed
        return v


def env_factory(kind: str, kwargs: dict[str, Any]) -> Callable[[], PolicyEnv]:
    """A zero-argument factory, e.g. for ``gymnasium.vector``-style users."""
    return lambda: make_env(kind, kwargs)
