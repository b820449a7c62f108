"""``qa-jsonl``: understanding QA from a local JSONL file plus a media folder.

Scored exactly like ``physqa-sim`` (:class:`cosmos3_eval.benchmarks.qa.QABenchmark`): ``accuracy``
1 / 0 per sample with the reason in words.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from cosmos3_eval.api.benchmark import Sample, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.media import read_image, read_video
from cosmos3_eval.api.metrics import MetricSpec
from cosmos3_eval.api.model import Capability
from cosmos3_eval.api.types import CHOICE_LETTERS, QARequest
from cosmos3_eval.benchmarks.qa import QABenchmark
from cosmos3_eval.errors import ConfigError, DataError, did_you_mean
from cosmos3_eval.scorers.answers import format_number


def _no_constant(name: str) -> Any:
    """``json.loads`` hook: ``NaN`` / ``Infinity`` are not JSON and no answer or fps."""
    raise ValueError(f"{name} is not a valid JSON number")


class JsonlQAConfig(StrictConfig):
    """Config of ``qa-jsonl``.

    Attributes:
        data: The JSONL file, relative to the task file's folder.
        media_root: The folder media paths are relative to (and may not leave), relative to
            the task file's folder.
        fps: Frame rate reported for videos given as frame folders.
    """

    data: str
    media_root: str
    fps: float = Field(8.0, gt=0)


_ITEM_FIELDS = {"id", "question", "choices", "answer", "category", "image", "video", "fps"}
_REQUIRED = ("id", "question", "answer")
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
_VIDEO_EXT = (".mp4", ".gif", ".webm", ".avi", ".mov")


class JsonlQA(QABenchmark):
    """Questions from a local JSONL file plus a media folder.

    Each line is an object with ``id``, ``question``, ``answer`` (required), ``choices``
    (optional list; then ``answer`` is a letter or one of the choices), ``category``,
    ``image`` (a path or list of paths), ``video`` (a video file or a folder of PNG frames)
    and ``fps``. Media paths are relative to ``media_root`` and may not leave it. The whole
    file is validated when the benchmark is built, so a bad line stops the run before it
    starts, naming the file and line.
    """

    type_name: ClassVar[str] = "qa-jsonl"
    capability: ClassVar[Capability] = Capability.ANSWER
    Config: ClassVar[type[StrictConfig]] = JsonlQAConfig
    main_metric: ClassVar[str] = "accuracy"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("accuracy", ci="wilson", description="share of correct answers"),
    )

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Path):
        super().__init__(task_id, config, task_dir)
        self.cfg: JsonlQAConfig = config  # type: ignore[assignment]
        self.data_path = (task_dir / self.cfg.data).resolve()
        self.media_root = (task_dir / self.cfg.media_root).resolve()
        if not self.media_root.is_dir():
            raise ConfigError(f"{task_id}: media_root '{self.cfg.media_root}' is not a folder")
        self.items = self._load()

    def _load(self) -> list[dict[str, Any]]:
        try:
            lines = self.data_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as exc:
            raise DataError(f"data file not found: {self.data_path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read {self.data_path}: {exc}") from exc
        items, seen = [], set()
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            item = self._parse(line, f"{self.data_path}:{lineno}")
            if item["id"] in seen:
                raise DataError(f"{self.data_path}:{lineno}: duplicate id '{item['id']}'")
            seen.add(item["id"])
            items.append(item)
        if not items:
            raise DataError(f"{self.data_path}: no items")
        return items

    def _media_path(self, rel: Any, where: str) -> Path:
        if not isinstance(rel, str) or not rel:
            raise DataError(f"{where}: a media path must be a non-empty string")
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts:
            raise DataError(f"{where}: media path '{rel}' must stay inside {self.media_root}")
        full = (self.media_root / p).resolve()  # resolves symlinks: an escaping link is caught
        if not full.is_relative_to(self.media_root):
            raise DataError(f"{where}: media path '{rel}' leaves {self.media_root} (symlink)")
        if not full.exists():
            raise DataError(f"{where}: media file not found: {full}")
        return full

    def _parse(self, line: str, where: str) -> dict[str, Any]:
        try:
            raw = json.loads(line, parse_constant=_no_constant)
        except ValueError as exc:  # JSONDecodeError, or NaN / Infinity (not JSON)
            raise DataError(f"{where}: malformed JSON ({getattr(exc, 'msg', exc)})") from exc
        if not isinstance(raw, dict):
            raise DataError(f"{where}: expected a JSON object")
        for key in raw:
            if key not in _ITEM_FIELDS:
                hint = did_you_mean(key, sorted(_ITEM_FIELDS))
                raise DataError(f"{where}: unknown field '{key}'{hint}")
        for key in _REQUIRED:
            if key not in raw:
                raise DataError(f"{where}: missing field '{key}'")
        if not isinstance(raw["id"], (str, int)) or not isinstance(raw["question"], str):
            raise DataError(f"{where}: 'id' must be a string and 'question' a string")
        if "image" not in raw and "video" not in raw:
            raise DataError(f"{where}: needs 'image' and/or 'video'")
        choices = raw.get("choices")
        answer = raw["answer"]
        if choices is not None:
            if (
                not isinstance(choices, list)
                or not 2 <= len(choices) <= 26
                or not all(isinstance(c, str) and c for c in choices)
            ):
                raise DataError(f"{where}: 'choices' must be a list of 2-26 non-empty strings")
            if isinstance(answer, str) and answer in choices:
                answer = CHOICE_LETTERS[choices.index(answer)]
            elif not (isinstance(answer, str) and answer in CHOICE_LETTERS[: len(choices)]):
                last = CHOICE_LETTERS[len(choices) - 1]
                raise DataError(
                    f"{where}: 'answer' must be a choice letter A-{last} or one of the choices"
                )
        elif isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
            raise DataError(f"{where}: 'answer' must be a string or a number")
        else:
            answer = format_number(float(answer)) if not isinstance(answer, str) else answer
        images = raw.get("image", [])
        images = [images] if isinstance(images, str) else images
        if not isinstance(images, list):
            raise DataError(f"{where}: 'image' must be a path or a list of paths")
        for rel in images:
            path = self._media_path(rel, where)
            if not path.is_file() or path.suffix.lower() not in _IMAGE_EXT:
                raise DataError(f"{where}: '{rel}' is not an image file ({', '.join(_IMAGE_EXT)})")
        video = raw.get("video")
        if video is not None:
            path = self._media_path(video, where)
            if path.is_dir():
                if not any(path.glob("*.png")):
                    raise DataError(f"{where}: video folder '{video}' holds no PNG frames")
            elif path.suffix.lower() not in _VIDEO_EXT:
                raise DataError(f"{where}: '{video}' is not a video ({', '.join(_VIDEO_EXT)})")
        category = raw.get("category", "all")
        fps = raw.get("fps", self.cfg.fps)
        if (
            not isinstance(category, str)
            or isinstance(fps, bool)
            or not isinstance(fps, (int, float))
            or not 0 < fps <= 1000
        ):
            raise DataError(f"{where}: 'category' must be a string and 'fps' a number in (0, 1000]")
        return {
            "item_id": str(raw["id"]),
            "id": str(raw["id"]),
            "question": raw["question"],
            "choices": choices,
            "answer": answer,
            "category": category,
            "image": images,
            "video": video,
            "fps": float(fps),
        }

    def num_samples(self) -> int:
        """The number of items in the file."""
        return len(self.items)

    def sample(self, index: int, seed: int) -> Sample:
        """The item on the ``index``-th non-empty line."""
        if not 0 <= index < len(self.items):
            raise DataError(f"{self.task_id}: no item {index} (the file has {len(self.items)})")
        item = self.items[index]
        data = {k: item[k] for k in ("item_id", "question", "choices", "answer", "image", "video")}
        return Sample(sample_id(self.task_id, index), index, seed, item["category"], data)

    def _read_image(self, rel: str) -> np.ndarray:
        return _rgb(read_image(self._media_path(rel, self.task_id)), rel)

    def _read_video(self, rel: str) -> np.ndarray:
        path = self._media_path(rel, self.task_id)
        if path.is_dir():
            frames = [_rgb(read_image(p), str(p)) for p in sorted(path.glob("*.png"))]
        else:
            frames = [_rgb(f, rel) for f in read_video(path)]
        if len({f.shape for f in frames}) != 1:
            raise DataError(f"{self.task_id}: frames of video '{rel}' differ in size")
        return np.stack(frames)

    def request(self, sample: Sample, privileged: bool) -> QARequest:
        """Read the item's media and build the request."""
        item = self.items[sample.index]
        images = tuple(self._read_image(rel) for rel in item["image"])
        video = self._read_video(item["video"]) if item["video"] is not None else None
        return QARequest(
            id=sample.id,
            question=item["question"],
            images=images,
            video=video,
            choices=tuple(item["choices"]) if item["choices"] is not None else None,
            seed=sample.seed,
            fps=item["fps"] if video is not None else None,
            privileged={"answer": item["answer"]} if privileged else None,
        )

    def assets(self) -> list[Path]:
        """The data file and every media file an item names (folders: their PNG frames)."""
        files = [self.data_path]
        for item in self.items:
            for rel in [*item["image"], *([item["video"]] if item["video"] else [])]:
                path = self._media_path(rel, self.task_id)
                files.extend(sorted(path.glob("*.png")) if path.is_dir() else [path])
        return files

    def provenance(self) -> dict[str, Any]:
        """The data file and its sha256 (a changed file changes the scores)."""
        return {
            "data": str(self.data_path),
            "data_sha256": hashlib.sha256(self.data_path.read_bytes()).hexdigest(),
            "items": len(self.items),
        }


def _rgb(arr: np.ndarray, where: str) -> np.ndarray:
    """Any decoded image as ``uint8 (H, W, 3)``."""
    arr = np.asarray(arr)
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.integer) and arr.max(initial=0) > 255:
            arr = (arr / 257).astype(np.uint8)  # 16-bit PNG
        else:
            arr = arr.astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise DataError(f"{where}: unsupported image shape {arr.shape}")
    return np.ascontiguousarray(arr[..., :3])
