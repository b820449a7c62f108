"""Per-sample / per-episode cost of every task in one process, for capacity planning.

Runs each task of a suite with a baseline model (default: random, which reads no images, and
a camera-reading zero policy on the policy tasks) in-process and prints seconds per sample,
the number the scaling estimate in docs/scaling.md is built from.

    python benchmarks/perf/sample_costs.py [--suite quick] [--model random]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.engine.tasks import load_suite


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", default="quick")
    ap.add_argument("--model", default="random")
    args = ap.parse_args()
    suite = load_suite(args.suite)
    print(f"{'task':28s} {'n':>5s} {'s/sample':>9s} {'samples/s':>10s}")
    with tempfile.TemporaryDirectory() as tmp:
        for entry in suite.tasks:
            opts = RunOptions(out=Path(tmp), progress=False, label=f"{args.model}-{entry.task}")
            t0 = time.perf_counter()
            (run,) = evaluate(args.model, {}, [(entry.task, entry.limit)], opts)
            dt = time.perf_counter() - t0
            print(f"{entry.task:28s} {run.n:5d} {dt / run.n:9.3f} {run.n / dt:10.1f}")


if __name__ == "__main__":
    main()
