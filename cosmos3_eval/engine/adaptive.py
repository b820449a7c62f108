"""``compare --adaptive``: run base and new in paired blocks until the gate is answered.

Both models run the same task on the same seeds (sample index i has the same seed on both
sides) in blocks of ``block`` samples / episodes. After each block the main-metric values of
the pairs so far, in index order, go to
:func:`~cosmos3_eval.scorers.sequential.paired_sequential_test`, an anytime-valid test: looking
after every block spends no extra alpha, so the loop stops as soon as it says ``regression`` or
``no-regression``, or gives ``inconclusive`` once ``max_n`` pairs are spent. Each side writes a
normal run directory (``<out>/<label>__<task>``) through :func:`~cosmos3_eval.engine.runner.
run_task`, so an interrupted trial resumes: the blocks already on disk are not rerun, and the
decisions are deterministic given the values, so a rerun reaches the same one. With several
tasks each is tested at ``alpha / k`` (Bonferroni), so the family-wise error stays <= alpha.
Design and figures: ``docs/adaptive.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cosmos3_eval.api.model import close_model
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.runner import _safe, run_task
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.errors import UserError
from cosmos3_eval.results.rundir import RunDir
from cosmos3_eval.scorers.sequential import SequentialDecision, paired_sequential_test


@dataclass(frozen=True)
class Side:
    """One side of the trial: a registered model, its arguments and its output directory."""

    model: str
    args: dict[str, Any]
    out: Path


@dataclass(frozen=True)
class AdaptiveResult:
    """The outcome for one task.

    Attributes:
        task_id: The task.
        metric: Its main metric (the paired score).
        decision: ``regression``, ``no-regression`` or ``inconclusive``.
        n_run: Pairs run (a multiple of the block, or ``max_n``).
        test: The sequential decision (``n`` = pairs at which it was reached).
        base_dir: Base run directory.
        new_dir: New run directory.
    """

    task_id: str
    metric: str
    decision: str
    n_run: int
    test: SequentialDecision
    base_dir: Path
    new_dir: Path


def _main_metric(task_id: str) -> tuple[str, str, float | None]:
    """(task id as the runner names it, main metric, value of an errored sample)."""
    bench = load_benchmark(task_id)
    try:
        spec = next((m for m in bench.metric_specs if m.name == bench.main_metric), None)
        return bench.task_id, bench.main_metric, spec.on_error if spec is not None else 0.0
    finally:
        bench.close()


def _values(run: RunDir, metric: str, on_error: float | None) -> dict[int, float]:
    """Main-metric value per sample index of a run directory (errored: ``on_error``)."""
    out: dict[int, float] = {}
    if not run.samples_path.is_file():
        return out
    for rec in run.records():
        value = (rec.get("scores") or {}).get(metric)
        if rec.get("error") is not None or value is None:
            value = on_error
        if value is None:
            continue
        if not 0.0 <= float(value) <= 1.0:
            raise UserError(f"compare --adaptive needs a main metric in [0, 1]; {metric}={value}")
        out[int(rec["index"])] = float(value)
    return out


def adaptive_compare(
    base: Side,
    new: Side,
    tasks: list[str],
    options: RunOptions,
    margin: float,
    max_n: int,
    block: int = 10,
    alpha: float = 0.05,
    log: Any = None,
) -> list[AdaptiveResult]:
    """Run ``base`` and ``new`` on each task in paired blocks until the sequential gate decides.

    Args:
        base: The reference side.
        new: The candidate side.
        tasks: Task ids or task-file paths.
        options: Run options shared by both sides (``out`` and ``label`` are set per side).
        margin: "Worse by more than ``margin``" (absolute, main metric in [0, 1]) must be
            ruled out to pass.
        max_n: Pair budget per task; spending it without a decision is ``inconclusive``.
        block: Samples / episodes per side between two looks.
        alpha: Family-wise error bound; each of k tasks is tested at ``alpha / k``.
        log: Called with one line per block (``None``: silent).

    Raises:
        UserError: Bad margin / budget, an unknown task, a main metric outside [0, 1].
    """
    if not 0 < margin < 1:
        raise UserError(f"--margin must be in (0, 1), got {margin}")
    if max_n < 1 or block < 1:
        raise UserError("--max-episodes and --block must be >= 1")
    if not tasks:
        raise UserError("--tasks is empty")
    if options.executor != "local":
        raise UserError("compare --adaptive runs both models in this process (--executor local)")
    metas = [_main_metric(t) for t in tasks]  # validate every task before the models load
    per_task_alpha = alpha / len(tasks)
    models: dict[str, Any] = {}
    results = []
    try:
        for side_name, side in (("base", base), ("new", new)):
            models[side_name] = create_model(side.model, side.args)
        sides = {
            name: replace(
                options,
                out=side.out,
                label=options.label or models[name].info.name,
                until_ci_width=None,
            )
            for name, side in (("base", base), ("new", new))
        }
        specs = {"base": (base.model, base.args), "new": (new.model, new.args)}
        for task_arg, (task_id, metric, on_error) in zip(tasks, metas):
            runs = {
                name: RunDir(Path(o.out) / f"{_safe(o.label or '')}__{task_id}")
                for name, o in sides.items()
            }
            n = 0
            while True:
                n = min(n + block, max_n)
                vals = {k: _values(r, metric, on_error) for k, r in runs.items()}
                for name in ("base", "new"):  # blocks already on disk (a resume) are not rerun
                    if not all(i in vals[name] for i in range(n)):
                        run_task(models[name], task_arg, sides[name], n, None, specs[name])
                vals = {k: _values(r, metric, on_error) for k, r in runs.items()}
                idx = [i for i in range(n) if i in vals["base"] and i in vals["new"]]
                test = paired_sequential_test(
                    [vals["base"][i] for i in idx],
                    [vals["new"][i] for i in idx],
                    margin,
                    per_task_alpha,
                    max_n,
                )
                if log is not None:
                    log(
                        f"{task_id}: {n} pairs, mean diff {test.mean_diff:+.4f}, "
                        f"e(regression) {test.e_regression:.3g}, "
                        f"e(no-regression) {test.e_no_regression:.3g} -> {test.decision}"
                    )
                if test.decision != "continue" or n >= max_n:
                    break
            # Metrics of both runs describe the pairs run, whichever block decided.
            for name in ("base", "new"):
                run_task(models[name], task_arg, sides[name], n, None, specs[name])
            decision = "inconclusive" if test.decision == "continue" else test.decision
            results.append(
                AdaptiveResult(
                    task_id, metric, decision, n, test, runs["base"].path, runs["new"].path
                )
            )
    finally:
        for model in models.values():
            close_model(model)
    return results
