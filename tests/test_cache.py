import multiprocessing as mp
from dataclasses import replace

import numpy as np

from cosmos3_eval.api.model import Capability, ModelInfo, capabilities
from cosmos3_eval.api.types import (
    ActionSpec,
    ActRequest,
    I2VRequest,
    Observation,
    QARequest,
    T2IRequest,
)
from cosmos3_eval.engine.cache import CachedModel, content_hash
from cosmos3_eval.models.baselines import RandomModel


class Counting(RandomModel):
    def __init__(self, params=None, revision="", deterministic=True):
        super().__init__()
        self.info = ModelInfo(name="counting", revision=revision, params=params or {})
        self.deterministic = deterministic
        self.calls = 0

    def answer(self, requests):
        self.calls += len(requests)
        return super().answer(requests)

    def generate_images(self, requests):
        self.calls += len(requests)
        return super().generate_images(requests)


def qa(i, img=None):
    img = np.zeros((4, 4, 3), np.uint8) if img is None else img
    return QARequest(
        id=f"q{i}", question="how many?", images=(img,), choices=("a", "b", "c"), seed=i
    )


def test_rerun_hits_and_returns_identical_outputs(tmp_path):
    reqs = [qa(i) for i in range(20)]
    first = CachedModel(Counting(), tmp_path)
    a = first.answer(reqs)
    assert first.stats().misses == 20 and first.stats().hits == 0
    second_model = Counting()
    second = CachedModel(second_model, tmp_path)
    b = second.answer(reqs)
    assert second_model.calls == 0
    assert second.stats().hit_rate == 1.0 and "100.0%" in str(second.stats())
    assert [x.text for x in a] == [x.text for x in b]
    assert capabilities(second) == capabilities(Counting())


def test_changed_model_args_revision_or_data_never_hit(tmp_path):
    CachedModel(Counting(), tmp_path).answer([qa(1)])
    for model in (Counting(params={"temperature": 0.5}), Counting(revision="step-20k")):
        c = CachedModel(model, tmp_path)
        c.answer([qa(1)])
        assert c.stats().hits == 0 and model.calls == 1
    c = CachedModel(Counting(), tmp_path)
    pixel = np.zeros((4, 4, 3), np.uint8)
    pixel[2, 3, 1] = 1  # one changed byte of media
    c.answer([qa(1, pixel), replace(qa(1), question="how many??"), replace(qa(1), seed=2)])
    assert c.stats().hits == 0 and c.stats().misses == 3
    c.answer([qa(1)])
    assert c.stats().hits == 1


def test_privileged_and_spec_are_part_of_the_key():
    r = ActRequest(episode_id="e", observation=Observation(), instruction="i")
    assert content_hash(r) != content_hash(replace(r, privileged={"actions": np.zeros((1, 7))}))
    spec = ActionSpec(kind="k", dim=7)
    assert content_hash(replace(r, action_spec=spec)) != content_hash(
        replace(r, action_spec=replace(spec, gripper="flip"))
    )
    assert content_hash(np.zeros(3, np.float32)) != content_hash(np.zeros(3, np.float64))


def test_sampling_without_seed_bypasses(tmp_path):
    m = Counting(deterministic=False)
    c = CachedModel(m, tmp_path)
    c.answer([qa(1)])
    c.answer([qa(1)])
    assert m.calls == 2 and c.stats().bypassed == 2 and c.stats().hit_rate is None
    assert not list(tmp_path.rglob("*.npz"))


def test_arrays_roundtrip_and_errors_are_not_cached(tmp_path):
    class Mixed(RandomModel):
        def generate_images(self, requests):
            out = super().generate_images(requests)
            return [ValueError("bad") if r.seed == 1 else o for r, o in zip(requests, out)]

    reqs = [T2IRequest(id=f"t{i}", prompt="p", width=5, height=3, seed=i) for i in range(3)]
    c = CachedModel(Mixed(), tmp_path)
    first = c.generate_images(reqs)
    assert isinstance(first[1], ValueError)
    again = c.generate_images(reqs)
    assert c.stats().hits == 2 and c.stats().misses == 4
    for a, b in ((first[0], again[0]), (first[2], again[2])):
        assert b.image.dtype == np.uint8
        np.testing.assert_array_equal(a.image, b.image)
    spec = ActionSpec(kind="k", dim=4)
    acts = [
        ActRequest(
            episode_id="e", observation=Observation(), instruction="", seed=3, action_spec=spec
        )
    ]
    vids = [I2VRequest(id="v", prompt="", frames=np.zeros((1, 2, 2, 3), np.uint8), num_frames=3)]
    c2 = CachedModel(RandomModel(), tmp_path)
    for method, r in (("act", acts), ("generate_videos", vids)):
        x, y = getattr(c2, method)(r)[0], getattr(c2, method)(r)[0]
        np.testing.assert_array_equal(
            getattr(x, "actions", getattr(x, "video", None)),
            getattr(y, "actions", getattr(y, "video", None)),
        )
    assert c2.stats().hits == 2
    assert Capability.ACT in capabilities(c2)


def _writer(args):
    cache_dir, worker = args
    c = CachedModel(RandomModel(), cache_dir)
    # Every worker writes the same 30 keys plus 10 of its own, all at once.
    reqs = [T2IRequest(id=f"t{i}", prompt="p", width=32, height=32, seed=i) for i in range(30)]
    reqs += [
        T2IRequest(id="w", prompt=f"w{worker}", width=32, height=32, seed=1000 + i)
        for i in range(10)
    ]
    for r in reqs:
        c.generate_images([r])
    return c.stats().misses + c.stats().hits


def test_concurrent_writers_do_not_corrupt(tmp_path):
    with mp.get_context("spawn").Pool(4) as pool:
        assert pool.map(_writer, [(str(tmp_path), w) for w in range(4)]) == [40] * 4
    files = list(tmp_path.rglob("*"))
    assert not [f for f in files if f.name.startswith(".tmp-")]
    assert len([f for f in files if f.suffix == ".npz"]) == 30 + 4 * 10
    check = CachedModel(RandomModel(), tmp_path)
    reqs = [T2IRequest(id=f"t{i}", prompt="p", width=32, height=32, seed=i) for i in range(30)]
    for got, want in zip(check.generate_images(reqs), RandomModel().generate_images(reqs)):
        np.testing.assert_array_equal(got.image, want.image)
    assert check.stats().hits == 30


def test_transport_params_do_not_change_the_key(tmp_path):
    from cosmos3_eval.models.openai_api import OpenAIChatModel

    a = CachedModel(OpenAIChatModel(timeout=5, max_concurrency=2), tmp_path)
    b = CachedModel(OpenAIChatModel(timeout=50, max_concurrency=8, max_retries=1), tmp_path)
    c = CachedModel(OpenAIChatModel(temperature=0.3), tmp_path)
    assert a.key("answer", qa(1)) == b.key("answer", qa(1)) != c.key("answer", qa(1))
