"""``imagine-push``: does what a video + action policy imagines match what the simulator does?

Closed loop on push-block (:mod:`cosmos3_eval.sim.push_world`, driven in-process). At each
decision the model gets the current ``top`` frame, the proprio state and the instruction and
returns a :class:`~cosmos3_eval.api.types.VideoActionOutput`: ``chunk_size`` actions and the
``chunk_size`` frames it predicts they will cause (one per control step). The benchmark executes
the chunk, renders the same camera after every step and scores the predicted frames against
the real ones (:func:`cosmos3_eval.scorers.consistency.clip_agreement`: Physics-IQ masks and
metrics, PSNR, SSIM). An episode ends at success (puck in the goal disc) or at ``horizon``
steps; a chunk cut short by success is scored on the steps executed.

Per chunk (in the record's ``output.chunks``) and per episode (mean over chunks weighted by
their moving frames; PSNR and SSIM by their frames): ``consistency`` (main), the Physics-IQ
terms, PSNR, SSIM; ``success`` beside it. ``scoring: v2`` (``imagine-push-v2``) counts only
frames where the real or the imagined clip moves, and an episode in which nothing ever moves
scores 0, so doing nothing and predicting nothing earns nothing; ``v1`` counted every frame
(such a model scored 1). At corpus
level ``error_success_corr``, the correlation between an episode's imagination error
(``1 - consistency``) and its success.

**Ceiling.** Every chunk is also executed from a perturbed twin of the current state (pusher
and puck shifted by seeded N(0, ``twin_sigma_m``)); the twin's frames scored against the real
ones are ``ceiling_consistency``: how well reality predicts itself under that uncertainty.

**Action format** ``push_block_velocity`` (docs/consistency.md): ``(chunk_size, 2)`` float32
pusher velocity commands ``vx, vy`` in [-1, 1] x ``max_speed`` m/s in the table frame (x right,
y up in the image), 10 Hz, each held for one control step.

**Determinism.** One world serves all episodes of a batch; each episode's MuJoCo integration
state is restored before its chunk runs, so scores do not depend on the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from cosmos3_eval.api.benchmark import Sample, Scored, StaticBenchmark, derive_seed, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.metrics import MetricSpec, MetricValue, Score
from cosmos3_eval.api.model import Capability, check_outputs
from cosmos3_eval.api.types import VideoActionOutput, VideoActRequest
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers.consistency import (
    ClipAgreement,
    clip_agreement,
    error_success_correlation,
    mean_agreement,
)
from cosmos3_eval.scorers.video import validate_video
from cosmos3_eval.sim.envs.push_block import PushBlockEnv
from cosmos3_eval.sim.push_world import PushWorld, WorldState
from cosmos3_eval.sim.render import render_provenance

DOMAIN = "push_block"
"""``domain_name`` of push-block requests (Cosmos policy mode's embodiment name)."""


class PushConsistencyConfig(StrictConfig):
    """Options shared by the push-block consistency tasks.

    Attributes:
        image_size: ``top`` camera size (square).
        max_speed: Pusher speed at action 1 (m/s).
        twin_sigma_m: Std of the perturbed twin's position shift (m).
    """

    image_size: int = 96
    max_speed: float = 0.3
    twin_sigma_m: float = 1e-3


MIN_MASKED_SIZE = 96
"""Smallest image the agreement tasks accept: below it the Physics-IQ masks' 5x5 opening
erases the pusher (2 cm radius = 5 px at 96 px), every mask is empty and agreement stops
seeing motion."""


Scoring = Literal["v1", "v2"]
"""Agreement scoring of ``imagine-push`` / ``joint-push``: ``v2`` (the default) counts the
Physics-IQ terms on moving frames only, so a clip where nothing moves scores 0
(:func:`~cosmos3_eval.scorers.consistency.clip_agreement`, ``moving_only``); ``v1`` counts
every frame (a model that does nothing and predicts nothing scores 1)."""


class ImagineConfig(PushConsistencyConfig):
    """``imagine-push`` options.

    Attributes:
        horizon: Max env steps per episode.
        chunk_size: Actions (and predicted frames) per decision.
        scoring: ``v2`` (moving frames only) or ``v1`` (every frame); see :data:`Scoring`.
    """

    image_size: int = Field(96, ge=MIN_MASKED_SIZE)
    horizon: int = 40
    chunk_size: int = 5
    scoring: Scoring = "v2"


AGREEMENT_KEYS = ("psnr", "ssim", "spatial_iou", "spatiotemporal_iou", "weighted_spatial_iou")


def agreement_specs(main: str, what: str) -> tuple[MetricSpec, ...]:
    """Metric specs of a clip-agreement score ``main`` and its terms (``what`` = vs what)."""
    return (
        MetricSpec(main, description=f"Physics-IQ-style agreement of {what}, 0-1 (main)"),
        MetricSpec("psnr", on_error=None, description=f"PSNR (dB, capped at 60) of {what}"),
        MetricSpec("ssim", on_error=None, description=f"Mean luma SSIM of {what}"),
        MetricSpec("spatial_iou", on_error=None, description="Physics-IQ spatial IoU"),
        MetricSpec("spatiotemporal_iou", on_error=None, description="Physics-IQ ST IoU"),
        MetricSpec("weighted_spatial_iou", on_error=None, description="Physics-IQ weighted IoU"),
        MetricSpec(
            "mse", higher_is_better=False, on_error=None, description="Physics-IQ MSE [0, 1]"
        ),
        MetricSpec(
            f"ceiling_{main}",
            on_error=None,
            breakdown=False,
            description="the perturbed twin's agreement with reality (physical ceiling)",
        ),
    )


def check_video_action(
    out: Any, num_frames: int, chunk_size: int, size: int, dim: int
) -> VideoActionOutput:
    """A model's video + actions, checked; raises :class:`ModelOutputError` if invalid."""
    if not isinstance(out, VideoActionOutput):
        raise ModelOutputError(f"expected a VideoActionOutput, got {type(out).__name__}")
    validate_video(out.video, num_frames, size, size)
    a = np.asarray(out.actions)
    if a.shape != (chunk_size, dim):
        raise ModelOutputError(f"actions have shape {a.shape}, expected ({chunk_size}, {dim})")
    if not np.all(np.isfinite(a)):
        raise ModelOutputError("actions contain NaN or inf")
    return out


@dataclass(frozen=True)
class EpisodeStart:
    """The 'request' of one closed-loop episode (the benchmark drives it in ``call_model``).

    ``with_truth`` (not ``privileged``: the sample loop checks that name for leaks) says
    whether the per-chunk requests carry the oracle's ground truth.
    """

    id: str
    seed: int
    with_truth: bool


@dataclass
class _Episode:
    start: EpisodeStart
    state: WorldState
    frame: np.ndarray
    chunks: list[dict[str, Any]] = field(default_factory=list)
    clips: list[ClipAgreement] = field(default_factory=list)
    ceilings: list[ClipAgreement] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    horizon: int = 0
    success: bool = False
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.error is not None or self.success or self.state.t >= self.horizon


@dataclass(frozen=True)
class EpisodeTrace:
    """What happened in one episode: per-chunk agreements, success and steps."""

    clips: list[ClipAgreement]
    ceilings: list[ClipAgreement]
    weights: list[int]
    chunks: list[dict[str, Any]]
    success: bool
    steps: int


class ImaginePush(StaticBenchmark):
    """Imagination vs reality for a video + action policy on push-block (module doc)."""

    type_name: ClassVar[str] = "imagine-push"
    capability: ClassVar[Capability] = Capability.ACT_WITH_VIDEO
    Config: ClassVar[type[StrictConfig]] = ImagineConfig
    main_metric: ClassVar[str] = "consistency"
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        *agreement_specs("consistency", "the imagined chunk vs the rendered real one"),
        MetricSpec("success", ci="wilson", description="episode success (puck in the goal)"),
        MetricSpec(
            "error_success_corr",
            higher_is_better=False,
            on_error=None,
            level="corpus",
            description="Pearson r of episode imagination error (1 - consistency) and success",
        ),
    )
    default_size: ClassVar[int] = 30

    def __init__(self, task_id: str, config: StrictConfig, task_dir: Any):
        super().__init__(task_id, config, task_dir)
        self._world: PushWorld | None = None

    def world(self) -> PushWorld:
        """The in-process simulator (built on first use)."""
        if self._world is None:
            c = self.config
            self._world = PushWorld(c.image_size, c.max_speed)
        return self._world

    def provenance(self) -> dict[str, Any]:
        return {
            "render": render_provenance(),
            "env": "push-block (tasks/assets/push_block.xml), top camera, 10 Hz",
            "action_format": PushBlockEnv.action_spec.kind,
            "scoring": self.config.scoring,
        }

    def sample(self, index: int, seed: int) -> Sample:
        c = self.config
        data = {"horizon": c.horizon, "chunk_size": c.chunk_size, "image_size": c.image_size}
        return Sample(sample_id(self.task_id, index), index, seed, "push", data)

    def request(self, sample: Sample, privileged: bool) -> EpisodeStart:
        return EpisodeStart(sample.id, sample.seed, with_truth=privileged)

    def _chunk_request(self, ep: _Episode) -> VideoActRequest:
        c, w = self.config, self.world()
        truth = None
        if ep.start.with_truth:
            acts = w.expert_actions(ep.state, c.chunk_size)
            truth = {
                "actions": acts,
                "video": w.replay(ep.state, acts).frames,
                "state": ep.state.to_json(),
            }
        w.restore(ep.state)
        return VideoActRequest(
            id=f"{ep.start.id}/{ep.state.t:04d}",
            instruction=PushBlockEnv.instruction,
            frames=ep.frame[None].copy(),
            chunk_size=c.chunk_size,
            num_frames=c.chunk_size,
            frame_every=1,
            fps=10.0,
            proprio={k: np.asarray(v, np.float32) for k, v in w.env.proprio().items()},
            action_spec=PushBlockEnv.action_spec,
            domain_name=DOMAIN,
            step=ep.state.t,
            seed=ep.start.seed,
            privileged=truth,
        )

    def _execute(self, ep: _Episode, out: Any) -> None:
        c, w = self.config, self.world()
        check_video_action(out, c.chunk_size, c.chunk_size, c.image_size, 2)
        n = min(c.chunk_size, c.horizon - ep.state.t)
        acts = np.asarray(out.actions, np.float64)[:n]
        real = w.replay(ep.state, acts)
        k = real.steps  # steps executed before the episode ended
        twin_start = w.perturbed(ep.state, ep.start.seed + ep.state.t, c.twin_sigma_m)
        twin = w.replay(twin_start, acts)
        gate = c.scoring == "v2"
        clip = clip_agreement(ep.frame, real.frames[:k], out.video[:k], moving_only=gate)
        ceiling = clip_agreement(ep.frame, real.frames[:k], twin.frames[:k], moving_only=gate)
        ep.clips.append(clip)
        ep.ceilings.append(ceiling)
        ep.weights.append(k)
        moving = {"moving_frames": clip.moving_frames} if gate else {}
        ep.chunks.append({"step": ep.state.t, "frames": k, **moving, **clip.to_dict()})
        ep.state, ep.frame, ep.success = real.end, real.frames[k - 1], real.success

    def call_model(self, method: Any, requests: list[Any]) -> list[Any]:
        """Run the episodes in lockstep: one batched ``act_with_video`` call per round."""
        w = self.world()
        eps = []
        for start in requests:
            state = w.reset(start.seed)
            eps.append(_Episode(start, state, w.frame(), horizon=self.config.horizon))
        while live := [e for e in eps if not e.done]:
            reqs = [self._chunk_request(e) for e in live]
            try:
                outs = check_outputs(method(reqs), len(reqs))
            except Exception as exc:  # noqa: BLE001 - the batch's episodes record the fault
                for e in live:
                    e.error = exc
                continue
            for e, out in zip(live, outs):
                try:
                    if isinstance(out, BaseException):
                        raise out
                    self._execute(e, out)
                except Exception as exc:  # noqa: BLE001 - recorded on this episode only
                    e.error = exc
        return [
            e.error
            if e.error is not None
            else EpisodeTrace(e.clips, e.ceilings, e.weights, e.chunks, e.success, e.state.t)
            for e in eps
        ]

    def score(self, sample: Sample, request: Any, output: Any) -> Scored:
        if isinstance(output, BaseException):
            raise output
        t: EpisodeTrace = output
        gate = self.config.scoring == "v2"
        mean = mean_agreement(t.clips, t.weights, moving_only=gate)
        ceiling = mean_agreement(t.ceilings, t.weights, moving_only=gate)["consistency"]
        scores = {k: Score(v) for k, v in mean.items()}
        scores["ceiling_consistency"] = Score(ceiling)
        scores["success"] = Score(float(t.success), f"{t.steps} steps")
        summary = {"success": t.success, "steps": t.steps, "chunks": t.chunks}
        return Scored(scores, summary)

    def corpus_metrics(self, records: list[dict[str, Any]]) -> dict[str, MetricValue]:
        ok = [r["scores"] for r in records if r.get("error") is None and r.get("scores")]
        corr = error_success_correlation(
            [1.0 - s["consistency"] for s in ok],
            [s["success"] for s in ok],
            seed=derive_seed(self.task_id, -2, 0),
        )
        return {
            "error_success_corr": MetricValue(corr.value, corr.stderr, corr.ci95, corr.n, False)
        }

    def close(self) -> None:
        if self._world is not None:
            self._world.close()
            self._world = None
