"""The sample loops: one record per static sample or closed-loop episode.

The runner drives them in-process; executor workers run the same functions on their shards,
so a record never depends on where it was produced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from cosmos3_eval.api.benchmark import (
    ClosedLoopBenchmark,
    RolloutContext,
    Sample,
    StaticBenchmark,
    derive_seed,
    score_values,
)
from cosmos3_eval.api.seal import seal_request
from cosmos3_eval.engine.guard import DISK_FULL, CallTimedOut, run_guarded
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.pipeline import pipeline_groups
from cosmos3_eval.engine.rollout import rollout
from cosmos3_eval.errors import ModelExited, UserError


def error_text(exc: BaseException) -> str:
    """The first line of ``TypeName: message`` (at most 500 chars) for a sample record."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


def batched(it: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of up to ``size`` items of ``it`` (lazily: pending ids stream)."""
    while batch := list(islice(it, size)):
        yield batch


def sample_seed(task_id: str, index: int, options: RunOptions) -> int:
    """The generation seed of sample ``index``: public in an open run, keyed when sealed."""
    if options.seal is None:
        return derive_seed(task_id, index, options.seed)
    return options.seal.seed(task_id, index, options.seed)


def static_records(
    bench: StaticBenchmark,
    model: Any,
    pending: Iterator[int],
    options: RunOptions,
    artifacts: Path,
) -> Iterator[dict[str, Any]]:
    """Yield one record per pending sample, in index order, batching model calls.

    This is the one sample loop of the suite; executors run it on shards in their workers.
    """
    privileged = bool(model.info.privileged)
    method = getattr(model, bench.capability.value)
    for indices in batched(pending, max(1, options.batch_size)):
        samples: list[Sample] = [
            bench.sample(i, sample_seed(bench.task_id, i, options)) for i in indices
        ]
        requests: list[Any] = []
        failed: dict[int, str] = {}
        for k, s in enumerate(samples):
            try:
                req = bench.request(s, privileged=privileged)
            except UserError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken sample is recorded, not fatal
                failed[k] = f"building the request failed: {error_text(exc)}"
                req = None
            if req is not None and not privileged and getattr(req, "privileged", None) is not None:
                raise AssertionError(f"{bench.task_id}: privileged data leaked to a non-oracle")
            requests.append(req)
        live = [k for k in range(len(samples)) if k not in failed]
        outputs: dict[int, Any] = {}
        t0 = time.perf_counter()
        if live:
            # The model sees sealed ids / seeds; scoring keeps the benchmark's own request.
            sent = [
                seal_request(options.seal, requests[k], samples[k].id, samples[k].seed)
                for k in live
            ]
            try:
                outputs = dict(
                    zip(
                        live,
                        run_guarded(
                            lambda batch=sent: bench.call_model(method, batch),
                            options.sample_timeout_s,
                            f"{bench.capability.value}()",
                        ),
                    )
                )
            except ModelExited:
                raise
            except CallTimedOut as exc:
                for k in live:
                    failed[k] = str(exc)
            except Exception as exc:  # noqa: BLE001 - the whole batch records the fault
                for k in live:
                    failed[k] = f"model raised {error_text(exc)}"
        call_s = time.perf_counter() - t0
        latency = call_s / max(1, len(live))
        for k, s in enumerate(samples):
            rec: dict[str, Any] = {
                "id": s.id,
                "index": s.index,
                "seed": s.seed,
                "category": s.category,
                "data": s.data,
                "scores": {},
                "error": None,
                "latency_s": round(latency, 6),
                "call_s": round(call_s, 6) if live else None,
            }
            if k not in failed and isinstance(outputs.get(k), BaseException):
                failed[k] = f"model returned an error: {error_text(outputs[k])}"
            if k in failed:
                rec["error"] = failed[k]
            else:
                try:
                    scored = bench.score(s, requests[k], outputs[k])
                    values, reasons = score_values(scored.scores)
                    rec.update(scores=values, reasons=reasons, output=scored.output)
                except Exception as exc:  # noqa: BLE001 - invalid output: recorded
                    rec["error"] = f"invalid output: {error_text(exc)}"
            if s.index < options.media and k in outputs and rec["error"] is None:
                try:
                    rec["artifact"] = bench.save_media(s, requests[k], outputs[k], artifacts)
                except Exception as exc:  # noqa: BLE001 - media is a side product
                    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
                        raise  # a full disk stops the run (resumable): no sample's fault
                    rec["artifact_error"] = error_text(exc)
            yield rec


def closed_loop_records(
    bench: ClosedLoopBenchmark,
    model: Any,
    pending: Iterator[int],
    options: RunOptions,
    artifacts: Path,
) -> Iterator[dict[str, Any]]:
    """Yield one record per pending episode (in completion order) from the rollout engine."""
    specs = [bench.episode(i, sample_seed(bench.task_id, i, options)) for i in pending]
    if not specs:
        return
    ctx = RolloutContext(
        workers=options.workers,
        batch_size=options.batch_size,
        replan_every=options.replan_every,
        video=options.media,
        artifacts_dir=artifacts,
        privileged=bool(model.info.privileged),
        episode_timeout_s=options.episode_timeout_s,
        seal=options.seal,
        pipeline_groups=pipeline_groups(options.pipeline),
        pipeline_adaptive=options.pipeline == "auto",
    )
    for rec in rollout(bench, model, specs, ctx):
        rec.setdefault("category", "all")
        rec.setdefault("scores", {})
        rec.setdefault("error", None)
        yield rec
