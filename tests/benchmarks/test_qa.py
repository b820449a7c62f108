import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.types import TextOutput
from cosmos3_eval.benchmarks.qa import PhysQAConfig, PhysQASim
from cosmos3_eval.benchmarks.qa_jsonl import JsonlQA, JsonlQAConfig
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.errors import ConfigError, DataError, ModelOutputError
from cosmos3_eval.models.baselines import OracleModel, RandomModel
from cosmos3_eval.sim.scenes.qa_spec import QUESTION_TYPES

TASK = "physqa-sim-v1"
N = 100


def _bench(**cfg):
    return PhysQASim(TASK, PhysQAConfig(width=48, height=48, video_frames=8, **cfg), Path("."))


@pytest.fixture(scope="module")
def runs():
    """Oracle and random scored on the same N samples (rendered once each)."""
    bench = _bench()
    oracle, rnd = OracleModel(), RandomModel()
    out = []
    try:
        for i in range(N):
            s = bench.sample(i, derive_seed(TASK, i, 0))
            ro, rr = bench.request(s, privileged=True), bench.request(s, privileged=False)
            assert rr.privileged is None and ro.privileged == {"answer": s.data["answer"]}
            so = bench.score(s, ro, oracle.answer([ro])[0])
            sr = bench.score(s, rr, rnd.answer([rr])[0])
            chance = 1 / len(s.data["choices"]) if s.data["choices"] else 0.1
            out.append((s, ro, so.scores["accuracy"].value, sr.scores["accuracy"].value, chance))
    finally:
        bench.close()
    return out


def test_oracle_is_perfect(runs):
    assert all(o == 1.0 for _, _, o, _, _ in runs)


def test_random_is_at_chance(runs):
    p = np.array([c for *_, c in runs])
    acc = np.mean([r for _, _, _, r, _ in runs])
    sd = math.sqrt(float(np.sum(p * (1 - p)))) / len(p)
    assert abs(acc - p.mean()) < 4 * sd  # generous: 4 standard deviations


def test_every_type_reachable_and_media_shapes(runs):
    assert {s.category for s, *_ in runs} == set(QUESTION_TYPES)
    for s, req, *_ in runs:
        assert set(s.data) == {"seed", "question", "choices", "answer", "media"}
        json.dumps(s.data)  # JSON-safe, no pixels
        if s.data["media"] == "video":
            assert req.video.shape == (8, 48, 48, 3) and req.video.dtype == np.uint8
            assert req.images == () and req.fps > 0
        else:
            assert len(req.images) == 1 and req.images[0].shape == (48, 48, 3)


def test_answers_balanced_over_choices(runs):
    letters = [
        s.data["answer"] for s, *_ in runs if s.data["choices"] and len(s.data["choices"]) == 4
    ]
    counts = [letters.count(x) for x in "ABCD"]
    assert min(counts) >= len(letters) / 4 * 0.4


def test_determinism_same_seed_same_bytes_different_seed_differs():
    a, b = _bench(), _bench(cache_size=0)
    try:
        for i in (0, 1, 2, 5):
            seed = derive_seed(TASK, i, 0)
            sa, sb = a.sample(i, seed), b.sample(i, seed)
            assert sa == sb
            ra, rb = a.request(sa, False), b.request(sb, False)
            ma = ra.video if ra.video is not None else ra.images[0]
            mb = rb.video if rb.video is not None else rb.images[0]
            assert ma.tobytes() == mb.tobytes()
        s0, s1 = a.sample(0, derive_seed(TASK, 0, 0)), a.sample(0, derive_seed(TASK, 0, 1))
        assert s0.data != s1.data
    finally:
        a.close()
        b.close()


def test_question_types_config_and_scoring_reasons():
    bench = _bench(question_types=("count",))
    try:
        s = bench.sample(0, 123)
        assert s.category == "count" and s.data["choices"] is None
        req = bench.request(s, False)
        bad = bench.score(s, req, TextOutput("no idea"))
        assert (
            bad.scores["accuracy"].value == 0
            and "no number extracted" in bad.scores["accuracy"].reason
        )
        good = bench.score(s, req, TextOutput(f"There are {s.data['answer']}."))
        assert good.scores["accuracy"].value == 1
        with pytest.raises(ModelOutputError):
            bench.score(s, req, 42)
    finally:
        bench.close()
    with pytest.raises(ValueError, match="did you mean 'colour'"):
        PhysQAConfig(question_types=("color",))


def test_task_files_load():
    bench = load_benchmark("physqa-sim-v1")
    assert isinstance(bench, PhysQASim) and bench.cfg.width == 224
    prov = bench.provenance()
    assert prov["render"]["settings"]["shadows"] is False and prov["width"] == 224
    bench.close()


def test_shipped_sample_dataset_oracle_and_random():
    bench = load_benchmark("qa-sample-v1")
    assert isinstance(bench, JsonlQA) and 0 < bench.num_samples() <= 50
    oracle = OracleModel()
    forms = set()
    for i in range(bench.num_samples()):
        s = bench.sample(i, derive_seed("qa-sample-v1", i, 0))
        req = bench.request(s, privileged=True)
        assert bench.score(s, req, oracle.answer([req])[0]).scores["accuracy"].value == 1
        assert bench.request(s, privileged=False).privileged is None
        if req.video is not None:
            assert req.video.ndim == 4 and req.video.shape[-1] == 3
            forms.add("gif" if s.data["video"].endswith(".gif") else "frames")
    assert forms == {"gif", "frames"}
    total = sum(p.stat().st_size for p in (bench.media_root).rglob("*") if p.is_file())
    assert total < 1.5e6


# ------------------------------------------------------------------------------ JsonlQA errors


def _dataset(tmp_path, lines, name="qa.jsonl"):
    root = tmp_path / "data"
    (root / "media").mkdir(parents=True, exist_ok=True)
    img = np.zeros((8, 8, 3), np.uint8)
    import imageio.v3 as iio

    iio.imwrite(root / "media" / "a.png", img)
    (root / name).write_text("\n".join(lines) + "\n")
    return JsonlQAConfig(data=f"data/{name}", media_root="data")


def _line(**kw):
    item = {
        "id": "x",
        "question": "q?",
        "choices": ["a", "b"],
        "answer": "B",
        "image": "media/a.png",
    }
    item.update(kw)
    return json.dumps({k: v for k, v in item.items() if v is not None})


def _build(tmp_path, lines):
    return JsonlQA("t-v1", _dataset(tmp_path, lines), tmp_path)


def test_jsonl_ok_and_answer_by_text(tmp_path):
    b = _build(
        tmp_path, [_line(), _line(id="y", answer="a"), _line(id="z", choices=None, answer=3)]
    )
    assert b.num_samples() == 3
    assert [b.sample(i, 0).data["answer"] for i in range(3)] == ["B", "A", "3"]
    req = b.request(b.sample(0, 0), False)
    assert req.images[0].shape == (8, 8, 3) and req.privileged is None


@pytest.mark.parametrize(
    ("line", "match"),
    [
        (_line(image="../outside.png"), r"qa.jsonl:2: media path '../outside.png' must stay"),
        (_line(image="/etc/hostname"), r"qa.jsonl:2: media path '/etc/hostname' must stay"),
        (_line(image="media/missing.png"), r"qa.jsonl:2: media file not found"),
        ('{"id": "x", "question": ', r"qa.jsonl:2: malformed JSON"),
        (_line(colour="red"), r"qa.jsonl:2: unknown field 'colour'"),
        (
            json.dumps({"id": "x", "question": "q", "image": "media/a.png"}),
            r"qa.jsonl:2: missing field 'answer'",
        ),
        (_line(answer="E"), r"qa.jsonl:2: 'answer' must be a choice letter"),
        (_line(id="first"), r"qa.jsonl:2: duplicate id"),
        (_line(image=None), r"qa.jsonl:2: needs 'image' and/or 'video'"),
    ],
)
def test_jsonl_bad_lines(tmp_path, line, match):
    with pytest.raises(DataError, match=match):
        _build(tmp_path, [_line(id="first"), line])


def test_jsonl_symlink_escape(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    cfg = _dataset(tmp_path, [_line(image="media/link.png")])
    os.symlink(secret, tmp_path / "data" / "media" / "link.png")
    with pytest.raises(DataError, match=r"qa.jsonl:1: .*leaves"):
        JsonlQA("t-v1", cfg, tmp_path)


def test_jsonl_missing_data_file_and_root(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(DataError, match="data file not found"):
        JsonlQA("t-v1", JsonlQAConfig(data="data/nope.jsonl", media_root="data"), tmp_path)
    with pytest.raises(ConfigError, match="media_root"):
        JsonlQA("t-v1", JsonlQAConfig(data="data/nope.jsonl", media_root="nodir"), tmp_path)


def test_cli_bad_data_is_one_line_exit_2(tmp_path):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    _dataset(tasks, [_line(image="../../escape.png")])
    (tasks / "mine-v1.yaml").write_text(
        "task: mine-v1\ntype: qa-jsonl\ndescription: d\n"
        "config: {data: data/qa.jsonl, media_root: data}\n"
    )
    env = dict(os.environ, COSMOS3_EVAL_TASKS=str(tasks))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cosmos3_eval.cli",
            "run",
            "--model",
            "oracle",
            "--tasks",
            "mine-v1",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "qa.jsonl:1" in proc.stderr
