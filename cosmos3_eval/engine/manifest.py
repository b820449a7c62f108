"""What a run writes besides its records: the manifest and the metrics computed from the records."""

from __future__ import annotations

import sys
from typing import Any

from cosmos3_eval import __version__
from cosmos3_eval.api.benchmark import Benchmark, derive_seed
from cosmos3_eval.api.metrics import MetricValue, metrics_json
from cosmos3_eval.api.redact import redact_argv
from cosmos3_eval.api.seal import SEAL_SCHEME
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.profile import reproduction_profile
from cosmos3_eval.results.provenance import environment, git_info, package_versions
from cosmos3_eval.results.rundir import (
    SCHEMA_VERSION,
    RunDir,
    now_iso,
    source_sha256,
)
from cosmos3_eval.scorers.aggregate import aggregate


def build_manifest(
    bench: Benchmark,
    model: Any,
    options: RunOptions,
    n: int,
    identity: dict[str, Any],
    privileged: bool,
) -> dict[str, Any]:
    """The manifest of a new run: identity, task, seeds, privilege, seal, code, environment.

    Args:
        bench: The benchmark.
        model: The model (its ``ModelInfo`` is written).
        options: Run options.
        n: Planned number of samples / episodes.
        identity: The run's fingerprinted identity.
        privileged: Whether the model is a granted reference (oracle).
    """
    seal = options.seal
    derivation = (
        "sha256(f'{task}|{index}|{base_seed}')[:4] little-endian & 0x7fffffff"
        if seal is None
        else "hmac-sha256(secret, f'generate|{task}|{index}|{base_seed}')[:4] & 0x7fffffff"
    )
    manifest = {
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
        "seeds": {"base_seed": options.seed, "derivation": derivation},
        # Reference rows (oracles) are marked so leaderboards never rank them with models.
        "privileged": privileged,
        "seal": None if seal is None else {"commitment": seal.commitment, "scheme": SEAL_SCHEME},
        "plan": {"n": n, "batch_size": options.batch_size, "workers": options.workers},
        "code": {"version": __version__, "source_sha256": source_sha256(), **git_info()},
        "packages": package_versions(),
        "environment": environment(),
        "argv": redact_argv(sys.argv),  # a key in a --model-args URL must not be written
    }
    # What must match for two runs' scores to be compared (``compare`` refuses otherwise).
    manifest["profile"] = reproduction_profile(model, manifest)
    return manifest


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
