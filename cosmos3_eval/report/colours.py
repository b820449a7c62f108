"""One colour per model, shared by every chart, legend and swatch of a report.

The map is computed once from the sorted set of model keys, so a model keeps its colour from
the leaderboard swatch to the family bar charts, the sweep curves and the sample rows.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

# Tableau 10 (colour-blind-friendlier than matplotlib's default order), then generated hues.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip


def _extra(i: int) -> str:
    """The ``i``-th colour past the palette: golden-angle hues keep neighbours apart."""
    hue = (0.11 + i * 0.381966) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.55)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def colour_map(keys: Iterable[str]) -> dict[str, str]:
    """Key -> ``#rrggbb``, assigned in sorted key order (same keys, same colours).

    Args:
        keys: Model keys (duplicates are fine).

    Returns:
        A colour per distinct key; the first ten are the palette, then generated hues.
    """
    out: dict[str, str] = {}
    for i, key in enumerate(sorted(set(keys))):
        out[key] = PALETTE[i] if i < len(PALETTE) else _extra(i - len(PALETTE))
    return out
