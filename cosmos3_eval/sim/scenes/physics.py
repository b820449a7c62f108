"""Seeded MuJoCo physics scenarios with an exactly known future (for image-to-video scoring).

Every scenario is a side view (camera looking along +y) of a few distinctly coloured objects
in front of a plain light-grey wall on a grey floor. Static scenery (ramp, table, pendulum
rod) is unsaturated grey so that objects can be found by hue alone. A scenario is a pure
function of ``(kind, seed, config)``:

* :func:`make_scenario` draws the parameters (cheap, no MuJoCo);
* :func:`simulate` builds the MJCF, steps the physics and renders ``T`` RGB frames plus a
  per-object label map from MuJoCo's segmentation rendering;
* :func:`simulate` with ``perturb=True`` is the *perturbed twin*: the same scene with every
  moving degree of freedom's initial position shifted by a seeded Gaussian of standard
  deviation :data:`TWIN_PERTURBATION` (1e-4 m for positions, 1e-4 rad for hinge angles). It
  measures how much the future of the scene is determined by its first frame: the score of
  the twin against the truth is the *physical-variance ceiling* a perfect model can reach.

Time step: the physics step is ``1 / (fps * substeps)`` with ``substeps`` the smallest integer
giving a step <= 2 ms, so frames fall exactly on physics steps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cosmos3_eval.sim.render import import_mujoco
from cosmos3_eval.sim.scenes.palette import PHYSICS_PALETTE, hue_of
from cosmos3_eval.sim.scenes.render import SceneRenderer

SCENARIO_KINDS: tuple[str, ...] = (
    "free_fall",
    "ramp_roll",
    "friction_slide",
    "pendulum",
    "collision",
    "tower_topple",
    "table_edge",
)
"""The scenario types, in the order samples cycle through them."""

TWIN_PERTURBATION = 1e-4
"""Std of the perturbed twin's initial-position noise (m, or rad for hinges)."""

MAX_PHYSICS_DT = 0.002

PALETTE = PHYSICS_PALETTE
"""Object colours (from :mod:`.palette`): hues at least 50 degrees apart."""

_WALL = "0.78 0.78 0.78 1"
_FLOOR = "0.50 0.50 0.50 1"
_SCENERY = "0.33 0.33 0.33 1"


@dataclass(frozen=True)
class SceneObject:
    """One coloured, moving object of a scenario.

    Attributes:
        name: Body name in the MJCF (also used in the prompt's order).
        color: Palette name.
        shape: ``"sphere"`` or ``"box"``.
    """

    name: str
    color: str
    shape: str

    @property
    def hue(self) -> float:
        """Nominal hue in degrees."""
        return hue_of(PALETTE[self.color])


@dataclass(frozen=True)
class Scenario:
    """A drawn scenario: everything needed to simulate it again.

    Attributes:
        kind: One of :data:`SCENARIO_KINDS`.
        seed: The seed it was drawn from.
        prompt: Describes the scene, never the outcome.
        objects: The coloured moving objects (segmentation labels are 1 + index).
        xml: The MJCF model.
        init_qvel: Initial velocities ``(nv,)`` set after ``mj_forward``.
    """

    kind: str
    seed: int
    prompt: str
    objects: tuple[SceneObject, ...]
    xml: str
    init_qvel: tuple[float, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        """JSON-safe summary (for sample records)."""
        return {
            "kind": self.kind,
            "prompt": self.prompt,
            "objects": [{"name": o.name, "color": o.color, "shape": o.shape} for o in self.objects],
        }


@dataclass(frozen=True)
class Rollout:
    """A rendered simulation.

    Attributes:
        frames: ``(T, H, W, 3)`` uint8 RGB.
        labels: ``(T, H, W)`` uint8: 0 = background, ``i + 1`` = ``objects[i]``, from MuJoCo
            segmentation rendering.
        fps: Frame rate.
    """

    frames: np.ndarray
    labels: np.ndarray
    fps: float

    def object_masks(self) -> np.ndarray:
        """Per-object masks ``(T, n_objects, H, W)`` bool."""
        n = int(self.labels.max(initial=0))
        return self.labels[:, None] == np.arange(1, n + 1)[None, :, None, None]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _color(c: str) -> str:
    r, g, b = PALETTE[c]
    return f"{r} {g} {b} 1"


def _world(body: str, colors: list[str], floor_friction: float = 0.6) -> str:
    # specular=0 keeps shaded faces saturated so hue segmentation works on every face.
    mats = "".join(
        f'<material name="{c}" rgba="{_color(c)}" specular="0" shininess="0"/>' for c in colors
    )
    return f"""<mujoco>
  <option timestep="0.002" gravity="0 0 -9.81"/>
  <visual><headlight ambient="0.45 0.45 0.45" diffuse="0.55 0.55 0.55" specular="0 0 0"/></visual>
  <asset>{mats}
    <material name="scenery" rgba="{_SCENERY}" specular="0"/>
  </asset>
  <worldbody>
    <light pos="0 -2 4" dir="0 0.4 -1" diffuse="0.35 0.35 0.35" specular="0 0 0"/>
    <camera name="side" pos="0 -2.6 0.7" xyaxes="1 0 0 0 0 1" fovy="45"/>
    <geom name="floor" type="plane" size="6 6 0.1" rgba="{_FLOOR}" friction="{floor_friction}"/>
    <geom name="wall" type="box" pos="0 1.0 2" size="6 0.05 3" rgba="{_WALL}"
          contype="0" conaffinity="0"/>
    {body}
  </worldbody>
</mujoco>"""


def _free_body(
    name: str, obj: SceneObject, pos: tuple[float, ...], size: float, friction: float = 0.6
) -> str:
    x, y, z = pos
    if obj.shape == "sphere":
        geom = f'type="sphere" size="{size}"'
    else:
        geom = f'type="box" size="{size} {size} {size}"'
    return (
        f'<body name="{name}" pos="{x} {y} {z}"><freejoint/>'
        f'<geom name="{name}_g" {geom} material="{obj.color}" friction="{friction} 0.005 0.0001"'
        f' density="500"/></body>'
    )


def make_scenario(kind: str, seed: int) -> Scenario:
    """Draw the parameters of one scenario (no MuJoCo involved).

    Args:
        kind: One of :data:`SCENARIO_KINDS`.
        seed: Seed; equal seeds give identical scenarios.

    Raises:
        ValueError: Unknown kind.
    """
    if kind not in SCENARIO_KINDS:
        raise ValueError(f"unknown scenario kind {kind!r}; known: {', '.join(SCENARIO_KINDS)}")
    rng = np.random.default_rng([seed, SCENARIO_KINDS.index(kind)])
    colors = [str(c) for c in rng.permutation(list(PALETTE))]
    side = 1.0 if rng.random() < 0.5 else -1.0  # mirror left / right
    return _BUILDERS[kind](rng, colors, side, seed)


def _free_fall(rng, colors, side, seed) -> Scenario:
    obj = SceneObject("obj0", colors[0], "sphere" if rng.random() < 0.6 else "box")
    r = _u(rng, 0.08, 0.12)
    pos = (round(-side * _u(rng, 0.2, 0.8), 4), 0.0, round(_u(rng, 1.0, 1.7), 4))
    vx, vz = side * _u(rng, 0.3, 1.5), _u(rng, -0.5, 1.5)
    xml = _world(_free_body("obj0", obj, pos, r), colors[:1])
    prompt = f"A {obj.color} {'ball' if obj.shape == 'sphere' else 'cube'} is tossed in the air above a grey floor, in front of a plain wall."  # noqa: E501
    return Scenario("free_fall", seed, prompt, (obj,), xml, (vx, 0, vz, 0, 0, 0))


def _ramp_roll(rng, colors, side, seed) -> Scenario:
    obj = SceneObject("obj0", colors[0], "sphere")
    ang = math.radians(_u(rng, 15, 32))
    half_len, thick = 0.75, 0.04
    cx = side * _u(rng, 0.0, 0.3)
    top_z = 2 * half_len * math.sin(ang) + 0.05
    cz = top_z / 2
    # The ramp rises towards -side: the ball rolls towards +side.
    ramp = (
        f'<geom name="ramp" type="box" size="{half_len} 0.3 {thick}" pos="{cx} 0 {cz}"'
        f' euler="0 {math.degrees(ang) * side:.4f} 0" material="scenery" friction="0.8"/>'
    )
    r = _u(rng, 0.07, 0.1)
    d = _u(rng, 0.45, 0.65) * half_len  # distance up the slope from the centre
    nx, nz = side * math.sin(ang), math.cos(ang)  # ramp surface normal
    px = cx - side * d * math.cos(ang) + nx * (thick + r)
    pz = cz + d * math.sin(ang) + nz * (thick + r)
    v = _u(rng, 0.0, 0.6)
    ball = _free_body("obj0", obj, (round(px, 4), 0.0, round(pz, 4)), r, friction=0.8)
    vel = (side * v * math.cos(ang), 0, -v * math.sin(ang), 0, 0, 0)
    prompt = f"A {obj.color} ball sits near the top of a grey ramp on a grey floor, in front of a plain wall."  # noqa: E501
    return Scenario("ramp_roll", seed, prompt, (obj,), _world(ramp + ball, colors[:1]), vel)


def _friction_slide(rng, colors, side, seed) -> Scenario:
    obj = SceneObject("obj0", colors[0], "box")
    s = _u(rng, 0.08, 0.12)
    mu = _u(rng, 0.15, 0.6)
    x0 = -side * _u(rng, 0.5, 0.8)
    v = side * _u(rng, 1.0, 2.2)
    body = _free_body("obj0", obj, (round(x0, 4), 0.0, round(s + 1e-3, 4)), s, friction=mu)
    surface = "smooth" if mu < 0.3 else ("slightly rough" if mu < 0.45 else "rough")
    prompt = (
        f"A {obj.color} block is shoved along a {surface} grey floor, in front of a plain wall."  # noqa: E501
    )
    return Scenario(
        "friction_slide", seed, prompt, (obj,), _world(body, colors[:1], mu), (v, 0, 0, 0, 0, 0)
    )


def _pendulum(rng, colors, side, seed) -> Scenario:
    obj = SceneObject("obj0", colors[0], "sphere")
    length = _u(rng, 0.6, 0.9)
    pivot_z = 1.55
    theta = side * math.radians(_u(rng, 25, 75))
    r = _u(rng, 0.07, 0.1)
    body = (
        f'<geom name="pivot" type="sphere" size="0.03" pos="0 0 {pivot_z}" material="scenery"'
        f' contype="0" conaffinity="0"/>'
        f'<body name="arm" pos="0 0 {pivot_z}" euler="0 {math.degrees(theta):.4f} 0">'
        f'<joint name="hinge" type="hinge" axis="0 1 0" damping="0.002"/>'
        f'<geom name="rod" type="capsule" fromto="0 0 0 0 0 {-length:.4f}" size="0.012"'
        f' material="scenery" contype="0" conaffinity="0"/>'
        f'<geom name="obj0_g" type="sphere" size="{r}" pos="0 0 {-length:.4f}"'
        f' material="{obj.color}" contype="0" conaffinity="0"/></body>'
    )
    omega = _u(rng, -1.0, 1.0)
    prompt = f"A {obj.color} pendulum bob hangs from a grey rod on a pivot, held out to one side, in front of a plain wall."  # noqa: E501
    return Scenario("pendulum", seed, prompt, (obj,), _world(body, colors[:1]), (omega,))


def _collision(rng, colors, side, seed) -> Scenario:
    a = SceneObject("obj0", colors[0], "sphere")
    b = SceneObject("obj1", colors[1], "sphere")
    ra, rb = _u(rng, 0.08, 0.12), _u(rng, 0.08, 0.12)
    xa, xb = -side * _u(rng, 0.6, 1.0), side * _u(rng, 0.0, 0.5)
    va, vb = side * _u(rng, 1.5, 3.0), -side * _u(rng, 0.0, 1.0)
    body = _free_body("obj0", a, (round(xa, 4), 0.0, round(ra, 4)), ra) + _free_body(
        "obj1", b, (round(xb, 4), 0.0, round(rb, 4)), rb
    )
    prompt = f"A {a.color} ball and a {b.color} ball roll towards each other on a grey floor, in front of a plain wall."  # noqa: E501
    vel = (va, 0, 0, 0, 0, 0, vb, 0, 0, 0, 0, 0)
    return Scenario("collision", seed, prompt, (a, b), _world(body, colors[:2]), vel)


def _tower_topple(rng, colors, side, seed) -> Scenario:
    n = int(rng.integers(3, 5))
    s = _u(rng, 0.09, 0.12)
    objs, bodies, vel = [], [], []
    x0 = -side * _u(rng, 0.0, 0.4)
    omega = side * _u(rng, 0.8, 2.0)  # the tower starts tipping about its base
    off = 0.0
    for i in range(n):
        o = SceneObject(f"obj{i}", colors[i], "box")
        z = s + 2 * s * i + 1e-3 * i
        bodies.append(_free_body(o.name, o, (round(x0 + off, 4), 0.0, round(z, 4)), s))
        off += side * _u(rng, 0.1, 0.45) * s
        objs.append(o)
        vel.extend((omega * z, 0, 0, 0, omega, 0))
    names = ", ".join(o.color for o in objs[:-1]) + f" and {objs[-1].color}"
    prompt = f"A tower of {n} blocks ({names}, bottom to top) stands slightly askew on a grey floor, in front of a plain wall."  # noqa: E501
    return Scenario(
        "tower_topple", seed, prompt, tuple(objs), _world("".join(bodies), colors[:n]), tuple(vel)
    )


def _table_edge(rng, colors, side, seed) -> Scenario:
    obj = SceneObject("obj0", colors[0], "box" if rng.random() < 0.6 else "sphere")
    h, mu = 0.7, 0.3
    edge = side * _u(rng, 0.1, 0.5)
    table_half = 0.8
    table = (
        f'<geom name="table" type="box" size="{table_half} 0.4 0.03" '
        f'pos="{edge - side * table_half:.4f} 0 {h - 0.03}" material="scenery" friction="{mu}"/>'
        f'<geom name="leg" type="box" size="0.03 0.3 {(h - 0.06) / 2:.4f}" '
        f'pos="{edge - side * table_half:.4f} 0 {(h - 0.06) / 2:.4f}" material="scenery"/>'
    )
    s = _u(rng, 0.07, 0.1)
    d = _u(rng, 0.15, 0.45)
    v = side * math.sqrt(2 * mu * 9.81 * (d + s)) * _u(rng, 1.15, 1.4)
    body = _free_body("obj0", obj, (round(edge - side * d, 4), 0.0, round(h + s + 1e-3, 4)), s, mu)
    thing = "block" if obj.shape == "box" else "ball"
    prompt = f"A {obj.color} {thing} is pushed across a grey table top near its edge, above a grey floor, in front of a plain wall."  # noqa: E501
    return Scenario(
        "table_edge", seed, prompt, (obj,), _world(table + body, colors[:1]), (v, 0, 0, 0, 0, 0)
    )


_BUILDERS = {
    "free_fall": _free_fall,
    "ramp_roll": _ramp_roll,
    "friction_slide": _friction_slide,
    "pendulum": _pendulum,
    "collision": _collision,
    "tower_topple": _tower_topple,
    "table_edge": _table_edge,
}


class ScenarioSimulator:
    """Simulates and renders scenarios with the fast render settings.

    One GL context serves every scenario; the compiled model is reused while the same
    scenario is simulated again (truth, then its perturbed twin).

    Args:
        width: Frame width in pixels.
        height: Frame height in pixels.
    """

    def __init__(self, width: int = 128, height: int = 128):
        self.width = width
        self.height = height
        self.render_seconds = 0.0  # time spent in rendering (perf reporting)
        self._renderer: SceneRenderer | None = None
        self._bound: tuple[str, Any, int] | None = None  # (xml, model, substeps) last rendered

    def simulate(
        self,
        scenario: Scenario,
        num_frames: int,
        fps: float,
        perturb: bool = False,
        segmentation: bool = True,
    ) -> Rollout:
        """Step the scenario and render ``num_frames`` frames at ``fps``.

        Args:
            scenario: The drawn scenario.
            num_frames: Number of frames T (frame 0 is the initial state).
            fps: Frames per second.
            perturb: Render the perturbed twin (see module doc).
            segmentation: Also render per-object labels (else ``labels`` is all zeros).
        """
        mujoco = import_mujoco()
        if self._renderer is None:
            self._renderer = SceneRenderer(self.width, self.height)
        if self._bound is None or self._bound[0] != scenario.xml:
            model = mujoco.MjModel.from_xml_string(scenario.xml)
            model.vis.quality.shadowsize = 0  # shadows are off; skip the 4096^2 shadow map
            substeps = max(1, math.ceil(1.0 / (fps * MAX_PHYSICS_DT)))
            model.opt.timestep = 1.0 / (fps * substeps)
            self._renderer.bind(model)
            self._bound = (scenario.xml, model, substeps)
        _, model, substeps = self._bound
        if abs(model.opt.timestep * fps * substeps - 1.0) > 1e-9:
            substeps = max(1, math.ceil(1.0 / (fps * MAX_PHYSICS_DT)))
            model.opt.timestep = 1.0 / (fps * substeps)
            self._bound = (scenario.xml, model, substeps)
        data = mujoco.MjData(model)
        if scenario.init_qvel:
            data.qvel[:] = scenario.init_qvel
        if perturb:
            self._perturb(mujoco, model, data, scenario.seed)
        mujoco.mj_forward(model, data)
        camera = mujoco.MjvCamera()
        camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        camera.fixedcamid = 0
        geom_label = np.zeros(model.ngeom, np.uint8)
        for i, obj in enumerate(scenario.objects):
            geom_label[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"{obj.name}_g")] = i + 1
        frames = np.empty((num_frames, self.height, self.width, 3), np.uint8)
        labels = np.zeros((num_frames, self.height, self.width), np.uint8)
        for t in range(num_frames):
            if t:
                mujoco.mj_step(model, data, nstep=substeps)
            t0 = time.perf_counter()
            self._renderer.update(data, camera)
            frames[t] = self._renderer.rgb()
            if segmentation:
                ids = self._renderer.geom_ids()
                labels[t] = np.where(ids >= 0, geom_label[ids], 0)
            self.render_seconds += time.perf_counter() - t0
        return Rollout(frames, labels, float(fps))

    def close(self) -> None:
        """Release the GL context."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
            self._bound = None

    @staticmethod
    def _perturb(mujoco: Any, model: Any, data: Any, seed: int) -> None:
        # Seeded, so the twin (and therefore the ceiling) is itself reproducible.
        rng = np.random.default_rng([seed, 0x7717])
        for j in range(model.njnt):
            adr = int(model.jnt_qposadr[j])
            jtype = int(model.jnt_type[j])
            if jtype == int(mujoco.mjtJoint.mjJNT_FREE):
                data.qpos[adr : adr + 3] += rng.normal(0.0, TWIN_PERTURBATION, 3)
            else:  # hinge / slide: one coordinate
                data.qpos[adr] += rng.normal(0.0, TWIN_PERTURBATION)
