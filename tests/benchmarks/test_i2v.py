from pathlib import Path

import numpy as np
import pytest

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.config import validate
from cosmos3_eval.api.types import VideoOutput
from cosmos3_eval.benchmarks.i2v import PhysicsI2V, PhysicsI2VConfig
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.errors import ConfigError, ModelOutputError
from cosmos3_eval.scorers.aggregate import aggregate

TASK = "physics-i2v-v1"


@pytest.fixture(scope="module")
def bench():
    b = load_benchmark(TASK)
    yield b
    b.close()


def _samples(bench, n, base_seed=0):
    return [bench.sample(i, derive_seed(TASK, i, base_seed)) for i in range(n)]


def _run(bench, model, samples, batch_size=8):
    recs = []
    for i in range(0, len(samples), batch_size):
        chunk = samples[i : i + batch_size]
        reqs = [bench.request(s, privileged=model.info.privileged) for s in chunk]
        for s, r, o in zip(chunk, reqs, model.generate_videos(reqs)):
            sc = bench.score(s, r, o).scores
            recs.append(
                {
                    "scores": {k: v.value for k, v in sc.items()},
                    "error": None,
                    "category": s.category,
                }
            )
    return recs


def test_sample_is_cheap_and_json_safe(bench):
    import json

    s = bench.sample(0, 123)
    json.dumps(s.data)
    assert s.category in bench.kinds and s.data["prompt"]
    assert bench.sample(5, 123).data == s.data  # content depends on the seed only


def test_request_shapes_and_privilege(bench):
    s = bench.sample(0, 42)
    r = bench.request(s, privileged=False)
    assert r.privileged is None
    assert r.frames.shape == (2, 128, 128, 3) and r.frames.dtype == np.uint8
    assert r.num_frames == 16 and r.fps == 15.0
    ro = bench.request(s, privileged=True)
    assert ro.privileged["video"].shape == (16, 128, 128, 3)
    assert np.array_equal(ro.privileged["video"][:2], r.frames)


def test_ordering_with_separated_cis(bench):
    samples = _samples(bench, 21)
    means = {}
    for name in ["oracle", "const-velocity", "static", "random"]:
        m = aggregate(bench.metric_specs, _run(bench, create_model(name), samples))
        means[name] = m["physics_score"]
    assert means["oracle"].value == pytest.approx(100.0)
    order = ["oracle", "const-velocity", "static", "random"]
    for hi, lo in zip(order, order[1:]):
        assert means[hi].ci95[0] > means[lo].ci95[1], (hi, lo, means)
    assert means["random"].value < 10


@pytest.mark.slow
def test_ordering_full_n(bench):
    samples = _samples(bench, bench.default_size)
    means = {
        name: aggregate(bench.metric_specs, _run(bench, create_model(name), samples))[
            "physics_score"
        ]
        for name in ["oracle", "const-velocity", "static", "random"]
    }
    order = ["oracle", "const-velocity", "static", "random"]
    for hi, lo in zip(order, order[1:]):
        assert means[hi].ci95[0] > means[lo].ci95[1], (hi, lo, means)


@pytest.mark.parametrize("name", ["random", "const-velocity"])
def test_determinism_seed_and_batch_size(name):
    samples_a = None
    results = []
    for batch_size in (1, 8):
        b = load_benchmark(TASK)  # fresh benchmark: nothing cached
        samples = _samples(b, 9)
        samples_a = samples_a or samples
        assert [s.seed for s in samples] == [s.seed for s in samples_a]
        results.append(_run(b, create_model(name), samples, batch_size))
        b.close()
    assert results[0] == results[1]


def test_output_validation_errors(bench):
    s = bench.sample(1, 9)
    r = bench.request(s, privileged=True)
    good = r.privileged["video"]
    bad = [
        (VideoOutput(good[:-1]), "15 frames, expected 16"),
        (VideoOutput(good.astype(np.float32)), "dtype"),
        (VideoOutput(np.full(good.shape, np.nan, np.float32)), "NaN"),
        (VideoOutput(good[:, :64]), "128x64"),
        (VideoOutput(good[..., 0]), "shape"),
        ("not a video", "VideoOutput"),
    ]
    for out, reason in bad:
        with pytest.raises(ModelOutputError, match=reason):
            bench.score(s, r, out)
    assert bench.score(s, r, VideoOutput(good)).scores["physics_score"].value == 100.0


def test_save_media_side_by_side_gif(bench, tmp_path: Path):
    import imageio.v3 as iio

    s = bench.sample(2, 5)
    r = bench.request(s, privileged=False)
    out = create_model("static").generate_videos([r])[0]
    name = bench.save_media(s, r, out, tmp_path)
    gif = iio.imread(tmp_path / name, index=None)
    assert gif.shape[0] == 16 and gif.shape[2] == 2 * 128 + 2
    assert bench.save_media(s, r, VideoOutput(out.video[:3]), tmp_path) is None


@pytest.mark.parametrize(
    ("cfg", "msg"),
    [
        ({"widht": 64}, "unknown key 'widht'"),
        ({"scenarios": ["levitation"]}, "unknown scenario"),
        ({"num_frames": 3, "context_frames": 2}, "num_frames"),
        ({"context_frames": 0}, "context_frames"),
    ],
)
def test_bad_config(cfg, msg):
    with pytest.raises(ConfigError, match=msg):
        validate(PhysicsI2VConfig, cfg, "physics-i2v config")


def test_scenario_subset_and_ceiling_reported(tmp_path):
    b = PhysicsI2V(TASK, PhysicsI2VConfig(scenarios=("tower_topple",), num_frames=8), tmp_path)
    s = b.sample(0, 11)
    assert s.category == "tower_topple"
    r = b.request(s, privileged=True)
    sc = b.score(s, r, VideoOutput(r.privileged["video"])).scores
    assert 0 < sc["motion_ceiling"].value <= 1  # v2 (the default scoring)
    assert sc["motion_score"].value == 100.0
    assert b.provenance()["twin_perturbation"] == 1e-4
    b.close()
