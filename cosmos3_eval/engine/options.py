"""The options of one run, shared by the runner, the sample loops and the executors' workers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cosmos3_eval.api.seal import Seal


@dataclass(frozen=True)
class RunOptions:
    """Options of one ``cosmos3-eval run``.

    Attributes:
        limit: Samples / episodes per task (``None``: the task's size or default size).
        seed: Base seed; per-sample seeds derive from (task, index, seed).
        batch_size: Max requests per model call (static tasks; closed-loop: envs per call).
        max_errors: Error budget per task; ``None`` = 10 % of the planned samples (min 5).
        out: Parent directory of the run directories.
        media: Save media artifacts (images, side-by-side videos, episode videos) for the
            first K samples / episodes.
        workers: Env worker processes (closed-loop tasks).
        replan_every: Execute this many actions of each chunk open-loop.
        episode_timeout_s: Wall-clock limit per episode.
        sample_timeout_s: Wall-clock limit per batched model call of a static task; a call
            that does not return in time records an error on its samples and the run goes on.
        progress: Show a progress bar on stderr.
        label: Run-directory label for the model (default: the model name).
        cache_dir: Response cache directory (``None``: no cache).
        executor: ``local`` (in-process), ``process`` (spawned pool) or ``ray``.
        ray_address: Ray cluster to join (``auto`` / ``HOST:PORT``); ``None`` = local Ray.
        model_placement: ``replicate`` (a model per worker) or ``shared`` (one model actor).
        seal: The secret of a sealed run (keyed seeds and request ids, see
            :mod:`cosmos3_eval.api.seal`); ``None`` = an open, publicly reproducible run.
        restart: Move an existing run directory aside (``<dir>.old-<UTC time>``) and start
            afresh instead of resuming it.
        pipeline: Closed loop: ``auto`` / ``on`` step half the workers while the model serves
            the other half (with 2+ workers), ``off`` steps all in lockstep
            (:mod:`cosmos3_eval.engine.pipeline`).
        until_ci_width: Stop a task once its main metric's anytime-valid CI is narrower than
            this (``--limit`` caps it; :mod:`cosmos3_eval.engine.stopping`).
        gpu_hour_cost: Price of a model GPU hour: the manifest's cost section gives the cost
            per sample.
    """

    limit: int | None = None
    seed: int = 0
    batch_size: int = 8
    max_errors: int | None = None
    out: Path = Path("results")
    media: int = 0
    workers: int = 1
    replan_every: int | None = None
    episode_timeout_s: float = 300.0
    sample_timeout_s: float = 300.0
    progress: bool = True
    label: str | None = None
    cache_dir: Path | None = None
    executor: str = "local"
    ray_address: str | None = None
    model_placement: str = "replicate"
    seal: Seal | None = None
    restart: bool = False
    pipeline: str = "auto"
    until_ci_width: float | None = None
    gpu_hour_cost: float | None = None
