"""Behaviour-cloning reference policies for push-block-v1 and gym-reacher-v1 (``torch`` adapter).

* ``push-block``: image + proprio. The proprio (pusher position and velocity) does not say where
  the puck or the goal is, so the policy must read the top camera (downsampled to 64 x 64).
* ``gym-reacher``: proprio only (joint angles and velocities, fingertip and target position
  hold the whole task state), so no camera is read.

Inputs are normalised by mean / std buffers fitted on the demonstrations and saved with the
weights (one safetensors file holds the whole policy). One action per call (chunk 1), in the
task's own action convention, declared as ``action_spec`` so the contract check runs.

Use: ``--model torch --model-args module=cosmos3_eval.models.reference.policy_net:BCPolicy,
task=push-block,checkpoint=ckpts/push-block/step_*.safetensors``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cosmos3_eval.api.types import ActionChunk, ActRequest
from cosmos3_eval.sim.envs.kinds import env_class

TASKS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "push-block": (("pusher_pos", "pusher_vel"), "top"),
    "gym-reacher": (("joint_pos", "joint_vel", "fingertip_pos", "target_pos"), None),
}
"""Env kind -> (proprio keys in input order, camera read or ``None``)."""
SIZE = 64
KEYPOINTS = 16


class SpatialSoftmax(nn.Module):
    """``(B, C, H, W)`` feature maps -> ``(B, 2C)`` expected (x, y) in [-1, 1] of each map.

    Args:
        scale: Initial inverse temperature (learnt): a peaked softmax from the start, so the
            keypoints move with the objects instead of sitting at the centre of a flat one.
    """

    def __init__(self, scale: float = 10.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(float(scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax over each map's pixels, then the mean pixel coordinate under it."""
        b, c, h, w = x.shape
        p = F.softmax(self.scale * x.flatten(2), dim=-1).view(b, c, h, w)
        ys = torch.linspace(-1.0, 1.0, h, dtype=x.dtype)
        xs = torch.linspace(-1.0, 1.0, w, dtype=x.dtype)
        return torch.cat([(p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)], dim=1)


def prep_image(images: np.ndarray) -> torch.Tensor:
    """``(B, S, S, 3)`` uint8 -> ``(B, 3, 64, 64)`` float in [0, 1] (area-downsampled).

    Inverted (``1 - x``): the table is near white, so the background is ~0 and only the
    objects excite the first convolution.
    """
    t = torch.from_numpy(np.ascontiguousarray(images)).float().div(255.0).permute(0, 3, 1, 2)
    t = 1.0 - t
    return F.interpolate(t, size=(SIZE, SIZE), mode="area")


class BCPolicy(nn.Module):
    """MLP over normalised proprio, with a small CNN over the camera when the task needs it.

    Args:
        task: Env kind, ``push-block`` or ``gym-reacher``.
        width: Hidden width.
    """

    def __init__(self, task: str = "push-block", width: int = 128):
        super().__init__()
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
        self.task = task
        self.keys, self.camera = TASKS[task]
        self.action_spec = env_class(task).action_spec
        n_in = 2 * len(self.keys)  # every proprio key here is 2-D
        self.register_buffer("mean", torch.zeros(n_in))
        self.register_buffer("std", torch.ones(n_in))
        feat = 0
        if self.camera is not None:
            # Keypoints, not a flattened feature map: the expert's action hinges on where the
            # puck and goal are to ~1 cm, which a spatial softmax (expected x, y of each of
            # KEYPOINTS feature maps) reads off directly; flatten + linear barely learnt it.
            self.cnn = nn.Sequential(
                nn.Conv2d(3, 32, 5, stride=2, padding=2), nn.ReLU(),
                nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                nn.Conv2d(32, KEYPOINTS, 1), SpatialSoftmax(),
            )  # fmt: skip
            feat = 2 * KEYPOINTS
        self.head = nn.Sequential(
            nn.Linear(n_in + feat, width), nn.ReLU(),
            nn.Linear(width, width), nn.ReLU(),
            nn.Linear(width, self.action_spec.dim),
        )  # fmt: skip

    def forward(self, proprio: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        """Actions in ``[-1, 1]`` from raw proprio ``(B, n)`` and images ``(B, 3, 64, 64)``."""
        x = (proprio - self.mean) / self.std
        if self.camera is not None:
            x = torch.cat([x, self.cnn(image)], dim=1)
        return torch.tanh(self.head(x))

    def proprio_vector(self, proprio: dict[str, np.ndarray]) -> np.ndarray:
        """The input vector from an observation's proprio dict (keys in the fixed order)."""
        return np.concatenate([np.asarray(proprio[k], np.float32).ravel() for k in self.keys])

    def act(self, requests: list[ActRequest]) -> list[ActionChunk]:
        """One action per request (chunk of length 1)."""
        p = torch.from_numpy(
            np.stack([self.proprio_vector(r.observation.proprio) for r in requests])
        )
        img = None
        if self.camera is not None:
            img = prep_image(np.stack([r.observation.images[self.camera] for r in requests]))
        a = self(p, img).numpy().astype(np.float32)
        return [ActionChunk(a[i : i + 1]) for i in range(len(requests))]
