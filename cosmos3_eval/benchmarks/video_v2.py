"""Scoring of the v2 video tasks (``physics-i2v-v2``, ``robot-predict-v2``).

* Main metric ``motion_score`` (:mod:`cosmos3_eval.scorers.motion`): optical-flow agreement
  with the true future, normalised by the perturbed twin; do-nothing outputs score ~0.
* ``physics_iq_*`` (:mod:`cosmos3_eval.scorers.physics_iq`): the Physics-IQ benchmark's four
  metrics, per sample, on the future frames only (frames ``context_frames:``, as the reference
  scores the generated continuation), plus the twin's values (the physical variance) so the
  corpus-level ``physics_iq_score`` can be recomputed from ``samples.jsonl`` alone.
* ``psnr`` / ``ssim`` on the future frames; ``trajectory_error_px`` where objects are known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosmos3_eval.api.benchmark import Scored
from cosmos3_eval.api.metrics import MetricSpec, MetricValue, Score
from cosmos3_eval.api.types import I2VRequest
from cosmos3_eval.scorers import motion as mo
from cosmos3_eval.scorers import physics_iq as piq
from cosmos3_eval.scorers import video as vm
from cosmos3_eval.scorers.physics_iq import PIQ_KEYS, sample_terms

V2_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "motion_score",
        description="Optical-flow agreement with the true future / the twin's, 0-100 (main)",
    ),
    MetricSpec("motion_agreement", description="Unnormalised optical-flow agreement, 0-1"),
    MetricSpec(
        "motion_ceiling",
        on_error=None,
        description="Flow agreement of the perturbed twin with the truth (physical variance)",
    ),
    MetricSpec("physics_iq_spatial_iou", description="Physics-IQ spatial IoU (per sample)"),
    MetricSpec("physics_iq_spatiotemporal_iou", description="Physics-IQ spatiotemporal IoU"),
    MetricSpec("physics_iq_weighted_spatial_iou", description="Physics-IQ weighted spatial IoU"),
    MetricSpec(
        "physics_iq_mse",
        higher_is_better=False,
        on_error=None,
        description="Physics-IQ MSE (RGB in [0, 1], 4x downsampled)",
    ),
    *(
        MetricSpec(
            f"physics_iq_variance_{k}",
            higher_is_better=k != "mse",
            on_error=None,
            breakdown=False,
            description=f"Physics-IQ {k} of the perturbed twin (physical variance)",
        )
        for k in PIQ_KEYS
    ),
    MetricSpec("psnr", on_error=None, description="dB over the future clip (capped at 60)"),
    MetricSpec("ssim", on_error=None, description="Mean per-frame luma SSIM"),
)
"""Per-sample metrics of the v2 video tasks; ``physics_iq_score`` is added at corpus level."""

TRAJECTORY_METRIC = MetricSpec(
    "trajectory_error_px",
    higher_is_better=False,
    on_error=None,
    description="Mean object-centroid error in pixels",
)


@dataclass(frozen=True)
class MotionTruth:
    """What v2 scoring needs of the true future, computed once per sample.

    Attributes:
        flows: Flow volume of the truth from the last conditioning frame on.
        ceiling: Flow agreement of the twin with the truth.
        piq: The truth's prepared future (Physics-IQ masks and frames).
        variance: The twin's Physics-IQ summary against the truth.
    """

    flows: np.ndarray
    ceiling: float
    piq: piq.Prepared
    variance: dict[str, float]


def motion_truth(frames: np.ndarray, twin: np.ndarray, k: int) -> MotionTruth:
    """Truth-side terms of a sample with ``k`` conditioning frames."""
    flows = mo.flows(frames[k - 1 :])
    truth_piq = piq.prepare(frames[k:])
    variance = piq.compare(truth_piq, piq.prepare(twin[k:])).summary()
    # The twin is scored as a model would output it: the truth's context, then its future
    # (its own first frames differ by the perturbation, which no model could reproduce).
    as_output = np.concatenate([frames[k - 1 : k], twin[k:]])
    return MotionTruth(flows, mo.agreement(flows, mo.flows(as_output)), truth_piq, variance)


def score_video_v2(
    frames: np.ndarray,
    mt: MotionTruth,
    gen: np.ndarray,
    request: I2VRequest,
    objects: tuple[np.ndarray, tuple[float, ...]] | None = None,
) -> Scored:
    """Score a validated generated video ``gen`` against the truth ``frames``.

    Args:
        frames: True video ``(T, H, W, 3)``.
        mt: Truth-side terms from :func:`motion_truth`.
        gen: Generated video, same shape (already validated).
        request: The request (its frame count is the number of conditioning frames).
        objects: ``(labels, hues)`` of the truth to also score object trajectories.
    """
    k = len(request.frames)
    agree = mo.agreement(mt.flows, mo.flows(gen[k - 1 :]))
    model_piq = piq.compare(mt.piq, piq.prepare(gen[k:])).summary()
    scores = {
        "motion_score": Score(mo.motion_score(agree, mt.ceiling)),
        "motion_agreement": Score(agree),
        "motion_ceiling": Score(mt.ceiling),
        **{f"physics_iq_{n}": Score(v) for n, v in model_piq.items()},
        **{f"physics_iq_variance_{n}": Score(v) for n, v in mt.variance.items()},
        "psnr": Score(vm.psnr(frames[k:], gen[k:])),
        "ssim": Score(vm.ssim(frames[k:], gen[k:])),
    }
    if objects is not None:
        labels, hues = objects
        h, w = frames.shape[1:3]
        true_c = vm.label_centroids(labels[k:], len(hues))
        gen_c = vm.centroids(vm.color_masks(gen[k:], hues))
        scores["trajectory_error_px"] = Score(vm.trajectory_error(true_c, gen_c, math.hypot(h, w)))
    return Scored(scores=scores, output={"frames": int(gen.shape[0])})


def physics_iq_corpus(records: list[dict[str, Any]], seed: int) -> dict[str, MetricValue]:
    """``physics_iq_score``: the Physics-IQ score of the whole run with a bootstrap CI."""
    terms = sample_terms(records)
    value = piq.physics_iq_score(terms)
    boot = piq.bootstrap_score(terms, seed=seed) if value is not None else None
    se, ci = boot if boot is not None else (None, None)
    return {"physics_iq_score": MetricValue(value, se, ci, len(terms), True)}
