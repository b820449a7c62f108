"""Ray vs process-pool throughput on this machine, and Ray's per-task overhead.

Runs the same task (default physqa-sim-v1 with the random model) with --executor process and
--executor ray at the same worker count, in one process, and prints samples/s and the ratio.

    python benchmarks/perf/scale.py [--task physqa-sim-v1] [--n 96] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cosmos3_eval.engine.runner import RunOptions, evaluate


def timed_run(task: str, n: int, executor: str, workers: int, batch: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        opts = RunOptions(
            out=Path(tmp), progress=False, executor=executor, workers=workers, batch_size=batch,
            limit=n,
        )  # fmt: skip
        t0 = time.perf_counter()
        evaluate("random", {}, [(task, n)], opts)
        return n / (time.perf_counter() - t0)


def ray_task_overhead(rounds: int = 200) -> float:
    import ray

    @ray.remote
    def noop(x: int) -> int:
        return x

    ray.get([noop.remote(i) for i in range(10)])  # warm the workers
    t0 = time.perf_counter()
    for i in range(rounds):
        ray.get(noop.remote(i))
    return (time.perf_counter() - t0) / rounds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="physqa-sim-v1")
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    import ray

    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    local = timed_run(args.task, args.n, "local", 1, args.batch)
    # The first pool / actor start-up is included on purpose: it is what a user pays.
    proc = timed_run(args.task, args.n, "process", args.workers, args.batch)
    ray_rate = timed_run(args.task, args.n, "ray", args.workers, args.batch)
    overhead = ray_task_overhead()
    print(f"task {args.task}, n={args.n}, workers={args.workers}, batch={args.batch}")
    print(f"local (1 process):          {local:8.1f} samples/s")
    print(f"process pool:               {proc:8.1f} samples/s  ({proc / local:.2f}x local)")
    print(f"ray:                        {ray_rate:8.1f} samples/s  ({ray_rate / local:.2f}x local)")
    print(f"ray / process:              {ray_rate / proc:8.2f}")
    print(f"ray per-task round trip:    {overhead * 1e3:8.2f} ms")
    ray.shutdown()


if __name__ == "__main__":
    main()
