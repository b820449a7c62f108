"""A small image + question model for physqa-sim (the ``torch`` adapter's reference QA model).

Sees two frames (an image question repeats its image; a video question gives its first and
last frame) at 64 x 64, the question as a hashed bag of words and each option the same way.
Multiple choice: a bilinear score between the fused image-question feature and each option
(plus a per-position bias). Numbers (``count``): a 6-way head over 1..6. Small on purpose
(~0.3 M parameters, < 2 MB of float32 weights): it trains in minutes on two CPU cores and
lands between the blind floor and the oracle.

Use: ``--model torch --model-args module=cosmos3_eval.models.reference.qa_net:QANet,
checkpoint=ckpts/qa/step_*.safetensors``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cosmos3_eval.api.types import CHOICE_LETTERS, QARequest, TextOutput

BUCKETS = 1024
"""Hashed vocabulary size; bucket 0 is padding."""
Q_TOKENS, C_TOKENS, MAX_CHOICES, SIZE = 16, 4, 4, 64
COUNTS = (1, 2, 3, 4, 5, 6)
"""The count answers physqa-sim-v2 draws from (``qa_questions_v2.COUNT_RANGE``)."""
_WORD = re.compile(r"[a-z]+")


def tokens(text: str, length: int) -> list[int]:
    """Hashed word ids (crc32: stable across processes, unlike ``hash``), padded with 0."""
    ids = [1 + zlib.crc32(w.encode()) % (BUCKETS - 1) for w in _WORD.findall(text.lower())]
    return (ids + [0] * length)[:length]


def two_frames(frames: Sequence[np.ndarray]) -> np.ndarray:
    """``(6, 64, 64)`` float32 in [0, 1] from the first and last frame (area-downsampled)."""
    pair = np.stack([frames[0], frames[-1]]).astype(np.float32) / 255.0  # (2, H, W, 3)
    t = torch.from_numpy(pair).permute(0, 3, 1, 2)
    t = F.interpolate(t, size=(SIZE, SIZE), mode="area")
    return t.reshape(6, SIZE, SIZE).numpy()


def encode_text(question: str, choices: Sequence[str] | None) -> tuple[list[int], list[list[int]]]:
    """Question tokens and ``MAX_CHOICES`` option token lists (empty options are all padding)."""
    opts = list(choices or [])[:MAX_CHOICES]
    opts += [""] * (MAX_CHOICES - len(opts))
    return tokens(question, Q_TOKENS), [tokens(c, C_TOKENS) for c in opts]


class QANet(nn.Module):
    """Two-frame CNN + bag-of-words question / option encoders.

    Args:
        width: Feature width of the fused representation.
    """

    def __init__(self, width: int = 96):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(6, 16, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 16, 3, stride=2, padding=1), nn.ReLU(),
        )  # fmt: skip
        self.img = nn.Linear(16 * 4 * 4, width)
        self.q_emb = nn.EmbeddingBag(BUCKETS, 48, mode="mean", padding_idx=0)
        self.c_emb = nn.EmbeddingBag(BUCKETS, width, mode="mean", padding_idx=0)
        self.fuse = nn.Sequential(nn.Linear(width + 48, width), nn.ReLU(), nn.Linear(width, width))
        self.pos = nn.Parameter(torch.zeros(MAX_CHOICES))
        self.count = nn.Linear(width, len(COUNTS))

    def forward(
        self, frames: torch.Tensor, q: torch.Tensor, opts: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Option logits ``(B, MAX_CHOICES)`` (masked) and count logits ``(B, 6)``.

        Args:
            frames: ``(B, 6, 64, 64)`` two frames in [0, 1].
            q: ``(B, Q_TOKENS)`` question token ids.
            opts: ``(B, MAX_CHOICES, C_TOKENS)`` option token ids.
            mask: ``(B, MAX_CHOICES)`` bool, True where an option exists.
        """
        b = frames.shape[0]
        img = F.relu(self.img(self.cnn(frames).flatten(1)))
        h = self.fuse(torch.cat([img, self.q_emb(q)], dim=1))
        c = self.c_emb(opts.reshape(b * MAX_CHOICES, C_TOKENS)).reshape(b, MAX_CHOICES, -1)
        logits = (c * h[:, None, :]).sum(-1) + self.pos
        return logits.masked_fill(~mask, -1e9), self.count(h)

    @staticmethod
    def batch(items: Sequence[tuple[np.ndarray, str, Sequence[str] | None]]) -> tuple:
        """Tensors for ``forward`` from ``(two_frames, question, choices)`` triples."""
        frames = torch.from_numpy(np.stack([f for f, _, _ in items]))
        enc = [encode_text(qu, ch) for _, qu, ch in items]
        q = torch.tensor([e[0] for e in enc], dtype=torch.long)
        opts = torch.tensor([e[1] for e in enc], dtype=torch.long)
        mask = torch.tensor([[i < len(ch or []) for i in range(MAX_CHOICES)] for _, _, ch in items])
        return frames, q, opts, mask

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        """A letter for multiple choice, else a count in 1..6."""
        items = []
        for r in requests:
            frames = list(r.video) if r.video is not None else list(r.images)
            items.append((two_frames(frames), r.question, r.choices))
        logits, count = self(*self.batch(items))
        out = []
        for i, r in enumerate(requests):
            if r.choices:
                out.append(TextOutput(CHOICE_LETTERS[int(logits[i].argmax())]))
            else:
                out.append(TextOutput(str(COUNTS[int(count[i].argmax())])))
        return out
