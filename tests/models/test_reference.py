"""Reference models: deterministic training, damaged checkpoints, in-process = served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from cosmos3_eval.engine.export import export_task
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.models.reference.policy_net import BCPolicy
from cosmos3_eval.models.reference.qa_net import QANet
from cosmos3_eval.models.reference.train import TrainConfig, damage, train
from tests.helpers.servers import spawn_server

QA_MODULE = "cosmos3_eval.models.reference.qa_net:QANet"
BC_MODULE = "cosmos3_eval.models.reference.policy_net:BCPolicy"


def test_training_is_deterministic_and_writes_a_sweep(tmp_path: Path):
    export_task("gym-reacher-v1", tmp_path / "data", 4, progress=False, images=False)
    runs = []
    for name in ("a", "b"):
        cfg = TrainConfig("reacher", tmp_path / "data/gym-reacher-v1", tmp_path / name,
                          steps=12, save_at=(3, 6, 9), batch=16)  # fmt: skip
        res = train(cfg, log=lambda _: None)
        assert sorted(res.checkpoints) == [3, 6, 9, 12]
        runs.append(res)
    steps = json.loads((tmp_path / "a/steps.json").read_text())
    assert steps == {f"step_{s}.safetensors": s for s in (3, 6, 9, 12)}
    a, b = (load_file(str(r.checkpoints[12])) for r in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    first = load_file(str(runs[0].checkpoints[3]))
    assert not torch.equal(first["head.0.weight"], a["head.0.weight"])  # it did train


def test_cosine_schedule_is_deterministic_and_differs_from_constant(tmp_path: Path):
    export_task("gym-reacher-v1", tmp_path / "data", 2, progress=False, images=False)
    w = {}
    for name, final in (("c1", 0.0), ("c2", 0.0), ("k", None)):
        cfg = TrainConfig("reacher", tmp_path / "data/gym-reacher-v1", tmp_path / name,
                          steps=6, save_at=(), batch=8, final_lr=final)  # fmt: skip
        w[name] = load_file(str(train(cfg, log=lambda _: None).checkpoints[6]))
    assert all(torch.equal(w["c1"][k], w["c2"][k]) for k in w["c1"])
    assert not torch.equal(w["c1"]["head.0.weight"], w["k"]["head.0.weight"])
    with pytest.raises(ValueError, match="final_lr"):
        train(TrainConfig("reacher", tmp_path / "data/gym-reacher-v1", tmp_path / "x",
                          steps=1, final_lr=-1.0), log=lambda _: None)  # fmt: skip


def test_qa_training_is_deterministic_and_small(tmp_path: Path):
    export_task("physqa-sim-v2", tmp_path / "data", 8, progress=False)
    weights = []
    for name in ("a", "b"):
        cfg = TrainConfig("qa", tmp_path / "data/physqa-sim-v2", tmp_path / name, steps=4,
                          save_at=(2,), batch=4, lr=1e-3, final_lr=1e-4)  # fmt: skip
        res = train(cfg, log=lambda _: None)
        assert sorted(res.checkpoints) == [2, 4] and res.n_train == 8
        weights.append(load_file(str(res.checkpoints[4])))
    a, b = weights
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(load_file(str(tmp_path / "a/step_2.safetensors"))["pos"], a["pos"])
    assert (tmp_path / "a/step_4.safetensors").stat().st_size < 2_000_000


def test_damage_shuffles_exactly_one_tensor(tmp_path: Path):
    torch.manual_seed(0)
    save_file(BCPolicy("gym-reacher").state_dict(), str(tmp_path / "good.safetensors"))
    damage(tmp_path / "good.safetensors", tmp_path / "bad.safetensors", "head.2.weight")
    good, bad = (
        load_file(str(tmp_path / "good.safetensors")),
        load_file(str(tmp_path / "bad.safetensors")),
    )
    changed = [k for k in good if not torch.equal(good[k], bad[k])]
    assert changed == ["head.2.weight"]
    assert torch.equal(
        good[changed[0]].flatten().sort().values, bad[changed[0]].flatten().sort().values
    )


def _scores(runs) -> list[tuple]:
    (run,) = runs
    rows = [json.loads(x) for x in (run.run_dir / "samples.jsonl").read_text().splitlines()]
    return sorted((r["id"], r["scores"], (r.get("output") or {}).get("text")) for r in rows)


@pytest.mark.parametrize(
    ("task", "module", "extra", "protocol", "remote"),
    [
        ("physqa-sim-v2", QA_MODULE, {}, "openai", "openai"),
        ("gym-reacher-v1", BC_MODULE, {"task": "gym-reacher"}, "openpi", "openpi"),
        ("push-block-v1", BC_MODULE, {"task": "push-block"}, "openpi", "openpi"),
    ],
)
def test_served_reference_scores_equal_in_process(tmp_path, task, module, extra, protocol, remote):
    torch.manual_seed(1)
    net = QANet() if module == QA_MODULE else BCPolicy(**extra)
    ckpt = tmp_path / "w.safetensors"
    save_file(net.state_dict(), str(ckpt))
    args = {"module": module, "checkpoint": str(ckpt), "device": "cpu", **extra}
    local = evaluate("torch", args, [(task, 4)], RunOptions(out=tmp_path / "l", progress=False))
    with spawn_server("torch", args, protocol) as s:
        r_args = {"base_url": s.url + "/v1"} if remote == "openai" else {"port": s.port}
        served = evaluate(
            remote, r_args, [(task, 4)], RunOptions(out=tmp_path / "s", progress=False)
        )
    assert served[0].n_errors == 0
    assert _scores(local) == _scores(served)
