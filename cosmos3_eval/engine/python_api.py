"""The Python API: ``cosmos3_eval.evaluate(model, tasks, ...)`` returning typed results.

It is the ``run`` command without the command line: the same runner, run directories, resume
and fingerprints. It is safe at the top level of a plain script or in a notebook: env workers
are spawned without re-running the caller's ``__main__`` (:mod:`cosmos3_eval.sim.spawn`), so no
``if __name__ == "__main__"`` guard is needed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.runner import TaskRun
from cosmos3_eval.engine.runner import evaluate as run_tasks
from cosmos3_eval.engine.tasks import load_suite
from cosmos3_eval.errors import ConfigError, UserError, did_you_mean


@dataclass(frozen=True)
class Metric:
    """One metric of a task run (as in ``metrics.json``)."""

    value: float | None
    stderr: float | None
    ci95: tuple[float, float] | None
    n: int
    higher_is_better: bool


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one (model, task) run.

    Attributes:
        task: Task id.
        model: Model name (``ModelInfo.name``).
        main_metric: Name of the headline metric.
        value: Value of the main metric.
        ci95: Its 95 % confidence interval.
        n: Samples / episodes scored.
        n_errors: Samples that errored (they count as failures).
        run_dir: The run directory (``metrics.json``, ``samples.jsonl``, ``artifacts/``).
        seconds: Wall time of this call (resumed samples are not re-run).
        metrics: Every metric, breakdowns (``metric/category``) included.
    """

    task: str
    model: str
    main_metric: str
    value: float | None
    ci95: tuple[float, float] | None
    n: int
    n_errors: int
    run_dir: Path
    seconds: float
    metrics: dict[str, Metric]

    @classmethod
    def from_run(cls, run: TaskRun) -> TaskResult:
        """Build from the runner's :class:`~cosmos3_eval.engine.runner.TaskRun`."""
        m = run.metrics
        metrics = {
            name: Metric(
                value=v["value"],
                stderr=v.get("stderr"),
                ci95=tuple(v["ci95"]) if v.get("ci95") else None,
                n=v["n"],
                higher_is_better=v.get("higher_is_better", True),
            )
            for name, v in m["metrics"].items()
        }
        main = metrics.get(m["main_metric"])
        return cls(
            task=run.task_id,
            model=m["model"],
            main_metric=m["main_metric"],
            value=main.value if main else None,
            ci95=main.ci95 if main else None,
            n=m["n_samples"],
            n_errors=m["n_errors"],
            run_dir=run.run_dir,
            seconds=run.seconds,
            metrics=metrics,
        )


class Results(list[TaskResult]):
    """A list of :class:`TaskResult`, one per task, with a pandas view."""

    def to_pandas(self, breakdowns: bool = False) -> Any:
        """One row per (task, metric): task, model, metric, value, stderr, ci_low, ci_high, n.

        Args:
            breakdowns: Include per-category metrics (``metric/category``).

        Raises:
            ImportError: pandas is not installed (it is not a dependency of cosmos3-eval).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Results.to_pandas() needs pandas, which cosmos3-eval does not install: "
                "pip install pandas"
            ) from None
        rows = []
        for r in self:
            for name, m in r.metrics.items():
                if "/" in name and not breakdowns:
                    continue
                lo, hi = m.ci95 if m.ci95 else (None, None)
                rows.append(
                    {
                        "task": r.task,
                        "model": r.model,
                        "metric": name,
                        "main": name == r.main_metric,
                        "value": m.value,
                        "stderr": m.stderr,
                        "ci_low": lo,
                        "ci_high": hi,
                        "n": m.n,
                    }
                )
        return pd.DataFrame(rows)


_OPTION_NAMES = [f.name for f in dataclasses.fields(RunOptions)]


def evaluate(
    model: str | Any,
    tasks: str | list[str] | None = None,
    *,
    suite: str | None = None,
    model_args: dict[str, Any] | None = None,
    limit: int | None = None,
    out: str | Path = "results",
    progress: bool = False,
    **options: Any,
) -> Results:
    """Evaluate a model on tasks and return typed results (run directories are written too).

    Args:
        model: A name from ``cosmos3-eval list models``, ``"module:attr"``,
            ``"path/to/file.py:attr"``, or a model instance (see docs/models.md).
        tasks: Task ids (a list, or one comma-separated string).
        suite: A suite name instead of ``tasks`` (per-task sizes from the suite).
        model_args: Arguments of the model factory (names only; typed by its ``Args``).
        limit: Samples / episodes per task.
        out: Parent directory of the run directories.
        progress: Show progress bars on stderr.
        **options: Any other :class:`~cosmos3_eval.engine.options.RunOptions` field
            (``seed``, ``batch_size``, ``workers``, ``max_errors``, ``cache_dir``, ...).

    Returns:
        One :class:`TaskResult` per task run, in order.

    Raises:
        UserError: Unknown task / model / option, bad model args, a model that breaks the
            contract; RunFailed: a task exceeded its error budget.
    """
    for key in options:
        if key not in _OPTION_NAMES:
            raise ConfigError(f"evaluate() has no option '{key}'{did_you_mean(key, _OPTION_NAMES)}")
    if (tasks is None) == (suite is None):
        raise UserError("evaluate() needs tasks=... or suite=..., not both")
    if suite is not None:
        entries = load_suite(suite).tasks
        plan = [(e.task, limit if limit is not None else e.limit) for e in entries]
    else:
        names = tasks.split(",") if isinstance(tasks, str) else list(tasks or [])
        plan = [(t.strip(), limit) for t in names if t.strip()]
        if not plan:
            raise UserError("evaluate(): tasks is empty")
    if not isinstance(model, str) and model_args:
        raise UserError("evaluate(): model_args apply to a model name, not an instance")
    opts = RunOptions(limit=limit, out=Path(out), progress=progress, **options)
    runs = run_tasks(model, model_args, plan, opts, skip_unsupported=suite is not None)
    return Results(TaskResult.from_run(r) for r in runs)
