import numpy as np
import pytest

from cosmos3_eval.api.config import validate
from cosmos3_eval.api.types import VideoOutput
from cosmos3_eval.benchmarks.world import RobotPredict, RobotPredictConfig
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.errors import ConfigError, ModelOutputError
from cosmos3_eval.scorers.aggregate import aggregate

TASK = "robot-predict-v1"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    # Small and short: robosuite steps at ~100/s here.
    cfg = RobotPredictConfig(width=48, height=48, num_frames=5, scoring="v1")
    b = RobotPredict(TASK, cfg, tmp_path_factory.mktemp("w"))
    yield b
    b.close()


def test_task_file_loads_and_documents_actions():
    b = load_benchmark(TASK)
    assert b.config.num_frames == 12 and b.action_format == "robosuite_osc_pose_delta_hold4"
    from cosmos3_eval.engine.tasks import load_task_file

    desc = load_task_file(TASK)[0].description
    assert "-1 open / +1 close" in desc and "held for 4 control steps" in desc


def test_reset_with_seed_is_deterministic(bench):
    a = bench._rollout(5)
    b_other = bench._rollout(6)
    again = bench._rollout(5)
    for x, y in zip(a, again):
        assert np.array_equal(x, y)
    assert not np.array_equal(a[0], b_other[0])
    frames, acts, twin = a
    assert acts.shape == (4, 7) and acts.dtype == np.float32
    assert set(np.unique(acts[:, 6])) <= {-1.0, 1.0} and np.all(np.abs(acts) <= 1)
    assert np.abs(frames.astype(int) - twin).mean() < 1.0  # twin: 1e-4 m perturbation


def test_request_and_scores(bench):
    s = bench.sample(0, 77)
    r = bench.request(s, privileged=False)
    assert r.privileged is None and r.frames.shape == (1, 48, 48, 3)
    assert r.actions.shape == (4, 7) and r.action_format == bench.action_format
    ro = bench.request(s, privileged=True)
    recs = {}
    for name in ["oracle", "static", "random"]:
        m = create_model(name)
        req = ro if m.info.privileged else r
        out = m.generate_videos([req])[0]
        recs[name] = bench.score(s, req, out).scores["physics_score"].value
    assert recs["oracle"] == 100.0 and recs["oracle"] > recs["static"] > recs["random"]
    with pytest.raises(ModelOutputError, match="4 frames, expected 5"):
        bench.score(s, r, VideoOutput(ro.privileged["video"][:4]))


def test_ordering_with_cis(bench):
    recs = {n: [] for n in ["oracle", "static", "random"]}
    for i in range(5):
        s = bench.sample(i, 1000 + i)
        for name in recs:
            m = create_model(name)
            req = bench.request(s, privileged=m.info.privileged)
            sc = bench.score(s, req, m.generate_videos([req])[0]).scores
            recs[name].append({"scores": {k: v.value for k, v in sc.items()}, "error": None})
    agg = {n: aggregate(bench.metric_specs, r)["physics_score"] for n, r in recs.items()}
    assert agg["oracle"].ci95[0] > agg["static"].ci95[1]
    assert agg["static"].ci95[0] > agg["random"].ci95[1]


def test_bad_rate_config():
    with pytest.raises(ConfigError, match="20 Hz"):
        validate(RobotPredictConfig, {"fps": 8.0, "frame_every": 4}, "cfg")
