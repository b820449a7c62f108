"""Optional learned image metrics from local weights: CLIPScore and FID / KID.

Nothing is downloaded: a metric runs only when the task config names a local checkpoint,
otherwise :meth:`LearnedMetrics.notes` says why it was skipped (the manifest records it).

* **CLIPScore** (Hessel et al. 2021, the ``100 * max(cos, 0)`` convention): a Hugging Face
  ``CLIPModel`` directory (``config.json``, ``*.safetensors``, tokenizer files), loaded with
  ``local_files_only=True`` and safetensors only (no pickle).
* **FID / KID** between generated images and the true renders of the same specs, on the image
  embeddings of a local CLIP checkpoint (FID_CLIP, Kynkaanniemi et al. 2023). The Fréchet
  distance and the unbiased polynomial-kernel MMD are computed here with numpy / scipy.

Why not open_clip / torch-fidelity / clean-fid: all three import torchvision, whose PyPI
wheels are CUDA builds that fail to load (``operator torchvision::nms does not exist``) next to
the CPU torch this project pins, and torch-fidelity unpickles its Inception weights, which
this project forbids.

FID / KID inputs are persisted per sample (see :class:`LearnedMetrics`), never held in process
memory, so process / Ray executors and resumed runs give the same values as one local run.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.metrics import MetricValue, Score
from cosmos3_eval.errors import ConfigError

_OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
_OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


class ClipModel:
    """A local CLIP (transformers) for image / text embeddings.

    Args:
        checkpoint: Directory with ``config.json``, safetensors weights and tokenizer files.

    Raises:
        ConfigError: The directory is missing or cannot be loaded.
    """

    def __init__(self, checkpoint: Path):
        path = Path(checkpoint)
        if not path.is_dir():
            raise ConfigError(f"CLIP checkpoint directory not found: {path}")
        if not any(path.glob("*.safetensors")):
            raise ConfigError(f"{path}: no *.safetensors weights (pickled weights are refused)")
        try:
            import torch
            from transformers import AutoTokenizer, CLIPModel
        except ImportError as exc:  # pragma: no cover - torch / transformers are extras
            raise ConfigError(f"CLIP metrics need torch and transformers: {exc}") from exc
        try:
            self.model = CLIPModel.from_pretrained(
                str(path), local_files_only=True, use_safetensors=True
            ).eval()
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot load CLIP checkpoint {path}: {exc}") from exc
        self.torch = torch
        self.path = path
        self.image_size = int(self.model.config.vision_config.image_size)
        self.max_tokens = int(self.model.config.text_config.max_position_embeddings)
        mean, std = _OPENAI_MEAN, _OPENAI_STD
        pre = path / "preprocessor_config.json"
        if pre.is_file():
            cfg = json.loads(pre.read_text())
            mean, std = tuple(cfg.get("image_mean", mean)), tuple(cfg.get("image_std", std))
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)

    def image_embeddings(self, images: list[np.ndarray]) -> np.ndarray:
        """(N, D) float64 projected image embeddings of uint8 (H, W, 3) images."""
        torch = self.torch
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255.0
        # Resize the short side to the model size and centre-crop, as CLIP preprocessing does.
        h, w = x.shape[-2:]
        s = self.image_size / min(h, w)
        nh, nw = max(self.image_size, round(h * s)), max(self.image_size, round(w * s))
        x = torch.nn.functional.interpolate(
            x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True
        ).clamp(0, 1)
        top, left = (nh - self.image_size) // 2, (nw - self.image_size) // 2
        x = x[:, :, top : top + self.image_size, left : left + self.image_size]
        x = (x - self.mean) / self.std
        with torch.no_grad():
            emb = self.model.get_image_features(pixel_values=x)
        return _as_array(emb)

    def text_embeddings(self, texts: list[str]) -> np.ndarray:
        """(N, D) float64 projected text embeddings."""
        tok = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )
        with self.torch.no_grad():
            emb = self.model.get_text_features(
                input_ids=tok["input_ids"], attention_mask=tok["attention_mask"]
            )
        return _as_array(emb)

    def clipscore(self, images: list[np.ndarray], texts: list[str]) -> np.ndarray:
        """CLIPScore per (image, text) pair: ``100 * max(cos, 0)``."""
        a = _unit(self.image_embeddings(images))
        b = _unit(self.text_embeddings(texts))
        return 100.0 * np.maximum((a * b).sum(axis=1), 0.0)


def _as_array(emb: Any) -> np.ndarray:
    # transformers >= 5 returns a model output whose pooler_output is the projected embedding.
    if not hasattr(emb, "detach"):
        pooled = getattr(emb, "pooler_output", None)
        emb = pooled if pooled is not None else emb[0]
    return emb.detach().cpu().numpy().astype(np.float64)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    Raises:
        ValueError: Fewer than 2 samples in a set, or mismatched dimensions.
    """
    from scipy import linalg

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (N, D) with equal D, got {a.shape}, {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("the Fréchet distance needs at least 2 samples per set")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        # Singular products (few samples): regularise as the reference implementations do.
        eps = np.eye(a.shape[1]) * 1e-6
        covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    covmean = np.real(covmean)
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))


def kernel_distance(
    a: np.ndarray, b: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID: unbiased MMD^2 with the kernel ``(x.y / d + 1)^3``, mean and std over subsets.

    Raises:
        ValueError: Fewer than 2 samples in a set.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("KID needs at least 2 samples per set")
    d = a.shape[1]
    m = min(len(a), len(b), subset_size)
    rng = np.random.default_rng(seed)
    vals = np.empty(subsets)
    for i in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        vals[i] = (
            (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2.0 * kxy.mean()
        )
    return float(vals.mean()), float(vals.std())


FEATURES_KEY = "fid_features"
"""Key of a sample record's ``output`` that holds its FID features."""


def encode_features(vector: np.ndarray) -> str:
    """A feature vector as base64 of little-endian float32 (JSON-safe, ~5.5 bytes per dim)."""
    return base64.b64encode(np.asarray(vector, "<f4").tobytes()).decode("ascii")


def decode_features(text: str) -> np.ndarray:
    """Inverse of :func:`encode_features` (float64)."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float64)


@dataclass(frozen=True)
class LearnedSample:
    """The learned metrics of one sample.

    Attributes:
        scores: Per-sample scores (``clipscore``).
        features: JSON-safe FID features for the sample record (``{"generated", "reference"}``
            as :func:`encode_features` strings), or ``None`` without FID.
    """

    scores: dict[str, Score]
    features: dict[str, str] | None = None


class LearnedMetrics:
    """The optional learned metrics of a T2I task, configured by local checkpoint paths.

    FID / KID are corpus metrics, but their inputs are per-sample: each sample's generated and
    reference image features travel in its record (:data:`FEATURES_KEY`), and
    :meth:`corpus` computes the metrics from the records on disk. So they are the same whichever
    process scored a sample, and after a resume.

    Args:
        clip_checkpoint: CLIP directory for CLIPScore, or ``None`` to skip it.
        fid_checkpoint: CLIP directory whose image embeddings are the FID / KID features,
            or ``None`` to skip them.
    """

    def __init__(self, clip_checkpoint: Path | None = None, fid_checkpoint: Path | None = None):
        self.clip = ClipModel(clip_checkpoint) if clip_checkpoint is not None else None
        if (
            fid_checkpoint is not None
            and clip_checkpoint is not None
            and (Path(fid_checkpoint).resolve() == Path(clip_checkpoint).resolve())
        ):
            self.fid = self.clip
        else:
            self.fid = ClipModel(fid_checkpoint) if fid_checkpoint is not None else None

    @property
    def enabled(self) -> bool:
        """Whether any learned metric runs."""
        return self.clip is not None or self.fid is not None

    def notes(self) -> dict[str, str]:
        """What runs and what is skipped, for the manifest."""
        return {
            "clipscore": f"on: CLIP {self.clip.path}"
            if self.clip
            else "skipped: no clip_checkpoint given",
            "fid": f"on: FID_CLIP features of {self.fid.path} vs true renders"
            if self.fid
            else "skipped: no fid_checkpoint given",
            "kid": "on: with fid" if self.fid else "skipped: no fid_checkpoint given",
        }

    def per_sample(
        self, image: np.ndarray, prompt: str, reference: np.ndarray | None
    ) -> LearnedSample:
        """Per-sample learned scores and the FID features to store in the sample record."""
        out: dict[str, Score] = {}
        if self.clip is not None:
            value = float(self.clip.clipscore([image], [prompt])[0])
            out["clipscore"] = Score(value, f"CLIPScore {value:.2f}")
        features = None
        if self.fid is not None and reference is not None:
            # One fixed batch of two per sample: the features do not depend on the run's batch.
            feats = self.fid.image_embeddings([image, reference])
            features = {
                "generated": encode_features(feats[0]),
                "reference": encode_features(feats[1]),
            }
        return LearnedSample(out, features)

    def corpus(self, records: list[dict[str, Any]]) -> dict[str, MetricValue]:
        """FID / KID over the features stored in the records (errored samples are left out)."""
        if self.fid is None:
            return {}
        return fid_kid(records)


def fid_kid(records: list[dict[str, Any]]) -> dict[str, MetricValue]:
    """FID / KID over the features stored in ``records`` (errored samples are left out).

    A function of the records alone, so readers of a run (leaderboard, compare) recompute the
    values the run wrote. Empty when fewer than two records carry features.
    """
    pairs = [
        (r.get("output") or {}).get(FEATURES_KEY)
        for r in sorted(records, key=lambda r: int(r.get("index", 0)))
        if r.get("error") is None
    ]
    pairs = [p for p in pairs if p]
    if len(pairs) < 2:
        return {}
    gen = np.stack([decode_features(p["generated"]) for p in pairs])
    ref = np.stack([decode_features(p["reference"]) for p in pairs])
    fid = frechet_distance(gen, ref)
    kid, kid_std = kernel_distance(gen, ref, subsets=50, subset_size=1000, seed=0)
    return {
        "fid": MetricValue(fid, None, None, len(pairs), higher_is_better=False),
        "kid": MetricValue(
            kid,
            kid_std,
            (kid - 1.96 * kid_std, kid + 1.96 * kid_std),
            len(pairs),
            higher_is_better=False,
        ),
    }
