"""Recompute a run's metrics from its records and the specs its ``metrics.json`` carries.

Readers of a run (leaderboard, report, compare) never trust the numbers a ``metrics.json``
holds: they recompute each one from ``samples.jsonl`` (whose sha256 the manifest records) and
refuse a file that disagrees. Per-sample metrics are re-aggregated with
:func:`~cosmos3_eval.scorers.aggregate.aggregate`; corpus-level ones from their ``source``
score (a mean over strata when ``stratify_by`` is set), the Physics-IQ score from its
per-sample terms and FID / KID from the per-sample features in the records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.metrics import MetricSpec, MetricValue
from cosmos3_eval.api.records import MetricEntry
from cosmos3_eval.scorers import physics_iq as piq
from cosmos3_eval.scorers import stats
from cosmos3_eval.scorers.aggregate import aggregate
from cosmos3_eval.scorers.learned import fid_kid
from cosmos3_eval.scorers.sequential import confidence_sequence

# Relative tolerance: JSON round-trips floats exactly, but a reader on another BLAS may differ
# in the last bits of a covariance (FID) or a stratified stderr.
_RTOL = 1e-6


@dataclass(frozen=True)
class Disagreement:
    """A metric whose recorded value is not what the records give.

    Attributes:
        metric: Metric name.
        field: ``value``, ``stderr``, ``ci95``, ``n`` or ``recompute`` (not recomputable).
        recorded: What ``metrics.json`` says.
        recomputed: What the records give.
    """

    metric: str
    field: str
    recorded: Any
    recomputed: Any

    def __str__(self) -> str:
        if self.field == "recompute":
            return f"metric {self.metric!r} cannot be recomputed from the records"
        return (
            f"metric {self.metric!r}: {self.field} {self.recorded!r} != recomputed "
            f"{self.recomputed!r}"
        )


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return math.isclose(float(a), float(b), rel_tol=_RTOL, abs_tol=1e-12)


def _sample_metric(
    name: str, entry: MetricEntry, records: list[dict[str, Any]], seed: int
) -> list[MetricValue]:
    """The metric by each CI method its spec may have used (the method is not recorded)."""
    base, _, cat = name.partition("/")
    rows = [r for r in records if str(r.get("category", "all")) == cat] if cat else records
    out = []
    # The binary rule ("wilson": mid-p for 0/1 values) or a continuous interval.
    for ci in ("wilson", "bootstrap", "normal"):
        spec = MetricSpec(base, entry.higher_is_better, ci, entry.on_error, breakdown=False)
        out.append(aggregate((spec,), rows, seed=seed)[base])
    return out


def _source_values(
    entry: MetricEntry, records: list[dict[str, Any]]
) -> tuple[list[float], list[str]]:
    values, strata = [], []
    for r in records:
        if r.get("error") is not None:
            if entry.on_error is None:
                continue
            v: float | None = entry.on_error
        else:
            v = (r.get("scores") or {}).get(str(entry.source))
            # GenEval's overall counts a sample without a score as its error value.
            if v is None:
                v = entry.on_error if entry.stratify_by else None
            if v is None:
                continue
        values.append(float(v))
        strata.append(str(r.get("category", "all")))
    return values, strata


def _corpus_metric(
    name: str, entry: MetricEntry, records: list[dict[str, Any]]
) -> MetricValue | None:
    """Value, stderr and n of a corpus metric (its CI is a benchmark-seeded bootstrap)."""
    if name == "physics_iq_score":
        terms = piq.sample_terms(records)
        return MetricValue(piq.physics_iq_score(terms), None, None, len(terms))
    if name in ("fid", "kid"):
        return fid_kid(records).get(name)
    if entry.source is None:
        return None
    values, strata = _source_values(entry, records)
    if not values:
        return MetricValue(None, None, None, 0)
    if entry.stratify_by == "category":
        groups: dict[str, list[float]] = {}
        for v, s in zip(values, strata):
            groups.setdefault(s, []).append(v)
        value, stderr, _ = stats.stratified_mean([groups[k] for k in sorted(groups)], n_boot=1)
        return MetricValue(value, stderr, None, len(values))
    mean, se = stats.mean_stderr(values)
    return MetricValue(mean, se, None, len(values))


def _sequence_ci(
    name: str, entry: MetricEntry, records: list[dict[str, Any]], alpha: float
) -> tuple[float, float]:
    """The anytime-valid CI of a run stopped by ``--until`` (values in index order)."""
    values = []
    for r in sorted(records, key=lambda r: r.get("index", 0)):
        v = (r.get("scores") or {}).get(name)
        if r.get("error") is not None or v is None:
            v = entry.on_error
        if v is not None:
            values.append(float(v))
    cs = confidence_sequence(values, alpha)
    return (cs.lower, cs.upper)


def check_metrics(
    task: str,
    entries: dict[str, MetricEntry],
    records: list[dict[str, Any]],
    stopping: dict[str, Any] | None = None,
) -> tuple[dict[str, MetricValue], list[Disagreement]]:
    """Recompute every metric of ``entries`` from ``records`` and list the disagreements.

    Args:
        task: Task id (seeds the bootstrap CIs exactly as the runner did).
        entries: ``metrics.json``'s metrics, with their specs.
        records: The run's records, in index order.
        stopping: The ``stopping`` section of a run stopped by ``--until``: its main metric's
            CI is the anytime-valid confidence sequence, recomputed as such.

    Returns:
        (name -> recomputed value, disagreements). A corpus metric's recomputed CI is the
        recorded one when its value, stderr and n agree (its bootstrap seed is the
        benchmark's); every other field is the recomputed one.
    """
    seed = derive_seed(task, -1, 0)
    out: dict[str, MetricValue] = {}
    bad: list[Disagreement] = []
    for name, e in entries.items():
        if e.level == "sample":
            candidates = _sample_metric(name, e, records, seed)
            # Pick the CI method that reproduces the recorded interval, if any does.
            got = next((c for c in candidates if _close(e.ci95, c.ci95)), candidates[0])
            if stopping and name == stopping.get("metric"):
                ci = _sequence_ci(name, e, records, float(stopping.get("alpha", 0.05)))
                got = MetricValue(got.value, got.stderr, ci, got.n, got.higher_is_better)
        else:
            corpus = _corpus_metric(name, e, records)
            if corpus is None:
                bad.append(Disagreement(name, "recompute", None, None))
                continue
            stderr = corpus.stderr if corpus.stderr is not None else e.stderr
            got = MetricValue(corpus.value, stderr, e.ci95, corpus.n, e.higher_is_better)
            if name == "kid":
                got = MetricValue(corpus.value, corpus.stderr, corpus.ci95, corpus.n, False)
        checks = (("value", e.value, got.value), ("n", e.n, got.n),
                  ("stderr", e.stderr, got.stderr), ("ci95", e.ci95, got.ci95))  # fmt: skip
        wrong = next(((f, r, c) for f, r, c in checks if not _close(r, c)), None)
        if wrong is not None:
            bad.append(Disagreement(name, *wrong))
        out[name] = got
    return out, bad
