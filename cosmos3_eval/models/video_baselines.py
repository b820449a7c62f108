"""Non-learned video baselines: ``static`` and ``const-velocity``.

* ``static`` repeats the last conditioning frame (the first frame when K = 1): "nothing moves".
* ``const-velocity`` finds the coloured blobs of the conditioning frames (pixels with
  saturation >= 0.45, grouped by hue into 10-degree histogram bins; each run of occupied bins
  is one blob), measures each blob's centroid velocity between the last two conditioning
  frames, and extrapolates: every future frame is the last conditioning frame with the blobs
  erased (filled with the row-wise median of the unsaturated pixels, i.e. the plain wall and
  floor) and each blob's pixels pasted at ``position + velocity * t``. It needs K >= 2
  conditioning frames; with K = 1 it degrades to ``static``. It ignores the prompt and the
  actions, and it uses no privileged data.

Both are deterministic functions of the request (no randomness), so batch composition cannot
change their outputs.
"""

from __future__ import annotations

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import I2VRequest, VideoOutput
from cosmos3_eval.scorers.colour import hue_sat_val

_MIN_SAT = 0.45
_MIN_VAL = 0.15
_BIN_DEG = 10
_MIN_BIN_PIXELS = 3
_MIN_BLOB_PIXELS = 4


def _frames(request: I2VRequest) -> np.ndarray:
    frames = np.asarray(request.frames)
    if frames.ndim == 3:  # tolerate a single (H, W, 3) frame
        frames = frames[None]
    return frames


class StaticVideoModel:
    """Repeats the last conditioning frame for the rest of the video."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="static")

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """One video per request: conditioning frames, then the last one repeated."""
        out = []
        for r in requests:
            f = _frames(r)
            rest = np.repeat(f[-1:], max(0, r.num_frames - len(f)), axis=0)
            out.append(VideoOutput(np.concatenate([f, rest])[: r.num_frames]))
        return out


def _chroma_bins(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, s, v = hue_sat_val(frame)
    chroma = (s >= _MIN_SAT) & (v >= _MIN_VAL)
    return chroma, (h // _BIN_DEG).astype(np.int64) % (360 // _BIN_DEG)


def hue_groups(frame: np.ndarray) -> list[list[int]]:
    """Hue-bin groups (runs of occupied 10-degree bins) of the saturated pixels of a frame."""
    chroma, bins = _chroma_bins(frame)
    nbins = 360 // _BIN_DEG
    occupied = np.bincount(bins[chroma], minlength=nbins) >= _MIN_BIN_PIXELS
    if not occupied.any():
        return []
    if occupied.all():
        return [list(range(nbins))]
    # Scan from an empty bin so a run that wraps through 0 degrees (red) stays one group.
    start = int(np.argmin(occupied))
    groups: list[list[int]] = []
    for k in range(nbins):
        b = (start + k) % nbins
        if occupied[b]:
            if not occupied[(b - 1) % nbins]:
                groups.append([])
            groups[-1].append(b)
    return groups


def group_mask(frame: np.ndarray, group: list[int]) -> np.ndarray:
    """Mask ``(H, W)`` of the saturated pixels of ``frame`` whose hue bin is in ``group``."""
    chroma, bins = _chroma_bins(frame)
    return chroma & np.isin(bins, group)


def _centroid(mask: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return np.array([xs.mean(), ys.mean()])


def _background(frame: np.ndarray, fg: np.ndarray) -> np.ndarray:
    """The frame with ``fg`` pixels replaced by the row-wise median of the other pixels."""
    bg = frame.copy()
    rows = np.nonzero(fg.any(axis=1))[0]
    overall = np.median(frame[~fg], axis=0) if (~fg).any() else np.zeros(3)
    for y in rows:
        keep = ~fg[y]
        fill = np.median(frame[y][keep], axis=0) if keep.any() else overall
        bg[y][fg[y]] = fill.astype(np.uint8)
    return bg


def extrapolate_blobs(frames: np.ndarray, num_frames: int) -> np.ndarray:
    """Constant-velocity extrapolation of the colour blobs of ``frames`` (module doc)."""
    k = len(frames)
    if k < 2 or num_frames <= k:
        rest = np.repeat(frames[-1:], max(0, num_frames - k), axis=0)
        return np.concatenate([frames, rest])[:num_frames]
    last, prev = frames[-1], frames[-2]
    h, w = last.shape[:2]
    sprites = []
    fg = np.zeros((h, w), bool)
    for group in hue_groups(last):
        # A blob is identified by its colour, so its previous position is the same hue group.
        m = group_mask(last, group)
        if np.count_nonzero(m) < _MIN_BLOB_PIXELS:
            continue
        fg |= m
        c1, c0 = _centroid(m), _centroid(group_mask(prev, group))
        vel = (c1 - c0) if (c0 is not None and c1 is not None) else np.zeros(2)
        ys, xs = np.nonzero(m)
        sprites.append((ys, xs, last[ys, xs], vel))
    background = _background(last, fg)
    out = np.empty((num_frames, h, w, 3), np.uint8)
    out[:k] = frames
    for t in range(1, num_frames - k + 1):
        f = background.copy()
        for ys, xs, colors, vel in sprites:
            nx = np.rint(xs + vel[0] * t).astype(np.int64)
            ny = np.rint(ys + vel[1] * t).astype(np.int64)
            ok = (nx >= 0) & (nx < w) & (ny >= 0) & (ny < h)
            f[ny[ok], nx[ok]] = colors[ok]
        out[k - 1 + t] = f
    return out


class ConstVelocityModel:
    """Constant-velocity extrapolation of each colour blob (needs >= 2 conditioning frames)."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="const-velocity")

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """One extrapolated video per request."""
        return [VideoOutput(extrapolate_blobs(_frames(r), r.num_frames)) for r in requests]
