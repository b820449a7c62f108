"""``cosmos3-eval export``: formats, resumption and train / eval disjointness."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.benchmarks.qa_jsonl import JsonlQA, JsonlQAConfig
from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.export import export_task
from cosmos3_eval.engine.export.policy import episode_content_id
from cosmos3_eval.engine.export.static import static_content_id
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.sim.envs.kinds import make_env


def test_eval_seeds_unchanged_and_train_seeds_disjoint():
    # The eval derivation is byte-identical to the historical one (pinned values).
    assert derive_seed("physqa-sim-v1", 0, 0) == derive_seed("physqa-sim-v1", 0, 0, split="eval")
    import hashlib

    for task, i, b in [("push-block-v1", 7, 0), ("physqa-sim-v2", 123, 5)]:
        d = hashlib.sha256(f"{task}|{i}|{b}".encode()).digest()
        assert derive_seed(task, i, b) == int.from_bytes(d[:4], "little") & 0x7FFFFFFF
    train = {derive_seed("physqa-sim-v2", i, b, split="train") for i in range(2000) for b in (0, 1)}
    evals = {derive_seed("physqa-sim-v2", i, b) for i in range(2000) for b in (0, 1)}
    assert min(train) >= 2**31 > max(evals) and max(train) < 2**32
    with pytest.raises(ValueError, match="split"):
        derive_seed("x-v1", 0, 0, split="test")


def test_qa_export_loads_as_qa_jsonl_and_resumes(tmp_path: Path):
    r = export_task("physqa-sim-v2", tmp_path, 3, progress=False)
    folder = tmp_path / "physqa-sim-v2"
    assert (r.total, r.written) == (3, 3)
    bench = JsonlQA("exp-v1", JsonlQAConfig(data="data.jsonl", media_root="media"), folder)
    assert bench.num_samples() == 3
    index = [json.loads(x) for x in (folder / "index.jsonl").read_text().splitlines()]
    for i, rec in enumerate(index):
        s = bench.sample(i, 0)
        req = bench.request(s, privileged=False)
        assert req.images or req.video is not None
        assert rec["split"] == "train" and rec["seed"] >= 2**31
    # The exported answers are the generator's: an oracle over the file scores 100 %.
    gen = load_benchmark("physqa-sim-v2")
    for i, rec in enumerate(index):
        assert (
            gen.sample(rec["index"], rec["seed"]).data["answer"]
            == bench.sample(i, 0).data["answer"]
        )
    # Torn write: the last index line is cut mid-way; a rerun rewrites only that sample.
    before = (folder / "data.jsonl").read_text()
    raw = (folder / "index.jsonl").read_bytes()
    (folder / "index.jsonl").write_bytes(raw[: len(raw) - 20])
    r2 = export_task("physqa-sim-v2", tmp_path, 4, progress=False)
    assert r2.written == 2  # the torn sample and the new fourth one
    lines = (folder / "data.jsonl").read_text().splitlines()
    assert lines[:3] == before.splitlines() and len(lines) == 4  # sample 2 regenerated identically
    assert [json.loads(x)["index"] for x in (folder / "index.jsonl").read_text().splitlines()] \
        == [0, 1, 2, 3]  # fmt: skip


@pytest.mark.skipif(importlib.util.find_spec("datasets") is None, reason="datasets not installed")
def test_qa_export_loads_with_hf_datasets(tmp_path: Path):
    import datasets

    export_task("physqa-sim-v2", tmp_path, 2, progress=False)
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "physqa-sim-v2/data.jsonl"))
    assert len(ds["train"]) == 2


def test_policy_export_robomimic_layout_and_cli(tmp_path: Path, capsys):
    assert main(["export", "--tasks", "gym-reacher-v1", "-n", "2", "--out", str(tmp_path),
                 "--proprio-only", "--no-progress"]) == 0  # fmt: skip
    assert "samples/s" in capsys.readouterr().out
    with h5py.File(tmp_path / "gym-reacher-v1/demos.hdf5") as f:
        d = f["data"]
        assert sorted(d) == ["demo_0", "demo_1"]
        g = d["demo_0"]
        assert g["actions"].shape == (g.attrs["num_samples"], 2) and g.attrs["complete"]
        assert set(g["obs"]) == {"joint_pos", "joint_vel", "fingertip_pos", "target_pos"}
        assert json.loads(d.attrs["env_args"])["task"] == "gym-reacher-v1"
        assert d.attrs["total"] == sum(d[k].attrs["num_samples"] for k in d)


STATIC = ["physqa-sim-v1", "physqa-sim-v2", "compose-t2i-v1", "compose-t2i-v2",
          "physics-i2v-v1", "physics-i2v-v2"]  # fmt: skip
POLICY = ["push-block-v1", "gym-reacher-v1"]


@pytest.mark.parametrize("family", [STATIC, POLICY], ids=["static", "policy"])
def test_no_exported_sample_equals_an_eval_sample_of_any_version(tmp_path: Path, family):
    n = 3
    exported: dict[str, set[str]] = {}
    evaluated: set[str] = set()
    for task in family:
        export_task(task, tmp_path, n, progress=False, images=True)
        folder = tmp_path / task
        if (folder / "index.jsonl").exists():
            recs = [json.loads(x) for x in (folder / "index.jsonl").read_text().splitlines()]
            exported[task] = {r["content_id"] for r in recs}
            seeds = {r["seed"] for r in recs}
        else:
            with h5py.File(folder / "demos.hdf5") as f:
                exported[task] = {f["data"][k].attrs["content_id"] for k in f["data"]}
                seeds = {int(f["data"][k].attrs["seed"]) for k in f["data"]}
        assert len(exported[task]) == n  # ids tell samples apart at all
        bench = load_benchmark(task)
        eval_seeds = {derive_seed(t, i, b) for t in family for i in range(200) for b in (0, 1)}
        assert not seeds & eval_seeds
        for i in range(n):
            seed = derive_seed(task, i, 0)
            if task in POLICY:
                env = make_env(bench.env_kind, bench.env_kwargs())
                evaluated.add(episode_content_id(env, seed))
                env.close()
            else:
                s = bench.sample(i, seed)
                evaluated.add(static_content_id(s, bench.request(s, privileged=True)))
        bench.close()
    assert len(evaluated) == n * len(family)
    assert not set().union(*exported.values()) & evaluated


def test_dart_noise_perturbs_executed_actions_but_labels_are_the_oracles(tmp_path: Path):
    clean = export_task("push-block-v1", tmp_path / "clean", 2, progress=False, images=False)
    noisy = export_task("push-block-v1", tmp_path / "noisy", 2, progress=False, images=False,
                        noise=0.3)  # fmt: skip
    assert (clean.written, noisy.written) == (2, 2)
    bench = load_benchmark("push-block-v1")
    env = make_env(bench.env_kind, bench.env_kwargs())
    with h5py.File(clean.folder / "demos.hdf5") as fc, h5py.File(noisy.folder / "demos.hdf5") as fn:
        assert json.loads(fn["data"].attrs["env_args"])["noise"] == 0.3
        for name in ("demo_0", "demo_1"):
            c, g = fc["data"][name], fn["data"][name]
            assert "actions_executed" not in c
            label, executed = g["actions"][()], g["actions_executed"][()]
            pos = g["obs/pusher_pos"][()]
            # Same episode (seed, initial state), different states visited.
            assert g.attrs["seed"] == c.attrs["seed"]
            np.testing.assert_array_equal(pos[0], c["obs/pusher_pos"][0])
            n = min(len(pos), len(c["obs/pusher_pos"]))
            assert not np.allclose(pos[:n], c["obs/pusher_pos"][:n])
            assert np.abs(executed - label).max() > 0.1 and (np.abs(executed) <= 1).all()
            # Replaying the executed actions revisits the recorded states, and on each of them
            # the label is exactly the oracle's (clipped) action there.
            env.reset(seed=int(g.attrs["seed"]))
            for t in range(len(label)):
                np.testing.assert_allclose(env.proprio()["pusher_pos"], pos[t], atol=1e-6)
                oracle = np.clip(env.expert_action(), -1, 1).astype(np.float32)
                np.testing.assert_array_equal(label[t], oracle)
                env.sim_step(executed[t])
    env.close()
    bench.close()
    # Resuming with a different noise would mix two datasets: refused.
    with pytest.raises(ValueError, match="noise"):
        export_task("push-block-v1", tmp_path / "noisy", 3, progress=False, images=False)
    with pytest.raises(ValueError, match="policy tasks"):
        export_task("physqa-sim-v2", tmp_path, 1, progress=False, noise=0.1)


def test_export_cli_noise_option(tmp_path: Path):
    assert main(["export", "--tasks", "gym-reacher-v1", "-n", "1", "--out", str(tmp_path),
                 "--proprio-only", "--noise", "0.2", "--no-progress"]) == 0  # fmt: skip
    with h5py.File(tmp_path / "gym-reacher-v1/demos.hdf5") as f:
        g = f["data/demo_0"]
        assert g["actions_executed"].shape == g["actions"].shape
