"""A classical (no learned weights) scorer for compositional text-to-image.

Pipeline, per image:

1. :func:`prepare_image`: centre-crop to the benchmark's aspect ratio and resize (bilinear,
   anti-aliased) to the benchmark resolution, so any output size is scored the same way;
2. segment by colour: pixels that are saturated and not too dark get the nearest palette hue
   (HSV, within a tolerance); the plain background is unsaturated and drops out;
3. connected components per colour; components smaller than a fraction of the image are noise;
4. classify each component's shape from rotation-invariant geometric features: *roundness*
   (area over the area of the circumscribed circle about the centroid: disc 1, square 0.64,
   triangle 0.41), *elongation* (sqrt of the ratio of the second-moment eigenvalues: the lying
   cylinder's 2:1 bar) and *solidity* (area over convex-hull area: irregular blobs and merged
   objects are "unknown");
5. check the detected scene against the spec: per group the number of objects with that
   shape (and colour, when the prompt gives one), no extra objects, and the relation between
   group centroids in image coordinates.

Every verdict carries a reason, e.g. ``"found 1 red cube, expected 2"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers.colour import nearest_hue_labels
from cosmos3_eval.scorers.t2i_segment import ForegroundSettings, foreground_pass
from cosmos3_eval.sim.scenes.palette import T2I_PALETTE
from cosmos3_eval.sim.scenes.t2i import (
    Group,
    SceneSpec,
)

HUES: dict[str, float] = {
    "red": 0.0,
    "yellow": 52.0,
    "green": 120.0,
    "cyan": 184.0,
    "blue": 230.0,
    "purple": 280.0,
}
"""Hue (degrees) of each palette colour as rendered; segmentation assigns the nearest."""

OTHER_COLOUR = "other"
"""Colour name of a v2 object whose pixels are not one palette hue (black, white, pink...)."""

_HUE_NAMES = tuple(HUES)
_HUE_CENTRES = tuple(HUES[n] for n in _HUE_NAMES)
assert set(HUES) == set(T2I_PALETTE)
_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)  # 4-connectivity


@dataclass(frozen=True)
class ScorerSettings:
    """Thresholds of the scorer (part of the task version: changing one can move scores).

    Attributes:
        min_saturation: HSV saturation above which a pixel can belong to an object.
        min_value: HSV value above which a pixel can belong to an object (hue of very dark
            pixels is unreliable).
        hue_tolerance: Max distance (degrees) to the nearest palette hue.
        min_area: Smallest object, as a fraction of the image area.
        min_solidity: Below this a component is an irregular blob ("unknown").
        cylinder_elongation: At or above this elongation a component is a cylinder (a bar).
        sphere_roundness: At or above this roundness a compact component is a sphere.
        cube_roundness: At or above this (and below sphere) a compact component is a cube;
            below it a pyramid (triangle).
        relation_margin: Min centroid offset along the relation axis (fraction of image size).
    """

    min_saturation: float = 0.35
    min_value: float = 0.12
    hue_tolerance: float = 28.0
    min_area: float = 0.0015
    min_solidity: float = 0.80
    cylinder_elongation: float = 1.6
    sphere_roundness: float = 0.77
    cube_roundness: float = 0.515
    relation_margin: float = 0.03


@dataclass(frozen=True)
class DetectedObject:
    """One object found in an image.

    Attributes:
        colour: Palette colour name, or :data:`OTHER_COLOUR` (v2 only).
        shape: ``cube`` / ``sphere`` / ``cylinder`` / ``pyramid`` / ``unknown``.
        x: Centroid column as a fraction of the width (0 = left).
        y: Centroid row as a fraction of the height (0 = top).
        area: Area as a fraction of the image.
        roundness: Area / area of the circumscribed circle about the centroid.
        elongation: sqrt(major / minor second moment).
        solidity: Area / convex hull area.
    """

    colour: str
    shape: str
    x: float
    y: float
    area: float
    roundness: float
    elongation: float
    solidity: float

    def label(self) -> str:
        """``"red cube"``."""
        return f"{self.colour} {self.shape}"

    def to_json(self) -> dict[str, Any]:
        """Rounded JSON-safe dict for sample records."""
        return {
            "colour": self.colour,
            "shape": self.shape,
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "area": round(self.area, 5),
            "roundness": round(self.roundness, 3),
            "elongation": round(self.elongation, 3),
            "solidity": round(self.solidity, 3),
        }


@dataclass(frozen=True)
class Verdict:
    """The result of checking a detected scene against a spec."""

    ok: bool
    reason: str
    detected: tuple[DetectedObject, ...]


def prepare_image(image: Any, width: int, height: int) -> np.ndarray:
    """Validate a model image and bring it to ``(height, width, 3)`` uint8.

    The image is centre-cropped to the target aspect ratio (so shapes are not squashed), then
    resized with anti-aliased bilinear interpolation. Grey (H, W) / (H, W, 1) and RGBA images
    are accepted (alpha is dropped).

    Raises:
        ModelOutputError: Not a uint8 array of shape (H, W), (H, W, 1|3|4), or empty.
    """
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ModelOutputError(f"image must be uint8, got {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4) or img.shape[0] < 8 or img.shape[1] < 8:
        raise ModelOutputError(f"image must be (H>=8, W>=8, 3) uint8, got shape {img.shape}")
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    img = img[:, :, :3]
    h, w = img.shape[:2]
    if (h, w) == (height, width):
        return np.ascontiguousarray(img)
    target = width / height
    if w / h > target:  # too wide: crop columns
        cw = max(1, round(h * target))
        x0 = (w - cw) // 2
        img = img[:, x0 : x0 + cw]
    elif w / h < target:
        ch = max(1, round(w / target))
        y0 = (h - ch) // 2
        img = img[y0 : y0 + ch]
    from PIL import Image as PILImage

    pil = PILImage.fromarray(np.ascontiguousarray(img))
    return np.asarray(pil.resize((width, height), PILImage.Resampling.BILINEAR))


def colour_labels(image: np.ndarray, settings: ScorerSettings) -> np.ndarray:
    """Per-pixel palette index (``-1`` = background / unsure) of an (H, W, 3) uint8 image."""
    return nearest_hue_labels(
        image,
        _HUE_CENTRES,
        settings.hue_tolerance,
        settings.min_saturation,
        settings.min_value,
    )


def _shape_features(mask: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """(area, cy, cx, roundness, elongation, solidity) of one filled component crop."""
    from scipy.spatial import ConvexHull, QhullError

    ys, xs = np.nonzero(mask)
    area = float(ys.size)
    cy, cx = float(ys.mean()), float(xs.mean())
    dy, dx = ys - cy, xs - cx
    # +0.5: pixel centres underestimate the true radius by half a pixel.
    r_max = float(np.sqrt((dy * dy + dx * dx).max())) + 0.5
    roundness = area / (math.pi * r_max * r_max)
    sxx, syy, sxy = float((dx * dx).mean()), float((dy * dy).mean()), float((dx * dy).mean())
    # Eigenvalues of the 2x2 second-moment matrix; + 1/12 is a pixel's own second moment.
    half_tr, det_root = (sxx + syy) / 2 + 1 / 12, math.hypot((sxx - syy) / 2, sxy)
    elongation = math.sqrt((half_tr + det_root) / max(half_tr - det_root, 1e-9))
    # The convex hull only depends on the leftmost and rightmost pixel of each row.
    rows = np.flatnonzero(mask.any(axis=1))
    sub = mask[rows]
    left = sub.argmax(axis=1)
    right = sub.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)
    corners = np.concatenate(
        [
            np.stack([left - 0.5, rows - 0.5], 1),
            np.stack([left - 0.5, rows + 0.5], 1),
            np.stack([right + 0.5, rows - 0.5], 1),
            np.stack([right + 0.5, rows + 0.5], 1),
        ]
    )
    try:
        hull_area = float(ConvexHull(corners).volume)
    except QhullError:  # pragma: no cover - degenerate component
        hull_area = area
    solidity = area / max(hull_area, 1e-9)
    return area, cy, cx, roundness, elongation, solidity


def classify_shape(
    roundness: float, elongation: float, solidity: float, settings: ScorerSettings
) -> str:
    """Shape name from the geometric features (see the module docstring)."""
    if solidity < settings.min_solidity:
        return "unknown"
    if elongation >= settings.cylinder_elongation:
        return "cylinder"
    if roundness >= settings.sphere_roundness:
        return "sphere"
    if roundness >= settings.cube_roundness:
        return "cube"
    return "pyramid"


@dataclass(frozen=True)
class Detection:
    """What :meth:`T2IScorer.analyse` found.

    Attributes:
        objects: Detected objects, left to right.
        problem: Why the image cannot be read (v2: textured background, touching objects), or
            ``None``.
    """

    objects: tuple[DetectedObject, ...]
    problem: str | None = None


class T2IScorer:
    """Detects simple objects and checks them against a :class:`SceneSpec`.

    v1 (``foreground=None``) sees only palette-coloured pixels. v2 (``foreground`` given) also
    segments everything that differs from a plain background (:mod:`.t2i_segment`): objects of
    other colours are detected (colour ``"other"``), touching objects and textured backgrounds
    fail.

    Args:
        width: Benchmark image width (images are resized to it before scoring).
        height: Benchmark image height.
        settings: Thresholds of the palette pass.
        foreground: Thresholds of the v2 foreground pass, or ``None`` for v1.
    """

    def __init__(
        self,
        width: int = 256,
        height: int = 256,
        settings: ScorerSettings | None = None,
        foreground: ForegroundSettings | None = None,
    ):
        self.width, self.height = width, height
        self.settings = settings or ScorerSettings()
        self.foreground = foreground

    def detect(self, image: Any) -> tuple[DetectedObject, ...]:
        """The objects in an image (any size; resized first), sorted left to right.

        Raises:
            ModelOutputError: The image is not a valid uint8 image.
        """
        return self.analyse(image).objects

    def analyse(self, image: Any) -> Detection:
        """The objects in an image and, with the v2 foreground pass, why it is unreadable.

        Raises:
            ModelOutputError: The image is not a valid uint8 image.
        """
        img = prepare_image(image, self.width, self.height)
        labels = colour_labels(img, self.settings)
        found, masks = self._palette_objects(labels)
        problem = None
        if self.foreground is not None:
            fg = foreground_pass(img, labels, masks, self.foreground)
            problem = fg.problem
            for mask, hue in fg.others:
                name = _HUE_NAMES[hue] if hue >= 0 else OTHER_COLOUR
                rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
                sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
                found.append(self._object(mask[sl], name, sl))
        found.sort(key=lambda o: (o.x, o.y))
        return Detection(tuple(found), problem)

    def _palette_objects(self, labels: np.ndarray) -> tuple[list[DetectedObject], list[np.ndarray]]:
        """Components of each palette hue above the area filter, with full-image masks."""
        from scipy import ndimage

        s = self.settings
        min_px = s.min_area * self.width * self.height
        counts = np.bincount(labels.ravel().astype(np.int16) + 1, minlength=len(HUES) + 1)
        found: list[DetectedObject] = []
        masks: list[np.ndarray] = []
        for ci in np.nonzero(counts[1:] >= min_px)[0]:
            comp, n = ndimage.label(labels == ci, structure=_CROSS)
            if n == 0:
                continue
            sizes = np.bincount(comp.ravel(), minlength=n + 1)
            keep = np.nonzero(sizes >= min_px)[0]
            keep = keep[keep > 0]
            slices = ndimage.find_objects(comp)
            for k in keep:
                sl = slices[k - 1]
                found.append(self._object(comp[sl] == k, _HUE_NAMES[int(ci)], sl))
                if self.foreground is not None:
                    masks.append(comp == k)
        return found, masks

    def _object(self, crop: np.ndarray, colour: str, sl: tuple[slice, slice]) -> DetectedObject:
        from scipy import ndimage

        crop = ndimage.binary_fill_holes(crop, structure=_CROSS)
        area, cy, cx, rnd, elong, sol = _shape_features(crop)
        return DetectedObject(
            colour=colour,
            shape=classify_shape(rnd, elong, sol, self.settings),
            x=(cx + (sl[1].start or 0) + 0.5) / self.width,
            y=(cy + (sl[0].start or 0) + 0.5) / self.height,
            area=area / float(self.width * self.height),
            roundness=rnd,
            elongation=elong,
            solidity=sol,
        )

    def check(self, detected: tuple[DetectedObject, ...], spec: SceneSpec) -> Verdict:
        """Compare detected objects with what the spec's prompt asks for."""
        matched: list[list[DetectedObject]] = []
        for g in spec.groups:
            mine = [o for o in detected if _matches(o, g)]
            if len(mine) != g.count:
                what = f"{g.colour} {g.shape}" if g.colour else g.shape
                reason = f"found {len(mine)} {_plural(what, len(mine))}, expected {g.count}"
                return Verdict(False, reason + _listing(detected), detected)
            matched.append(mine)
        expected = sum(g.count for g in spec.groups)
        if len(detected) != expected:
            reason = f"found {len(detected)} objects, expected {expected}"
            return Verdict(False, reason + _listing(detected), detected)
        summary = ", ".join(
            f"{g.count} {_plural(f'{g.colour} {g.shape}' if g.colour else g.shape, g.count)}"
            for g in spec.groups
        )
        if spec.relation is not None:
            r = spec.relation
            subj, ref = matched[r.subject], matched[r.reference]
            dx = float(np.mean([o.x for o in subj]) - np.mean([o.x for o in ref]))
            dy = float(np.mean([o.y for o in ref]) - np.mean([o.y for o in subj]))  # up = +
            actual = _relation_of(dx, dy, self.settings.relation_margin)
            noun_s, noun_r = spec.groups[r.subject].noun(), spec.groups[r.reference].noun()
            if actual != r.relation:
                where = actual or "not clearly beside"
                reason = (
                    f"{noun_s} is {where} {noun_r} (dx={dx:+.2f}, dy={dy:+.2f}), "
                    f"expected {r.relation}"
                )
                return Verdict(False, reason, detected)
            verb = "are" if spec.groups[r.subject].count != 1 else "is"
            summary += f"; {noun_s} {verb} {r.relation} {noun_r}"
        return Verdict(True, f"ok: found {summary}", detected)

    def score(self, image: Any, spec: SceneSpec) -> Verdict:
        """Detect and check in one call (an unreadable image fails with the reason why)."""
        found = self.analyse(image)
        if found.problem is not None:
            return Verdict(False, found.problem + _listing(found.objects), found.objects)
        return self.check(found.objects, spec)


def _matches(o: DetectedObject, g: Group) -> bool:
    return o.shape == g.shape and (g.colour is None or o.colour == g.colour)


def _plural(what: str, n: int) -> str:
    return what if n == 1 else what + "s"


def _listing(detected: tuple[DetectedObject, ...]) -> str:
    if not detected:
        return " (no objects detected)"
    shown = ", ".join(o.label() for o in detected[:8])
    return f" (detected: {shown}{', ...' if len(detected) > 8 else ''})"


def _relation_of(dx: float, dy: float, margin: float) -> str | None:
    """The dominant-axis relation of an offset (x right, y up), or None if too small."""
    if max(abs(dx), abs(dy)) < margin:
        return None
    if abs(dx) >= abs(dy):
        return "right of" if dx > 0 else "left of"
    return "above" if dy > 0 else "below"
