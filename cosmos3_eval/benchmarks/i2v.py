"""``physics-i2v``: image-to-video generation scored against the simulator's true future.

Each sample is a seeded MuJoCo scenario (:mod:`cosmos3_eval.sim.scenes.physics`: free fall,
ramp, friction slide, pendulum, collision, toppling tower, table edge). The model gets the
first ``context_frames`` frames, a prompt describing the scene but not the outcome, the
requested length ``num_frames`` (including the conditioning frames) and the fps, and returns
the whole video.

``scoring: v2`` (``physics-i2v-v2``, the default) scores with
:mod:`cosmos3_eval.benchmarks.video_v2`: main metric ``motion_score`` (optical-flow agreement
normalised by the sample's perturbed twin, the physical-variance pair), the reference
Physics-IQ metrics per sample and the corpus-level ``physics_iq_score``. ``scoring: v1``
(``physics-i2v-v1``, kept runnable unchanged) uses the legacy motion-mask metrics of
:mod:`cosmos3_eval.scorers.video` (named ``physics_*`` there, but *not* the published
Physics-IQ definitions) with main metric ``physics_score``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import field_validator, model_validator

from cosmos3_eval.api.benchmark import Sample, Scored, StaticBenchmark, derive_seed, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.media import write_gif
from cosmos3_eval.api.metrics import MetricSpec, MetricValue, Score
from cosmos3_eval.api.model import Capability
from cosmos3_eval.api.types import I2VRequest, VideoOutput
from cosmos3_eval.benchmarks import video_v2 as v2
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers import motion as mo
from cosmos3_eval.scorers import physics_iq as piq
from cosmos3_eval.scorers import video as vm
from cosmos3_eval.sim.render import render_provenance
from cosmos3_eval.sim.scenes.physics import (
    SCENARIO_KINDS,
    TWIN_PERTURBATION,
    ScenarioSimulator,
    make_scenario,
)


class VideoConfig(StrictConfig):
    """Shared video settings of the video benchmarks."""

    width: int = 128
    height: int = 128
    num_frames: int = 16
    fps: float = 15.0
    context_frames: int = 2
    scoring: Literal["v1", "v2"] = "v2"

    @model_validator(mode="after")
    def _check(self) -> VideoConfig:
        if not (16 <= self.width <= 1024 and 16 <= self.height <= 1024):
            raise ValueError("width and height must be in [16, 1024]")
        if self.context_frames < 1:
            raise ValueError("context_frames must be >= 1")
        if self.num_frames < self.context_frames + 2:
            raise ValueError("num_frames must be >= context_frames + 2 (two future frames)")
        if not self.fps > 0:
            raise ValueError("fps must be > 0")
        return self


class PhysicsI2VConfig(VideoConfig):
    """Config of ``physics-i2v``.

    Attributes:
        scenarios: Scenario types to draw from (each sample draws one from its seed).
    """

    scenarios: tuple[str, ...] = ()

    @field_validator("scenarios")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for k in v:
            if k not in SCENARIO_KINDS:
                raise ValueError(f"unknown scenario '{k}'; known: {', '.join(SCENARIO_KINDS)}")
        return v


@dataclass(frozen=True)
class Truth:
    """What scoring needs of a sample's true future (kept in a small cache)."""

    frames: np.ndarray
    labels: np.ndarray
    hues: tuple[float, ...]
    ceiling: vm.PhysicsIQ | None
    twin: np.ndarray | None = None
    motion: v2.MotionTruth | None = None


def make_truth(
    frames: np.ndarray,
    twin: np.ndarray,
    k: int,
    scoring: str,
    labels: np.ndarray | None = None,
    hues: tuple[float, ...] = (),
) -> Truth:
    """The truth record of a sample, with only the terms its scoring version needs."""
    labels = labels if labels is not None else np.zeros(frames.shape[:3], np.uint8)
    if scoring == "v1":
        return Truth(frames, labels, hues, vm.physics_iq(frames, twin, start=k - 1), twin)
    return Truth(frames, labels, hues, None, twin, v2.motion_truth(frames, twin, k))


VIDEO_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "physics_score",
        description="Physics-IQ components normalised by the perturbed twin, 0-100",
    ),
    MetricSpec("physics_score_raw", description="Unnormalised Physics-IQ components, 0-100"),
    MetricSpec(
        "physics_ceiling",
        on_error=None,
        description="Raw score of the perturbed twin: the physical-variance ceiling",
    ),
    MetricSpec("spatial_iou"),
    MetricSpec("spatiotemporal_iou"),
    MetricSpec("weighted_spatial_iou"),
    MetricSpec("motion_mse", higher_is_better=False, on_error=1.0),
    MetricSpec("psnr", on_error=None, description="dB over the future clip (capped at 60)"),
    MetricSpec("ssim", on_error=None, description="Mean per-frame luma SSIM"),
)


def score_video(truth: Truth, output: Any, request: I2VRequest, objects: bool) -> Scored:
    """Validate and score one generated video against ``truth`` (shared by i2v and world).

    Args:
        truth: The true future.
        output: The model's :class:`VideoOutput`.
        request: The request (gives the expected shape and the number of conditioning frames).
        objects: Also score object trajectories (needs ``truth.labels`` / ``truth.hues``).

    Raises:
        ModelOutputError: Wrong type, shape, dtype, frame count or NaN.
    """
    if not isinstance(output, VideoOutput):
        raise ModelOutputError(f"expected a VideoOutput, got {type(output).__name__}")
    t, h, w, _ = truth.frames.shape
    gen = vm.validate_video(output.video, t, h, w)
    if truth.motion is not None:
        obj = (truth.labels, truth.hues) if objects else None
        return v2.score_video_v2(truth.frames, truth.motion, gen, request, obj)
    assert truth.ceiling is not None
    k = len(request.frames)
    piq = vm.physics_iq(truth.frames, gen, start=k - 1)
    scores = {
        "physics_score": Score(vm.physics_score(piq, truth.ceiling)),
        "physics_score_raw": Score(vm.physics_score_raw(piq)),
        "physics_ceiling": Score(vm.physics_score_raw(truth.ceiling)),
        **{name: Score(value) for name, value in piq.to_dict().items()},
        "psnr": Score(vm.psnr(truth.frames[k:], gen[k:])),
        "ssim": Score(vm.ssim(truth.frames[k:], gen[k:])),
    }
    if objects:
        true_c = vm.label_centroids(truth.labels[k:], len(truth.hues))
        gen_c = vm.centroids(vm.color_masks(gen[k:], truth.hues))
        err = vm.trajectory_error(true_c, gen_c, math.hypot(h, w))
        scores["trajectory_error_px"] = Score(err)
    return Scored(scores=scores, output={"frames": int(gen.shape[0])})


def privileged_truth(truth: Truth) -> dict[str, np.ndarray]:
    """What an oracle may see: the true video and the perturbed twin's."""
    out = {"video": truth.frames.copy()}
    if truth.twin is not None:
        out["twin"] = truth.twin.copy()
    return out


def video_provenance(scoring: str) -> dict[str, Any]:
    """The scorer constants that can move a score, for the manifest."""
    if scoring == "v1":
        return {"motion_threshold": vm.MOTION_THRESHOLD}

    return {
        "scoring": "v2",
        "flow": {
            **mo.FLOW_PARAMS,
            "min_flow_px": mo.MIN_FLOW_PX,
            "min_change": mo.MIN_CHANGE,
            "max_flow_px": mo.MAX_FLOW_PX,
            "min_ceiling": mo.MIN_CEILING,
        },
        "physics_iq": {"mask_threshold": piq.MASK_THRESHOLD, "downsample": piq.DOWNSAMPLE},
    }


def write_side_by_side(truth: np.ndarray, output: Any, fps: float, path: Path) -> bool:
    """Write a truth | generated GIF; return False if the output is not a usable video."""
    gen = getattr(output, "video", None)
    if not isinstance(gen, np.ndarray) or gen.dtype != np.uint8 or gen.shape != truth.shape:
        return False
    sep = np.full((*truth.shape[:2], 2, 3), 255, np.uint8)
    frames = np.concatenate([truth, sep, gen], axis=2)
    write_gif(path, frames, fps)
    return True


class PhysicsI2V(StaticBenchmark):
    """Image-to-video on seeded MuJoCo physics scenarios (see module doc)."""

    type_name: ClassVar[str] = "physics-i2v"
    capability: ClassVar[Capability] = Capability.GENERATE_VIDEOS
    Config: ClassVar[type[StrictConfig]] = PhysicsI2VConfig
    main_metric: ClassVar[str] = "motion_score"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (*v2.V2_METRICS, v2.TRAJECTORY_METRIC)
    default_size: ClassVar[int] = 140

    _CACHE_SIZE = 64  # truths kept between request() and score(); regenerated on a miss

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Path):
        super().__init__(task_id, config, task_dir)
        if config.scoring == "v1":  # the legacy metrics, unchanged (module doc)
            self.main_metric = "physics_score"
            self.metric_specs = (*VIDEO_METRICS, v2.TRAJECTORY_METRIC)
        self._cache: OrderedDict[str, Truth] = OrderedDict()
        self._sim: Any = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The scenario types in use."""
        return self.config.scenarios or SCENARIO_KINDS

    def provenance(self) -> dict[str, Any]:
        return {
            "render": render_provenance(),
            "scenarios": list(self.kinds),
            "twin_perturbation": TWIN_PERTURBATION,
            **video_provenance(self.config.scoring),
        }

    def corpus_metrics(self, records: list[dict[str, Any]]) -> dict[str, MetricValue]:
        if self.config.scoring == "v1":
            return {}

        return v2.physics_iq_corpus(records, seed=derive_seed(self.task_id, -2, 0))

    def _scenario(self, seed: int) -> Any:
        kinds = self.kinds
        kind = kinds[int(np.random.default_rng([seed, 1]).integers(len(kinds)))]
        return make_scenario(kind, seed)

    def sample(self, index: int, seed: int) -> Sample:
        sc = self._scenario(seed)
        c = self.config
        data = {
            **sc.describe(),
            "num_frames": c.num_frames,
            "fps": c.fps,
            "context_frames": c.context_frames,
        }
        return Sample(sample_id(self.task_id, index), index, seed, sc.kind, data)

    def truth(self, sample: Sample) -> Truth:
        """The sample's true future and ceiling (simulated once, then cached briefly)."""
        if sample.id in self._cache:
            self._cache.move_to_end(sample.id)
            return self._cache[sample.id]
        c = self.config
        if self._sim is None:
            self._sim = ScenarioSimulator(c.width, c.height)
        sc = self._scenario(sample.seed)
        roll = self._sim.simulate(sc, c.num_frames, c.fps)
        twin = self._sim.simulate(sc, c.num_frames, c.fps, perturb=True, segmentation=False)
        hues = tuple(o.hue for o in sc.objects)
        truth = make_truth(roll.frames, twin.frames, c.context_frames, c.scoring, roll.labels, hues)
        self._cache[sample.id] = truth
        while len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return truth

    def request(self, sample: Sample, privileged: bool) -> I2VRequest:
        truth = self.truth(sample)
        c = self.config
        return I2VRequest(
            id=sample.id,
            prompt=sample.data["prompt"],
            frames=truth.frames[: c.context_frames].copy(),
            num_frames=c.num_frames,
            fps=c.fps,
            seed=sample.seed,
            privileged=privileged_truth(truth) if privileged else None,
        )

    def score(self, sample: Sample, request: Any, output: Any) -> Scored:
        return score_video(self.truth(sample), output, request, objects=True)

    def save_media(self, sample: Sample, request: Any, output: Any, out_dir: Path) -> str | None:
        name = sample.id.replace("/", "_") + ".gif"
        ok = write_side_by_side(self.truth(sample).frames, output, self.config.fps, out_dir / name)
        return name if ok else None

    def close(self) -> None:
        if self._sim is not None:
            self._sim.close()
            self._sim = None
        self._cache.clear()
