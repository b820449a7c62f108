"""robosuite manipulation tasks (Panda, BASIC composite controller = OSC_POSE arm).

Settings (measured in /work/shared/SIM-FACTS.md): ``hard_reset=False`` (a hard reset reloads
the model: 1.5 s instead of 0.3 s), ``use_camera_obs=False`` and no robosuite offscreen renderer
(cameras are rendered by :class:`~cosmos3_eval.sim.envs.kinds.PolicyEnv` with the fast settings, and
only when the engine asks), 20 Hz control, ``ignore_done=True`` (the horizon is ours).

Determinism: the env is constructed once per worker with the fixed ``construction_seed`` (object
sizes are drawn at construction, e.g. Lift's cube edge), and every ``reset(seed=)`` re-seeds
robosuite's own ``env.rng`` *in place* (the placement sampler and the robot's initial joint
noise hold references to that generator). So an episode is a function of (task config, episode
seed) only, whatever ran before it in the same process.

Horizons (robomimic / LIBERO-style fixed step budgets at 20 Hz; episodes end at success):
Lift 200, Door 300, Stack 400, PickPlaceCan 400.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from cosmos3_eval.api.actions import ROBOSUITE_OSC_7D, axis_angle_to_matrix, matrix_to_axis_angle
from cosmos3_eval.errors import ConfigError
from cosmos3_eval.sim.envs.kinds import PolicyEnv
from cosmos3_eval.sim.render import import_mujoco

INSTRUCTIONS = {
    "Lift": "Pick up the red cube and lift it.",
    "Door": "Open the door.",
    "Stack": "Stack the red cube on top of the green cube.",
    "PickPlaceCan": "Pick up the can and place it in its bin.",
}
HORIZONS = {"Lift": 200, "Door": 300, "Stack": 400, "PickPlaceCan": 400}


def import_robosuite() -> tuple[Any, dict[str, Any]]:
    """Import robosuite quietly; return the module and the Panda BASIC controller config.

    The headless GL backend is chosen first (robosuite imports mujoco). robosuite logs a dozen
    non-actionable WARNING lines on import and make (no private macro file, optional robot
    models, controller parts the Panda lacks): they are silenced to keep output readable.
    """
    import_mujoco()
    logging.disable(logging.WARNING)
    try:
        import robosuite as suite
        from robosuite.controllers import load_composite_controller_config

        cfg = load_composite_controller_config(controller="BASIC", robot="Panda")
    finally:
        logging.disable(logging.NOTSET)
    for name in ("robosuite_logs", "robosuite"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return suite, cfg


def make_robosuite(task: str, seed: int, **extra: Any) -> Any:
    """``suite.make`` with the settings every cosmos3-eval robosuite env shares.

    Panda with the BASIC composite controller at 20 Hz; no robosuite renderer or camera
    observation (we render ourselves, only when read); ``hard_reset=False`` (a hard reset with
    a camera costs ~1.5 s); the horizon is ours (``ignore_done``). ``seed`` fixes what robosuite
    draws at construction (object sizes).
    """
    suite, cfg = import_robosuite()
    return suite.make(
        task,
        robots="Panda",
        controller_configs=cfg,
        has_renderer=False,
        has_offscreen_renderer=False,
        use_camera_obs=False,
        control_freq=20,
        horizon=10_000,
        ignore_done=True,
        hard_reset=False,
        seed=int(seed),
        **extra,
    )


class RobosuiteEnv(PolicyEnv):
    """A robosuite task as a :class:`PolicyEnv`.

    Args:
        task: ``Lift``, ``Door``, ``Stack`` or ``PickPlaceCan``.
        horizon: Max steps (default per task, see module doc).
        image_size: Camera image size (square).
        cameras: Camera names (default ``agentview``, ``robot0_eye_in_hand``).
        camera_obs: Include images in the gymnasium observation.
        construction_seed: Seed of ``suite.make`` (fixes object sizes for the task).
        use_latch: Door only: whether the handle must be turned first (default False: our
            scripted expert pulls the handle directly).
    """

    hidden_geom_groups = (0,)  # robosuite's collision geoms: cameras show the visual meshes

    action_spec = ROBOSUITE_OSC_7D
    default_cameras = ("agentview", "robot0_eye_in_hand")
    proprio_keys = {
        "eef_pos": "(3,) end-effector position, robot base frame (m)",
        "eef_quat": "(4,) end-effector orientation quaternion (x, y, z, w)",
        "gripper_qpos": "(2,) gripper finger joint positions (m)",
    }

    def __init__(
        self,
        task: str = "Lift",
        horizon: int | None = None,
        image_size: int = 128,
        cameras=None,
        camera_obs: bool = False,
        construction_seed: int = 0,
        use_latch: bool = False,
    ):
        if task not in INSTRUCTIONS:
            raise ConfigError(f"unknown robosuite task '{task}'; known: {', '.join(INSTRUCTIONS)}")
        extra: dict[str, Any] = {}
        name = task
        if task == "Door":
            extra["use_latch"] = use_latch
        if task == "PickPlaceCan":
            name = "PickPlaceCan"
        self.task = task
        self.instruction = INSTRUCTIONS[task]
        self.env = make_robosuite(
            name, construction_seed, use_object_obs=True, reward_shaping=True, **extra
        )
        self._obs: dict[str, np.ndarray] = {}
        self._phase = 0
        self._count = 0
        super().__init__(
            HORIZONS[task] if horizon is None else horizon, image_size, cameras, camera_obs
        )
        self._reset_sim(0)
        self._init_spaces()

    def mj(self):
        return self.env.sim.model._model, self.env.sim.data._data

    def _reset_sim(self, seed: int) -> None:
        fresh = np.random.default_rng(seed)
        self.env.rng.bit_generator.state = fresh.bit_generator.state
        self._obs = self.env.reset()
        self._phase = 0
        self._count = 0

    def _apply(self, action: np.ndarray) -> float:
        self._obs, reward, _, _ = self.env.step(action)
        return float(reward)

    def _is_success(self) -> bool:
        return bool(self.env._check_success())

    def proprio(self) -> dict[str, np.ndarray]:
        o = self._obs
        return {
            "eef_pos": np.asarray(o["robot0_eef_pos"], np.float64),
            "eef_quat": np.asarray(o["robot0_eef_quat"], np.float64),
            "gripper_qpos": np.asarray(o["robot0_gripper_qpos"], np.float64),
        }

    # ---- scripted experts on privileged state ----------------------------------------------

    def expert_action(self) -> np.ndarray:
        if self.task == "Lift":
            return self._pick_place(self._obs["cube_pos"], None)
        if self.task == "Stack":
            top = self._obs["cubeB_pos"] + np.array([0.0, 0.0, 0.045 + 0.005])
            return self._pick_place(self._obs["cubeA_pos"], top)
        if self.task == "PickPlaceCan":
            env = self.env
            bin_pos = np.asarray(env.target_bin_placements[env.object_to_id["can"]])
            return self._pick_place(
                self._obs["Can_pos"], bin_pos + np.array([0, 0, 0.15]), grasp_dz=0.02
            )
        return self._door()

    def _move(self, target: np.ndarray, gripper: float, gain: float = 10.0) -> np.ndarray:
        a = np.zeros(7)
        a[:3] = np.clip(gain * (target - self._obs["robot0_eef_pos"]), -1.0, 1.0)
        a[6] = gripper
        return a

    def _pick_place(
        self, obj: np.ndarray, place: np.ndarray | None, grasp_dz: float = -0.005
    ) -> np.ndarray:
        """Hover, descend, grasp, lift; then (if ``place``) carry over ``place``, lower, open."""
        eef = self._obs["robot0_eef_pos"]
        hover = obj + np.array([0.0, 0.0, 0.08])
        grasp = obj + np.array([0.0, 0.0, grasp_dz])
        if self._phase == 0:  # hover above the object, open
            if np.linalg.norm(eef - hover) < 0.01:
                self._phase = 1
            return self._move(hover, -1.0)
        if self._phase == 1:  # descend
            if np.linalg.norm(eef - grasp) < 0.008:
                self._phase, self._count = 2, 0
            return self._move(grasp, -1.0)
        if self._phase == 2:  # close
            self._count += 1
            if self._count >= 10:
                self._phase = 3
            return self._move(grasp, 1.0)
        if place is None:  # Lift: just lift
            return self._move(grasp + np.array([0.0, 0.0, 0.25]), 1.0)
        carry_z = place[2] + 0.08
        if self._phase == 3:  # lift to carrying height
            if eef[2] > carry_z - 0.01:
                self._phase = 4
            return self._move(np.array([eef[0], eef[1], carry_z]), 1.0)
        if self._phase == 4:  # carry over the place point
            if np.linalg.norm(eef[:2] - place[:2]) < 0.01:
                self._phase = 5
            return self._move(np.array([place[0], place[1], carry_z]), 1.0)
        if self._phase == 5:  # lower onto it
            if np.linalg.norm(eef - place) < 0.01:
                self._phase, self._count = 6, 0
            return self._move(place, 1.0)
        self._count += 1  # release, then back off upward
        return self._move(place + np.array([0.0, 0.0, 0.1]) if self._count > 5 else place, -1.0)

    def _door(self) -> np.ndarray:
        """Door expert: face the door, grasp the handle bar from the front, pull along the arc.

        The gripper turns -90 degrees about world x so that it approaches along -y with the
        fingers opening vertically around the horizontal bar.
        """
        eef = self._obs["robot0_eef_pos"]
        handle = self._obs["handle_pos"]
        hinge = self._hinge_pos()
        radial = handle[:2] - hinge[:2]
        radial = radial / max(np.linalg.norm(radial), 1e-9)
        normal = np.array([-radial[1], radial[0]])  # door normal, pointing to the robot side
        if normal[1] < 0:
            normal = -normal
        grasp = handle.copy()
        grasp[:2] += 0.03 * radial  # a little in from the bar's free end
        pre = grasp.copy()
        pre[:2] += 0.10 * normal
        if self._phase == 0:
            # approach axis (initially -z) -> -y: rotate -90 degrees about world x
            self._r_goal = axis_angle_to_matrix(np.array([-np.pi / 2, 0.0, 0.0])) @ self._eef_rot()
            self._phase = 1
        rot_err = matrix_to_axis_angle(self._r_goal @ self._eef_rot().T)
        grip = -1.0
        if self._phase == 1:  # turn and go in front of the handle
            if np.linalg.norm(eef - pre) < 0.015 and np.linalg.norm(rot_err) < 0.1:
                self._phase = 2
            target = pre
        elif self._phase == 2:  # move onto the bar
            if np.linalg.norm(eef - grasp) < 0.012:
                self._phase, self._count = 3, 0
            target = grasp
        elif self._phase == 3:  # close
            self._count += 1
            if self._count >= 10:
                self._phase = 4
            target, grip = grasp, 1.0
        else:  # pull along the arc (tangent = door normal at the handle)
            target = grasp.copy()
            target[:2] += 0.08 * normal
            grip = 1.0
        a = self._move(target, grip)
        a[3:6] = np.clip(3.0 * rot_err, -1.0, 1.0)
        return a

    def _eef_rot(self) -> np.ndarray:
        x, y, z, w = self._obs["robot0_eef_quat"]  # robosuite quaternions are (x, y, z, w)
        return np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )

    def _hinge_pos(self) -> np.ndarray:
        model, data = self.mj()
        jid = self.env.sim.model.joint_name2id(self.env.door.joints[0])
        return data.xanchor[jid].copy()

    def close(self) -> None:
        super().close()
        self.env.close()
