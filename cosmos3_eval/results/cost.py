"""Cost accounting: what a run spent, from its records' timing fields.

Every record carries ``latency_s`` (the model seconds charged to it: its share of each batched
call) and ``call_s`` (the full duration of its model calls: static, its one call; closed loop,
the mean of its ``act`` calls); closed-loop records also carry ``sim_s`` (seconds its env worker
simulated) and ``model_calls``. :func:`cost_summary` turns the records one invocation produced
into the ``cost`` section of the manifest (timing varies between identical runs, so it stays
out of ``metrics.json``, whose bytes a resumed run reproduces); :func:`cost_columns` gives the
leaderboard / report columns of a run directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def cost_summary(
    records: list[dict[str, Any]],
    wall_s: float,
    workers: int = 1,
    gpu_hour_cost: float | None = None,
    wire: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The ``cost`` section for ``records`` produced in ``wall_s`` seconds.

    Args:
        records: Sample / episode records of this invocation (resumed ones excluded).
        wall_s: Wall-clock seconds of producing them.
        workers: Env worker processes (the simulation share is per worker).
        gpu_hour_cost: Price of one model GPU hour; gives ``cost_per_sample``.
        wire: ``{"sent": bytes, "received": bytes}`` of a network adapter (``None``: in-process
            model or not measured, reported as ``"n/a"``).

    Returns:
        A JSON-safe dict: ``n``, ``wall_s``, ``samples_per_s``, ``latency_per_call_s``
        (``p50`` / ``p95``), ``calls_per_sample``, ``model_share`` and ``sim_share`` of wall
        time (``sim_share`` per worker; ``None`` for static tasks), ``model_s_per_sample``,
        ``bytes_sent`` / ``bytes_received`` and ``cost_per_sample`` (``None`` without a price).
    """
    n = len(records)
    model_s = [float(r.get("latency_s") or 0.0) for r in records]
    calls = [float(r["call_s"]) for r in records if r.get("call_s")]
    closed = [r for r in records if r.get("model_calls") is not None]
    if closed:
        per_sample = float(np.mean([r["model_calls"] for r in closed]))
    else:  # a static sample is 1 / batch of a call: latency share / call duration
        per_sample = sum(m / c for m, c in zip(model_s, calls) if c > 0) / max(1, n)
    wall = max(wall_s, 1e-9)
    sim = [float(r["sim_s"]) for r in records if r.get("sim_s") is not None]
    per_sample_model = sum(model_s) / n if n else 0.0
    return {
        "n": n,
        "wall_s": round(wall_s, 3),
        "samples_per_s": round(n / wall, 4),
        "latency_per_call_s": {
            "p50": round(float(np.percentile(calls, 50)), 6) if calls else None,
            "p95": round(float(np.percentile(calls, 95)), 6) if calls else None,
        },
        "calls_per_sample": round(per_sample, 4),
        "model_share": round(sum(model_s) / wall, 4),
        "sim_share": round(sum(sim) / wall / max(1, workers), 4) if sim else None,
        "model_s_per_sample": round(per_sample_model, 6),
        "bytes_sent": wire["sent"] if wire else "n/a",
        "bytes_received": wire["received"] if wire else "n/a",
        "gpu_hour_cost": gpu_hour_cost,
        "cost_per_sample": (
            round(per_sample_model * gpu_hour_cost / 3600.0, 8) if gpu_hour_cost else None
        ),
    }


def cost_columns(run: Path | str) -> dict[str, Any]:
    """Latency and cost columns of one run directory, for the leaderboard and the report.

    Args:
        run: A run directory (its ``manifest.json`` holds the ``cost`` section).

    Returns:
        ``latency_p50_s``, ``latency_p95_s``, ``samples_per_s``, ``cost_per_sample`` (each
        ``None`` when the run has no cost section, e.g. written by an older version).
    """
    try:
        cost = json.loads((Path(run) / "manifest.json").read_text()).get("cost") or {}
    except (OSError, ValueError):
        cost = {}
    lat = cost.get("latency_per_call_s") or {}
    return {
        "latency_p50_s": lat.get("p50"),
        "latency_p95_s": lat.get("p95"),
        "samples_per_s": cost.get("samples_per_s"),
        "cost_per_sample": cost.get("cost_per_sample"),
    }
