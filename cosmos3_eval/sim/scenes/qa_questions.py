"""physqa-sim question generators: one per question type, each verified by simulation.

Generators *propose* a scene for a target answer drawn from the seed and keep it only if the
simulation agrees with a clear margin (see :mod:`.qa_spec`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cosmos3_eval.sim.scenes.qa_layout import (
    camera_lighting,
    check_visible,
    extreme_choices,
    multiple_choice,
    pick_colours,
    random_obj,
    random_objects,
    rolling_vel,
    scatter,
    static_scene,
    with_changes,
    yaw_quat,
)
from cosmos3_eval.sim.scenes.qa_physics import simulate, static_poses
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

_MAX_ATTEMPTS = 2000


def _q_count(rng: np.random.Generator) -> Question:
    if rng.random() < 0.5:
        n = int(rng.integers(2, 7))
        scene = static_scene(rng, random_objects(rng, n))
        # the answer is the number of bodies the simulator holds, not the n we asked for
        truth = len(static_poses(scene)[0])
        return Question("count", "How many objects are on the table?", None, None, truth, scene)
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    k = int(rng.integers(1, 4))
    n = int(rng.integers(max(k + 1, 2), 7))
    others = [s for s in SHAPES if s != shape]
    shapes = [shape] * k + [others[int(i)] for i in rng.integers(0, 3, n - k)]
    shapes = [shapes[int(i)] for i in rng.permutation(n)]
    scene = static_scene(rng, random_objects(rng, n, shapes))
    truth = sum(o.shape == shape for o in scene.objects)
    text = f"How many {PLURAL[shape]} are on the table?"
    return Question("count", text, None, None, truth, scene)


def _q_colour(rng: np.random.Generator) -> Question:
    n = int(rng.integers(2, 6))
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    others = [s for s in SHAPES if s != shape]
    shapes = [shape] + [others[int(i)] for i in rng.integers(0, 3, n - 1)]
    objs = random_objects(rng, n, shapes)
    scene = static_scene(rng, objs)
    target = next(o for o in scene.objects if o.shape == shape)
    in_scene = [o.colour for o in scene.objects if o is not target]
    rest = [c for c in COLOURS if c != target.colour and c not in in_scene]
    pool = in_scene + [rest[int(i)] for i in rng.permutation(len(rest))]
    choices, ans = multiple_choice(rng, target.colour, pool[:3])
    return Question("colour", f"What colour is the {shape}?", choices, ans, None, scene)


def _q_left_right(rng: np.random.Generator) -> Question:
    scene = static_scene(rng, random_objects(rng, int(rng.integers(4, 7))))
    xpos, _ = static_poses(scene)
    xs = np.array([scene.camera.project(p)[0] for p in xpos])
    left = bool(rng.random() < 0.5)
    choices, ans = extreme_choices(rng, scene, xs, 0.06, largest=not left)
    side = "left" if left else "right"
    text = f"Which object is furthest to the {side} in the image?"
    return Question("left_right", text, choices, ans, None, scene)


def _q_closer(rng: np.random.Generator) -> Question:
    scene = static_scene(rng, random_objects(rng, int(rng.integers(4, 7))))
    xpos, _ = static_poses(scene)
    pos, *_ = scene.camera.frame()
    dist = np.linalg.norm(xpos - pos, axis=1)
    closest = bool(rng.random() < 0.5)
    choices, ans = extreme_choices(rng, scene, dist, 0.07, largest=not closest)
    word = "closest to" if closest else "farthest from"
    return Question("closer", f"Which object is {word} the camera?", choices, ans, None, scene)


def _q_size(rng: np.random.Generator) -> Question:
    n = int(rng.integers(4, 7))
    objs = random_objects(rng, n)
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
    objs[k] = with_changes(objs[k], size=size, pos=(0.0, 0.0, z[objs[k].shape]))
    if max(o.bound for o in objs) > 0.11:
        raise SceneRejected("too big")
    scene = static_scene(rng, objs)
    if tallest:
        values = np.array([o.height for o in scene.objects])
        choices, ans = extreme_choices(rng, scene, values, 0.25 * float(np.sort(values)[-2]), True)
        return Question("size", "Which object is the tallest?", choices, ans, None, scene)
    values = np.array([o.volume for o in scene.objects])
    choices, ans = extreme_choices(rng, scene, values, 0.8 * float(np.sort(values)[-2]), True)
    return Question("size", "Which object is the largest?", choices, ans, None, scene)


def _q_moved(rng: np.random.Generator) -> Question:
    fell = bool(rng.random() < 0.5)
    colours = pick_colours(rng, 4)
    if fell:
        # Four tall blocks / cylinders; one is given a spin about a horizontal axis.
        objs = []
        for c in colours:
            shape = "box" if rng.random() < 0.5 else "cylinder"
            w = float(rng.uniform(0.018, 0.026))
            h = w * float(rng.uniform(2.2, 3.0))
            size = (w, w, h) if shape == "box" else (w, h, 0.0)
            objs.append(Obj(c, shape, size, (0.0, 0.0, h), yaw_quat(float(rng.uniform(0, 3)))))
        objs = scatter(rng, objs, gap=0.12)
        k = int(rng.integers(4))
        axis = float(rng.uniform(0, 2 * math.pi))
        spin = float(rng.uniform(9.0, 12.0))
        w3 = (spin * math.cos(axis), spin * math.sin(axis), 0.0)
        objs[k] = with_changes(objs[k], vel=(0.0, 0.0, 0.0, *w3))
        text, horizon = "Which object fell over?", 1.2
    else:
        objs = scatter(rng, random_objects(rng, 4, [SHAPES[int(i)] for i in rng.integers(0, 3, 4)]))
        k = int(rng.integers(4))
        ang = float(rng.uniform(0, 2 * math.pi))
        o = objs[k]
        speed = float(rng.uniform(0.12, 0.18)) if o.shape == "sphere" else 0.9
        v = speed * np.array([math.cos(ang), math.sin(ang), 0.0])
        objs[k] = with_changes(o, vel=rolling_vel(o, v))
        text, horizon = "Which object moved?", 1.0
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
    winners = np.flatnonzero(changed)
    if len(winners) != 1 or int(still.sum()) != 3:
        raise SceneRejected("not exactly one object moved")
    names = [o.name for o in objs]
    w = int(winners[0])
    choices, ans = multiple_choice(rng, names[w], [names[i] for i in rng.permutation(4) if i != w])
    return Question("moved", text, choices, ans, None, scene)


def q_direction(
    rng: np.random.Generator, target: int | None = None, sphere: str | None = None
) -> Question:
    """Direction question; target and colour are drawn unless given (as generator 2 does).

    With ``target`` (an index into DIRECTIONS) given, any other motion is rejected.
    """
    n = int(rng.integers(2, 5))
    if sphere is None:
        objs = random_objects(rng, n, ["sphere"] + ["box"] * (n - 1))
    else:
        colours = [c for c in pick_colours(rng, n) if c != sphere][: n - 1]
        objs = [random_obj(rng, sphere, "sphere")] + [random_obj(rng, c, "box") for c in colours]
    objs = scatter(rng, objs, extent=0.2, gap=0.05)
    cam, light = camera_lighting(rng)
    _, right, _, fwd = cam.frame()
    right_h = np.array([right[0], right[1], 0.0]) / np.linalg.norm(right[:2])
    fwd_h = np.array([fwd[0], fwd[1], 0.0]) / np.linalg.norm(fwd[:2])
    want = int(rng.integers(4)) if target is None else target
    base = (-right_h, right_h, -fwd_h, fwd_h)[want]
    jitter = float(rng.uniform(-0.35, 0.35))
    c, s = math.cos(jitter), math.sin(jitter)
    v = float(rng.uniform(0.12, 0.18)) * np.array(
        [c * base[0] - s * base[1], s * base[0] + c * base[1], 0.0]
    )
    objs[0] = with_changes(objs[0], vel=rolling_vel(objs[0], v))
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
    if target is not None and truth != target:
        raise SceneRejected("direction is not the target")
    perm = [int(i) for i in rng.permutation(4)]
    choices = tuple(DIRECTIONS[i] for i in perm)
    text = f"In which direction did the {objs[0].name} move?"
    return Question("direction", text, choices, perm.index(truth), None, scene)


def q_topple(rng: np.random.Generator, want: bool | None = None) -> Question:
    """The outcome is drawn unless ``want`` fixes it (generator 2)."""
    k = int(rng.integers(2, 4))
    colours = pick_colours(rng, k)
    yaw = float(rng.uniform(0, math.pi))
    e = np.array([math.cos(yaw), math.sin(yaw)])
    want_topple = bool(rng.random() < 0.5) if want is None else want
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
                yaw_quat(yaw),
            )
        )
        z += 2 * heights[i] + 1e-4
    cam, light = camera_lighting(rng, lookat_z=z / 2)
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
    choices, ans = multiple_choice(
        rng, "yes" if toppled else "no", ["no" if toppled else "yes"], k=2
    )
    return Question("topple", "Will this stack of blocks topple over?", choices, ans, None, scene)


def q_collide(
    rng: np.random.Generator, want: bool | None = None, colours: tuple[str, str] | None = None
) -> Question:
    """The outcome and the colours are drawn unless given (generator 2)."""
    colours = pick_colours(rng, 2) if colours is None else list(colours)
    r = [float(rng.uniform(0.025, 0.04)) for _ in range(2)]
    want_hit = bool(rng.random() < 0.5) if want is None else want
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
        objs.append(with_changes(o, vel=rolling_vel(o, sign * speeds[i] * u)))
    cam, light = camera_lighting(rng)
    scene = Scene(tuple(objs), cam, light, horizon=1.2, video_span=1.2)
    check_visible(cam, [o.pos for o in objs], [o.bound for o in objs])  # before simulating
    roll = simulate(scene, track_contacts=True)
    check_visible(cam, roll.start_pos, r)
    check_visible(cam, roll.end_pos, r, overlap=True)
    hit = (0, 1) in roll.contacts
    if hit != want_hit:
        raise SceneRejected("collision outcome not the target")
    choices, ans = multiple_choice(rng, "yes" if hit else "no", ["no" if hit else "yes"], k=2)
    text = f"Do the {objs[0].name} and the {objs[1].name} collide?"
    return Question("collide", text, choices, ans, None, scene)


GENERATORS: dict[str, Callable[[np.random.Generator], Question]] = {
    "count": _q_count,
    "colour": _q_colour,
    "left_right": _q_left_right,
    "closer": _q_closer,
    "size": _q_size,
    "moved": _q_moved,
    "direction": q_direction,
    "topple": q_topple,
    "collide": q_collide,
}


def generate(seed: int, qtype: str) -> Question:
    """Generate the question of type ``qtype`` for ``seed`` (deterministic; generator 1).

    Proposals come from one RNG stream seeded by ``(seed, qtype)``; rejected (ambiguous)
    proposals just advance the stream, so the accepted one depends on the seed alone. The
    target answer is redrawn with each proposal, which lets language priors in: see
    :mod:`.qa_questions_v2` (generator 2) for questions whose text says nothing of the answer.
    """
    rng = np.random.default_rng([seed, QUESTION_TYPES.index(qtype)])
    gen = GENERATORS[qtype]
    for _ in range(_MAX_ATTEMPTS):
        try:
            return gen(rng)
        except SceneRejected:
            continue
    raise RuntimeError(f"no unambiguous {qtype} scene for seed {seed}")  # pragma: no cover
