"""physqa-sim generator 2: the answer is drawn first; only the scene is redrawn.

Generator 1 (:mod:`.qa_questions`) draws a target answer and, when the simulation disagrees,
redraws the whole proposal *answer included*, so answers that are harder to stage become rarer
(a stack that stays up is easier to build than one that topples: "no" is right ~72 % of the
time) and some option texts can never be right (a lying capsule is never the tallest). A
text-only model learns those priors. Here a question is made in two steps:

* a :class:`Frame` drawn once from ``(seed, type)``: the question text, the choices and the
  correct choice (or number). Every text feature (shapes, colours, side, position, count) is
  drawn independently of which choice is correct, and counts are flat over
  :data:`COUNT_RANGE`, so the text says nothing about the answer;
* a scene built for that frame from a derived seed ``(seed, type, attempt)``, kept only if the
  simulator reads the frame's answer with a clear margin. A rejected scene moves on to the next
  attempt; the frame is never redrawn, so answer balance survives every rejection step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cosmos3_eval.sim.scenes.qa_layout import (
    camera_lighting,
    check_visible,
    multiple_choice,
    pick_colours,
    random_obj,
    rolling_vel,
    scatter,
    static_scene,
    with_changes,
    yaw_quat,
)
from cosmos3_eval.sim.scenes.qa_physics import simulate, static_poses
from cosmos3_eval.sim.scenes.qa_questions import q_collide, q_direction, q_topple
from cosmos3_eval.sim.scenes.qa_spec import (
    COLOURS,
    DIRECTIONS,
    PLURAL,
    QUESTION_TYPES,
    SHAPES,
    TABLE_HALF,
    Obj,
    Question,
    Scene,
    SceneRejected,
)

COUNT_RANGE: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
"""Every count answer, equally likely for every count question text."""

_SALT = 2  # the generator version: keeps these streams apart from generator 1's
_MAX_ATTEMPTS = 4000
_BOUND_MAX = 0.11  # largest object (bounding sphere radius, m) that fits the layouts


@dataclass(frozen=True)
class Frame:
    """What a model reads, and the answer, fixed before any scene is drawn.

    Attributes:
        qtype: Question type.
        text: The question.
        choices: The options (``None`` for a count).
        answer_index: The correct option.
        answer_number: The correct count.
        variant: The text's variant: the side, "closest" / "farthest", "tallest" / "largest",
            "fell" / "moved", the shape asked about, or "objects" for a plain count.
        named: ``(colour, shape)`` of the objects the text names, in choice order.
    """

    qtype: str
    text: str
    choices: tuple[str, ...] | None
    answer_index: int | None = None
    answer_number: int | None = None
    variant: str = ""
    named: tuple[tuple[str, str], ...] = ()

    def question(self, scene: Scene) -> Question:
        """The question this frame asks about ``scene``."""
        return Question(
            self.qtype, self.text, self.choices, self.answer_index, self.answer_number, scene
        )


# ---------------------------------------------------------------------------------- frames


def _named(rng: np.random.Generator, shapes: tuple[str, ...], k: int = 4) -> tuple:
    colours = pick_colours(rng, k)
    return tuple((c, shapes[int(rng.integers(len(shapes)))]) for c in colours)


def _object_choice(
    rng: np.random.Generator, qtype: str, text: str, variant: str, shapes: tuple[str, ...] = SHAPES
) -> Frame:
    named = _named(rng, shapes)
    choices = tuple(f"{c} {s}" for c, s in named)
    return Frame(qtype, text, choices, int(rng.integers(4)), None, variant, named)


def _f_count(rng: np.random.Generator) -> Frame:
    variant = "objects" if rng.random() < 0.5 else SHAPES[int(rng.integers(len(SHAPES)))]
    number = COUNT_RANGE[int(rng.integers(len(COUNT_RANGE)))]
    noun = "objects" if variant == "objects" else PLURAL[variant]
    return Frame("count", f"How many {noun} are on the table?", None, None, number, variant)


def _f_colour(rng: np.random.Generator) -> Frame:
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    choices = tuple(pick_colours(rng, 4))
    return Frame(
        "colour", f"What colour is the {shape}?", choices, int(rng.integers(4)), None, shape
    )


def _f_left_right(rng: np.random.Generator) -> Frame:
    side = "left" if rng.random() < 0.5 else "right"
    text = f"Which object is furthest to the {side} in the image?"
    return _object_choice(rng, "left_right", text, side)


def _f_closer(rng: np.random.Generator) -> Frame:
    closest = rng.random() < 0.5
    word = "closest to" if closest else "farthest from"
    text = f"Which object is {word} the camera?"
    return _object_choice(rng, "closer", text, "closest" if closest else "farthest")


def _f_size(rng: np.random.Generator) -> Frame:
    variant = "tallest" if rng.random() < 0.5 else "largest"
    return _object_choice(rng, "size", f"Which object is the {variant}?", variant)


def _f_moved(rng: np.random.Generator) -> Frame:
    if rng.random() < 0.5:  # only tall blocks and cylinders can be tipped over
        return _object_choice(rng, "moved", "Which object fell over?", "fell", ("box", "cylinder"))
    return _object_choice(rng, "moved", "Which object moved?", "moved", SHAPES[:3])


def _f_direction(rng: np.random.Generator) -> Frame:
    colour = pick_colours(rng, 1)[0]
    choices = tuple(DIRECTIONS[int(i)] for i in rng.permutation(len(DIRECTIONS)))
    text = f"In which direction did the {colour} sphere move?"
    return Frame("direction", text, choices, int(rng.integers(4)), None, "", ((colour, "sphere"),))


def _yes_no(rng: np.random.Generator) -> tuple[tuple[str, ...], int]:
    yes = rng.random() < 0.5
    return multiple_choice(rng, "yes" if yes else "no", ["no" if yes else "yes"], k=2)


def _f_topple(rng: np.random.Generator) -> Frame:
    choices, ans = _yes_no(rng)
    return Frame("topple", "Will this stack of blocks topple over?", choices, ans)


def _f_collide(rng: np.random.Generator) -> Frame:
    named = _named(rng, ("sphere",), 2)
    choices, ans = _yes_no(rng)
    text = f"Do the {named[0][0]} sphere and the {named[1][0]} sphere collide?"
    return Frame("collide", text, choices, ans, None, "", named)


# --------------------------------------------------------------------------------- scenes


def _resize(o: Obj, size: tuple[float, float, float]) -> Obj:
    """``o`` with a new size, still resting on the table."""
    z = {"box": size[2], "sphere": size[0], "cylinder": size[1], "capsule": size[0]}[o.shape]
    return with_changes(o, size=size, pos=(o.pos[0], o.pos[1], z))


def _scaled(o: Obj, f: float) -> Obj:
    return _resize(o, tuple(v * f for v in o.size))  # type: ignore[arg-type]


def _with_extras(rng: np.random.Generator, frame: Frame, n: int) -> tuple[list[Obj], int]:
    """The frame's named objects plus unnamed extras, in random order; and the answer's slot."""
    used = {c for c, _ in frame.named}
    spare = [c for c in pick_colours(rng, len(COLOURS)) if c not in used]
    objs = [random_obj(rng, c, s) for c, s in frame.named]
    objs += [random_obj(rng, c, SHAPES[int(rng.integers(4))]) for c in spare[: n - len(objs)]]
    order = [int(i) for i in rng.permutation(len(objs))]
    return [objs[i] for i in order], order.index(int(frame.answer_index or 0))


def _check_extreme(values: np.ndarray, target: int, margin: float, largest: bool) -> None:
    """Raise unless ``values[target]`` is the unique extreme by at least ``margin``."""
    order = np.argsort(-values if largest else values)
    if int(order[0]) != target:
        raise SceneRejected("the answer is not the extreme")
    if abs(values[order[0]] - values[order[1]]) < margin:
        raise SceneRejected("tie")


def _staged(
    rng: np.random.Generator,
    frame: Frame,
    measure: Callable[[Scene, np.ndarray], np.ndarray],
    margin: float,
    largest: bool,
) -> Question:
    objs, target = _with_extras(rng, frame, int(rng.integers(4, 7)))
    placed = scatter(rng, objs)
    cam, light = camera_lighting(rng)
    scene = Scene(tuple(placed), cam, light)
    # most proposals fail on the answer; check it on the proposal before any MuJoCo call
    _check_extreme(measure(scene, np.array([o.pos for o in placed])), target, margin, largest)
    xpos, _ = static_poses(scene)
    check_visible(cam, xpos, [o.bound for o in placed])
    _check_extreme(measure(scene, xpos), target, margin, largest)  # the truth, as simulated
    return frame.question(scene)


def _s_left_right(rng: np.random.Generator, frame: Frame) -> Question:
    def image_x(scene: Scene, xpos: np.ndarray) -> np.ndarray:
        return np.array([scene.camera.project(p)[0] for p in xpos])

    return _staged(rng, frame, image_x, 0.06, largest=frame.variant == "right")


def _s_closer(rng: np.random.Generator, frame: Frame) -> Question:
    def distance(scene: Scene, xpos: np.ndarray) -> np.ndarray:
        return np.linalg.norm(xpos - scene.camera.frame()[0], axis=1)

    return _staged(rng, frame, distance, 0.07, largest=frame.variant == "farthest")


def _s_size(rng: np.random.Generator, frame: Frame) -> Question:
    objs, k = _with_extras(rng, frame, int(rng.integers(4, 7)))
    o = objs[k]
    if frame.variant == "tallest":
        # Size the answer to a height every shape reaches (a lying capsule too, through its
        # radius), then shrink whatever would come close: any shape can be the tallest.
        h = float(rng.uniform(0.07, 0.1)) / 2
        objs[k] = _resize(
            o,
            {
                "box": (o.size[0], o.size[1], h),
                "sphere": (h, 0.0, 0.0),
                "cylinder": (o.size[0], h, 0.0),
                "capsule": (h, h * float(rng.uniform(0.8, 1.2)), 0.0),
            }[o.shape],
        )
        cap = objs[k].height / float(rng.uniform(1.35, 1.6))
        objs = [
            p if i == k or p.height <= cap else _scaled(p, cap / p.height)
            for i, p in enumerate(objs)
        ]
    else:
        objs[k] = _scaled(o, float(rng.uniform(0.075, 0.1)) / o.bound)
        cap = objs[k].volume / float(rng.uniform(2.0, 2.6))
        objs = [
            p if i == k or p.volume <= cap else _scaled(p, (cap / p.volume) ** (1 / 3))
            for i, p in enumerate(objs)
        ]
    if max(p.bound for p in objs) > _BOUND_MAX:
        raise SceneRejected("too big")
    scene = static_scene(rng, objs)
    if frame.variant == "tallest":
        values = np.array([p.height for p in scene.objects])
        _check_extreme(values, k, 0.25 * float(np.sort(values)[-2]), largest=True)
    else:
        values = np.array([p.volume for p in scene.objects])
        _check_extreme(values, k, 0.8 * float(np.sort(values)[-2]), largest=True)
    return frame.question(scene)


def _s_count(rng: np.random.Generator, frame: Frame) -> Question:
    target = int(frame.answer_number or 0)
    if frame.variant == "objects":
        shapes = [SHAPES[int(i)] for i in rng.integers(0, len(SHAPES), target)]
    else:
        others = [s for s in SHAPES if s != frame.variant]
        extra = int(rng.integers(0, max(COUNT_RANGE) - target + 1))
        shapes = [frame.variant] * target + [others[int(i)] for i in rng.integers(0, 3, extra)]
    colours = pick_colours(rng, len(shapes))
    objs = [
        random_obj(rng, c, shapes[int(i)]) for c, i in zip(colours, rng.permutation(len(shapes)))
    ]
    scene = static_scene(rng, objs)
    xpos, _ = static_poses(scene)  # the answer is read from the simulator's bodies
    truth = (
        len(xpos)
        if frame.variant == "objects"
        else sum(o.shape == frame.variant for o in scene.objects)
    )
    if truth != target:
        raise SceneRejected("count is not the target")  # pragma: no cover - by construction
    return frame.question(scene)


def _s_colour(rng: np.random.Generator, frame: Frame) -> Question:
    assert frame.choices is not None and frame.answer_index is not None
    shape, want = frame.variant, frame.choices[frame.answer_index]
    distract = [c for c in frame.choices if c != want]
    # the other options' colours are in the scene first, so "the colour I see" is not enough
    pool = [distract[int(i)] for i in rng.permutation(3)]
    pool += [c for c in pick_colours(rng, len(COLOURS)) if c not in frame.choices]
    others = [s for s in SHAPES if s != shape]
    n = int(rng.integers(2, 6))
    objs = [random_obj(rng, want, shape)]
    objs += [random_obj(rng, c, others[int(rng.integers(3))]) for c in pool[: n - 1]]
    scene = static_scene(rng, [objs[int(i)] for i in rng.permutation(n)])
    asked = [o for o in scene.objects if o.shape == shape]
    if len(asked) != 1 or asked[0].colour != want:
        raise SceneRejected("colour is not the target")  # pragma: no cover - by construction
    return frame.question(scene)


def _s_moved(rng: np.random.Generator, frame: Frame) -> Question:
    k, fell = int(frame.answer_index or 0), frame.variant == "fell"
    objs = []
    for c, shape in frame.named:
        if fell:  # tall blocks / cylinders; the answer is given a spin about a horizontal axis
            w = float(rng.uniform(0.018, 0.026))
            h = w * float(rng.uniform(2.2, 3.0))
            size = (w, w, h) if shape == "box" else (w, h, 0.0)
            objs.append(Obj(c, shape, size, (0.0, 0.0, h), yaw_quat(float(rng.uniform(0, 3)))))
        else:
            objs.append(random_obj(rng, c, shape))
    objs = scatter(rng, objs, gap=0.12 if fell else 0.03)
    o = objs[k]
    if fell:
        axis, spin = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(9.0, 12.0))
        objs[k] = with_changes(
            o, vel=(0.0, 0.0, 0.0, spin * math.cos(axis), spin * math.sin(axis), 0.0)
        )
    else:
        ang = float(rng.uniform(0, 2 * math.pi))
        speed = float(rng.uniform(0.12, 0.18)) if o.shape == "sphere" else 0.9
        v = speed * np.array([math.cos(ang), math.sin(ang), 0.0])
        objs[k] = with_changes(o, vel=rolling_vel(o, v))
    horizon = 1.2 if fell else 1.0
    cam, light = camera_lighting(rng)
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
    if np.flatnonzero(changed).tolist() != [k] or int(still.sum()) != 3:
        raise SceneRejected("not exactly the answer moved")
    return frame.question(scene)


def _s_direction(rng: np.random.Generator, frame: Frame) -> Question:
    assert frame.choices is not None and frame.answer_index is not None
    target = DIRECTIONS.index(frame.choices[frame.answer_index])
    return frame.question(q_direction(rng, target, frame.named[0][0]).scene)


def _s_topple(rng: np.random.Generator, frame: Frame) -> Question:
    assert frame.choices is not None and frame.answer_index is not None
    return frame.question(q_topple(rng, frame.choices[frame.answer_index] == "yes").scene)


def _s_collide(rng: np.random.Generator, frame: Frame) -> Question:
    assert frame.choices is not None and frame.answer_index is not None
    want = frame.choices[frame.answer_index] == "yes"
    colours = (frame.named[0][0], frame.named[1][0])
    return frame.question(q_collide(rng, want, colours).scene)


_TYPES: dict[
    str,
    tuple[Callable[[np.random.Generator], Frame], Callable[[np.random.Generator, Frame], Question]],
] = {
    "count": (_f_count, _s_count),
    "colour": (_f_colour, _s_colour),
    "left_right": (_f_left_right, _s_left_right),
    "closer": (_f_closer, _s_closer),
    "size": (_f_size, _s_size),
    "moved": (_f_moved, _s_moved),
    "direction": (_f_direction, _s_direction),
    "topple": (_f_topple, _s_topple),
    "collide": (_f_collide, _s_collide),
}


def question_frame(seed: int, qtype: str) -> Frame:
    """The text, choices and answer of the question for ``seed`` (no scene, no physics)."""
    framer, _ = _TYPES[qtype]
    return framer(np.random.default_rng([seed, QUESTION_TYPES.index(qtype), _SALT]))


def generate_v2(seed: int, qtype: str) -> Question:
    """Generate the question of type ``qtype`` for ``seed`` with generator 2 (deterministic).

    The frame comes from ``(seed, type)``; attempt ``a`` at a scene from ``(seed, type, a)``,
    so the accepted scene depends on the seed alone and the answer never on a rejection.
    """
    frame = question_frame(seed, qtype)
    _, build = _TYPES[qtype]
    for attempt in range(_MAX_ATTEMPTS):
        rng = np.random.default_rng([seed, QUESTION_TYPES.index(qtype), _SALT, attempt])
        try:
            return build(rng, frame)
        except SceneRejected:
            continue
    raise RuntimeError(f"no scene for the {qtype} question of seed {seed}")  # pragma: no cover
