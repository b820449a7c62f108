"""Export of static tasks (QA, T2I, I2V) as training data in formats users already load.

Every family writes one folder per task with a line-per-sample file whose last line is the
commit marker: media first, then the line, flushed. A rerun of the same command reads the
complete lines back, drops a torn last line and writes only the missing samples (like
``run``), so an interrupted export loses at most the sample in flight.

* QA (``physqa-sim``): ``data.jsonl`` in the ``qa-jsonl`` task format (``id``, ``question``,
  ``choices``, ``answer``, ``category``, ``image`` or ``video`` = a folder of PNG frames,
  ``fps``) plus ``media/``; provenance (split, seed, content id) in ``index.jsonl``, since
  ``qa-jsonl`` rejects unknown fields. The Hugging Face ``datasets`` JSON loader reads
  ``data.jsonl`` as is.
* T2I: an ``imagefolder`` layout: ``images/*.png`` and ``metadata.jsonl`` with ``file_name``
  and ``text`` (the prompt), which ``datasets.load_dataset("imagefolder")`` pairs.
* I2V: ``clips/<id>/`` with the context frames ``context_*.png`` and the true clip
  ``frames/*.png``; ``metadata.jsonl`` names them with the prompt and fps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.benchmark import Sample, StaticBenchmark, derive_seed
from cosmos3_eval.api.media import write_image
from cosmos3_eval.errors import UserError


def content_id(*parts: Any) -> str:
    """sha256 (16 hex) over texts and arrays: equal content, equal id, whatever the seed."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(str((p.shape, p.dtype.str)).encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def static_content_id(sample: Sample, req: Any) -> str:
    """The content id of one sample from its privileged request: text, media and truth."""
    priv = req.privileged or {}
    arrays = [np.asarray(a) for a in getattr(req, "images", ()) or ()]
    for name in ("video", "frames"):
        value = getattr(req, name, None)
        if value is not None:
            arrays.append(np.asarray(value))
    arrays += [np.asarray(v) for k, v in sorted(priv.items()) if isinstance(v, np.ndarray)]
    text = {k: v for k, v in sample.data.items() if k not in ("seed",)}
    return content_id(text, *arrays)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Complete JSON lines of ``path``; a torn last line (crash mid-write) is cut off the file."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    keep = raw[: raw.rfind(b"\n") + 1]
    if len(keep) != len(raw):
        path.write_bytes(keep)
    return [json.loads(line) for line in keep.decode().splitlines() if line.strip()]


def _append(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
        f.flush()


def _stem(sample: Sample) -> str:
    return sample.id.replace("/", "_")


def _write_frames(folder: Path, frames: np.ndarray, prefix: str = "") -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for t, frame in enumerate(frames):
        write_image(folder / f"{prefix}{t:03d}.png", frame)
        names.append(f"{prefix}{t:03d}.png")
    return names


def _qa_item(sample: Sample, req: Any, out: Path) -> dict[str, Any]:
    stem = _stem(sample)
    item: dict[str, Any] = {
        "id": stem,
        "question": sample.data["question"],
        "choices": sample.data["choices"],
        "answer": sample.data["answer"],
        "category": sample.category,
    }
    if req.video is not None:
        _write_frames(out / "media" / stem, req.video)
        item.update(video=stem, fps=float(req.fps or 8.0))
    else:
        (out / "media").mkdir(parents=True, exist_ok=True)
        write_image(out / "media" / f"{stem}.png", req.images[0])
        item["image"] = f"{stem}.png"
    return item


def _t2i_item(sample: Sample, req: Any, out: Path) -> dict[str, Any]:
    stem = _stem(sample)
    (out / "images").mkdir(parents=True, exist_ok=True)
    write_image(out / "images" / f"{stem}.png", req.privileged["image"])
    return {"id": stem, "file_name": f"images/{stem}.png", "text": req.prompt,
            "category": sample.category}  # fmt: skip


def _i2v_item(sample: Sample, req: Any, out: Path) -> dict[str, Any]:
    stem = _stem(sample)
    clip = out / "clips" / stem
    context = _write_frames(clip, req.frames, prefix="context_")
    frames = _write_frames(clip / "frames", req.privileged["video"])
    return {
        "id": stem,
        "prompt": req.prompt,
        "context": [f"clips/{stem}/{n}" for n in context],
        "frames": f"clips/{stem}/frames",
        "num_frames": len(frames),
        "fps": float(req.fps),
        "category": sample.category,
    }


FAMILIES: dict[str, tuple[str, Callable[[Sample, Any, Path], dict[str, Any]]]] = {
    "physqa-sim": ("data.jsonl", _qa_item),
    "compose-t2i": ("metadata.jsonl", _t2i_item),
    "physics-i2v": ("metadata.jsonl", _i2v_item),
}
"""Benchmark type name -> (line file, writer of one sample)."""


def family_of(bench: Any) -> tuple[str, Callable[[Sample, Any, Path], dict[str, Any]]]:
    """The line file and writer of a static benchmark's type.

    Raises:
        UserError: The type has no exporter.
    """
    if bench.type_name not in FAMILIES:
        raise UserError(
            f"export: no exporter for '{bench.task_id}' (type {bench.type_name}); "
            f"exportable types: {', '.join(sorted(FAMILIES))}, push-block, gym-mujoco, robosuite"
        )
    return FAMILIES[bench.type_name]


def export_static(
    bench: StaticBenchmark, out: Path, n: int, base_seed: int, split: str, bar: Any
) -> int:
    """Write samples ``0..n-1`` of ``split`` into ``out``; return how many were new.

    Args:
        bench: The task.
        out: The task's export folder (created).
        n: Samples wanted in total (already written ones count).
        base_seed: Base seed of the derivation.
        split: ``"train"`` (disjoint from every evaluation seed) or ``"eval"``.
        bar: A tqdm-like progress bar (``update``).
    """
    out.mkdir(parents=True, exist_ok=True)
    line_file, writer = family_of(bench)
    index_path = out / "index.jsonl"
    done = {r["index"] for r in read_lines(index_path)}
    # The line file may hold one line more than the index (crash between the two writes).
    lines = read_lines(out / line_file)
    keep = {f"{bench.task_id}_{i:06d}" for i in done}
    if len(lines) != len(done):
        (out / line_file).write_text("".join(
            json.dumps(r, sort_keys=True) + "\n" for r in lines if r["id"] in keep
        ))  # fmt: skip
    bar.update(len(done))
    written = 0
    for index in _pending(n, done):
        seed = derive_seed(bench.task_id, index, base_seed, split=split)
        sample = bench.sample(index, seed)
        req = bench.request(sample, privileged=True)  # rendered once: media and content id
        _append(out / line_file, writer(sample, req, out))
        record = {"id": _stem(sample), "task": bench.task_id, "split": split, "index": index,
                  "seed": seed, "content_id": static_content_id(sample, req)}  # fmt: skip
        _append(index_path, record)
        written += 1
        bar.update(1)
    return written


def _pending(n: int, done: set[int]) -> Iterable[int]:
    return (i for i in range(n) if i not in done)
