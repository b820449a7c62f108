"""``export``: training data from the suite's own generators, disjoint from every evaluation.

Static tasks (QA, T2I, I2V) go through :mod:`.static`, closed-loop tasks through :mod:`.policy`.
Seeds come from :func:`~cosmos3_eval.api.benchmark.derive_seed` with ``split="train"``, a
different hash domain with bit 31 set, so no exported sample can be an evaluated one.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from cosmos3_eval.api.benchmark import ClosedLoopBenchmark
from cosmos3_eval.engine.export.policy import export_policy
from cosmos3_eval.engine.export.static import export_static
from cosmos3_eval.engine.tasks import load_benchmark


@dataclass(frozen=True)
class ExportResult:
    """What one task's export did.

    Attributes:
        task: Task id.
        folder: Its export folder.
        total: Samples / demos present after the export.
        written: Samples / demos written by this call (the rest were already there).
        seconds: Wall time of this call.
    """

    task: str
    folder: Path
    total: int
    written: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Samples (or demos) written per second by this call."""
        return self.written / self.seconds if self.seconds > 0 else 0.0


def export_task(
    task: str,
    out: Path,
    n: int,
    base_seed: int = 0,
    split: str = "train",
    progress: bool = True,
    images: bool = True,
    noise: float = 0.0,
) -> ExportResult:
    """Export ``n`` samples (or oracle demos) of ``task`` into ``out/<task>``; resumable.

    Args:
        task: Task id, e.g. ``physqa-sim-v2`` or ``push-block-v1``.
        out: Parent folder.
        n: Samples wanted in total; a rerun writes only the missing ones.
        base_seed: Base seed of the train derivation.
        split: ``"train"`` (default; disjoint from evaluation) or ``"eval"``.
        progress: Show a progress bar on stderr.
        images: Policy tasks only: record camera images (else proprio only).
        noise: Policy tasks only: DART noise std on the executed oracle action (labels stay
            the clean oracle action; see :mod:`.policy`). 0 = clean demos.
    """
    bench = load_benchmark(task)
    if noise and not isinstance(bench, ClosedLoopBenchmark):
        bench.close()
        raise ValueError(f"--noise applies to policy tasks only, not {task}")
    folder = out / task
    start = time.perf_counter()
    bar = tqdm(total=n, desc=f"export {task}", unit="sample", file=sys.stderr,
               disable=not progress, dynamic_ncols=True, mininterval=0.5)  # fmt: skip
    try:
        if isinstance(bench, ClosedLoopBenchmark):
            written = export_policy(
                bench, folder, n, base_seed, split, bar, images=images, noise=noise
            )
        else:
            written = export_static(bench, folder, n, base_seed, split, bar)
    finally:
        bar.close()
        bench.close()
    return ExportResult(task, folder, n, written, time.perf_counter() - start)
