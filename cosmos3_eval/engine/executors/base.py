"""The executor protocol, the job description a worker needs, and the worker-side shard loop."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from cosmos3_eval.api.benchmark import StaticBenchmark
from cosmos3_eval.engine.cache import CachedModel
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.engine.loops import closed_loop_records, static_records
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.sim.render import single_threaded_gl


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to rebuild the benchmark and model of one task run.

    Attributes:
        task_id: Task id or task-file path.
        model_name: Registered model name.
        model_args: Model factory kwargs.
        options: The run options (picklable).
        task_dirs: ``COSMOS3_EVAL_TASKS`` of the driver, so workers find the same task files.
    """

    task_id: str
    model_name: str
    model_args: dict[str, Any]
    options: RunOptions
    task_dirs: str = ""


@dataclass(frozen=True)
class ShardResult:
    """What a worker returns for one shard: records plus media files (name -> bytes)."""

    records: list[dict[str, Any]]
    files: dict[str, bytes] = field(default_factory=dict)


class Executor(Protocol):
    """Runs shards of sample indices and yields their results as they complete."""

    def run(self, job: Job, shards: Iterator[list[int]]) -> Iterator[ShardResult]:
        """Yield one :class:`ShardResult` per shard, in completion order."""
        ...

    def close(self) -> None:
        """Stop workers."""
        ...


_WORKER_STATE: dict[Any, Any] = {}


def _worker_objects(job: Job, model: Any | None = None) -> tuple[Any, Any]:
    """The worker's (benchmark, model) for a job, built once and kept warm."""
    single_threaded_gl()  # executor workers render in parallel: one llvmpipe thread each

    key = (job.task_id, job.model_name, repr(sorted(job.model_args.items())), job.task_dirs)
    if key not in _WORKER_STATE:
        if job.task_dirs:
            os.environ["COSMOS3_EVAL_TASKS"] = job.task_dirs
        for old in list(_WORKER_STATE.values()):  # one task at a time per worker
            old[0].close()
        _WORKER_STATE.clear()
        bench = load_benchmark(job.task_id)
        if model is None:
            model = create_model(job.model_name, job.model_args)
            if job.options.cache_dir is not None:
                model = CachedModel(model, job.options.cache_dir)
        _WORKER_STATE[key] = (bench, model)
    return _WORKER_STATE[key]


def run_shard(job: Job, indices: list[int], model: Any | None = None) -> ShardResult:
    """Worker side: run the samples / episodes ``indices`` of ``job``.

    Args:
        job: The task run.
        indices: Sample / episode indices of this shard.
        model: A model proxy to use instead of building one (``shared`` placement).
    """
    bench, local_model = _worker_objects(job, model)
    produce = static_records if isinstance(bench, StaticBenchmark) else closed_loop_records
    # Envs inside a worker run in-process: the executor already provides the parallelism.
    options = replace(job.options, workers=1)
    with tempfile.TemporaryDirectory(prefix="cosmos3-shard-") as tmp:
        records = list(produce(bench, local_model, iter(indices), options, Path(tmp)))
        files = {p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()}
    return ShardResult(records, files)
