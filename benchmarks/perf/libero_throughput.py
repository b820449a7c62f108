"""LIBERO closed-loop throughput: the harness against a raw loop of LIBERO's own env, both in
the isolated 'libero' sim env and measured in the same run.

    python benchmarks/perf/libero_throughput.py [--steps 60] [--size 128]

(a) raw: LIBERO's ``OffScreenRenderEnv`` (its reference render settings, both cameras rendered
    as observations every step), ``env.step(zeros)`` in a plain loop, under the sim env's
    interpreter with the workers' environment (headless GL, one llvmpipe thread); plus the time
    to make the env and to reset it to an init state;
(b) harness: the rollout engine, zero policy reading images, chunk 1, 1 worker, the same
    suite / task / size / render settings (``render=reference``); b/a (target >= 0.9);
(c) harness with the fast render settings (no shadows / reflections / multisampling): c/b.

Harness clocks start at the first act() call (worker start-up, make, reset and the 10 warm-up
steps are excluded, as they are from the raw loop). The machine is shared: run it on an idle
machine for the targets. The last line is a ``key=value`` summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

from cosmos3_eval.api.benchmark import RolloutContext
from cosmos3_eval.benchmarks.libero import LiberoPolicy
from cosmos3_eval.engine.rollout import rollout
from cosmos3_eval.models.policy_baselines import ZeroModel
from cosmos3_eval.sim.isolated import require_python, sim_env_vars

SUITE, TASK = "libero_object", 0

RAW = r"""
import contextlib, io, json, os, sys, time
import numpy as np
state = os.environ.get("COSMOS3_EVAL_STATE_DIR", os.path.expanduser("~/.cache/cosmos3-eval"))
os.environ.setdefault("LIBERO_CONFIG_PATH", os.path.join(state, "libero-config"))
with contextlib.redirect_stdout(io.StringIO()):
    from libero.libero import benchmark, get_libero_path
    from libero.libero.envs import OffScreenRenderEnv
    bench = benchmark.get_benchmark_dict()[sys.argv[1]]()
task = bench.get_task(int(sys.argv[2]))
bddl = os.path.join(get_libero_path("bddl_files"), task.problem_folder, task.bddl_file)
init = bench.get_task_init_states(int(sys.argv[2]))
size, steps = int(sys.argv[3]), int(sys.argv[4])
t = time.perf_counter()
env = OffScreenRenderEnv(bddl_file_name=bddl, camera_heights=size, camera_widths=size)
env.seed(0)
make_s = time.perf_counter() - t
t = time.perf_counter()
env.reset()
env.set_init_state(init[0])
reset_s = time.perf_counter() - t
for _ in range(10):  # the protocol's warm-up, as in the harness
    env.step(np.array([0, 0, 0, 0, 0, 0, -1.0]))
t = time.perf_counter()
for _ in range(steps):
    obs, _, _, _ = env.step(np.zeros(7))
rate = steps / (time.perf_counter() - t)
assert obs["agentview_image"].shape == (size, size, 3)
print(json.dumps({"make_s": make_s, "reset_s": reset_s, "raw_steps_s": rate}))
os._exit(0)
"""


class CountingZero(ZeroModel):
    """The zero policy, reading images (so the cameras are rendered), with a start clock."""

    reads_images = True

    def __init__(self) -> None:
        super().__init__(1)
        self.first_call: float | None = None

    def act(self, requests):
        if self.first_call is None:
            self.first_call = time.perf_counter()
        return super().act(requests)


def raw(size: int, steps: int) -> dict[str, float]:
    """The raw loop in the sim env's interpreter (one JSON line back)."""
    out = subprocess.run(
        [require_python("libero"), "-c", RAW, SUITE, str(TASK), str(size), str(steps)],
        capture_output=True,
        text=True,
        env=sim_env_vars(),
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def harness(size: int, steps: int, render: str) -> float:
    """Harness steps/s on one episode of ``steps`` policy steps."""
    cfg = LiberoPolicy.Config(
        suite=SUITE,
        task_ids=[TASK],
        episodes_per_task=1,
        image_size=size,
        render=render,
        horizon=steps + 10,
    )
    bench = LiberoPolicy("libero-perf-v1", cfg, None)
    model = CountingZero()
    recs = list(rollout(bench, model, [bench.episode(0, 0)], RolloutContext(workers=1)))
    assert model.first_call is not None
    wall = time.perf_counter() - model.first_call
    assert not recs[0]["error"], recs[0]["error"]
    return recs[0]["steps"] / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60, help="policy steps per measurement")
    ap.add_argument("--size", type=int, default=128, help="camera size (reference client: 256)")
    args = ap.parse_args()
    a = raw(args.size, args.steps)
    b = harness(args.size, args.steps, "reference")
    c = harness(args.size, args.steps, "fast")
    print(
        f"(a) raw OffScreenRenderEnv, 2 cameras {args.size}px every step: "
        f"{a['raw_steps_s']:6.2f} steps/s; make {a['make_s']:.2f} s, reset {a['reset_s']:.2f} s"
    )
    print(
        f"(b) harness, render=reference: {b:6.2f} steps/s   b/a = {b / a['raw_steps_s']:.2f}"
        "  (target >= 0.9)"
    )
    print(f"(c) harness, render=fast:      {c:6.2f} steps/s   c/b = {c / b:.2f}x")
    print(
        f"harness_over_raw={b / a['raw_steps_s']:.3f} fast_over_reference={c / b:.3f} "
        f"raw_steps_s={a['raw_steps_s']:.2f} harness_steps_s={b:.2f} fast_steps_s={c:.2f} "
        f"make_s={a['make_s']:.2f} reset_s={a['reset_s']:.2f}"
    )


if __name__ == "__main__":
    main()
