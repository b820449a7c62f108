"""Paired comparison of two result sets: the CI gate (``cosmos3-eval compare``).

Runs are paired task by task on sample / episode ids with identical seeds; per task the
difference of the main metric gets a CI, a p-value (exact McNemar for 0/1 scores, paired
bootstrap otherwise; for a corpus-level metric a paired bootstrap of the corpus statistic,
stratified as the metric is), a Holm correction across tasks and the minimum detectable
effect. The metric's level, direction and error value come from metrics.json, never from the
benchmark class.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosmos3_eval.api.records import MetricEntry
from cosmos3_eval.errors import NotComparableError
from cosmos3_eval.results.rundir import RunDir
from cosmos3_eval.results.verify import VerifiedRun
from cosmos3_eval.scorers.stats import (
    PairedDiff,
    holm,
    paired_difference,
    paired_stratified_bootstrap,
    stratum_mean,
)

# What makes two runs' main metrics the same statistic.
_SPEC_KEYS = {"level", "higher_is_better", "on_error", "source", "stratify_by"}


@dataclass(frozen=True)
class TaskComparison:
    """Paired comparison of one task between two result sets."""

    task: str
    metric: str
    base: float
    new: float
    diff: float
    ci95: tuple[float, float]
    p_value: float
    p_holm: float
    n: int
    test: str
    mde: float
    regression: bool


@dataclass(frozen=True)
class _Paired:
    """One run's main metric per sample id: (seed, value, stratum), direction-adjusted."""

    metric: str
    spec: MetricEntry
    values: dict[str, tuple[int, float, str]]


def _per_sample(run: VerifiedRun) -> _Paired:
    """Per-sample values of the main metric from the records and its spec in metrics.json.

    A per-sample metric is the score of that name; a corpus-level one is recomputed from its
    ``source`` score. Errored samples count as the spec's ``on_error`` (or are left out), and
    lower-is-better values are negated so that a drop is always a negative difference.

    Raises:
        NotComparableError: The main metric is corpus-level and not recomputable from
            per-sample scores (e.g. FID), or it has no per-sample values.
    """
    mf = run.metrics_file
    metric = mf.main_metric
    spec = mf.metrics.get(metric)
    if spec is None:
        raise NotComparableError(f"{run.path / 'metrics.json'}: no main metric {metric!r}")
    score = metric
    if spec.level == "corpus":
        if spec.source is None:
            raise NotComparableError(
                f"{run.task}: main metric {metric!r} is corpus-level and cannot be "
                "recomputed from per-sample scores"
            )
        score = spec.source
    sign = 1.0 if spec.higher_is_better else -1.0
    out: dict[str, tuple[int, float, str]] = {}
    for rec in RunDir(run.path).records():
        if rec.get("error") is not None:
            if spec.on_error is None:
                continue
            v = spec.on_error
        else:
            v = (rec.get("scores") or {}).get(score)
            if v is None:
                continue
        out[rec["id"]] = (rec["seed"], sign * float(v), str(rec.get("category", "all")))
    if not out:
        raise NotComparableError(f"{run.task}: no per-sample values of {score!r} in {run.path}")
    return _Paired(metric, spec, out)


def _difference(
    b: _Paired, n: _Paired, ids: list[str], alpha: float
) -> tuple[float, float, PairedDiff]:
    """(base statistic, new statistic, paired difference) of the main metric on paired ids."""
    bv = [b.values[i][1] for i in ids]
    nv = [n.values[i][1] for i in ids]
    if b.spec.level == "sample":
        return sum(bv) / len(bv), sum(nv) / len(nv), paired_difference(bv, nv, 0, alpha)
    strata = [b.values[i][2] for i in ids] if b.spec.stratify_by == "category" else None
    d = paired_stratified_bootstrap(bv, nv, strata, seed=0, alpha=alpha)
    return stratum_mean(bv, strata), stratum_mean(nv, strata), d


def compare(base: list[VerifiedRun], new: list[VerifiedRun], max_drop: float, alpha: float
            ) -> list[TaskComparison]:  # fmt: skip
    """Pair two result sets task by task on sample ids with identical seeds.

    Raises:
        NotComparableError: Different task versions, seeds or sample sets.
    """

    def index(runs: list[VerifiedRun], side: str) -> dict[str, VerifiedRun]:
        out: dict[str, VerifiedRun] = {}
        for r in runs:
            if r.task in out:
                raise NotComparableError(
                    f"{side} has two runs of {r.task} ({out[r.task].path}, {r.path}); "
                    "compare one model at a time"
                )
            out[r.task] = r
        return out

    b_idx, n_idx = index(base, "BASE"), index(new, "NEW")
    common = sorted(set(b_idx) & set(n_idx))
    if not common:
        raise NotComparableError("BASE and NEW share no task")
    raw = []
    for task in common:
        b, n = b_idx[task], n_idx[task]
        if b.manifest["task"].get("config") != n.manifest["task"].get("config"):
            raise NotComparableError(f"{task}: task configs differ")
        bs, ns = _per_sample(b), _per_sample(n)
        if bs.spec.model_dump(include=_SPEC_KEYS) != ns.spec.model_dump(include=_SPEC_KEYS):
            raise NotComparableError(f"{task}: the main metric's spec differs between runs")
        if set(bs.values) != set(ns.values):
            raise NotComparableError(
                f"{task}: sample sets differ ({len(bs.values)} vs {len(ns.values)} ids; "
                f"{len(set(bs.values) ^ set(ns.values))} unpaired)"
            )
        ids = sorted(bs.values)
        bad = [i for i in ids if bs.values[i][0] != ns.values[i][0]]
        if bad:
            raise NotComparableError(f"{task}: seeds differ (e.g. sample {bad[0]})")
        raw.append((task, bs.metric, *_difference(bs, ns, ids, alpha)))
    adjusted = holm([r[4].p_value for r in raw])
    out = []
    for (task, metric, base_m, new_m, d), ph in zip(raw, adjusted):
        regression = d.diff < -max_drop and ph < alpha
        out.append(
            TaskComparison(
                task,
                metric,
                base_m,
                new_m,
                d.diff,
                d.ci95,
                d.p_value,
                ph,
                d.n,
                d.test,
                d.mde,
                regression,
            )  # fmt: skip
        )
    return out
