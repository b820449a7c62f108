"""The action contract: checking a model's action convention against a task's, and converters.

A convention mismatch between a policy and a simulator (a flipped gripper sign, a different
rotation format, un-normalised deltas) does not crash anything: it silently degrades the policy.
Here every closed-loop task declares an :class:`~cosmos3_eval.api.types.ActionSpec`, every model may
declare what it emits, and :func:`check_action_spec` compares them before the first env step.

Converters are explicit functions, never applied implicitly:

* rotations: axis-angle <-> matrix <-> 6-D (the first two *columns* of the rotation matrix,
  concatenated: ``[R[:, 0], R[:, 1]]``, Zhou et al. 2019);
* Cosmos-style 10-D pose deltas ``[dx, dy, dz, r6d (6), gripper]`` (metres, gripper 0 = open,
  1 = closed) <-> robosuite OSC_POSE 7-D ``[dx, dy, dz, ax, ay, az, gripper]`` normalised to
  [-1, 1] (position scale 0.05 m, rotation scale 0.5 rad, gripper -1 open / +1 close);
* gripper sign flips and range normalisation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np

from cosmos3_eval.api.types import ActionSpec
from cosmos3_eval.errors import ActionSpaceMismatch

ROBOSUITE_POS_SCALE = 0.05
"""Metres of end-effector translation per unit of normalised OSC_POSE action."""

ROBOSUITE_ROT_SCALE = 0.5
"""Radians of end-effector rotation per unit of normalised OSC_POSE action."""

_IGNORED_FIELDS = ("chunk_size",)  # a model may emit longer chunks; the runner executes a prefix

ROBOSUITE_OSC_7D = ActionSpec(
    kind="robosuite_osc_pose_delta",
    dim=7,
    names=("dx", "dy", "dz", "ax", "ay", "az", "gripper"),
    units=("0.05 m", "0.05 m", "0.05 m", "0.5 rad", "0.5 rad", "0.5 rad", "1"),
    low=-1.0,
    high=1.0,
    gripper="-1 open, +1 close",
    rotation="axis_angle",
    control_hz=20.0,
    chunk_size=1,
    image_orientation="upright",
)
"""robosuite Panda with the BASIC composite controller (OSC_POSE arm), world-frame deltas."""

COSMOS_10D = ActionSpec(
    kind="cosmos_10d_pose_delta",
    dim=10,
    names=("dx", "dy", "dz", "r11", "r21", "r31", "r12", "r22", "r32", "gripper"),
    units=("m", "m", "m", "1", "1", "1", "1", "1", "1", "1"),
    low=-1.0,
    high=1.0,
    gripper="0 open, 1 close",
    rotation="rot6d",
    control_hz=20.0,
    chunk_size=1,
    image_orientation="upright",
)
"""Cosmos-style 10-D single-arm pose delta: translation (m), 6-D rotation, gripper in [0, 1]."""

# LIBERO drives the same OSC_POSE controller (robosuite 1.4); only its camera frames differ.
LIBERO_OSC_7D = replace(ROBOSUITE_OSC_7D, kind="libero_osc_pose_delta", image_orientation="rot180")
"""LIBERO (robosuite 1.4 OSC_POSE, world-frame deltas); camera frames come rotated by 180 deg."""

CONVENTIONS: dict[str, ActionSpec] = {
    "robosuite_osc_7d": ROBOSUITE_OSC_7D,
    "cosmos_10d": COSMOS_10D,
    "libero_osc_7d": LIBERO_OSC_7D,
}
"""Named action conventions a model can declare (``--model-args convention=...``)."""


def check_action_spec(
    task: ActionSpec,
    model: ActionSpec | None,
    task_name: str = "task",
    model_name: str = "model",
) -> None:
    """Check that a model emits the action convention a task expects.

    Args:
        task: The task's declared convention.
        model: The model's declared convention; ``None`` means the model adapts to the task's
            (baselines that read ``ActRequest.action_spec``) and always passes.
        task_name: Task id for the message.
        model_name: Model name for the message.

    Raises:
        ActionSpaceMismatch: One line naming both sides and every differing field.
    """
    if model is None:
        return
    diffs = []
    for f in dataclasses.fields(ActionSpec):
        if f.name in _IGNORED_FIELDS:
            continue
        want, got = getattr(task, f.name), getattr(model, f.name)
        if _norm(want) != _norm(got):
            diffs.append(f"{f.name}: task {want!r} vs model {got!r}")
    if diffs:
        raise ActionSpaceMismatch(
            f"action space mismatch: model '{model_name}' emits '{model.kind}' ({model.dim}-D) "
            f"but task '{task_name}' expects '{task.kind}' ({task.dim}-D); "
            + "; ".join(diffs)
            + " (convert explicitly with cosmos3_eval.api.actions)"
        )


def _norm(value: object) -> object:
    # Tuples and lists compare equal; floats compare exactly (conventions are declared, not fit).
    return tuple(value) if isinstance(value, list | tuple) else value


# --------------------------------------------------------------------------- rotations


def axis_angle_to_matrix(axis_angle: np.ndarray) -> np.ndarray:
    """Rotation matrices from axis-angle vectors (Rodrigues).

    Args:
        axis_angle: ``(..., 3)``: unit axis times angle in radians.

    Returns:
        ``(..., 3, 3)`` rotation matrices.
    """
    v = np.asarray(axis_angle, dtype=np.float64)
    theta = np.linalg.norm(v, axis=-1, keepdims=True)
    safe = np.where(theta > 1e-12, theta, 1.0)
    k = v / safe
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(kx)
    kmat = np.stack(
        [
            np.stack([zero, -kz, ky], -1),
            np.stack([kz, zero, -kx], -1),
            np.stack([-ky, kx, zero], -1),
        ],
        -2,
    )
    s = np.sin(theta)[..., None]
    c = np.cos(theta)[..., None]
    eye = np.broadcast_to(np.eye(3), kmat.shape)
    return eye + s * kmat + (1.0 - c) * (kmat @ kmat)


def matrix_to_quat(matrix: np.ndarray) -> np.ndarray:
    """Unit quaternions ``(w, x, y, z)`` with ``w >= 0`` from rotation matrices.

    Shepperd's method: divide by the largest of w, x, y, z, which stays accurate near 0 and
    near pi where the trace formula does not.

    Args:
        matrix: ``(..., 3, 3)`` rotation matrices.

    Returns:
        ``(..., 4)`` quaternions, scalar first.
    """
    m = np.asarray(matrix, dtype=np.float64)
    batch = m.shape[:-2]
    r = m.reshape(-1, 3, 3)
    tr = np.trace(r, axis1=1, axis2=2)
    # 4 * squares of (w, x, y, z), each computed from the diagonal.
    cand = np.stack(
        [1 + tr, 1 + 2 * r[:, 0, 0] - tr, 1 + 2 * r[:, 1, 1] - tr, 1 + 2 * r[:, 2, 2] - tr], 1
    )
    best = np.argmax(cand, axis=1)
    q = np.empty((len(r), 4))
    for i, (k, rr) in enumerate(zip(best, r)):
        s = 2.0 * np.sqrt(max(cand[i, k], 1e-300))
        if k == 0:
            q[i] = [
                s / 4,
                (rr[2, 1] - rr[1, 2]) / s,
                (rr[0, 2] - rr[2, 0]) / s,
                (rr[1, 0] - rr[0, 1]) / s,
            ]
        elif k == 1:
            q[i] = [
                (rr[2, 1] - rr[1, 2]) / s,
                s / 4,
                (rr[0, 1] + rr[1, 0]) / s,
                (rr[0, 2] + rr[2, 0]) / s,
            ]
        elif k == 2:
            q[i] = [
                (rr[0, 2] - rr[2, 0]) / s,
                (rr[0, 1] + rr[1, 0]) / s,
                s / 4,
                (rr[1, 2] + rr[2, 1]) / s,
            ]
        else:
            q[i] = [
                (rr[1, 0] - rr[0, 1]) / s,
                (rr[0, 2] + rr[2, 0]) / s,
                (rr[1, 2] + rr[2, 1]) / s,
                s / 4,
            ]
    q[q[:, 0] < 0] *= -1.0  # w >= 0: one of the two equivalent quaternions
    return q.reshape(batch + (4,))


def quat_to_matrix(quat: np.ndarray) -> np.ndarray:
    """Rotation matrices from quaternions ``(w, x, y, z)`` (normalised first).

    Args:
        quat: ``(..., 4)``, scalar first.

    Returns:
        ``(..., 3, 3)``.
    """
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def matrix_to_axis_angle(matrix: np.ndarray) -> np.ndarray:
    """Axis-angle vectors (angle in [0, pi]) from rotation matrices (via :func:`matrix_to_quat`).

    Args:
        matrix: ``(..., 3, 3)`` rotation matrices.

    Returns:
        ``(..., 3)`` axis times angle.
    """
    m = np.asarray(matrix, dtype=np.float64)
    batch = m.shape[:-2]
    q = matrix_to_quat(m).reshape(-1, 4)
    v = q[:, 1:]
    norm = np.linalg.norm(v, axis=1)
    angle = 2.0 * np.arctan2(norm, q[:, 0])
    # angle / sin(angle / 2) -> 2 as the angle -> 0
    scale = np.where(norm > 1e-12, angle / np.maximum(norm, 1e-300), 2.0)
    return (v * scale[:, None]).reshape(batch + (3,))


def matrix_to_rot6d(matrix: np.ndarray) -> np.ndarray:
    """6-D rotation: the first two columns of the matrix, ``[R[:, 0], R[:, 1]]``.

    Args:
        matrix: ``(..., 3, 3)``.

    Returns:
        ``(..., 6)``.
    """
    m = np.asarray(matrix, dtype=np.float64)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def rot6d_to_matrix(rot6d: np.ndarray) -> np.ndarray:
    """Rotation matrices from 6-D rotations by Gram-Schmidt (robust to non-orthonormal input).

    Args:
        rot6d: ``(..., 6)`` as produced by :func:`matrix_to_rot6d`.

    Returns:
        ``(..., 3, 3)`` proper rotation matrices.

    Raises:
        ValueError: A degenerate input (zero or parallel columns).
    """
    r = np.asarray(rot6d, dtype=np.float64)
    a1, a2 = r[..., :3], r[..., 3:6]
    n1 = np.linalg.norm(a1, axis=-1, keepdims=True)
    if np.any(n1 < 1e-9):
        raise ValueError("degenerate 6-D rotation: first column is zero")
    b1 = a1 / n1
    u2 = a2 - np.sum(b1 * a2, axis=-1, keepdims=True) * b1
    n2 = np.linalg.norm(u2, axis=-1, keepdims=True)
    if np.any(n2 < 1e-9):
        raise ValueError("degenerate 6-D rotation: columns are parallel")
    b2 = u2 / n2
    b3 = np.cross(b1, b2)
    return np.stack([b1, b2, b3], axis=-1)


# --------------------------------------------------------------------------- scalars


def normalize(x: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """Map values in ``[low, high]`` to ``[-1, 1]`` (affine, no clipping)."""
    low_a, high_a = np.asarray(low, np.float64), np.asarray(high, np.float64)
    return 2.0 * (np.asarray(x, np.float64) - low_a) / (high_a - low_a) - 1.0


def denormalize(y: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`normalize`: map ``[-1, 1]`` to ``[low, high]``."""
    low_a, high_a = np.asarray(low, np.float64), np.asarray(high, np.float64)
    return (np.asarray(y, np.float64) + 1.0) / 2.0 * (high_a - low_a) + low_a


def gripper_01_to_pm1(g: np.ndarray) -> np.ndarray:
    """Gripper ``0 open / 1 close`` -> ``-1 open / +1 close``."""
    return 2.0 * np.asarray(g, np.float64) - 1.0


def gripper_pm1_to_01(g: np.ndarray) -> np.ndarray:
    """Gripper ``-1 open / +1 close`` -> ``0 open / 1 close``."""
    return (np.asarray(g, np.float64) + 1.0) / 2.0


def flip_gripper(actions: np.ndarray, index: int = -1) -> np.ndarray:
    """Negate the gripper dimension (``+1 open`` <-> ``+1 close`` for a symmetric range)."""
    out = np.array(actions, dtype=np.float64, copy=True)
    out[..., index] = -out[..., index]
    return out


# --------------------------------------------------------------------------- 10-D <-> 7-D


def cosmos10d_to_robosuite7d(actions: np.ndarray, clip: bool = True) -> np.ndarray:
    """Cosmos-style 10-D pose deltas -> normalised robosuite OSC_POSE 7-D actions.

    Args:
        actions: ``(..., 10)``: translation in metres, 6-D rotation of the delta rotation,
            gripper in ``[0, 1]`` (1 = close).
        clip: Clip the result to ``[-1, 1]`` (robosuite clips too; clipping here makes the
            saturation visible to the caller).

    Returns:
        ``(..., 7)`` float32: ``[dx, dy, dz] / 0.05``, axis-angle / 0.5, gripper in ``[-1, 1]``.
    """
    a = np.asarray(actions, dtype=np.float64)
    if a.shape[-1] != 10:
        raise ValueError(f"expected (..., 10) actions, got shape {a.shape}")
    pos = a[..., :3] / ROBOSUITE_POS_SCALE
    rot = matrix_to_axis_angle(rot6d_to_matrix(a[..., 3:9])) / ROBOSUITE_ROT_SCALE
    grip = gripper_01_to_pm1(a[..., 9:10])
    out = np.concatenate([pos, rot, grip], axis=-1)
    return (np.clip(out, -1.0, 1.0) if clip else out).astype(np.float32)


def robosuite7d_to_cosmos10d(actions: np.ndarray) -> np.ndarray:
    """Normalised robosuite OSC_POSE 7-D actions -> Cosmos-style 10-D pose deltas.

    Args:
        actions: ``(..., 7)`` in ``[-1, 1]``.

    Returns:
        ``(..., 10)`` float32: translation in metres, 6-D rotation, gripper in ``[0, 1]``.
    """
    a = np.asarray(actions, dtype=np.float64)
    if a.shape[-1] != 7:
        raise ValueError(f"expected (..., 7) actions, got shape {a.shape}")
    pos = a[..., :3] * ROBOSUITE_POS_SCALE
    r6 = matrix_to_rot6d(axis_angle_to_matrix(a[..., 3:6] * ROBOSUITE_ROT_SCALE))
    grip = gripper_pm1_to_01(a[..., 6:7])
    return np.concatenate([pos, r6, grip], axis=-1).astype(np.float32)
