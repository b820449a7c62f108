"""Physics-IQ metrics and score, as defined by the Physics-IQ benchmark's reference code.

Reference: github.com/google-deepmind/physics-IQ-benchmark, ``code/binary_mask_generator.py``,
``code/calculate_and_write_metrics_to_csv.py`` and ``code/calculate_iq_score.py``. This module
is an independent implementation of the same definitions on in-memory ``uint8`` RGB videos
(the reference reads and writes mp4 files; we skip the codec round trip, which is the one
difference, since our videos never pass through a codec). Parity with the reference functions
is tested in ``tests/scorers/test_physics_iq_parity.py``.

**Motion masks** (per video, per frame): grey scale, 5x5 Gaussian blur, a running-average
background (``accumulateWeighted`` with alpha 0.3, started on the first frame), the absolute
difference to the background thresholded at :data:`MASK_THRESHOLD`, then a 5x5 morphological
opening and closing. The first frame's mask is empty.

**Per-sample metrics** (masks and frames downsampled 4x with bilinear ``cv2.resize``, masks
re-binarised at 127):

* spatial IoU — IoU of the ever-moved maps (max over time);
* spatiotemporal IoU — per-frame IoU, a frame where both masks are empty counts 1;
* weighted spatial IoU — ``sum min / sum max`` of the per-pixel motion frequencies;
* MSE — per-frame mean squared RGB difference of the frames scaled to [0, 1].

**Physics-IQ score** (corpus level, over all samples of a run): with the model's means
``ST, S, W, MSE`` against the truth and the physical variance ``ST_v, S_v, W_v, MSE_v`` (the
same metrics of the perturbed twin against the truth)::

    score = 100 * ((ST / ST_v + S / S_v + W / W_v) / 3 - (MSE - MSE_v)), clipped to [0, 100]

with the reference's rounding: per-frame values to 4 decimals (its CSV round trip), the
physical variances to 4 decimals (spatial: 5) and the score to 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosmos3_eval.errors import UserError

PIQ_KEYS = ("spatial_iou", "spatiotemporal_iou", "weighted_spatial_iou", "mse")
"""The four per-sample Physics-IQ metrics (score names ``physics_iq_<key>``)."""

MASK_THRESHOLD = 10
"""Grey-level difference to the running background above which a pixel moves (reference)."""

BACKGROUND_ALPHA = 0.3
"""Weight of the new frame in the running-average background (reference)."""

DOWNSAMPLE = 4
"""Frames and masks are compared at 1/4 of the video's width and height (reference)."""

_ROUND = 4  # decimals the reference's CSV parser keeps of every per-frame value


def import_cv2():
    """Import OpenCV (the reference's image operations) or raise a clear user error."""
    try:
        import cv2
    except ModuleNotFoundError as exc:
        raise UserError(
            "video scoring needs OpenCV: pip install opencv-python-headless "
            "(robosuite's opencv-python also works)"
        ) from exc
    return cv2


def motion_masks(video: np.ndarray, threshold: int = MASK_THRESHOLD) -> np.ndarray:
    """Binary motion masks ``(T, H, W)`` uint8 (0 / 255) of an RGB ``uint8`` video.

    Args:
        video: ``(T, H, W, 3)`` uint8 RGB.
        threshold: Grey-level threshold of the difference to the running background.
    """
    cv2 = import_cv2()
    kernel = np.ones((5, 5), np.uint8)
    out = np.zeros(video.shape[:3], np.uint8)
    background: np.ndarray | None = None
    for t, frame in enumerate(video):
        grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (5, 5), 0)
        if background is None:
            background = grey.astype(np.float64)  # the first frame's mask stays empty
            continue
        cv2.accumulateWeighted(grey, background, BACKGROUND_ALPHA)
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(background))
        _, mask = cv2.threshold(diff, threshold, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        out[t] = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    return out


def _size(video: np.ndarray) -> tuple[int, int]:
    return video.shape[2] // DOWNSAMPLE, video.shape[1] // DOWNSAMPLE  # (width, height)


def downsample_masks(masks: np.ndarray) -> np.ndarray:
    """Masks ``(T, H, W)`` (0 / 255) resized to 1/4 and re-binarised to 0 / 1 uint8."""
    cv2 = import_cv2()
    size = (masks.shape[2] // DOWNSAMPLE, masks.shape[1] // DOWNSAMPLE)
    return np.stack([(cv2.resize(m, size) > 127).astype(np.uint8) for m in masks])


def downsample_frames(video: np.ndarray) -> np.ndarray:
    """Frames resized to 1/4 and scaled to [0, 1] float64."""
    cv2 = import_cv2()
    size = _size(video)
    return np.stack([cv2.resize(f, size) / 255.0 for f in video])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def per_frame_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each frame of two ``(T, h, w)`` binary mask stacks; both empty -> 1."""
    a, b = a.astype(bool), b.astype(bool)
    inter = np.count_nonzero(a & b, axis=(1, 2))
    union = np.count_nonzero(a | b, axis=(1, 2))
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


def weighted_spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """``sum min / sum max`` of the motion frequencies of two mask stacks; both still -> 1."""
    fa = a.sum(axis=0, dtype=np.uint16) / len(a)
    fb = b.sum(axis=0, dtype=np.uint16) / len(b)
    den = float(np.maximum(fa, fb).sum())
    return 1.0 if den == 0 else float(np.minimum(fa, fb).sum()) / den


def per_frame_mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean squared difference per frame of two ``(T, h, w, 3)`` float videos."""
    d = a.astype(np.float32) - b.astype(np.float32)
    return (d * d).reshape(len(d), -1).mean(axis=1, dtype=np.float64)


@dataclass(frozen=True)
class Prepared:
    """A video's downsampled frames and masks, computed once and compared many times."""

    frames: np.ndarray
    masks: np.ndarray


def prepare(video: np.ndarray) -> Prepared:
    """Motion masks and downsampled frames of a ``(T, H, W, 3)`` uint8 RGB video."""
    return Prepared(downsample_frames(video), downsample_masks(motion_masks(video)))


@dataclass(frozen=True)
class PhysicsIQMetrics:
    """The four Physics-IQ metrics of one video against a reference video.

    Attributes:
        spatial_iou: IoU of the ever-moved maps.
        spatiotemporal_iou: Per-frame IoUs ``(T,)``.
        weighted_spatial_iou: Weighted Jaccard of the motion frequencies.
        mse: Per-frame RGB MSE ``(T,)`` of frames in [0, 1].
    """

    spatial_iou: float
    spatiotemporal_iou: np.ndarray
    weighted_spatial_iou: float
    mse: np.ndarray

    def summary(self) -> dict[str, float]:
        """Per-sample values: per-frame lists averaged after the reference's 4-dp rounding."""
        return {
            "spatial_iou": float(self.spatial_iou),
            "spatiotemporal_iou": float(np.mean(np.round(self.spatiotemporal_iou, _ROUND))),
            "weighted_spatial_iou": float(self.weighted_spatial_iou),
            "mse": float(np.mean(np.round(self.mse, _ROUND))),
        }


def compare(reference: Prepared, video: Prepared) -> PhysicsIQMetrics:
    """Physics-IQ metrics of ``video`` against ``reference`` (both from :func:`prepare`)."""
    if reference.masks.shape != video.masks.shape:
        raise ValueError(f"shape mismatch: {reference.masks.shape} vs {video.masks.shape}")
    return PhysicsIQMetrics(
        spatial_iou=_iou(reference.masks.any(axis=0), video.masks.any(axis=0)),
        spatiotemporal_iou=per_frame_iou(reference.masks, video.masks),
        weighted_spatial_iou=weighted_spatial_iou(reference.masks, video.masks),
        mse=per_frame_mse(reference.frames, video.frames),
    )


@dataclass(frozen=True)
class SampleTerms:
    """What the corpus score needs of one sample (all from :meth:`PhysicsIQMetrics.summary`).

    Attributes:
        model: The model's metrics against the truth (``None``: the sample errored, which
            counts 0 for the three IoUs and is left out of the MSE term).
        variance: The perturbed twin's metrics against the truth (``None`` when unknown).
        frames: Number of future frames; the reference pools the twin's per-frame values
            over all frames of all samples, so longer samples weigh more there.
    """

    model: dict[str, float] | None
    variance: dict[str, float] | None
    frames: int = 1


def sample_terms(records: list[dict[str, Any]]) -> list[SampleTerms]:
    """Physics-IQ terms of each record (errored records: model ``None``)."""
    out = []
    for rec in records:
        sc = rec.get("scores") or {}
        var = {k: sc.get(f"physics_iq_variance_{k}") for k in PIQ_KEYS}
        model = {k: sc.get(f"physics_iq_{k}") for k in PIQ_KEYS}
        failed = rec.get("error") is not None or any(v is None for v in model.values())
        out.append(
            SampleTerms(
                model=None if failed else model,
                variance=None if any(v is None for v in var.values()) else var,
            )
        )
    return out


def physics_iq_score(samples: Sequence[SampleTerms]) -> float | None:
    """The Physics-IQ score in [0, 100] of a set of samples (module doc), or ``None``."""
    ok = [s.model for s in samples if s.model is not None]
    var = [s.variance for s in samples if s.variance is not None]
    weights = np.array([s.frames for s in samples if s.variance is not None], np.float64)
    if not samples or not var:
        return None
    n = len(samples)

    def mean(rows: list[dict[str, float]], key: str) -> float:
        return float(np.mean([r[key] for r in rows]))

    def pooled(key: str) -> float:  # the mean over all frames of all samples
        return float(np.dot(weights, [r[key] for r in var]) / weights.sum())

    st = sum(r["spatiotemporal_iou"] for r in ok) / n
    sp = sum(r["spatial_iou"] for r in ok) / n
    ws = sum(r["weighted_spatial_iou"] for r in ok) / n
    mse = mean(ok, "mse") if ok else 1.0
    v_st = round(pooled("spatiotemporal_iou"), 4)
    v_sp = round(mean(var, "spatial_iou"), 5)
    v_ws = round(mean(var, "weighted_spatial_iou"), 4)
    v_mse = round(pooled("mse"), 4)
    ratio = (st / v_st + sp / v_sp + ws / v_ws) / 3 if min(v_st, v_sp, v_ws) > 0 else 0.0
    score = 100.0 * (ratio - (mse - v_mse))
    return round(max(min(score, 100.0), 0.0), 2)


def bootstrap_score(
    samples: Sequence[SampleTerms], seed: int, n_boot: int = 1000
) -> tuple[float, tuple[float, float]] | None:
    """Stderr and 95 % percentile CI of :func:`physics_iq_score` by resampling samples."""
    if len(samples) < 2:
        return None
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(samples), len(samples))
        v = physics_iq_score([samples[i] for i in idx])
        if v is not None:
            vals.append(v)
    if not vals:
        return None
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return float(np.std(vals, ddof=1)), (float(lo), float(hi))
