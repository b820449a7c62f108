"""Parity of :mod:`cosmos3_eval.scorers.physics_iq` with the Physics-IQ reference code.

The reference functions (Apache-2.0, reproduced in ``_physics_iq_reference.py`` with their
licence header) and ours run on identical inputs: synthetic videos (moving discs and bars on
noisy backgrounds, fades, flicker, still clips) and simulator rollouts (truth, perturbed twin
and baseline outputs of ``physics-i2v``). Masks, the four metrics and the score must agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cosmos3_eval.scorers import physics_iq as piq

sys.path.insert(0, str(Path(__file__).parent))
import _physics_iq_reference as ref  # noqa: E402

TOL = 1e-6


def _disc_video(rng: np.random.Generator, t: int, h: int, w: int, jitter: float) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    bg = rng.integers(0, 256, 3)
    video = np.empty((t, h, w, 3), np.uint8)
    n = int(rng.integers(0, 4))
    pos = rng.uniform(0, [w, h], (n, 2))
    vel = rng.normal(0, 3, (n, 2)) + jitter * rng.normal(0, 1, (n, 2))
    rad = rng.uniform(3, 14, n)
    col = rng.integers(0, 256, (n, 3))
    noise = int(rng.integers(0, 12))
    for i in range(t):
        f = np.broadcast_to(bg, (h, w, 3)).astype(np.int16).copy()
        for p, v, r, c in zip(pos, vel, rad, col):
            cx, cy = p + v * i
            f[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = c
        if rng.random() < 0.2:  # a bar sweeping across
            f[:, (i * 5) % w : (i * 5) % w + 4] = 255 - f[:, (i * 5) % w : (i * 5) % w + 4]
        if noise:
            f += rng.integers(-noise, noise + 1, f.shape).astype(np.int16)
        video[i] = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.15:  # a fade to black
        video = (video * np.linspace(1, 0, t)[:, None, None, None]).astype(np.uint8)
    return video


def synthetic_cases(n: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``n`` (truth, twin, generated) triples; the twin shares the truth's seed."""
    out = []
    for i in range(n):
        rng = np.random.default_rng([i, 99])
        t = int(rng.integers(3, 15))
        h, w = (int(x) * 8 for x in rng.integers(4, 17, 2))
        seed = int(rng.integers(1 << 30))
        truth = _disc_video(np.random.default_rng(seed), t, h, w, 0.0)
        twin = _disc_video(np.random.default_rng(seed), t, h, w, 0.3)
        gen = _disc_video(np.random.default_rng([seed, int(rng.integers(3))]), t, h, w, 1.0)
        out.append((truth, twin, gen))
    return out


@pytest.fixture(scope="module")
def sim_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    from cosmos3_eval.api.benchmark import derive_seed
    from cosmos3_eval.engine.factory import create_model
    from cosmos3_eval.engine.tasks import load_benchmark

    task = "physics-i2v-v2"
    bench = load_benchmark(task)
    models = [create_model(m) for m in ("static", "const-velocity", "twin-lag", "ping-pong")]
    out = []
    for i in range(16):
        s = bench.sample(i, derive_seed(task, i, 0))
        r = bench.request(s, privileged=True)
        truth, twin = r.privileged["video"], r.privileged["twin"]
        for m in models:
            gen = m.generate_videos([r])[0].video
            out.append((truth[2:], twin[2:], gen[2:]))  # the future, as the benchmark scores
    bench.close()
    return out


def _bgr(video: np.ndarray) -> list[np.ndarray]:
    return [np.ascontiguousarray(f[..., ::-1]) for f in video]


def _ours(truth, twin, gen):
    t = piq.prepare(truth)
    return piq.compare(t, piq.prepare(gen)), piq.compare(t, piq.prepare(twin))


def _check_case(truth, twin, gen, worst: dict[str, float]) -> dict:
    r = ref.process_view(_bgr(truth), _bgr(twin), _bgr(gen))
    model, var = _ours(truth, twin, gen)
    v = "perspective-left"
    pairs = {
        "masks": (
            np.stack(ref.generate_mask(_bgr(gen)))[..., 0].astype(float),
            piq.motion_masks(gen).astype(float),
        ),
        "spatial_iou": (r[f"spatial_iou_v1_{v}"], model.spatial_iou),
        "spatiotemporal_iou": (r[f"spatiotemporal_iou_v1_{v}"], model.spatiotemporal_iou),
        "weighted_spatial_iou": (r[f"weighted_spatial_iou_v1_{v}"], model.weighted_spatial_iou),
        "mse": (r[f"v1_mse_{v}"], model.mse),
        "variance_spatial_iou": (r[f"variance_spatial_{v}"], var.spatial_iou),
        "variance_spatiotemporal_iou": (
            r[f"variance_spatiotemporal_iou_{v}"],
            var.spatiotemporal_iou,
        ),
        "variance_weighted_spatial_iou": (
            r[f"variance_weighted_spatial_{v}"],
            var.weighted_spatial_iou,
        ),
        "variance_mse": (r[f"variance_mse_{v}"], var.mse),
    }
    for name, (a, b) in pairs.items():
        d = float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))))
        worst[name] = max(worst.get(name, 0.0), d)
    return r


def _reference_score(rows: list[dict], tmp_path) -> float:
    """Write the reference's CSV (one view's values copied to all three) and score it."""
    records = []
    for i, r in enumerate(rows):
        rec = {"scenario": f"s{i}"}
        for view in ref.VIEWS:
            for k, val in r.items():
                key = k.replace("perspective-left", view)
                rec[key] = [float(x) for x in val] if isinstance(val, list) else val
        records.append(rec)
    path = tmp_path / "metrics.csv"
    pd.DataFrame(records).to_csv(path, index=False)
    return ref.calculate_iq_score(str(path))


def _our_score(cases) -> float:
    terms = []
    for truth, twin, gen in cases:
        model, var = _ours(truth, twin, gen)
        terms.append(piq.SampleTerms(model.summary(), var.summary(), frames=len(truth)))
    return piq.physics_iq_score(terms)


def test_parity_synthetic_and_simulator(sim_cases, tmp_path):
    cases = synthetic_cases(60) + sim_cases
    assert len(cases) >= 100
    worst: dict[str, float] = {}
    rows = [_check_case(*c, worst) for c in cases]
    print("max |reference - ours| per metric:", worst)
    assert all(d <= TOL for d in worst.values()), worst
    # The corpus score on groups of cases (ratios, the MSE term and the reference's rounding).
    rng = np.random.default_rng(0)
    groups = [list(range(60)), list(range(60, len(cases)))]
    groups += [sorted(rng.choice(len(cases), 12, replace=False)) for _ in range(8)]
    diffs = []
    for g in groups:
        ours = _our_score([cases[i] for i in g])
        theirs = _reference_score([rows[i] for i in g], tmp_path)
        diffs.append(abs(ours - theirs))
    print("max |reference - ours| physics_iq_score:", max(diffs))
    assert max(diffs) <= TOL


def test_first_mask_empty_and_still_video_scores_like_reference():
    still = np.full((6, 32, 32, 3), 90, np.uint8)
    masks = piq.motion_masks(still)
    assert not masks.any()
    m = piq.compare(piq.prepare(still), piq.prepare(still))
    assert m.spatial_iou == 1.0 and np.all(m.spatiotemporal_iou == 1.0)
    assert m.weighted_spatial_iou == 1.0 and np.all(m.mse == 0.0)


def test_score_formula_subtracts_mse_excess():
    var = {"spatial_iou": 0.8, "spatiotemporal_iou": 0.5, "weighted_spatial_iou": 0.4, "mse": 0.01}
    model = {
        "spatial_iou": 0.4,
        "spatiotemporal_iou": 0.25,
        "weighted_spatial_iou": 0.2,
        "mse": 0.11,
    }
    # Half of every variance ratio, minus the 0.1 MSE excess: 100 * (0.5 - 0.1) = 40.
    assert piq.physics_iq_score([piq.SampleTerms(model, var)]) == pytest.approx(40.0)
    assert piq.physics_iq_score([piq.SampleTerms(var, var)]) == 100.0
    # An errored sample counts 0 for the IoUs: two samples, one failed, halve the ratios.
    two = [piq.SampleTerms(var, var), piq.SampleTerms(None, var)]
    assert piq.physics_iq_score(two) == pytest.approx(50.0)
