"""Video metrics: the Physics-IQ family, PSNR / SSIM, object trajectories, the physics score.

All functions take ``uint8`` videos ``(T, H, W, 3)`` and compare the *future*: frames from
``start`` on (``start`` = index of the last conditioning frame, so the first generated frame's
change is included). Both videos are processed by the same code.

**Motion mask.** ``M[t] = max_c |V[t+1, c] - V[t, c]| > MOTION_THRESHOLD`` per pixel, with
:data:`MOTION_THRESHOLD` = 20 grey levels (of 255): above the frame-to-frame noise of a video
codec, far below the contrast of a moving object against its background.

**Physics-IQ family** (per sample; both-empty masks count as a perfect match):

* spatial IoU — IoU of the "ever moved" maps ``any_t M[t]``;
* spatiotemporal IoU — IoU of the full ``(T-1, H, W)`` motion volumes;
* weighted spatial IoU — weighted Jaccard ``sum min(f, g) / sum max(f, g)`` of the per-pixel
  motion frequencies ``f = mean_t M_true[t]``, ``g = mean_t M_gen[t]``;
* motion MSE — ``mean((M_true - M_gen)^2)`` (the fraction of disagreeing mask pixels).

**Physics score** in [0, 100]. Components ``c = (spatial IoU, spatiotemporal IoU, weighted
spatial IoU, 1 - motion MSE)``, all in [0, 1], higher is better. With ``c_twin`` the components
of the perturbed twin against the truth (the physical-variance ceiling)::

    physics_score = 100 * mean_k min(1, c_k / c_twin_k)        (c_twin_k = 0 -> term = 1)
    physics_score_raw = 100 * mean_k c_k                       (no normalisation)

so a model as good as the simulator itself (up to the scene's physical variance) scores 100.

**PSNR** (skimage, over the whole future clip, capped at :data:`PSNR_CAP` dB so identical
clips give a finite number) and **SSIM** (skimage, per frame on BT.601 luma, averaged; luma
rather than RGB keeps the metric suite above 200 frames/s at 128x128 on two cores).

**Trajectory error.** The centroid of each object's colour mask (pixels whose hue is within
:data:`HUE_TOLERANCE` degrees of the object's hue, with saturation >= :data:`MIN_SATURATION` and
value >= :data:`MIN_VALUE`) per future frame, against the true centroid (from MuJoCo
segmentation); mean Euclidean distance in pixels. A frame where the object is visible in only
one of the two counts the image diagonal; frames where it is visible in neither are skipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers.colour import hue_masks

MOTION_THRESHOLD = 20
"""Per-pixel change (max over RGB, grey levels of 255) above which a pixel is moving."""

PSNR_CAP = 60.0
"""PSNR of identical clips (dB); real comparisons stay far below."""

HUE_TOLERANCE = 22.0
MIN_SATURATION = 0.45
MIN_VALUE = 0.15


@dataclass(frozen=True)
class PhysicsIQ:
    """The Physics-IQ metrics of one generated video against the truth."""

    spatial_iou: float
    spatiotemporal_iou: float
    weighted_spatial_iou: float
    motion_mse: float

    def components(self) -> np.ndarray:
        """The four similarities in [0, 1] combined by :func:`physics_score`."""
        return np.array(
            [
                self.spatial_iou,
                self.spatiotemporal_iou,
                self.weighted_spatial_iou,
                1.0 - self.motion_mse,
            ]
        )

    def to_dict(self) -> dict[str, float]:
        """Metric name -> value."""
        return asdict(self)


def validate_video(video: object, num_frames: int, height: int, width: int) -> np.ndarray:
    """Check a model's video; return it as an array or raise a clear :class:`ModelOutputError`.

    Args:
        video: The model output (expected ``uint8`` ``(num_frames, height, width, 3)``).
        num_frames: Required frame count T.
        height: Required height.
        width: Required width.
    """
    if not isinstance(video, np.ndarray):
        raise ModelOutputError(f"video must be a numpy array, got {type(video).__name__}")
    if np.issubdtype(video.dtype, np.floating) and np.isnan(video).any():
        raise ModelOutputError("video contains NaN")
    if video.dtype != np.uint8:
        raise ModelOutputError(f"video dtype must be uint8, got {video.dtype}")
    if video.ndim != 4 or video.shape[-1] != 3:
        raise ModelOutputError(f"video must have shape (T, H, W, 3), got {video.shape}")
    if video.shape[0] != num_frames:
        raise ModelOutputError(f"video has {video.shape[0]} frames, expected {num_frames}")
    if video.shape[1:3] != (height, width):
        raise ModelOutputError(
            f"video frames are {video.shape[2]}x{video.shape[1]}, expected {width}x{height}"
        )
    return video


def motion_masks(video: np.ndarray, threshold: int = MOTION_THRESHOLD) -> np.ndarray:
    """Motion masks ``(T-1, H, W)`` bool of a video (see module doc)."""
    a, b = video[1:], video[:-1]
    # |a - b| in uint8 without widening: max - min never wraps.
    return (np.maximum(a, b) - np.minimum(a, b)).max(axis=-1) > threshold


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def physics_iq(true: np.ndarray, gen: np.ndarray, start: int = 0) -> PhysicsIQ:
    """Physics-IQ metrics of ``gen`` against ``true`` on frames ``start:``.

    Args:
        true: True video ``(T, H, W, 3)`` uint8.
        gen: Generated video, same shape.
        start: First frame compared (the last conditioning frame).
    """
    mt = motion_masks(true[start:])
    mg = motion_masks(gen[start:])
    ft = mt.mean(axis=0, dtype=np.float32)
    fg = mg.mean(axis=0, dtype=np.float32)
    den = float(np.maximum(ft, fg).sum())
    weighted = 1.0 if den == 0 else float(np.minimum(ft, fg).sum()) / den
    return PhysicsIQ(
        spatial_iou=_iou(mt.any(axis=0), mg.any(axis=0)),
        spatiotemporal_iou=_iou(mt, mg),
        weighted_spatial_iou=weighted,
        motion_mse=float(np.count_nonzero(mt ^ mg)) / mt.size if mt.size else 0.0,
    )


def physics_score(model: PhysicsIQ, ceiling: PhysicsIQ) -> float:
    """Combined physics score in [0, 100], normalised by the twin's ceiling (module doc)."""
    c, cap = model.components(), ceiling.components()
    ratio = np.where(cap > 0, np.minimum(1.0, c / np.where(cap > 0, cap, 1.0)), 1.0)
    return float(100.0 * ratio.mean())


def physics_score_raw(model: PhysicsIQ) -> float:
    """Unnormalised combined score ``100 * mean(components)`` in [0, 100]."""
    return float(100.0 * model.components().mean())


def psnr(true: np.ndarray, gen: np.ndarray) -> float:
    """PSNR (dB) of the clip, from scikit-image, capped at :data:`PSNR_CAP`."""
    from skimage.metrics import peak_signal_noise_ratio

    if np.array_equal(true, gen):
        return PSNR_CAP
    return float(min(PSNR_CAP, peak_signal_noise_ratio(true, gen, data_range=255)))


def luma(video: np.ndarray) -> np.ndarray:
    """BT.601 luma ``(..., H, W)`` float32 in [0, 255]."""
    w = np.array([0.299, 0.587, 0.114], np.float32)
    return video.astype(np.float32) @ w


def ssim(true: np.ndarray, gen: np.ndarray) -> float:
    """Mean per-frame SSIM on luma, from scikit-image."""
    from skimage.metrics import structural_similarity

    yt, yg = luma(true), luma(gen)
    return float(np.mean([structural_similarity(a, b, data_range=255.0) for a, b in zip(yt, yg)]))


def color_masks(video: np.ndarray, hues: list[float] | tuple[float, ...]) -> np.ndarray:
    """Per-object colour masks ``(T, n, H, W)`` bool by hue (see module doc)."""
    masks = hue_masks(video, hues, HUE_TOLERANCE, MIN_SATURATION, MIN_VALUE)
    return np.moveaxis(masks, 0, 1)


def centroids(masks: np.ndarray) -> np.ndarray:
    """Centroids ``(..., 2)`` as (x, y) pixels of masks ``(..., H, W)``; NaN where empty."""
    h, w = masks.shape[-2:]
    m = masks.reshape(-1, h, w).astype(np.float32)
    n = m.sum(axis=(1, 2))
    ys = m.sum(axis=2) @ np.arange(h, dtype=np.float32)
    xs = m.sum(axis=1) @ np.arange(w, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.stack([xs / n, ys / n], axis=-1)
    c[n == 0] = np.nan
    return c.reshape(*masks.shape[:-2], 2)


def trajectory_error(true_c: np.ndarray, gen_c: np.ndarray, diagonal: float) -> float:
    """Mean centroid distance (pixels) of ``(T, n, 2)`` trajectories (NaN = not visible).

    Args:
        true_c: True centroids.
        gen_c: Generated centroids.
        diagonal: Penalty when an object is visible in only one video (the image diagonal).
    """
    vt = ~np.isnan(true_c[..., 0])
    vg = ~np.isnan(gen_c[..., 0])
    d = np.linalg.norm(np.nan_to_num(true_c) - np.nan_to_num(gen_c), axis=-1)
    d = np.where(vt & vg, d, diagonal)
    counted = vt | vg
    return float(d[counted].mean()) if counted.any() else 0.0


def label_centroids(labels: np.ndarray, n_objects: int) -> np.ndarray:
    """Centroids ``(T, n, 2)`` from a segmentation label map ``(T, H, W)`` (label = 1 + i)."""
    masks = labels[:, None] == np.arange(1, n_objects + 1, dtype=labels.dtype)[None, :, None, None]
    return centroids(masks)
