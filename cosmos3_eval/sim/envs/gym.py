"""gymnasium MuJoCo v5 tasks (Reacher, Pusher) as policy envs (:mod:`cosmos3_eval.sim.envs`)."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium
import numpy as np

from cosmos3_eval.api.types import ActionSpec
from cosmos3_eval.sim.envs.kinds import FreeCamera, PolicyEnv
from cosmos3_eval.sim.render import import_mujoco


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
    proprio_keys = {
        "joint_pos": "(2,) shoulder and elbow angles (rad)",
        "joint_vel": "(2,) joint velocities (rad/s)",
        "fingertip_pos": "(2,) fingertip x, y (m)",
        "target_pos": "(2,) target x, y (m)",
    }
    proprio_keys = {
        "joint_pos": "(7,) arm joint angles (rad)",
        "joint_vel": "(7,) joint velocities (rad/s)",
        "fingertip_pos": "(3,) fingertip position (m)",
        "object_pos": "(3,) object position (m)",
        "goal_pos": "(3,) goal position (m)",
    }
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
