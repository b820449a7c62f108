"""Scores and metric definitions.

A benchmark scores each sample into named :class:`Score` values; its :class:`MetricSpec` list
says how each named score aggregates over samples (mean with which CI, direction, what an
errored sample counts as). Corpus-level metrics (e.g. FID) implement :class:`CorpusScorer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Score:
    """One per-sample score.

    Attributes:
        value: The number (1.0 / 0.0 for correct / wrong).
        reason: Why, in words, e.g. ``"found 1 red cube, expected 2"``.
    """

    value: float
    reason: str = ""


@dataclass(frozen=True)
class MetricSpec:
    """How one per-sample score aggregates into a metric.

    Attributes:
        name: Score / metric name, e.g. ``"accuracy"``.
        higher_is_better: Direction.
        ci: ``"bootstrap"`` (seeded percentile bootstrap of the mean), ``"wilson"`` (binary
            rates) or ``"normal"`` (mean +- 1.96 stderr).
        on_error: Value an errored sample counts as (``0.0`` for accuracy / success); ``None``
            leaves errored samples out of this metric.
        breakdown: Also report ``name/category`` per sample category.
        description: One line for reports.
    """

    name: str
    higher_is_better: bool = True
    ci: Literal["bootstrap", "wilson", "normal"] = "bootstrap"
    on_error: float | None = 0.0
    breakdown: bool = True
    description: str = ""


@dataclass(frozen=True)
class MetricValue:
    """An aggregated metric as written to ``metrics.json``."""

    value: float | None
    stderr: float | None
    ci95: tuple[float, float] | None
    n: int
    higher_is_better: bool = True

    def to_json(self) -> dict[str, Any]:
        """The ``metrics.json`` shape: value, stderr, ci95, n, higher_is_better."""
        return {
            "value": self.value,
            "stderr": self.stderr,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "n": self.n,
            "higher_is_better": self.higher_is_better,
        }


class CorpusScorer(Protocol):
    """A metric over the whole set of outputs (e.g. FID), computed after all samples."""

    name: str

    def __call__(self, records: Iterable[dict[str, Any]]) -> MetricValue | None: ...
