"""physqa-sim rendering throughput against raw MuJoCo rendering, in the same run.

Run: python benchmarks/perf/qa_render_throughput.py [N] [SIZE]   (default N=60, SIZE=224)

Prints QA samples/s (sample + request: scene generation, physics, rendering) for image and
video questions, and the raw ``mujoco.Renderer`` frames/s on a comparable scene, with ratios.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cosmos3_eval.benchmarks.qa import PhysQAConfig, PhysQASim
from cosmos3_eval.sim.render import import_mujoco, make_renderer
from cosmos3_eval.sim.scenes.qa_physics import scene_mjcf
from cosmos3_eval.sim.scenes.qa_questions import generate
from cosmos3_eval.sim.scenes.qa_spec import IMAGE_TYPES, VIDEO_TYPES


def qa_rate(types: tuple[str, ...], n: int, size: int) -> tuple[float, int]:
    bench = PhysQASim(
        "physqa-sim-v1", PhysQAConfig(width=size, height=size, question_types=types), Path(".")
    )
    frames = 0
    try:
        bench.request(bench.sample(0, 10**6), False)  # warm-up: GL context
        t = time.perf_counter()
        for i in range(n):
            req = bench.request(bench.sample(i, i), False)
            frames += len(req.video) if req.video is not None else 1
        return n / (time.perf_counter() - t), frames
    finally:
        bench.close()


def raw_fps(size: int, frames: int = 300) -> float:
    mj = import_mujoco()
    scene = generate(0, "left_right").scene
    model = mj.MjModel.from_xml_string(scene_mjcf(scene))
    data = mj.MjData(model)
    mj.mj_forward(model, data)
    r = make_renderer(model, size, size)
    cam = mj.MjvCamera()
    cam.lookat[:] = scene.camera.lookat
    cam.distance, cam.azimuth, cam.elevation = (
        scene.camera.distance,
        scene.camera.azimuth,
        scene.camera.elevation,
    )
    try:
        t = time.perf_counter()
        for _ in range(frames):
            r.update_scene(data, camera=cam)
            r.render()
        return frames / (time.perf_counter() - t)
    finally:
        r.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 224
    fps = raw_fps(size)
    img, _ = qa_rate(IMAGE_TYPES, n, size)
    vid, vframes = qa_rate(VIDEO_TYPES, n, size)
    print(f"size {size}x{size}, n={n} per kind")
    print(f"raw mujoco render:        {fps:8.1f} frames/s")
    print(
        f"QA image questions:       {img:8.1f} samples/s  (ratio to raw frames/s {img / fps:.3f})"
    )
    print(
        f"QA video questions:       {vid:8.1f} samples/s  ({vframes / n:.0f} frames each; "
        f"frame ratio {vid * vframes / n / fps:.3f})"
    )


if __name__ == "__main__":
    main()
