"""The colours the simulator paints objects with, and the one RGB -> hue formula.

Each scene family has its own palette because each was tuned for its own scorer: physqa names
colours in questions, compositional T2I needs hues a classical segmenter separates, and the
physics scenarios need hues far enough apart to track objects by colour alone. Changing a value
here changes rendered pixels, so it changes the task versions of the family that uses it.

:func:`hue_degrees` is the only RGB -> hue implementation in the package: the scorers'
colour helper (:mod:`cosmos3_eval.scorers.colour`) builds on it, so the nominal hue of a
palette colour and the hue measured on a pixel come from the same formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

QA_COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.90, 0.10, 0.10),
    "orange": (1.00, 0.55, 0.05),
    "yellow": (0.95, 0.90, 0.10),
    "green": (0.10, 0.70, 0.20),
    "cyan": (0.10, 0.80, 0.85),
    "blue": (0.15, 0.30, 0.95),
    "purple": (0.55, 0.20, 0.85),
    "pink": (1.00, 0.50, 0.80),
}
"""physqa object colours, far apart in hue (or, for red / pink, in lightness)."""

T2I_PALETTE: dict[str, tuple[float, float, float]] = {
    "red": (0.85, 0.10, 0.10),
    "yellow": (0.85, 0.75, 0.08),
    "green": (0.15, 0.70, 0.15),
    "cyan": (0.10, 0.70, 0.75),
    "blue": (0.15, 0.25, 0.85),
    "purple": (0.60, 0.15, 0.80),
}
"""Compositional T2I colours (linear RGB of the materials); hues 45-70 degrees apart."""

T2I_OFF_PALETTE: dict[str, tuple[float, float, float]] = {
    "black": (0.03, 0.03, 0.03),
    "white": (1.00, 1.00, 1.00),
    "pink": (1.00, 0.55, 0.75),
    "brown": (0.45, 0.25, 0.10),
    "dark grey": (0.30, 0.30, 0.30),
    "orange": (0.95, 0.45, 0.05),
}
"""Colours no compose-t2i prompt names: the scorer validation's distractor objects."""

PHYSICS_PALETTE: dict[str, tuple[float, float, float]] = {
    "red": (0.90, 0.12, 0.10),
    "green": (0.12, 0.78, 0.15),
    "blue": (0.10, 0.20, 0.95),
    "yellow": (0.95, 0.85, 0.10),
    "magenta": (0.88, 0.12, 0.88),
    "cyan": (0.10, 0.85, 0.80),
}
"""Physics-scenario colours: saturated, hues at least 50 degrees apart (see :func:`hue_of`)."""


def hue_degrees(r: Any, g: Any, b: Any) -> Any:
    """Hue in degrees [0, 360) of RGB channels (arrays or scalars, any common scale).

    The arithmetic runs in the inputs' dtype (float32 pixels stay float32), so callers get
    bit-identical results to what they computed before this helper existed. Grey (max == min)
    has hue 0.

    Args:
        r: Red channel.
        g: Green channel.
        b: Blue channel, all on the same scale (e.g. 0-1 or 0-255).
    """
    mx = np.maximum(np.maximum(r, g), b)
    d = mx - np.minimum(np.minimum(r, g), b)
    safe = np.where(d > 0, d, 1.0)
    h = np.where(
        mx == r, ((g - b) / safe) % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4)
    )
    return np.where(d > 0, h * 60.0, 0.0)


def hue_of(rgb: tuple[float, float, float]) -> float:
    """Hue in degrees [0, 360) of one RGB colour in [0, 1] (computed in float64)."""
    r, g, b = (np.float64(c) for c in rgb)
    return float(hue_degrees(r, g, b)) % 360.0
