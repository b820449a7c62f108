"""Checkpoint sweeps: find runs of one task that differ only by training step.

A run's step comes, in this order, from the model params (``step``), the model revision, the
checkpoint path in the params, or the run label (``name@step_1000``, ``ckpt_step_1000``).
Runs of one task whose labels are equal once the step suffix is removed form a *series*; a
series with two or more distinct steps is a sweep and gets plotted against step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cosmos3_eval.results.leaderboard import VerifiedRun

# "step" must start a word (not "multistep2"), may be followed by "_" / "-" / nothing, and the
# number must end there (the "5" in "step_5k" is not a step: units are ambiguous).
_STEP = re.compile(r"(?<![a-z0-9])step[_-]?(\d+)(?![0-9a-z])", re.IGNORECASE)
# The step suffix of a label, with the separator before it: "torch@step_1000" -> "torch".
_STEP_SUFFIX = re.compile(r"[@_\-.]?step[_-]?\d+$", re.IGNORECASE)


def parse_step(text: str | None) -> int | None:
    """The training step named in a label, revision or checkpoint path.

    Args:
        text: E.g. ``"torch@step_1000"``, ``"ckpts/step_2000.safetensors"``, ``"step-30"``.

    Returns:
        The last ``step_N`` number in the text, or ``None`` if there is none.
    """
    if not text:
        return None
    found = _STEP.findall(str(text))
    return int(found[-1]) if found else None


def series_name(label: str) -> str:
    """A run label without its step suffix (``"torch@step_1000"`` -> ``"torch"``)."""
    base = _STEP_SUFFIX.sub("", label)
    return base or label


def run_label(run: VerifiedRun) -> str:
    """The label a user gave a run: the manifest's ``label`` if recorded, else the dir name's."""
    label = run.manifest.get("label")
    return label if isinstance(label, str) and label else run.label


def run_step(run: VerifiedRun) -> int | None:
    """The training step of a run's checkpoint, or ``None`` if it names none."""
    model = run.manifest.get("model") or {}
    params = model.get("params") or {}
    step = params.get("step")
    if isinstance(step, int) and not isinstance(step, bool) and step >= 0:
        return step
    if isinstance(step, str) and step.isdigit():
        return int(step)
    for text in (model.get("revision"), params.get("checkpoint"), run_label(run)):
        if isinstance(text, str) and (found := parse_step(text)) is not None:
            return found
    return None


@dataclass(frozen=True)
class SweepPoint:
    """One checkpoint of a sweep: its step and the task's main metric with its CI."""

    step: int
    value: float
    ci95: tuple[float, float] | None
    n: int | None
    label: str


@dataclass(frozen=True)
class Sweep:
    """A task's main metric over the checkpoints of one series, sorted by step."""

    task: str
    series: str
    metric: str
    points: tuple[SweepPoint, ...]


def find_sweeps(runs: list[VerifiedRun], metric_of: dict[str, str] | None = None) -> list[Sweep]:
    """Group runs into sweeps: same task, same series, two or more distinct steps.

    Args:
        runs: Verified runs.
        metric_of: Task -> metric to plot (default: each run's main metric).

    Returns:
        Sweeps sorted by (task, series). When one step has several runs, the larger (then
        newer) one is kept, as the leaderboard does.
    """
    metric_of = metric_of or {}
    groups: dict[tuple[str, str], dict[int, tuple[Any, VerifiedRun]]] = {}
    for run in runs:
        step = run_step(run)
        if step is None:
            continue
        key = (run.task, series_name(run_label(run)))
        rank = (run.metrics.get("n_samples", 0), run.manifest.get("finished_at", ""))
        prev = groups.setdefault(key, {}).get(step)
        if prev is None or rank > prev[0]:
            groups[key][step] = (rank, run)
    sweeps = []
    for (task, series), by_step in sorted(groups.items()):
        if len(by_step) < 2:
            continue
        points = []
        metric = ""
        for step, (_, run) in sorted(by_step.items()):
            metric = metric_of.get(task) or run.metrics["main_metric"]
            mv = run.metrics["metrics"].get(metric) or {}
            if mv.get("value") is None:
                continue
            ci = mv.get("ci95")
            points.append(
                SweepPoint(
                    step=step,
                    value=float(mv["value"]),
                    ci95=(float(ci[0]), float(ci[1])) if ci else None,
                    n=mv.get("n"),
                    label=run_label(run),
                )
            )
        if len(points) >= 2:
            sweeps.append(Sweep(task, series, metric, tuple(points)))
    return sweeps
