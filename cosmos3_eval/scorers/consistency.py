"""Scores of the consistency tasks: imagined vs real video, replayed vs true trajectories.

* :func:`clip_agreement` — a predicted clip against the rendered real one, with the
  Physics-IQ-faithful motion masks and metrics of :mod:`cosmos3_eval.scorers.physics_iq` plus
  PSNR and luma SSIM. The shared context frame is prepended to both clips so the running
  background of the motion masks starts from the same state; the per-frame terms then leave
  that frame out (its mask is empty by definition and would count as agreement).
  ``consistency = clip((spatial + spatiotemporal + weighted spatial IoU) / 3 - MSE, 0, 1)``:
  the Physics-IQ combination per clip, without the corpus-level twin normalisation (which is
  unstable on clips of a few frames); the twin's value is reported beside it as the ceiling.
  With ``moving_only`` (the ``v2`` tasks) the frame-wise terms count only *moving* frames —
  frames where the real or the predicted motion mask is non-empty — and a clip in which
  nothing moves in either scores 0: agreeing that nothing happens earns nothing (a frame where
  both masks are empty counts 1 in Physics-IQ, so a model that does nothing and predicts
  nothing would otherwise score 1).
* :func:`state_errors` — final-state and mean trajectory error (m) of a replay.
* :func:`error_success_correlation` — the point-biserial (Pearson) correlation of episode
  imagination error with episode success, with a seeded bootstrap CI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cosmos3_eval.scorers import physics_iq as piq
from cosmos3_eval.scorers.video import psnr, ssim


@dataclass(frozen=True)
class ClipAgreement:
    """Agreement of a predicted clip with the real one (see module doc).

    Attributes:
        consistency: Combined score in [0, 1] (1 = the same motion and pixels).
        spatial_iou: Physics-IQ spatial IoU.
        spatiotemporal_iou: Physics-IQ spatiotemporal IoU (mean over predicted frames).
        weighted_spatial_iou: Physics-IQ weighted spatial IoU.
        mse: Physics-IQ MSE (RGB in [0, 1], 4x downsampled; mean over predicted frames).
        psnr: PSNR in dB over the predicted frames (capped at 60).
        ssim: Mean per-frame luma SSIM over the predicted frames.
        moving_frames: Predicted frames where the real or the predicted mask moves (the weight
            of the clip's Physics-IQ terms in :func:`mean_agreement` with ``moving_only``).
    """

    consistency: float
    spatial_iou: float
    spatiotemporal_iou: float
    weighted_spatial_iou: float
    mse: float
    psnr: float
    ssim: float
    moving_frames: int = 0

    def to_dict(self) -> dict[str, float]:
        """Score name -> value, rounded for records (``moving_frames`` is not a score)."""
        return {k: round(float(v), 6) for k, v in asdict(self).items() if k != "moving_frames"}


MOTION_TERMS = ("consistency", "spatial_iou", "spatiotemporal_iou", "weighted_spatial_iou", "mse")
"""The terms computed on moving frames only under ``moving_only`` (PSNR / SSIM use all)."""


def clip_agreement(
    context: np.ndarray, real: np.ndarray, pred: np.ndarray, moving_only: bool = False
) -> ClipAgreement:
    """Score ``pred`` against ``real`` (both ``(T, H, W, 3)`` uint8) after ``context``.

    Args:
        context: The frame both clips start from ``(H, W, 3)`` (the model's current frame).
        real: Rendered frames of what the simulator did.
        pred: The model's predicted frames, same shape.
        moving_only: Compute the per-frame Physics-IQ terms on moving frames only; a clip
            without a moving frame scores 0 on every Physics-IQ term (module doc).

    Raises:
        ValueError: Shapes differ or the clips are empty.
    """
    if real.shape != pred.shape or real.ndim != 4 or len(real) == 0:
        raise ValueError(f"clip shapes differ or are empty: {real.shape} vs {pred.shape}")
    a = np.concatenate([context[None], real])
    b = np.concatenate([context[None], pred])
    pa, pb = piq.prepare(a), piq.prepare(b)
    m = piq.compare(pa, pb)
    moving = (pa.masks[1:] | pb.masks[1:]).reshape(len(real), -1).any(axis=1)
    pixels = (psnr(real, pred), ssim(real, pred))
    keep = moving if moving_only else np.ones(len(real), bool)
    if not keep.any():
        return ClipAgreement(0.0, 0.0, 0.0, 0.0, 0.0, *pixels, moving_frames=0)
    st = float(np.mean(np.round(m.spatiotemporal_iou[1:][keep], 4)))
    mse = float(np.mean(np.round(m.mse[1:][keep], 4)))
    ious = (float(m.spatial_iou), st, float(m.weighted_spatial_iou))
    score = float(np.clip(sum(ious) / 3.0 - mse, 0.0, 1.0))
    return ClipAgreement(score, ious[0], st, ious[2], mse, *pixels, int(moving.sum()))


def mean_agreement(
    clips: list[ClipAgreement], weights: list[int], moving_only: bool = False
) -> dict[str, float]:
    """Frame-weighted mean of per-chunk agreements (an episode's value).

    With ``moving_only`` the Physics-IQ terms (:data:`MOTION_TERMS`) are weighted by each
    chunk's moving frames instead, and are 0 when no frame of the episode moved.
    """
    w = np.asarray(weights, np.float64)
    rows = [c.to_dict() for c in clips]
    out = {k: float(np.dot(w, [r[k] for r in rows]) / w.sum()) for k in rows[0]}
    if moving_only:
        mw = np.asarray([c.moving_frames for c in clips], np.float64)
        for k in MOTION_TERMS:
            out[k] = float(np.dot(mw, [r[k] for r in rows]) / mw.sum()) if mw.sum() else 0.0
    return out


@dataclass(frozen=True)
class StateErrors:
    """Errors of a replayed trajectory against the true one.

    Attributes:
        final: Mean over tracked bodies of the position error at the last step (m).
        trajectory: Mean over steps and bodies of the position error (m).
    """

    final: float
    trajectory: float


def state_errors(true: np.ndarray, replay: np.ndarray) -> StateErrors:
    """Errors of ``replay`` against ``true``, both ``(T, n_bodies, 2)`` positions in m."""
    if true.shape != replay.shape:
        raise ValueError(f"trajectory shapes differ: {true.shape} vs {replay.shape}")
    d = np.linalg.norm(true - replay, axis=-1)
    return StateErrors(float(d[-1].mean()), float(d.mean()))


def action_mse(true: np.ndarray, pred: np.ndarray) -> float:
    """Mean squared error of two ``(T, dim)`` action sequences in normalised units."""
    return float(np.mean((np.asarray(true, np.float64) - np.asarray(pred, np.float64)) ** 2))


@dataclass(frozen=True)
class Correlation:
    """A correlation with its bootstrap 95 % CI and stderr (``None`` when undefined)."""

    value: float | None
    stderr: float | None
    ci95: tuple[float, float] | None
    n: int


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def error_success_correlation(
    errors: list[float], success: list[float], seed: int, n_boot: int = 1000
) -> Correlation:
    """Point-biserial correlation of imagination error with success, bootstrapped over episodes.

    Undefined (``None``) when either variable is constant (e.g. the oracle: no error).
    """
    x, y = np.asarray(errors, np.float64), np.asarray(success, np.float64)
    value = _pearson(x, y)
    if value is None:
        return Correlation(None, None, None, len(x))
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(x), len(x))
        v = _pearson(x[idx], y[idx])
        if v is not None:
            boots.append(v)
    if len(boots) < 2:
        return Correlation(value, None, None, len(x))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return Correlation(value, float(np.std(boots, ddof=1)), (float(lo), float(hi)), len(x))
