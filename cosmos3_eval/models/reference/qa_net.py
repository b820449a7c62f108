"""A small image + question model for physqa-sim (the ``torch`` adapter's reference QA model).

Option-conditioned attention over a CoordConv feature map (in the spirit of the FiLM / MAC
CLEVR models, shrunk to train in minutes on one CPU thread):

* **Pixels.** An image question gives one frame, a video question three (first, middle, last),
  each area-downsampled to 112 x 112 and quantised to uint8 (the same at training and
  inference). One shared CNN with x / y coordinate input channels (CoordConv) maps each frame
  to a 28 x 28 grid of features; each cell also keeps its mean colour and its coordinates. An
  image question's frame is run once and used in all three slots.
* **Text.** The question and each option are hashed bags of words (crc32 buckets).
* **Binding.** For every option, ``HEADS`` attention queries (softmax over the 28 x 28 cells,
  in every frame) pick out the cells the option and question name. A query has two learned
  parts: one from an MLP of ``[question, option]`` matched against the CNN features (shape,
  size, "the red sphere" of a direction question), one from the option alone matched against
  a learned embedding of each cell's colour (what "red" looks like). The second is what makes
  the binding learnable on a few thousand samples: with CNN keys only, the model memorised the
  training set and stayed at chance on held-out questions.
* **Scoring.** The attended value features, the attended x / y (and their change from the
  first to the last frame) and the best match of every head and frame, with the question
  embedding and a 4-d projection of the option embedding (narrow, so the option text alone
  cannot be memorised against the image), go through an MLP to one score per option; the
  highest wins.
* **Counts.** ``COUNT_HEADS`` question-conditioned queries give a per-cell density (sigmoid of
  the match) on the first frame; its means and the question embedding go through an MLP to a
  6-way head over 1..6.

About 0.3 M parameters (~1.2 MB of float32 weights). It reads only the rendered pixels and
the question / option text, never the scene state; nothing about colours, shapes or
directions is hand-coded (all from the training answers).

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
Q_TOKENS, C_TOKENS, MAX_CHOICES, SIZE = 16, 4, 4, 112
SLOTS = 3
"""Frame slots per question: first, middle, last (an image fills all three)."""
HEADS, COUNT_HEADS, VALUE, COLOUR, OPTION = 3, 4, 6, 16, 4
COUNTS = (1, 2, 3, 4, 5, 6)
"""The count answers physqa-sim-v2 draws from (``qa_questions_v2.COUNT_RANGE``)."""
_WORD = re.compile(r"[a-z]+")


def tokens(text: str, length: int) -> list[int]:
    """Hashed word ids (crc32: stable across processes, unlike ``hash``), padded with 0."""
    ids = [1 + zlib.crc32(w.encode()) % (BUCKETS - 1) for w in _WORD.findall(text.lower())]
    return (ids + [0] * length)[:length]


def clip_frames(frames: Sequence[np.ndarray]) -> np.ndarray:
    """``(k, 3, SIZE, SIZE)`` uint8: one frame for an image, first / middle / last for a video."""
    picked = [frames[0]] if len(frames) == 1 else [frames[0], frames[len(frames) // 2], frames[-1]]
    x = np.stack([np.asarray(f)[..., :3] for f in picked]).astype(np.float32) / 255.0
    t = F.interpolate(torch.from_numpy(x).permute(0, 3, 1, 2), size=(SIZE, SIZE), mode="area")
    return (t * 255.0).round().clamp(0, 255).to(torch.uint8).numpy()


def encode_text(question: str, choices: Sequence[str] | None) -> tuple[list[int], list[list[int]]]:
    """Question tokens and ``MAX_CHOICES`` option token lists (empty options are all padding)."""
    opts = list(choices or [])[:MAX_CHOICES]
    opts += [""] * (MAX_CHOICES - len(opts))
    return tokens(question, Q_TOKENS), [tokens(c, C_TOKENS) for c in opts]


def slot_index(counts: Sequence[int]) -> torch.Tensor:
    """``(B, SLOTS)`` rows of a flat frame tensor: ``counts[i]`` frames (1 or 3) per question."""
    rows, start = [], 0
    for k in counts:
        rows.append([start] * SLOTS if k == 1 else [start, start + 1, start + 2])
        start += k
    return torch.tensor(rows, dtype=torch.long)


def _coords(n: int) -> torch.Tensor:
    """``(2, n, n)`` x (left -1 .. right 1) and y (top -1 .. bottom 1) of cell centres."""
    v = (torch.arange(n, dtype=torch.float32) + 0.5) / n * 2 - 1
    return torch.stack([v[None, :].expand(n, n), v[:, None].expand(n, n)])


class QANet(nn.Module):
    """CoordConv CNN + option-conditioned attention heads + a count head.

    Args:
        width: Channels of the feature map (and of the attention keys).
        text: Width of the question / option embeddings.
        hidden: Width of the scoring MLPs.
    """

    def __init__(self, width: int = 48, text: int = 64, hidden: int = 128):
        super().__init__()
        self.width = width
        self.cnn = nn.Sequential(
            nn.Conv2d(5, 24, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(24, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(),
            nn.Conv2d(48, width, 3, padding=2, dilation=2), nn.ReLU(),
        )  # fmt: skip
        grid = SIZE // 4
        self.register_buffer("coords", _coords(SIZE), persistent=False)
        self.register_buffer("grid_xy", _coords(grid).reshape(2, -1), persistent=False)
        self.key = nn.Conv2d(width + 5, width, 1)
        self.value = nn.Conv2d(width + 5, VALUE, 1)
        self.colour_key = nn.Sequential(nn.Conv1d(3, 32, 1), nn.ReLU(), nn.Conv1d(32, COLOUR, 1))
        self.colour_query = nn.Linear(text, HEADS * COLOUR)
        self.option = nn.Linear(text, OPTION)
        self.q_emb = nn.EmbeddingBag(BUCKETS, text, mode="mean", padding_idx=0)
        self.c_emb = nn.EmbeddingBag(BUCKETS, text, mode="mean", padding_idx=0)
        self.query = nn.Sequential(
            nn.Linear(2 * text, hidden), nn.ReLU(), nn.Linear(hidden, HEADS * width)
        )
        per_head = SLOTS * (VALUE + 3) + 2  # per frame: values, x, y, best match; + motion
        self.score = nn.Sequential(
            nn.Linear(HEADS * per_head + text + OPTION, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1),
        )  # fmt: skip
        self.pos = nn.Parameter(torch.zeros(MAX_CHOICES))
        self.count_query = nn.Linear(text, COUNT_HEADS * (width + 1))
        self.count = nn.Sequential(
            nn.Linear(COUNT_HEADS + text, hidden), nn.ReLU(), nn.Linear(hidden, len(COUNTS))
        )
        for m in self.modules():  # He init: PyTorch's default shrinks activations per layer,
            if isinstance(m, nn.Conv2d | nn.Linear):  # and near-zero keys mean flat attention
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        for last in (self.score[-1], self.count[-1]):  # start near uniform answers
            nn.init.normal_(last.weight, std=0.01)

    def features(self, frames: torch.Tensor) -> torch.Tensor:
        """``(N, width + 5, G * G)``: CNN features, mean colour and coordinates of each cell.

        Args:
            frames: ``(N, 3, SIZE, SIZE)`` in [0, 1].
        """
        n, x = frames.shape[0], frames * 2 - 1
        f = self.cnn(torch.cat([x, self.coords.expand(n, 2, SIZE, SIZE)], dim=1)).flatten(2)
        rgb = F.avg_pool2d(x, 4).flatten(2)
        return torch.cat([f, rgb, self.grid_xy.expand(n, 2, f.shape[2])], dim=1)

    def forward(
        self,
        frames: torch.Tensor,
        slots: torch.Tensor,
        q: torch.Tensor,
        opts: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Option logits ``(B, MAX_CHOICES)`` (masked) and count logits ``(B, 6)``.

        Args:
            frames: ``(N, 3, SIZE, SIZE)`` distinct frames in [0, 1].
            slots: ``(B, SLOTS)`` row of ``frames`` in each question's first / middle / last slot.
            q: ``(B, Q_TOKENS)`` question token ids.
            opts: ``(B, MAX_CHOICES, C_TOKENS)`` option token ids.
            mask: ``(B, MAX_CHOICES)`` bool, True where an option exists.
        """
        b, w = q.shape[0], self.width
        feat = self.features(frames)  # (N, w + 5, P)
        keys = self.key(feat[..., None])[..., 0]  # (N, w, P)
        ckeys = self.colour_key(feat[:, w : w + 3])  # (N, COLOUR, P): each cell's colour alone
        vals = torch.cat([self.value(feat[..., None])[..., 0], feat[:, -2:]], dim=1)  # (N, V+2, P)
        qe = self.q_emb(q)
        ce = self.c_emb(opts.reshape(b * MAX_CHOICES, C_TOKENS)).reshape(b, MAX_CHOICES, -1)
        qs = self.query(torch.cat([qe[:, None].expand_as(ce), ce], dim=2))
        qs = qs.reshape(b, MAX_CHOICES * HEADS, w) / w**0.5
        cqs = self.colour_query(ce).reshape(b, MAX_CHOICES * HEADS, COLOUR) * 2.0
        parts = []
        for s in range(SLOTS):
            k, v = keys[slots[:, s]], vals[slots[:, s]]  # (B, w, P), (B, V+2, P)
            logit = torch.bmm(qs, k) + torch.bmm(cqs, ckeys[slots[:, s]])  # (B, C*H, P)
            pooled = torch.bmm(logit.softmax(-1), v.transpose(1, 2))  # (B, C*H, V+2)
            parts.append(torch.cat([pooled, logit.amax(-1, keepdim=True)], dim=2))
        motion = parts[-1][..., VALUE : VALUE + 2] - parts[0][..., VALUE : VALUE + 2]
        heads = torch.cat([*parts, motion], dim=2).reshape(b, MAX_CHOICES, -1)
        h = torch.cat([heads, qe[:, None].expand_as(ce), self.option(ce)], dim=2)
        logits = self.score(h)[..., 0] + self.pos
        # counts: summed sigmoid densities of question-conditioned queries on the first frame
        cq = self.count_query(qe).reshape(b, COUNT_HEADS, w + 1)
        dens = torch.sigmoid(torch.bmm(cq[..., :w], keys[slots[:, 0]]) / w**0.5 + cq[..., w:])
        count = self.count(torch.cat([dens.mean(-1) * 32.0, qe], dim=1))
        return logits.masked_fill(~mask, -1e9), count

    @staticmethod
    def text_batch(items: Sequence[tuple[str, Sequence[str] | None]]) -> tuple:
        """``(q, opts, mask)`` tensors from ``(question, choices)`` pairs."""
        enc = [encode_text(qu, ch) for qu, ch in items]
        q = torch.tensor([e[0] for e in enc], dtype=torch.long)
        opts = torch.tensor([e[1] for e in enc], dtype=torch.long)
        mask = torch.tensor([[i < len(ch or []) for i in range(MAX_CHOICES)] for _, ch in items])
        return q, opts, mask

    @staticmethod
    def batch(items: Sequence[tuple[np.ndarray, str, Sequence[str] | None]]) -> tuple:
        """Tensors for ``forward`` from ``(clip_frames, question, choices)`` triples."""
        frames = torch.from_numpy(np.concatenate([f for f, _, _ in items])).float() / 255.0
        slots = slot_index([len(f) for f, _, _ in items])
        return frames, slots, *QANet.text_batch([(qu, ch) for _, qu, ch in items])

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        """A letter for multiple choice, else a count in 1..6."""
        items = []
        for r in requests:
            frames = list(r.video) if r.video is not None else list(r.images)
            items.append((clip_frames(frames), r.question, r.choices))
        logits, count = self(*self.batch(items))
        out = []
        for i, r in enumerate(requests):
            if r.choices:
                out.append(TextOutput(CHOICE_LETTERS[int(logits[i].argmax())]))
            else:
                out.append(TextOutput(str(COUNTS[int(count[i].argmax())])))
        return out
