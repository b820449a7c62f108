"""The one colour-analysis helper of the scorers: RGB -> HSV, hue distance, hue masks, labels.

Every scorer (and baseline model) that finds objects by colour goes through here, so a
threshold means the same thing everywhere. The RGB -> hue formula itself is
:func:`cosmos3_eval.sim.scenes.palette.hue_degrees`, shared with the simulator's palettes.
Saturation and value tests run in integers on uint8 pixels (exact and cheap); hue is only
computed for the few pixels that pass them, because most of an image is unsaturated background.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from cosmos3_eval.sim.scenes.palette import hue_degrees


def hue_sat_val(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HSV of a uint8 RGB array ``(..., 3)``.

    Returns:
        Hue in degrees [0, 360), saturation and value in [0, 1] (float32, shape ``(...)``).
    """
    v = rgb.astype(np.float32) / 255.0
    mx = v.max(axis=-1)
    mn = v.min(axis=-1)
    d = mx - mn
    h = hue_degrees(v[..., 0], v[..., 1], v[..., 2])
    s = np.where(mx > 0, d / np.where(mx > 0, mx, 1.0), 0.0)
    return h, s, mx


def hue_distance(hue: np.ndarray | float, centre: np.ndarray | float) -> np.ndarray:
    """Angular distance in degrees [0, 180] between hues (broadcasts)."""
    return np.abs((hue - centre + 180.0) % 360.0 - 180.0)


def hue_masks(
    rgb: np.ndarray,
    hues: Sequence[float],
    tolerance: float,
    min_saturation: float,
    min_value: float,
) -> np.ndarray:
    """Per-hue masks of a uint8 RGB array ``(..., 3)``: shape ``(n_hues, ...)`` bool.

    A pixel belongs to hue ``h`` when its saturation is at least ``min_saturation``, its value
    at least ``min_value`` and its hue within ``tolerance`` degrees of ``h`` (masks can overlap
    when hues are closer than twice the tolerance).
    """
    flat = rgb.reshape(-1, 3)
    mx = flat.max(axis=1)
    d = mx.astype(np.int16) - flat.min(axis=1)
    chroma = (d * 100 >= round(min_saturation * 100) * mx.astype(np.int16)) & (
        mx >= int(np.ceil(min_value * 255))
    )
    idx = np.flatnonzero(chroma & (d > 0))
    h = hue_sat_val(flat[idx])[0]
    out = np.zeros((len(hues), flat.shape[0]), bool)
    for i, hue in enumerate(hues):
        out[i, idx] = hue_distance(h, hue) <= tolerance
    return out.reshape(len(hues), *rgb.shape[:-1])


@functools.lru_cache(maxsize=16)
def _nearest_hue_lut(centres: tuple[float, ...], tolerance: float) -> np.ndarray:
    # Entry k covers hues [k/2, (k+1)/2) degrees; it is evaluated at the bin centre.
    h = (np.arange(720, dtype=np.float32) + 0.5) / 2.0
    dist = hue_distance(h[:, None], np.array(centres, dtype=np.float32)[None, :])
    best = dist.argmin(axis=1)
    ok = dist[np.arange(720), best] <= tolerance
    return np.where(ok, best, -1).astype(np.int8)


def nearest_hue_labels(
    image: np.ndarray,
    centres: Sequence[float],
    tolerance: float,
    min_saturation: float,
    min_value: float,
) -> np.ndarray:
    """Per-pixel index of the nearest hue in ``centres`` (``-1`` = background / unsure).

    Args:
        image: ``(H, W, 3)`` uint8.
        centres: Hue (degrees) of each label.
        tolerance: Max distance (degrees) to the nearest centre.
        min_saturation: Saturation below which a pixel is background.
        min_value: Value below which a pixel is background (dark pixels have unreliable hue).
    """
    r8, g8, b8 = image[:, :, 0], image[:, :, 1], image[:, :, 2]
    # Channel-wise maximum / minimum: much faster than a reduction over the last axis.
    mx = np.maximum(np.maximum(r8, g8), b8)
    delta = mx - np.minimum(np.minimum(r8, g8), b8)
    # Integer saturation test (delta / max >= s) in uint32 so the products cannot overflow.
    sat = np.uint32(round(min_saturation * 1000))
    fg = (mx >= min_value * 255) & (
        delta.astype(np.uint32) * np.uint32(1000) >= sat * mx.astype(np.uint32)
    )
    labels = np.full(image.shape[:2], -1, dtype=np.int8)
    idx = np.flatnonzero(fg)
    if idx.size == 0:
        return labels
    r = r8.ravel()[idx].astype(np.float32)
    g = g8.ravel()[idx].astype(np.float32)
    b = b8.ravel()[idx].astype(np.float32)
    hue = hue_degrees(r, g, b)
    # Nearest centre through a 0.5-degree lookup table (cheaper than a distance per centre).
    lut = _nearest_hue_lut(tuple(float(c) for c in centres), float(tolerance))
    labels.ravel()[idx] = lut[(hue * 2.0).astype(np.int32) % 720]
    return labels
