"""The project's own push-block task (MJCF in tasks/assets) as a PolicyEnv."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from cosmos3_eval.api.resources import data_path
from cosmos3_eval.api.types import ActionSpec
from cosmos3_eval.sim.envs.kinds import PolicyEnv
from cosmos3_eval.sim.render import import_mujoco

PUSH_BLOCK_XML = data_path("tasks", "assets", "push_block.xml")


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
    proprio_keys = {
        "pusher_pos": "(2,) pusher x, y in the table frame (m)",
        "pusher_vel": "(2,) pusher x, y velocity (m/s)",
    }
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
