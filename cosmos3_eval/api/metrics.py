"""Scores and metric definitions: what a benchmark declares and what ``metrics.json`` holds.

A benchmark scores each sample into named :class:`Score` values; its :class:`MetricSpec` list
says how each named score aggregates over samples (mean with which CI, direction, what an
errored sample counts as) and whether the metric is per-sample (a mean of per-sample scores)
or corpus-level (a statistic of the whole set, e.g. a mean over strata or FID). The spec is
written into ``metrics.json`` next to each value, so readers (compare, leaderboard, report)
never need the benchmark class. Corpus-level metrics that are not recomputable from
per-sample scores (e.g. FID) implement :class:`CorpusScorer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

MetricLevel = Literal["sample", "corpus"]


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
    """How per-sample scores aggregate into one metric.

    Attributes:
        name: Metric name, e.g. ``"accuracy"``; for a per-sample metric also the score name.
        higher_is_better: Direction.
        ci: ``"bootstrap"`` (seeded percentile bootstrap of the mean; t-interval below 30
            values), ``"wilson"`` (a 0/1 rate such as accuracy or success: the mid-p exact
            binomial interval) or ``"normal"`` (t-interval). Only ``"wilson"`` specs get a
            binomial interval: a continuous metric whose values happen to be 0 / 1 does not.
        on_error: Value an errored sample counts as (``0.0`` for accuracy / success); ``None``
            leaves errored samples out of this metric.
        breakdown: Also report ``name/category`` per sample category.
        description: One line for reports.
        level: ``"sample"``: the mean of the per-sample score ``name``; ``"corpus"``: a
            statistic of the whole set, computed by the benchmark's ``corpus_metrics``.
        source: Corpus level: the per-sample score the statistic is computed from (``None``:
            not recomputable from per-sample scores, e.g. FID).
        stratify_by: Corpus level: the record field whose groups are averaged with equal
            weight (``"category"``: GenEval's mean over skills); ``None``: plain mean.
    """

    name: str
    higher_is_better: bool = True
    ci: Literal["bootstrap", "wilson", "normal"] = "bootstrap"
    on_error: float | None = 0.0
    breakdown: bool = True
    description: str = ""
    level: MetricLevel = "sample"
    source: str | None = None
    stratify_by: Literal["category"] | None = None

    def __post_init__(self) -> None:
        if self.level == "sample" and (self.source or self.stratify_by):
            raise ValueError(f"metric {self.name}: source / stratify_by need level='corpus'")

    def describe(self) -> dict[str, Any]:
        """What ``metrics.json`` records of the spec, so readers can recompute the metric."""
        out: dict[str, Any] = {"level": self.level, "on_error": self.on_error}
        if self.level == "corpus":
            out.update(source=self.source, stratify_by=self.stratify_by)
        return out


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


# A corpus metric without a declared spec (e.g. FID / KID from optional learned metrics).
_UNDECLARED_CORPUS = MetricSpec("", on_error=None, level="corpus")


def metrics_json(
    specs: Iterable[MetricSpec], values: Mapping[str, MetricValue]
) -> dict[str, dict[str, Any]]:
    """The ``metrics`` object of ``metrics.json``: each value with its spec's level etc.

    ``name/category`` breakdowns carry the spec of ``name``; values without a spec are
    corpus-level statistics that cannot be recomputed from per-sample scores.
    """
    by_name = {s.name: s for s in specs}
    out: dict[str, dict[str, Any]] = {}
    for name, v in values.items():
        spec = by_name.get(name) or by_name.get(name.split("/", 1)[0]) or _UNDECLARED_CORPUS
        out[name] = {**v.to_json(), **spec.describe()}
    return out


class CorpusScorer(Protocol):
    """A metric over the whole set of outputs (e.g. FID), computed after all samples."""

    name: str

    def __call__(self, records: Iterable[dict[str, Any]]) -> MetricValue | None: ...
