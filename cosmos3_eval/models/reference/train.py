"""Deterministic CPU training of the reference models on ``cosmos3-eval export`` data.

Determinism: one seed (``torch.manual_seed`` and a seeded ``torch.Generator`` for minibatch
order), ``torch.use_deterministic_algorithms(True)`` and a fixed thread count, so two runs of
the same config give bit-identical weights (tested). Checkpoints are safetensors files
``step_<N>.safetensors`` at the configured steps plus ``steps.json`` (``{file: step}``), the
layout ``run --model-args checkpoint=DIR/step_*.safetensors`` sweeps.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from torch.nn import functional as F

from cosmos3_eval.api.media import read_image
from cosmos3_eval.api.types import CHOICE_LETTERS
from cosmos3_eval.models.reference.policy_net import BCPolicy, prep_image
from cosmos3_eval.models.reference.qa_net import COUNTS, QANet, clip_frames, slot_index


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Attributes:
        family: ``qa``, ``push-block`` or ``reacher``.
        data: The export folder of the family's task (``data.jsonl`` or ``demos.hdf5``).
        out: Checkpoint folder.
        steps: Optimiser steps.
        save_at: Steps after which a checkpoint is written (the last step always is).
        batch: Minibatch size.
        lr: Adam learning rate.
        final_lr: If set, the learning rate follows a cosine from ``lr`` down to this at the
            last step (``None``: constant). The late small steps settle a regressor whose
            expert labels jump at mode switches (push-block) and the attention of the QA model.
        seed: Seed of the weights and of the minibatch order.
        threads: ``torch.set_num_threads`` (fixed: a different count may reorder reductions).
        limit: Use only the first ``limit`` samples / demos (``None`` = all).
    """

    family: str
    data: Path
    out: Path
    steps: int = 1500
    save_at: tuple[int, ...] = (50, 150, 400, 800, 1500)
    batch: int = 64
    lr: float = 1e-3
    final_lr: float | None = None
    seed: int = 0
    threads: int = 1
    limit: int | None = None


@dataclass(frozen=True)
class TrainResult:
    """What a training run wrote: checkpoint paths by step, seconds, training-set size."""

    checkpoints: dict[int, Path]
    seconds: float
    n_train: int


# ---------------------------------------------------------------------------------- data


def load_qa(folder: Path, limit: int | None = None) -> dict[str, Any]:
    """Tensors of an exported QA folder (``data.jsonl`` + ``media/``).

    Frames stay uint8 (``frames``: every question's 1 or 3 frames in one tensor; ``slots``:
    each question's rows of it), so thousands of videos fit in memory.
    """
    rows = [json.loads(x) for x in (folder / "data.jsonl").read_text().splitlines() if x.strip()]
    rows = rows[:limit] if limit else rows
    clips, texts, target, is_count = [], [], [], []
    for r in rows:
        if r.get("video"):
            paths = sorted((folder / "media" / r["video"]).glob("*.png"))
            frames = [read_image(paths[i]) for i in (0, len(paths) // 2, -1)]
        else:
            frames = [read_image(folder / "media" / r["image"])]
        clips.append(clip_frames(frames))
        texts.append((r["question"], r["choices"]))
        if r["choices"]:
            target.append(CHOICE_LETTERS.index(r["answer"]))
            is_count.append(False)
        else:
            target.append(COUNTS.index(int(float(r["answer"]))))
            is_count.append(True)
    q, opts, mask = QANet.text_batch(texts)
    return {"target": torch.tensor(target), "is_count": torch.tensor(is_count),
            "slots": slot_index([len(c) for c in clips]), "q": q, "opts": opts, "mask": mask,
            "frames": torch.from_numpy(np.concatenate(clips))}  # fmt: skip


def load_demos(path: Path, net: BCPolicy, limit: int | None = None) -> dict[str, Any]:
    """Per-step tensors of an exported HDF5 (successful demos only: BC copies the expert).

    The targets are ``actions``: the oracle's action on each recorded state, also in a
    DART-noised export (``export --noise``), whose executed actions (``actions_executed``)
    are not used.
    """
    import h5py

    proprio, images, actions = [], [], []
    with h5py.File(path, "r") as f:
        names = sorted(f["data"], key=lambda k: int(k.split("_")[1]))
        for name in names[:limit] if limit else names:
            g = f["data"][name]
            if not g.attrs["success"]:
                continue
            proprio.append(np.concatenate([g["obs"][k][()] for k in net.keys], axis=1))
            actions.append(g["actions"][()])
            if net.camera is not None:
                images.append(prep_image(g["obs"][net.camera][()]))
    out = {"proprio": torch.from_numpy(np.concatenate(proprio).astype(np.float32)),
           "actions": torch.from_numpy(np.concatenate(actions).astype(np.float32))}  # fmt: skip
    if images:
        out["images"] = torch.cat(images)
    return out


# ------------------------------------------------------------------------------- losses


def _qa_loss(net: QANet, d: dict[str, Any], idx: torch.Tensor) -> torch.Tensor:
    rows, slots = torch.unique(d["slots"][idx], return_inverse=True)  # each frame once
    frames = d["frames"][rows].float() / 255.0
    logits, count = net(frames, slots, d["q"][idx], d["opts"][idx], d["mask"][idx])
    t, c = d["target"][idx], d["is_count"][idx]
    # Count rows train the count head, the rest the option scores (a masked mean of each).
    mc = F.cross_entropy(logits, torch.where(c, 0, t), reduction="none")
    ct = F.cross_entropy(count, torch.where(c, t, 0), reduction="none")
    return torch.where(c, ct, mc).mean()


def _bc_loss(net: BCPolicy, d: dict[str, Any], idx: torch.Tensor) -> torch.Tensor:
    img = d["images"][idx] if "images" in d else None
    return F.mse_loss(net(d["proprio"][idx], img), d["actions"][idx])


def build(cfg: TrainConfig) -> tuple[torch.nn.Module, dict[str, Any], Callable[..., Any]]:
    """The initial net, the training tensors and the loss of ``cfg.family``."""
    if cfg.family == "qa":
        return QANet(), load_qa(cfg.data, cfg.limit), _qa_loss
    kind = {"push-block": "push-block", "reacher": "gym-reacher"}.get(cfg.family)
    if kind is None:
        raise ValueError(f"unknown family {cfg.family!r}: qa, push-block or reacher")
    net = BCPolicy(kind)
    d = load_demos(cfg.data / "demos.hdf5", net, cfg.limit)
    net.mean.copy_(d["proprio"].mean(0))
    net.std.copy_(d["proprio"].std(0).clamp_min(1e-3))
    return net, d, _bc_loss


def _lr_factor(cfg: TrainConfig, step: int) -> float:
    """Multiplier of ``cfg.lr`` after ``step`` steps: 1, or a cosine down to ``cfg.final_lr``."""
    if cfg.final_lr is None:
        return 1.0
    frac = min(step / cfg.steps, 1.0)
    end = cfg.final_lr / cfg.lr
    return end + (1 - end) * 0.5 * (1 + math.cos(math.pi * frac))


def train(cfg: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    """Train ``cfg.family`` deterministically; write checkpoints and ``steps.json``."""
    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(cfg.threads)
    start = time.perf_counter()
    net, data, loss_fn = build(cfg)
    n = len(data["target"] if "target" in data else next(iter(data.values())))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    if cfg.final_lr is not None and not 0.0 <= cfg.final_lr <= cfg.lr:
        raise ValueError(f"final_lr must be in [0, lr={cfg.lr}], got {cfg.final_lr}")
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: _lr_factor(cfg, i))
    gen = torch.Generator().manual_seed(cfg.seed)
    cfg.out.mkdir(parents=True, exist_ok=True)
    saved: dict[int, Path] = {}
    perm, pos = torch.randperm(n, generator=gen), 0
    net.train()
    for step in range(1, cfg.steps + 1):
        if pos + cfg.batch > n:
            perm, pos = torch.randperm(n, generator=gen), 0
        idx = perm[pos : pos + cfg.batch]
        pos += cfg.batch
        loss = loss_fn(net, data, idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step in cfg.save_at or step == cfg.steps:
            path = cfg.out / f"step_{step}.safetensors"
            save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(path))
            saved[step] = path
            log(f"{cfg.family} step {step}: loss {loss.item():.4f} -> {path.name}")
    (cfg.out / "steps.json").write_text(
        json.dumps({p.name: s for s, p in sorted(saved.items())}, indent=1) + "\n"
    )
    return TrainResult(saved, time.perf_counter() - start, n)


def damage(src: Path, dst: Path, tensor: str, seed: int = 0) -> None:
    """Copy a checkpoint with one tensor's entries shuffled (a simulated broken layer)."""
    from safetensors.torch import load_file

    state = load_file(str(src))
    w = state[tensor]
    perm = torch.randperm(w.numel(), generator=torch.Generator().manual_seed(seed))
    state[tensor] = w.flatten()[perm].reshape(w.shape).contiguous()
    save_file(state, str(dst))
