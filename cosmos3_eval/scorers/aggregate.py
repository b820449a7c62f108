"""Aggregation of per-sample scores into per-sample-level metrics with CIs and breakdowns.

The records (:class:`~cosmos3_eval.api.metrics.Score`, :class:`MetricSpec`,
:class:`MetricValue`) live in :mod:`cosmos3_eval.api.metrics`; corpus-level metrics are
computed by the benchmark's ``corpus_metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cosmos3_eval.api.metrics import MetricSpec, MetricValue
from cosmos3_eval.scorers import stats


def _metric_value(spec: MetricSpec, values: list[float], seed: int) -> MetricValue:

    n = len(values)
    if n == 0:
        return MetricValue(None, None, None, 0, spec.higher_is_better)
    mean, se = stats.mean_stderr(values)
    # Binary ("wilson") specs of 0/1 values get the mid-p exact interval (see stats.metric_ci).
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
    # Corpus-level specs are the benchmark's corpus_metrics' job, not a mean of scores.
    specs = tuple(s for s in specs if s.level == "sample")
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
