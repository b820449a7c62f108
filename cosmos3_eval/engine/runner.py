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
from typing import Any, Protocol

from tqdm import tqdm

from cosmos3_eval.api.benchmark import Benchmark, StaticBenchmark, sample_id
from cosmos3_eval.api.model import capabilities, close_model
from cosmos3_eval.api.records import TIMING_FIELDS
from cosmos3_eval.api.registry import MODELS
from cosmos3_eval.engine.cache import CachedModel
from cosmos3_eval.engine.executors import Job, make_executor
from cosmos3_eval.engine.factory import check_model_contract, check_privilege, create_model
from cosmos3_eval.engine.fingerprint import run_identity
from cosmos3_eval.engine.loops import batched, closed_loop_records, static_records
from cosmos3_eval.engine.manifest import build_manifest, compute_metrics
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.stopping import CiWidthRule
from cosmos3_eval.engine.tasks import benchmark_type, find_task_file, load_benchmark, load_task_file
from cosmos3_eval.errors import RunFailed, UserError, os_error_text, path_error
from cosmos3_eval.results.cost import cost_summary
from cosmos3_eval.results.jsonio import file_sha256, read_json, write_json_atomic
from cosmos3_eval.results.rundir import (
    RunDir,
    SampleWriter,
    move_aside,
    now_iso,
)


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
        inner = model.model if isinstance(model, CachedModel) else model
        privileged = check_privilege(inner, model_spec[0] if model_spec else None)
        n = planned_size(bench, limit if limit is not None else options.limit)
        label = options.label or model.info.name
        run = RunDir(Path(options.out) / f"{_safe(label)}__{bench.task_id}")
        target = (
            MODELS.target(model_spec[0])
            if model_spec
            else f"{type(inner).__module__}:{type(inner).__qualname__}"
        )
        # Provenance and asset hashes can be costly: computed once per run.
        identity = run_identity(
            bench, inner, options, bench.provenance(), find_task_file(task_id), target
        )
        manifest = build_manifest(bench, model, options, n, identity, privileged)
        if options.restart and run.exists():
            moved = move_aside(run.path)
            print(f"--restart: moved the old run {run.path} to {moved}", file=sys.stderr)
        try:
            # One writer per run directory: a second identical command is refused, never
            # interleaved (duplicate records, racing metrics.json).
            with run.lock():
                return _run_locked(
                    bench, model, run, n, identity, manifest, options, executor, model_spec, started
                )
        except OSError as exc:  # before the first record: the path is the user's to fix
            raise path_error(exc, "run directory") from exc
    finally:
        bench.close()


def _run_locked(
    bench: Benchmark,
    model: Any,
    run: RunDir,
    n: int,
    identity: dict[str, Any],
    manifest: dict[str, Any],
    options: RunOptions,
    executor: Any,
    model_spec: tuple[str, dict[str, Any]] | None,
    started: float,
) -> TaskRun:
    """The body of :func:`run_task` while holding the run directory's lock."""
    resumed = run.open(identity, manifest)
    old = run.manifest()
    if (
        old.get("status") == "complete"
        and old.get("plan", {}).get("n") == n
        and old.get("samples_sha256") == file_sha256(run.samples_path)
        and run.metrics_path.is_file()
    ):
        # An identical rerun of a finished (and untouched) run leaves every byte of it alone.
        metrics = read_json(run.metrics_path)
        return TaskRun(bench.task_id, run.path, metrics, n, 0, metrics["n_errors"], "complete",
                       time.perf_counter() - started, ["already complete"])  # fmt: skip
    run.repair()
    # Records whose media failed (e.g. a full disk) are redone, so the resumed directory
    # equals an uninterrupted run's.
    run.drop_artifact_errors()
    done = run.completed_ids()
    planned_ids = {sample_id(bench.task_id, i) for i in range(n)}
    errors = sum(1 for i, err in done.items() if err and i in planned_ids)
    already = sum(1 for i in done if i in planned_ids)
    budget = error_budget(options, n)
    pending = (i for i in range(n) if sample_id(bench.task_id, i) not in done)
    notes = ["resumed"] if resumed and already else []
    if already < n:
        run.update_manifest(status="running", plan={**old["plan"], "n": n})
    n_new = 0
    try:
        if executor is None:
            produce = static_records if isinstance(bench, StaticBenchmark) else closed_loop_records
            records = produce(bench, model, pending, options, run.artifacts)
        else:
            if model_spec is None:
                raise ValueError("a non-local executor needs model_spec")
            records = _executor_records(
                executor, bench, model_spec, options, pending, run.artifacts
            )
        failed_reason = None
        rule = _stopping_rule(bench, options, run, n)
        stopped = rule is not None and rule.reached()
        timings: list[dict[str, Any]] = []
        wire_before = _wire(model) if executor is None else None
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
            wire_after = _wire(model) if wire_before is not None else None
            wire = (
                {k: wire_after[k] - wire_before[k] for k in ("sent", "received")}
                if wire_before is not None and wire_after is not None
                else None
            )
            extra["cost"] = cost_summary(
                timings, wall, options.workers, options.gpu_hour_cost, wire
            )
        run.complete(
            **extra,
            finished_at=now_iso(),
            n_samples=metrics["n_samples"],
            n_errors=metrics["n_errors"],
        )
    except RunFailed as exc:
        _mark(run, "failed", str(exc))
        raise
    except OSError as exc:  # mid-run (a full disk): resumable once the cause is fixed
        where = os_error_text(exc) if exc.filename else f"{run.path}: {os_error_text(exc)}"
        reason = f"{bench.task_id}: cannot write {where} (fix it and rerun to resume)"
        _mark(run, "failed", reason)
        raise RunFailed(reason) from exc
    except KeyboardInterrupt:
        _mark(run, "failed", "interrupted by the user (rerun the command to resume)")
        raise
    except BaseException as exc:
        # Whatever else stops the run, the manifest must never say "running" afterwards.
        _mark(run, "failed", f"{type(exc).__name__}: {exc}")
        raise
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


def _wire(model: Any) -> dict[str, int] | None:
    """Wire bytes so far of a network adapter (``model.wire``, see ``api/wire.py``)."""
    inner = model.model if isinstance(model, CachedModel) else model
    counter = getattr(inner, "wire", None)
    return counter.snapshot() if counter is not None else None


def _mark(run: RunDir, status: str, reason: str) -> None:
    """Record why the run stopped; on a full disk at least the status (never "running")."""
    try:
        run.update_manifest(status=status, failure=reason)
    except OSError:
        try:
            run.set_status_in_place(status)
        except OSError:
            pass


_COST_FIELDS = (*TIMING_FIELDS, "model_calls")


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


class RunListener(Protocol):
    """Told as each task of :func:`evaluate` starts and finishes (the CLI prints progress)."""

    def task_started(self, k: int, planned: list[tuple[str, int | None]]) -> None:
        """Task ``k`` (1-based) of the planned (task, limit) pairs is about to run."""

    def task_finished(self, run: TaskRun) -> None:
        """A task finished; its metrics are written."""


def evaluate(
    model_name: str | Any,
    model_args: dict[str, Any] | None,
    tasks: list[tuple[str, int | None]],
    options: RunOptions,
    skip_unsupported: bool = False,
    listener: RunListener | None = None,
) -> list[TaskRun]:
    """Evaluate a model on tasks.

    Args:
        model_name: Registry name (``random``, ``openai``, ...), ``module:attr``,
            ``path/to/file.py:attr``, or a model instance (local executor only).
        model_args: Keyword args for the model factory (names only).
        tasks: (task id, per-task limit or ``None``) pairs.
        options: Run options.
        skip_unsupported: Skip (with a note) tasks whose capability the model lacks, instead
            of failing (suites mix families).
        listener: Told as each task starts and finishes.

    Returns:
        One :class:`TaskRun` per task run.
    """
    # Validate every task name before the (possibly slow) model loads.
    for task_id, _ in tasks:
        tf, path = load_task_file(task_id)
        benchmark_type(tf.type, path)
    if isinstance(model_name, str):
        model = create_model(model_name, model_args)
        spec: tuple[str, dict[str, Any]] | None = (model_name, model_args or {})
    else:
        model, spec = model_name, None
        check_model_contract(model, type(model).__name__)
        if options.executor != "local":
            raise UserError(
                f"--executor {options.executor} rebuilds the model in each worker: give the "
                "model as a name or 'module:attr', not an instance"
            )
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
        planned = []
        for task_id, limit in tasks:
            tf, path = load_task_file(task_id)
            cls = benchmark_type(tf.type, path)
            if skip_unsupported and cls.capability not in caps:
                print(
                    f"skipping {task_id}: model '{model.info.name}' cannot {cls.capability.value}",
                    file=sys.stderr,
                )
                continue
            planned.append((task_id, limit))
        for k, (task_id, limit) in enumerate(planned, 1):
            if listener is not None:
                listener.task_started(k, planned)
            run = run_task(model, task_id, options, limit, executor, spec)
            results.append(run)
            if listener is not None:
                listener.task_finished(run)
    finally:
        if executor is not None:
            executor.close()
        stats = getattr(model, "stats", None)
        if callable(stats) and results:
            results[-1].notes.append(f"cache: {stats()}")
        if spec is not None:  # an instance belongs to the caller, who may use it again
            close_model(model)
    return results
