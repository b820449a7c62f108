"""Pipelined rollouts give the records of lockstep (timing aside) and keep fault handling."""

import threading

import pytest

from cosmos3_eval.api.benchmark import RolloutContext, derive_seed
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.benchmarks.policy import PushBlockPolicy, RobosuitePolicy
from cosmos3_eval.engine.pipeline import pipeline_groups
from cosmos3_eval.engine.rollout import rollout
from cosmos3_eval.models.baselines import OracleModel, RandomModel
from cosmos3_eval.models.policy_baselines import ZeroModel

TIMING = ("latency_s", "call_s", "sim_s")


def _records(bench, model, n, **ctx):
    eps = [bench.episode(i, derive_seed(bench.task_id, i, 0)) for i in range(n)]
    ctx.setdefault("privileged", model.info.privileged)
    recs = sorted(rollout(bench, model, eps, RolloutContext(**ctx)), key=lambda r: r["index"])
    for r in recs:
        assert r["sim_s"] >= 0 and r["latency_s"] >= 0
        for k in TIMING:
            r.pop(k)
    return recs


class _Concurrent(RandomModel):
    max_concurrent_calls = 2  # lets the two groups' calls overlap


def test_pipeline_groups_modes():
    assert pipeline_groups("auto", 1) == 1
    assert pipeline_groups("auto", 2) == pipeline_groups("on", 4) == 2
    assert pipeline_groups("off", 4) == 1
    with pytest.raises(ValueError, match="--pipeline"):
        pipeline_groups("fast", 2)


@pytest.mark.parametrize("model", [OracleModel(), RandomModel(), _Concurrent()])
def test_push_block_pipelined_equals_lockstep(tmp_path, model):
    bench = PushBlockPolicy("push-block-v1", PushBlockPolicy.Config(horizon=25), data_path("tasks"))
    lock = _records(bench, model, 7, workers=3)
    for groups in (2, 3):
        assert _records(bench, model, 7, workers=3, pipeline_groups=groups) == lock
    # auto: lockstep rounds first, then (this model is instant) pipelined.
    assert _records(bench, model, 7, workers=3, pipeline_groups=2, pipeline_adaptive=True) == lock
    # Chunks and batch splits within a group leave the outcome unchanged too.
    assert _records(bench, ZeroModel(chunk=4), 5, workers=2, pipeline_groups=2, batch_size=1) == (
        _records(bench, ZeroModel(chunk=4), 5, workers=1)
    )


def test_lift_pipelined_equals_lockstep(tmp_path):
    cfg = RobosuitePolicy.Config(task="Lift", horizon=60, image_size=32)
    bench = RobosuitePolicy("robosuite-lift-v1", cfg, tmp_path)
    lock = _records(bench, OracleModel(), 3, workers=2)
    assert _records(bench, OracleModel(), 3, workers=2, pipeline_groups=2) == lock
    assert any(r["success"] for r in lock)


def test_pipelined_model_timeout_ends_only_that_group(tmp_path):
    class Hangs(ZeroModel):
        def act(self, requests):
            if any(r.seed == hang for r in requests):
                threading.Event().wait(30)
            return super().act(requests)

    bench = PushBlockPolicy("push-block-v1", PushBlockPolicy.Config(horizon=6), data_path("tasks"))
    hang = derive_seed(bench.task_id, 0, 0)
    recs = _records(bench, Hangs(), 3, workers=2, pipeline_groups=2, episode_timeout_s=3.0)
    assert "model timed out" in recs[0]["error"]
    assert [r["error"] for r in recs[1:]] == [None, None] and recs[2]["steps"] == 6
