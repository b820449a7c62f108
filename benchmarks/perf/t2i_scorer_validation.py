"""Validate the compose-t2i scorer on MuJoCo renders and measure its throughput.

True specs are rendered under 3 cameras x 3 lightings x 3 sizes (one axis at a time, all
backgrounds) and must be accepted (>= 99 %); perturbed specs (wrong count, swapped colours,
mirrored positions, wrong shape) must be rejected (>= 99 %). Prints both rates per skill, then
scorer throughput at 256x256 on true renders and on noise, as images/s and as a ratio to the
raw MuJoCo render rate measured in the same run.

    python benchmarks/perf/t2i_scorer_validation.py [--specs 40] [--seed 1000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from cosmos3_eval.scorers.t2i import T2IScorer, validate_scorer
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import SKILLS, generate_spec


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", type=int, default=40, help="specs per skill")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    scorer = T2IScorer(args.size, args.size)
    renderer = SceneRenderer(args.size, args.size)
    t0 = time.perf_counter()
    report = validate_scorer(scorer, args.specs, args.seed, renderer)
    print(f"validation: {args.specs} specs/skill, {time.perf_counter() - t0:.1f} s")
    print(f"{'skill':<20} {'accept':>14} {'reject':>14}")
    ok = True
    tot = [0, 0, 0, 0]
    for skill, v in report.items():
        print(
            f"{skill:<20} {v.accept_rate:>7.2%} {v.accepted:>3}/{v.true_renders:<3}"
            f" {v.reject_rate:>7.2%} {v.rejected:>3}/{v.perturbed_renders:<3}"
        )
        for f in v.failures:
            print("   ", f)
        tot = [
            a + b
            for a, b in zip(tot, (v.accepted, v.true_renders, v.rejected, v.perturbed_renders))
        ]
        ok &= v.accept_rate >= 0.99 and v.reject_rate >= 0.99
    acc, rej = (
        f"{tot[0] / tot[1]:>7.2%} {tot[0]}/{tot[1]}",
        f"{tot[2] / tot[3]:>7.2%} {tot[2]}/{tot[3]}",
    )
    print(f"{'all':<20} {acc} {rej}")

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
