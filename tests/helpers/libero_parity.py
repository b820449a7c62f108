"""Parity of cosmos3-eval's LIBERO env with the package's own OffScreenRenderEnv.

Run under the LIBERO interpreter: ``<libero python> libero_parity.py SUITE TASK INIT STEPS``.
Same init state -> are the initial camera frames byte-identical, and after replaying the same
seeded action sequence, are the success flags and the final sim state equal? Prints one JSON
line.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np

ENV_FILE = Path(__file__).resolve().parents[2] / "cosmos3_eval" / "sim" / "envs" / "libero.py"


def main() -> None:
    suite, task, init, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    spec = importlib.util.spec_from_file_location("c3e_libero", ENV_FILE)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["c3e_libero"] = mod
    spec.loader.exec_module(mod)
    _, _, offscreen_env = mod._quiet_imports()
    _, bddl, inits = mod.load_task(suite, task)
    size = 128
    ref = offscreen_env(bddl_file_name=bddl, camera_heights=size, camera_widths=size)
    ref.seed(0)
    ref.reset()
    ref_obs = ref.set_init_state(inits[init])
    ours = mod.LiberoEnv(suite, [task], image_size=size, render="reference", warmup_steps=0)
    ours.reset(init)
    obs = ours.observe(images=True)
    same_img = {c: bool(np.array_equal(ref_obs[f"{c}_image"], obs.images[c])) for c in mod.CAMERAS}
    rng = np.random.default_rng(0)
    ref_succ, our_succ = [], []
    for _ in range(steps):
        a = rng.uniform(-1, 1, 7)
        _, _, done, _ = ref.step(a)
        ref_succ.append(bool(ref.check_success()))
        our_succ.append(ours.sim_step(a).success)
    same_state = bool(np.array_equal(ref.get_sim_state(), ours.env.get_sim_state()))
    print(
        json.dumps(
            {
                "suite": suite,
                "task": task,
                "init": init,
                "images_identical": same_img,
                "success_flags_equal": ref_succ == our_succ,
                "any_success": any(ref_succ),
                "final_state_identical": same_state,
                "steps": steps,
            }
        )
    )
    os._exit(0)  # skip robosuite's EGL teardown noise


if __name__ == "__main__":
    main()
