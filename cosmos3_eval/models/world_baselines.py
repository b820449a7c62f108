"""Non-learned, action-conditioned world-model reference: ``action-shift``.

For ``robot-predict`` (robosuite Lift, ``agentview`` camera) the model predicts the future by
moving the robot's pixels of the first frame along the end-effector path implied by the
actions. It sees only the request (frame 0, the actions and their format): no privileged data,
no simulation, no randomness, so its output does not depend on batching.

1. **Robot segmentation.** The frames show robosuite's visual meshes (a white / light-grey
   Panda hand with grey fingers, the black robot mount behind it, a grey wall, a brown table
   trim and a white table top). The table and the wall behind it are planes that look
   uniform along an image row, so the background of a row is its median colour. Pixels that
   differ from it by more than :data:`FG_THRESHOLD` grey levels (max over RGB) are
   foreground (closed with a 3x3 square, which mends the seams where the hand's shaded edge
   matches the wall); the robot is the foreground connected to the top image border (in
   ``agentview`` the arm reaches in from the top), which leaves the cube and the table's edge
   trim out. From it the near-black pixels (max RGB below :data:`MOUNT_MAX_VALUE`) are
   removed: at the start pose they are robosuite's fixed mount (rgba 0.2 grey), seen below
   and behind the hand, which never moves (the hand's grey fingers are brighter). Both
   thresholds and the closing were chosen on sample indices 200-223 (base seed 0), outside
   the evaluation set; against MuJoCo's segmentation rendering they keep ~94 % of the hand's
   pixels and at most ~15 % of the mount's.
2. **End-effector path.** ``robosuite_osc_pose_delta_hold<N>`` rows are held for ``N``
   control steps and scaled by 0.05 m per step; the OSC controller does not reach its target
   within a step, so the displacement per step is :data:`TRACKING_GAIN` (per axis) times the
   commanded delta. The gains are least-squares fits of measured end-effector displacement on
   the scripted rollouts of sample indices 200-229 (base seed 0), outside the default
   evaluation set (indices 0-99). The robot base frame of Lift is axis-aligned with the world.
3. **Camera.** A pinhole model of Lift's ``agentview`` camera (MuJoCo model constants:
   position (0.5, 0, 1.35) m, quaternion (0.653, 0.271, 0.271, 0.653), vertical fovy 45 deg)
   projects the nominal start position :data:`EEF_START` (the mean over the calibration
   seeds; the robot's initial joint noise moves it by ~1-2 cm) and each displaced position;
   the pixel difference is the robot's image shift at that frame.
4. **Compositing.** Each future frame is frame 0 with the robot erased (row medians) and the
   robot's pixels pasted at their shifted position; rows uncovered above a downward-moving
   robot repeat its top row, since the arm continues beyond the image border.

Only the robot moves: the scripted rollouts do not close the gripper within the default 12
frames, so the cube stays put. Requests with another ``action_format`` or without actions get
the ``static`` prediction (the first frame repeated).
"""

from __future__ import annotations

import re

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import I2VRequest, VideoOutput

FG_THRESHOLD = 30
"""Colour difference (grey levels, max over RGB) from the row median that marks foreground."""

MOUNT_MAX_VALUE = 40
"""Pixels darker than this (max over RGB) are the robot's fixed mount (module doc, step 1)."""

POSITION_SCALE = 0.05
"""Metres per control step of a unit ``dx, dy, dz`` action (robosuite OSC ``output_max``)."""

TRACKING_GAIN = np.array([0.254, 0.203, 0.263])
"""Measured end-effector displacement / commanded delta per axis (module doc, step 2)."""

EEF_START = np.array([-0.102, 0.005, 1.013])
"""Nominal end-effector position (m, world) at reset (module doc, step 3)."""

CAMERA_POS = np.array([0.5, 0.0, 1.35])
CAMERA_QUAT = np.array([0.65309797, 0.27104066, 0.27104066, 0.65309797])  # w, x, y, z
CAMERA_FOVY_DEG = 45.0

_FORMAT = re.compile(r"robosuite_osc_pose_delta_hold(\d+)$")


def _quat_to_mat(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


_CAMERA_ROT = _quat_to_mat(CAMERA_QUAT)  # columns: camera x (right), y (up), z (backwards)


def project(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixel coordinates ``(..., 2)`` as (column, row) of world points ``(..., 3)``.

    MuJoCo's camera looks along its -z axis with +y up; ``fovy`` spans the image height and
    pixels are square.

    Args:
        points: World positions in metres.
        width: Image width in pixels.
        height: Image height in pixels.
    """
    cam = (np.asarray(points, float) - CAMERA_POS) @ _CAMERA_ROT
    focal = 0.5 * height / np.tan(np.radians(CAMERA_FOVY_DEG) / 2)
    depth = -cam[..., 2]
    col = 0.5 * width + focal * cam[..., 0] / depth
    row = 0.5 * height - focal * cam[..., 1] / depth
    return np.stack([col, row], axis=-1)


def eef_path(actions: np.ndarray, hold: int) -> np.ndarray:
    """End-effector positions ``(T, 3)`` (frame 0 first) implied by ``(T - 1, 7)`` actions."""
    steps = np.asarray(actions, float)[:, :3] * (POSITION_SCALE * hold) * TRACKING_GAIN
    return EEF_START + np.concatenate([np.zeros((1, 3)), np.cumsum(steps, axis=0)])


def robot_mask(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(robot mask ``(H, W)``, row-median background ``(H, W, 3)``) of a frame (module doc)."""
    from scipy import ndimage

    background = np.median(frame, axis=1, keepdims=True).astype(np.uint8)
    background = np.broadcast_to(background, frame.shape)
    diff = np.abs(frame.astype(np.int16) - background).max(axis=-1)
    # Closing bridges the one-pixel seams where the hand's shaded edge matches the wall's grey
    # and would cut the fingers off; edge padding keeps the top border's pixels from eroding.
    fg = np.pad(diff > FG_THRESHOLD, 1, mode="edge")
    fg = ndimage.binary_closing(fg, np.ones((3, 3), bool))[1:-1, 1:-1]
    labels, _ = ndimage.label(fg)
    top = np.unique(labels[0][labels[0] > 0])
    # robosuite's near-black robot mount is part of that component but never moves.
    mount = frame.max(axis=-1) < MOUNT_MAX_VALUE
    return np.isin(labels, top) & ~mount, background.copy()


def shift_robot(frame: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Video ``(len(shifts), H, W, 3)``: ``frame`` with its robot moved by each (dx, dy) shift."""
    mask, background = robot_mask(frame)
    h, w = mask.shape
    out = np.repeat(frame[None], len(shifts), axis=0)
    if not mask.any():
        return out
    ys, xs = np.nonzero(mask)
    colors = frame[ys, xs]
    erased = background.copy()
    erased[~mask] = frame[~mask]
    for t, (dx, dy) in enumerate(np.rint(shifts).astype(np.int64)):
        if dx == 0 and dy == 0:
            continue
        f = erased.copy()
        ny, nx = ys + dy, xs + dx
        ok = (nx >= 0) & (nx < w) & (ny >= 0) & (ny < h)
        f[ny[ok], nx[ok]] = colors[ok]
        if dy > 0:
            # The arm continues above the image: extend each column's top robot pixel upward.
            cols = np.unique(nx[ok])
            for c in cols:
                top = ny[ok & (nx == c)].min()
                f[:top, c] = f[top, c]
        out[t] = f
    return out


class ActionShiftModel:
    """Action-conditioned reference: moves frame 0's robot along the actions' gripper path."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="action-shift")

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """One predicted video per request (frame 0 first)."""
        return [VideoOutput(self._predict(r)) for r in requests]

    def _predict(self, r: I2VRequest) -> np.ndarray:
        frames = np.asarray(r.frames)
        if frames.ndim == 3:  # tolerate a single (H, W, 3) frame
            frames = frames[None]
        k = len(frames)
        match = _FORMAT.match(r.action_format or "")
        if r.actions is None or match is None or r.num_frames <= k:
            rest = np.repeat(frames[-1:], max(0, r.num_frames - k), axis=0)
            return np.concatenate([frames, rest])[: r.num_frames]
        h, w = frames.shape[1:3]
        acts = np.zeros((r.num_frames - 1, 7))
        given = np.asarray(r.actions, float)[: r.num_frames - 1]
        acts[: len(given), : given.shape[1]] = given[:, :7]  # missing rows: hold still
        path = eef_path(acts, int(match.group(1)))
        pix = project(path, w, h)
        # Shifts relative to the last conditioning frame, for the frames still to predict.
        shifts = pix[k:] - pix[k - 1]
        future = shift_robot(frames[-1], shifts)
        return np.concatenate([frames, future])[: r.num_frames]
