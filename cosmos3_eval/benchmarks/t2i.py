"""``compose-t2i``: GenEval-style compositional text-to-image, scored against rendered specs.

Each sample is a seeded :class:`~cosmos3_eval.sim.scenes.t2i.SceneSpec` of one skill (single
object, two objects, counting, colour, shape, position, colour attribution); its prompt is
generated from the spec and the style hint :data:`STYLE` travels in ``T2IRequest.style``. The
generated image is resized to the task resolution and read by the classical
:class:`~cosmos3_eval.scorers.t2i.T2IScorer` (validated on true and perturbed renders in
``benchmarks/perf/t2i_scorer_validation.py``); from ``compose-t2i-v2`` on, with the foreground
pass that sees objects of any colour. The oracle receives the MuJoCo render of the
true spec.

Metrics: ``score`` per sample (1/0 with its reason) and per skill (``score/<skill>``, Wilson
CI); the main metric ``overall`` is the GenEval-style mean of the per-skill scores, with a
bootstrap CI stratified by skill. Optional learned metrics (CLIPScore, FID/KID) run only with
local checkpoints named in the config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import field_validator

from cosmos3_eval.api.benchmark import (
    Sample,
    Scored,
    StaticBenchmark,
    derive_seed,
    sample_id,
)
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.media import write_image
from cosmos3_eval.api.metrics import MetricSpec, MetricValue, Score
from cosmos3_eval.api.model import Capability
from cosmos3_eval.api.types import ImageOutput, T2IRequest
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers.learned import FEATURES_KEY, LearnedMetrics
from cosmos3_eval.scorers.stats import stratified_mean
from cosmos3_eval.scorers.t2i import T2IScorer, prepare_image
from cosmos3_eval.scorers.t2i_segment import ForegroundSettings
from cosmos3_eval.sim.render import render_provenance
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import SKILLS, SceneSpec, generate_spec, render_settings

STYLE = (
    "simple brightly coloured objects (cube, sphere, cylinder lying on its side, pyramid) on a "
    "plain grey background, seen from directly above, no shadows, no other objects"
)
"""The style every image must follow; adapters may append it to the prompt."""


class ComposeT2IConfig(StrictConfig):
    """Config of ``compose-t2i``.

    Attributes:
        size: Number of samples (sample ``i`` has skill ``skills[i % len(skills)]``).
        width: Scoring / requested width; outputs of any size are resized to it.
        height: Scoring / requested height.
        skills: Skills to include, in cycling order.
        clip_checkpoint: Local Hugging Face CLIP directory for the optional CLIPScore.
        fid_checkpoint: Local Hugging Face CLIP directory whose image embeddings are the
            features of the optional FID / KID against the true renders.
        segmentation: ``palette`` (v1 scorer: only the six palette hues are seen) or
            ``foreground`` (v2: everything that differs from a plain background is an object,
            so off-palette objects, touching objects and textured backgrounds fail).
    """

    size: int = 700
    width: int = 256
    height: int = 256
    skills: tuple[str, ...] = SKILLS
    clip_checkpoint: str | None = None
    fid_checkpoint: str | None = None
    segmentation: Literal["palette", "foreground"] = "palette"

    @field_validator("skills")
    @classmethod
    def _known_skills(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SKILLS]
        if bad or not v or len(set(v)) != len(v):
            raise ValueError(f"skills must be distinct names from {', '.join(SKILLS)}; got {v}")
        return v

    @field_validator("size", "width", "height")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 1 or v > 100_000:
            raise ValueError(f"must be in 1..100000, got {v}")
        return v


class ComposeT2I(StaticBenchmark):
    """Compositional text-to-image with a simulator-validated classical scorer."""

    type_name = "compose-t2i"
    capability = Capability.GENERATE_IMAGES
    Config = ComposeT2IConfig
    main_metric = "overall"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec(
            "score",
            ci="wilson",
            description="1 if the detected scene matches the prompt (per skill: score/<skill>)",
        ),
        MetricSpec(
            "overall",
            level="corpus",
            source="score",
            stratify_by="category",
            description="GenEval-style mean over skills of the per-skill mean score",
        ),
    )
    default_size = 700

    def __init__(self, task_id: str, config: ComposeT2IConfig, task_dir: Path):
        super().__init__(task_id, config, task_dir)
        self.cfg = config
        fg = ForegroundSettings() if config.segmentation == "foreground" else None
        self.scorer = T2IScorer(config.width, config.height, foreground=fg)
        self.learned = LearnedMetrics(
            clip_checkpoint=_resolve(config.clip_checkpoint, task_dir),
            fid_checkpoint=_resolve(config.fid_checkpoint, task_dir),
        )
        if self.learned.clip is not None:
            self.metric_specs = (
                *type(self).metric_specs,
                MetricSpec(
                    "clipscore",
                    ci="bootstrap",
                    on_error=None,
                    breakdown=False,
                    description="100 * max(cos(image, prompt), 0) with the local CLIP",
                ),
            )
        self._renderer: Any = None

    def num_samples(self) -> int | None:
        return self.cfg.size

    def _render(self, spec: SceneSpec) -> np.ndarray:
        if self._renderer is None:
            self._renderer = SceneRenderer(self.cfg.width, self.cfg.height)
        return self._renderer.t2i_image(spec)

    def skill_of(self, index: int) -> str:
        """The skill of sample ``index`` (a pure function of the index and config)."""
        return self.cfg.skills[index % len(self.cfg.skills)]

    def sample(self, index: int, seed: int) -> Sample:
        skill = self.skill_of(index)
        spec = generate_spec(skill, seed)
        data = {"prompt": spec.prompt, "spec": spec.to_json()}
        return Sample(sample_id(self.task_id, index), index, seed, skill, data)

    def request(self, sample: Sample, privileged: bool) -> T2IRequest:
        priv = None
        if privileged:
            priv = {"image": self._render(SceneSpec.from_json(sample.data["spec"]))}
        return T2IRequest(
            id=sample.id,
            prompt=sample.data["prompt"],
            width=self.cfg.width,
            height=self.cfg.height,
            seed=sample.seed,
            style=STYLE,
            privileged=priv,
        )

    def _image(self, output: Any) -> np.ndarray:
        image = getattr(output, "image", None)
        if image is None:
            raise ModelOutputError(f"expected an ImageOutput, got {type(output).__name__}")
        return np.asarray(image)

    def score(self, sample: Sample, request: T2IRequest, output: ImageOutput) -> Scored:
        spec = SceneSpec.from_json(sample.data["spec"])
        image = self._image(output)
        verdict = self.scorer.score(image, spec)  # validates / resizes the image
        scores = {"score": Score(float(verdict.ok), verdict.reason)}
        summary = {"detected": [o.to_json() for o in verdict.detected], "ok": verdict.ok}
        if self.learned.enabled:
            img = prepare_image(image, self.cfg.width, self.cfg.height)
            reference = self._render(spec) if self.learned.fid is not None else None
            learned = self.learned.per_sample(img, spec.prompt, reference)
            scores.update(learned.scores)
            if learned.features is not None:
                # Persisted in the record: FID / KID are computed from the records on disk.
                summary[FEATURES_KEY] = learned.features
        return Scored(scores=scores, output=summary)

    def save_media(
        self, sample: Sample, request: T2IRequest, output: ImageOutput, out_dir: Path
    ) -> str | None:
        """A PNG tile: the prompt, the (resized) image and the verdict under it."""
        image = prepare_image(self._image(output), self.cfg.width, self.cfg.height)
        verdict = self.scorer.score(image, SceneSpec.from_json(sample.data["spec"]))
        tile = verdict_tile(image, sample.data["prompt"], verdict.ok, verdict.reason)
        out_dir.mkdir(parents=True, exist_ok=True)
        name = f"{sample.index:06d}.png"
        write_image(out_dir / name, tile)
        return name

    def corpus_metrics(self, records: list[dict[str, Any]]) -> dict[str, MetricValue]:
        """``overall`` (mean over skills, stratified bootstrap CI) plus optional FID / KID."""
        out = {"overall": overall_metric(records, self.cfg.skills, self.task_id)}
        out.update(self.learned.corpus(records))
        return out

    def provenance(self) -> dict[str, Any]:
        extra = {}
        if self.scorer.foreground is not None:  # absent for v1, whose manifests stay as they were
            extra["foreground"] = dict(vars(self.scorer.foreground))
        return {
            **extra,
            "render": render_provenance(),
            "scene": render_settings(),
            "scorer": dict(vars(self.scorer.settings)),
            "style": STYLE,
            "resolution": [self.cfg.width, self.cfg.height],
            "learned_metrics": self.learned.notes(),
        }

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def assets(self) -> list[Path]:
        """The files of the optional CLIP / FID scorer checkpoints."""
        files: list[Path] = []
        for name in (self.cfg.clip_checkpoint, self.cfg.fid_checkpoint):
            root = _resolve(name, self.task_dir)
            if root is not None:
                found = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
                files.extend(found or [root])
        return files


def _resolve(path: str | None, task_dir: Path) -> Path | None:
    if path is None:
        return None
    p = Path(path).expanduser()
    return p if p.is_absolute() else (task_dir / p)


def overall_metric(
    records: list[dict[str, Any]], skills: tuple[str, ...], task_id: str = ""
) -> MetricValue:
    """GenEval-style overall: the mean of the per-skill mean scores.

    Errored samples count as 0. The CI is a seeded percentile bootstrap stratified by skill
    (each skill resampled within itself, so every replicate has every skill); for 0/1 scores
    a skill's resampled mean is drawn exactly as Binomial(n_k, p_k) / n_k.

    Args:
        records: samples.jsonl records (``category`` = skill, ``scores["score"]``).
        skills: The task's skills (records of other categories are ignored).
        task_id: Seeds the bootstrap so identical records give identical CIs.
    """
    per: dict[str, list[float]] = {s: [] for s in skills}
    for r in records:
        cat = r.get("category")
        if cat in per:
            ok = r.get("error") is None and "score" in (r.get("scores") or {})
            per[cat].append(float(r["scores"]["score"]) if ok else 0.0)
    present = [v for v in per.values() if v]
    if not present:
        return MetricValue(None, None, None, 0)
    value, stderr, ci = stratified_mean(present, seed=derive_seed(task_id, -2, 0))
    return MetricValue(value, stderr, ci, sum(len(v) for v in present))


def verdict_tile(image: np.ndarray, prompt: str, ok: bool, reason: str) -> np.ndarray:
    """Prompt above, image, verdict (green / red band) below, as one uint8 RGB array."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    h, w = image.shape[:2]
    line_h, pad = 12, 4
    font = ImageFont.load_default()

    def wrap(text: str) -> list[str]:
        chars = max(8, w // 6)
        words, lines, cur = text.split(), [], ""
        for word in words:
            if len(cur) + len(word) + 1 > chars and cur:
                lines.append(cur)
                cur = word
            else:
                cur = f"{cur} {word}".strip()
        return [*lines, cur] if cur else lines

    top, bottom = wrap(prompt)[:4], wrap(("PASS: " if ok else "FAIL: ") + reason)[:4]
    top_h, bottom_h = len(top) * line_h + 2 * pad, len(bottom) * line_h + 2 * pad
    canvas = PILImage.new("RGB", (w, h + top_h + bottom_h), (255, 255, 255))
    canvas.paste(PILImage.fromarray(image), (0, top_h))
    draw = ImageDraw.Draw(canvas)
    band = (200, 240, 200) if ok else (250, 205, 205)
    draw.rectangle((0, h + top_h, w, h + top_h + bottom_h), fill=band)
    for i, line in enumerate(top):
        draw.text((pad, pad + i * line_h), line, fill=(0, 0, 0), font=font)
    for i, line in enumerate(bottom):
        draw.text((pad, h + top_h + pad + i * line_h), line, fill=(0, 0, 0), font=font)
    return np.asarray(canvas)
