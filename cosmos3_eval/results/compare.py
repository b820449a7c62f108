"""Paired comparison of two result sets: the CI gate (``cosmos3-eval compare``).

Runs are paired task by task on sample / episode ids with identical seeds; per task the
difference of the main metric gets a CI, a p-value (exact McNemar for 0/1 scores, paired
bootstrap otherwise), a Holm correction across tasks and the minimum detectable effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cosmos3_eval.errors import NotComparableError, UserError
from cosmos3_eval.results.leaderboard import VerifiedRun, load_runs
from cosmos3_eval.results.rundir import RunDir


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


def _per_sample(run: VerifiedRun) -> tuple[str, dict[str, tuple[int, float]]]:
    """Main metric per sample id: id -> (seed, value), with errors imputed as the spec says."""
    from cosmos3_eval.api.registry import BENCHMARK_TYPES

    metric = run.metrics["main_metric"]
    on_error: float | None = 0.0
    higher = True
    try:
        cls = BENCHMARK_TYPES.load(run.manifest["task"]["type"])
        for spec in cls.metric_specs:
            if spec.name == metric:
                on_error, higher = spec.on_error, spec.higher_is_better
    except UserError:
        pass
    out: dict[str, tuple[int, float]] = {}
    for rec in RunDir(run.path).records():
        if rec.get("error") is not None:
            if on_error is None:
                continue
            v = on_error
        else:
            v = (rec.get("scores") or {}).get(metric)
            if v is None:
                continue
        out[rec["id"]] = (rec["seed"], float(v) if higher else -float(v))
    return metric, out


def compare(base: list[VerifiedRun], new: list[VerifiedRun], max_drop: float, alpha: float
            ) -> list[TaskComparison]:  # fmt: skip
    """Pair two result sets task by task on sample ids with identical seeds.

    Raises:
        NotComparableError: Different task versions, seeds or sample sets.
    """
    from cosmos3_eval.scorers.stats import holm, paired_difference

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
        metric, bs = _per_sample(b)
        _, ns = _per_sample(n)
        if set(bs) != set(ns):
            raise NotComparableError(
                f"{task}: sample sets differ ({len(bs)} vs {len(ns)} ids; "
                f"{len(set(bs) ^ set(ns))} unpaired)"
            )
        ids = sorted(bs)
        bad = [i for i in ids if bs[i][0] != ns[i][0]]
        if bad:
            raise NotComparableError(f"{task}: seeds differ (e.g. sample {bad[0]})")
        bv = [bs[i][1] for i in ids]
        nv = [ns[i][1] for i in ids]
        raw.append((task, metric, bv, nv, paired_difference(bv, nv, seed=0, alpha=alpha)))
    adjusted = holm([r[4].p_value for r in raw])
    out = []
    for (task, metric, bv, nv, d), ph in zip(raw, adjusted):
        base_m, new_m = sum(bv) / len(bv), sum(nv) / len(nv)
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


def compare_main(base: Path, new: Path, max_drop: float, alpha: float) -> int:
    """CLI body of ``compare``: print a verdict table; 0 ok, 1 regression, 2 not comparable."""
    from tabulate import tabulate

    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be in (0, 1), got {alpha}")
    if max_drop < 0:
        raise UserError(f"--max-drop must be >= 0, got {max_drop}")
    rows = compare(load_runs([base]), load_runs([new]), max_drop, alpha)
    table = [
        [
            r.task, r.metric, f"{r.base:.4f}", f"{r.new:.4f}", f"{r.diff:+.4f}",
            f"[{r.ci95[0]:+.4f}, {r.ci95[1]:+.4f}]", f"{r.p_value:.4g}", f"{r.p_holm:.4g}",
            r.n, f"{r.mde:.4f}", r.test, "REGRESSION" if r.regression else "ok",
        ]
        for r in rows
    ]  # fmt: skip
    print(
        tabulate(
            table,
            headers=[
                "task",
                "metric",
                "base",
                "new",
                "diff",
                "95% CI",
                "p",
                "p (Holm)",
                "n",
                "MDE",
                "test",
                "verdict",
            ],  # fmt: skip
            tablefmt="github",
            disable_numparse=True,
        )
    )
    print(f"\nmax drop {max_drop}, alpha {alpha}; MDE = smallest drop detectable at this n "
          "with 80 % power.")  # fmt: skip
    bad = [r.task for r in rows if r.regression]
    if bad:
        print(f"REGRESSION in: {', '.join(bad)}")
        return 1
    print("no significant regression")
    return 0
