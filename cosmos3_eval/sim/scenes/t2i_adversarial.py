"""Adversarial and style-variant images for validating the compose-t2i scorer.

Two families, both derived from a true :class:`~.t2i.SceneSpec` and its seed:

* style variants (:data:`STYLES`) show the prompt correctly but do not look like our MuJoCo
  renders: flat 2-D drawings, anti-aliased drawings, hue-shifted, JPEG-compressed and resized
  renders. A scorer must accept them (a generative model will not reproduce our renderer);
* adversarial cases (:data:`ADVERSARIAL`) must be rejected: an extra object in a colour no
  prompt names, a per-pixel noise background, two objects heavily overlapping, an extra tiny
  object, a missing object, a relation turned by 90 degrees.
"""

from __future__ import annotations

import io
import math
from dataclasses import replace
from typing import Any

import numpy as np

from cosmos3_eval.sim.scenes.palette import T2I_OFF_PALETTE
from cosmos3_eval.sim.scenes.t2i import (
    _FOOTPRINT,
    BACKGROUNDS,
    PALETTE,
    SHAPES,
    SIZES,
    ObjectSpec,
    SceneSpec,
    _free_point,
)

STYLES: tuple[str, ...] = ("flat", "antialiased", "hue_shifted", "jpeg", "resized")
"""Style variants that a scorer must accept."""

ADVERSARIAL: tuple[str, ...] = (
    "extra_other_colour",
    "noise_background",
    "heavy_overlap",
    "tiny_object",
    "missing_object",
    "wrong_relation",
)
"""Adversarial cases that a scorer must reject."""

OFF_PALETTE = tuple(T2I_OFF_PALETTE)
NOISE_AMPLITUDES = (24, 48, 96, 255)
"""Per-channel amplitude of the background noise (255 = uniform over 0-255)."""

_SHADE = 0.85  # flat drawings: the lit brightness of a top face
_HALF_VIEW = 1.10 * math.tan(math.radians(22.5))  # metres from centre to edge, camera 0


def adversarial_spec(spec: SceneSpec, kind: str, seed: int) -> SceneSpec | None:
    """The spec-level adversarial layout of ``kind`` (``None`` if it does not apply).

    Image-level kinds (``noise_background``, ``tiny_object``) return the spec unchanged; apply
    :func:`adversarial_image` to its render.
    """
    rng = np.random.default_rng([seed, ADVERSARIAL.index(kind), 11])
    objs = list(spec.objects)
    if kind in ("noise_background", "tiny_object"):
        return spec
    if kind == "extra_other_colour":
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        placed = [(o.x, o.y, _FOOTPRINT[o.shape]) for o in objs]
        x, y = _free_point(rng, placed, _FOOTPRINT[shape])
        colour = OFF_PALETTE[seed % len(OFF_PALETTE)]
        objs.append(ObjectSpec(shape, colour, x, y, float(rng.uniform(0, 2 * math.pi)), 0))
    elif kind == "heavy_overlap":
        if len(objs) < 2:
            return None
        i, j = (int(k) for k in rng.choice(len(objs), 2, replace=False))
        scale = SIZES[spec.view.size]
        d = 0.3 * scale * (_FOOTPRINT[objs[i].shape] + _FOOTPRINT[objs[j].shape])
        a = float(rng.uniform(0, 2 * math.pi))
        objs[j] = replace(objs[j], x=objs[i].x + d * math.cos(a), y=objs[i].y + d * math.sin(a))
    elif kind == "missing_object":
        objs.pop(int(rng.integers(len(objs))))
    elif kind == "wrong_relation":
        if spec.relation is None:
            return None
        # A quarter turn about the layout centre makes the relation perpendicular to the prompt.
        cx, cy = np.mean([o.x for o in objs]), np.mean([o.y for o in objs])
        s = 1.0 if rng.random() < 0.5 else -1.0
        objs = [
            replace(o, x=float(cx - s * (o.y - cy)), y=float(cy + s * (o.x - cx))) for o in objs
        ]
    else:
        raise ValueError(f"unknown adversarial kind '{kind}'; known: {', '.join(ADVERSARIAL)}")
    return replace(spec, objects=tuple(objs))


def adversarial_image(image: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """Apply an image-level adversarial kind to a true render (others pass through)."""
    rng = np.random.default_rng([seed, ADVERSARIAL.index(kind), 13])
    if kind == "noise_background":
        bg = image[0, 0]
        floor = (image == bg).all(axis=2)
        amp = NOISE_AMPLITUDES[seed % len(NOISE_AMPLITUDES)]
        if amp >= 255:
            noise = rng.integers(0, 256, image.shape)
        else:
            noise = image.astype(np.int16) + rng.integers(-amp, amp + 1, image.shape)
        out = image.copy()
        out[floor] = np.clip(noise, 0, 255).astype(np.uint8)[floor]
        return out
    if kind == "tiny_object":
        return _add_tiny_object(image, rng, seed)
    return image


def _add_tiny_object(image: np.ndarray, rng: np.random.Generator, seed: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    h, w = image.shape[:2]
    bg = image[0, 0]
    plain = (image == bg).all(axis=2)
    colours = [*PALETTE.values(), *T2I_OFF_PALETTE.values()]
    rgb = tuple(int(255 * _SHADE * c) for c in colours[seed % len(colours)])
    for _ in range(500):
        cx, cy = (int(v) for v in rng.integers(16, (w - 16, h - 16)))
        if plain[cy - 12 : cy + 13, cx - 12 : cx + 13].all():
            break
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    r = 4.5
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    if shape == "sphere":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rgb)
    elif shape == "pyramid":
        draw.regular_polygon((cx, cy, r + 1.5), 3, fill=rgb)
    else:
        draw.rectangle((cx - r, cy - r, cx + r - 1, cy + r - 1), fill=rgb)
    return np.asarray(pil)


def draw_flat(spec: SceneSpec, width: int, height: int, supersample: int = 1) -> np.ndarray:
    """A flat 2-D drawing of the spec seen from camera 0 (no shading, no perspective).

    Args:
        spec: The scene (its view's size and background are used).
        width: Image width.
        height: Image height.
        supersample: Draw at this factor and box-downsample (``>1`` = anti-aliased edges).
    """
    from PIL import Image, ImageDraw

    k = max(1, supersample)
    w, h = width * k, height * k
    ppm = (h / 2) / _HALF_VIEW
    scale = SIZES[spec.view.size]
    grey = int(255 * _SHADE * BACKGROUNDS[spec.view.background])
    pil = Image.new("RGB", (w, h), (grey,) * 3)
    draw = ImageDraw.Draw(pil)
    for o in spec.objects:
        rgb = tuple(int(255 * _SHADE * c) for c in PALETTE[o.colour])
        px, py = w / 2 + o.x * ppm, h / 2 - o.y * ppm
        if o.shape == "sphere":
            r = 0.055 * scale * ppm
            draw.ellipse((px - r, py - r, px + r, py + r), fill=rgb)
            continue
        if o.shape == "pyramid":
            corners = [(0.075 * scale, a) for a in (0.0, 2.094395, 4.18879)]
            pts = [(r * math.cos(a), r * math.sin(a)) for r, a in corners]
        else:
            hx, hy = (0.05, 0.05) if o.shape == "cube" else (0.08, 0.04)
            pts = [
                (sx * hx * scale, sy * hy * scale)
                for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
            ]
        c, s = math.cos(o.yaw), math.sin(o.yaw)
        poly = [(px + (c * x - s * y) * ppm, py - (s * x + c * y) * ppm) for x, y in pts]
        draw.polygon(poly, fill=rgb)
    if k > 1:
        pil = pil.resize((width, height), Image.Resampling.BOX)
    return np.asarray(pil)


def style_variant(spec: SceneSpec, style: str, render: Any, seed: int) -> np.ndarray:
    """The spec drawn in ``style``; ``render(spec)`` gives its MuJoCo render when needed.

    Raises:
        ValueError: Unknown style.
    """
    from PIL import Image

    if style == "flat":
        return draw_flat(replace(spec, view=replace(spec.view, camera=0)), 256, 256)
    if style == "antialiased":
        return draw_flat(replace(spec, view=replace(spec.view, camera=0)), 256, 256, 4)
    if style not in STYLES:
        raise ValueError(f"unknown style '{style}'; known: {', '.join(STYLES)}")
    img = np.asarray(render(spec))
    pil = Image.fromarray(img)
    if style == "hue_shifted":
        hsv = np.asarray(pil.convert("HSV")).copy()
        shift = 9 if seed % 2 else -9  # 9/256 of a turn = 12.7 degrees
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
        return np.asarray(Image.fromarray(hsv, "HSV").convert("RGB"))
    if style == "jpeg":
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=70 + 10 * (seed % 3))
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    size = (384, 384) if seed % 2 else (200, 200)
    return np.asarray(pil.resize(size, Image.Resampling.BILINEAR))
