"""physqa-sim layout: seeded objects, placement, camera / lighting and visibility checks.

Helpers shared by the question generators of :mod:`.qa_questions`. Every one draws only from the
RNG it is given and raises :class:`~.qa_spec.SceneRejected` for a proposal that must be redrawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cosmos3_eval.sim.scenes.qa_physics import static_poses
from cosmos3_eval.sim.scenes.qa_spec import (
    COLOURS,
    SHAPES,
    CameraPose,
    Lighting,
    Obj,
    Scene,
    SceneRejected,
)


def yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion (w, x, y, z) of a rotation by ``yaw`` radians about +z."""
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


def random_obj(
    rng: np.random.Generator, colour: str, shape: str, scale: float | None = None
) -> Obj:
    """An object of a random size resting on the table at the origin (placed later)."""
    s = float(rng.uniform(0.025, 0.055)) if scale is None else scale
    yaw = float(rng.uniform(0, math.pi))
    quat = yaw_quat(yaw)
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


def place(o: Obj, x: float, y: float, z: float | None = None) -> Obj:
    """``o`` moved to ``(x, y)`` (and ``z`` if given), everything else kept."""
    return Obj(o.colour, o.shape, o.size, (x, y, o.pos[2] if z is None else z), o.quat, o.vel)


def with_changes(o: Obj, **kw: Any) -> Obj:
    """``o`` with the given fields replaced."""
    fields = {k: getattr(o, k) for k in ("colour", "shape", "size", "pos", "quat", "vel")}
    fields.update(kw)
    return Obj(**fields)


def scatter(
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
                placed.append(place(o, x, y))
                break
        else:
            raise SceneRejected("no room")
    return placed


def camera_lighting(
    rng: np.random.Generator, lookat_z: float = 0.03
) -> tuple[CameraPose, Lighting]:
    """A random camera pose looking at the table centre, and a random lighting."""
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


def pick_colours(rng: np.random.Generator, k: int) -> list[str]:
    """``k`` distinct colour names in random order."""
    names = list(COLOURS)
    return [names[i] for i in rng.permutation(len(names))[:k]]


def static_scene(rng: np.random.Generator, objs: list[Obj]) -> Scene:
    """A static scene of ``objs`` scattered on the table, all visible and unoccluded."""
    placed = scatter(rng, objs)
    cam, light = camera_lighting(rng)
    scene = Scene(tuple(placed), cam, light)
    xpos, _ = static_poses(scene)
    check_visible(cam, xpos, [o.bound for o in placed])
    return scene


def multiple_choice(
    rng: np.random.Generator, correct: str, distractors: Sequence[str], k: int = 4
) -> tuple[tuple[str, ...], int]:
    """Choices with ``correct`` at a uniformly random position among ``k - 1`` distractors."""
    others = list(distractors)[: k - 1]
    order = [others[i] for i in rng.permutation(len(others))]
    pos = int(rng.integers(len(order) + 1))
    order.insert(pos, correct)
    return tuple(order), pos


def random_objects(
    rng: np.random.Generator, n: int, shapes: Sequence[str] | None = None
) -> list[Obj]:
    """``n`` objects of distinct colours (random shapes unless given), not yet placed."""
    colours = pick_colours(rng, n)
    if shapes is None:
        shapes = [SHAPES[int(i)] for i in rng.integers(0, len(SHAPES), n)]
    return [random_obj(rng, c, s) for c, s in zip(colours, shapes)]


def extreme_choices(
    rng: np.random.Generator, scene: Scene, values: np.ndarray, margin: float, largest: bool
) -> tuple[tuple[str, ...], int]:
    """Choices naming 4 objects, the correct one the unique extreme of ``values``."""
    order = np.argsort(-values if largest else values)
    best, second = values[order[0]], values[order[1]]
    if abs(best - second) < margin:
        raise SceneRejected("tie")
    names = [o.name for o in scene.objects]
    distract = [names[int(i)] for i in rng.permutation(order[1:])][:3]
    return multiple_choice(rng, names[int(order[0])], distract)


def rolling_vel(o: Obj, v: np.ndarray) -> tuple[float, ...]:
    """Initial velocity: spheres roll without slipping (w = z x v / r), others slide."""
    w = np.cross([0.0, 0.0, 1.0], v) / o.size[0] if o.shape == "sphere" else np.zeros(3)
    return tuple(float(x) for x in (*v, *w))
