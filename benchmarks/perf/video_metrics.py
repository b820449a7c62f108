"""Throughput of the video metrics and of physics-scenario generation (prints ratios).

Usage: python benchmarks/perf/video_metrics.py [n_scenarios]
"""

import sys
import time

import numpy as np

from cosmos3_eval.scorers import video as vm
from cosmos3_eval.sim.scenes.physics import SCENARIO_KINDS, ScenarioSimulator, make_scenario


def main(n: int = 21) -> None:
    sim = ScenarioSimulator(128, 128)
    sim.simulate(make_scenario("free_fall", 0), 2, 15.0)  # GL start-up outside the timing
    sim.render_seconds = 0.0
    t0 = time.perf_counter()
    videos = []
    for i in range(n):
        sc = make_scenario(SCENARIO_KINDS[i % len(SCENARIO_KINDS)], i)
        roll = sim.simulate(sc, 16, 15.0)
        sim.simulate(sc, 16, 15.0, perturb=True, segmentation=False)  # the twin
        videos.append((roll, sc))
    gen_s = time.perf_counter() - t0
    print(f"scenario generation: {n / gen_s:.1f} scenarios/s (truth + seg + twin, 16 frames)")
    print(f"  rendering share: {100 * sim.render_seconds / gen_s:.0f}% of generation time")

    warm = videos[0][0].frames
    vm.psnr(warm, warm[::-1]), vm.ssim(warm, warm[::-1])  # imports outside the timing
    for kind in ("realistic (shifted truth)", "noise (worst case for colour masks)"):
        _metrics(videos, kind)
    sim.close()


def _metrics(videos, kind):
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    frames = 0
    for roll, sc in videos:
        if kind.startswith("noise"):
            gen = rng.integers(0, 256, roll.frames.shape, dtype=np.uint8)
        else:
            gen = np.roll(roll.frames, 3, axis=2)
        gen[:2] = roll.frames[:2]
        piq = vm.physics_iq(roll.frames, gen, start=1)
        vm.physics_score(piq, piq)
        vm.psnr(roll.frames[2:], gen[2:])
        vm.ssim(roll.frames[2:], gen[2:])
        tc = vm.label_centroids(roll.labels[2:], len(sc.objects))
        gc = vm.centroids(vm.color_masks(gen[2:], [o.hue for o in sc.objects]))
        vm.trajectory_error(tc, gc, 181.0)
        frames += len(gen) - 1
    met_s = time.perf_counter() - t0
    print(
        f"all metrics (Physics-IQ, PSNR, SSIM, trajectories), {kind}: {frames / met_s:.0f} "
        "frames/s at 128x128 (target >= 200)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
