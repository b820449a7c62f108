"""Understanding-QA benchmarks: the shared QA base and the simulator-generated ``physqa-sim``.

``qa-jsonl`` (from files) lives in :mod:`cosmos3_eval.benchmarks.qa_jsonl`.

Both score ``accuracy`` (1 / 0 per sample) with the reason in words, e.g.
``"extracted 'B' (red), expected 'C' (blue)"``. An answer that cannot be extracted scores 0
with its reason; it is not an error.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from cosmos3_eval.api.benchmark import Sample, Scored, StaticBenchmark, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.media import write_gif, write_image
from cosmos3_eval.api.metrics import MetricSpec, Score
from cosmos3_eval.api.model import Capability
from cosmos3_eval.api.types import CHOICE_LETTERS, QARequest, TextOutput
from cosmos3_eval.errors import ModelOutputError, did_you_mean
from cosmos3_eval.scorers.answers import extract_choice, extract_number, format_number
from cosmos3_eval.sim.render import render_provenance
from cosmos3_eval.sim.scenes import qa_spec as qa_scenes
from cosmos3_eval.sim.scenes.qa_questions import generate
from cosmos3_eval.sim.scenes.qa_questions_v2 import generate_v2
from cosmos3_eval.sim.scenes.render import SceneRenderer

_QUESTION_TYPES = (
    "count",
    "colour",
    "left_right",
    "closer",
    "size",
    "moved",
    "direction",
    "topple",
    "collide",
)  # mirrors qa_scenes.QUESTION_TYPES without importing mujoco at config time


def _output_text(output: Any) -> str:
    if isinstance(output, TextOutput):
        return output.text
    if isinstance(output, str):
        return output
    raise ModelOutputError(f"expected a TextOutput, got {type(output).__name__}")


def score_answer(text: str, choices: tuple[str, ...] | list[str] | None, answer: str) -> Scored:
    """Score one text answer against a letter (multiple choice) or a number / short text.

    Args:
        text: The model's answer.
        choices: The options, or ``None``.
        answer: The correct letter (with choices), else the number or text as a string.
    """
    shown = text if len(text) <= 80 else text[:77] + "..."
    if choices:
        want = CHOICE_LETTERS.index(answer)
        got = extract_choice(text, choices)
        expected = f"'{answer}' ({choices[want]})"
        if got is None:
            reason = f"no answer extracted from {shown!r}, expected {expected}"
            return Scored({"accuracy": Score(0.0, reason)}, {"text": text, "extracted": None})
        ok = got == want
        reason = f"extracted '{CHOICE_LETTERS[got]}' ({choices[got]}), expected {expected}"
        return Scored(
            {"accuracy": Score(float(ok), reason)}, {"text": text, "extracted": CHOICE_LETTERS[got]}
        )
    try:
        target = float(answer)
    except ValueError:
        target = None
    if target is not None:
        value = extract_number(text)
        if value is None:
            reason = f"no number extracted from {shown!r}, expected {answer}"
            return Scored({"accuracy": Score(0.0, reason)}, {"text": text, "extracted": None})
        ok = math.isclose(value, target, rel_tol=1e-6, abs_tol=1e-9)
        reason = f"extracted {format_number(value)}, expected {answer}"
        return Scored(
            {"accuracy": Score(float(ok), reason)},
            {"text": text, "extracted": format_number(value)},
        )
    # Free-text answer: correct when the normalised answer is the normalised output or appears
    # in it as whole words.
    norm = " ".join(answer.lower().split())
    said = " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
    want_words = " ".join("".join(c if c.isalnum() else " " for c in norm).split())
    ok = bool(want_words) and f" {want_words} " in f" {said} "
    reason = f"{'found' if ok else 'did not find'} {answer!r} in {shown!r}"
    return Scored({"accuracy": Score(float(ok), reason)}, {"text": text, "extracted": None})


# ------------------------------------------------------------------------------ physqa-sim


class QABenchmark(StaticBenchmark):
    """Scoring and media shared by every QA benchmark (one home for both)."""

    def score(self, sample: Sample, request: QARequest, output: Any) -> Scored:
        """Extract the answer from the output text and compare it with the truth."""
        return score_answer(_output_text(output), sample.data["choices"], sample.data["answer"])

    def save_media(
        self, sample: Sample, request: QARequest, output: Any, out_dir: Path
    ) -> str | None:
        """Write the question's first image (PNG) or its video (GIF)."""
        return save_request_media(sample, request, out_dir)


class PhysQAConfig(StrictConfig):
    """Config of ``physqa-sim``.

    Attributes:
        width: Image width in pixels.
        height: Image height in pixels.
        video_frames: Frames per video question (8-16).
        question_types: Question types to draw from (default: all).
        cache_size: Generated questions kept in memory (no pixels), so ``request`` need not
            re-run the rejection sampling ``sample`` did.
        generator: Question generator version: 1 (``physqa-sim-v1``, whose answers leak through
            language priors) or 2 (answers fixed before the scene, balanced per type, no
            option impossible; see :mod:`cosmos3_eval.sim.scenes.qa_questions_v2`).
    """

    width: int = Field(224, ge=32, le=1024)
    height: int = Field(224, ge=32, le=1024)
    video_frames: int = Field(12, ge=8, le=16)
    question_types: tuple[str, ...] = _QUESTION_TYPES
    cache_size: int = Field(256, ge=0, le=100_000)
    generator: int = Field(1, ge=1, le=2)

    @field_validator("question_types")
    @classmethod
    def _known_types(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("at least one question type")
        for t in v:
            if t not in _QUESTION_TYPES:
                raise ValueError(
                    f"unknown question type '{t}'{did_you_mean(t, _QUESTION_TYPES)}; "
                    f"known: {', '.join(_QUESTION_TYPES)}"
                )
        if len(set(v)) != len(v):
            raise ValueError("question types repeat")
        return v


class PhysQASim(QABenchmark):
    """Physical-understanding QA about seeded MuJoCo scenes and rollouts.

    A sample's question type is drawn from its seed among ``question_types``; its scene,
    question and answer come from :func:`cosmos3_eval.sim.scenes.qa_questions.generate`. Only the
    question, choices and answer are stored; ``request`` re-renders the media from the seed.
    """

    type_name: ClassVar[str] = "physqa-sim"
    capability: ClassVar[Capability] = Capability.ANSWER
    Config: ClassVar[type[StrictConfig]] = PhysQAConfig
    main_metric: ClassVar[str] = "accuracy"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("accuracy", ci="wilson", description="share of correct answers"),
    )
    default_size: ClassVar[int] = 500

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Path):
        super().__init__(task_id, config, task_dir)
        self.cfg: PhysQAConfig = config  # type: ignore[assignment]
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._renderer: Any = None

    def question_type(self, seed: int) -> str:
        """The question type of the sample with this seed."""
        types = self.cfg.question_types
        return types[int(np.random.default_rng([seed, 7919]).integers(len(types)))]

    def question(self, seed: int) -> Any:
        """The generated :class:`~cosmos3_eval.sim.scenes.qa_spec.Question` for a seed (cached)."""
        if seed in self._cache:
            self._cache.move_to_end(seed)
            return self._cache[seed]
        q = (generate_v2 if self.cfg.generator == 2 else generate)(seed, self.question_type(seed))
        if self.cfg.cache_size:
            self._cache[seed] = q
            while len(self._cache) > self.cfg.cache_size:
                self._cache.popitem(last=False)
        return q

    def sample(self, index: int, seed: int) -> Sample:
        """Generate the question (physics only, no pixels)."""
        q = self.question(seed)
        answer = CHOICE_LETTERS[q.answer_index] if q.choices is not None else str(q.answer_number)
        data = {
            "seed": seed,
            "question": q.text,
            "choices": list(q.choices) if q.choices is not None else None,
            "answer": answer,
            "media": "video" if q.is_video else "image",
        }
        return Sample(sample_id(self.task_id, index), index, seed, q.qtype, data)

    def scene_renderer(self) -> Any:
        """The benchmark's single renderer (created on first use)."""
        if self._renderer is None:
            self._renderer = SceneRenderer(self.cfg.width, self.cfg.height)
        return self._renderer

    def request(self, sample: Sample, privileged: bool) -> QARequest:
        """Render the sample's image or video and build the request."""
        q = self.question(sample.seed)
        renderer = self.scene_renderer()
        choices = tuple(sample.data["choices"]) if sample.data["choices"] is not None else None
        common = {
            "id": sample.id,
            "question": sample.data["question"],
            "choices": choices,
            "seed": sample.seed,
            "privileged": {"answer": sample.data["answer"]} if privileged else None,
        }
        if q.is_video:
            frames = self.cfg.video_frames
            video = renderer.qa_video(q.scene, frames)
            return QARequest(video=video, fps=(frames - 1) / q.scene.video_span, **common)
        return QARequest(images=(renderer.qa_image(q.scene),), **common)

    def provenance(self) -> dict[str, Any]:
        """Renderer facts and the sizes that can move a score."""
        return {
            "render": render_provenance(),
            "width": self.cfg.width,
            "height": self.cfg.height,
            "video_frames": self.cfg.video_frames,
            "physics_timestep": qa_scenes.TIMESTEP,
            "fovy": qa_scenes.FOVY,
        }

    def close(self) -> None:
        """Release the renderer."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._cache.clear()


def save_request_media(sample: Sample, request: QARequest, out_dir: Path) -> str | None:
    """Write the request's video (GIF) or first image (PNG) as the sample's artifact."""
    stem = sample.id.replace("/", "_")
    out_dir.mkdir(parents=True, exist_ok=True)
    if request.video is not None:
        name = f"{stem}.gif"
        fps = request.fps or 8.0
        write_gif(out_dir / name, request.video, fps)
        return name
    if request.images:
        name = f"{stem}.png"
        write_image(out_dir / name, request.images[0])
        return name
    return None
