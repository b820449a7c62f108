"""Converters for NVIDIA's Cosmos LIBERO action convention (extends :mod:`.actions`).

Every convention the Cosmos LIBERO policy server relies on is one named function here, with
known-answer and round-trip tests: rot6d <-> axis-angle (and quaternions via
:func:`~cosmos3_eval.api.actions.matrix_to_quat`), the gripper ``1 - 2g`` mapping, quantile
(de-)normalisation from a statistics file, and 10-D <-> LIBERO 7-D. Image conventions (180
degree rotation, camera concatenation, resize) live with the wire codec in
:mod:`cosmos3_eval.protocols.cosmos_policy`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cosmos3_eval.api.actions import (
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_rot6d,
    rot6d_to_matrix,
)
from cosmos3_eval.api.types import ActionSpec

COSMOS_LIBERO_10D = ActionSpec(
    kind="cosmos_libero_framewise_rot6d",
    dim=10,
    names=("dx", "dy", "dz", "r11", "r21", "r31", "r12", "r22", "r32", "gripper"),
    units=("0.05 m", "0.05 m", "0.05 m", "1", "1", "1", "1", "1", "1", "1"),
    low=-1.0,
    high=1.0,
    gripper="1 open, 0 close",
    rotation="rot6d",
    control_hz=20.0,
    chunk_size=16,
    image_orientation="upright",
)
"""What NVIDIA's LIBERO policy server returns (cosmos-framework ``action_policy_server_libero``):
frame-wise relative deltas in LIBERO's own action units (position x 0.05 m), the rotation
block the rot6d of the axis-angle action (x 0.5 rad) taken as a rotation vector, gripper in
[0, 1] with 1 = open (the env gets ``1 - 2g``); de-normalised by the server."""


def rot6d_to_axis_angle(rot6d: np.ndarray) -> np.ndarray:
    """``(..., 6)`` column rot6d -> ``(..., 3)`` axis-angle."""
    return matrix_to_axis_angle(rot6d_to_matrix(rot6d))


def axis_angle_to_rot6d(axis_angle: np.ndarray) -> np.ndarray:
    """``(..., 3)`` axis-angle -> ``(..., 6)`` column rot6d."""
    return matrix_to_rot6d(axis_angle_to_matrix(axis_angle))


def gripper_open01_to_pm1(g: np.ndarray) -> np.ndarray:
    """Gripper ``1 open / 0 close`` -> LIBERO's ``-1 open / +1 close``: ``1 - 2g``."""
    return 1.0 - 2.0 * np.asarray(g, np.float64)


def gripper_pm1_to_open01(a: np.ndarray) -> np.ndarray:
    """Inverse of :func:`gripper_open01_to_pm1`: ``(1 - a) / 2``."""
    return (1.0 - np.asarray(a, np.float64)) / 2.0


def cosmos_libero10d_to_libero7d(actions: np.ndarray) -> np.ndarray:
    """Cosmos LIBERO 10-D (:data:`COSMOS_LIBERO_10D`) -> LIBERO 7-D env actions (float64).

    Position passes through (both are in action units), rot6d -> axis-angle, gripper 1 - 2g.
    """
    a = np.asarray(actions, dtype=np.float64)
    if a.shape[-1] != 10:
        raise ValueError(f"expected (..., 10) actions, got shape {a.shape}")
    rot = rot6d_to_axis_angle(a[..., 3:9])
    return np.concatenate([a[..., :3], rot, gripper_open01_to_pm1(a[..., 9:10])], axis=-1)


def libero7d_to_cosmos_libero10d(actions: np.ndarray) -> np.ndarray:
    """LIBERO 7-D env actions -> Cosmos LIBERO 10-D (inverse of the above, float64)."""
    a = np.asarray(actions, dtype=np.float64)
    if a.shape[-1] != 7:
        raise ValueError(f"expected (..., 7) actions, got shape {a.shape}")
    r6 = axis_angle_to_rot6d(a[..., 3:6])
    return np.concatenate([a[..., :3], r6, gripper_pm1_to_open01(a[..., 6:7])], axis=-1)


@dataclasses.dataclass(frozen=True)
class QuantileStats:
    """Per-dimension 1 % / 99 % quantiles of a training set's actions.

    Attributes:
        q01: Lower quantiles.
        q99: Upper quantiles.
    """

    q01: np.ndarray
    q99: np.ndarray

    @property
    def range(self) -> np.ndarray:
        """``q99 - q01``, floored at 1e-6 as in the reference server."""
        return np.maximum(self.q99 - self.q01, 1e-6)


def load_quantile_stats(path: str, normalization: str = "quantile_rot") -> QuantileStats:
    """Quantile statistics from a cosmos-framework normaliser JSON.

    ``quantile_rot`` reads the ``global_raw`` block (raw, un-orthonormalised rot6d quantiles);
    ``quantile`` reads ``global``; a flat file with ``q01`` / ``q99`` is read as is.
    """
    import json

    with open(path) as fh:
        raw = json.load(fh)
    key = "global_raw" if normalization == "quantile_rot" else "global"
    stats = raw.get(key, raw)
    if "q01" not in stats or "q99" not in stats:
        raise ValueError(f"{path}: no q01 / q99 in the '{key}' statistics")
    return QuantileStats(np.asarray(stats["q01"], np.float64), np.asarray(stats["q99"], np.float64))


def quantile_normalize(x: np.ndarray, stats: QuantileStats) -> np.ndarray:
    """Map ``[q01, q99]`` to ``[-1, 1]`` per dimension (no clipping)."""
    return 2.0 * (np.asarray(x, np.float64) - stats.q01) / stats.range - 1.0


def quantile_denormalize(y: np.ndarray, stats: QuantileStats) -> np.ndarray:
    """Inverse of :func:`quantile_normalize` (the reference server's de-normalisation)."""
    return (np.asarray(y, np.float64) + 1.0) / 2.0 * stats.range + stats.q01
