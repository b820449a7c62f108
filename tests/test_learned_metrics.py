import json

import numpy as np
import pytest

from cosmos3_eval.errors import ConfigError
from cosmos3_eval.scorers.learned import (
    FEATURES_KEY,
    ClipModel,
    LearnedMetrics,
    decode_features,
    encode_features,
    frechet_distance,
    kernel_distance,
)


def _tiny_clip(path):
    """A randomly initialised 2-layer CLIP with a character-level BPE vocab, saved locally."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config=dict(
            vocab_size=64,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=32,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )
    CLIPModel(cfg).save_pretrained(path, safe_serialization=True)
    letters = "abcdefghijklmnopqrstuvwxyz;"
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in letters:
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab))
    (path / "merges.txt").write_text("#version: 0.2\n")
    tok = CLIPTokenizer(str(path / "vocab.json"), str(path / "merges.txt"))
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return _tiny_clip(tmp_path_factory.mktemp("clip"))


def _images(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (40, 56, 3), dtype=np.uint8) for _ in range(n)]


def test_clipscore_from_local_checkpoint(clip_dir):
    clip = ClipModel(clip_dir)
    imgs = _images(3, 0)
    s = clip.clipscore(imgs, ["a red cube", "two spheres", "a cube"])
    assert s.shape == (3,) and np.all((s >= 0) & (s <= 100))
    again = ClipModel(clip_dir).clipscore(imgs, ["a red cube", "two spheres", "a cube"])
    np.testing.assert_allclose(s, again, rtol=1e-5)  # weights come from the file
    emb = clip.image_embeddings(imgs)
    assert emb.shape == (3, 16)


def test_learned_metrics_per_sample_and_corpus(clip_dir):
    lm = LearnedMetrics(clip_checkpoint=clip_dir, fid_checkpoint=clip_dir)
    assert lm.enabled and lm.fid is lm.clip
    gen, ref = _images(6, 1), _images(6, 2)
    records = []
    for i in range(6):
        sample = lm.per_sample(gen[i], "a red cube", ref[i])
        score = sample.scores["clipscore"]
        assert 0 <= score.value <= 100 and "CLIPScore" in score.reason
        records.append({"index": i, "error": None, "output": {FEATURES_KEY: sample.features}})
    # The records are all FID needs: a fresh instance (another process, a resume) agrees.
    records = json.loads(json.dumps(records))
    m = LearnedMetrics(fid_checkpoint=clip_dir).corpus(records[::-1])
    assert m == lm.corpus(records)
    assert m["fid"].n == 6 and np.isfinite(m["fid"].value) and not m["fid"].higher_is_better
    assert np.isfinite(m["kid"].value)
    assert lm.corpus(records[:1]) == {}  # too few samples
    records[2]["error"] = "model raised"
    assert lm.corpus(records)["fid"].n == 5  # errored samples are left out
    assert lm.notes()["clipscore"].startswith("on:")


def test_skipped_without_paths():
    lm = LearnedMetrics()
    assert not lm.enabled and lm.corpus([{"index": 1}, {"index": 2}]) == {}
    assert lm.notes() == {
        "clipscore": "skipped: no clip_checkpoint given",
        "fid": "skipped: no fid_checkpoint given",
        "kid": "skipped: no fid_checkpoint given",
    }


def test_bad_checkpoint_paths(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        ClipModel(tmp_path / "missing")
    (tmp_path / "pickled").mkdir()
    (tmp_path / "pickled" / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(ConfigError, match="safetensors"):
        ClipModel(tmp_path / "pickled")


def test_frechet_and_kernel_distance_math():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 4))
    b = rng.normal(size=(400, 4)) + np.array([3.0, 0, 0, 0])
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, b) == pytest.approx(9.0, rel=0.15)
    # Same distribution: KID near 0; shifted: clearly positive.
    same, _ = kernel_distance(a, rng.normal(size=(400, 4)), subsets=10, subset_size=200)
    diff, _ = kernel_distance(a, b, subsets=10, subset_size=200)
    assert abs(same) < 0.05 < diff
    with pytest.raises(ValueError):
        frechet_distance(a[:1], b)


def test_task_config_enables_clipscore(clip_dir, tmp_path, monkeypatch):
    from cosmos3_eval.engine.factory import create_model
    from cosmos3_eval.engine.tasks import load_benchmark

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "compose-t2i-v5.yaml").write_text(
        "task: compose-t2i-v5\ntype: compose-t2i\ndescription: x\n"
        f"config: {{size: 4, clip_checkpoint: '{clip_dir}', fid_checkpoint: '{clip_dir}'}}\n"
    )
    monkeypatch.setenv("COSMOS3_EVAL_TASKS", str(tasks))
    bench = load_benchmark("compose-t2i-v5")
    try:
        assert [m.name for m in bench.metric_specs] == ["score", "overall", "clipscore"]
        records = []
        oracle = create_model("oracle")
        for i in range(4):
            s = bench.sample(i, 100 + i)
            req = bench.request(s, privileged=True)
            scored = bench.score(s, req, oracle.generate_images([req])[0])
            assert set(scored.scores) == {"score", "clipscore"}
            records.append(
                {"index": i, "category": s.category, "scores": {"score": 1.0}, "error": None}
                | {"output": scored.output}
            )
        metrics = bench.corpus_metrics(records)
        # The oracle's images are the references: FID ~ 0.
        assert metrics["fid"].value == pytest.approx(0.0, abs=1e-3)
        assert bench.provenance()["learned_metrics"]["fid"].startswith("on:")
    finally:
        bench.close()


def test_feature_encoding_round_trips():
    v = np.random.default_rng(0).normal(size=16)
    np.testing.assert_allclose(decode_features(encode_features(v)), v.astype(np.float32))


def test_fid_kid_equal_for_local_resumed_and_process_runs(clip_dir, tmp_path, monkeypatch):
    """FID / KID come from the records on disk: same values however the samples were scored."""
    from cosmos3_eval.engine.runner import RunOptions, evaluate

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "compose-t2i-v6.yaml").write_text(
        "task: compose-t2i-v6\ntype: compose-t2i\ndescription: x\n"
        f"config: {{size: 8, fid_checkpoint: '{clip_dir}'}}\n"
    )
    monkeypatch.setenv("COSMOS3_EVAL_TASKS", str(tasks))

    def run(out, executor="local", limit=8):
        opts = RunOptions(out=out, progress=False, batch_size=3, executor=executor, workers=2)
        (result,) = evaluate("random", {}, [("compose-t2i-v6", limit)], opts)
        return result.metrics["metrics"]

    local = run(tmp_path / "local")
    run(tmp_path / "resumed", limit=3)  # a first process scores 3 samples and stops
    resumed = run(tmp_path / "resumed")  # a second one scores the other 5
    process = run(tmp_path / "process", executor="process")
    assert local["fid"]["n"] == 8 and local["fid"]["value"] > 0
    for name in ("fid", "kid"):
        assert resumed[name] == local[name], name
        assert process[name] == local[name], name
