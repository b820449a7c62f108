"""Matplotlib figures of the report: per-family bar charts and checkpoint-sweep curves.

matplotlib is imported lazily with the Agg backend (no display, no GUI toolkit), so the
package stays light and the report renders on a headless CI machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosmos3_eval.report.colours import PALETTE
from cosmos3_eval.report.sweep import Sweep


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _style(ax: Any) -> None:
    """A light, uncluttered axes: no top / right spines, a faint grid behind the data."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9aa3ad")
    ax.tick_params(colors="#3b4450", labelsize=8)
    ax.set_axisbelow(True)


def plain(text: str) -> str:
    """Text for a matplotlib label: ``$`` would otherwise start mathtext (and may fail)."""
    return str(text).replace("$", r"\$")


def legend_label(text: str) -> str:
    """A legend entry: matplotlib drops labels that start with ``_``, so guard them."""
    text = plain(text)
    return "\u00a0" + text if text.startswith("_") else text


@dataclass(frozen=True)
class Bar:
    """One bar: a model's main metric on a task, with its 95 % CI (already scaled).

    Attributes:
        model: Legend label.
        value: Bar height.
        ci95: (low, high), or ``None``.
        colour: The model's colour from the report's colour map (palette order if ``None``).
    """

    model: str
    value: float
    ci95: tuple[float, float] | None
    colour: str | None = None


def bar_chart(
    groups: dict[str, list[Bar]], title: str, ylabel: str, path: Path
) -> Path:  # fmt: skip
    """Grouped bars (one group per task, one bar per model) with 95 % CI error bars.

    Args:
        groups: Group label (task display name) -> bars.
        title: Figure title.
        ylabel: Y-axis label.
        path: PNG to write.

    Returns:
        ``path``.
    """
    plt = _pyplot()
    models = sorted({b.model for bars in groups.values() for b in bars})
    colour_of = {b.model: b.colour for bars in groups.values() for b in bars if b.colour}
    width = 0.8 / max(1, len(models))
    # A fixed size: the site lays charts out in a grid, so every card has the same shape.
    fig, ax = plt.subplots(figsize=(max(5.6, 1.6 + 0.25 * len(groups) * len(models)), 3.0))
    for j, model in enumerate(models):
        xs, ys, lo, hi = [], [], [], []
        for i, bars in enumerate(groups.values()):
            for b in bars:
                if b.model != model:
                    continue
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(b.value)
                ci = b.ci95 or (b.value, b.value)
                # Error bars are distances from the bar top; a CI never excludes its estimate,
                # but clamp so a rounding quirk cannot make matplotlib reject a negative length.
                lo.append(max(0.0, b.value - ci[0]))
                hi.append(max(0.0, ci[1] - b.value))
        colour = colour_of.get(model) or PALETTE[j % len(PALETTE)]
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=legend_label(model), color=colour,
               error_kw={"elinewidth": 1, "ecolor": "#2b2f36"})  # fmt: skip
    _style(ax)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([plain(g) for g in groups], fontsize=9)
    ax.set_ylabel(plain(ylabel), fontsize=8, color="#3b4450")
    ax.set_title(plain(title), fontsize=10, loc="left", color="#1c2128")
    ax.grid(axis="y", color="#e3e7ec")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sweep_chart(
    sweeps: list[Sweep],
    title: str,
    scale: float,
    path: Path,
    colours: dict[str, str] | None = None,
) -> Path:
    """Main metric against training step, one line per series, with 95 % CI bands.

    Args:
        sweeps: The sweeps of one task.
        title: Figure title.
        scale: Display scale of the metric (e.g. 100 for percent).
        path: PNG to write.
        colours: Series -> colour from the report's colour map (palette order if absent).

    Returns:
        ``path``.
    """
    plt = _pyplot()
    colours = colours or {}
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    for j, sw in enumerate(sweeps):
        steps = [p.step for p in sw.points]
        vals = [p.value * scale for p in sw.points]
        colour = colours.get(sw.series) or PALETTE[j % len(PALETTE)]
        ax.plot(steps, vals, marker="o", color=colour, label=legend_label(sw.series))
        if all(p.ci95 is not None for p in sw.points):
            ax.fill_between(
                steps,
                [p.ci95[0] * scale for p in sw.points],  # type: ignore[index]
                [p.ci95[1] * scale for p in sw.points],  # type: ignore[index]
                color=colour,
                alpha=0.2,
                linewidth=0,
            )
    _style(ax)
    ax.set_xlabel("training step", fontsize=8, color="#3b4450")
    ax.set_ylabel(plain(sweeps[0].metric), fontsize=8, color="#3b4450")
    ax.set_title(plain(title), fontsize=10, loc="left", color="#1c2128")
    ax.grid(color="#e3e7ec")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
