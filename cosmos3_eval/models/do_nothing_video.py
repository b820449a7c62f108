"""Do-nothing video outputs: baselines that any video metric must score at its floor.

Each returns the conditioning frames followed by a future that takes no physical knowledge:

* ``all-black`` — black frames.
* ``mean-frame`` — the per-pixel mean of the conditioning frames, repeated.
* ``blurred-last`` — the last conditioning frame blurred (9x9 box), repeated.
* ``reversed-context`` — the conditioning frames played backwards, then the first one held.
* ``ping-pong`` — the conditioning frames played backwards and forwards, over and over.

(``static``, the last frame repeated, lives in :mod:`cosmos3_eval.models.video_baselines`.)
With one conditioning frame the last three are ``static`` or a blur of it.

``twin`` and ``twin-lag`` are privileged references: the perturbed twin rollout that the
benchmark simulates as its physical-variance pair (``privileged["twin"]``), as is and delayed
by one frame. ``twin`` marks 100 on the main metric by definition; ``twin-lag`` shows how a
small timing error is scored.

All are deterministic functions of the request.
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import I2VRequest, VideoOutput


def _context(request: I2VRequest) -> np.ndarray:
    frames = np.asarray(request.frames)
    return frames[None] if frames.ndim == 3 else frames


def _video(ctx: np.ndarray, future: list[np.ndarray] | np.ndarray, n: int) -> VideoOutput:
    future = np.asarray(future, np.uint8).reshape(-1, *ctx.shape[1:])
    return VideoOutput(np.concatenate([ctx, future])[:n])


def _box_blur(frame: np.ndarray, k: int = 9) -> np.ndarray:
    pad = k // 2
    p = np.pad(frame.astype(np.float32), ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    c = p.cumsum(axis=0).cumsum(axis=1)
    c = np.pad(c, ((1, 0), (1, 0), (0, 0)))
    h, w = frame.shape[:2]
    s = c[k : k + h, k : k + w] - c[:h, k : k + w] - c[k : k + h, :w] + c[:h, :w]
    return np.rint(s / (k * k)).astype(np.uint8)


class DoNothingVideoModel:
    """One do-nothing future (module doc).

    Args:
        kind: ``all-black``, ``mean-frame``, ``blurred-last``, ``reversed-context`` or
            ``ping-pong``.
    """

    KINDS = ("all-black", "mean-frame", "blurred-last", "reversed-context", "ping-pong")

    def __init__(self, kind: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown do-nothing kind {kind!r}; known: {', '.join(self.KINDS)}")
        self.kind = kind
        self.info = ModelInfo(name=kind)

    def _future(self, ctx: np.ndarray, m: int) -> np.ndarray:
        if self.kind == "all-black":
            return np.zeros((m, *ctx.shape[1:]), np.uint8)
        if self.kind == "mean-frame":
            mean = np.rint(ctx.mean(axis=0)).astype(np.uint8)
            return np.repeat(mean[None], m, axis=0)
        if self.kind == "blurred-last":
            return np.repeat(_box_blur(ctx[-1])[None], m, axis=0)
        back = ctx[::-1][1:] if len(ctx) > 1 else ctx  # the frames before the last, backwards
        if self.kind == "reversed-context":
            seq = np.concatenate([back, np.repeat(ctx[:1], m, axis=0)])
            return seq[:m]
        # ping-pong: ... k-2, ..., 0, 1, ..., k-1, k-2, ... (period 2 (k - 1))
        cycle = np.concatenate([back, ctx[1:]]) if len(ctx) > 1 else ctx
        reps = -(-m // len(cycle))
        return np.concatenate([cycle] * reps)[:m]

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """One do-nothing video per request."""
        out = []
        for r in requests:
            ctx = _context(r)
            future = self._future(ctx, max(0, r.num_frames - len(ctx)))
            out.append(_video(ctx, future, r.num_frames))
        return out


def all_black() -> DoNothingVideoModel:
    """Registry factory: ``all-black``."""
    return DoNothingVideoModel("all-black")


def mean_frame() -> DoNothingVideoModel:
    """Registry factory: ``mean-frame``."""
    return DoNothingVideoModel("mean-frame")


def blurred_last() -> DoNothingVideoModel:
    """Registry factory: ``blurred-last``."""
    return DoNothingVideoModel("blurred-last")


def reversed_context() -> DoNothingVideoModel:
    """Registry factory: ``reversed-context``."""
    return DoNothingVideoModel("reversed-context")


def ping_pong() -> DoNothingVideoModel:
    """Registry factory: ``ping-pong``."""
    return DoNothingVideoModel("ping-pong")


@declare_args
class TwinModel:
    """The perturbed twin rollout (privileged), optionally delayed by ``lag`` frames.

    Args:
        lag: Frames of delay after the conditioning frames (0 = the twin itself).
    """

    def __init__(self, lag: int = 0) -> None:
        if int(lag) < 0:
            raise ValueError(f"lag must be >= 0, got {lag}")
        self.lag = int(lag)
        self.info = ModelInfo(
            name="twin-lag" if self.lag else "twin",
            privileged=True,
            params={"lag": self.lag} if self.lag else {},
        )

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """The twin's frames; with a lag, frame ``t`` of the future is twin frame ``t - lag``."""
        out = []
        for r in requests:
            priv = r.privileged or {}
            if "twin" not in priv:
                raise RuntimeError("twin: the benchmark attached no privileged 'twin'")
            twin, ctx = np.asarray(priv["twin"]), _context(r)
            k = len(ctx)
            idx = np.maximum(np.arange(k, r.num_frames) - self.lag, k - 1)
            out.append(_video(ctx, twin[idx], r.num_frames))
        return out


def twin_lag() -> TwinModel:
    """Registry factory: ``twin-lag`` (the twin one frame late)."""
    return TwinModel(lag=1)
