"""``evaluate()``: plan, batch, record, resume and aggregate one model over tasks.

For every (model, task) pair the runner opens a run directory (refusing one that holds a
different config or code version), skips the sample ids already in ``samples.jsonl``, streams
the rest in batches (memory flat in the number of samples), appends each record as soon as it
is scored (flush + fsync), records per-sample faults within the error budget, and finally
writes ``metrics.json`` from the records on disk, so a resumed run and an uninterrupted one
produce identical files.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cosmos3_eval import __version__
from cosmos3_eval.api.benchmark import Benchmark, StaticBenchmark, derive_seed, sample_id
from cosmos3_eval.api.metrics import MetricValue, metrics_json
from cosmos3_eval.api.model import capabilities, close_model
from cosmos3_eval.api.registry import BENCHMARK_TYPES
from cosmos3_eval.engine.cache import CachedModel
from cosmos3_eval.engine.executors import Job, make_executor
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.engine.loops import batched, closed_loop_records, static_records
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.stopping import CiWidthRule
from cosmos3_eval.engine.tasks import load_benchmark, load_task_file
from cosmos3_eval.errors import RunFailed, UserError
from cosmos3_eval.results.cost import cost_summary
from cosmos3_eval.results.rundir import (
    SCHEMA_VERSION,
    RunDir,
    SampleWriter,
    environment,
    file_sha256,
    git_info,
    now_iso,
    package_versions,
    source_sha256,
    write_json_atomic,
)
from cosmos3_eval.scorers.aggregate import aggregate


@dataclass(frozen=True)
class TaskRun:
    """The outcome of one (model, task) run."""

    task_id: str
    run_dir: Path
    metrics: dict[str, Any]
    n: int
    n_new: int
    n_errors: int
    status: str
    seconds: float
    notes: list[str] = field(default_factory=list)


def error_budget(options: RunOptions, n: int) -> int:
    """The number of errored samples a task may have before the run fails."""
    if options.max_errors is not None:
        return options.max_errors
    return max(5, math.ceil(0.1 * n))


def planned_size(bench: Benchmark, limit: int | None) -> int:
    """Number of samples / episodes to run."""
    available = bench.num_samples()
    n = limit if limit is not None else (available or bench.default_size)
    if available is not None:
        n = min(n, available)
    if n <= 0:
        raise UserError(f"--limit must be positive, got {limit}")
    return n


def _identity(
    bench: Benchmark, model: Any, options: RunOptions, provenance: dict[str, Any]
) -> dict[str, Any]:
    info = model.info
    return {
        "task": bench.task_id,
        "task_config": bench.config.model_dump(mode="json"),
        "task_provenance": provenance,
        "model": {
            "name": info.name,
            "revision": info.revision,
            "checkpoint_sha256": info.checkpoint_sha256,
            "params": info.params,
        },
        "base_seed": options.seed,
        "code": {"version": __version__, "source_sha256": source_sha256()},
    }


def _manifest(
    bench: Benchmark, model: Any, options: RunOptions, n: int, identity: dict[str, Any]
) -> dict[str, Any]:
    return {
        "created_at": now_iso(),
        "label": options.label or model.info.name,
        "model": model.info.to_json(),
        "task": {
            "id": bench.task_id,
            "version": bench.version,
            "type": bench.type_name or type(bench).__name__,
            "capability": bench.capability.value,
            "main_metric": bench.main_metric,
            "config": bench.config.model_dump(mode="json"),
            "provenance": identity["task_provenance"],
        },
        "seeds": {
            "base_seed": options.seed,
            "derivation": "sha256(f'{task}|{index}|{base_seed}')[:4] little-endian & 0x7fffffff",
        },
        "plan": {"n": n, "batch_size": options.batch_size, "workers": options.workers},
        "code": {"version": __version__, "source_sha256": source_sha256(), **git_info()},
        "packages": package_versions(),
        "environment": environment(),
        "argv": sys.argv,
    }


def _progress(total: int, initial: int, desc: str, enabled: bool) -> Any:
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="sample",
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        mininterval=0.5,
    )


def compute_metrics(bench: Benchmark, run: RunDir, n: int, model_name: str) -> dict[str, Any]:
    """Aggregate the run's records (index < n, in index order) into the metrics.json dict."""
    rows = sorted(
        (r for r in run.records() if r.get("index", 0) < n), key=lambda r: r.get("index", 0)
    )
    # The bootstrap seed is fixed per task so identical records always give identical CIs.
    metric_seed = derive_seed(bench.task_id, -1, 0)
    metrics: dict[str, MetricValue] = aggregate(bench.metric_specs, rows, seed=metric_seed)
    metrics.update(bench.corpus_metrics(rows))
    return {
        "task": bench.task_id,
        "task_version": bench.version,
        "model": model_name,
        "main_metric": bench.main_metric,
        "n_samples": len(rows),
        "n_errors": sum(1 for r in rows if r.get("error") is not None),
        "metrics": metrics_json(bench.metric_specs, metrics),
        "schema_version": SCHEMA_VERSION,
    }


def run_task(
    model: Any,
    task_id: str,
    options: RunOptions,
    limit: int | None = None,
    executor: Any = None,
    model_spec: tuple[str, dict[str, Any]] | None = None,
) -> TaskRun:
    """Evaluate one loaded model on one task, resuming its run directory if present.

    Args:
        model: A model instance (see :mod:`cosmos3_eval.api.model`).
        task_id: Task id or task-file path.
        options: Run options.
        limit: Overrides ``options.limit`` (suites set it per task).
        executor: A :class:`~cosmos3_eval.engine.executors.Executor` for non-local execution.
        model_spec: (registry name, args) from which workers rebuild the model.

    Raises:
        UserError: Unknown task, bad config, capability missing, incompatible run directory.
        RunFailed: The error budget was exceeded.
    """
    started = time.perf_counter()
    bench = load_benchmark(task_id)
    try:
        if bench.capability not in capabilities(model):
            raise UserError(
                f"model '{model.info.name}' cannot {bench.capability.value} "
                f"(needed by {bench.task_id})"
            )
        bench.check_model(model)
        n = planned_size(bench, limit if limit is not None else options.limit)
        label = options.label or model.info.name
        run = RunDir(Path(options.out) / f"{_safe(label)}__{bench.task_id}")
        # Provenance can be costly (JsonlQA hashes its data file): computed once per run.
        identity = _identity(bench, model, options, bench.provenance())
        resumed = run.open(identity, _manifest(bench, model, options, n, identity))
        run.repair()
        done = run.completed_ids()
        planned_ids = {sample_id(bench.task_id, i) for i in range(n)}
        errors = sum(1 for i, err in done.items() if err and i in planned_ids)
        already = sum(1 for i in done if i in planned_ids)
        budget = error_budget(options, n)
        pending = (i for i in range(n) if sample_id(bench.task_id, i) not in done)
        notes = ["resumed"] if resumed and already else []
        if already < n:
            run.update_manifest(status="running", plan={**run.manifest()["plan"], "n": n})
        if executor is None:
            produce = static_records if isinstance(bench, StaticBenchmark) else closed_loop_records
            records = produce(bench, model, pending, options, run.artifacts)
        else:
            if model_spec is None:
                raise ValueError("a non-local executor needs model_spec")
            records = _executor_records(
                executor, bench, model_spec, options, pending, run.artifacts
            )
        n_new = 0
        failed_reason = None
        rule = _stopping_rule(bench, options, run, n)
        stopped = rule is not None and rule.reached()
        timings: list[dict[str, Any]] = []
        t_records = time.perf_counter()
        block = max(1, options.batch_size)
        with (
            SampleWriter(run.samples_path) as writer,
            _progress(n, already, bench.task_id, options.progress) as bar,
        ):
            for rec in [] if stopped else records:
                writer.append(rec)
                n_new += 1
                bar.update(1)
                timings.append({k: rec.get(k) for k in _COST_FIELDS})
                if rule is not None:
                    rule.add(rec)
                    if n_new % block == 0 and rule.reached():
                        stopped = True
                        break
                if rec.get("error") is not None:
                    errors += 1
                    if errors > budget:
                        failed_reason = (
                            f"{bench.task_id}: error budget exceeded ({errors} errors > "
                            f"--max-errors {budget}); last error: {rec['error']}"
                        )
                        break
        if failed_reason:
            run.update_manifest(status="failed", failure=failed_reason)
            raise RunFailed(failed_reason)
        close = getattr(records, "close", None)
        if stopped and callable(close):
            close()  # stop the producer now (a rollout closes its env workers)
        wall = time.perf_counter() - t_records
        if stopped:  # metrics over what ran: every record below the highest index written
            n = 1 + max((r.get("index", 0) for r in run.records()), default=-1)
        metrics = compute_metrics(bench, run, n, model.info.name)
        extra: dict[str, Any] = {}
        if rule is not None:
            extra["stopping"] = rule.section(stopped)
            metrics["stopping"] = extra["stopping"]
            main = metrics["metrics"].get(bench.main_metric)
            if main is not None:
                main["ci95"] = extra["stopping"]["confidence_sequence"]
        write_json_atomic(run.metrics_path, metrics)
        if n_new:
            wire = getattr(model, "wire", None) if executor is None else None
            extra["cost"] = cost_summary(
                timings, wall, options.workers, options.gpu_hour_cost, wire
            )
        run.update_manifest(
            **extra,
            status="complete",
            finished_at=now_iso(),
            n_samples=metrics["n_samples"],
            n_errors=metrics["n_errors"],
            samples_sha256=file_sha256(run.samples_path),
        )
        return TaskRun(
            task_id=bench.task_id,
            run_dir=run.path,
            metrics=metrics,
            n=n,
            n_new=n_new,
            n_errors=metrics["n_errors"],
            status="complete",
            seconds=time.perf_counter() - started,
            notes=notes,
        )
    finally:
        bench.close()


_COST_FIELDS = ("latency_s", "call_s", "sim_s", "model_calls")


def _stopping_rule(bench: Benchmark, options: RunOptions, run: RunDir, n: int) -> Any:
    """The ``--until`` rule fed with the records already on disk (``None``: no rule)."""
    if options.until_ci_width is None:
        return None
    spec = next((m for m in bench.metric_specs if m.name == bench.main_metric), None)
    rule = CiWidthRule(
        options.until_ci_width, bench.main_metric, spec.on_error if spec is not None else 0.0
    )
    for rec in run.records():
        if rec.get("index", 0) < n:
            rule.add(rec)
    return rule


def _executor_records(
    executor: Any,
    bench: Benchmark,
    model_spec: tuple[str, dict[str, Any]],
    options: RunOptions,
    pending: Iterator[int],
    artifacts: Path,
) -> Iterator[dict[str, Any]]:
    """Records from an executor's shards; the driver writes their media files."""
    job = Job(
        task_id=bench.task_id,
        model_name=model_spec[0],
        model_args=model_spec[1],
        options=options,
        task_dirs=os.environ.get("COSMOS3_EVAL_TASKS", ""),
    )
    # Static shards are model batches; episodes go one per shard for load balance.
    size = max(1, options.batch_size) if isinstance(bench, StaticBenchmark) else 1
    for result in executor.run(job, batched(pending, size)):
        for name, data in result.files.items():
            tmp = artifacts / f".{name}.part"
            tmp.write_bytes(data)
            os.replace(tmp, artifacts / name)
        yield from result.records


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in label)


def evaluate(
    model_name: str,
    model_args: dict[str, Any] | None,
    tasks: list[tuple[str, int | None]],
    options: RunOptions,
    skip_unsupported: bool = False,
) -> list[TaskRun]:
    """Evaluate a registered model on tasks.

    Args:
        model_name: Registry name (``random``, ``oracle``, ``openai``, ...).
        model_args: Keyword args for the model factory.
        tasks: (task id, per-task limit or ``None``) pairs.
        options: Run options.
        skip_unsupported: Skip (with a note) tasks whose capability the model lacks, instead
            of failing (suites mix families).

    Returns:
        One :class:`TaskRun` per task run.
    """
    # Validate every task name before the (possibly slow) model loads.
    for task_id, _ in tasks:
        load_task_file(task_id)
    model = create_model(model_name, model_args)
    if options.cache_dir is not None:
        model = CachedModel(model, options.cache_dir)
    if options.label is None:
        options = replace(options, label=model.info.name)
    executor = None
    if options.executor != "local":
        executor = make_executor(
            options.executor, options.workers, options.ray_address, options.model_placement
        )
    results = []
    try:
        caps = capabilities(model)
        for task_id, limit in tasks:
            tf, _ = load_task_file(task_id)
            cls = BENCHMARK_TYPES.load(tf.type)
            if skip_unsupported and cls.capability not in caps:
                print(
                    f"skipping {task_id}: model '{model.info.name}' cannot {cls.capability.value}",
                    file=sys.stderr,
                )
                continue
            results.append(
                run_task(model, task_id, options, limit, executor, (model_name, model_args or {}))
            )
    finally:
        if executor is not None:
            executor.close()
        stats = getattr(model, "stats", None)
        if callable(stats) and results:
            results[-1].notes.append(f"cache: {stats()}")
        close_model(model)
    return results
