"""A scripted pick-and-place expert for LIBERO on privileged simulator state.

Runs inside the isolated LIBERO venv next to :mod:`libero` (which loads this file by path):
standard library and numpy only. It picks the BDDL's first object of interest and puts it into
(or onto) the second, reading object geometry straight from the MuJoCo model:

* the object's collision geoms give an oriented footprint (principal axes of their bounding-box
  corners), its top and its bottom in the world frame;
* the grasp is yaw-aligned: the fingers close across the footprint's short side (a flat cream
  cheese box is 4 cm wide but 8 cm long: a grasp across the long side does not fit);
* the grasp height comes from the object's height: a little below the top for tall objects
  (bottles, cartons), the middle of flat ones (boxes 2 cm high);
* the object is carried with its bottom clear of the target's top and released low inside it.

Phases: hover (align yaw) -> descend -> close -> lift -> transport -> lower -> release ->
retreat. Each phase has a step budget so that a blocked motion (fingers on the table) moves on
rather than stalling the episode. Control is proportional in the world frame, matching
robosuite 1.4's OSC_POSE deltas (0.05 m and 0.5 rad per unit action).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

POS_GAIN = 15.0
"""Action per metre of position error (saturates at 6.7 cm)."""
ROT_GAIN = 1.6
"""Action per radian of orientation error (0.5 rad per unit action: 0.8 of the error a step)."""
ROUND_RATIO = 1.15
"""Footprints with long / short below this are treated as round (no yaw alignment)."""


@dataclass(frozen=True)
class Extent:
    """An object's world-frame geometry from its collision geoms.

    Attributes:
        center: Footprint centre (x, y) and mid-height z.
        bottom: Lowest point (z).
        top: Highest point (z).
        short_axis: Unit xy direction of the footprint's short side.
        short: Footprint width along ``short_axis`` (m).
        long: Footprint length across it (m).
    """

    center: np.ndarray
    bottom: float
    top: float
    short_axis: np.ndarray
    short: float
    long: float


def body_geoms(model: Any, body: int) -> list[int]:
    """Collision geoms of ``body`` and its descendants (visual-only meshes are left out)."""
    out = []
    for g in range(model.ngeom):
        if model.geom_contype[g] == 0 and model.geom_conaffinity[g] == 0:
            continue
        b = model.geom_bodyid[g]
        while b not in (0, body):
            b = model.body_parentid[b]
        if b == body:
            out.append(g)
    return out


_SIGNS = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).T.reshape(-1, 3)


def extent(model: Any, data: Any, geoms: list[int]) -> Extent:
    """The world-frame :class:`Extent` of a set of geoms (their local boxes' 8 corners)."""
    pts = []
    for g in geoms:
        center, half = model.geom_aabb[g][:3], model.geom_aabb[g][3:]
        rot = data.geom_xmat[g].reshape(3, 3)
        pts.append(data.geom_xpos[g] + (center + _SIGNS * half) @ rot.T)
    p = np.concatenate(pts)
    xy = p[:, :2]
    mid = (xy.max(0) + xy.min(0)) / 2
    _, vecs = np.linalg.eigh(np.cov((xy - xy.mean(0)).T))
    proj = (xy - mid) @ vecs
    span = proj.max(0) - proj.min(0)
    centre_xy = mid + vecs @ ((proj.max(0) + proj.min(0)) / 2)
    bottom, top = float(p[:, 2].min()), float(p[:, 2].max())
    return Extent(
        center=np.array([*centre_xy, (bottom + top) / 2]),
        bottom=bottom,
        top=top,
        short_axis=vecs[:, 0],
        short=float(span[0]),
        long=float(span[1]),
    )


FINGER_BELOW_SITE = 0.016
"""The Panda fingers reach this far below the end-effector site (measured, open gripper)."""
MAX_WIDTH = 0.075
"""Widest footprint the open gripper (8 cm) closes around; wider objects are held by the rim."""
RIM_INSET = 0.012
"""Rim grasp: the grasp point's distance inside the footprint's edge (one finger inside)."""
HAND_HALF = np.array([0.11, 0.045])
"""Half-size of the hand's footprint along / across the fingers' closing axis (with margin)."""


def grasp_height(ext: Extent, floor: float) -> float:
    """End-effector height at the grasp.

    4 cm below a tall object's top; for a flat one, as low as the fingers can go above
    ``floor`` (the surface the object stands on).
    """
    if ext.short > MAX_WIDTH:  # a rim grasp (bowls): pinch the wall just below the rim
        return ext.top - 0.015
    height = ext.top - ext.bottom
    return max(ext.top - float(np.clip(0.45 * height, 0.008, 0.04)), floor + FINGER_BELOW_SITE)


def plan_grasp(
    ext: Extent, finger_axis: np.ndarray, obstacles: list[np.ndarray]
) -> tuple[float, np.ndarray]:
    """Yaw and xy grasp point that keep the hand clear of neighbouring objects.

    An oblong footprint fixes the closing axis to its short side and leaves the grasp point free
    along the long side; a round one leaves the yaw free; one wider than the open gripper is
    pinched at its rim (the grasp point moves out along the closing axis). Among the
    candidates, the one whose hand footprint stays farthest from every obstacle point wins
    (nearest the centre on ties).

    Args:
        ext: The object to grasp.
        finger_axis: The fingers' current closing axis (world xy).
        obstacles: Corner points (N, 2) of each object that rises to the hand's height.
    """
    if ext.long < ROUND_RATIO * ext.short:
        yaws = [float(y) for y in np.deg2rad(np.arange(-75, 91, 15))]
        slides = [0.0]
    else:
        yaws = [yaw_to(finger_axis, ext.short_axis)]
        free = max(0.0, ext.long / 2 - 0.02)
        slides = [float(x) for x in np.linspace(-free, free, 5)]
    pts = np.concatenate(obstacles) if obstacles else np.zeros((0, 2))
    best: tuple[float, float, np.ndarray] | None = None
    for yaw in yaws:
        axis = rot_z(yaw)[:2, :2] @ finger_axis[:2] / np.linalg.norm(finger_axis[:2])
        across = np.array([-axis[1], axis[0]])
        rims = [-1.0, 1.0] if ext.short > MAX_WIDTH else [0.0]
        for slide, rim in ((s, r) for s in slides for r in rims):
            point = ext.center[:2] + slide * across + rim * (ext.short / 2 - RIM_INSET) * axis
            rel = pts - point
            local = np.abs(np.stack([rel @ axis, rel @ across], axis=1)) - HAND_HALF
            clear = float(np.min(np.max(local, axis=1))) if len(pts) else 1.0
            score = min(clear, 0.02) - 0.01 * (abs(slide) + 0.1 * abs(yaw))
            if best is None or score > best[0]:
                best = (score, yaw, point)
    assert best is not None
    return best[1], best[2]


def _corners_xy(ext: Extent) -> np.ndarray:
    """The footprint rectangle's four corners (4, 2)."""
    u = ext.short_axis * ext.short / 2
    v = np.array([-ext.short_axis[1], ext.short_axis[0]]) * ext.long / 2
    c = ext.center[:2]
    return np.array([c + u + v, c + u - v, c - u + v, c - u - v])


def rot_z(angle: float) -> np.ndarray:
    """Rotation by ``angle`` about the world z axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotvec(rot: np.ndarray) -> np.ndarray:
    """Axis-angle vector of a rotation matrix (angle < pi)."""
    angle = np.arccos(np.clip((np.trace(rot) - 1.0) / 2.0, -1.0, 1.0))
    if angle < 1e-6:
        return np.zeros(3)
    axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
    return axis / (2.0 * np.sin(angle)) * angle


def yaw_to(finger_axis: np.ndarray, short_axis: np.ndarray) -> float:
    """Yaw that turns the fingers' closing axis onto ``short_axis`` (within +-90 degrees)."""
    a = np.arctan2(short_axis[1], short_axis[0]) - np.arctan2(finger_axis[1], finger_axis[0])
    return float((a + np.pi / 2) % np.pi - np.pi / 2)


class PickPlaceExpert:
    """Pick the BDDL's first object of interest and place it in / on the second.

    Args:
        env: A LIBERO ``OffScreenRenderEnv`` right after reset and warm-up.
    """

    # (phase name, step budget): a phase that does not converge in its budget moves on.
    PHASES = (
        ("hover", 80),
        ("descend", 40),
        ("close", 12),
        ("lift", 60),
        ("transport", 80),
        ("lower", 40),
        ("release", 10),
        ("retreat", 10_000),
    )

    def __init__(self, env: Any) -> None:
        inner = env.env
        self.model, self.data = inner.sim.model._model, inner.sim.data._data
        self.site = inner.robots[0].eef_site_id
        obj, target = list(inner.obj_of_interest)[:2]
        self.obj_geoms = body_geoms(self.model, inner.obj_body_id[obj])
        self.tgt_geoms = body_geoms(self.model, inner.obj_body_id[target])
        rot0 = self._eef_rot()
        ext = extent(self.model, self.data, self.obj_geoms)
        self.floor = ext.bottom
        others = [
            extent(self.model, self.data, gs)
            for name, body in inner.obj_body_id.items()
            if name != obj and (gs := body_geoms(self.model, body))
        ]
        low = grasp_height(ext, self.floor) + 0.005
        obstacles = [_corners_xy(o) for o in others if o.top > low]
        # The Panda's fingers close along the end-effector's local x axis.
        yaw, self.grasp_xy = plan_grasp(ext, rot0[:, 0], obstacles)
        self.goal_rot = rot_z(yaw) @ rot0
        self.start_xy = ext.center[:2].copy()  # the grasp point moves with the object
        self.phase = 0
        self.count = 0

    def _grasp_xy(self, obj: Extent) -> np.ndarray:
        return self.grasp_xy + obj.center[:2] - self.start_xy

    def _eef(self) -> np.ndarray:
        return np.array(self.data.site_xpos[self.site])

    def _eef_rot(self) -> np.ndarray:
        return np.array(self.data.site_xmat[self.site]).reshape(3, 3)

    def action(self) -> np.ndarray:
        """The next 7-D action (advances the phase machine)."""
        eef = self._eef()
        obj = extent(self.model, self.data, self.obj_geoms)
        tgt = extent(self.model, self.data, self.tgt_geoms)
        name, budget = self.PHASES[self.phase]
        goal, grip, done = self._goal(name, eef, obj, tgt)
        self.count += 1
        if done or self.count >= budget:
            self.phase = min(self.phase + 1, len(self.PHASES) - 1)
            self.count = 0
        a = np.zeros(7)
        a[:3] = np.clip(POS_GAIN * (goal - eef), -1.0, 1.0)
        a[3:6] = np.clip(ROT_GAIN * rotvec(self.goal_rot @ self._eef_rot().T), -1.0, 1.0)
        a[6] = grip
        return a

    def _goal(
        self, name: str, eef: np.ndarray, obj: Extent, tgt: Extent
    ) -> tuple[np.ndarray, float, bool]:
        """Position goal, gripper command and whether the phase is done."""
        clear = tgt.top + 0.04  # the object's bottom during transport
        if name == "hover":
            goal = np.array([*self._grasp_xy(obj), obj.top + 0.08])
            aligned = np.linalg.norm(rotvec(self.goal_rot @ self._eef_rot().T)) < 0.05
            return goal, -1.0, aligned and np.linalg.norm(goal - eef) < 0.01
        if name == "descend":
            goal = np.array([*self._grasp_xy(obj), grasp_height(obj, self.floor)])
            return goal, -1.0, np.linalg.norm(goal - eef) < 0.006
        if name == "close":
            return eef, 1.0, False
        carried_bottom = obj.bottom  # the object is in hand: its own geometry says where it is
        if name == "lift":
            goal = np.array([eef[0], eef[1], eef[2] + clear + 0.01 - carried_bottom])
            return goal, 1.0, carried_bottom > clear
        over = eef[:2] + tgt.center[:2] - obj.center[:2]  # object centre over target centre
        if name == "transport":
            goal = np.array([*over, eef[2] + clear + 0.01 - carried_bottom])
            return goal, 1.0, np.linalg.norm(goal[:2] - eef[:2]) < 0.01
        if name == "lower":  # release with the bottom a little above the target's floor
            release = tgt.bottom + 0.03
            goal = np.array([*over, eef[2] + release - carried_bottom])
            return goal, 1.0, carried_bottom < release + 0.01
        if name == "release":
            return eef, -1.0, False
        return np.array([eef[0], eef[1], clear + 0.1]), -1.0, False
