"""What ``run`` prints: one summary line per task, suite progress with an ETA, -v tables.

stdout carries results only (one line per task, plus the metric tables with ``-v``), so a
script can read it; progress ("task k/N", ETA) and notes go to stderr and ``-q`` drops them.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from cosmos3_eval.engine.cards import load_cards
from cosmos3_eval.engine.runner import TaskRun
from cosmos3_eval.results.table import cut, fit_table, terminal_width


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}" if abs(x) >= 1000 else f"{x:.3f}"


def summary_line(run: TaskRun, width: int | None = None) -> str:
    """``task  metric value [lo, hi]  n=N  E err  T s  run-dir/`` in at most ``width`` chars.

    The run directory (where ``metrics.json`` and the samples are) is cut from the left if
    the line would be too long: its last part names the model and task.
    """
    width = width or terminal_width()
    m = run.metrics
    main = m["metrics"].get(m["main_metric"], {})
    ci = main.get("ci95")
    ci_text = f" [{_num(ci[0])}, {_num(ci[1])}]" if ci else ""
    head = (
        f"{run.task_id}  {m['main_metric']} {_num(main.get('value'))}{ci_text}  "
        f"n={m['n_samples']}  {m['n_errors']} err  {run.seconds:.1f}s  "
    )
    where = f"{run.run_dir}/"
    room = width - len(head)
    if len(where) > room:
        where = "…" + where[-max(room - 1, 8) :]
    return cut(head + where, width)


def metrics_table(run: TaskRun) -> str:
    """Every metric of a run, breakdowns included (``run -v``)."""
    m = run.metrics
    rows = []
    for name, v in m["metrics"].items():
        ci = v.get("ci95")
        rows.append(
            [
                name + (" *" if name == m["main_metric"] else ""),
                _num(v["value"]),
                _num(v["stderr"]),
                f"[{_num(ci[0])}, {_num(ci[1])}]" if ci else "-",
                v["n"],
            ]
        )
    return fit_table(
        rows, ["metric", "value", "stderr", "95% CI", "n"], right=["value", "stderr", "n"]
    )


class RunPrinter:
    """A :class:`~cosmos3_eval.engine.runner.RunListener` that prints as tasks finish.

    Args:
        verbosity: -1 (``-q``), 0, or the number of ``-v``.
    """

    def __init__(self, verbosity: int = 0):
        self.verbosity = verbosity
        self.started = time.monotonic()
        self.costs = {k: c.seconds_per_sample for k, c in load_cards().tasks.items()}
        self.plan: list[tuple[str, int | None]] = []
        self.done_expected = 0.0
        self.done_seconds = 0.0

    def _expected(self, task_id: str, limit: int | None) -> float | None:
        cost = self.costs.get(task_id)
        return None if cost is None else cost * (limit or 100)

    def eta_seconds(self, k: int) -> float | None:
        """Seconds left before task ``k`` (1-based) starts, or ``None`` if unknown.

        The reference cost per sample (``data/cards.yaml``) of each remaining task, scaled by
        how fast this machine and model were on the tasks done so far; without costs, the mean
        time of a finished task.
        """
        remaining = self.plan[k - 1 :]
        if k == 1 or not remaining:
            return None
        expected = [self._expected(t, n) for t, n in remaining]
        if all(e is not None for e in expected) and self.done_expected > 0:
            speed = self.done_seconds / self.done_expected
            return speed * sum(e for e in expected if e is not None)
        return (time.monotonic() - self.started) / (k - 1) * len(remaining)

    def task_started(self, k: int, planned: list[tuple[str, int | None]]) -> None:
        """Print ``task k/N`` with the elapsed time and ETA (stderr)."""
        self.plan = planned
        self._current = task_id, _ = planned[k - 1]
        total = len(planned)
        if self.verbosity < 0 or total < 2:
            return
        elapsed = time.monotonic() - self.started
        eta = self.eta_seconds(k)
        eta_text = f", suite ETA {_duration(eta)}" if eta is not None else ""
        print(
            f"task {k}/{total}: {task_id} (elapsed {_duration(elapsed)}{eta_text})",
            file=sys.stderr,
            flush=True,
        )

    def task_finished(self, run: TaskRun) -> None:
        """Print the task's summary line (stdout), its notes and, with -v, its metrics."""
        expected = self._expected(*self._current)
        if expected is not None and run.n_new == run.n:
            self.done_expected += expected
            self.done_seconds += run.seconds
        if self.verbosity >= 0:
            for note in run.notes:
                print(f"note: {run.task_id}: {note}", file=sys.stderr)
        print(summary_line(run), flush=True)
        if self.verbosity > 0:
            print(metrics_table(run) + "\n", flush=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def footer(runs: list[Any], verbosity: int) -> str | None:
    """The closing hint, or ``None`` with ``-q``."""
    if verbosity < 0 or not runs:
        return None
    more = "" if verbosity > 0 else "; -v prints every metric"
    return f"details: <run dir>/metrics.json and samples.jsonl{more}"
