"""Validate the compose-t2i scorers (v1 palette, v2 foreground) and measure throughput.

Per class (:func:`~cosmos3_eval.scorers.t2i_validation.validate_classes`): true specs rendered
under 3 cameras x 3 lightings x 3 sizes and the style variants (flat, anti-aliased, hue-shifted,
JPEG, resized) must be accepted; perturbed specs (wrong count, swapped colours, mirrored, wrong
shape) and the adversarial cases (extra off-palette object, per-pixel noise background, heavy
overlap, extra tiny object, missing object, relation turned by 90 degrees) must be rejected.
The v2 scorer must keep every class at <= 1 % wrong verdicts (exit 1 otherwise); v1 is printed
for comparison. Then scorer throughput at 256x256 on true renders and on noise, as images/s and
as a ratio to the raw MuJoCo render rate measured in the same run.

    python benchmarks/perf/t2i_scorer_validation.py [--specs 40] [--seed 1000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from cosmos3_eval.scorers.t2i import T2IScorer
from cosmos3_eval.scorers.t2i_segment import ForegroundSettings
from cosmos3_eval.scorers.t2i_validation import validate_classes
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import SKILLS, generate_spec


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", type=int, default=40, help="specs per skill")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    renderer = SceneRenderer(args.size, args.size)
    scorers = {
        "v1": T2IScorer(args.size, args.size),
        "v2": T2IScorer(args.size, args.size, foreground=ForegroundSettings()),
    }
    reports = {}
    for name, sc in scorers.items():
        t0 = time.perf_counter()
        reports[name] = validate_classes(sc, args.specs, args.seed, renderer)
        print(f"{name}: {args.specs} specs/skill, {time.perf_counter() - t0:.1f} s")
    print(f"{'class':<20} {'kind':<13} {'v1 wrong':>16} {'v2 wrong':>16}")
    ok = True
    for cls, v2 in reports["v2"].items():
        v1 = reports["v1"][cls]
        kind = "false reject" if v2.should_accept else "false accept"
        print(
            f"{cls:<20} {kind:<13} {v1.error_rate:>6.1%} {v1.wrong:>4}/{v1.n:<4}"
            f" {v2.error_rate:>6.1%} {v2.wrong:>4}/{v2.n:<4}"
        )
        for f in v2.failures[:3]:
            print("   v2:", f)
        ok &= v2.error_rate <= 0.01
    scorer = scorers["v2"]

    specs = [generate_spec(SKILLS[i % len(SKILLS)], 50_000 + i) for i in range(140)]
    t0 = time.perf_counter()
    images = [renderer.t2i_image(s) for s in specs]
    render_rate = len(images) / (time.perf_counter() - t0)
    noise = [
        np.random.default_rng(i).integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
        for i in range(60)
    ]
    scorer.detect(images[0])  # warm-up (imports)
    for name, batch in (("true renders", images), ("uniform noise", noise)):
        t0 = time.perf_counter()
        for img in batch:
            scorer.detect(img)
        rate = len(batch) / (time.perf_counter() - t0)
        print(
            f"scorer throughput ({name}, {args.size}x{args.size}): {rate:.0f} images/s "
            f"= {rate / render_rate:.2f}x the raw MuJoCo render rate ({render_rate:.0f} frames/s)"
        )
    renderer.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
