"""Export of closed-loop tasks: oracle demonstrations as a robomimic-style HDF5 file.

Why not LeRobot: ``lerobot`` 0.4.4 (the current release) pins ``torch<2.11`` and
``datasets>=4`` among ~20 dependencies, so it does not install next to this project's torch;
robomimic's HDF5 layout needs only ``h5py`` (a dependency here) and is read by robomimic,
LIBERO, robosuite's tools and LeRobot's own converters.

Layout of ``demos.hdf5``::

    data/                         attrs: total (steps), env_args (JSON: task, env kind, kwargs)
      demo_<index>/               attrs: num_samples, seed, success, complete
        obs/<camera>              (T, S, S, 3) uint8, what the policy sees at each step
        obs/<proprio key>         (T, d) float32
        actions                   (T, action_dim) float32 (the expert's, clipped to the spec)
        actions_executed          (T, action_dim) float32, only with ``noise > 0`` (see below)
        rewards, dones            (T,) float32 / uint8

DART noise injection (``noise > 0``, Laskey et al. 2017, "DART: Noise Injection for Robust
Imitation Learning"): the action *executed* at each step is the expert's plus Gaussian noise
(std ``noise`` per dimension, in action units, clipped to the spec), while ``actions`` keeps the
clean expert action *on the visited state*. The demos then visit the states a slightly wrong
policy drifts into, labelled with how the expert recovers from them: behaviour cloning sees
its own compounding errors corrected. The noise is drawn from a generator seeded by the
episode seed, so a demo is reproducible (and a resumed export identical to a one-shot one).

A demo is written whole and then flagged ``complete``; a rerun deletes incomplete demos and
writes only the missing ones. The same episodes the rollout engine would run: the env is
reset from :func:`~cosmos3_eval.api.benchmark.derive_seed` with ``split="train"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.engine.export.static import content_id
from cosmos3_eval.sim.envs.kinds import make_env


def episode_content_id(env: Any, seed: int) -> str:
    """Content id of an episode: its initial state as the policy sees it (proprio and camera)."""
    env.reset(seed=seed)
    obs = env.observe(images=True)
    return content_id(*[obs.proprio[k] for k in sorted(obs.proprio)],
                      *[obs.images[k] for k in sorted(obs.images)])  # fmt: skip


def record_demo(env: Any, seed: int, images: bool, noise: float = 0.0) -> dict[str, Any]:
    """Run the scripted expert for one episode; return its arrays and outcome.

    Args:
        env: A policy env with ``expert_action``.
        seed: Episode seed.
        images: Record camera images.
        noise: DART noise std (action units): execute ``clip(expert + N(0, noise^2))``, record
            the clean expert action as the label (and the executed one as ``actions_executed``).
    """
    spec = env.action_spec
    env.reset(seed=seed)
    rng = np.random.default_rng([seed, 0xDA27])
    obs_t: dict[str, list[np.ndarray]] = {}
    actions, executed, rewards, dones = [], [], [], []
    success = False
    while True:
        obs = env.observe(images=images)
        for k, v in {**obs.images, **obs.proprio}.items():
            obs_t.setdefault(k, []).append(np.asarray(v))
        a = np.clip(np.asarray(env.expert_action(), np.float32), spec.low, spec.high)
        x = a
        if noise > 0:
            x = np.clip(a + noise * rng.standard_normal(a.shape), spec.low, spec.high)
            x = x.astype(np.float32)
        r = env.sim_step(x)
        actions.append(a)
        executed.append(x)
        rewards.append(r.reward)
        dones.append(r.terminated or r.truncated)
        success = success or r.success
        if r.terminated or r.truncated:
            break
    out = {
        "obs": {k: np.stack(v) for k, v in obs_t.items()},
        "actions": np.stack(actions).astype(np.float32),
        "rewards": np.asarray(rewards, np.float32),
        "dones": np.asarray(dones, np.uint8),
        "success": success,
    }
    if noise > 0:
        out["actions_executed"] = np.stack(executed).astype(np.float32)
    return out


def export_policy(
    bench: Any,
    out: Path,
    n: int,
    base_seed: int,
    split: str,
    bar: Any,
    images: bool = True,
    noise: float = 0.0,
) -> int:
    """Write ``n`` oracle demonstrations of ``bench`` to ``out/demos.hdf5``; return how many new.

    Args:
        bench: A policy benchmark (``env_kind``, ``env_kwargs``).
        out: The task's export folder (created).
        n: Demos wanted in total (already complete ones count).
        base_seed: Base seed of the derivation.
        split: ``"train"`` or ``"eval"``.
        bar: A tqdm-like progress bar (``update``).
        images: Record camera images (else proprio only: much faster to write).
        noise: DART noise std on the executed action (0 = clean oracle demos).

    Raises:
        ValueError: ``noise`` is negative, or differs from the noise of demos already in the
            file (a resumed export would mix two datasets).
    """
    import h5py

    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")

    out.mkdir(parents=True, exist_ok=True)
    env = make_env(bench.env_kind, bench.env_kwargs())
    written = 0
    try:
        with h5py.File(out / "demos.hdf5", "a") as f:
            data = f.require_group("data")
            if len(data) and "env_args" in data.attrs:
                before = float(json.loads(data.attrs["env_args"]).get("noise", 0.0))
                if before != noise:
                    raise ValueError(
                        f"{out / 'demos.hdf5'} holds demos with noise {before}, not {noise}: "
                        "export to another folder"
                    )
            data.attrs["env_args"] = json.dumps(
                {
                    "task": bench.task_id,
                    "env_kind": bench.env_kind,
                    "kwargs": bench.env_kwargs(),
                    "split": split,
                    "base_seed": base_seed,
                    "images": images,
                    "noise": noise,
                }  # fmt: skip
            )
            for name in list(data):
                if not data[name].attrs.get("complete", False):
                    del data[name]  # torn by an interrupted export: rewritten below
            bar.update(len(data))
            for index in range(n):
                name = f"demo_{index}"
                if name in data:
                    continue
                seed = derive_seed(bench.task_id, index, base_seed, split=split)
                demo = record_demo(env, seed, images, noise)
                g = data.create_group(name)
                for k, v in demo["obs"].items():
                    comp = {"compression": "gzip", "compression_opts": 4} if v.ndim == 4 else {}
                    g.create_dataset(f"obs/{k}", data=v, **comp)
                for k in ("actions", "actions_executed", "rewards", "dones"):
                    if k in demo:
                        g.create_dataset(k, data=demo[k])
                g.attrs.update(
                    num_samples=len(demo["actions"]),
                    seed=seed,
                    index=index,
                    success=demo["success"],
                    content_id=episode_content_id(env, seed),
                )
                g.attrs["complete"] = True  # last: marks the demo whole  # fmt: skip
                f.flush()
                written += 1
                bar.update(1)
            data.attrs["total"] = int(sum(data[k].attrs["num_samples"] for k in data))
    finally:
        env.close()
    return written
