"""``run --until ci-width=W``: stop a task once its main metric's anytime-valid CI is narrow.

The runner feeds every record (resumed ones first) to :class:`CiWidthRule` and checks it after
each block of new records; the interval is :func:`~cosmos3_eval.scorers.sequential.
confidence_sequence` over the main-metric values in index order, which stays valid however the
stopping time was chosen (a fixed-n CI after data-dependent stopping would not be). The
``--limit`` still caps the run. Design and coverage figures: ``docs/adaptive.md``.
"""

from __future__ import annotations

from typing import Any

from cosmos3_eval.errors import UserError
from cosmos3_eval.scorers.sequential import ci_width_reached, confidence_sequence


def parse_until(text: str) -> float:
    """The width of ``ci-width=W`` (0 < W < 1).

    Raises:
        UserError: Another rule or a bad width.
    """
    key, _, value = text.partition("=")
    try:
        width = float(value)
    except ValueError:
        width = -1.0
    if key.strip() != "ci-width" or not 0.0 < width < 1.0:
        raise UserError(f"--until must be ci-width=W with 0 < W < 1, got {text!r}")
    return width


class CiWidthRule:
    """Stop once the confidence sequence of the main metric is narrower than ``width``.

    Args:
        width: Target full width of the interval.
        metric: The main metric (a per-sample score in [0, 1]).
        on_error: Value of an errored sample (``None``: errored samples are left out).
        alpha: Miscoverage.
    """

    def __init__(self, width: float, metric: str, on_error: float | None, alpha: float = 0.05):
        self.width, self.metric, self.on_error, self.alpha = width, metric, on_error, alpha
        self.values: dict[int, float] = {}

    def add(self, rec: dict[str, Any]) -> None:
        """Take one record's main-metric value."""
        value = (rec.get("scores") or {}).get(self.metric)
        if rec.get("error") is not None or value is None:
            value = self.on_error
        if value is None:
            return
        if not 0.0 <= float(value) <= 1.0:
            raise UserError(
                f"--until ci-width needs a main metric in [0, 1]; {self.metric} = {value}"
            )
        self.values[int(rec["index"])] = float(value)

    def _ordered(self) -> list[float]:
        return [self.values[i] for i in sorted(self.values)]  # deterministic: index order

    def reached(self) -> bool:
        """Whether the interval is narrower than the target now."""
        return bool(self.values) and ci_width_reached(self._ordered(), self.width, self.alpha)

    def section(self, stopped: bool) -> dict[str, Any]:
        """The ``stopping`` section of metrics.json and the manifest."""
        cs = confidence_sequence(self._ordered(), self.alpha)
        return {
            "rule": f"ci-width={self.width:g}",
            "metric": self.metric,
            "stopped_early": stopped,
            "n": cs.n,
            "confidence_sequence": [cs.lower, cs.upper],
            "alpha": self.alpha,
            "note": "the main metric's ci95 is this anytime-valid confidence sequence",
        }
