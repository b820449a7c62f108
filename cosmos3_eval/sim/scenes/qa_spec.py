"""physqa-sim scene records: objects, camera, lighting, scenes, questions and rollouts.

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

The rooms: this module (records and constants), :mod:`.qa_physics` (MJCF and stepping),
:mod:`.qa_layout` (seeded placement and visibility checks), :mod:`.qa_questions` (the question
generators and :func:`~.qa_questions.generate`), :mod:`.render` (pixels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cosmos3_eval.sim.scenes.palette import QA_COLOURS

COLOURS = QA_COLOURS
"""Object colours (from :mod:`.palette`), far apart in hue (or, for red / pink, in lightness)."""

SHAPES: tuple[str, ...] = ("box", "sphere", "cylinder", "capsule")
PLURAL: dict[str, str] = {s: s + ("es" if s == "box" else "s") for s in SHAPES}
"""Plural of each shape name, as questions print it."""

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
