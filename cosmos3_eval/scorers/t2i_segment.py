"""Foreground segmentation for the compose-t2i scorer v2: every object, whatever its colour.

The v1 scorer only sees pixels near one of the six palette hues, so a black, white or pink
object, or a textured background, is invisible to it. v2 first models the background and
segments everything that differs from it:

1. the background colour is the median of a ring of border pixels (the floor fills the frame
   edge in every view; objects may touch the border but never cover most of it);
2. the background must be *plain*: the border ring must sit close to that colour and the median
   difference between horizontally adjacent pixels of the whole image must be small, otherwise
   the image is rejected ("background is not plain"), because nothing can be counted on a
   textured floor;
3. foreground = pixels whose largest channel difference from the background exceeds a
   contrast threshold (low enough for a white cube on the lightest floor under the dimmest
   light, which differs by ~9 levels);
4. each foreground component is one object: a component holding two palette objects means they
   touch or overlap, a component with no palette object is an extra object of another colour
   ("other"), unless most of its pixels carry one palette hue (a palette object too small for
   the v1 area filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)  # 4-connectivity


@dataclass(frozen=True)
class ForegroundSettings:
    """Thresholds of the v2 foreground pass (part of the task version).

    Attributes:
        border: Width (pixels) of the ring whose median colour is the background.
        min_contrast: Brightness difference (mean of the channels, after the blur) from the
            background above which a pixel is foreground.
        max_border_deviation: Max fraction of border pixels farther than ``min_contrast`` from
            the background colour (objects touching the edge cover much less).
        max_texture: Max median |difference| between horizontal neighbours over the image
            (plain renders, JPEG and resampling give 0; per-pixel noise gives its amplitude).
        blur: Side of the box filter applied to the difference from the background.
        min_colour_contrast: Max channel difference (after the blur) above which a pixel is
            foreground even if its brightness matches the floor (compression shifts colour by
            up to ~10 levels).
        join: Foreground pixels closer than ``2 * join`` (4-connected steps) belong to the
            same component (objects are kept further apart than that in every view).
        min_area: Smallest foreground component that counts as an object (fraction of the
            image); below the v1 palette filter so that tiny extra objects are counted.
        rim: Foreground within this many pixels of a palette object belongs to it (shaded
            sides, anti-aliased edges); a larger piece further out is another object.
    """

    border: int = 3
    min_contrast: int = 6
    max_border_deviation: float = 0.5
    max_texture: float = 2.0
    blur: int = 5
    min_colour_contrast: int = 16
    join: int = 2
    min_area: float = 0.0004
    rim: int = 3


@dataclass
class ForegroundResult:
    """What the foreground pass found.

    Attributes:
        problem: Why the image cannot be read (``None`` if it can).
        others: Masks (full-image bool) of components without a palette object, with the
            palette index holding most of their pixels or ``-1``.
    """

    problem: str | None = None
    others: list[tuple[np.ndarray, int]] = field(default_factory=list)


def background_colour(image: np.ndarray, border: int) -> np.ndarray:
    """Median RGB of the ``border``-pixel ring of an (H, W, 3) uint8 image (int16)."""
    ring = np.concatenate(
        [
            image[:border].reshape(-1, 3),
            image[-border:].reshape(-1, 3),
            image[border:-border, :border].reshape(-1, 3),
            image[border:-border, -border:].reshape(-1, 3),
        ]
    )
    return np.median(ring, axis=0).round().astype(np.int16)


def texture(image: np.ndarray) -> float:
    """Median over the image of the max-channel |difference| between horizontal neighbours."""
    d = np.abs(np.diff(image.astype(np.int16), axis=1)).max(axis=2)
    return float(np.median(d))


def foreground_pass(
    image: np.ndarray,
    labels: np.ndarray,
    palette_masks: list[np.ndarray],
    settings: ForegroundSettings,
) -> ForegroundResult:
    """Segment the foreground of an image and relate it to the palette objects found in it.

    Args:
        image: ``(H, W, 3)`` uint8 at the scoring resolution.
        labels: Per-pixel palette index (``-1`` = none) from the v1 colour labelling.
        palette_masks: Full-image bool mask of each palette object the v1 pass kept.
        settings: Thresholds.

    Returns:
        The problem that makes the image unreadable, or the objects without a palette object.
    """
    from scipy import ndimage

    s = settings
    bg = background_colour(image, s.border)
    diff = np.abs(image.astype(np.int16) - bg).max(axis=2)
    b = s.border
    ring = np.concatenate(
        [diff[:b].ravel(), diff[-b:].ravel(), diff[:, :b].ravel(), diff[:, -b:].ravel()]
    )
    off = float((ring > s.min_contrast).mean())
    if off > s.max_border_deviation:
        return ForegroundResult(
            f"background is not plain ({off:.0%} of the border is not one colour)"
        )
    tex = texture(image)
    if tex > s.max_texture:
        return ForegroundResult(f"background is not plain (texture {tex:.1f} > {s.max_texture})")
    # JPEG ringing oscillates around the floor colour and chroma subsampling shifts whole
    # blocks' colour a little; a box blur of the signed difference cancels the ringing, and
    # colour shifts only count from a higher threshold than brightness differences.
    signed = image.astype(np.float32) - bg
    blur = np.stack([ndimage.uniform_filter(signed[..., c], s.blur) for c in range(3)], axis=2)
    lum = np.abs(blur.mean(axis=2))
    fg = (lum > s.min_contrast) | (np.abs(blur).max(axis=2) > s.min_colour_contrast)
    fg |= labels >= 0
    # Components are found on the mask grown by ``join`` pixels, so that the fragments of a
    # JPEG halo join the object they surround; areas count only true foreground pixels.
    grown = ndimage.binary_dilation(fg, structure=_CROSS, iterations=s.join) if s.join else fg
    comp, n = ndimage.label(grown, structure=_CROSS)
    comp[~fg] = 0
    sizes = np.bincount(comp.ravel(), minlength=n + 1)
    members: dict[int, list[int]] = {}
    for i, mask in enumerate(palette_masks):
        ids = comp[mask]
        members.setdefault(int(np.bincount(ids).argmax()) if ids.size else 0, []).append(i)
    result = ForegroundResult()
    min_px = s.min_area * comp.size
    for cid, idx in members.items():
        if len(idx) > 1:
            result.problem = "objects touch or overlap"
            return result
        # Foreground of the component away from its palette object (beyond its shaded or
        # anti-aliased rim) is another object touching it, e.g. a white block beside a cube or
        # the tip of a pyramid under it: neither can be counted or shaped reliably.
        near = ndimage.binary_dilation(palette_masks[idx[0]], _CROSS, iterations=s.rim)
        rest, k = ndimage.label((comp == cid) & ~near, structure=_CROSS)
        if k and np.bincount(rest.ravel())[1:].max() >= min_px:
            result.problem = "an object touches or overlaps another object"
            return result
    for cid in np.flatnonzero(sizes >= min_px):
        if cid == 0 or cid in members:
            continue
        result.others.append(_other(comp == cid, labels))
    return result


def _other(mask: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """The mask and the palette index of most of its pixels (``-1``: no majority hue)."""
    hues = labels[mask]
    counts = np.bincount(hues[hues >= 0], minlength=1)
    return mask, (int(counts.argmax()) if counts.max() * 2 > hues.size else -1)
