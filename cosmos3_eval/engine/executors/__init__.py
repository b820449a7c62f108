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

from cosmos3_eval.engine.executors.base import Executor, Job, ShardResult, make_executor, run_shard

__all__ = ["Executor", "Job", "ShardResult", "make_executor", "run_shard"]
