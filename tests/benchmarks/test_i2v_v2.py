"""physics-i2v-v2 / robot-predict-v2: the main metric gives do-nothing outputs no points."""

import numpy as np
import pytest

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.errors import ConfigError
from cosmos3_eval.scorers.aggregate import aggregate

DO_NOTHING = ["static", "all-black", "mean-frame", "blurred-last", "reversed-context", "ping-pong"]


def _scores(task: str, models: list[str], n: int) -> tuple[dict, dict]:
    bench = load_benchmark(task)
    recs: dict[str, list] = {m: [] for m in models}
    for i in range(n):
        s = bench.sample(i, derive_seed(task, i, 0))
        for name in models:
            model = create_model(name)
            r = bench.request(s, privileged=model.info.privileged)
            out = model.generate_videos([r])[0]
            sc = bench.score(s, r, out).scores
            recs[name].append({"scores": {k: v.value for k, v in sc.items()}, "error": None})
    means = {m: aggregate(bench.metric_specs, r)["motion_score"].value for m, r in recs.items()}
    corpus = {m: bench.corpus_metrics(r)["physics_iq_score"].value for m, r in recs.items()}
    bench.close()
    return means, corpus


def test_physics_i2v_v2_floor_and_ceiling():
    means, corpus = _scores(
        "physics-i2v-v2", ["twin", "twin-lag", "oracle", "random", *DO_NOTHING], n=7
    )
    assert means["twin"] == 100.0 and means["oracle"] == 100.0
    assert 5.0 < means["twin-lag"] < 60.0  # a one-frame lag is clearly worse, not worthless
    for name in [*DO_NOTHING, "random"]:
        assert means[name] <= 5.0, (name, means)
    # The Physics-IQ score is reported beside it; the twin is its physical variance.
    assert corpus["twin"] == 100.0


@pytest.mark.slow
def test_robot_predict_v2_floor_and_ceiling():
    means, _ = _scores("robot-predict-v2", ["twin", "twin-lag", "static", "all-black"], n=2)
    assert means["twin"] == 100.0 and means["twin-lag"] < 60.0
    assert means["static"] <= 5.0 and means["all-black"] <= 5.0


def test_v1_keeps_its_legacy_metrics():
    b = load_benchmark("physics-i2v-v1")
    assert b.main_metric == "physics_score" and b.corpus_metrics([]) == {}
    assert "physics_iq_score" not in {s.name for s in b.metric_specs}
    b.close()
    b2 = load_benchmark("physics-i2v-v2")
    assert b2.main_metric == "motion_score"
    assert {"motion_score", "physics_iq_mse"} <= {s.name for s in b2.metric_specs}
    b2.close()


def test_do_nothing_outputs_keep_the_context():
    b = load_benchmark("physics-i2v-v2")
    s = b.sample(0, 3)
    r = b.request(s, privileged=False)
    for name in DO_NOTHING:
        v = create_model(name).generate_videos([r])[0].video
        assert v.shape == (16, 128, 128, 3) and v.dtype == np.uint8
        assert np.array_equal(v[:2], r.frames), name
    pp = create_model("ping-pong").generate_videos([r])[0].video
    assert np.array_equal(pp[2], r.frames[0]) and np.array_equal(pp[3], r.frames[1])
    with pytest.raises(RuntimeError, match="twin"):
        create_model("twin").generate_videos([r])
    b.close()


def test_unknown_do_nothing_kind_and_scoring():
    from cosmos3_eval.benchmarks.i2v import PhysicsI2VConfig
    from cosmos3_eval.engine.tasks import validate
    from cosmos3_eval.models.do_nothing_video import DoNothingVideoModel

    with pytest.raises(ValueError, match="unknown do-nothing"):
        DoNothingVideoModel("nap")
    with pytest.raises(ConfigError, match="scoring"):
        validate(PhysicsI2VConfig, {"scoring": "v3"}, "physics-i2v config")
