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


def _metric_value(spec: MetricSpec, values: list[float], seed: int) -> MetricValue:
    from cosmos3_eval.scorers import stats

    n = len(values)
    if n == 0:
        return MetricValue(None, None, None, 0, spec.higher_is_better)
    mean, se = stats.mean_stderr(values)
    # 0/1 values get an exact-family interval whatever the spec says (see stats.metric_ci).
    ci = stats.metric_ci(values, spec.ci, seed=seed)
    return MetricValue(mean, se, ci, n, spec.higher_is_better)


def aggregate(
    specs: tuple[MetricSpec, ...], records: Iterable[dict[str, Any]], seed: int = 0
) -> dict[str, MetricValue]:
    """Aggregate per-sample records into metrics with CIs and per-category breakdowns.

    Args:
        specs: The benchmark's metric specs.
        records: Records with ``scores`` (name -> float), ``error`` and optional ``category``.
            A record without a score (and no error) does not count for that metric.
        seed: Bootstrap seed (fixed, so the same records give the same CIs).

    Returns:
        ``name`` and ``name/category`` -> :class:`MetricValue`.
    """
    overall: dict[str, list[float]] = {s.name: [] for s in specs}
    by_cat: dict[str, dict[str, list[float]]] = {s.name: {} for s in specs}
    for rec in records:
        failed = rec.get("error") is not None
        scores = rec.get("scores") or {}
        cat = str(rec.get("category", "all"))
        for s in specs:
            if failed:
                if s.on_error is None:
                    continue
                v = float(s.on_error)
            elif s.name in scores and scores[s.name] is not None:
                v = float(scores[s.name])
            else:
                continue
            overall[s.name].append(v)
            by_cat[s.name].setdefault(cat, []).append(v)
    out: dict[str, MetricValue] = {}
    for s in specs:
        out[s.name] = _metric_value(s, overall[s.name], seed)
        cats = by_cat[s.name]
        if s.breakdown and (len(cats) > 1 or (cats and "all" not in cats)):
            for cat in sorted(cats):
                out[f"{s.name}/{cat}"] = _metric_value(s, cats[cat], seed)
    return out
