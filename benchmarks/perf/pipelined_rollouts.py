"""Pipelined vs lockstep closed-loop rollouts with a stand-in model of fixed latency per batch.

    python benchmarks/perf/pipelined_rollouts.py [--workers 4] [--latencies 5,20,50,100]

The stand-in reads the cameras (so they are rendered, like a camera policy) and sleeps a fixed
time per ``act`` batch, as a GPU model behind a server would: the sleep releases the GIL. Per
task and latency it prints env steps/s in lockstep, pipelined (2 groups, ``--pipeline on``) and
``--pipeline auto`` (lockstep until simulation time per round exceeds model time), the speed-ups and
the model-busy fraction (time with an ``act`` call in flight / wall time). Model calls are
serialised (the default); ``--concurrent`` lets the two groups' calls overlap, as a server that
batches concurrent requests does. Clocks start at the first ``act`` call (worker start-up is
excluded; workers stay warm between settings).

``busy_at_equal_cost`` is the pipelined busy fraction at the latency where lockstep's model
share is closest to 1/2 (model time ~ simulation time). The machine is shared: compare ratios
within one run and repeat.
"""

from __future__ import annotations

import argparse
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
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--latencies", default="5,20,50,100", help="ms per act batch")
    ap.add_argument("--tasks", default="push-block,lift")
    ap.add_argument("--concurrent", action="store_true", help="let the groups' calls overlap")
    ap.add_argument("--groups", type=int, default=2, help="pipelined groups of env workers")
    args = ap.parse_args()
    w = args.workers
    benches = {
        "push-block": (
            PushBlockPolicy(
                "push-block-v1", PushBlockPolicy.Config(horizon=60), data_path("tasks")
            ),
            2 * w,
        ),
        "lift": (
            RobosuitePolicy(
                "robosuite-lift-v1",
                RobosuitePolicy.Config(task="Lift", horizon=30, image_size=64),
                None,
            ),
            w,
        ),
    }
    best, equal = 0.0, (9.0, 0.0)  # (|lockstep model share - 1/2|, pipelined busy)
    g = args.groups
    conc = g if args.concurrent else 1  # a server that overlaps calls takes one per group
    print(f"workers={w}, {g} groups, model calls {'concurrent' if args.concurrent else 'serial'}")
    print(
        "| task | ms/batch | lockstep steps/s | pipelined (on) steps/s | speed-up "
        "| auto steps/s | auto speed-up | busy lock | busy on |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.tasks.split(","):
        bench, episodes = benches[name]
        try:
            measure(bench, w, w, 0.0, 1, False)  # start and warm the workers
            for ms in (float(x) for x in args.latencies.split(",")):
                lock, busy_l = measure(bench, w, episodes, ms / 1e3, 1, conc)
                pipe, busy_p = measure(bench, w, episodes, ms / 1e3, g, conc)
                auto, _ = measure(bench, w, episodes, ms / 1e3, g, conc, True)
                best = max(best, pipe / lock)
                if abs(busy_l - 0.5) < equal[0]:
                    equal = (abs(busy_l - 0.5), busy_p)
                print(
                    f"| {name} | {ms:.0f} | {lock:.1f} | {pipe:.1f} | {pipe / lock:.2f}x "
                    f"| {auto:.1f} | {auto / lock:.2f}x | {busy_l:.2f} | {busy_p:.2f} |",
                    flush=True,
                )
        finally:
            bench.close()
    print(f"best_speedup={best:.2f} busy_at_equal_cost={equal[1]:.2f}")


if __name__ == "__main__":
    main()
