"""physqa-sim physics: the MJCF of a scene, a deterministic rollout, the render template."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cosmos3_eval.sim.render import import_mujoco
from cosmos3_eval.sim.scenes.qa_spec import (
    COLOURS,
    MAX_SLOTS,
    TABLE_HALF,
    TIMESTEP,
    Rollout,
    Scene,
)


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


def render_template_mjcf() -> str:
    """The render template: table, floor and hidden geom slots restyled per scene."""
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
