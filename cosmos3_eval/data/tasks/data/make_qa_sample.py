"""Regenerate the qa-sample dataset (tasks/data/qa-sample/) with physqa-sim itself.

Run: python tasks/data/make_qa_sample.py   (deterministic: the same files every time)

Images are PNGs; videos alternate between a folder of PNG frames and a GIF so that both
video forms of the qa-jsonl task type are exercised.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.media import write_gif, write_image
from cosmos3_eval.benchmarks.qa import PhysQAConfig, PhysQASim

OUT = Path(__file__).resolve().parent / "qa-sample"
N = 40
SIZE = 96


def main() -> None:
    """Render the items and write qa.jsonl plus the media folder."""
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "media").mkdir(parents=True)
    bench = PhysQASim("physqa-sim-v1", PhysQAConfig(width=SIZE, height=SIZE, video_frames=8), OUT)
    lines = []
    videos = 0
    try:
        for i in range(N):
            s = bench.sample(i, derive_seed("qa-sample", i, 0))
            req = bench.request(s, privileged=False)
            item = {"id": f"q{i:03d}", "question": s.data["question"], "category": s.category}
            if s.data["choices"] is not None:
                item["choices"] = s.data["choices"]
            item["answer"] = s.data["answer"]
            if req.video is not None:
                if videos % 2 == 0:
                    rel = f"media/q{i:03d}"
                    (OUT / rel).mkdir()
                    for t, frame in enumerate(req.video):
                        write_image(OUT / rel / f"frame_{t:02d}.png", frame)
                else:
                    rel = f"media/q{i:03d}.gif"
                    write_gif(OUT / rel, req.video, req.fps)
                item["video"] = rel
                item["fps"] = round(req.fps, 4)
                videos += 1
            else:
                rel = f"media/q{i:03d}.png"
                write_image(OUT / rel, req.images[0])
                item["image"] = rel
            lines.append(json.dumps(item))
    finally:
        bench.close()
    (OUT / "qa.jsonl").write_text("\n".join(lines) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {N} items to {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
