"""Motion agreement: the main image-to-video metric, with no points for doing nothing.

A generated future is credited only for *motion it gets right*. Both videos go through the
same steps:

1. **Flow.** Dense optical flow (OpenCV Farneback, fixed parameters :data:`FLOW_PARAMS`) of
   every consecutive pair of grey frames from the last conditioning frame on, so the first
   generated frame's motion counts. Vectors shorter than :data:`MIN_FLOW_PX` pixels are set
   to zero (estimator noise on flat background).
2. **Agreement.** Over all future pixels ``p`` and steps, with ``u`` the true flow and ``v``
   the generated one, ``m = max(|u|, |v|)``::

       agreement = sum_p max(0, m - |u - v|) / sum_p m        (1 when neither video moves)

   A pixel earns its full weight when the flows are equal, nothing when the generated video
   is still (``v = 0``), moves the wrong way (``|u - v| >= |u|``), or moves where nothing
   moves (``u = 0``, which also adds to the denominator). Half the speed earns half.
3. **Score.** ``motion_score = 100 * min(1, agreement / agreement_twin)``, where
   ``agreement_twin`` is the agreement of the perturbed twin rollout (the physical-variance
   pair) with the truth, floored at :data:`MIN_CEILING` so a chaotic scene cannot inflate
   chance agreement. The twin scores 100 by construction.

Why flow and not frame differences: every do-nothing output that fades, blurs or reverses the
last frame changes pixels where the object *was*, which a difference-based overlap credits;
a flow vector there points the wrong way (or nowhere) and earns nothing.
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.scorers.physics_iq import import_cv2

FLOW_PARAMS = {
    "pyr_scale": 0.5,
    "levels": 3,
    "winsize": 9,
    "iterations": 3,
    "poly_n": 5,
    "poly_sigma": 1.1,
    "flags": 0,
}
"""``cv2.calcOpticalFlowFarneback`` parameters (fixed: they are part of the metric)."""

MIN_FLOW_PX = 0.5
"""Flow vectors shorter than this (pixels per frame) count as no motion."""

MIN_CHANGE = 8
"""Grey-level change (after a 5x5 Gaussian blur) below which a pixel has no motion."""

MAX_FLOW_PX = 16.0
"""Flow vectors are clipped to this length (pixels per frame): no object moves faster."""

MIN_CEILING = 0.25
"""Floor of the twin's agreement in the normalisation."""


def flows(video: np.ndarray) -> np.ndarray:
    """Flows ``(T-1, H, W, 2)`` float32 between consecutive frames of a uint8 RGB video."""
    cv2 = import_cv2()
    grey = [cv2.GaussianBlur(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (5, 5), 0) for f in video]
    out = np.zeros((len(video) - 1, *video.shape[1:3], 2), np.float32)
    for t, (a, b) in enumerate(zip(grey[:-1], grey[1:])):
        # Motion exists only where the image changes; elsewhere Farneback's estimate on flat
        # regions is unconstrained (it can be hundreds of pixels on identical frames).
        changed = cv2.absdiff(a, b) > MIN_CHANGE
        if not changed.any():
            continue
        f = cv2.calcOpticalFlowFarneback(a, b, None, **FLOW_PARAMS)
        norm = np.linalg.norm(f, axis=-1)
        keep = changed & (norm >= MIN_FLOW_PX)
        f *= np.minimum(1.0, MAX_FLOW_PX / np.maximum(norm, 1e-6))[..., None]
        out[t][keep] = f[keep]
    return out


def agreement(true_flow: np.ndarray, gen_flow: np.ndarray) -> float:
    """Motion agreement in [0, 1] of two flow volumes (module doc, step 2)."""
    nu = np.linalg.norm(true_flow, axis=-1)
    nv = np.linalg.norm(gen_flow, axis=-1)
    m = np.maximum(nu, nv)
    den = float(m.sum())
    if den == 0:
        return 1.0
    err = np.linalg.norm(true_flow - gen_flow, axis=-1)
    return float(np.maximum(0.0, m - err).sum()) / den


def motion_score(value: float, ceiling: float) -> float:
    """``100 * min(1, value / max(ceiling, MIN_CEILING))`` (module doc, step 3)."""
    return float(100.0 * min(1.0, value / max(ceiling, MIN_CEILING)))
