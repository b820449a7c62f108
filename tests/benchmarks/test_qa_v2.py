"""physqa-sim-v2 through the benchmark: oracle perfect, random at chance; v1 unchanged."""

import hashlib
import math
from pathlib import Path

import numpy as np

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.benchmarks.qa import PhysQAConfig, PhysQASim
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.models.baselines import OracleModel, RandomModel

# (index, type, question, choices, answer, sha256(repr(scene))[:16]) of physqa-sim-v1 samples
# at base seed 0, recorded before generator 2 existed: v1 records must never move.
V1_RECORDS = [
    (
        0,
        "closer",
        "Which object is closest to the camera?",
        ["red sphere", "orange sphere", "blue cylinder", "green sphere"],
        "A",
        "b7d1bfadfe05fa0c",
    ),
    (
        1,
        "collide",
        "Do the orange sphere and the red sphere collide?",
        ["yes", "no"],
        "B",
        "b624dcb3d61b0b64",
    ),
    (2, "count", "How many capsules are on the table?", None, "1", "ef8556db6131b1f9"),
    (3, "topple", "Will this stack of blocks topple over?", ["yes", "no"], "B", "40ffa7769b99fe0b"),
    (
        4,
        "size",
        "Which object is the largest?",
        ["blue cylinder", "yellow cylinder", "orange cylinder", "red sphere"],
        "D",
        "d0b9e4eca4d448f3",
    ),
    (
        5,
        "left_right",
        "Which object is furthest to the right in the image?",
        ["pink capsule", "purple cylinder", "cyan capsule", "blue sphere"],
        "A",
        "08450fdc5bde98ff",
    ),
    (6, "topple", "Will this stack of blocks topple over?", ["no", "yes"], "A", "f6df52253d58830c"),
    (
        7,
        "left_right",
        "Which object is furthest to the right in the image?",
        ["cyan box", "green capsule", "orange capsule", "purple box"],
        "A",
        "b7914a2e4efab716",
    ),
    (
        8,
        "size",
        "Which object is the largest?",
        ["blue sphere", "orange sphere", "purple box", "red cylinder"],
        "D",
        "22f9b231dc1a9f11",
    ),
]


def test_v1_records_unchanged():
    bench = PhysQASim("physqa-sim-v1", PhysQAConfig(), Path("."))
    for index, qtype, text, choices, answer, scene_hash in V1_RECORDS:
        seed = derive_seed("physqa-sim-v1", index, 0)
        s = bench.sample(index, seed)
        got = (s.category, s.data["question"], s.data["choices"], s.data["answer"])
        assert got == (qtype, text, choices, answer)
        assert hashlib.sha256(repr(bench.question(seed).scene).encode()).hexdigest()[:16] == (
            scene_hash
        )


def test_task_files_pick_the_generator():
    assert load_benchmark("physqa-sim-v1").cfg.generator == 1
    v2 = load_benchmark("physqa-sim-v2")
    assert v2.cfg.generator == 2 and v2.cfg.width == 224
    seed = derive_seed("physqa-sim-v2", 0, 0)
    v1 = PhysQASim("physqa-sim-v2", PhysQAConfig(), Path("."))
    assert v2.sample(0, seed).data != v1.sample(0, seed).data  # a different generator


def test_v2_oracle_perfect_random_at_chance():
    task, n = "physqa-sim-v2", 45
    bench = PhysQASim(
        task, PhysQAConfig(width=48, height=48, video_frames=8, generator=2), Path(".")
    )
    oracle, rnd = OracleModel(), RandomModel()
    o_acc, r_acc, chance = [], [], []
    try:
        for i in range(n):
            s = bench.sample(i, derive_seed(task, i, 0))
            ro, rr = bench.request(s, privileged=True), bench.request(s, privileged=False)
            o_acc.append(bench.score(s, ro, oracle.answer([ro])[0]).scores["accuracy"].value)
            r_acc.append(bench.score(s, rr, rnd.answer([rr])[0]).scores["accuracy"].value)
            # random guesses 0-9 for a count, so it is right 1 time in 10
            chance.append(1 / len(s.data["choices"]) if s.data["choices"] else 0.1)
    finally:
        bench.close()
    assert all(a == 1.0 for a in o_acc)
    p = np.array(chance)
    sd = math.sqrt(float(np.sum(p * (1 - p)))) / n
    assert abs(np.mean(r_acc) - p.mean()) < 3 * sd
