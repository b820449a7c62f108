"""Seeded scene specs for compositional text-to-image, their prompts, renders and perturbations.

A :class:`SceneSpec` has two halves:

* ``groups`` (+ an optional ``relation``) is what the prompt says and what the scorer checks,
  e.g. "two red cubes and a blue sphere; the sphere is left of the cubes";
* ``objects`` and ``view`` are one concrete layout that satisfies it, which
  :class:`~cosmos3_eval.sim.scenes.render.SceneRenderer` draws with MuJoCo (the oracle's image).

The look is fixed so that a classical scorer can read it: simple objects lying on a plain,
unsaturated floor seen from above (image right = world +x, image up = world +y). Shapes are
chosen for separable top-down silhouettes (cube = square, sphere = disc, cylinder lying on its
side = 2:1 bar, pyramid = triangle); colours are six hues at least 45 degrees apart.

Perturbation operators (:func:`perturb`) keep the prompt and change the layout so that it no
longer satisfies it: the scorer must reject their renders.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from cosmos3_eval.sim.scenes.palette import T2I_PALETTE

SKILLS: tuple[str, ...] = (
    "single_object",
    "two_objects",
    "counting",
    "colour",
    "shape",
    "position",
    "colour_attribution",
)
"""The benchmark's skills, in the order sample indices cycle through them."""

SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder", "pyramid")

PALETTE = T2I_PALETTE
"""Named colours (from :mod:`.palette`); their hues are 45-70 degrees apart."""

COLOURS: tuple[str, ...] = tuple(PALETTE)

RELATIONS: tuple[str, ...] = ("left of", "right of", "above", "below")

PERTURBATIONS: tuple[str, ...] = ("wrong_count", "swapped_colours", "mirrored", "wrong_shape")

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

MAX_OBJECTS = 6
"""Render slots per shape (counting goes to 4; a wrong-count perturbation adds one)."""

# Bounding radius of each shape's top-down footprint at size scale 1 (metres); layouts keep
# footprints apart so that objects never touch in the image.
_FOOTPRINT = {"cube": 0.071, "sphere": 0.055, "cylinder": 0.085, "pyramid": 0.072}
_HALF = 0.05  # cube half-extent
_SPHERE_R = 0.055
_CYL_R, _CYL_HALF_LEN = 0.04, 0.08
_PYR_R, _PYR_H = 0.075, 0.045
REST_HEIGHT = {"cube": _HALF, "sphere": _SPHERE_R, "cylinder": _CYL_R, "pyramid": 0.0}
"""Height of each shape's centre above the floor at size scale 1 (pyramids sit at 0)."""
_WORKSPACE = 0.30  # object centres stay inside [-W, W]^2

CAMERAS: tuple[dict[str, float], ...] = (
    {"distance": 1.10, "elevation": -90.0, "azimuth": 90.0},
    {"distance": 1.25, "elevation": -82.0, "azimuth": 94.0},
    {"distance": 1.00, "elevation": -78.0, "azimuth": 86.0},
)
"""Free-camera variations: straight down, and two slightly tilted / rolled / zoomed views."""

LIGHTINGS: tuple[dict[str, Any], ...] = (
    {"head_ambient": 0.45, "head_diffuse": 0.25, "dir": (0.0, 0.0, -1.0), "diffuse": 0.30},
    {"head_ambient": 0.25, "head_diffuse": 0.20, "dir": (0.5, 0.3, -1.0), "diffuse": 0.55},
    {"head_ambient": 0.55, "head_diffuse": 0.30, "dir": (-0.6, -0.4, -1.0), "diffuse": 0.15},
)
"""Headlight + one directional light; the sum stays <= 1 so colours never clip."""

SIZES: tuple[float, ...] = (0.8, 1.0, 1.2)
"""Object size scales."""

BACKGROUNDS: tuple[float, ...] = (0.80, 0.65, 0.92)
"""Grey levels of the plain floor."""


@dataclass(frozen=True)
class Group:
    """A phrase of the prompt: ``count`` objects of ``shape`` (and ``colour`` if given)."""

    count: int
    shape: str
    colour: str | None = None

    def phrase(self) -> str:
        """E.g. ``"two red cubes"``, ``"a sphere"``."""
        words = [self.colour] if self.colour else []
        noun = self.shape + ("s" if self.count != 1 else "")
        return " ".join([_count_word(self.count), *words, noun])

    def noun(self) -> str:
        """``"the cubes"`` / ``"the sphere"``, used in relation clauses."""
        return "the " + self.shape + ("s" if self.count != 1 else "")


@dataclass(frozen=True)
class Relation:
    """``groups[subject]`` is ``relation`` ``groups[reference]`` in the image."""

    subject: int
    relation: str
    reference: int


@dataclass(frozen=True)
class ObjectSpec:
    """One rendered object: world position (metres), yaw (radians) and the group it belongs to."""

    shape: str
    colour: str
    x: float
    y: float
    yaw: float
    group: int


@dataclass(frozen=True)
class View:
    """Indices into :data:`CAMERAS`, :data:`LIGHTINGS`, :data:`SIZES`, :data:`BACKGROUNDS`."""

    camera: int = 0
    lighting: int = 0
    size: int = 1
    background: int = 0


@dataclass(frozen=True)
class SceneSpec:
    """A compositional scene: what the prompt asks (groups, relation) and one layout of it."""

    skill: str
    groups: tuple[Group, ...]
    objects: tuple[ObjectSpec, ...]
    relation: Relation | None = None
    view: View = View()

    @property
    def prompt(self) -> str:
        """The prompt, e.g. "two red cubes and a blue sphere; the sphere is left of the cubes"."""
        text = " and ".join(g.phrase() for g in self.groups)
        if self.relation is not None:
            r = self.relation
            verb = "are" if self.groups[r.subject].count != 1 else "is"
            subj, ref = self.groups[r.subject].noun(), self.groups[r.reference].noun()
            text += f"; {subj} {verb} {r.relation} {ref}"
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (round-trips through :meth:`from_json`)."""
        return {
            "skill": self.skill,
            "groups": [asdict(g) for g in self.groups],
            "relation": asdict(self.relation) if self.relation else None,
            "objects": [asdict(o) for o in self.objects],
            "view": asdict(self.view),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SceneSpec:
        """Inverse of :meth:`to_json`."""
        rel = data.get("relation")
        return cls(
            skill=data["skill"],
            groups=tuple(Group(**g) for g in data["groups"]),
            objects=tuple(ObjectSpec(**o) for o in data["objects"]),
            relation=Relation(**rel) if rel else None,
            view=View(**data.get("view", {})),
        )


def _count_word(n: int) -> str:
    return "a" if n == 1 else NUMBER_WORDS[n]


# ---------------------------------------------------------------------------------------------
# Spec generation


def generate_spec(skill: str, seed: int) -> SceneSpec:
    """A random scene of ``skill``, drawn only from ``seed``.

    Args:
        skill: One of :data:`SKILLS`.
        seed: Per-sample seed.

    Raises:
        ValueError: Unknown skill.
    """
    if skill not in SKILLS:
        raise ValueError(f"unknown skill '{skill}'; known: {', '.join(SKILLS)}")
    rng = np.random.default_rng([seed, SKILLS.index(skill)])
    shapes = [str(s) for s in rng.permutation(SHAPES)]
    colours = [str(c) for c in rng.permutation(COLOURS)]
    relation = None
    if skill == "single_object":
        groups = (Group(1, shapes[0]),)
    elif skill == "two_objects":
        groups = (Group(1, shapes[0]), Group(1, shapes[1]))
    elif skill == "counting":
        groups = (Group(int(rng.integers(1, 5)), shapes[0]),)
    elif skill == "colour":
        groups = (Group(1, shapes[0], colours[0]),)
    elif skill == "shape":
        groups = (Group(1, shapes[0], colours[0]), Group(1, shapes[1], colours[0]))
    elif skill == "position":
        ref_count = 2 if rng.random() < 0.25 else 1
        groups = (Group(ref_count, shapes[0]), Group(1, shapes[1]))
        relation = Relation(1, RELATIONS[int(rng.integers(len(RELATIONS)))], 0)
    else:  # colour_attribution
        groups = (Group(1, shapes[0], colours[0]), Group(1, shapes[1], colours[1]))
    view = View(*(int(rng.integers(n)) for n in (3, 3, 3, 3)))
    objects = _layout(groups, relation, rng)
    return SceneSpec(skill, groups, objects, relation, view)


def _object_colours(group: Group, rng: np.random.Generator) -> list[str]:
    if group.colour is not None:
        return [group.colour] * group.count
    return [COLOURS[int(rng.integers(len(COLOURS)))] for _ in range(group.count)]


def _free_point(
    rng: np.random.Generator, placed: list[tuple[float, float, float]], radius: float
) -> tuple[float, float]:
    for _ in range(2000):
        x, y = rng.uniform(-_WORKSPACE, _WORKSPACE, 2)
        if _clear(x, y, radius, placed):
            return float(x), float(y)
    raise RuntimeError("could not place objects without overlap")  # pragma: no cover


def _clear(x: float, y: float, r: float, placed: list[tuple[float, float, float]]) -> bool:
    # Footprints at the largest size scale, plus a gap, so objects never touch in any view.
    gap = 0.045
    return all(math.hypot(x - px, y - py) > SIZES[-1] * (r + pr) + gap for px, py, pr in placed)


def _layout(
    groups: tuple[Group, ...], relation: Relation | None, rng: np.random.Generator
) -> tuple[ObjectSpec, ...]:
    for _ in range(200):
        objs = _try_layout(groups, relation, rng)
        if objs is not None:
            return objs
    raise RuntimeError("no layout found")  # pragma: no cover


def _try_layout(
    groups: tuple[Group, ...], relation: Relation | None, rng: np.random.Generator
) -> tuple[ObjectSpec, ...] | None:
    placed: list[tuple[float, float, float]] = []
    objects: list[ObjectSpec] = []

    def add(gi: int, colour: str, x: float, y: float) -> bool:
        shape = groups[gi].shape
        r = _FOOTPRINT[shape]
        if abs(x) > _WORKSPACE or abs(y) > _WORKSPACE or not _clear(x, y, r, placed):
            return False
        placed.append((x, y, r))
        yaw = float(rng.uniform(0, 2 * math.pi))
        objects.append(ObjectSpec(shape, colour, float(x), float(y), yaw, gi))
        return True

    if relation is None:
        for gi, g in enumerate(groups):
            for colour in _object_colours(g, rng):
                x, y = _free_point(rng, placed, _FOOTPRINT[g.shape])
                add(gi, colour, x, y)
        return tuple(objects)

    # Relation layouts: subject and reference sit on opposite sides along the relation axis
    # (separation 0.25-0.5 m); several reference objects spread across the other axis so the
    # group centroid stays on the axis.
    sign = {"left of": -1.0, "right of": 1.0, "above": 1.0, "below": -1.0}[relation.relation]
    horizontal = relation.relation in ("left of", "right of")
    sep = float(rng.uniform(0.25, 0.5))
    off = float(rng.uniform(-0.25, 0.25)) * sep  # across-axis drift, well below the separation
    centre = rng.uniform(-0.05, 0.05, 2)
    ref, subj = groups[relation.reference], groups[relation.subject]
    along_ref, along_subj = -sign * sep / 2, sign * sep / 2
    spread = 0.26 if ref.count > 1 else 0.0
    for k, colour in enumerate(_object_colours(ref, rng)):
        across = (k - (ref.count - 1) / 2) * spread
        a, b = along_ref, across
        x, y = (a, b) if horizontal else (b, a)
        if not add(relation.reference, colour, x + centre[0], y + centre[1]):
            return None
    for colour in _object_colours(subj, rng):
        a, b = along_subj, off
        x, y = (a, b) if horizontal else (b, a)
        if not add(relation.subject, colour, x + centre[0], y + centre[1]):
            return None
    return tuple(objects)


def variants(spec: SceneSpec) -> list[SceneSpec]:
    """The spec under every camera, lighting and size variation (one axis varied at a time).

    Returns 9 specs: 3 cameras, 3 lightings and 3 sizes, each with the other axes at the
    spec's own values, and the background cycling so all backgrounds are covered too.
    """
    out = []
    for k in range(3):
        out.append(replace(spec, view=replace(spec.view, camera=k, background=k)))
        out.append(replace(spec, view=replace(spec.view, lighting=k, background=(k + 1) % 3)))
        out.append(replace(spec, view=replace(spec.view, size=k, background=(k + 2) % 3)))
    return out


# ---------------------------------------------------------------------------------------------
# Perturbations


def applicable_perturbations(spec: SceneSpec) -> tuple[str, ...]:
    """The perturbation kinds that can falsify this spec's prompt."""
    kinds = ["wrong_count", "wrong_shape"]
    if any(g.colour for g in spec.groups):
        kinds.append("swapped_colours")
    if spec.relation is not None:
        kinds.append("mirrored")
    return tuple(k for k in PERTURBATIONS if k in kinds)


def perturb(spec: SceneSpec, kind: str, seed: int) -> SceneSpec:
    """A spec with the same prompt whose layout does NOT satisfy it.

    Args:
        spec: The true spec.
        kind: ``wrong_count`` (one object more or fewer), ``swapped_colours`` (swap the
            colours of two differently coloured groups, or recolour a single coloured group),
            ``mirrored`` (mirror positions across the relation axis), ``wrong_shape`` (one
            object gets another shape).
        seed: Seed for the random choices.

    Raises:
        ValueError: ``kind`` does not apply to this spec (see :func:`applicable_perturbations`).
    """
    if kind not in applicable_perturbations(spec):
        raise ValueError(f"perturbation '{kind}' does not apply to a {spec.skill} spec")
    rng = np.random.default_rng([seed, PERTURBATIONS.index(kind), 7])
    objs = list(spec.objects)
    if kind == "wrong_count":
        gi = int(rng.integers(len(spec.groups)))
        g = spec.groups[gi]
        mine = [i for i, o in enumerate(objs) if o.group == gi]
        if g.count > 1 and (len(objs) == 1 or rng.random() < 0.5):
            objs.pop(mine[int(rng.integers(len(mine)))])
        elif len(objs) > 1 and g.count == 1 and rng.random() < 0.5:
            objs.pop(mine[0])
        else:
            placed = [(o.x, o.y, _FOOTPRINT[o.shape]) for o in objs]
            x, y = _free_point(rng, placed, _FOOTPRINT[g.shape])
            colour = g.colour or objs[mine[0]].colour
            objs.append(ObjectSpec(g.shape, colour, x, y, float(rng.uniform(0, 6.28)), gi))
    elif kind == "swapped_colours":
        coloured = [i for i, g in enumerate(spec.groups) if g.colour]
        pair = [i for i in coloured if spec.groups[i].colour != spec.groups[coloured[0]].colour]
        if pair:
            a, b = coloured[0], pair[0]
            ca, cb = spec.groups[a].colour, spec.groups[b].colour
            swap = {a: cb, b: ca}
            objs = [replace(o, colour=swap[o.group]) if o.group in swap else o for o in objs]
        else:
            # One colour in the prompt (colour / shape skills): recolour one object.
            gi = coloured[int(rng.integers(len(coloured)))]
            others = [c for c in COLOURS if c != spec.groups[gi].colour]
            new = others[int(rng.integers(len(others)))]
            i = next(i for i, o in enumerate(objs) if o.group == gi)
            objs[i] = replace(objs[i], colour=new)
    elif kind == "mirrored":
        assert spec.relation is not None
        horizontal = spec.relation.relation in ("left of", "right of")
        objs = [replace(o, x=-o.x) if horizontal else replace(o, y=-o.y) for o in objs]
    else:  # wrong_shape
        i = int(rng.integers(len(objs)))
        used = {g.shape for g in spec.groups}
        pool = [s for s in SHAPES if s not in used] or [s for s in SHAPES if s != objs[i].shape]
        new = pool[int(rng.integers(len(pool)))]
        # A new footprint may be larger: keep the old place only if it stays clear.
        rest = [(o.x, o.y, _FOOTPRINT[o.shape]) for j, o in enumerate(objs) if j != i]
        if not _clear(objs[i].x, objs[i].y, _FOOTPRINT[new], rest):
            return perturb(spec, "wrong_count", seed)  # pragma: no cover - rare
        objs[i] = replace(objs[i], shape=new)
    return replace(spec, objects=tuple(objs))


def render_mjcf() -> str:
    """Render template for :class:`~.render.SceneRenderer`: hidden mocap slots on a floor."""
    slots = []
    for shape in SHAPES:
        for k in range(MAX_OBJECTS):
            if shape == "cube":
                geom = f'type="box" size="{_HALF} {_HALF} {_HALF}"'
            elif shape == "sphere":
                geom = f'type="sphere" size="{_SPHERE_R}"'
            elif shape == "cylinder":
                # Lying on its side: the body frame rotates it; length along body x.
                geom = f'type="cylinder" size="{_CYL_R} {_CYL_HALF_LEN}" euler="0 90 0"'
            else:
                geom = 'type="mesh" mesh="pyramid1"'
            slots.append(
                f'<body name="{shape}{k}" mocap="true" pos="0 0 -5">'
                f'<geom name="{shape}{k}" {geom} rgba="1 1 1 0"/></body>'
            )
    meshes = []
    for i, scale in enumerate(SIZES):
        r, h = _PYR_R * scale, _PYR_H * scale
        verts = [(r * math.cos(a), r * math.sin(a), 0.0) for a in (0, 2.094395, 4.18879)]
        verts.append((0.0, 0.0, h))
        flat = " ".join(f"{v:.5f}" for p in verts for v in p)
        meshes.append(f'<mesh name="pyramid{i}" vertex="{flat}"/>')
    return f"""
<mujoco model="t2i_scene">
  <visual>
    <headlight ambient="0.4 0.4 0.4" diffuse="0.3 0.3 0.3" specular="0 0 0"/>
    <global offwidth="64" offheight="64"/>
  </visual>
  <asset>{"".join(meshes)}</asset>
  <worldbody>
    <light name="key" directional="true" pos="0 0 3" dir="0 0 -1" diffuse="0.3 0.3 0.3"
           specular="0 0 0" ambient="0 0 0" castshadow="false"/>
    <geom name="floor" type="plane" size="3 3 0.1" rgba="0.8 0.8 0.8 1"/>
    {"".join(slots)}
  </worldbody>
</mujoco>"""


def render_settings() -> dict[str, Any]:
    """The scene's view variations, for the manifest."""
    return {
        "cameras": [dict(c) for c in CAMERAS],
        "lightings": [{**v, "dir": list(v["dir"])} for v in LIGHTINGS],
        "sizes": list(SIZES),
        "backgrounds": list(BACKGROUNDS),
        "shapes": list(SHAPES),
        "palette": {k: list(v) for k, v in PALETTE.items()},
    }
