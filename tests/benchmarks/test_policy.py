import math
import re
import threading

import imageio.v3 as iio
import numpy as np
import pytest

from cosmos3_eval.api.actions import COSMOS_10D
from cosmos3_eval.api.benchmark import RolloutContext, derive_seed
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.api.types import ActionChunk
from cosmos3_eval.benchmarks.policy import PushBlockPolicy, RobosuitePolicy
from cosmos3_eval.engine.rollout import rollout
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.errors import ActionSpaceMismatch
from cosmos3_eval.models.baselines import OracleModel, RandomModel
from cosmos3_eval.models.policy_baselines import ZeroModel

KEYS = {
    "id",
    "index",
    "seed",
    "steps",
    "success",
    "termination",
    "error",
    "model_calls",
    "return",
    "scores",
}


def _episodes(bench, n, base=0):
    return [bench.episode(i, derive_seed(bench.task_id, i, base)) for i in range(n)]


def _run(bench, model, n, **ctx):
    ctx.setdefault("privileged", model.info.privileged)
    recs = list(rollout(bench, model, _episodes(bench, n), RolloutContext(**ctx)))
    assert len(recs) == n and all(KEYS <= set(r) for r in recs)
    return sorted(recs, key=lambda r: r["index"])


def _push(tmp_path, **cfg):
    # The shipped task folder: push-block reads its MJCF from there (tasks/assets/).
    return PushBlockPolicy("push-block-v1", PushBlockPolicy.Config(**cfg), data_path("tasks"))


class _Faulty(PushBlockPolicy):
    """push-block whose env injects faults on the episode seeds given."""

    env_kind = "tests.helpers.faulty_env:FaultyEnv"

    def __init__(self, tmp_path):
        super().__init__("push-block-v1", PushBlockPolicy.Config(horizon=30), data_path("tasks"))
        self.faults = {}

    def env_kwargs(self):
        return {**super().env_kwargs(), "faults": self.faults, "at_step": 2}


def test_push_block_oracle_random_zero(tmp_path):
    bench = _push(tmp_path)
    oracle = _run(bench, OracleModel(), 5, workers=2)
    assert all(r["success"] and r["termination"] == "success" for r in oracle)
    assert all(r["scores"]["steps_to_success"] == r["steps"] for r in oracle)
    assert all(r["model_calls"] == r["steps"] for r in oracle)  # chunk 1
    for model in (RandomModel(), ZeroModel()):
        recs = _run(bench, model, 3, workers=2)
        assert not any(r["success"] for r in recs)
        assert all(r["termination"] == "horizon" and r["steps"] == 100 for r in recs)
        assert all("steps_to_success" not in r["scores"] for r in recs)


def test_determinism_workers_and_envs_in_flight(tmp_path):
    bench = load_benchmark("gym-reacher-v1")

    def key(recs):
        return [(r["seed"], r["success"], r["steps"], r["return"]) for r in recs]

    for model in (OracleModel(), RandomModel()):
        one = key(_run(bench, model, 5, workers=1))
        two = key(_run(bench, model, 5, workers=2, batch_size=1))
        assert one == two
    assert sum(s for _, s, _, _ in one) <= 1  # random: near 0


def test_chunking_and_model_calls(tmp_path):
    bench = _push(tmp_path, horizon=20)
    recs = _run(bench, ZeroModel(chunk=8), 2)
    assert all(r["model_calls"] == math.ceil(20 / 8) for r in recs)
    recs = _run(bench, ZeroModel(chunk=8), 2, replan_every=2)
    assert all(r["model_calls"] == 10 for r in recs)


def test_video_only_for_first_k(tmp_path):
    bench = _push(tmp_path, horizon=10, image_size=32)
    recs = _run(bench, ZeroModel(), 3, video=1, artifacts_dir=tmp_path / "art")
    assert recs[0]["video"] == "push-block-v1_000000.mp4"
    assert "video" not in recs[1] and "video" not in recs[2]
    frames = iio.imread(tmp_path / "art" / recs[0]["video"])
    assert frames.shape == (11, 32, 32, 3)  # reset frame + one per step


def test_action_space_mismatch_is_raised_before_any_step(tmp_path):
    class Cosmos:
        info = ModelInfo(name="cosmos-nano", action_spec=COSMOS_10D)

        def act(self, requests):  # pragma: no cover - must never be called
            raise AssertionError("stepped despite the mismatch")

    bench = RobosuitePolicy("robosuite-lift-v1", RobosuitePolicy.Config(task="Lift"), tmp_path)
    with pytest.raises(ActionSpaceMismatch, match="cosmos-nano.*robosuite-lift-v1.*gripper"):
        next(rollout(bench, Cosmos(), _episodes(bench, 1), RolloutContext()))


class _Bad:
    """A policy that misbehaves from step 2 on, differently per episode (by index)."""

    def __init__(self, seeds):
        self.how = {seeds[0]: "raise", seeds[1]: "nan", seeds[2]: "shape", seeds[3]: "hang"}
        self.info = ModelInfo(name="bad")

    def act(self, requests):
        out = []
        for r in requests:
            how = self.how.get(r.seed) if r.step >= 2 else None
            if how == "raise":
                out.append(RuntimeError("boom"))
            elif how == "nan":
                out.append(ActionChunk(np.full((1, 2), np.nan, np.float32)))
            elif how == "shape":
                out.append(ActionChunk(np.zeros((1, 3), np.float32)))
            elif how == "hang":
                threading.Event().wait(60)
            else:
                out.append(ActionChunk(np.zeros((1, 2), np.float32)))
        return out


def test_model_faults_are_recorded_per_episode(tmp_path):
    bench = _push(tmp_path, horizon=6)
    seeds = [e.seed for e in _episodes(bench, 5)]
    recs = _run(bench, _Bad(seeds), 5, workers=2, batch_size=1, episode_timeout_s=4.0)
    reasons = [
        "model raised RuntimeError: boom",
        "non-finite",
        r"shape \(1, 3\)",
        "model timed out",
    ]
    for r, reason in zip(recs, reasons):
        assert r["termination"] == "error" and r["success"] is False, r
        assert r["scores"]["success"] == 0.0
        assert re.search(reason, r["error"]), r["error"]
    assert recs[4]["error"] is None and recs[4]["steps"] == 6  # the healthy episode


def test_whole_batch_raise(tmp_path):
    class Raiser:
        info = ModelInfo(name="raiser")

        def act(self, requests):
            raise ValueError("server down")

    recs = _run(_push(tmp_path), Raiser(), 2, workers=2)
    assert all(r["error"] == "model raised ValueError: server down" for r in recs)


def test_env_faults_are_recorded_and_run_continues(tmp_path):
    bench = _Faulty(tmp_path)
    seeds = [e.seed for e in _episodes(bench, 4)]
    bench.faults = {str(seeds[0]): "raise", str(seeds[1]): "unstable", str(seeds[2]): "hang"}
    recs = _run(bench, OracleModel(), 4, workers=2, episode_timeout_s=3.0)
    reasons = [
        "env raised RuntimeError: injected env fault",
        "MuJoCo instability",
        "hung and was restarted",
    ]
    for r, reason in zip(recs, reasons):
        assert r["termination"] == "error" and reason in r["error"], r["error"]
    assert recs[3]["error"] is None and recs[3]["success"]  # served after the faults


def _lift(tmp_path):
    return RobosuitePolicy(
        "robosuite-lift-v1",
        RobosuitePolicy.Config(task="Lift", horizon=80, image_size=32),
        tmp_path,
    )


def test_robosuite_lift_oracle(tmp_path):
    recs = _run(_lift(tmp_path), OracleModel(), 2, workers=2)
    assert all(r["success"] for r in recs), [r["error"] for r in recs]


@pytest.mark.slow
def test_robosuite_lift_zero_and_random(tmp_path):
    for model in (ZeroModel(), RandomModel()):
        recs = _run(_lift(tmp_path), model, 2, workers=2)
        assert not any(r["success"] for r in recs)


@pytest.mark.slow
@pytest.mark.parametrize(
    "task", ["robosuite-lift-v1", "robosuite-stack-v1", "gym-reacher-v1", "push-block-v1"]
)
def test_oracle_success_rate_many_episodes(task):
    bench = load_benchmark(task)
    recs = _run(bench, OracleModel(), 20, workers=2)
    assert sum(r["success"] for r in recs) >= 19
