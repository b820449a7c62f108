"""Pipelined vs lockstep closed-loop rollouts with a stand-in model of fixed latency per batch.

    python benchmarks/perf/pipelined_rollouts.py [--workers CORES] [--latencies 5,20,50,100]
        [--tasks push-block,lift] [--waves 4] [--groups 2] [--concurrent]

The stand-in reads the cameras (so they are rendered, like a camera policy) and sleeps a fixed
time per ``act`` batch, as a GPU model behind a server would: the sleep releases the GIL. Per
task and latency it prints env steps/s for:

* ``lock W``: lockstep on ``--workers`` envs (one batch of W per round), the baseline;
* ``lock 2W``: lockstep on twice the envs (one batch of 2W): as many envs as pipelining keeps,
  in one call; with a fixed cost per batch, bigger batches are free until simulation dominates;
* ``on``: pipelined (``--pipeline on``): two groups of W envs, each group's batch served while
  the other steps;
* ``auto``: ``--pipeline auto``, lockstep until the measured rounds predict a gain;

the speed-up of ``on`` and ``auto`` over ``lock W`` and of ``on`` over ``lock 2W``, and the
model-busy fraction (time with an ``act`` call in flight / wall time). Model calls are
serialised (the default); ``--concurrent`` lets the groups' calls overlap. Clocks start at the
first ``act`` call (worker start-up is excluded; workers stay warm between settings).

``best_speedup`` is the best ``on / lock W``; ``busy_at_equal_cost`` is the pipelined busy
fraction at the latency where lockstep's model share is closest to 1/2 (model ~ simulation
time). The line before it gives the best ``on / lock 2W`` and the lowest pipelined busy fraction
where the model is the bottleneck (lockstep's model share over 1/2). The machine is shared:
compare ratios within one run and repeat.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from cosmos3_eval.api.benchmark import RolloutContext, derive_seed
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.benchmarks.policy import PushBlockPolicy, RobosuitePolicy
from cosmos3_eval.engine.rollout import rollout
from cosmos3_eval.models.policy_baselines import ZeroModel


class FixedLatency(ZeroModel):
    """Zero chunks after a fixed sleep per batch; records when calls are in flight."""

    reads_images = True

    def __init__(self, latency_s: float, concurrent: int):
        super().__init__(1)
        self.latency_s = latency_s
        self.max_concurrent_calls = max(1, concurrent)
        self.lock = threading.Lock()
        self.inflight = 0
        self.busy = 0.0
        self.since = 0.0
        self.first: float | None = None

    def act(self, requests):
        with self.lock:
            now = time.perf_counter()
            self.first = self.first or now
            if self.inflight == 0:
                self.since = now
            self.inflight += 1
        time.sleep(self.latency_s)
        with self.lock:
            self.inflight -= 1
            if self.inflight == 0:
                self.busy += time.perf_counter() - self.since
        return super().act(requests)


def measure(bench, workers, episodes, latency, groups, concurrent, adaptive=False):
    """(steps/s, busy fraction) of one rollout."""
    model = FixedLatency(latency, concurrent)
    eps = [bench.episode(i, derive_seed(bench.task_id, i, 0)) for i in range(episodes)]
    ctx = RolloutContext(workers=workers, pipeline_groups=groups, pipeline_adaptive=adaptive)
    recs = list(rollout(bench, model, eps, ctx))
    wall = time.perf_counter() - model.first
    assert not any(r["error"] for r in recs), [r["error"] for r in recs]
    return sum(r["steps"] for r in recs) / wall, model.busy / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="env processes per group"
    )
    ap.add_argument("--latencies", default="5,20,50,100", help="ms per act batch")
    ap.add_argument("--tasks", default="push-block,lift")
    ap.add_argument("--concurrent", action="store_true", help="let the groups' calls overlap")
    ap.add_argument("--groups", type=int, default=2, help="pipelined groups of env workers")
    ap.add_argument(
        "--waves",
        type=int,
        default=4,
        help="episodes per env in flight when pipelined (more: closer to the steady state; the "
        "last wave runs with nothing to overlap)",
    )
    args = ap.parse_args()
    w, g = args.workers, args.groups
    benches = {
        "push-block": (
            PushBlockPolicy(
                "push-block-v1", PushBlockPolicy.Config(horizon=60), data_path("tasks")
            ),
            args.waves * g * w,
        ),
        "lift": (
            RobosuitePolicy(
                "robosuite-lift-v1",
                RobosuitePolicy.Config(task="Lift", horizon=30, image_size=64),
                None,
            ),
            args.waves * g * w,
        ),
    }
    best, best_same, min_busy = 0.0, 0.0, 1.0
    equal = (9.0, 0.0)  # (|lockstep model share - 1/2|, pipelined busy)
    conc = g if args.concurrent else 1  # a server that overlaps calls takes one per group
    print(f"{w} envs per group, {g} groups, model calls {'concurrent' if conc > 1 else 'serial'}")
    print(
        "| task | ms/batch | lock W | lock 2W | on | auto | on / lock W | auto / lock W "
        "| on / lock 2W | busy lock W | busy on |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.tasks.split(","):
        bench, episodes = benches[name]
        try:
            measure(bench, g * w, g * w, 0.0, 1, 1)  # start and warm every worker
            for ms in (float(x) for x in args.latencies.split(",")):
                lock, busy_l = measure(bench, w, episodes, ms / 1e3, 1, conc)
                lock2, _ = measure(bench, g * w, episodes, ms / 1e3, 1, conc)
                pipe, busy_p = measure(bench, w, episodes, ms / 1e3, g, conc)
                auto, _ = measure(bench, w, episodes, ms / 1e3, g, conc, True)
                best, best_same = max(best, pipe / lock), max(best_same, pipe / lock2)
                if abs(busy_l - 0.5) < equal[0]:
                    equal = (abs(busy_l - 0.5), busy_p)
                if busy_l > 0.5:
                    min_busy = min(min_busy, busy_p)
                print(
                    f"| {name} | {ms:.0f} | {lock:.1f} | {lock2:.1f} | {pipe:.1f} | {auto:.1f} "
                    f"| {pipe / lock:.2f}x | {auto / lock:.2f}x | {pipe / lock2:.2f}x "
                    f"| {busy_l:.2f} | {busy_p:.2f} |",
                    flush=True,
                )
        finally:
            bench.close()
    print(f"best_vs_lock_2w={best_same:.2f} min_busy_model_bound={min_busy:.2f}")
    print(f"best_speedup={best:.2f} busy_at_equal_cost={equal[1]:.2f}")


if __name__ == "__main__":
    main()
