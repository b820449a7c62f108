"""Executors: where samples and episodes run.

* ``local`` — in-process (default): one model, batched calls, envs in the benchmark's own
  worker processes.
* ``process`` — a local pool of spawned worker processes, each with its own benchmark and model
  (``replicate`` placement).
* ``ray`` — Ray actors (keep benchmark, envs and model warm between shards), ``replicate`` or
  ``shared`` model placement; joins a cluster with ``ray_address``.

Whatever the executor, the driver is the only writer of the run directory: workers return
records (and media files as bytes) and the driver appends them, so resume works identically
and per-sample results depend only on seeds.
"""

from __future__ import annotations

from cosmos3_eval.engine.executors.base import Executor, Job, ShardResult, run_shard
from cosmos3_eval.engine.executors.pool import ProcessExecutor
from cosmos3_eval.engine.executors.ray_executor import RayExecutor
from cosmos3_eval.errors import ConfigError

__all__ = ["Executor", "Job", "ShardResult", "make_executor", "run_shard"]


def make_executor(
    name: str, workers: int, ray_address: str | None = None, model_placement: str = "replicate"
) -> Executor:
    """Build an executor by name.

    Args:
        name: ``process`` or ``ray`` (``local`` needs no executor object).
        workers: Worker processes / actors.
        ray_address: ``auto`` or ``HOST:PORT`` to join a cluster; ``None`` starts a local Ray.
        model_placement: ``replicate`` (a model per worker) or ``shared`` (one model actor).
    """
    if model_placement not in ("replicate", "shared"):
        raise ConfigError(f"--model-placement must be replicate or shared, not {model_placement}")
    if name == "process":
        if model_placement != "replicate":
            raise ConfigError("--model-placement shared needs --executor ray")
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(workers, ray_address, model_placement)
    raise ConfigError(f"unknown executor '{name}' (choose local, process or ray)")
