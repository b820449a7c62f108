"""Seeded MuJoCo scenes and questions with simulator-verified answers (physqa-sim).

A scene is 2-6 primitives (box, sphere, cylinder, capsule) in distinct named colours on a
table, seen by a camera whose pose, lighting and the object sizes vary with the seed. Static
questions (count, colour, left/right, closer, largest/tallest) are asked about one image; video
questions (moved / fell, motion direction, will-the-stack-topple, do-they-collide) about a
short rollout. Every answer is read from simulator state (positions, orientations, contacts)
after the physics ran, never assumed from how the scene was set up: generators *propose* a
scene for a target answer drawn from the seed and keep it only if the simulation agrees with a
clear margin, otherwise they propose again from the same RNG stream. So a question depends on
its seed alone, answers are balanced over the choices, and ambiguous scenes (occlusion, ties)
never reach a model.

Rendering uses one :class:`SceneRenderer` per image size: a template model with a fixed
number of geom slots whose type, size and colour are rewritten per scene and whose poses are
copied from the physics, so no GL context is created per scene (creating one costs ~0.1 s
on software GL, rendering a frame ~1 ms).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosmos3_eval.sim.render import import_mujoco, make_renderer

COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.90, 0.10, 0.10),
    "orange": (1.00, 0.55, 0.05),
    "yellow": (0.95, 0.90, 0.10),
    "green": (0.10, 0.70, 0.20),
    "cyan": (0.10, 0.80, 0.85),
    "blue": (0.15, 0.30, 0.95),
    "purple": (0.55, 0.20, 0.85),
    "pink": (1.00, 0.50, 0.80),
}
"""Object colours, far apart in hue (or, for red / pink, in lightness), with their names."""

SHAPES: tuple[str, ...] = ("box", "sphere", "cylinder", "capsule")
_PLURAL = {"box": "boxes", "sphere": "spheres", "cylinder": "cylinders", "capsule": "capsules"}

IMAGE_TYPES: tuple[str, ...] = ("count", "colour", "left_right", "closer", "size")
VIDEO_TYPES: tuple[str, ...] = ("moved", "direction", "topple", "collide")
QUESTION_TYPES: tuple[str, ...] = IMAGE_TYPES + VIDEO_TYPES
"""Every question type (the sample category)."""

DIRECTIONS: tuple[str, ...] = ("left", "right", "toward the camera", "away from the camera")

TABLE_HALF = 0.35
"""Half side of the square table top (m); its top is at z = 0."""
TIMESTEP = 0.002
FOVY = 45.0
MAX_SLOTS = 8
_MAX_ATTEMPTS = 2000


@dataclass(frozen=True)
class Obj:
    """One primitive.

    Attributes:
        colour: Colour name (a key of :data:`COLOURS`), unique within a scene.
        shape: One of :data:`SHAPES`.
        size: MuJoCo geom size (box: half extents; sphere: radius; cylinder / capsule: radius,
            half length).
        pos: Initial centre position (m).
        quat: Initial orientation (w, x, y, z).
        vel: Initial linear (3) then angular (3) velocity of its free joint.
    """

    colour: str
    shape: str
    size: tuple[float, float, float]
    pos: tuple[float, float, float]
    quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    vel: tuple[float, ...] = (0.0,) * 6

    @property
    def name(self) -> str:
        """``"<colour> <shape>"``, unique within a scene."""
        return f"{self.colour} {self.shape}"

    @property
    def height(self) -> float:
        """Vertical extent as placed (capsules lie on their side)."""
        s = self.size
        return {"box": 2 * s[2], "sphere": 2 * s[0], "cylinder": 2 * s[1], "capsule": 2 * s[0]}[
            self.shape
        ]

    @property
    def volume(self) -> float:
        """Volume in m^3."""
        r, h = self.size[0], self.size[1]
        if self.shape == "box":
            return 8 * self.size[0] * self.size[1] * self.size[2]
        if self.shape == "sphere":
            return 4 / 3 * math.pi * r**3
        if self.shape == "cylinder":
            return math.pi * r * r * 2 * h
        return math.pi * r * r * 2 * h + 4 / 3 * math.pi * r**3

    @property
    def footprint(self) -> float:
        """Radius of a vertical cylinder around the centre that contains the object."""
        s = self.size
        return {
            "box": math.hypot(s[0], s[1]),
            "sphere": s[0],
            "cylinder": s[0],
            "capsule": s[0] + s[1],
        }[self.shape]

    @property
    def bound(self) -> float:
        """Radius of a sphere around the centre that contains the object."""
        s = self.size
        return {
            "box": math.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2),
            "sphere": s[0],
            "cylinder": math.hypot(s[0], s[1]),
            "capsule": s[0] + s[1],
        }[self.shape]


@dataclass(frozen=True)
class CameraPose:
    """A MuJoCo free camera: looks at ``lookat`` from ``distance`` (degrees for angles)."""

    lookat: tuple[float, float, float]
    distance: float
    azimuth: float
    elevation: float

    def frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Camera position and its right, up and forward unit vectors (MuJoCo's convention)."""
        az, el = math.radians(self.azimuth), math.radians(self.elevation)
        fwd = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
        pos = np.asarray(self.lookat) - self.distance * fwd
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        return pos, right, up, fwd

    def project(self, point: Sequence[float]) -> tuple[float, float, float]:
        """Normalised image coordinates of a 3-D point.

        Returns:
            ``(x, y, depth)``: x from 0 (left edge) to 1 (right edge), y from 0 (top) to 1
            (bottom) for a square image, and the depth along the view axis in metres.
        """
        pos, right, up, fwd = self.frame()
        rel = np.asarray(point, dtype=float) - pos
        depth = float(rel @ fwd)
        f = 0.5 / math.tan(math.radians(FOVY) / 2)
        return 0.5 + f * float(rel @ right) / depth, 0.5 - f * float(rel @ up) / depth, depth

    def projected_radius(self, radius: float, depth: float) -> float:
        """Image-normalised radius of a sphere of ``radius`` at ``depth``."""
        return 0.5 / math.tan(math.radians(FOVY) / 2) * radius / depth


@dataclass(frozen=True)
class Lighting:
    """One directional light plus the headlight."""

    direction: tuple[float, float, float]
    diffuse: float
    ambient: float


@dataclass(frozen=True)
class Scene:
    """Everything needed to simulate and render one question's media.

    Attributes:
        objects: The primitives.
        camera: Camera pose.
        light: Lighting.
        horizon: Seconds simulated to compute the answer (0 = static scene).
        video_span: Seconds shown by the video, from t = 0 (0 = a single image).
    """

    objects: tuple[Obj, ...]
    camera: CameraPose
    light: Lighting
    horizon: float = 0.0
    video_span: float = 0.0


@dataclass(frozen=True)
class Question:
    """A generated question with its simulator-derived answer.

    Attributes:
        qtype: Question type (one of :data:`QUESTION_TYPES`).
        text: The question, without the choices.
        choices: Multiple-choice options, or ``None`` for a numeric answer.
        answer_index: Index of the correct choice (multiple choice).
        answer_number: The correct number (numeric questions).
        scene: The scene the media shows.
    """

    qtype: str
    text: str
    choices: tuple[str, ...] | None
    answer_index: int | None
    answer_number: int | None
    scene: Scene

    @property
    def is_video(self) -> bool:
        """Whether the media is a video."""
        return self.scene.video_span > 0

    @property
    def answer_text(self) -> str:
        """The correct choice text or number, for reasons and reports."""
        if self.choices is not None and self.answer_index is not None:
            return self.choices[self.answer_index]
        return str(self.answer_number)


@dataclass(frozen=True)
class Rollout:
    """Simulator state of a scene after ``horizon`` seconds.

    Attributes:
        start_pos: Object centres at t = 0, ``(n, 3)``.
        end_pos: Object centres at the horizon, ``(n, 3)``.
        rotation: Rotation angle (rad) of each object between t = 0 and the horizon.
        contacts: Pairs ``(i, j)`` (i < j) of objects that touched at any physics step (only
            when tracked).
        frames: Poses at the requested sample times: list of ``(xpos (n,3), xmat (n,9))``.
    """

    start_pos: np.ndarray
    end_pos: np.ndarray
    rotation: np.ndarray
    contacts: frozenset[tuple[int, int]]
    frames: list[tuple[np.ndarray, np.ndarray]]


class SceneRejected(Exception):
    """A proposed scene is ambiguous or disagrees with its target answer (internal)."""


# --------------------------------------------------------------------------------- physics


def _fmt(v: Sequence[float]) -> str:
    return " ".join(f"{float(x):.6g}" for x in v)


def scene_mjcf(scene: Scene) -> str:
    """The MJCF of a scene's physics (table plus one free body per object)."""
    bodies = []
    for i, o in enumerate(scene.objects):
        size = {"box": o.size, "sphere": o.size[:1], "cylinder": o.size[:2], "capsule": o.size[:2]}
        rgba = (*COLOURS[o.colour], 1.0)
        bodies.append(
            f'<body name="o{i}" pos="{_fmt(o.pos)}" quat="{_fmt(o.quat)}"><freejoint/>'
            f'<geom name="g{i}" type="{o.shape}" size="{_fmt(size[o.shape])}" '
            f'rgba="{_fmt(rgba)}" density="500" friction="0.4 0.005 0.0001"/></body>'
        )
    return (
        f'<mujoco><option timestep="{TIMESTEP}"/><worldbody>'
        f'<geom name="table" type="box" size="{TABLE_HALF} {TABLE_HALF} 0.35" pos="0 0 -0.35" '
        'friction="0.4 0.005 0.0001"/>' + "".join(bodies) + "</worldbody></mujoco>"
    )


def _rotation_angle(m0: np.ndarray, m1: np.ndarray) -> float:
    cos = (np.trace(m0.reshape(3, 3).T @ m1.reshape(3, 3)) - 1) / 2
    return float(math.acos(max(-1.0, min(1.0, cos))))


def _record_contacts(data: Any, slot_of: dict[int, int], out: set[tuple[int, int]]) -> None:
    if data.ncon:
        con = data.contact  # array views over the active contacts (no per-contact objects)
        for g1, g2 in con.geom[con.dist < 1e-3]:
            a, b = slot_of.get(int(g1)), slot_of.get(int(g2))
            if a is not None and b is not None:
                out.add((min(a, b), max(a, b)))


def simulate(scene: Scene, times: Sequence[float] = (), track_contacts: bool = False) -> Rollout:
    """Simulate a scene to its horizon, recording poses at ``times`` and all contacts.

    Deterministic: the same scene gives bit-identical poses (MuJoCo is deterministic on one
    machine for one build), so media re-rendered later match the answer computed earlier.

    Args:
        scene: The scene.
        times: Sample times in seconds (each within ``[0, horizon]``).
        track_contacts: Record object-object contacts at every physics step (slower).
    """
    mujoco = import_mujoco()
    model = mujoco.MjModel.from_xml_string(scene_mjcf(scene))
    data = mujoco.MjData(model)
    n = len(scene.objects)
    for i, o in enumerate(scene.objects):
        adr = model.jnt_dofadr[model.body_jntadr[model.body(f"o{i}").id]]
        data.qvel[adr : adr + 6] = o.vel
    gid = np.array([model.geom(f"g{i}").id for i in range(n)])
    slot_of = {int(g): i for i, g in enumerate(gid)}
    mujoco.mj_forward(model, data)
    start_pos = data.geom_xpos[gid].copy()
    start_mat = data.geom_xmat[gid].copy()
    steps = int(round(scene.horizon / TIMESTEP))
    stops = sorted({min(steps, int(round(t / TIMESTEP))) for t in times} | {steps})
    by_step: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    contacts: set[tuple[int, int]] = set()
    step = 0
    for stop in stops:
        while step < stop:
            if track_contacts:
                mujoco.mj_step(model, data)
                step += 1
                _record_contacts(data, slot_of, contacts)
            else:  # no per-step Python work: let MuJoCo run the whole stretch
                mujoco.mj_step(model, data, nstep=stop - step)
                step = stop
        by_step[stop] = (data.geom_xpos[gid].copy(), data.geom_xmat[gid].copy())
    frames = [by_step[min(steps, int(round(t / TIMESTEP)))] for t in times]
    end_pos = data.geom_xpos[gid].copy()
    rotation = np.array([_rotation_angle(start_mat[i], data.geom_xmat[gid[i]]) for i in range(n)])
    return Rollout(start_pos, end_pos, rotation, frames=frames, contacts=frozenset(contacts))


def static_poses(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Object poses of a static scene as the simulator computes them (``mj_forward``)."""
    roll = simulate(Scene(scene.objects, scene.camera, scene.light), times=(0.0,))
    return roll.frames[0]


# -------------------------------------------------------------------------------- rendering


def _template_mjcf() -> str:
    slots = "".join(
        f'<geom name="slot{i}" type="sphere" size="0.01" group="3" contype="0" conaffinity="0"/>'
        for i in range(MAX_SLOTS)
    )
    return (
        '<mujoco><visual><global fovy="45"/><headlight ambient="0.25 0.25 0.25" '
        'diffuse="0.35 0.35 0.35" specular="0 0 0"/></visual><worldbody>'
        '<light name="sun" directional="true" pos="0 0 2" dir="0 0 -1"/>'
        '<geom name="floor" type="plane" size="3 3 0.1" pos="0 0 -0.7" rgba="0.32 0.33 0.36 1"/>'
        f'<geom name="table" type="box" size="{TABLE_HALF} {TABLE_HALF} 0.35" pos="0 0 -0.35" '
        'rgba="0.78 0.74 0.68 1"/>' + slots + "</worldbody></mujoco>"
    )


_GEOM_TYPE = {"box": 6, "sphere": 2, "cylinder": 5, "capsule": 3}  # mjtGeom values


class SceneRenderer:
    """Renders scenes at one size through a single ``mujoco.Renderer``.

    Args:
        width: Image width.
        height: Image height.
    """

    def __init__(self, width: int, height: int):
        mujoco = import_mujoco()
        self.width, self.height = width, height
        self._mj = mujoco
        self._model = mujoco.MjModel.from_xml_string(_template_mjcf())
        self._data = mujoco.MjData(self._model)
        mujoco.mj_forward(self._model, self._data)
        self._slots = [self._model.geom(f"slot{i}").id for i in range(MAX_SLOTS)]
        self._renderer = make_renderer(self._model, width, height)
        self._option = mujoco.MjvOption()
        self._option.geomgroup[3] = 0  # unused slots live in group 3, which is hidden

    def _setup(self, scene: Scene) -> Any:
        if len(scene.objects) > MAX_SLOTS:
            raise ValueError(f"at most {MAX_SLOTS} objects per scene")
        m = self._model
        for i, g in enumerate(self._slots):
            if i < len(scene.objects):
                o = scene.objects[i]
                m.geom_type[g] = _GEOM_TYPE[o.shape]
                m.geom_size[g] = o.size
                m.geom_rgba[g] = (*COLOURS[o.colour], 1.0)
                m.geom_group[g] = 0
            else:
                m.geom_group[g] = 3
        light = scene.light
        m.light_diffuse[0] = (light.diffuse,) * 3
        m.light_ambient[0] = (light.ambient,) * 3
        self._data.light_xdir[0] = light.direction
        cam = self._mj.MjvCamera()
        cam.type = self._mj.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = scene.camera.lookat
        cam.distance = scene.camera.distance
        cam.azimuth = scene.camera.azimuth
        cam.elevation = scene.camera.elevation
        return cam

    def _draw(self, cam: Any, xpos: np.ndarray, xmat: np.ndarray) -> np.ndarray:
        n = len(xpos)
        self._data.geom_xpos[self._slots[:n]] = xpos
        self._data.geom_xmat[self._slots[:n]] = xmat
        self._renderer.update_scene(self._data, camera=cam, scene_option=self._option)
        return self._renderer.render().copy()

    def image(self, scene: Scene) -> np.ndarray:
        """Render a static scene: ``(H, W, 3)`` uint8."""
        cam = self._setup(scene)
        xpos, xmat = static_poses(scene)
        return self._draw(cam, xpos, xmat)

    def video(self, scene: Scene, frames: int) -> np.ndarray:
        """Simulate and render ``frames`` frames evenly over ``[0, video_span]``."""
        times = np.linspace(0.0, scene.video_span, frames)
        roll = simulate(scene, times)
        cam = self._setup(scene)
        return np.stack([self._draw(cam, xpos, xmat) for xpos, xmat in roll.frames])

    def segmentation(self, scene: Scene) -> np.ndarray:
        """Object index per pixel of a static scene (-1 = not an object); for tests."""
        cam = self._setup(scene)
        xpos, xmat = static_poses(scene)
        self._renderer.enable_segmentation_rendering()
        try:
            n = len(xpos)
            self._data.geom_xpos[self._slots[:n]] = xpos
            self._data.geom_xmat[self._slots[:n]] = xmat
            self._renderer.update_scene(self._data, camera=cam, scene_option=self._option)
            seg = self._renderer.render()[..., 0]
        finally:
            self._renderer.disable_segmentation_rendering()
        out = np.full(seg.shape, -1, dtype=np.int64)
        for i, g in enumerate(self._slots):
            out[seg == g] = i
        return out

    def close(self) -> None:
        """Release the GL context."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


# ------------------------------------------------------------------------------- generation


def _yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    return (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))


def _quat_mul(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, float]:
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return (
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    )


def _random_obj(
    rng: np.random.Generator, colour: str, shape: str, scale: float | None = None
) -> Obj:
    """An object of a random size resting on the table at the origin (placed later)."""
    s = float(rng.uniform(0.025, 0.055)) if scale is None else scale
    yaw = float(rng.uniform(0, math.pi))
    quat = _yaw_quat(yaw)
    if shape == "box":
        a, b, c = (s * float(rng.uniform(0.7, 1.3)) for _ in range(3))
        size, z = (a, b, c), c
    elif shape == "sphere":
        size, z = (s, 0.0, 0.0), s
    elif shape == "cylinder":
        r, h = s * float(rng.uniform(0.7, 1.1)), s * float(rng.uniform(0.7, 1.5))
        size, z = (r, h, 0.0), h
    else:  # capsule lying on its side: its axis (local z) turned to horizontal
        r, h = s * float(rng.uniform(0.5, 0.75)), s * float(rng.uniform(0.8, 1.3))
        size, z = (r, h, 0.0), r
        quat = _quat_mul(quat, (math.cos(math.pi / 4), 0.0, math.sin(math.pi / 4), 0.0))
    return Obj(colour, shape, size, (0.0, 0.0, z), quat)


def _place(o: Obj, x: float, y: float, z: float | None = None) -> Obj:
    return Obj(o.colour, o.shape, o.size, (x, y, o.pos[2] if z is None else z), o.quat, o.vel)


def _with(o: Obj, **kw: Any) -> Obj:
    fields = {k: getattr(o, k) for k in ("colour", "shape", "size", "pos", "quat", "vel")}
    fields.update(kw)
    return Obj(**fields)


def _scatter(
    rng: np.random.Generator, objs: list[Obj], extent: float = 0.22, gap: float = 0.03
) -> list[Obj]:
    """Place objects at random non-overlapping table positions."""
    placed: list[Obj] = []
    for o in objs:
        for _ in range(200):
            x, y = (float(v) for v in rng.uniform(-extent, extent, 2))
            if all(
                math.hypot(x - p.pos[0], y - p.pos[1]) > o.footprint + p.footprint + gap
                for p in placed
            ):
                placed.append(_place(o, x, y))
                break
        else:
            raise SceneRejected("no room")
    return placed


def _camera_lighting(
    rng: np.random.Generator, lookat_z: float = 0.03
) -> tuple[CameraPose, Lighting]:
    cam = CameraPose(
        lookat=(float(rng.uniform(-0.03, 0.03)), float(rng.uniform(-0.03, 0.03)), lookat_z),
        distance=float(rng.uniform(0.8, 1.05)),
        azimuth=float(rng.uniform(0, 360)),
        elevation=float(-rng.uniform(32, 58)),
    )
    az = rng.uniform(0, 2 * math.pi)
    el = rng.uniform(0.9, 1.4)
    direction = (
        -math.cos(el) * math.cos(az),
        -math.cos(el) * math.sin(az),
        -math.sin(el),
    )
    light = Lighting(
        tuple(float(v) for v in direction),  # type: ignore[arg-type]
        float(rng.uniform(0.45, 0.8)),
        float(rng.uniform(0.1, 0.3)),
    )
    return cam, light


def check_visible(
    camera: CameraPose,
    centres: Sequence[Sequence[float]],
    bounds: Sequence[float],
    margin: float = 0.04,
    overlap: bool = False,
) -> None:
    """Raise :class:`SceneRejected` unless every object is fully in view.

    Unless ``overlap`` is set, no two objects' projected bounding discs may overlap either, so
    nothing is occluded.
    """
    disc = []
    for c, b in zip(centres, bounds):
        x, y, depth = camera.project(c)
        r = camera.projected_radius(b, depth)
        if depth <= 0.1 or not (
            margin + r < x < 1 - margin - r and margin + r < y < 1 - margin - r
        ):
            raise SceneRejected("object out of view")
        disc.append((x, y, r))
    if not overlap:
        for i in range(len(disc)):
            for j in range(i):
                xi, yi, ri = disc[i]
                xj, yj, rj = disc[j]
                if math.hypot(xi - xj, yi - yj) < ri + rj + 0.01:
                    raise SceneRejected("occlusion")


def _pick_colours(rng: np.random.Generator, k: int) -> list[str]:
    names = list(COLOURS)
    return [names[i] for i in rng.permutation(len(names))[:k]]


def _static_scene(rng: np.random.Generator, objs: list[Obj]) -> Scene:
    placed = _scatter(rng, objs)
    cam, light = _camera_lighting(rng)
    scene = Scene(tuple(placed), cam, light)
    xpos, _ = static_poses(scene)
    check_visible(cam, xpos, [o.bound for o in placed])
    return scene


def _mc(
    rng: np.random.Generator, correct: str, distractors: Sequence[str], k: int = 4
) -> tuple[tuple[str, ...], int]:
    """Choices with ``correct`` at a uniformly random position among ``k - 1`` distractors."""
    others = list(distractors)[: k - 1]
    order = [others[i] for i in rng.permutation(len(others))]
    pos = int(rng.integers(len(order) + 1))
    order.insert(pos, correct)
    return tuple(order), pos


def _objects(rng: np.random.Generator, n: int, shapes: Sequence[str] | None = None) -> list[Obj]:
    colours = _pick_colours(rng, n)
    if shapes is None:
        shapes = [SHAPES[int(i)] for i in rng.integers(0, len(SHAPES), n)]
    return [_random_obj(rng, c, s) for c, s in zip(colours, shapes)]


def _q_count(rng: np.random.Generator) -> Question:
    if rng.random() < 0.5:
        n = int(rng.integers(2, 7))
        scene = _static_scene(rng, _objects(rng, n))
        # the answer is the number of bodies the simulator holds, not the n we asked for
        truth = len(static_poses(scene)[0])
        return Question("count", "How many objects are on the table?", None, None, truth, scene)
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    k = int(rng.integers(1, 4))
    n = int(rng.integers(max(k + 1, 2), 7))
    others = [s for s in SHAPES if s != shape]
    shapes = [shape] * k + [others[int(i)] for i in rng.integers(0, 3, n - k)]
    shapes = [shapes[int(i)] for i in rng.permutation(n)]
    scene = _static_scene(rng, _objects(rng, n, shapes))
    truth = sum(o.shape == shape for o in scene.objects)
    text = f"How many {_PLURAL[shape]} are on the table?"
    return Question("count", text, None, None, truth, scene)


def _q_colour(rng: np.random.Generator) -> Question:
    n = int(rng.integers(2, 6))
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    others = [s for s in SHAPES if s != shape]
    shapes = [shape] + [others[int(i)] for i in rng.integers(0, 3, n - 1)]
    objs = _objects(rng, n, shapes)
    scene = _static_scene(rng, objs)
    target = next(o for o in scene.objects if o.shape == shape)
    in_scene = [o.colour for o in scene.objects if o is not target]
    rest = [c for c in COLOURS if c != target.colour and c not in in_scene]
    pool = in_scene + [rest[int(i)] for i in rng.permutation(len(rest))]
    choices, ans = _mc(rng, target.colour, pool[:3])
    return Question("colour", f"What colour is the {shape}?", choices, ans, None, scene)


def _extreme(
    rng: np.random.Generator, scene: Scene, values: np.ndarray, margin: float, largest: bool
) -> tuple[tuple[str, ...], int]:
    """Choices naming 4 objects, the correct one the unique extreme of ``values``."""
    order = np.argsort(-values if largest else values)
    best, second = values[order[0]], values[order[1]]
    if abs(best - second) < margin:
        raise SceneRejected("tie")
    names = [o.name for o in scene.objects]
    distract = [names[int(i)] for i in rng.permutation(order[1:])][:3]
    return _mc(rng, names[int(order[0])], distract)


def _q_left_right(rng: np.random.Generator) -> Question:
    scene = _static_scene(rng, _objects(rng, int(rng.integers(4, 7))))
    xpos, _ = static_poses(scene)
    xs = np.array([scene.camera.project(p)[0] for p in xpos])
    left = bool(rng.random() < 0.5)
    choices, ans = _extreme(rng, scene, xs, 0.06, largest=not left)
    side = "left" if left else "right"
    text = f"Which object is furthest to the {side} in the image?"
    return Question("left_right", text, choices, ans, None, scene)


def _q_closer(rng: np.random.Generator) -> Question:
    scene = _static_scene(rng, _objects(rng, int(rng.integers(4, 7))))
    xpos, _ = static_poses(scene)
    pos, *_ = scene.camera.frame()
    dist = np.linalg.norm(xpos - pos, axis=1)
    closest = bool(rng.random() < 0.5)
    choices, ans = _extreme(rng, scene, dist, 0.07, largest=not closest)
    word = "closest to" if closest else "farthest from"
    return Question("closer", f"Which object is {word} the camera?", choices, ans, None, scene)


def _q_size(rng: np.random.Generator) -> Question:
    n = int(rng.integers(4, 7))
    objs = _objects(rng, n)
    tallest = bool(rng.random() < 0.5)
    # Grow one object so that it wins clearly; the winner is then read from the geometry.
    k = int(rng.integers(n))
    if tallest:
        grow = max(o.height for o in objs) * float(rng.uniform(1.35, 1.6)) / objs[k].height
        o = objs[k]
        if o.shape in ("sphere", "capsule"):
            size = tuple(v * grow for v in o.size)
        elif o.shape == "box":
            size = (o.size[0], o.size[1], o.size[2] * grow)
        else:
            size = (o.size[0], o.size[1] * grow, 0.0)
    else:
        vmax = max(p.volume for i, p in enumerate(objs) if i != k)
        grow = max(1.0, (vmax * float(rng.uniform(2.0, 2.6)) / objs[k].volume) ** (1 / 3))
        size = tuple(v * grow for v in objs[k].size)
    z = {"box": size[2], "sphere": size[0], "cylinder": size[1], "capsule": size[0]}
    objs[k] = _with(objs[k], size=size, pos=(0.0, 0.0, z[objs[k].shape]))
    if max(o.bound for o in objs) > 0.11:
        raise SceneRejected("too big")
    scene = _static_scene(rng, objs)
    if tallest:
        values = np.array([o.height for o in scene.objects])
        choices, ans = _extreme(rng, scene, values, 0.25 * float(np.sort(values)[-2]), True)
        return Question("size", "Which object is the tallest?", choices, ans, None, scene)
    values = np.array([o.volume for o in scene.objects])
    choices, ans = _extreme(rng, scene, values, 0.8 * float(np.sort(values)[-2]), True)
    return Question("size", "Which object is the largest?", choices, ans, None, scene)


def _rolling_vel(o: Obj, v: np.ndarray) -> tuple[float, ...]:
    """Initial velocity: spheres roll without slipping (w = z x v / r), others slide."""
    w = np.cross([0.0, 0.0, 1.0], v) / o.size[0] if o.shape == "sphere" else np.zeros(3)
    return tuple(float(x) for x in (*v, *w))


def _q_moved(rng: np.random.Generator) -> Question:
    fell = bool(rng.random() < 0.5)
    colours = _pick_colours(rng, 4)
    if fell:
        # Four tall blocks / cylinders; one is given a spin about a horizontal axis.
        objs = []
        for c in colours:
            shape = "box" if rng.random() < 0.5 else "cylinder"
            w = float(rng.uniform(0.018, 0.026))
            h = w * float(rng.uniform(2.2, 3.0))
            size = (w, w, h) if shape == "box" else (w, h, 0.0)
            objs.append(Obj(c, shape, size, (0.0, 0.0, h), _yaw_quat(float(rng.uniform(0, 3)))))
        objs = _scatter(rng, objs, gap=0.12)
        k = int(rng.integers(4))
        axis = float(rng.uniform(0, 2 * math.pi))
        spin = float(rng.uniform(9.0, 12.0))
        w3 = (spin * math.cos(axis), spin * math.sin(axis), 0.0)
        objs[k] = _with(objs[k], vel=(0.0, 0.0, 0.0, *w3))
        text, horizon = "Which object fell over?", 1.2
    else:
        objs = _scatter(rng, _objects(rng, 4, [SHAPES[int(i)] for i in rng.integers(0, 3, 4)]))
        k = int(rng.integers(4))
        ang = float(rng.uniform(0, 2 * math.pi))
        o = objs[k]
        speed = float(rng.uniform(0.12, 0.18)) if o.shape == "sphere" else 0.9
        v = speed * np.array([math.cos(ang), math.sin(ang), 0.0])
        objs[k] = _with(o, vel=_rolling_vel(o, v))
        text, horizon = "Which object moved?", 1.0
    cam, light = _camera_lighting(rng)
    scene = Scene(tuple(objs), cam, light, horizon=horizon, video_span=horizon)
    check_visible(cam, [o.pos for o in objs], [o.bound for o in objs])  # before simulating
    roll = simulate(scene)
    check_visible(cam, roll.start_pos, [o.bound for o in objs])
    check_visible(cam, roll.end_pos, [o.bound for o in objs], overlap=True)
    disp = np.linalg.norm(roll.end_pos - roll.start_pos, axis=1)
    if fell:
        changed = roll.rotation > math.radians(60)
        still = (roll.rotation < math.radians(5)) & (disp < 0.01)
    else:
        changed = (disp > 0.06) & (np.abs(roll.end_pos[:, :2]).max(axis=1) < TABLE_HALF - 0.03)
        still = disp < 0.005
    winners = np.flatnonzero(changed)
    if len(winners) != 1 or int(still.sum()) != 3:
        raise SceneRejected("not exactly one object moved")
    names = [o.name for o in objs]
    w = int(winners[0])
    choices, ans = _mc(rng, names[w], [names[i] for i in rng.permutation(4) if i != w])
    return Question("moved", text, choices, ans, None, scene)


def _q_direction(rng: np.random.Generator) -> Question:
    n = int(rng.integers(2, 5))
    objs = _scatter(rng, _objects(rng, n, ["sphere"] + ["box"] * (n - 1)), extent=0.2, gap=0.05)
    cam, light = _camera_lighting(rng)
    _, right, _, fwd = cam.frame()
    right_h = np.array([right[0], right[1], 0.0]) / np.linalg.norm(right[:2])
    fwd_h = np.array([fwd[0], fwd[1], 0.0]) / np.linalg.norm(fwd[:2])
    target = int(rng.integers(4))
    base = (-right_h, right_h, -fwd_h, fwd_h)[target]
    jitter = float(rng.uniform(-0.35, 0.35))
    c, s = math.cos(jitter), math.sin(jitter)
    v = float(rng.uniform(0.12, 0.18)) * np.array(
        [c * base[0] - s * base[1], s * base[0] + c * base[1], 0.0]
    )
    objs[0] = _with(objs[0], vel=_rolling_vel(objs[0], v))
    scene = Scene(tuple(objs), cam, light, horizon=1.0, video_span=1.0)
    check_visible(cam, [o.pos for o in objs], [o.bound for o in objs])  # before simulating
    roll = simulate(scene)
    check_visible(cam, roll.start_pos, [o.bound for o in objs])
    check_visible(cam, roll.end_pos, [o.bound for o in objs], overlap=True)
    d = roll.end_pos[0] - roll.start_pos[0]
    others = np.linalg.norm(roll.end_pos[1:] - roll.start_pos[1:], axis=1)
    if others.size and others.max() > 0.005:
        raise SceneRejected("mover hit something")
    lateral, depthwise = float(d @ right_h), float(d @ fwd_h)
    if max(abs(lateral), abs(depthwise)) < 0.06:
        raise SceneRejected("too small a motion")
    if abs(lateral) >= 2 * abs(depthwise):
        truth = 1 if lateral > 0 else 0
    elif abs(depthwise) >= 2 * abs(lateral):
        truth = 3 if depthwise > 0 else 2
    else:
        raise SceneRejected("diagonal motion")
    perm = [int(i) for i in rng.permutation(4)]
    choices = tuple(DIRECTIONS[i] for i in perm)
    text = f"In which direction did the {objs[0].name} move?"
    return Question("direction", text, choices, perm.index(truth), None, scene)


def _q_topple(rng: np.random.Generator) -> Question:
    k = int(rng.integers(2, 4))
    colours = _pick_colours(rng, k)
    yaw = float(rng.uniform(0, math.pi))
    e = np.array([math.cos(yaw), math.sin(yaw)])
    want_topple = bool(rng.random() < 0.5)
    half = [float(rng.uniform(0.028, 0.04)) for _ in range(k)]
    heights = [h * float(rng.uniform(0.7, 1.0)) for h in half]
    offs = [0.0]
    for i in range(1, k):
        lo, hi = (0.75, 1.1) if want_topple and i == k - 1 else (-0.35, 0.35)
        offs.append(
            offs[-1] + half[i - 1] * float(rng.uniform(lo, hi)) * float(rng.choice([-1, 1]))
        )
    objs, z = [], 0.0
    for i in range(k):
        c = offs[i] - offs[-1] / 2  # centre the stack on the table
        objs.append(
            Obj(
                colours[i],
                "box",
                (half[i], half[i], heights[i]),
                (float(c * e[0]), float(c * e[1]), z + heights[i] + 1e-4),
                _yaw_quat(yaw),
            )
        )
        z += 2 * heights[i] + 1e-4
    cam, light = _camera_lighting(rng, lookat_z=z / 2)
    scene = Scene(tuple(objs), cam, light, horizon=2.0, video_span=0.25)
    check_visible(cam, [o.pos for o in objs], [o.bound for o in objs], overlap=True)
    roll = simulate(scene)
    check_visible(cam, roll.start_pos, [o.bound for o in objs], overlap=True)
    drop = roll.start_pos[-1, 2] - roll.end_pos[-1, 2]
    disp = np.linalg.norm(roll.end_pos - roll.start_pos, axis=1)
    toppled = drop > heights[-1] or roll.rotation.max() > math.radians(45)
    stable = disp.max() < 0.004 and roll.rotation.max() < math.radians(3)
    if toppled == stable or toppled != want_topple:
        raise SceneRejected("stack outcome unclear or not the target")
    choices, ans = _mc(rng, "yes" if toppled else "no", ["no" if toppled else "yes"], k=2)
    return Question("topple", "Will this stack of blocks topple over?", choices, ans, None, scene)


def _q_collide(rng: np.random.Generator) -> Question:
    colours = _pick_colours(rng, 2)
    r = [float(rng.uniform(0.025, 0.04)) for _ in range(2)]
    want_hit = bool(rng.random() < 0.5)
    reach = r[0] + r[1]
    b = reach * float(rng.uniform(0, 0.6)) if want_hit else reach + float(rng.uniform(0.03, 0.07))
    ang = float(rng.uniform(0, 2 * math.pi))
    u = np.array([math.cos(ang), math.sin(ang), 0.0])
    nrm = np.array([-u[1], u[0], 0.0])
    centre = np.array([*rng.uniform(-0.05, 0.05, 2), 0.0])
    half_gap = float(rng.uniform(0.13, 0.18))
    starts = [centre - half_gap * u + b / 2 * nrm, centre + half_gap * u - b / 2 * nrm]
    speeds = [float(rng.uniform(0.2, 0.3)), float(rng.uniform(0.2, 0.3))]
    objs = []
    for i, sign in enumerate((1.0, -1.0)):
        o = Obj(colours[i], "sphere", (r[i], 0.0, 0.0), (*starts[i][:2], r[i]))
        objs.append(_with(o, vel=_rolling_vel(o, sign * speeds[i] * u)))
    cam, light = _camera_lighting(rng)
    scene = Scene(tuple(objs), cam, light, horizon=1.2, video_span=1.2)
    check_visible(cam, [o.pos for o in objs], [o.bound for o in objs])  # before simulating
    roll = simulate(scene, track_contacts=True)
    check_visible(cam, roll.start_pos, r)
    check_visible(cam, roll.end_pos, r, overlap=True)
    hit = (0, 1) in roll.contacts
    if hit != want_hit:
        raise SceneRejected("collision outcome not the target")
    choices, ans = _mc(rng, "yes" if hit else "no", ["no" if hit else "yes"], k=2)
    text = f"Do the {objs[0].name} and the {objs[1].name} collide?"
    return Question("collide", text, choices, ans, None, scene)


GENERATORS: dict[str, Callable[[np.random.Generator], Question]] = {
    "count": _q_count,
    "colour": _q_colour,
    "left_right": _q_left_right,
    "closer": _q_closer,
    "size": _q_size,
    "moved": _q_moved,
    "direction": _q_direction,
    "topple": _q_topple,
    "collide": _q_collide,
}


def generate(seed: int, qtype: str) -> Question:
    """Generate the question of type ``qtype`` for ``seed`` (deterministic).

    Proposals come from one RNG stream seeded by ``(seed, qtype)``; rejected (ambiguous)
    proposals just advance the stream, so the accepted one depends on the seed alone.
    """
    rng = np.random.default_rng([seed, QUESTION_TYPES.index(qtype)])
    gen = GENERATORS[qtype]
    for _ in range(_MAX_ATTEMPTS):
        try:
            return gen(rng)
        except SceneRejected:
            continue
    raise RuntimeError(f"no unambiguous {qtype} scene for seed {seed}")  # pragma: no cover
